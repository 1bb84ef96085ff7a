// Command osvsbom writes a CycloneDX SBOM of -n components whose packages and versions are taken
// from an OSV database in the osv.dev layout, so that a scan of it finds real vulnerabilities:
//
//	go run ./bench/osvsbom -osv ../shared/data/osv -n 18000 > bom.cdx.json
//
// Several versions of each package are used (from the records' events); components beyond what
// the records supply are packages no record names, as in a real product most components are.
//
// With -shape heavy, every component is a package version that records affect, the most
// affected first (about ten vulnerabilities per component on the osv.dev data): the shape of a
// large distribution image, or of a monorepo lockfile holding many versions of a package.
//
//	go run ./bench/osvsbom -osv ../shared/data/osv -n 20000 -shape heavy > heavy.cdx.json
package main

import (
	"archive/zip"
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/purl"
	"github.com/siegel-oss/siegel/internal/sbom"
	"github.com/siegel-oss/siegel/internal/version"
	"github.com/siegel-oss/siegel/internal/vulndb"
)

// purlTypes maps the OSV ecosystems used to purl types.
var purlTypes = map[string]string{"Go": "golang", "PyPI": "pypi", "crates.io": "cargo"}

func main() {
	dir := flag.String("osv", "../shared/data/osv", "OSV directory in the osv.dev layout")
	n := flag.Int("n", 18000, "number of components")
	perPackage := flag.Int("versions", 4, "versions per package at most (light shape)")
	shape := flag.String("shape", "light", "light: a few versions of every named package, then unaffected packages; heavy: the most affected package versions")
	flag.Parse()
	if *shape != "light" && *shape != "heavy" {
		fmt.Fprintln(os.Stderr, "osvsbom: -shape must be light or heavy")
		os.Exit(2)
	}
	if err := run(*dir, *n, *perPackage, *shape == "heavy"); err != nil {
		fmt.Fprintln(os.Stderr, "osvsbom:", err)
		os.Exit(1)
	}
}

func run(dir string, n, perPackage int, heavy bool) error {
	versions := map[[2]string]map[string]bool{}   // (ecosystem, name) -> versions
	entries := map[[2]string][]version.Affected{} // (ecosystem, name) -> the entries naming it (heavy shape)
	for eco := range purlTypes {
		zr, err := zip.OpenReader(filepath.Join(dir, eco, "all.zip"))
		if err != nil {
			return err
		}
		for _, f := range zr.File {
			rc, err := f.Open()
			if err != nil {
				return err
			}
			data, err := io.ReadAll(io.LimitReader(rc, 16<<20))
			rc.Close()
			if err != nil {
				return err
			}
			r, err := vulndb.ParseRecord(f.Name, data)
			if err != nil {
				continue
			}
			for _, a := range r.Affected {
				if a.Package.Ecosystem != eco || a.Package.Name == "" {
					continue
				}
				k := [2]string{eco, a.Package.Name}
				if versions[k] == nil {
					versions[k] = map[string]bool{}
				}
				for _, rg := range a.Ranges {
					if rg.Type == "GIT" {
						continue // commits, not versions
					}
					for _, e := range rg.Events {
						for _, v := range []string{e.Introduced, e.Fixed, e.LastAffected} {
							if v != "" && v != "0" {
								versions[k][v] = true
							}
						}
					}
				}
				for _, v := range a.Versions {
					versions[k][v] = true
				}
				if heavy {
					entries[k] = append(entries[k], version.Affected{Ecosystem: eco, Ranges: a.Ranges, Versions: a.Versions})
				}
			}
		}
		zr.Close()
	}
	keys := make([][2]string, 0, len(versions))
	for k := range versions {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [2]string) int { return strings.Compare(a[0]+"/"+a[1], b[0]+"/"+b[1]) })
	doc := &sbom.Document{Format: sbom.CycloneDXJSON, SpecVersion: "1.6", Name: "benchmark-product",
		Created: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Subject: "product"}
	doc.Components = append(doc.Components, sbom.Component{Ref: "product", Type: "application", Name: "benchmark-product", Version: "1.0.0"})
	add := func(eco, name, v string) {
		if eco == "Go" && !strings.HasPrefix(v, "v") {
			v = "v" + v
		}
		var p string
		switch eco {
		case "Go":
			p = purl.Golang(name, v)
		case "PyPI":
			p = purl.PyPI(name, v)
		default:
			p = purl.New(purlTypes[eco], "", name, v)
		}
		doc.Components = append(doc.Components, sbom.Component{Ref: p, Type: "library", Name: name, Version: v, PURL: p})
	}
	if heavy {
		for _, c := range mostAffected(keys, versions, entries, n) {
			add(c.key[0], c.key[1], c.version)
		}
	}
	for _, k := range keys {
		if heavy {
			break
		}
		vs := slices.Sorted(func(yield func(string) bool) {
			for v := range versions[k] {
				if !yield(v) {
					return
				}
			}
		})
		for i, v := range vs {
			if i >= perPackage || len(doc.Components) > n {
				break
			}
			add(k[0], k[1], v)
		}
	}
	for i := 0; len(doc.Components) <= n; i++ {
		add("PyPI", "benchmark-unaffected-"+strconv.Itoa(i), "1.0."+strconv.Itoa(i%50))
	}
	if heavy && len(doc.Components) <= n {
		return fmt.Errorf("the records affect only %d package versions, fewer than %d", len(doc.Components)-1, n)
	}
	w := bufio.NewWriter(os.Stdout)
	if err := sbom.Write(w, doc, sbom.CycloneDXJSON); err != nil {
		return err
	}
	return w.Flush()
}

// candidate is a package version and how many affected entries contain it.
type candidate struct {
	key      [2]string
	version  string
	affected int
}

// mostAffected returns the n package versions that the most entries affect, most affected
// first, ties in package and version order. Entries are counted rather than vulnerabilities
// (an advisory and its aliases in other databases count apart): what a scan merges is its own
// business, the SBOM only has to be heavy.
func mostAffected(keys [][2]string, versions map[[2]string]map[string]bool, entries map[[2]string][]version.Affected, n int) []candidate {
	cache := version.NewParseCache()
	var cs []candidate
	for _, k := range keys {
		for v := range versions[k] {
			c := candidate{key: k, version: v}
			for i := range entries[k] {
				a := entries[k][i]
				a.Cache = cache
				if ok, _ := a.Affects(version.Target{Version: v}); ok {
					c.affected++
				}
			}
			if c.affected > 0 {
				cs = append(cs, c)
			}
		}
	}
	slices.SortFunc(cs, func(a, b candidate) int {
		if a.affected != b.affected {
			return b.affected - a.affected
		}
		if r := strings.Compare(a.key[0]+"/"+a.key[1], b.key[0]+"/"+b.key[1]); r != 0 {
			return r
		}
		return strings.Compare(a.version, b.version)
	})
	return cs[:min(n, len(cs))]
}
