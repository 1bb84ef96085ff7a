// Package match turns an inventory into findings: for every component, the advisories of the
// vulnerability database whose affected ranges contain its version, one finding per
// vulnerability with all aliases merged, with exploitation (KEV), EPSS, severity and fixes.
package match

import (
	"cmp"
	"context"
	"fmt"
	"iter"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/siegel-oss/siegel/internal/sbom"
	"github.com/siegel-oss/siegel/internal/vulndb"
)

// Source is what matching reads: records by package, and what the exploitation and scoring
// feeds say about vulnerability ids.
type Source interface {
	Lookup(ctx context.Context, k vulndb.Key) ([]*vulndb.Record, error)
	LookupBatchRaw(ctx context.Context, keys []vulndb.Key) ([][]vulndb.RawRecord, error)
	Feeds(ctx context.Context, ids []string) (*vulndb.Feeds, error)
	Related(ctx context.Context, ids []string) (map[string][]string, error)
	RecordsByID(ctx context.Context, ids []string) ([]vulndb.RawRecord, error)
	Holdings(ctx context.Context) (*vulndb.Holdings, error)
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
	Fixed []string `json:"fixedVersions,omitempty"`
	*Enrichment
	VEX *VEXState `json:"vex,omitempty"` // the manufacturer's statement, when one applies
}

// Enrichment is what the feeds say of a finding's vulnerability, and the ranges matching could
// not evaluate: few findings have any, so a finding holds it behind one pointer, nil for none,
// and the findings of one vulnerability without notes share one. Shared: read only.
type Enrichment struct {
	Exploited *vulndb.Exploitation `json:"exploited,omitempty"` // CISA KEV
	EUVD      []vulndb.EUVD        `json:"euvd,omitempty"`      // ENISA EUVD entries
	EPSS      *vulndb.EPSS         `json:"epss,omitempty"`
	Notes     []string             `json:"notes,omitempty"` // ranges that could not be evaluated
}

// KEV is the vulnerability's CISA KEV entry, nil when it is not listed.
func (e *Enrichment) KEV() *vulndb.Exploitation {
	if e == nil {
		return nil
	}
	return e.Exploited
}

// EUVDEntries are the vulnerability's ENISA EUVD entries, in id order.
func (e *Enrichment) EUVDEntries() []vulndb.EUVD {
	if e == nil {
		return nil
	}
	return e.EUVD
}

// EPSSScore is the highest EPSS score among the vulnerability's CVEs, nil when none has one.
func (e *Enrichment) EPSSScore() *vulndb.EPSS {
	if e == nil {
		return nil
	}
	return e.EPSS
}

// Identity names a finding's vulnerability: the id it is reported under (a CVE when there is
// one), its other ids, and the OSV records merged into it. Shared between findings: read only.
type Identity struct {
	ID      string   `json:"id"`
	Aliases []string `json:"aliases,omitempty"`
	Records []string `json:"records"`
	Summary string   `json:"summary,omitempty"`
}

