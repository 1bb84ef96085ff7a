// Package portfolio answers questions across all releases of all products: where a component is
// used (any version, a version range, or the ranges an advisory affects), and which open-source
// components the devices on the market depend on most (the inventory of critical components,
// published with k-anonymity across manufacturers).
package portfolio

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/siegel-oss/siegel/internal/match"
	"github.com/siegel-oss/siegel/internal/purl"
	"github.com/siegel-oss/siegel/internal/sbom"
	"github.com/siegel-oss/siegel/internal/store"
	"github.com/siegel-oss/siegel/internal/version"
	"github.com/siegel-oss/siegel/internal/vulndb"
)

// Occurrences is what where-used reads from the store.
type Occurrences interface {
	ComponentVersions(ctx context.Context, base string, scope store.Scope) ([]store.VersionCount, error)
	LookupGroups(ctx context.Context, ecosystem, lookup string, scope store.Scope) ([]store.MatchGroup, error)
	Occurrences(ctx context.Context, q store.OccurrenceQuery) ([]store.Occurrence, error)
	OccurrenceFindings(ctx context.Context, keys []store.ReleasePURL, vulns []string) (map[store.ReleasePURL][]store.OccurrenceFinding, error)
	OccurrenceVEX(ctx context.Context, keys []store.ReleasePURL, vulns []string) (map[store.ReleasePURL]string, error)
}

// Advisories is what where-used reads from the vulnerability database, for advisory queries.
type Advisories interface {
	Related(ctx context.Context, ids []string) (map[string][]string, error)
	RecordsByID(ctx context.Context, ids []string) ([]vulndb.RawRecord, error)
}

// Query is a where-used question. Exactly one of PURL and Advisory is given; Range narrows a
// PURL query to the versions in it (a PURL with a version asks for that version only).
type Query struct {
	PURL     string
	Range    string
	Advisory string
	Org      int64 // only this organization's releases; 0: every organization's
	// Authority, when set, keeps only the releases of products registered with that market
	// surveillance authority (an authority's view, CRA Chapter V).
	Authority int64
	Limit     int // per page; default 100, at most 1000
	Offset    int
}

func (q Query) scope() store.Scope { return store.Scope{Org: q.Org, Authority: q.Authority} }

// ErrQuery marks a question that cannot be answered as asked; its message says what to change.
var ErrQuery = errors.New("where-used")

// Result is the answer: the occurrences of one page, and what was asked and counted.
type Result struct {
	Component string `json:"component,omitempty"` // the base purl asked about
	Range     string `json:"range,omitempty"`
	Advisory  string `json:"advisory,omitempty"`
	// Records are the ids of the advisory's records read (the id asked and records that list it
	// as an alias).
	Records []string `json:"records,omitempty"`
	// Versions are the component versions found, with their occurrences and whether the query
	// selects them.
	Versions []VersionHit `json:"versions"`
	// NotEvaluated lists versions (or, for advisories, versions compared) that could not be placed
	// in the range: their occurrences are not in the answer, and the reason says why.
	NotEvaluated []NotEvaluated `json:"notEvaluated"`
	Total        int            `json:"total"` // occurrences selected, all pages
	Limit        int            `json:"limit"`
	Offset       int            `json:"offset"`
	Items        []Item         `json:"items"`
}

// VersionHit is one version of the component and its occurrences.
type VersionHit struct {
	Version     string `json:"version"`
	Ecosystem   string `json:"ecosystem,omitempty"`
	Occurrences int    `json:"occurrences"`
	Selected    bool   `json:"selected"`
}

// NotEvaluated is a version that could not be compared, with why.
type NotEvaluated struct {
	Version     string `json:"version"`
	Occurrences int    `json:"occurrences"`
	Reason      string `json:"reason"`
}

