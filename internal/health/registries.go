package health

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// Registries names where package status is read from; each field is a registry's base URL or a
// local folder in that registry's layout. Empty fields are skipped.
//
// Folder layouts: GoProxy a module download cache (GOMODCACHE/cache/download: MODULE/@v/V.mod
// and V.info, module paths escaped as the proxy escapes them); NPM one registry document per
// package (NAME.json, scoped @SCOPE/NAME.json); Crates one crates.io API response per crate
// (NAME.json) or the crates.io index layout (1/a, 2/ab, 3/a/abc, ab/cd/abcd); PyPI one JSON API
// document or JSON simple-index page per project (NAME.json, NAME normalized).
type Registries struct {
	GoProxy, NPM, Crates, PyPI string
}

// LiveRegistries are the public registries.
func LiveRegistries() Registries {
	return Registries{GoProxy: "https://proxy.golang.org", NPM: "https://registry.npmjs.org",
		Crates: "https://crates.io", PyPI: "https://pypi.org"}
}

// maxPackagesPerImport bounds the packages one import reads from a folder.
const maxPackagesPerImport = 1_000_000

// ImportPackages reads the registry status of packages. For a registry given as a URL it fetches
// each package of purls of that registry's type (version-less or not); for a folder it reads the
// packages of purls found there, or, when purls is empty, every package in the folder. A
// package a registry does not know is skipped; other failures are returned together (one per
// package), after everything readable was read. DataDate is now for fetched documents and the
// file's modification time for documents read from a folder.
func ImportPackages(ctx context.Context, reg Registries, purls []string, now time.Time, hc *http.Client, log *slog.Logger) ([]*Package, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	wanted := map[string][]string{} // purl type -> names (namespace/name)
	seen := map[string]bool{}
	for _, s := range purls {
		k, ok := purlKey(s)
		if !ok || seen[k] {
			continue
		}
		seen[k] = true
		typ, name, _ := strings.Cut(k, "/")
		wanted[typ] = append(wanted[typ], name)
	}
	var out []*Package
	var errs []error
	for _, r := range []struct {
		typ, src string
		fetch    func(ctx context.Context, hc *http.Client, base, name string, now time.Time) (*Package, error)
		dir      func(dir, name string) (*Package, error)
		all      func(dir string) ([]string, error)
	}{
		{"golang", reg.GoProxy, fetchGo, readGoDir, listGoDir},
		{"npm", reg.NPM, fetchNPM, readNPMDir, listJSONDir},
		{"cargo", reg.Crates, fetchCrate, readCrateDir, listJSONDir},
		{"pypi", reg.PyPI, fetchPyPI, readPyPIDir, listJSONDir},
	} {
		if r.src == "" {
			continue
		}
		names := wanted[r.typ]
		if !isURL(r.src) && len(purls) == 0 {
			var err error
			if names, err = r.all(r.src); err != nil {
				errs = append(errs, fmt.Errorf("%s registry folder %s: %w", r.typ, r.src, err))
				continue
			}
		}
		n := 0
		for _, name := range names {
			if err := ctx.Err(); err != nil {
				return out, err
			}
			var p *Package
			var err error
			if isURL(r.src) {
				p, err = r.fetch(ctx, hc, strings.TrimRight(r.src, "/"), name, now)
			} else {
				p, err = r.dir(r.src, name)
			}
			switch {
			case errors.Is(err, ErrNotFound) || errors.Is(err, fs.ErrNotExist):
				continue
			case err != nil:
				errs = append(errs, err)
				continue
			}
			if k, ok := PackageKey(p.PURL); ok {
				p.PURL = k
			}
			out = append(out, p)
			n++
		}
		log.Info("loaded registry status", "registry", r.typ, "from", r.src, "packages", n)
	}
	return out, errors.Join(errs...)
}

func readBody(ctx context.Context, hc *http.Client, u, accept string) ([]byte, error) {
	body, err := fetch(ctx, hc, u, accept)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	b, err := io.ReadAll(body)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", u, err)
	}
	return b, nil
}

