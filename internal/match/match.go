// Package match turns an inventory into findings: for every component, the advisories of the
// vulnerability database whose affected ranges contain its version, one finding per
// vulnerability with all aliases merged, with exploitation (KEV), EPSS, severity and fixes.
package match

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"

	cvss30 "github.com/pandatix/go-cvss/30"
	cvss31 "github.com/pandatix/go-cvss/31"
	cvss40 "github.com/pandatix/go-cvss/40"

	"github.com/siegel-oss/siegel/internal/extract"
	"github.com/siegel-oss/siegel/internal/purl"
	"github.com/siegel-oss/siegel/internal/sbom"
	"github.com/siegel-oss/siegel/internal/version"
	"github.com/siegel-oss/siegel/internal/vulndb"
)

// Source is what matching reads: records by package, and what the exploitation and scoring
// feeds say about vulnerability ids.
type Source interface {
	Lookup(ctx context.Context, k vulndb.Key) ([]*vulndb.Record, error)
	LookupBatchRaw(ctx context.Context, keys []vulndb.Key) ([][]vulndb.RawRecord, error)
	Feeds(ctx context.Context, ids []string) (*vulndb.Feeds, error)
}

// Package is a component as matching sees it.
type Package struct {
	Ref       string `json:"ref"`
	Name      string `json:"name"`
	Version   string `json:"version"`
	PURL      string `json:"purl,omitempty"`
	Ecosystem string `json:"ecosystem"`        // OSV ecosystem, with release for distributions ("Debian:12")
	Lookup    string `json:"lookupName"`       // name under which advisories are looked up
	Commit    string `json:"commit,omitempty"` // source commit, for GIT ranges
	Direct    bool   `json:"direct,omitempty"` // the subject depends on it directly
}

// Finding is one vulnerability of one component. What it says of the vulnerability itself — its
// identity and severity — is shared by the findings of one record in every package version the
// record affects: a scan holds tens of thousands of findings of a few thousand records.
type Finding struct {
	*Identity
	Package *Package `json:"package"` // shared by the package's findings
	*Assessment
	Fixed     []string             `json:"fixedVersions,omitempty"`
	Exploited *vulndb.Exploitation `json:"exploited,omitempty"` // CISA KEV
	EUVD      []vulndb.EUVD        `json:"euvd,omitempty"`      // ENISA EUVD entries
	EPSS      *vulndb.EPSS         `json:"epss,omitempty"`
	Notes     []string             `json:"notes,omitempty"` // ranges that could not be evaluated
	VEX       *VEXState            `json:"vex,omitempty"`   // the manufacturer's statement, when one applies
}

// Identity names a finding's vulnerability: the id it is reported under (a CVE when there is
// one), its other ids, and the OSV records merged into it. Shared between findings: read only.
type Identity struct {
	ID      string   `json:"id"`
	Aliases []string `json:"aliases,omitempty"`
	Records []string `json:"records"`
	Summary string   `json:"summary,omitempty"`
}

// Assessment is a finding's severity: CRITICAL, HIGH, MEDIUM, LOW, NONE or UNKNOWN, from the
// highest CVSS base score its records state (with that vector) or else the database's rating.
// Shared between findings: read only.
type Assessment struct {
	Severity string  `json:"severity"`
	Score    float64 `json:"score,omitempty"`
	Vector   string  `json:"vector,omitempty"`
}

// vulnerability is one allocation for a finding's Identity and Assessment.
type vulnerability struct {
	Identity
	Assessment
}

// VEXState is what a VEX statement says of a finding.
type VEXState struct {
	Status        string `json:"status"`
	Justification string `json:"justification,omitempty"`
	Impact        string `json:"impact,omitempty"`
	Action        string `json:"action,omitempty"`
}

// Settled reports whether a VEX statement closes the finding: not affected, or fixed.
func (f *Finding) Settled() bool {
	return f.VEX != nil && (f.VEX.Status == "not_affected" || f.VEX.Status == "fixed")
}

// IsExploited reports whether the vulnerability is known to be exploited: listed in CISA KEV or
// among ENISA EUVD's exploited vulnerabilities — the trigger of a CRA Art. 14 report.
func (f *Finding) IsExploited() bool {
	if f.Exploited != nil {
		return true
	}
	for _, e := range f.EUVD {
		if e.Exploited {
			return true
		}
	}
	return false
}