// Item is one occurrence: a release that contains the component.
type Item struct {
	OrganizationID int64  `json:"organizationId"`
	Organization   string `json:"organization"`
	ProductID      int64  `json:"productId"`
	Product        string `json:"product"`
	ReleaseID      int64  `json:"releaseId"`
	Release        string `json:"release"`
	Name           string `json:"name"`
	Version        string `json:"version"`
	PURL           string `json:"purl"`
	Direct         bool   `json:"direct"`
	// For an advisory query: the finding's status in this release (open, resolved, or "not
	// matched" when matching has not reported it) and the VEX status in force ("" when none).
	FindingStatus string `json:"findingStatus,omitempty"`
	VEX           string `json:"vex,omitempty"`
	// For a component query: the findings in force of this occurrence, with their VEX status.
	Findings []Finding `json:"findings,omitempty"`
}

// Finding is a finding of an occurrence.
type Finding struct {
	Vulnerability string `json:"vulnerability"`
	Severity      string `json:"severity"`
	Exploited     bool   `json:"exploited,omitempty"`
	VEX           string `json:"vex,omitempty"`
}

// Finding statuses of an advisory query's items.
const (
	FindingOpen       = "open"
	FindingResolved   = "resolved"
	FindingNotMatched = "not matched"
)

// MaxLimit bounds a page.
const MaxLimit = 1000

// WhereUsed answers q. adv may be nil when q names no advisory.
func WhereUsed(ctx context.Context, st Occurrences, adv Advisories, q Query) (*Result, error) {
	q.PURL, q.Advisory, q.Range = strings.TrimSpace(q.PURL), strings.TrimSpace(q.Advisory), strings.TrimSpace(q.Range)
	if q.Limit <= 0 {
		q.Limit = 100
	}
	q.Limit, q.Offset = min(q.Limit, MaxLimit), max(q.Offset, 0)
	switch {
	case (q.PURL == "") == (q.Advisory == ""):
		return nil, fmt.Errorf("%w: give a component's purl (with a version, without one, or with a range) or an advisory id, not both", ErrQuery)
	case q.Advisory != "" && q.Range != "":
		return nil, fmt.Errorf("%w: an advisory brings its own ranges; leave out the range", ErrQuery)
	case q.Advisory != "":
		if adv == nil {
			return nil, fmt.Errorf("%w: no vulnerability database to read advisory %s from; run 'siegel db update'", ErrQuery, q.Advisory)
		}
		return byAdvisory(ctx, st, adv, q)
	}
	return byComponent(ctx, st, q)
}

// ecosystemOf returns the OSV ecosystem of a base purl, "" when it has none Siegel compares.
func ecosystemOf(base string) string {
	p, ok := match.PackageOf(sbom.Component{PURL: base})
	if !ok {
		return ""
	}
	return p.Ecosystem
}

