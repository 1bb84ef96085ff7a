// Package match turns an inventory into findings: for every component, the advisories of the
// vulnerability database whose affected ranges contain its version, one finding per
// vulnerability with all aliases merged, with exploitation (KEV), EPSS, severity and fixes.
package match

import (
	"cmp"
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"

	cvss30 "github.com/pandatix/go-cvss/30"
	cvss31 "github.com/pandatix/go-cvss/31"
	cvss40 "github.com/pandatix/go-cvss/40"

	"github.com/siegel-oss/siegel/internal/sbom"
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
	feeds, err := src.Feeds(ctx, ids) // which sorts them and drops repeats
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

// CVSSBaseScore is the base score of a CVSS v3.0, v3.1 or v4.0 vector; false when the vector
// does not parse.
func CVSSBaseScore(vector string) (float64, bool) {
	return cvssScore(vulndb.Severity{Score: vector})
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

// String renders a finding in one line, for logs.
func (f *Finding) String() string {
	return fmt.Sprintf("%s %s@%s %s", f.ID, f.Package.Name, f.Package.Version, f.Severity)
}
