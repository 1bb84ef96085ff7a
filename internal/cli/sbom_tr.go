package cli

import (
	"bytes"
	"cmp"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/siegel-oss/siegel/internal/extract"
	"github.com/siegel-oss/siegel/internal/sbom"
)

// trOptions are what `siegel sbom` cannot find in the tree and takes from its user, for the
// fields BSI TR-03183-2 asks of the SBOM and of its primary component.
type trOptions struct {
	creatorName, creatorEmail, creatorURL string // 5.2.1: who made the SBOM
	license                               string // 5.2.2: the product's distribution licence
	artifact                              string // the product's deployable file
	purl                                  string // 5.2.4: the product's package URL
	goModCache                            string // where Go module zips are (GOMODCACHE)
	// licensesAsDeclared: the manufacturer passes components on under the licences their
	// authors declared, so each declared licence is also the distribution licence (5.2.2).
	licensesAsDeclared bool
}

// resolve fills what flags left empty from SIEGEL_* environment variables and checks the values.
func (o *trOptions) resolve(env *Env) error {
	o.creatorName = cmp.Or(o.creatorName, env.Getenv("SIEGEL_CREATOR_NAME"))
	o.creatorEmail = cmp.Or(o.creatorEmail, env.Getenv("SIEGEL_CREATOR_EMAIL"))
	o.creatorURL = cmp.Or(o.creatorURL, env.Getenv("SIEGEL_CREATOR_URL"))
	if o.creatorEmail != "" && (!strings.Contains(o.creatorEmail, "@") || strings.ContainsAny(o.creatorEmail, " <>")) {
		return usagef("--creator-email %q is not an email address", o.creatorEmail)
	}
	if o.creatorURL != "" && !strings.HasPrefix(o.creatorURL, "https://") && !strings.HasPrefix(o.creatorURL, "http://") {
		return usagef("--creator-url %q is not an http(s) URL", o.creatorURL)
	}
	if o.goModCache == "" {
		o.goModCache = env.Getenv("GOMODCACHE")
	}
	if o.goModCache == "" {
		if gp := env.Getenv("GOPATH"); gp != "" {
			o.goModCache = filepath.Join(filepath.SplitList(gp)[0], "pkg", "mod")
		} else if home, err := os.UserHomeDir(); err == nil {
			o.goModCache = filepath.Join(home, "go", "pkg", "mod")
		}
	}
	return nil
}

// creator is the SBOM's creator (an organization), if a contact was given.
func (o *trOptions) creator() (sbom.Creator, bool) {
	if o.creatorEmail == "" && o.creatorURL == "" {
		return sbom.Creator{}, false
	}
	return sbom.Creator{Kind: sbom.CreatorOrganization, Name: o.creatorName, Email: o.creatorEmail, URL: o.creatorURL}, true
}

// apply writes the options into doc: the creator, and the primary component's creator contact,
// licence, identifier and deployable file; then the facts of Go modules from the module cache.
func (o *trOptions) apply(env *Env, doc *sbom.Document) error {
	if cr, ok := o.creator(); ok {
		doc.Creators = append(doc.Creators, cr)
	}
	if i, ok := doc.Index()[doc.Subject]; ok {
		subject := &doc.Components[i]
		if cr, ok := o.creator(); ok {
			subject.Author = cmp.Or(subject.Author, cr.Name)
			subject.AuthorContact = cmp.Or(cr.Email, cr.URL)
		}
		if o.license != "" {
			subject.Licenses = append(subject.Licenses, sbom.License{Expression: o.license, Kind: sbom.LicenseConcluded})
		}
		if o.purl != "" {
			subject.PURL = o.purl
		}
		if o.artifact != "" {
			if err := describeArtifact(subject, o.artifact); err != nil {
				return err
			}
		}
	}
	if o.goModCache != "" {
		if _, err := os.Stat(o.goModCache); err == nil {
			res := extract.GoModuleCache{Dir: o.goModCache}.Enrich(doc)
			for _, s := range res.Skipped {
				env.Log.Info("Go module not described from the module cache", "module", s)
			}
		}
	}
	if o.licensesAsDeclared {
		for i := range doc.Components {
			c := &doc.Components[i]
			if slices.ContainsFunc(c.Licenses, func(l sbom.License) bool { return l.Kind == sbom.LicenseConcluded }) {
				continue
			}
			for _, l := range c.Licenses {
				if l.Kind == sbom.LicenseDeclared {
					c.Licenses = append(c.Licenses, sbom.License{Expression: l.Expression, Kind: sbom.LicenseConcluded})
				}
			}
		}
	}
	return nil
}

// describeArtifact gives the primary component the facts of its deployable file: its name, its
// SHA-512 hash and the three TR-03183-2 properties, read from the file's first bytes.
func describeArtifact(c *sbom.Component, name string) error {
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("--artifact: %w", err)
	}
	defer f.Close()
	var head [512]byte
	n, _ := io.ReadFull(f, head[:])
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("--artifact: %w", err)
	}
	h := sha512.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("--artifact %s: %w", name, err)
	}
	c.Hashes = append(c.Hashes, sbom.Hash{Algorithm: sbom.SHA512, Value: hex.EncodeToString(h.Sum(nil))})
	c.Files = append(c.Files, filepath.Base(name))
	exec, archive := sbom.ValNonExecutable, sbom.ValNoArchive
	switch kind := fileKind(head[:n]); kind {
	case "executable":
		exec = sbom.ValExecutable
	case "archive":
		archive = sbom.ValArchive
	}
	structured := sbom.ValUnstructured
	if archive == sbom.ValArchive {
		structured = sbom.ValStructured // an archive's parts can be listed and examined
	}
	c.Properties = append(c.Properties,
		sbom.Property{Name: sbom.PropBSIExecutable, Value: exec},
		sbom.Property{Name: sbom.PropBSIArchive, Value: archive},
		sbom.Property{Name: sbom.PropBSIStructured, Value: structured})
	return nil
}

// fileKind tells an executable (ELF, PE, Mach-O, WebAssembly) or an archive (zip, gzip, xz,
// bzip2, zstd, 7z, tar) from its first bytes.
func fileKind(head []byte) string {
	if extract.IsExecutable(head) {
		return "executable"
	}
	for _, m := range [][]byte{[]byte("PK\x03\x04"), {0x1f, 0x8b}, []byte("\xfd7zXZ\x00"), []byte("BZh"), {0x28, 0xb5, 0x2f, 0xfd}, []byte("7z\xbc\xaf\x27\x1c")} {
		if bytes.HasPrefix(head, m) {
			return "archive"
		}
	}
	if len(head) >= 262 && string(head[257:262]) == "ustar" {
		return "archive"
	}
	return ""
}