func byComponent(ctx context.Context, st Occurrences, q Query) (*Result, error) {
	if _, err := purl.Parse(q.PURL); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrQuery, err)
	}
	base, exact := purl.Base(q.PURL), purl.Version(q.PURL)
	var rng *Range
	if q.Range != "" {
		if exact != "" {
			return nil, fmt.Errorf("%w: the purl names version %s; leave it out to give a range", ErrQuery, exact)
		}
		var err error
		if rng, err = ParseRange(q.Range); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrQuery, err)
		}
	}
	res := &Result{Component: base, Limit: q.Limit, Offset: q.Offset, Versions: []VersionHit{}, NotEvaluated: []NotEvaluated{}, Items: []Item{}}
	if rng != nil {
		res.Range = rng.String()
	}
	vcs, err := st.ComponentVersions(ctx, base, q.scope())
	if err != nil {
		return nil, err
	}
	eco := ecosystemOf(base)
	var cmp version.Comparator
	var cmpErr error
	if rng != nil {
		if cmp, cmpErr = version.Lookup(eco); eco == "" {
			cmpErr = fmt.Errorf("Siegel compares no versions of %s packages", typeOf(base))
		}
	}
	var selected []string
	for _, vc := range vcs {
		hit := VersionHit{Version: vc.Version, Ecosystem: eco, Occurrences: vc.Count}
		switch {
		case exact != "":
			hit.Selected = vc.Version == exact
		case rng == nil:
			hit.Selected = true
		case cmpErr != nil:
			res.NotEvaluated = append(res.NotEvaluated, NotEvaluated{vc.Version, vc.Count, cmpErr.Error()})
		default:
			in, err := rng.Contains(cmp, vc.Version)
			if err != nil {
				res.NotEvaluated = append(res.NotEvaluated, NotEvaluated{vc.Version, vc.Count, err.Error()})
			}
			hit.Selected = in && err == nil
		}
		if hit.Selected {
			selected = append(selected, vc.Version)
			res.Total += vc.Count
		}
		res.Versions = append(res.Versions, hit)
	}
	if res.Total == 0 || q.Offset >= res.Total {
		return res, nil
	}
	oq := store.OccurrenceQuery{Base: base, Scope: q.scope(), Limit: q.Limit, Offset: q.Offset}
	if exact != "" || rng != nil {
		oq.Versions = selected
	}
	occs, err := st.Occurrences(ctx, oq)
	if err != nil {
		return nil, err
	}
	keys := occurrenceKeys(occs)
	fs, err := st.OccurrenceFindings(ctx, keys, nil)
	if err != nil {
		return nil, err
	}
	for i, o := range occs {
		it := toItem(o)
		for _, f := range fs[keys[i]] {
			it.Findings = append(it.Findings, Finding{Vulnerability: f.Vulnerability, Severity: f.Severity, Exploited: f.Exploited, VEX: f.VEX})
		}
		res.Items = append(res.Items, it)
	}
	return res, nil
}

func typeOf(base string) string {
	t, _, _ := strings.Cut(strings.TrimPrefix(base, "pkg:"), "/")
	return t
}

func occurrenceKeys(occs []store.Occurrence) []store.ReleasePURL {
	keys := make([]store.ReleasePURL, len(occs))
	for i, o := range occs {
		keys[i] = store.ReleasePURL{Release: o.ReleaseID, PURL: o.PURL}
	}
	return keys
}

func toItem(o store.Occurrence) Item {
	return Item{OrganizationID: o.OrgID, Organization: o.Organization, ProductID: o.ProductID, Product: o.Product, ReleaseID: o.ReleaseID,
		Release: o.Release, Name: o.Name, Version: o.Version, PURL: o.PURL, Direct: o.Direct}
}

// affectedPackage is one package an advisory names, with the occurrence groups it affects.
type affectedPackage struct {
	key    vulndb.Key
	groups []store.MatchGroup
	count  int
}

