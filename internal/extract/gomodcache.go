package extract

import (
	"cmp"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/dirhash"

	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/sbom"
)

// PropLicenseFiles names the files a declared licence was read from.
const PropLicenseFiles = "siegel:license-files"

// maxGoModBytes bounds a go.mod read from the module cache.
const maxGoModBytes = 1 << 20

// GoModuleCache reads a Go module cache (GOMODCACHE): the module zips the go command downloaded
// and verified, and their go.mod files. A module's zip is its distributed form, so it gives what
// BSI TR-03183-2 5.2.2 asks of the component: its filename, the SHA-512 hash of the deployable
// file, and the executable (non-executable: source), archive (archive) and structured
// (structured: a zip of named files) properties.
type GoModuleCache struct {
	Dir string // the cache root, such as $HOME/go/pkg/mod
}

// GoModuleResult says what Enrich did.
type GoModuleResult struct {
	Enriched int      // components given their zip's facts
	Skipped  []string // module@version and why (not in the cache, checksum differs from go.sum)
}

// Enrich adds to each Go module component of doc (a pkg:golang purl and a go.sum checksum) what
// its zip in the cache provides, once the zip's h1: checksum equals go.sum's: only then is it the
// file the build used. The component creator is the module path as a URL: Go resolves a module
// path by fetching that URL, which the module's maintainer serves. Each module's requirements
// (its go.mod in the cache) become dependency edges to the modules of doc, complete when every
// requirement is among them.
func (mc GoModuleCache) Enrich(doc *sbom.Document) GoModuleResult {
	var res GoModuleResult
	byPath := map[string]string{} // module path -> ref
	for _, c := range doc.Components {
		if strings.HasPrefix(c.PURL, "pkg:golang/") && c.Name != "stdlib" {
			byPath[c.Name] = c.Ref
		}
	}
	deps := map[string]int{}
	for i, d := range doc.Dependencies {
		deps[d.Ref] = i
	}
	for i := range doc.Components {
		c := &doc.Components[i]
		sum := propertyValue(c.Properties, PropGoSum)
		if !strings.HasPrefix(c.PURL, "pkg:golang/") || c.Name == "stdlib" || !strings.HasPrefix(sum, "h1:") {
			continue
		}
		base, err := mc.base(c.Name, c.Version)
		if err != nil {
			res.Skipped = append(res.Skipped, fmt.Sprintf("%s@%s: %v", c.Name, c.Version, err))
			continue
		}
		zipPath := base + ".zip"
		h1, err := dirhash.HashZip(zipPath, dirhash.Hash1)
		switch {
		case errors.Is(err, os.ErrNotExist):
			res.Skipped = append(res.Skipped, fmt.Sprintf("%s@%s: not in the module cache", c.Name, c.Version))
			continue
		case err != nil:
			res.Skipped = append(res.Skipped, fmt.Sprintf("%s@%s: %v", c.Name, c.Version, err))
			continue
		case h1 != sum:
			res.Skipped = append(res.Skipped, fmt.Sprintf("%s@%s: the cached zip's checksum %s is not go.sum's %s", c.Name, c.Version, h1, sum))
			continue
		}
		digest, err := sha512File(zipPath)
		if err != nil {
			res.Skipped = append(res.Skipped, fmt.Sprintf("%s@%s: %v", c.Name, c.Version, err))
			continue
		}
		c.Hashes = appendHashUnique(c.Hashes, sbom.Hash{Algorithm: sbom.SHA512, Value: digest})
		if name := filepath.Base(zipPath); !slices.Contains(c.Files, name) {
			c.Files = append(c.Files, name)
		}
		c.Properties = setProperty(c.Properties, sbom.PropBSIExecutable, sbom.ValNonExecutable)
		c.Properties = setProperty(c.Properties, sbom.PropBSIArchive, sbom.ValArchive)
		c.Properties = setProperty(c.Properties, sbom.PropBSIStructured, sbom.ValStructured)
		c.AuthorContact = cmp.Or(c.AuthorContact, "https://"+c.Name)
		if expr, files := moduleZipLicense(zipPath, c.Name+"@"+c.Version+"/"); expr != "" {
			// The licence the module's authors declare in its licence files (TR-03183-2 5.2.4,
			// original licences); whether the product passes it on under it is the maker's to say.
			l := sbom.License{Expression: expr, Kind: sbom.LicenseDeclared}
			if !slices.Contains(c.Licenses, l) {
				c.Licenses = append(c.Licenses, l)
			}
			c.Properties = setProperty(c.Properties, PropLicenseFiles, strings.Join(files, " "))
		}
		res.Enriched++

		reqs, err := readGoModRequires(base + ".mod")
		if err != nil {
			res.Skipped = append(res.Skipped, fmt.Sprintf("%s@%s: go.mod: %v", c.Name, c.Version, err))
			continue
		}
		d := sbom.Dependency{Ref: c.Ref, Completeness: sbom.CompletenessComplete}
		if k, ok := deps[c.Ref]; ok {
			d = doc.Dependencies[k]
		}
		for _, p := range reqs {
			if ref, ok := byPath[p]; ok {
				if !slices.Contains(d.DependsOn, ref) {
					d.DependsOn = append(d.DependsOn, ref)
				}
			} else {
				// A requirement the build list dropped (module graph pruning) or that the
				// document lacks: the list is not complete.
				d.Completeness = sbom.CompletenessIncomplete
			}
		}
		if d.Completeness == sbom.CompletenessUnknown {
			d.Completeness = sbom.CompletenessComplete
		}
		slices.Sort(d.DependsOn)
		if k, ok := deps[c.Ref]; ok {
			doc.Dependencies[k] = d
		} else {
			deps[c.Ref] = len(doc.Dependencies)
			doc.Dependencies = append(doc.Dependencies, d)
		}
	}
	return res
}

// base is the cache path of a module version's files, without the extension.
func (mc GoModuleCache) base(path, version string) (string, error) {
	ep, err := module.EscapePath(path)
	if err != nil {
		return "", err
	}
	ev, err := module.EscapeVersion(version)
	if err != nil {
		return "", err
	}
	return filepath.Join(mc.Dir, "cache", "download", filepath.FromSlash(ep), "@v", ev), nil
}

// readGoModRequires returns the module paths a go.mod requires.
func readGoModRequires(name string) ([]string, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := input.ReadAll(name, f, input.Limits{MaxBytes: maxGoModBytes})
	if err != nil {
		return nil, err
	}
	mf, err := modfile.ParseLax(name, data, nil)
	if err != nil {
		return nil, goModError(name, err)
	}
	out := make([]string, 0, len(mf.Require))
	for _, r := range mf.Require {
		out = append(out, r.Mod.Path)
	}
	return out, nil
}

func sha512File(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha512.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func propertyValue(props []sbom.Property, name string) string {
	for _, p := range props {
		if p.Name == name {
			return p.Value
		}
	}
	return ""
}

// setProperty sets a property unless the component states it already.
func setProperty(props []sbom.Property, name, value string) []sbom.Property {
	if slices.ContainsFunc(props, func(p sbom.Property) bool { return p.Name == name }) {
		return props
	}
	return append(props, sbom.Property{Name: name, Value: value})
}
