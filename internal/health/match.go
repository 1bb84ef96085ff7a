package health

import (
	"cmp"
	"strconv"
	"strings"

	"github.com/siegel-oss/siegel/internal/purl"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// index finds products and packages for components.
type index struct {
	byPURL map[string]*Product // "type/namespace/name" of an identifier
	byName map[string]*Product // repology project names, and slugs for generic components
	byCPE  map[string]*Product // "part:vendor:product"
	pkgs   map[string]*Package // "type/namespace/name"
}

// Index builds the lookup tables Check uses. Data read by Load is indexed already.
func (d *Data) Index() {
	ix := &index{byPURL: map[string]*Product{}, byCPE: map[string]*Product{}, byName: map[string]*Product{}, pkgs: map[string]*Package{}}
	for i := range d.Products {
		p := &d.Products[i]
		for _, n := range p.Repology {
			if _, dup := ix.byName[strings.ToLower(n)]; !dup {
				ix.byName[strings.ToLower(n)] = p
			}
		}
		for _, s := range p.PURLs {
			if k, ok := purlKey(s); ok {
				if _, dup := ix.byPURL[k]; !dup {
					ix.byPURL[k] = p
				}
			}
		}
		for _, s := range p.CPEs {
			if k, _, ok := cpeKey(s); ok {
				if _, dup := ix.byCPE[k]; !dup {
					ix.byCPE[k] = p
				}
			}
		}
	}
	for i := range d.Products {
		p := &d.Products[i]
		if _, dup := ix.byName["slug:"+p.Name]; !dup {
			ix.byName["slug:"+p.Name] = p
		}
	}
	for _, p := range d.Packages {
		if k, ok := purlKey(p.PURL); ok {
			ix.pkgs[k] = p
		}
	}
	d.idx = ix
}

// PackageKey is the version-less key of a package URL under which Data.Packages are stored:
// "pkg:type/namespace/name" normalized as the purl specification asks, without version,
// qualifiers and subpath.
func PackageKey(s string) (string, bool) {
	k, ok := purlKey(s)
	if !ok {
		return "", false
	}
	return "pkg:" + k, true
}

// purlKey is "type/namespace/name" of a package URL, normalized per type.
func purlKey(s string) (string, bool) {
	k, _, ok := parsePURL(s)
	return k, ok
}

// parsePURL returns the "type/namespace/name" key of a package URL, normalized per type, and its version.
func parsePURL(s string) (key, version string, ok bool) {
	if !strings.HasPrefix(s, "pkg:") {
		return "", "", false
	}
	p, err := purl.Parse(s)
	if err != nil {
		return "", "", false
	}
	typ := strings.ToLower(p.Type)
	ns, name := p.Namespace, p.Name
	switch typ {
	case "pypi":
		name = purl.NormalizePyPI(name)
	case "npm", "deb", "rpm", "apk", "alpm", "github", "generic", "docker", "oci", "cargo", "gem", "nuget", "composer", "brew":
		ns, name = strings.ToLower(ns), strings.ToLower(name)
	case "golang":
		ns = strings.ToLower(ns) // the module path's host part; the rest is case-sensitive
	}
	if ns == "" {
		return typ + "/" + name, p.Version, true
	}
	return typ + "/" + ns + "/" + name, p.Version, true
}

// cpeKey is "part:vendor:product" of a CPE 2.3 formatted string or a CPE 2.2 URI, and its version.
func cpeKey(s string) (key, version string, ok bool) {
	var f []string
	switch {
	case strings.HasPrefix(s, "cpe:2.3:"):
		f = strings.Split(s[len("cpe:2.3:"):], ":")
	case strings.HasPrefix(s, "cpe:/"):
		f = strings.Split(s[len("cpe:/"):], ":")
	default:
		return "", "", false
	}
	if len(f) < 3 || f[0] == "" || f[1] == "" || f[2] == "" {
		return "", "", false
	}
	if len(f) > 3 && f[3] != "*" && f[3] != "-" {
		version = f[3]
	}
	return strings.ToLower(f[0] + ":" + f[1] + ":" + f[2]), version, true
}

// matchCycle finds the product and release cycle of a component: by package URL first, then by
// each CPE. It returns nil when no product covers the component, and the product with a nil cycle
// when the product covers it but no cycle matches its version.
func (ix *index) matchCycle(c Component, key, version string) (*Product, *Cycle) {
	if key != "" {
		if p := ix.byPURL[key]; p != nil {
			return p, p.cycleFor(version)
		}
	}
	for _, s := range c.CPEs {
		k, v, ok := cpeKey(s)
		if !ok {
			continue
		}
		if p := ix.byCPE[k]; p != nil {
			if c.Version != "" {
				v = c.Version
			}
			return p, p.cycleFor(v)
		}
	}
	if p := ix.byProjectName(c, key); p != nil {
		return p, p.cycleFor(version)
	}
	return nil, nil
}

// aliases name the product of well-known distribution packages whose names no identifier of
// the data gives: Debian's base-files carries the Debian release as its version, and the Linux
// kernel's source package is "linux" in Debian, Ubuntu and Alpine.
var aliases = map[string]string{
	"deb/debian/base-files":     "debian",
	"source:linux":              "linux-kernel",
	"source:linux-signed-amd64": "linux-kernel",
	"source:linux-signed-arm64": "linux-kernel",
	"apk/alpine/linux-lts":      "linux-kernel",
}

func (ix *index) pkg(key string) *Package {
	if key == "" {
		return nil
	}
	return ix.pkgs[key]
}

// cycleFor returns the release cycle a version belongs to: the longest cycle name that equals the
// version or is a prefix of it ending at a separator ("1.2" covers "1.2", "1.2.7", "1.2-rc1" but
// not "1.20"). Epochs ("1:"), a leading "v" and distribution revisions after the upstream version
// are ignored. nil when no cycle matches.
func (p *Product) cycleFor(version string) *Cycle {
	v := normalizeVersion(version)
	if p.Name == "prometheus" {
		v = prometheusVersion(v)
	}
	if v == "" {
		return nil
	}
	var best *Cycle
	for i := range p.Cycles {
		cy := &p.Cycles[i]
		name := strings.ToLower(strings.TrimPrefix(cy.Name, "v"))
		if !cycleCovers(name, v) {
			continue
		}
		if best == nil || len(name) > len(strings.TrimPrefix(best.Name, "v")) {
			best = cy
		}
	}
	return best
}

func cycleCovers(cycle, v string) bool {
	if cycle == "" || !strings.HasPrefix(v, cycle) {
		return false
	}
	if len(v) == len(cycle) {
		return true
	}
	next := v[len(cycle)]
	last := cycle[len(cycle)-1]
	// A digit may not continue a number ("1.2" does not cover "1.20"); a letter may not continue a
	// word ("jessie" does not cover "jessiex").
	if isDigit(last) && isDigit(next) || isLetter(last) && isLetter(next) {
		return false
	}
	return true
}

func isDigit(b byte) bool  { return b >= '0' && b <= '9' }
func isLetter(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }

// normalizeVersion lower-cases a version and drops an epoch and a leading "v".
func normalizeVersion(v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	if i := strings.IndexByte(v, ':'); i > 0 && allDigits(v[:i]) {
		v = v[i+1:]
	}
	if len(v) > 1 && v[0] == 'v' && isDigit(v[1]) {
		v = v[1:]
	}
	return v
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

// retracted reports the Go retraction covering version, if any.
func retracted(rs []Retraction, version string) (Retraction, bool) {
	if len(rs) == 0 || !semver.IsValid(version) {
		return Retraction{}, false
	}
	for _, r := range rs {
		if semver.Compare(version, r.Low) >= 0 && semver.Compare(version, r.High) <= 0 {
			return r, true
		}
	}
	return Retraction{}, false
}

// languageAliases name products published in a language registry under their own name that no
// identifier of the data gives. A registry package that merely shares a product's name (the
// Rust crate "openssl" binds the library; PyPI's "redis" is a client) is deliberately absent.
var languageAliases = map[string]string{
	"pypi/ansible":      "ansible",
	"pypi/ansible-core": "ansible-core",
	"pypi/dbt-core":     "dbt-core",
	"pypi/salt":         "salt",
	"pypi/plone":        "plone",
	"pypi/duckdb":       "duckdb",
	"npm/duckdb":        "duckdb",
}

// distroTypes are the purl types of distribution packages, whose names (and source package
// names) are matched against repology project names.
var distroTypes = map[string]bool{"deb": true, "rpm": true, "apk": true, "alpm": true, "generic": true, "opkg": true, "": true}

// repologyPrefix is the prefix repology gives the projects of a language ecosystem
// ("python:django", "js:express", "go:github-gorilla-mux").
var repologyPrefix = map[string][]string{"pypi": {"python:"}, "npm": {"js:", "node:"}, "gem": {"ruby:"},
	"composer": {"php:"}, "golang": {"go:"}, "hackage": {"haskell:"}}

// byProjectName matches a component that no identifier names by repology project name: a
// distribution package (or a component without purl, such as one found in firmware) by its own
// name, its source package's name and those names without a version suffix ("python3.11",
// "postgresql-15" are python, postgresql), a generic component also by the product's slug, and a
// language package by repology's ecosystem-prefixed name.
func (ix *index) byProjectName(c Component, key string) *Product {
	typ, rest, _ := strings.Cut(key, "/")
	name := rest
	if i := strings.LastIndexByte(rest, '/'); i >= 0 {
		name = rest[i+1:]
	}
	if key == "" {
		name = strings.ToLower(c.Name)
	}
	if slug := languageAliases[key]; slug != "" {
		return ix.bySlug(slug)
	}
	if prefixes, ok := repologyPrefix[typ]; ok {
		n := name
		if typ == "golang" && strings.HasPrefix(rest, "github.com/") {
			n = "github-" + strings.ReplaceAll(strings.TrimPrefix(rest, "github.com/"), "/", "-")
		}
		for _, pre := range prefixes {
			if p := ix.byName[pre+n]; p != nil {
				return p
			}
		}
		return nil
	}
	if !distroTypes[typ] || name == "" {
		return nil
	}
	src := strings.ToLower(c.Properties[propSourcePackage])
	if p := ix.bySlug(aliases[key]); p != nil {
		return p
	}
	if p := ix.bySlug(aliases["source:"+cmp.Or(src, name)]); p != nil {
		return p
	}
	if src != "" && src != name {
		// An identifier may name the source package ("pkg:deb/debian/libonig" for libonig5).
		if p := ix.byPURL[strings.TrimSuffix(key, name)+src]; p != nil {
			return p
		}
	}
	names := []string{name, src}
	for _, n := range names[:2] {
		if s := trimVersionSuffix(n); s != n {
			names = append(names, s)
		}
	}
	for _, n := range names {
		if n == "" {
			continue
		}
		if p := ix.byName[n]; p != nil {
			return p
		}
		if typ == "generic" || typ == "" {
			if p := ix.byName["slug:"+n]; p != nil {
				return p
			}
		}
	}
	return nil
}

func (ix *index) bySlug(slug string) *Product {
	if slug == "" {
		return nil
	}
	return ix.byName["slug:"+slug]
}

// propSourcePackage is the extractors' property naming a distribution package's source package.
const propSourcePackage = "siegel:source-package"

// trimVersionSuffix drops a trailing version from a package name: "python3.11" -> "python",
// "postgresql-15" -> "postgresql", "gcc-12" -> "gcc". A name that is all version is kept.
func trimVersionSuffix(n string) string {
	i := len(n)
	for i > 0 && (isDigit(n[i-1]) || n[i-1] == '.') {
		i--
	}
	if i == len(n) {
		return n
	}
	j := i
	if j > 0 && (n[j-1] == '-' || n[j-1] == '_') {
		j--
	}
	if j == 0 {
		return n
	}
	return n[:j]
}

// prometheusVersion turns the Go module version of Prometheus into its release version: the
// project tags its module v0.MINOR.PATCH for 2.MINOR.PATCH and v0.3MM.PATCH for 3.MM.PATCH.
func prometheusVersion(v string) string {
	f := strings.SplitN(v, ".", 3)
	if len(f) < 3 || f[0] != "0" || !allDigits(f[1]) {
		return v
	}
	minor, _ := strconv.Atoi(f[1])
	if minor >= 300 {
		return "3." + strconv.Itoa(minor-300) + "." + f[2]
	}
	return "2." + f[1] + "." + f[2]
}

// predates reports whether version is older than every release cycle of the product, and
// returns the oldest cycle. endoflife.date leaves out cycles that ended long ago, so such a
// version's support ended no later than the oldest listed cycle's did.
func (p *Product) predates(version string) (*Cycle, bool) {
	if module.IsPseudoVersion(version) {
		return nil, false // names a commit, not a release: its age is not its cycle's
	}
	v := numericFields(normalizeVersion(version))
	if len(v) == 0 {
		return nil, false
	}
	var oldest *Cycle
	var oldestF []int
	for i := range p.Cycles {
		f := numericFields(strings.ToLower(strings.TrimPrefix(p.Cycles[i].Name, "v")))
		if len(f) == 0 {
			return nil, false // a product with named cycles cannot be ordered
		}
		if oldest == nil || compareFields(f, oldestF) < 0 {
			oldest, oldestF = &p.Cycles[i], f
		}
	}
	if oldest == nil || compareFields(v[:min(len(v), len(oldestF))], oldestF) >= 0 {
		return nil, false
	}
	return oldest, true
}

// numericFields are the leading dot-separated numbers of a version: "1.2.3-rc1" is [1 2 3].
func numericFields(v string) []int {
	var out []int
	for _, f := range strings.Split(v, ".") {
		n := 0
		i := 0
		for i < len(f) && isDigit(f[i]) && i < 9 {
			n = n*10 + int(f[i]-'0')
			i++
		}
		if i == 0 {
			break
		}
		out = append(out, n)
		if i < len(f) {
			break
		}
	}
	return out
}

func compareFields(a, b []int) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return cmp.Compare(a[i], b[i])
		}
	}
	return cmp.Compare(len(a), len(b))
}