func byAdvisory(ctx context.Context, st Occurrences, adv Advisories, q Query) (*Result, error) {
	related, err := adv.Related(ctx, []string{q.Advisory})
	if err != nil {
		return nil, err
	}
	ids := related[q.Advisory]
	if len(ids) == 0 {
		return nil, fmt.Errorf("%w: advisory %s is not in the vulnerability database (as an id or an alias); update it with 'siegel db update'", ErrQuery, q.Advisory)
	}
	raws, err := adv.RecordsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	res := &Result{Advisory: q.Advisory, Limit: q.Limit, Offset: q.Offset, Versions: []VersionHit{}, NotEvaluated: []NotEvaluated{}, Items: []Item{}}
	vulns := []string{q.Advisory}
	// One entry per package: an advisory may name a package in several affected entries (one
	// per release of a distribution, say); a group is affected when any entry affects it.
	type entry struct {
		key      vulndb.Key
		affected []version.Affected
	}
	var entries []*entry
	byKey := map[vulndb.Key]*entry{}
	for _, rr := range raws {
		rec, err := vulndb.DecodeRecord(rr)
		if err != nil {
			return nil, err
		}
		res.Records = append(res.Records, rec.ID)
		vulns = append(vulns, rec.ID)
		vulns = append(vulns, rec.Aliases...)
		for _, a := range rec.Affected {
			if a.Package.Ecosystem == "" || a.Package.Name == "" {
				continue
			}
			k := vulndb.PackageKey(a.Package.Ecosystem, a.Package.Name)
			e := byKey[k]
			if e == nil {
				e = &entry{key: k}
				byKey[k] = e
				entries = append(entries, e)
			}
			e.affected = append(e.affected, version.Affected{Ecosystem: a.Package.Ecosystem, Ranges: a.Ranges, Versions: a.Versions})
		}
	}
	slices.Sort(vulns)
	vulns = slices.Compact(vulns)
	cache := version.NewParseCache()
	var pkgs []affectedPackage
	for _, e := range entries {
		groups, err := st.LookupGroups(ctx, e.key.Ecosystem, e.key.Name, q.scope())
		if err != nil {
			return nil, err
		}
		ap := affectedPackage{key: e.key}
		for _, g := range groups {
			hit := VersionHit{Version: g.MatchVersion, Ecosystem: g.Ecosystem, Occurrences: g.Count}
			var problems []string
			if g.MatchVersion == "" && g.Commit == "" {
				problems = append(problems, "the component has no version: no range can place it")
			}
			for _, a := range e.affected {
				if !sameRelease(a.Ecosystem, g.Ecosystem) {
					continue
				}
				a.Cache = cache
				in, err := a.Affects(version.Target{Version: g.MatchVersion, Commit: g.Commit})
				if in {
					hit.Selected = true
					break
				}
				if err != nil && !slices.Contains(problems, err.Error()) {
					problems = append(problems, err.Error())
				}
			}
			if !hit.Selected && len(problems) > 0 {
				res.NotEvaluated = append(res.NotEvaluated, NotEvaluated{g.MatchVersion, g.Count, strings.Join(problems, "; ")})
			}
			if hit.Selected {
				ap.groups = append(ap.groups, g)
				ap.count += g.Count
			}
			res.Versions = append(res.Versions, hit)
		}
		res.Total += ap.count
		pkgs = append(pkgs, ap)
	}
	// The page runs across the packages in order.
	skip, want := q.Offset, q.Limit
	var occs []store.Occurrence
	for _, ap := range pkgs {
		if want == 0 {
			break
		}
		if skip >= ap.count {
			skip -= ap.count
			continue
		}
		part, err := st.Occurrences(ctx, store.OccurrenceQuery{Lookup: ap.key.Name, Groups: ap.groups, Scope: q.scope(), Limit: want, Offset: skip})
		if err != nil {
			return nil, err
		}
		skip = 0
		want -= len(part)
		occs = append(occs, part...)
	}
	keys := occurrenceKeys(occs)
	fs, err := st.OccurrenceFindings(ctx, keys, vulns)
	if err != nil {
		return nil, err
	}
	vex, err := st.OccurrenceVEX(ctx, keys, vulns)
	if err != nil {
		return nil, err
	}
	for i, o := range occs {
		it := toItem(o)
		it.FindingStatus, it.VEX = FindingNotMatched, vex[keys[i]]
		for _, f := range fs[keys[i]] {
			if !f.Resolved {
				it.FindingStatus = FindingOpen
				break
			}
			it.FindingStatus = FindingResolved
		}
		res.Items = append(res.Items, it)
	}
	return res, nil
}

// sameRelease reports whether an affected entry's ecosystem applies to an occurrence's: without
// a release suffix it applies to every release; with one the releases must agree, and an
// occurrence of unknown release is kept (reported rather than missed), as matching does.
func sameRelease(advisory, occurrence string) bool {
	ab, ar, ok := strings.Cut(advisory, ":")
	ob, or, ook := strings.Cut(occurrence, ":")
	if ab != ob {
		return false
	}
	if !ok || !ook {
		return true
	}
	return ar == or || strings.HasPrefix(ar, or+":") || strings.HasPrefix(or, ar+":")
}