func readFile(p string) ([]byte, time.Time, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, time.Time{}, err
	}
	if fi.Size() > maxRegistryDoc {
		return nil, time.Time{}, fmt.Errorf("%s: larger than %d bytes", p, maxRegistryDoc)
	}
	b, err := os.ReadFile(p)
	return b, fi.ModTime().UTC(), err
}

// Go module proxy.

func goModulePath(name string) string { return name } // purl namespace/name is the module path

func fetchGo(ctx context.Context, hc *http.Client, base, name string, now time.Time) (*Package, error) {
	esc, err := module.EscapePath(goModulePath(name))
	if err != nil {
		return nil, fmt.Errorf("Go module %s: %w", name, err)
	}
	latest, err := readBody(ctx, hc, base+"/"+esc+"/@latest", "")
	if err != nil {
		return nil, err
	}
	v, t, err := ParseGoInfo(base+"/"+esc+"/@latest", latest)
	if err != nil {
		return nil, err
	}
	ev, err := module.EscapeVersion(v)
	if err != nil {
		return nil, err
	}
	u := base + "/" + esc + "/@v/" + ev + ".mod"
	mod, err := readBody(ctx, hc, u, "")
	if err != nil {
		return nil, err
	}
	p, err := ParseGoMod(u, mod, t)
	if err != nil {
		return nil, err
	}
	p.DataDate = now
	return p, nil
}

// readGoDir reads a module from a download cache: the newest version that has both .info and
// .mod (releases preferred over pre-releases, as the proxy's @latest does).
func readGoDir(dir, name string) (*Package, error) {
	esc, err := module.EscapePath(goModulePath(name))
	if err != nil {
		return nil, fmt.Errorf("Go module %s: %w", name, err)
	}
	vdir := filepath.Join(dir, filepath.FromSlash(esc), "@v")
	infos, err := filepath.Glob(filepath.Join(vdir, "*.info"))
	if err != nil || len(infos) == 0 {
		return nil, fs.ErrNotExist
	}
	var best, bestInfo string
	for _, f := range infos {
		ev := strings.TrimSuffix(filepath.Base(f), ".info")
		v, err := module.UnescapeVersion(ev)
		if err != nil || !semver.IsValid(v) {
			continue
		}
		if _, err := os.Stat(filepath.Join(vdir, ev+".mod")); err != nil {
			continue
		}
		if best == "" || newerGo(v, best) {
			best, bestInfo = v, f
		}
	}
	if best == "" {
		return nil, fs.ErrNotExist
	}
	ib, _, err := readFile(bestInfo)
	if err != nil {
		return nil, err
	}
	_, t, err := ParseGoInfo(bestInfo, ib)
	if err != nil {
		return nil, err
	}
	modPath := strings.TrimSuffix(bestInfo, ".info") + ".mod"
	mb, mt, err := readFile(modPath)
	if err != nil {
		return nil, err
	}
	p, err := ParseGoMod(modPath, mb, t)
	if err != nil {
		return nil, err
	}
	p.DataDate = mt
	return p, nil
}

// newerGo orders versions as the proxy's @latest does: releases above pre-releases, then semver.
func newerGo(a, b string) bool {
	pa, pb := semver.Prerelease(a) != "", semver.Prerelease(b) != ""
	if pa != pb {
		return pb
	}
	return semver.Compare(a, b) > 0
}

func listGoDir(dir string) ([]string, error) {
	var names []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() || d.Name() != "@v" {
			return nil
		}
		rel, err := filepath.Rel(dir, filepath.Dir(p))
		if err != nil {
			return err
		}
		if mp, err := module.UnescapePath(filepath.ToSlash(rel)); err == nil {
			names = append(names, mp)
		}
		if len(names) > maxPackagesPerImport {
			return fmt.Errorf("more than %d modules", maxPackagesPerImport)
		}
		return fs.SkipDir
	})
	return names, err
}

// npm.

