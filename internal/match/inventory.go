package match

import (
	"strings"

	"github.com/siegel-oss/siegel/internal/extract"
	"github.com/siegel-oss/siegel/internal/purl"
	"github.com/siegel-oss/siegel/internal/sbom"
	"github.com/siegel-oss/siegel/internal/vulndb"
)

// Packages maps the components of a document to packages; those without a known ecosystem are
// returned separately.
func Packages(doc *sbom.Document) (pkgs, unknown []Package) {
	var inv Inventory
	for _, c := range doc.Components {
		inv.Add(c)
	}
	return inv.Done(doc)
}

// Inventory collects the packages of components handed over one at a time, as sbom.DecodeEach
// does, so that the document's components need not be held.
type Inventory struct {
	chunks  [][]Package // filled one after the other: no slice of all packages is regrown
	unknown []Package
}

// inventoryChunk is how many packages an Inventory allocates at a time.
const inventoryChunk = 1024

// compact returns the packages in one slice of their exact length, each package's strings copied
// into one block of its own, shared where one is part of the purl (the name, the version, a
// bom-ref that is the purl). The packages were made one at a time among a decoder's short-lived
// data; packed together, they do not keep the memory that data occupied in use for the rest of a
// scan.
func compact(chunks [][]Package) []Package {
	n := 0
	for _, c := range chunks {
		n += len(c)
	}
	out := make([]Package, 0, n)
	for _, c := range chunks {
		out = append(out, c...)
	}
	ecosystems := map[string]string{}
	for i := range out {
		p := &out[i]
		fields := [...]*string{&p.Ref, &p.Name, &p.Version, &p.Lookup, &p.Commit}
		var at [len(fields)]int // each field's offset in the block; -1 while not yet placed
		size := len(p.PURL)
		for k, f := range fields {
			if at[k] = strings.Index(p.PURL, *f); at[k] < 0 || *f == "" {
				at[k] = -1
				size += len(*f)
			}
		}
		var b strings.Builder
		b.Grow(size)
		b.WriteString(p.PURL)
		for k, f := range fields {
			if at[k] < 0 {
				at[k] = b.Len()
				b.WriteString(*f)
			}
		}
		block := b.String()
		p.PURL = block[:len(p.PURL)]
		for k, f := range fields {
			*f = block[at[k] : at[k]+len(*f)]
		}
		if e, ok := ecosystems[p.Ecosystem]; ok {
			p.Ecosystem = e
		} else {
			ecosystems[p.Ecosystem] = p.Ecosystem
		}
	}
	return out
}

// PackageOf maps a component to its OSV ecosystem and lookup name by its purl. Debian and
// Ubuntu packages are looked up by source package: their vulnerability data is keyed by it.
func PackageOf(c sbom.Component) (Package, bool) {
	p := Package{Ref: c.Ref, Name: c.Name, Version: c.Version, PURL: c.PURL}
	for _, pr := range c.Properties {
		if pr.Name == extract.PropVCSRevision {
			p.Commit = pr.Value
		}
	}
	if c.PURL == "" {
		return p, false
	}
	u, err := purl.Parse(c.PURL)
	if err != nil {
		return p, false
	}
	q := u.Qualifiers.Map()
	name := u.Name
	if u.Namespace != "" {
		name = u.Namespace + "/" + u.Name
	}
	if p.Version == "" {
		p.Version = u.Version
	}
	release := ""
	switch u.Type {
	case "golang":
		p.Ecosystem = "Go"
	case "npm":
		p.Ecosystem = "npm"
	case "pypi":
		p.Ecosystem = "PyPI"
	case "maven":
		p.Ecosystem, name = "Maven", u.Namespace+":"+u.Name
	case "cargo":
		p.Ecosystem = "crates.io"
	case "gem":
		p.Ecosystem = "RubyGems"
	case "composer":
		p.Ecosystem = "Packagist"
	case "nuget":
		p.Ecosystem = "NuGet"
	case "hex":
		p.Ecosystem = "Hex"
	case "pub":
		p.Ecosystem = "Pub"
	case "swift":
		p.Ecosystem = "SwiftURL"
	case "cran":
		p.Ecosystem = "CRAN"
	case "hackage":
		p.Ecosystem = "Hackage"
	case "bitnami":
		p.Ecosystem = "Bitnami"
	case "deb":
		p.Ecosystem = map[string]string{"debian": "Debian", "ubuntu": "Ubuntu"}[u.Namespace]
		name = u.Name
		for _, pr := range c.Properties {
			if pr.Name == extract.PropSourcePackage && pr.Value != "" {
				name = pr.Value
			}
		}
		for _, pr := range c.Properties {
			if pr.Name == extract.PropSourceVersion && pr.Value != "" {
				p.Version = pr.Value
			}
		}
		_, release, _ = strings.Cut(q["distro"], "-")
	case "apk":
		p.Ecosystem = map[string]string{"alpine": "Alpine", "wolfi": "Wolfi", "chainguard": "Chainguard"}[u.Namespace]
		name = u.Name
		if parts := strings.Split(q["distro"], "."); len(parts) >= 2 && p.Ecosystem == "Alpine" {
			release = "v" + parts[0] + "." + parts[1]
		}
	case "rpm":
		p.Ecosystem = map[string]string{"redhat": "Red Hat", "almalinux": "AlmaLinux", "rocky": "Rocky Linux",
			"suse": "SUSE", "opensuse": "openSUSE", "mageia": "Mageia", "azurelinux": "Azure Linux"}[u.Namespace]
		name = u.Name
		if _, v, ok := strings.Cut(q["distro"], "-"); ok {
			release, _, _ = strings.Cut(v, ".")
		}
		if e := q["epoch"]; e != "" && !strings.Contains(p.Version, ":") {
			p.Version = e + ":" + p.Version
		}
	}
	if p.Ecosystem == "" {
		return p, false
	}
	if release != "" {
		p.Ecosystem += ":" + release
	}
	p.Lookup = vulndb.PackageKey(p.Ecosystem, name).Name
	if p.Lookup == p.Name {
		p.Lookup = p.Name // one string, not two, for the common case
	}
	return p, true
}
