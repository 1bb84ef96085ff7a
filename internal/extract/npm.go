package extract

import (
	"context"
	"encoding/json"
	"io/fs"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/purl"
	"github.com/siegel-oss/siegel/internal/sbom"
)

// lockNPM reads npm's package-lock.json and npm-shrinkwrap.json, lockfile versions 1 to 3.
// Version 2 and 3 list every installed package under "packages", keyed by its path in the
// node_modules tree; version 1 nests "dependencies". Dependencies are resolved the way Node
// resolves them: from the package's own node_modules upwards.
type lockNPM struct{}

func (lockNPM) Name() string { return "npm/package-lock" }
func (lockNPM) Match(f File) bool {
	b := path.Base(f.Path)
	return (b == "package-lock.json" || b == "npm-shrinkwrap.json") && !strings.Contains(f.Path, "node_modules/")
}

type npmLockfile struct {
	LockfileVersion int                        `json:"lockfileVersion"`
	Packages        map[string]npmPackage      `json:"packages"`
	Dependencies    map[string]npmV1Dependency `json:"dependencies"`
}

type npmPackage struct {
	Name                 string            `json:"name"`
	Version              string            `json:"version"`
	Resolved             string            `json:"resolved"`
	Integrity            string            `json:"integrity"`
	Link                 bool              `json:"link"`
	Dev                  bool              `json:"dev"`
	Optional             bool              `json:"optional"`
	DevOptional          bool              `json:"devOptional"`
	License              json.RawMessage   `json:"license"`
	Dependencies         map[string]string `json:"dependencies"`
	DevDependencies      map[string]string `json:"devDependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
	PeerDependencies     map[string]string `json:"peerDependencies"`
}

type npmV1Dependency struct {
	Version      string                     `json:"version"`
	Integrity    string                     `json:"integrity"`
	Dev          bool                       `json:"dev"`
	Optional     bool                       `json:"optional"`
	Requires     map[string]string          `json:"requires"`
	Dependencies map[string]npmV1Dependency `json:"dependencies"`
}

func (e lockNPM) Extract(ctx context.Context, fsys fs.FS, f File, limits input.Limits) (Result, error) {
	data, err := readFile(fsys, f, limits)
	if err != nil {
		return Result{}, err
	}
	if err := input.CheckJSONDepth(f.Path, data, limits.MaxDepth); err != nil {
		return Result{}, err
	}
	var lock npmLockfile
	if err := json.Unmarshal(data, &lock); err != nil {
		return Result{}, input.JSONError(f.Path, data, err)
	}
	complete := lock.Packages != nil // versions 2 and 3 record every package's resolved dependencies
	if lock.Packages == nil && lock.Dependencies != nil {
		// Version 1: rebuild the path-keyed tree from the nested form; the root's declared
		// dependencies come from package.json beside the lockfile.
		lock.Packages = map[string]npmPackage{"": npmRootFromManifest(fsys, path.Join(path.Dir(f.Path), "package.json"), limits)}
		flattenNPMv1("", lock.Dependencies, lock.Packages, 0)
	}
	if lock.Packages == nil {
		return Result{}, &input.Error{File: f.Path, Rule: "schema", Err: errNoPackages}
	}
	b := newBuilder(e.Name(), f)
	b.complete = complete
	refs := map[string]string{} // node_modules path -> ref
	paths := make([]string, 0, len(lock.Packages))
	for p := range lock.Packages {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		pkg := lock.Packages[p]
		if p == "" || pkg.Link || !strings.Contains(p, "node_modules/") {
			continue // the project itself, a workspace folder, or a link to one
		}
		name := pkg.Name
		if name == "" {
			name = p[strings.LastIndex(p, "node_modules/")+len("node_modules/"):]
		}
		if pkg.Version == "" || strings.HasPrefix(pkg.Version, "file:") {
			continue
		}
		ref := b.add(name, pkg.Version, purl.NPM(name, pkg.Version))
		refs[p] = ref
		c := b.component(ref)
		for _, h := range sriHashes(pkg.Integrity) {
			c.Hashes = appendHashUnique(c.Hashes, h)
		}
		describeNPMTarball(c, name, pkg)
		if pkg.Dev {
			b.markDev(ref)
		}
	}
	resolve := func(from, dep string) string {
		for dir := from; ; {
			cand := "node_modules/" + dep
			if dir != "" {
				cand = dir + "/node_modules/" + dep
			}
			if ref, ok := refs[cand]; ok {
				return ref
			}
			if l, ok := lock.Packages[cand]; ok && l.Link {
				return "" // a workspace package: first-party code
			}
			if dir == "" {
				return ""
			}
			if i := strings.LastIndex(dir, "/node_modules/"); i >= 0 {
				dir = dir[:i]
			} else {
				dir = ""
			}
		}
	}
	for _, p := range paths {
		pkg := lock.Packages[p]
		isProject := p == "" || (!strings.Contains(p, "node_modules/") && !pkg.Link)
		from, ok := refs[p]
		if !ok && !isProject {
			continue
		}
		for _, deps := range []map[string]string{pkg.Dependencies, pkg.OptionalDependencies, pkg.DevDependencies, pkg.PeerDependencies} {
			for _, name := range sortedKeys(deps) {
				to := resolve(p, name)
				if isProject {
					b.direct(to)
				} else {
					b.edge(from, to)
				}
			}
		}
	}
	b.knowsRoot()
	return b.result(), nil
}

// flattenNPMv1 turns version 1's nested dependencies into version 2's path-keyed packages.
func flattenNPMv1(prefix string, deps map[string]npmV1Dependency, out map[string]npmPackage, depth int) {
	if depth > 64 {
		return
	}
	for name, d := range deps {
		p := "node_modules/" + name
		if prefix != "" {
			p = prefix + "/node_modules/" + name
		}
		out[p] = npmPackage{Version: d.Version, Integrity: d.Integrity, Dev: d.Dev, Optional: d.Optional, Dependencies: d.Requires}
		flattenNPMv1(p, d.Dependencies, out, depth+1)
	}
}

// npmRootFromManifest reads the dependencies package.json declares; a missing or broken
// package.json yields none.
func npmRootFromManifest(fsys fs.FS, name string, limits input.Limits) npmPackage {
	var pkg npmPackage
	info, err := fs.Stat(fsys, name)
	if err != nil {
		return pkg
	}
	data, err := readFile(fsys, File{Path: name, Mode: info.Mode(), Size: info.Size()}, limits)
	if err == nil && input.CheckJSONDepth(name, data, limits.MaxDepth) == nil {
		_ = json.Unmarshal(data, &pkg)
	}
	pkg.Version = ""
	return pkg
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// describeNPMTarball adds what the lockfile says of the package's tarball, the file the registry
// distributes and the integrity hash is taken of: its name (from the resolved URL, else as the
// registry names tarballs, <name>-<version>.tgz without the scope), the properties BSI
// TR-03183-2 5.2.2 asks for (a gzipped tar of named files: a structured archive, not itself
// executable), and the licence the package declares.
func describeNPMTarball(c *sbom.Component, name string, pkg npmPackage) {
	if len(c.Hashes) > 0 {
		file := name[strings.LastIndex(name, "/")+1:] + "-" + pkg.Version + ".tgz"
		if u, err := url.Parse(pkg.Resolved); err == nil && strings.HasSuffix(u.Path, ".tgz") {
			file = path.Base(u.Path)
		}
		if !slices.Contains(c.Files, file) {
			c.Files = append(c.Files, file)
		}
		c.Properties = setProperty(c.Properties, sbom.PropBSIExecutable, sbom.ValNonExecutable)
		c.Properties = setProperty(c.Properties, sbom.PropBSIArchive, sbom.ValArchive)
		c.Properties = setProperty(c.Properties, sbom.PropBSIStructured, sbom.ValStructured)
	}
	var lic string
	if json.Unmarshal(pkg.License, &lic) != nil {
		var obj struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(pkg.License, &obj) == nil {
			lic = obj.Type
		}
	}
	if lic = strings.TrimSpace(lic); lic != "" && lic != "UNLICENSED" && !strings.HasPrefix(lic, "SEE LICENSE") {
		l := sbom.License{Expression: lic, Kind: sbom.LicenseDeclared}
		if !slices.Contains(c.Licenses, l) {
			c.Licenses = append(c.Licenses, l)
		}
	}
}