func fetchNPM(ctx context.Context, hc *http.Client, base, name string, now time.Time) (*Package, error) {
	u := base + "/" + strings.Replace(url.PathEscape(name), "%40", "@", 1)
	b, err := readBody(ctx, hc, u, "application/json")
	if err != nil {
		return nil, err
	}
	p, err := ParseNPM(u, b)
	if err != nil {
		return nil, err
	}
	p.DataDate = now
	return p, nil
}

func readNPMDir(dir, name string) (*Package, error) {
	return readJSONDir(dir, name, ParseNPM)
}

// JSON-document folders (npm, crates.io API responses, PyPI).

func readJSONDir(dir, name string, parse func(string, []byte) (*Package, error)) (*Package, error) {
	p := filepath.Join(dir, filepath.FromSlash(name)+".json")
	b, mt, err := readFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		p = filepath.Join(dir, filepath.FromSlash(name))
		b, mt, err = readFile(p)
	}
	if err != nil {
		return nil, err
	}
	pkg, err := parse(p, b)
	if err != nil {
		return nil, err
	}
	pkg.DataDate = mt
	return pkg, nil
}

func listJSONDir(dir string) ([]string, error) {
	var names []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || filepath.Ext(p) != ".json" {
			return nil
		}
		rel, err := filepath.Rel(dir, strings.TrimSuffix(p, ".json"))
		if err != nil {
			return err
		}
		names = append(names, filepath.ToSlash(rel))
		if len(names) > maxPackagesPerImport {
			return fmt.Errorf("more than %d packages", maxPackagesPerImport)
		}
		return nil
	})
	slices.Sort(names)
	return names, err
}

// crates.io.

func fetchCrate(ctx context.Context, hc *http.Client, base, name string, now time.Time) (*Package, error) {
	u := base + "/api/v1/crates/" + url.PathEscape(name)
	b, err := readBody(ctx, hc, u, "application/json")
	if err != nil {
		return nil, err
	}
	p, err := ParseCrate(u, b)
	if err != nil {
		return nil, err
	}
	p.DataDate = now
	return p, nil
}

func readCrateDir(dir, name string) (*Package, error) {
	p, err := readJSONDir(dir, name, ParseCrate)
	if !errors.Is(err, fs.ErrNotExist) {
		return p, err
	}
	f := filepath.Join(dir, filepath.FromSlash(crateIndexPath(name)))
	b, mt, err := readFile(f)
	if err != nil {
		return nil, err
	}
	pkg, err := ParseCrate(f, b)
	if err != nil {
		return nil, err
	}
	pkg.DataDate = mt
	return pkg, nil
}

// crateIndexPath is where the crates.io index keeps a crate's file.
func crateIndexPath(name string) string {
	n := strings.ToLower(name)
	switch len(n) {
	case 0:
		return ""
	case 1:
		return "1/" + n
	case 2:
		return "2/" + n
	case 3:
		return "3/" + n[:1] + "/" + n
	}
	return n[:2] + "/" + n[2:4] + "/" + n
}

// PyPI.

func fetchPyPI(ctx context.Context, hc *http.Client, base, name string, now time.Time) (*Package, error) {
	u := base + "/pypi/" + url.PathEscape(name) + "/json"
	b, err := readBody(ctx, hc, u, "application/json")
	if err != nil {
		return nil, err
	}
	p, err := ParsePyPI(u, b)
	if err != nil {
		return nil, err
	}
	// The project status markers (PEP 792) are served by the JSON simple index.
	su := base + "/simple/" + url.PathEscape(name) + "/"
	if sb, err := readBody(ctx, hc, su, "application/vnd.pypi.simple.v1+json"); err == nil {
		if sp, err := ParsePyPI(su, sb); err == nil {
			p.Archived = p.Archived || sp.Archived
			if sp.Deprecated {
				p.Deprecated, p.DeprecationMessage = true, sp.DeprecationMessage
			}
		}
	}
	p.DataDate = now
	return p, nil
}

func readPyPIDir(dir, name string) (*Package, error) {
	return readJSONDir(dir, name, ParsePyPI)
}