// Assessment is a finding's severity: CRITICAL, HIGH, MEDIUM, LOW, NONE or UNKNOWN (unrated),
// and where it comes from (see severity.go for the order in which sources are consulted).
// Shared between findings: read only.
type Assessment struct {
	Severity string  `json:"severity"`
	Score    float64 `json:"score,omitempty"`
	Vector   string  `json:"vector,omitempty"`
	// Source names what gave the severity: a CVSS version ("CVSS_V3"), or a rating field
	// ("database_specific.severity", "Debian urgency", ...), empty while unrated.
	Source string `json:"severitySource,omitempty"`
	// From is the id of the record or EUVD entry that stated it.
	From  string        `json:"severityFrom,omitempty"`
	class severityClass // how strong the source is, for merging records
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
	if f.KEV() != nil {
		return true
	}
	for _, e := range f.EUVDEntries() {
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
	// Coverage says what was checked against what; NotChecked lists the components that were
	// not, with the reason.
	Coverage   *Coverage   `json:"coverage,omitempty"`
	NotChecked []Unchecked `json:"notChecked,omitempty"`
}

// Scan matches pkgs as Match does and states the coverage of the result: what the database
// holds for each ecosystem, what of pkgs and unknown (the components without an ecosystem) was
// checked, and the age of each feed.
func Scan(ctx context.Context, src Source, pkgs, unknown []Package, opts Options) (*Result, error) {
	h, err := src.Holdings(ctx)
	if err != nil {
		return nil, err
	}
	fs, cs, bad, err := match(ctx, src, pkgs, opts.Collect)
	if err != nil {
		return nil, err
	}
	if fs == nil {
		fs = []*Finding{}
	}
	res := &Result{Findings: fs, Unmatched: unknown, Scanned: len(pkgs)}
	res.Coverage, res.NotChecked = cover(h, pkgs, unknown, cs, bad, opts)
	return res, nil
}

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

// Match finds the vulnerabilities of pkgs in src. Packages are matched in key order, so that each
// package name is looked up once however many versions of it the inventory holds, and the
// records of one name are dropped before the next is read: memory stays bounded by the findings,
// not by the database. Lookups run ahead of matching on their own goroutine; two workers match.
// Findings point into pkgs.
func Match(ctx context.Context, src Source, pkgs []Package) ([]*Finding, error) {
	fs, _, _, err := match(ctx, src, pkgs, false)
	return fs, err
}

// match is Match, which also counts the packages of each ecosystem and those without a version,
// and returns the indexes of the packages whose version does not parse (among those the
// database names: for the others the version is never read). With collect, garbage is
// collected between matching and enrichment (see Options.Collect).
func match(ctx context.Context, src Source, pkgs []Package, collect bool) ([]*Finding, *counters, []int, error) {
	keys := make([]vulndb.Key, len(pkgs))
	order := make([]int, len(pkgs))
	cs := &counters{}
	for i := range pkgs {
		keys[i] = vulndb.PackageKey(pkgs[i].Ecosystem, pkgs[i].Lookup)
		order[i] = i
		cs.add(keys[i].Ecosystem, &pkgs[i])
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
	found := make([][]*Finding, ngroups)
	maxWorkers := min(runtime.GOMAXPROCS(0), 2)
	bad := make([][]int, maxWorkers)
	work := func(k int) {
		w := newWorker() // not safe for concurrent use: one per goroutine
		for gr := range groups {
			recs, err := w.records(gr.raw)
			if err != nil {
				cancel(err) // the reader stops
				return
			}
			var fs []*Finding
			for _, n := range order[starts[gr.g]:starts[gr.g+1]] {
				if !w.parses(&pkgs[n]) {
					bad[k] = append(bad[k], n)
				}
				fs = w.matchPackage(&pkgs[n], groupKeys[gr.g], recs, fs)
			}
			found[gr.g] = fs
		}
	}
	// One worker matches while it keeps up with the reader; a second starts once the reader,
	// after its first behindAfter batches, has waited for the workers more than twice as long
	// as it took to look the groups up. Each worker holds the records of the group it matches
	// and its caches: an inventory whose lookups take about as long as its matching (most of
	// its packages named by no record) is matched with half that memory and no later, one
	// whose matching is the longer part on two cores. The reader is counted in wg, so that a
	// worker is never added to it once it could have reached zero.
	var wg sync.WaitGroup
	wg.Go(func() { work(0) })
	wg.Go(func() {
		defer close(groups)
		workers, batches := 1, 0
		var lookingUp, waiting time.Duration
		send := func(gr group) bool {
			select {
			case groups <- gr:
				return true
			default:
			}
			if workers < maxWorkers && batches > behindAfter && waiting > 2*lookingUp {
				k := workers
				workers++
				wg.Go(func() { work(k) })
			}
			start := time.Now()
			defer func() { waiting += time.Since(start) }()
			select {
			case groups <- gr:
				return true
			case <-ctx.Done():
				return false
			}
		}
		batchKeys := make([]vulndb.Key, 0, vulndb.LookupBatchSize)
		for first := 0; first < ngroups; first += vulndb.LookupBatchSize {
			last := min(first+vulndb.LookupBatchSize, ngroups)
			batchKeys = batchKeys[:0]
			for g := first; g < last; g++ {
				batchKeys = append(batchKeys, groupKeys[g])
			}
			start := time.Now()
			recs, err := src.LookupBatchRaw(ctx, batchKeys)
			if err != nil {
				cancel(err)
				return
			}
			lookingUp += time.Since(start)
			batches++
			for n, rs := range recs {
				if len(rs) > 0 && !send(group{g: first + n, raw: rs}) {
					return
				}
			}
		}
	})
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, nil, nil, err
	}
	badVersion := slices.Concat(bad...)
	slices.Sort(badVersion)
	total := 0
	for _, fs := range found {
		total += len(fs)
	}
	out := make([]*Finding, 0, total)
	for _, fs := range found {
		out = append(out, fs...)
	}
	found = nil
	if collect {
		runtime.GC()
	}
	if err := enrich(ctx, src, out); err != nil {
		return nil, nil, nil, err
	}
	sortFindings(out)
	return out, cs, badVersion, nil
}

// behindAfter is how many batches of lookups the reader makes before it judges whether the
// workers keep up: the first ones are read before any matching has begun.
const behindAfter = 4

// enrich attaches to every finding what the feeds say about any of its ids: the first KEV entry
// and the highest EPSS score among its CVEs, and its EUVD entries, in id order. The feeds are
// read once for all findings.
func enrich(ctx context.Context, src Source, fs []*Finding) error {
	// Findings that share an Identity have the same ids: the feeds are consulted once for each,
	// and what they say is shared by the findings that have no notes of their own.
	type feedInfo struct {
		done bool
		e    *Enrichment // nil when the feeds say nothing
	}
	byIdentity := map[*Identity]*feedInfo{}
	var ids []string
	for _, f := range fs {
		if _, ok := byIdentity[f.Identity]; !ok {
			byIdentity[f.Identity] = &feedInfo{}
			ids = append(append(ids, f.ID), f.Aliases...)
		}
	}
	feeds, err := src.Feeds(ctx, ids) // which sorts them and drops repeats
	if err != nil {
		return err
	}
	var all []string
	for _, f := range fs {
		info := byIdentity[f.Identity]
		if !info.done {
			info.done = true
			var e Enrichment
			all = append(append(all[:0], f.ID), f.Aliases...)
			slices.Sort(all)
			var seen map[string]bool
			for _, id := range all {
				for _, x := range feeds.EUVD[id] {
					if seen == nil {
						seen = map[string]bool{}
					}
					if !seen[x.ID] {
						seen[x.ID] = true
						e.EUVD = append(e.EUVD, x)
					}
				}
			}
			for _, id := range all {
				if !strings.HasPrefix(id, "CVE-") {
					continue
				}
				if x, ok := feeds.KEV[id]; ok && e.Exploited == nil {
					e.Exploited = &x
				}
				if x, ok := feeds.EPSS[id]; ok && (e.EPSS == nil || x.Score > e.EPSS.Score) {
					e.EPSS = &x
				}
			}
			if e.Exploited != nil || e.EUVD != nil || e.EPSS != nil {
				e.EUVD = slices.Clip(e.EUVD) // shared: an append copies it
				info.e = &e
			}
		}
		switch {
		case f.Enrichment == nil:
			f.Enrichment = info.e
		case info.e != nil: // the finding's own, holding its notes
			f.Exploited, f.EUVD, f.EPSS = info.e.Exploited, info.e.EUVD, info.e.EPSS
		}
	}
	return rateFromOthers(ctx, src, fs)
}

// rateFromOthers completes the severity of findings whose own records state no CVSS v3 or v4
// vector, from what others say of the same vulnerability: the records in the database whose id
// is one of the finding's ids or which list one among their aliases (a GHSA record's vector for
// a GO record's finding, a distribution's rating of the CVE), and the base score of its EUVD
// entries. Each shared Assessment is completed once.
func rateFromOthers(ctx context.Context, src Source, fs []*Finding) error {
	type todo struct {
		f    *Finding
		self []string // the records merged into the finding: already consulted
	}
	var open []todo
	seen := map[*Assessment]bool{}
	var ids []string
	for _, f := range fs {
		if f.class >= classCVSS || seen[f.Assessment] {
			continue
		}
		seen[f.Assessment] = true
		open = append(open, todo{f, f.Records})
		// The finding's own records were read already: only its other ids are asked for.
		for id := range f.ids() {
			if !slices.Contains(f.Records, id) {
				ids = append(ids, id)
			}
		}
	}
	if len(open) == 0 {
		return nil
	}
	related, err := src.Related(ctx, ids)
	if err != nil {
		return err
	}
	// The records to read: those related to a finding that are not its own.
	var others []string
	for _, t := range open {
		for id := range t.f.ids() {
			for _, r := range related[id] {
				if !slices.Contains(t.self, r) {
					others = append(others, r)
				}
			}
		}
	}
	raw, err := src.RecordsByID(ctx, others)
	if err != nil {
		return err
	}
	// What each other record says, by every id it goes by.
	byID := map[string][]*Assessment{}
	for _, rr := range raw {
		r, err := vulndb.DecodeRating(rr)
		if err != nil {
			return err
		}
		a := &Assessment{Severity: "UNKNOWN"}
		severityOf(r, a)
		if !a.Rated() {
			continue
		}
		byID[r.ID] = append(byID[r.ID], a)
		for _, al := range r.Aliases {
			byID[al] = append(byID[al], a)
		}
	}
	for _, t := range open {
		a := t.f.Assessment
		for id := range t.f.ids() {
			for _, other := range byID[id] {
				if !slices.Contains(t.self, other.From) {
					a.adopt(other)
				}
			}
		}
		for _, e := range t.f.EUVDEntries() {
			if score, class, ok := cvssScore(e.Vector); ok {
				a.merge(class, score, e.Vector, ratingOf(class, score), SourceEUVD, e.ID)
			} else if e.BaseScore > 0 {
				a.merge(classRating, e.BaseScore, "", Rating(e.BaseScore), SourceEUVD, e.ID)
			}
		}
	}
	return nil
}

// ids yields the vulnerability's id and its aliases.
func (id *Identity) ids() iter.Seq[string] {
	return func(yield func(string) bool) {
		if !yield(id.ID) {
			return
		}
		for _, a := range id.Aliases {
			if !yield(a) {
				return
			}
		}
	}
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
		if e := f.EPSSScore(); e != nil {
			return e.Score
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

// String renders a finding in one line, for logs.
func (f *Finding) String() string {
	return fmt.Sprintf("%s %s@%s %s", f.ID, f.Package.Name, f.Package.Version, f.Severity)
}