// Result is a scan's outcome.
type Result struct {
	Findings []*Finding `json:"findings"`
	// Unmatched lists components that could not be looked up (no purl, or an ecosystem the
	// database does not cover), so that a clean report never hides them.
	Unmatched []Package `json:"unmatched,omitempty"`
	Scanned   int       `json:"scanned"`
}

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

// Add maps a component to a package.
func (inv *Inventory) Add(c sbom.Component) {
	p, ok := PackageOf(c)
	if !ok {
		inv.unknown = append(inv.unknown, p)
		return
	}
	if n := len(inv.chunks); n == 0 || len(inv.chunks[n-1]) == cap(inv.chunks[n-1]) {
		inv.chunks = append(inv.chunks, make([]Package, 0, inventoryChunk))
	}
	last := &inv.chunks[len(inv.chunks)-1]
	*last = append(*last, p)
}

// Done returns the packages, and those without a known ecosystem separately, once the rest of
// doc is known: the document's subject is left out unless it has a purl, and the packages the
// subject depends on directly are marked.
func (inv *Inventory) Done(doc *sbom.Document) (pkgs, unknown []Package) {
	direct := doc.Direct()
	for _, chunk := range inv.chunks {
		for i := range chunk {
			chunk[i].Direct = direct[chunk[i].Ref]
		}
	}
	unknown = inv.unknown[:0]
	for _, p := range inv.unknown {
		if p.Ref == doc.Subject && p.PURL == "" {
			continue // the product itself, not one of its components
		}
		p.Direct = direct[p.Ref]
		unknown = append(unknown, p)
	}
	if len(unknown) == 0 {
		unknown = nil
	}
	pkgs = compact(inv.chunks)
	inv.chunks = nil
	return pkgs, unknown
}

// compact returns the packages in one slice of their exact length, their strings moved into one block,
// shared where one is part of another (a name or version inside the purl). The packages were made
// one at a time among a decoder's short-lived data; packed together, they do not keep the memory
// that data occupied in use for the rest of a scan.
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

