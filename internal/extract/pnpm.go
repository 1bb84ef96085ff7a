package extract

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/purl"
)

// lockPnpm reads pnpm-lock.yaml, lockfile versions 5.x, 6 and 9. Packages are keyed
// "/name/1.2.3" (5.x), "/name@1.2.3" (6) or "name@1.2.3" (9), possibly followed by the peer
// dependencies they were resolved with ("_react@18.2.0" in 5.x, "(react@18.2.0)" later). Direct
// dependencies are those of the importers (the project and its workspace packages).
type lockPnpm struct{}

func (lockPnpm) Name() string      { return "npm/pnpm-lock" }
func (lockPnpm) Match(f File) bool { return path.Base(f.Path) == "pnpm-lock.yaml" }

type pnpmLock struct {
	LockfileVersion      any                     `yaml:"lockfileVersion"`
	Importers            map[string]pnpmImporter `yaml:"importers"`
	Dependencies         map[string]any          `yaml:"dependencies"`
	DevDependencies      map[string]any          `yaml:"devDependencies"`
	OptionalDependencies map[string]any          `yaml:"optionalDependencies"`
	Packages             map[string]pnpmPackage  `yaml:"packages"`
	Snapshots            map[string]pnpmPackage  `yaml:"snapshots"`
}

type pnpmImporter struct {
	Dependencies         map[string]any `yaml:"dependencies"`
	DevDependencies      map[string]any `yaml:"devDependencies"`
	OptionalDependencies map[string]any `yaml:"optionalDependencies"`
}

type pnpmPackage struct {
	Name                 string            `yaml:"name"`
	Version              string            `yaml:"version"`
	Resolution           map[string]string `yaml:"resolution"`
	Dev                  *bool             `yaml:"dev"`
	Dependencies         map[string]string `yaml:"dependencies"`
	OptionalDependencies map[string]string `yaml:"optionalDependencies"`
}

func (e lockPnpm) Extract(ctx context.Context, fsys fs.FS, f File, limits input.Limits) (Result, error) {
	data, err := readFile(fsys, f, limits)
	if err != nil {
		return Result{}, err
	}
	var lock pnpmLock
	if err := yaml.Unmarshal(data, &lock); err != nil {
		return Result{}, yamlError(f.Path, err)
	}
	major := 0
	switch v := lock.LockfileVersion.(type) {
	case string:
		major, _ = strconv.Atoi(strings.SplitN(v, ".", 2)[0])
	case float64:
		major = int(v)
	case int:
		major = v
	}
	if major < 5 || major > 9 {
		return Result{}, &input.Error{File: f.Path, Line: 1, Rule: "lockfile version",
			Err: fmt.Errorf("lockfileVersion %v is not supported; Siegel reads pnpm lockfiles 5.x to 9", lock.LockfileVersion)}
	}
	b := newBuilder(e.Name(), f)
	refs := map[string]string{} // normalized key "name@version" -> ref
	for _, key := range sortedKeys(lock.Packages) {
		pkg := lock.Packages[key]
		name, ver := pnpmSplitKey(key, major)
		if pkg.Name != "" {
			name = pkg.Name
		}
		if pkg.Version != "" {
			ver = pkg.Version
		}
		if name == "" || ver == "" || strings.HasPrefix(ver, "link:") || strings.HasPrefix(ver, "file:") {
			continue
		}
		ref := b.add(name, ver, purl.NPM(name, ver))
		refs[name+"@"+ver] = ref
		for _, h := range sriHashes(pkg.Resolution["integrity"]) {
			c := b.component(ref)
			c.Hashes = appendHashUnique(c.Hashes, h)
		}
		if pkg.Dev != nil && *pkg.Dev {
			b.markDev(ref)
		}
	}
	ref := func(name string, v any) string {
		s := ""
		switch t := v.(type) {
		case string:
			s = t
		case map[string]any: // version 6+: {specifier: ^1.0.0, version: 1.2.3}
			s, _ = t["version"].(string)
		}
		s = pnpmStripPeers(s)
		if i := strings.IndexByte(s, '_'); i >= 0 && major < 6 && !strings.HasPrefix(s, "/") {
			s = s[:i] // 5.x: "1.0.0_react@18.2.0"
		}
		if r, ok := refs[name+"@"+s]; ok {
			return r
		}
		// A dependency may be given as its full key ("/name/1.0.0" or an alias "npm:x@1").
		if n, v := pnpmSplitKey(s, major); n != "" {
			return refs[n+"@"+v]
		}
		return ""
	}
	// Edges: 9 keeps them in snapshots, earlier versions in packages.
	edgesFrom := lock.Packages
	if major >= 9 {
		edgesFrom = lock.Snapshots
	}
	for _, key := range sortedKeys(edgesFrom) {
		pkg := edgesFrom[key]
		name, ver := pnpmSplitKey(key, major)
		from := refs[name+"@"+ver]
		if from == "" {
			continue
		}
		for _, deps := range []map[string]string{pkg.Dependencies, pkg.OptionalDependencies} {
			for _, dn := range sortedKeys(deps) {
				b.edge(from, ref(dn, deps[dn]))
			}
		}
	}
	importers := lock.Importers
	if len(importers) == 0 {
		importers = map[string]pnpmImporter{".": {Dependencies: lock.Dependencies, DevDependencies: lock.DevDependencies, OptionalDependencies: lock.OptionalDependencies}}
	}
	b.knowsRoot()
	for _, id := range sortedKeys(importers) {
		imp := importers[id]
		for _, deps := range []map[string]any{imp.Dependencies, imp.OptionalDependencies} {
			for _, dn := range sortedKeys(deps) {
				b.direct(ref(dn, deps[dn]))
			}
		}
		for _, dn := range sortedKeys(imp.DevDependencies) {
			r := ref(dn, imp.DevDependencies[dn])
			b.direct(r)
			if r != "" && major >= 9 {
				b.markDev(r) // 9 dropped the per-package dev flag
			}
		}
	}
	return b.result(), nil
}

// pnpmSplitKey splits a package key into name and version, dropping the peer-dependency suffix.
func pnpmSplitKey(key string, major int) (name, version string) {
	key = strings.TrimPrefix(key, "/")
	if major < 6 {
		// 5.x: "name/1.2.3" or "@scope/name/1.2.3_peer@1.0.0".
		i := strings.LastIndexByte(key, '/')
		if i <= 0 {
			return "", ""
		}
		name, version = key[:i], key[i+1:]
		if j := strings.IndexByte(version, '_'); j >= 0 {
			version = version[:j]
		}
		return name, version
	}
	key = pnpmStripPeers(key)
	i := strings.LastIndexByte(key, '@')
	if i <= 0 {
		return "", ""
	}
	return key[:i], key[i+1:]
}

// pnpmStripPeers removes a "(peer@1.0.0)(other@2.0.0)" suffix.
func pnpmStripPeers(s string) string {
	if i := strings.IndexByte(s, '('); i >= 0 {
		s = s[:i]
	}
	return s
}
