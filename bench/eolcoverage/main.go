// Command eolcoverage measures how well end-of-life matching covers real inventories: of the
// components that endoflife.date has a product for, the share the matcher assigns to that product
// and one of its release cycles. It prints the share per SBOM and in total, and every miss.
//
//	go run ./bench/eolcoverage -eol ../shared/data/endoflife a.cdx.json b.cdx.json
//
// "Has a product for" is decided independently of the matcher's rules, by name: the component's
// name (or its distribution source package's name, either without a version suffix) equals a
// product's slug, the name of one of its package-URL identifiers, the product part of one of its
// CPEs, or one of its repology names (with the ecosystem prefix removed). A name listed in
// -ignore (product=name or product=purltype/name,...) is a different project that shares a product's name; -alias
// (name=product,...) names a product for a name the rules above get wrong.
package main

import (
	"cmp"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/health"
	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/purl"
	"github.com/siegel-oss/siegel/internal/sbom"
)

func main() {
	eol := flag.String("eol", "../shared/data/endoflife", "endoflife.date snapshot (folder)")
	ignore := flag.String("ignore", "", "comma-separated product=name pairs that name different projects")
	alias := flag.String("alias", "", "comma-separated name=product pairs: names that belong to a product no name rule finds")
	flag.Parse()
	if err := run(*eol, *ignore, *alias, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "eolcoverage:", err)
		os.Exit(1)
	}
}

func run(eolDir, ignore, alias string, files []string) error {
	ps, date, err := health.ImportEndOfLife(nil, eolDir, time.Now().UTC(), nil)
	if err != nil {
		return err
	}
	data := &health.Data{Products: ps}
	data.Index()
	names := map[string]string{} // name -> product
	add := func(n, p string) {
		n = strings.ToLower(strings.TrimSpace(n))
		if n != "" && names[n] == "" {
			names[n] = p
		}
	}
	for _, p := range ps {
		add(p.Name, p.Name)
		for _, r := range p.Repology {
			if _, after, ok := strings.Cut(r, ":"); ok {
				r = after
			}
			add(r, p.Name)
		}
		for _, u := range p.PURLs {
			if pu, err := purl.Parse(u); err == nil {
				add(qualifiedName(pu.Type, pu.Namespace, pu.Name), p.Name)
			}
		}
		for _, c := range p.CPEs {
			f := strings.Split(strings.TrimPrefix(strings.TrimPrefix(c, "cpe:2.3:"), "cpe:/"), ":")
			if len(f) >= 3 {
				add(f[2], p.Name)
			}
		}
	}
	ignored := map[string]bool{}
	for _, pair := range strings.Split(ignore, ",") {
		if pair != "" {
			ignored[pair] = true
		}
	}
	for _, pair := range strings.Split(alias, ",") {
		if n, p, ok := strings.Cut(pair, "="); ok {
			names[n] = p
		}
	}
	now := time.Now().UTC()
	var totalCovered, totalMatched int
	fmt.Printf("endoflife.date snapshot: %d products, data of %s\n", len(ps), date.Format(time.DateOnly))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		doc, err := sbom.Decode(f, b, input.DefaultLimits())
		if err != nil {
			return err
		}
		cs := health.FromSBOM(doc)
		covered, matched, predating := 0, 0, 0
		var misses []string
		for _, c := range cs {
			if v := c.Version; v == "0" || v == "0.0.0-0" || v == "" {
				continue // not a released version (osvsbom takes versions from OSV events)
			}
			product := ""
			typ, _, _ := strings.Cut(strings.TrimPrefix(c.PURL, "pkg:"), "/")
			for _, n := range candidateNames(c) {
				if p := names[n]; p != "" && !ignored[p+"="+n] && !ignored[p+"="+typ+"/"+n] {
					product = p
					break
				}
			}
			if product == "" {
				continue
			}
			covered++
			r := data.Check(c, health.Options{Now: now})
			v := r.Verdicts[0]
			if v.Product == product && v.Cycle != "" {
				matched++
				continue
			}
			if v.Product == product && v.Kind == health.EndOfLife {
				matched++
				predating++
				continue
			}
			why := "no product matched"
			switch {
			case v.Product != "" && v.Cycle == "":
				why = "product matched, no release cycle for the version"
			case v.Product != "":
				why = "matched another product: " + v.Product
			}
			misses = append(misses, fmt.Sprintf("  %s %s (%s): %s", cmp.Or(c.PURL, c.Name), c.Version, product, why))
		}
		slices.Sort(misses)
		fmt.Printf("%s: %d components, %d covered by endoflife.date, %d matched (%s; %d of them older than every listed cycle)\n",
			f, len(cs), covered, matched, share(matched, covered), predating)
		for _, m := range misses {
			fmt.Println(m)
		}
		totalCovered += covered
		totalMatched += matched
	}
	fmt.Printf("total: %d covered, %d matched (%s)\n", totalCovered, totalMatched, share(totalMatched, totalCovered))
	return nil
}

// candidateNames are the names a component is known by: its package name, its distribution
// source package, each also without a version suffix.
func candidateNames(c health.Component) []string {
	var out []string
	name := strings.ToLower(c.Name)
	if pu, err := purl.Parse(c.PURL); err == nil && c.PURL != "" {
		name = strings.ToLower(qualifiedName(pu.Type, pu.Namespace, pu.Name))
	}
	distro := strings.HasPrefix(c.PURL, "pkg:deb/") || strings.HasPrefix(c.PURL, "pkg:rpm/") || strings.HasPrefix(c.PURL, "pkg:apk/")
	for _, n := range []string{name, strings.ToLower(c.Properties["siegel:source-package"])} {
		if n == "" {
			continue
		}
		out = append(out, n)
		if distro {
			out = append(out, strings.TrimRight(strings.TrimRight(n, "0123456789."), "-_"))
		}
	}
	return out
}

func share(a, b int) string {
	if b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(a)/float64(b))
}

// qualifiedName is a package's name as its ecosystem spells it in full: with the namespace
// for language ecosystems whose namespace is part of the name (npm scopes, Go module paths,
// Maven groups, Composer vendors), without it for distributions (where it names the distro).
func qualifiedName(typ, ns, name string) string {
	switch typ {
	case "npm", "golang", "maven", "composer", "nuget", "github":
		if ns != "" {
			return ns + "/" + name
		}
	}
	return name
}
