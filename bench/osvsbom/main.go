// Command osvsbom writes a CycloneDX SBOM of -n components whose packages and versions are taken
// from an OSV database in the osv.dev layout, so that a scan of it finds real vulnerabilities:
//
//	go run ./bench/osvsbom -osv ../shared/data/osv -n 18000 > bom.cdx.json
//
// Several versions of each package are used (from the records' events); components beyond what
// the records supply are packages no record names, as in a real product most components are.
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
	"github.com/siegel-oss/siegel/internal/vulndb"
)

// purlTypes maps the OSV ecosystems used to purl types.
var purlTypes = map[string]string{"Go": "golang", "PyPI": "pypi", "crates.io": "cargo"}

func main() {
	dir := flag.String("osv", "../shared/data/osv", "OSV directory in the osv.dev layout")
	n := flag.Int("n", 18000, "number of components")
	perPackage := flag.Int("versions", 4, "versions per package at most")
	flag.Parse()
	if err := run(*dir, *n, *perPackage); err != nil {
		fmt.Fprintln(os.Stderr, "osvsbom:", err)
		os.Exit(1)
	}
}

func run(dir string, n, perPackage int) error {
	versions := map[[2]string]map[string]bool{} // (ecosystem, name) -> versions
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
	for _, k := range keys {
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
	w := bufio.NewWriter(os.Stdout)
	if err := sbom.Write(w, doc, sbom.CycloneDXJSON); err != nil {
		return err
	}
	return w.Flush()
}
