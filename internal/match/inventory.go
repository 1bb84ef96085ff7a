package match

import (
	"math"
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

// compact returns the packages in one slice of their exact length, their strings moved into one
// block, shared where one is part of another (a name or version inside the purl). The packages
// were made one at a time among a decoder's short-lived data; packed together, they do not keep
// the memory that data occupied in use for the rest of a scan.
func compact(chunks [][]Package) []Package {
	n := 0
	for _, c := range chunks {
		n += len(c)
	}
	out := make([]Package, 0, n)
	for _, c := range chunks {
		out = append(out, c...)
	}
	size := 0
	for i := range out {
		p := &out[i]
		size += len(p.PURL) + len(p.Ref) + len(p.Name) + len(p.Version) + len(p.Lookup) + len(p.Commit)
	}
	if size > math.MaxInt32 {
		return out // the offsets below are 32-bit; inputs are far smaller
	}
	var b strings.Builder
	b.Grow(size)
	// Each field's place in the block, as (offset, length) pairs, six per package.
	const fields = 6
	at := make([]int32, 0, 2*fields*len(out))
	ecosystems := map[string]string{}
	for i := range out {
		p := &out[i]
		purlAt := b.Len()
		b.WriteString(p.PURL)
		at = append(at, int32(purlAt), int32(len(p.PURL)))
		put := func(s string, also ...string) {
			for _, in := range also {
				if j := strings.Index(in, s); j >= 0 && s != "" {
					at = append(at, int32(-1-j), int32(len(s))) // inside the purl
					return
				}
			}
			at = append(at, int32(b.Len()), int32(len(s)))
			b.WriteString(s)
		}
		put(p.Ref, p.PURL)
		put(p.Name, p.PURL)
		put(p.Version, p.PURL)
		put(p.Lookup, p.PURL)
		put(p.Commit)
		if e, ok := ecosystems[p.Ecosystem]; ok {
			p.Ecosystem = e
		} else {
			ecosystems[p.Ecosystem] = p.Ecosystem
		}
	}
	block := b.String()
	for i := range out {
		p := &out[i]
		a := at[2*fields*i : 2*fields*(i+1)]
		p.PURL = block[a[0] : a[0]+a[1]]
		str := func(k int) string {
			off, n := int(a[2*k]), int(a[2*k+1])
			if off < 0 {
				off = int(a[0]) - 1 - off // an offset into the purl
			}
			return block[off : off+n]
		}
		p.Ref, p.Name, p.Version, p.Lookup, p.Commit = str(1), str(2), str(3), str(4), str(5)
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