// Match finds the vulnerabilities of pkgs in src. Packages are matched in key order, so that each
// package name is looked up once however many versions of it the inventory holds, and the
// records of one name are dropped before the next is read: memory stays bounded by the findings,
// not by the database. Lookups run ahead of matching on their own goroutine; two workers match.
// Findings point into pkgs.
func Match(ctx context.Context, src Source, pkgs []Package) ([]*Finding, error) {
	keys := make([]vulndb.Key, len(pkgs))
	order := make([]int, len(pkgs))
	for i, p := range pkgs {
		keys[i] = vulndb.PackageKey(p.Ecosystem, p.Lookup)
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		if r := strings.Compare(keys[a].Ecosystem, keys[b].Ecosystem); r != 0 {
			return r
		}
		if r := strings.Compare(keys[a].Name, keys[b].Name); r != 0 {
			return r
		}
		return cmp.Compare(a, b)
	})

	// Packages that share a key form a group: order[starts[g]:starts[g+1]], looked up under
	// groupKeys[g]. The per-package keys are dropped once the groups are known.
	var starts []int
	var groupKeys []vulndb.Key
	for i := range order {
		if i == 0 || keys[order[i]] != keys[order[i-1]] {
			starts = append(starts, i)
			groupKeys = append(groupKeys, keys[order[i]])
		}
	}
	starts = append(starts, len(order))
	ngroups := len(starts) - 1
	keys = nil

	// One goroutine reads the records of LookupBatchSize groups at a time; workers decode and
	// match the groups that have any and put each group's findings in its own slot, so the result
	// does not depend on which worker took which group.
	type group struct {
		g   int
		raw []vulndb.RawRecord
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	groups := make(chan group, 4)
	go func() {
		defer close(groups)
		batchKeys := make([]vulndb.Key, 0, vulndb.LookupBatchSize)
		for first := 0; first < ngroups; first += vulndb.LookupBatchSize {
			last := min(first+vulndb.LookupBatchSize, ngroups)
			batchKeys = batchKeys[:0]
			for g := first; g < last; g++ {
				batchKeys = append(batchKeys, groupKeys[g])
			}
			recs, err := src.LookupBatchRaw(ctx, batchKeys)
			if err != nil {
				cancel(err)
				return
			}
			for n, rs := range recs {
				if len(rs) == 0 {
					continue
				}
				select {
				case groups <- group{g: first + n, raw: rs}:
				case <-ctx.Done():
					return
				}
			}
		}
	}()

	found := make([][]*Finding, ngroups)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), 2) {
		wg.Go(func() {
			w := newWorker() // not safe for concurrent use: one per goroutine
			for gr := range groups {
				recs, err := w.records(gr.raw)
				if err != nil {
					cancel(err) // the reader stops; the other worker drains what it sent
					return
				}
				var fs []*Finding
				for _, n := range order[starts[gr.g]:starts[gr.g+1]] {
					fs = w.matchPackage(&pkgs[n], groupKeys[gr.g], recs, fs)
				}
				found[gr.g] = fs
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	total := 0
	for _, fs := range found {
		total += len(fs)
	}
	out := make([]*Finding, 0, total)
	for _, fs := range found {
		out = append(out, fs...)
	}
	if err := enrich(ctx, src, out); err != nil {
		return nil, err
	}
	sortFindings(out)
	return out, nil
}

// hit is a record that affects the package, with what its matching entries say: the fixed
// versions are w.hitFixed[from:to].
type hit struct {
	rec      *vulndb.Record
	from, to int
	notes    []string
}

// matchPackage appends to out the findings of p among recs, the records that name its key.
func (w *worker) matchPackage(p *Package, key vulndb.Key, recs []*vulndb.Record, out []*Finding) []*Finding {
	hits, fixed := w.hits[:0], w.hitFixed[:0]
	for _, r := range recs {
		h := hit{rec: r, from: len(fixed)}
		affected := false
		for _, a := range r.Affected {
			if vulndb.PackageKey(a.Package.Ecosystem, a.Package.Name) != key || !sameRelease(a.Package.Ecosystem, p.Ecosystem) {
				continue
			}
			aff := version.Affected{Ecosystem: a.Package.Ecosystem, Ranges: a.Ranges, Versions: a.Versions, Cache: w.versions}
			ok, err := aff.Affects(version.Target{Version: p.Version, Commit: p.Commit})
			if err != nil {
				h.notes = append(h.notes, err.Error())
			}
			if !ok {
				continue
			}
			affected = true
			for _, rg := range a.Ranges {
				for _, e := range rg.Events {
					if e.Fixed != "" && rg.Type != version.RangeGit {
						fixed = append(fixed, e.Fixed)
					}
				}
			}
		}
		if affected {
			h.to = len(fixed)
			hits = append(hits, h)
		} else {
			fixed = fixed[:h.from]
		}
	}
	w.hits, w.hitFixed = hits, fixed
	if len(hits) == 0 {
		return out
	}
	return w.mergeHits(p, hits, out)
}

// sameRelease reports whether an affected entry's ecosystem applies to the package's: without a
// release suffix it applies to every release; with one, the releases must agree.
func sameRelease(advisory, pkg string) bool {
	_, ar, ok := strings.Cut(advisory, ":")
	if !ok {
		return true
	}
	_, pr, ok := strings.Cut(pkg, ":")
	if !ok {
		return true // the package's release is unknown: report rather than miss
	}
	return ar == pr || strings.HasPrefix(ar, pr+":") || strings.HasPrefix(pr, ar+":")
}

// worker is the state of one matching goroutine: the versions it parsed, and what the records
// it made findings of say of their vulnerabilities, so that the findings of one record in several
// versions of a package share it instead of each holding a copy. Both are bounded.
type worker struct {
	versions *version.ParseCache
	vulns    map[string]*vulnerability // by record id: keeping the record itself alive would cost more
	findings []Finding                 // the rest of the current slab (see keep)
	strs     []string
	fixes    []fix // scratch for upgrades
	hits     []hit // scratch for matchPackage
	hitFixed []string
	decoded  map[string]*vulndb.Record // the records it decoded last, by id (see records)
	recs     []*vulndb.Record
}

// workerRecords bounds the decoded records a worker keeps: a distribution's advisory names
// several binary packages, whose names are often near each other in key order.
const workerRecords = 64

// records decodes a group's records, through the worker's cache. The slice is reused by the
// next call.
func (w *worker) records(raw []vulndb.RawRecord) ([]*vulndb.Record, error) {
	out := w.recs[:0]
	for _, rr := range raw {
		r, ok := w.decoded[rr.ID]
		if !ok {
			var err error
			if r, err = vulndb.DecodeRecord(rr); err != nil {
				return nil, err
			}
			if len(w.decoded) >= workerRecords {
				clear(w.decoded)
			}
			w.decoded[rr.ID] = r
		}
		out = append(out, r)
	}
	w.recs = out
	return out, nil
}

// workerVulnsSize bounds the records whose vulnerability a worker keeps.
const workerVulnsSize = 1024

func newWorker() *worker {
	return &worker{versions: version.NewParseCache(), vulns: map[string]*vulnerability{}, decoded: map[string]*vulndb.Record{}}
}

// vulnerabilityOf returns what a finding made of r alone says of its vulnerability, shared by
// every such finding. Its slices have no spare capacity, so an append copies them.
func (w *worker) vulnerabilityOf(r *vulndb.Record) *vulnerability {
	if v, ok := w.vulns[r.ID]; ok {
		return v
	}
	v := &vulnerability{Identity: Identity{Records: w.keep([]string{r.ID}), Summary: r.Summary}, Assessment: Assessment{Severity: "UNKNOWN"}}
	v.ID, v.Aliases = w.splitIDs(append([]string{r.ID}, r.Aliases...))
	severityOf(r, &v.Assessment)
	if len(w.vulns) >= workerVulnsSize {
		clear(w.vulns)
	}
	w.vulns[r.ID] = v
	return v
}

// splitIDs sorts ids (reordering the slice) and returns the one a finding is reported under and
// the others, without duplicates (kept as keep keeps them).
func (w *worker) splitIDs(ids []string) (id string, aliases []string) {
	slices.Sort(ids)
	all := slices.Compact(ids)
	id = primaryID(all)
	i := slices.Index(all, id)
	return id, w.keep(slices.Delete(all, i, i+1))
}

// mergeHits groups records that name the same vulnerability (through ids and aliases) into one
// finding each. Groups come in the order of their first record; within a group, records are
// taken in order. A package has few hits, so the grouping sorts (id, hit) pairs instead of
// building maps.
func (w *worker) mergeHits(p *Package, hits []hit, out []*Finding) []*Finding {
	type idHit struct {
		id string
		i  int
	}
	n := 0
	for _, h := range hits {
		n += 1 + len(h.rec.Aliases)
	}
	pairs := make([]idHit, 0, n)
	for i, h := range hits {
		pairs = append(pairs, idHit{h.rec.ID, i})
		for _, a := range h.rec.Aliases {
			pairs = append(pairs, idHit{a, i})
		}
	}
	slices.SortFunc(pairs, func(a, b idHit) int {
		if r := strings.Compare(a.id, b.id); r != 0 {
			return r
		}
		return cmp.Compare(a.i, b.i)
	})
	group := make([]int, len(hits))
	for i := range group {
		group[i] = i
	}
	find := func(i int) int {
		for group[i] != i {
			group[i] = group[group[i]]
			i = group[i]
		}
		return i
	}
	for k := 1; k < len(pairs); k++ {
		if pairs[k].id == pairs[k-1].id {
			if a, b := find(pairs[k-1].i), find(pairs[k].i); a != b {
				group[max(a, b)] = min(a, b) // the root is the group's first hit
			}
		}
	}
	var ids, fixed, recIDs []string
	for r := range hits {
		if find(r) != r {
			continue // not the first hit of its group
		}
		f := w.newFinding()
		f.Package = p
		ids, fixed, recIDs = ids[:0], fixed[:0], recIDs[:0]
		var v *vulnerability
		members := 0
		for i := r; i < len(hits); i++ {
			if find(i) == r {
				members++
			}
		}
		if members == 1 {
			// One record: its findings in every version of the package share what it says.
			v = w.vulnerabilityOf(hits[r].rec)
			fixed = append(fixed, w.hitFixed[hits[r].from:hits[r].to]...)
			f.Notes = append(f.Notes, hits[r].notes...)
		} else {
			v = &vulnerability{Assessment: Assessment{Severity: "UNKNOWN"}}
			for i := r; i < len(hits); i++ {
				if find(i) != r {
					continue
				}
				h := hits[i]
				recIDs = append(recIDs, h.rec.ID)
				ids = append(append(ids, h.rec.ID), h.rec.Aliases...)
				if v.Summary == "" {
					v.Summary = h.rec.Summary
				}
				fixed = append(fixed, w.hitFixed[h.from:h.to]...)
				f.Notes = append(f.Notes, h.notes...)
				severityOf(h.rec, &v.Assessment)
			}
			slices.Sort(recIDs)
			v.Records = w.keep(recIDs)
			v.ID, v.Aliases = w.splitIDs(ids)
		}
		f.Identity, f.Assessment = &v.Identity, &v.Assessment
		f.Fixed = w.upgrades(p, fixed)
		out = append(out, f)
	}
	return out
}

// enrich attaches to every finding what the feeds say about any of its ids: the first KEV entry
// and the highest EPSS score among its CVEs, and its EUVD entries, in id order. The feeds are
// read once for all findings.
func enrich(ctx context.Context, src Source, fs []*Finding) error {
	// Findings that share an Identity have the same ids: the feeds are consulted once for each.
	type feedInfo struct {
		exploited *vulndb.Exploitation
		euvd      []vulndb.EUVD
		epss      *vulndb.EPSS
	}
	byIdentity := map[*Identity]*feedInfo{}
	var ids []string
	for _, f := range fs {
		if _, ok := byIdentity[f.Identity]; !ok {
			byIdentity[f.Identity] = nil
			ids = append(append(ids, f.ID), f.Aliases...)
		}
	}
	slices.Sort(ids)
	feeds, err := src.Feeds(ctx, slices.Compact(ids))
	if err != nil {
		return err
	}
	var all []string
	for _, f := range fs {
		info := byIdentity[f.Identity]
		if info == nil {
			info = &feedInfo{}
			byIdentity[f.Identity] = info
			all = append(append(all[:0], f.ID), f.Aliases...)
			slices.Sort(all)
			var seen map[string]bool
			for _, id := range all {
				for _, e := range feeds.EUVD[id] {
					if seen == nil {
						seen = map[string]bool{}
					}
					if !seen[e.ID] {
						seen[e.ID] = true
						info.euvd = append(info.euvd, e)
					}
				}
			}
			for _, id := range all {
				if !strings.HasPrefix(id, "CVE-") {
					continue
				}
				if e, ok := feeds.KEV[id]; ok && info.exploited == nil {
					info.exploited = &e
				}
				if s, ok := feeds.EPSS[id]; ok && (info.epss == nil || s.Score > info.epss.Score) {
					info.epss = &s
				}
			}
		}
		f.Exploited, f.EPSS = info.exploited, info.epss
		if info.euvd != nil {
			f.EUVD = slices.Clip(info.euvd) // shared: an append copies it
		}
	}
	return nil
}

// primaryID picks the id a finding is reported under: a CVE when there is one (what KEV, EPSS,
// EUVD and CRA reports use), else the first id in order.
func primaryID(ids []string) string {
	for _, id := range ids {
		if strings.HasPrefix(id, "CVE-") {
			return id
		}
	}
	return ids[0]
}

// severityOf keeps the highest severity the record states: CVSS v4, v3.x vectors (scored), or
// the database's own rating.
func severityOf(r *vulndb.Record, f *Assessment) {
	sevs := slices.Clone(r.Severity)
	for _, a := range r.Affected {
		sevs = append(sevs, a.Severity...)
	}
	for _, s := range sevs {
		score, ok := cvssScore(s)
		if ok && score > f.Score {
			f.Score, f.Vector, f.Severity = score, s.Score, Rating(score)
		}
	}
	if f.Score == 0 {
		if v, ok := r.DatabaseSpecific["severity"].(string); ok {
			switch strings.ToUpper(v) {
			case "CRITICAL", "HIGH", "LOW":
				f.Severity = strings.ToUpper(v)
			case "MODERATE", "MEDIUM":
				f.Severity = "MEDIUM"
			}
		}
	}
}

func cvssScore(s vulndb.Severity) (float64, bool) {
	switch {
	case strings.HasPrefix(s.Score, "CVSS:4.0/"):
		v, err := cvss40.ParseVector(s.Score)
		if err != nil {
			return 0, false
		}
		return v.Score(), true
	case strings.HasPrefix(s.Score, "CVSS:3.1/"):
		v, err := cvss31.ParseVector(s.Score)
		if err != nil {
			return 0, false
		}
		return v.BaseScore(), true
	case strings.HasPrefix(s.Score, "CVSS:3.0/"):
		v, err := cvss30.ParseVector(s.Score)
		if err != nil {
			return 0, false
		}
		return v.BaseScore(), true
	}
	return 0, false
}

// Rating maps a CVSS score to its qualitative rating (CVSS v3.1 specification, section 5).
func Rating(score float64) string {
	switch {
	case score >= 9:
		return "CRITICAL"
	case score >= 7:
		return "HIGH"
	case score >= 4:
		return "MEDIUM"
	case score > 0:
		return "LOW"
	}
	return "NONE"
}

// severityRank orders severities, UNKNOWN lowest.
func severityRank(s string) int {
	switch s {
	case "CRITICAL":
		return 5
	case "HIGH":
		return 4
	case "MEDIUM":
		return 3
	case "LOW":
		return 2
	case "NONE":
		return 1
	}
	return 0
}

// SeverityAtLeast reports whether a finding's severity is at or above level.
func SeverityAtLeast(f *Finding, level string) bool {
	return severityRank(f.Severity) >= severityRank(level)
}

// sortFindings orders findings as a PSIRT triages them: exploited first, then by severity score,
// EPSS, id and package.
func sortFindings(fs []*Finding) {
	epss := func(f *Finding) float64 {
		if f.EPSS != nil {
			return f.EPSS.Score
		}
		return 0
	}
	// The order is total but for findings of one id in packages of one ref, and the input's order
	// does not depend on scheduling, so an unstable sort gives the same output every time.
	slices.SortFunc(fs, func(a, b *Finding) int {
		if ae, be := a.IsExploited(), b.IsExploited(); ae != be {
			if ae {
				return -1
			}
			return 1
		}
		if r := cmp.Compare(severityRank(b.Severity), severityRank(a.Severity)); r != 0 {
			return r
		}
		if r := cmp.Compare(b.Score, a.Score); r != 0 {
			return r
		}
		if r := cmp.Compare(epss(b), epss(a)); r != 0 {
			return r
		}
		if r := strings.Compare(a.ID, b.ID); r != 0 {
			return r
		}
		return strings.Compare(a.Package.Ref, b.Package.Ref)
	})
}

// upgrades keeps the fixed versions above the installed one (those an upgrade can reach), in
// the ecosystem's order; versions that do not parse are kept and ordered lexically. Versions are
// parsed through the worker's cache, which already holds those the ranges were evaluated with.
// fixed is sorted in place.
func (w *worker) upgrades(p *Package, fixed []string) []string {
	slices.Sort(fixed)
	vs := slices.Compact(fixed)
	c, err := version.Lookup(p.Ecosystem)
	if err != nil || len(vs) == 0 {
		return w.keep(vs)
	}
	installed, ierr := w.versions.Parse(c, p.Version)
	keep := w.fixes[:0]
	for _, s := range vs {
		v, err := w.versions.Parse(c, s)
		if err != nil {
			v = nil
		}
		if v == nil || ierr != nil || v.Compare(installed) > 0 {
			keep = append(keep, fix{s, v})
		}
	}
	slices.SortStableFunc(keep, func(a, b fix) int {
		if a.v == nil || b.v == nil {
			return strings.Compare(a.s, b.s)
		}
		return a.v.Compare(b.v)
	})
	w.fixes = keep
	vs = vs[:0]
	for _, f := range keep {
		vs = append(vs, f.s)
	}
	return w.keep(vs)
}

// fix is a fixed version and its parse, nil when it does not parse.
type fix struct {
	s string
	v version.Version
}

// keep copies strs into the worker's string slab and returns the copy, with no spare capacity
// (an append copies it), or nil for none. A scan's findings live until it ends: taking their
// small slices from large blocks keeps them out of the spans that decoding garbage fills.
func (w *worker) keep(strs []string) []string {
	if len(strs) == 0 {
		return nil
	}
	if cap(w.strs)-len(w.strs) < len(strs) {
		w.strs = make([]string, 0, max(slabSize, len(strs)))
	}
	start := len(w.strs)
	w.strs = append(w.strs, strs...)
	return w.strs[start:len(w.strs):len(w.strs)]
}

// newFinding returns a zero finding from the worker's slab of findings.
func (w *worker) newFinding() *Finding {
	if len(w.findings) == 0 {
		w.findings = make([]Finding, slabSize)
	}
	f := &w.findings[0]
	w.findings = w.findings[1:]
	return f
}

// slabSize is how many findings, or strings, a worker allocates at a time.
const slabSize = 256

// String renders a finding in one line, for logs.
func (f *Finding) String() string {
	return fmt.Sprintf("%s %s@%s %s", f.ID, f.Package.Name, f.Package.Version, f.Severity)
}
