// Command osvcompare compares the findings of `siegel scan --format json` with those of
// `osv-scanner --format json` on the same SBOM, at the level both report: (package, version,
// OSV record id). It prints the counts and the pairs only one of them reports.
//
//	go run ./bench/osvcompare siegel.json osv-scanner.json [OSV-DIR]
//
// With OSV-DIR (the osv.dev layout both scanners read), each difference is classified by its
// cause, as far as a known cause applies.
package main

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

func main() {
	if len(os.Args) != 3 && len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: osvcompare SIEGEL.json OSV-SCANNER.json [OSV-DIR]")
		os.Exit(2)
	}
	s, err := siegelPairs(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "osvcompare:", err)
		os.Exit(1)
	}
	o, err := osvScannerPairs(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, "osvcompare:", err)
		os.Exit(1)
	}
	var both, onlyS, onlyO []string
	for k := range s {
		if o[k] {
			both = append(both, k)
		} else {
			onlyS = append(onlyS, k)
		}
	}
	for k := range o {
		if !s[k] {
			onlyO = append(onlyO, k)
		}
	}
	slices.Sort(onlyS)
	slices.Sort(onlyO)
	fmt.Printf("(package, version, record) pairs: siegel %d, osv-scanner %d, both %d, only siegel %d, only osv-scanner %d\n",
		len(s), len(o), len(both), len(onlyS), len(onlyO))
	show := func(title string, list []string) {
		if len(list) == 0 {
			return
		}
		fmt.Println(title)
		for i, k := range list {
			if i == 25 && os.Getenv("OSVCOMPARE_ALL") == "" {
				fmt.Printf("  ... %d more\n", len(list)-25)
				break
			}
			fmt.Println("  " + k)
		}
	}
	show("only siegel:", onlyS)
	show("only osv-scanner:", onlyO)
	if len(os.Args) == 4 {
		for title, list := range map[string][]string{"only siegel": onlyS, "only osv-scanner": onlyO} {
			causes := map[string]int{}
			for _, k := range list {
				causes[classify(os.Args[3], k)]++
			}
			for _, c := range slices.Sorted(func(yield func(string) bool) {
				for c := range causes {
					if !yield(c) {
						return
					}
				}
			}) {
				fmt.Printf("%s: %d: %s\n", title, causes[c], c)
			}
		}
	}
}

var zips = map[string]*zip.ReadCloser{}

// classify names the known cause of a difference (ecosystem name version record).
func classify(dir, k string) string {
	f := strings.Fields(k)
	eco, name, id := f[0], f[1], f[3]
	zr, ok := zips[eco]
	if !ok {
		var err error
		if zr, err = zip.OpenReader(filepath.Join(dir, eco, "all.zip")); err != nil {
			return "record not found"
		}
		zips[eco] = zr
	}
	rc, err := zr.Open(id + ".json")
	if err != nil {
		return "record not found"
	}
	data, _ := io.ReadAll(rc)
	rc.Close()
	var rec struct {
		Affected []struct {
			Package struct{ Name string }   `json:"package"`
			Ranges  []struct{ Type string } `json:"ranges"`
		} `json:"affected"`
	}
	json.Unmarshal(data, &rec)
	for _, a := range rec.Affected {
		if strings.EqualFold(a.Package.Name, name) && a.Package.Name != name {
			return "the record spells the module path with capitals; the SBOM's purl is lower case (purl rules): osv-scanner compares names case-sensitively"
		}
	}
	for _, a := range rec.Affected {
		if eco == "PyPI" && pep503(a.Package.Name) == pep503(name) && (a.Package.Name != name || pep503(name) != name) {
			return "the record names the distribution in another spelling (" + a.Package.Name + "); PEP 503 makes them one name, osv-scanner does not"
		}
	}
	for _, a := range rec.Affected {
		if len(a.Ranges) > 1 && a.Ranges[0].Type == "GIT" {
			return "a GIT range precedes the ECOSYSTEM/SEMVER range: osv-scanner does not evaluate the later range"
		}
	}
	return "unexplained"
}

func key(eco, name, version, id string) string {
	if eco == "Go" {
		version = strings.TrimPrefix(version, "v")
	}
	return eco + " " + strings.ToLower(name) + " " + version + " " + id
}

func siegelPairs(path string) (map[string]bool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var res struct {
		Findings []struct {
			Records []string `json:"records"`
			Package struct {
				Name      string `json:"name"`
				Version   string `json:"version"`
				Ecosystem string `json:"ecosystem"`
			} `json:"package"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(data, &res); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := map[string]bool{}
	for _, f := range res.Findings {
		for _, r := range f.Records {
			out[key(f.Package.Ecosystem, f.Package.Name, f.Package.Version, r)] = true
		}
	}
	return out, nil
}

func osvScannerPairs(path string) (map[string]bool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var res struct {
		Results []struct {
			Packages []struct {
				Package struct {
					Name      string `json:"name"`
					Version   string `json:"version"`
					Ecosystem string `json:"ecosystem"`
				} `json:"package"`
				Vulnerabilities []struct {
					ID string `json:"id"`
				} `json:"vulnerabilities"`
			} `json:"packages"`
		} `json:"results"`
	}
	if err := json.Unmarshal(data, &res); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := map[string]bool{}
	for _, r := range res.Results {
		for _, p := range r.Packages {
			for _, v := range p.Vulnerabilities {
				out[key(p.Package.Ecosystem, p.Package.Name, p.Package.Version, v.ID)] = true
			}
		}
	}
	return out, nil
}

func pep503(s string) string {
	s = strings.ToLower(s)
	return strings.NewReplacer("_", "-", ".", "-").Replace(s)
}
