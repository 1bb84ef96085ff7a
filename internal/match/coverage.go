package match

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/vulndb"
)

// Reasons a component was not checked, as Unchecked.Reason and the coverage counts give them.
const (
	ReasonNoData      = "no-data"             // the database holds no advisory of the component's ecosystem
	ReasonNoVersion   = "no-version"          // the component has no version (nor commit)
	ReasonBadVersion  = "unparseable-version" // its version is not one of its ecosystem's
	ReasonNoEcosystem = "unknown-ecosystem"   // no purl, or a purl type no OSV ecosystem covers
)

// DefaultMaxAge is how old a feed may be before a result calls it stale.
const DefaultMaxAge = 7 * 24 * time.Hour

// Coverage says what a scan checked against what: per ecosystem, how many components were
// checked against how many advisories and how many were not (and why), and how old each feed
// of the database is. A result without findings means "nothing found among what was checked",
// and Coverage says what that was.
type Coverage struct {
	Components int `json:"components"`
	Checked    int `json:"checked"`
	NotChecked int `json:"notChecked"`
	// Advisories counts the advisories of the database that name a package, summed over
	// ecosystems: zero for an empty database.
	Advisories int `json:"advisories"`
	// UnknownEcosystem counts the components without a purl, or with a purl type that maps to no
	// OSV ecosystem: not looked up at all.
	UnknownEcosystem int                 `json:"unknownEcosystem,omitempty"`
	Ecosystems       []EcosystemCoverage `json:"ecosystems"`
	Feeds            []Feed              `json:"feeds"`
	// Warnings say in words what must not go unnoticed: an empty or stale database, a missing
	// exploitation feed, components left unchecked.
	Warnings []string `json:"warnings,omitempty"`
}

// EcosystemCoverage is the coverage of one base ecosystem ("Debian" for every release).
type EcosystemCoverage struct {
	Ecosystem  string `json:"ecosystem"`
	Advisories int    `json:"advisories"` // in the database, naming a package of the ecosystem
	Components int    `json:"components"`
	Checked    int    `json:"checked"`
	NoData     int    `json:"noData,omitempty"`
	NoVersion  int    `json:"noVersion,omitempty"`
	BadVersion int    `json:"unparseableVersion,omitempty"`
	// Imported is when the OSV source named after the ecosystem ("osv:Debian") was last
	// imported, when there is such a source.
	Imported *time.Time `json:"imported,omitempty"`
}

// Feed is the state of one feed of the database: OSV (the oldest of its sources' latest
// imports), CISA KEV, FIRST EPSS, ENISA EUVD.
type Feed struct {
	Feed     string     `json:"feed"`
	Imported *time.Time `json:"imported,omitempty"` // absent: never imported
	Records  int        `json:"records"`
	Stale    bool       `json:"stale,omitempty"` // older than the age allowed
}

// Unchecked is a component a scan did not check, and why.
type Unchecked struct {
	Ref       string `json:"ref"`
	PURL      string `json:"purl,omitempty"`
	Ecosystem string `json:"ecosystem,omitempty"`
	Reason    string `json:"reason"`
}

// Options are the settings of a scan's coverage statement.
type Options struct {
	Now    time.Time     // when the scan runs, for the age of the feeds
	MaxAge time.Duration // a feed imported longer ago is stale; DefaultMaxAge when zero
	// Collect runs a garbage collection once the packages are matched, before the findings are
	// enriched: matching leaves a heap mostly of dead decoding data, on top of which the
	// enrichment would otherwise grow it further. For a process that runs one scan and exits
	// (the command line), it lowers the peak memory at the cost of one collection; a server
	// leaves it to the runtime.
	Collect bool
}

// counter is the running coverage of one base ecosystem while packages are looked up.
type counter struct {
	eco                      string
	total, noVersion, badVer int
}

// counters keeps one counter per base ecosystem: a scan's packages come sorted by ecosystem,
// so the last one used is nearly always the one asked for.
type counters struct {
	list []*counter
	last *counter
}

func (cs *counters) get(eco string) *counter {
	if cs.last != nil && cs.last.eco == eco {
		return cs.last
	}
	for _, c := range cs.list {
		if c.eco == eco {
			cs.last = c
			return c
		}
	}
	c := &counter{eco: eco}
	cs.list = append(cs.list, c)
	cs.last = c
	return c
}

// add counts p, of base ecosystem eco.
func (cs *counters) add(eco string, p *Package) {
	c := cs.get(eco)
	c.total++
	if p.Version == "" && p.Commit == "" {
		c.noVersion++
	}
}

// cover states what was checked of pkgs (looked up under keys' ecosystems; badVersion lists the
// indexes of those whose version does not parse) and unknown against the holdings h.
func cover(h *vulndb.Holdings, pkgs []Package, unknown []Package, cs *counters, badVersion []int, opts Options) (*Coverage, []Unchecked) {
	c := &Coverage{Components: len(pkgs) + len(unknown), UnknownEcosystem: len(unknown)}
	var unchecked []Unchecked
	for _, p := range unknown {
		unchecked = append(unchecked, Unchecked{Ref: p.Ref, PURL: p.PURL, Reason: ReasonNoEcosystem})
	}
	for _, n := range badVersion {
		cs.get(vulndb.PackageKey(pkgs[n].Ecosystem, "").Ecosystem).badVer++
	}
	slices.SortFunc(cs.list, func(a, b *counter) int { return strings.Compare(a.eco, b.eco) })
	for _, k := range cs.list {
		c.Ecosystems = append(c.Ecosystems, EcosystemCoverage{Ecosystem: k.eco, Components: k.total, NoVersion: k.noVersion, BadVersion: k.badVer})
	}
	c.Refresh(h, opts)
	if c.NotChecked > len(unknown) {
		// The components themselves, only when there are any: a full scan allocates nothing here.
		noData := map[string]bool{}
		for _, e := range c.Ecosystems {
			if e.NoData > 0 {
				noData[e.Ecosystem] = true
			}
		}
		bad := map[int]bool{}
		for _, n := range badVersion {
			bad[n] = true
		}
		for i, p := range pkgs {
			reason := ""
			switch {
			case p.Version == "" && p.Commit == "":
				reason = ReasonNoVersion
			case bad[i]:
				reason = ReasonBadVersion
			case noData[vulndb.PackageKey(p.Ecosystem, "").Ecosystem]:
				reason = ReasonNoData
			default:
				continue
			}
			unchecked = append(unchecked, Unchecked{Ref: p.Ref, PURL: p.PURL, Ecosystem: p.Ecosystem, Reason: reason})
		}
	}
	return c, unchecked
}

// Refresh states the coverage against the holdings h: the advisories of each ecosystem, the
// components checked and those not for lack of data, the feeds and the warnings. The counts of
// components (in all, without a version, with a version that does not parse) are kept: a
// server refreshes the coverage of a release when the database changes, without matching
// every component again.
func (c *Coverage) Refresh(h *vulndb.Holdings, opts Options) {
	maxAge := cmp.Or(opts.MaxAge, DefaultMaxAge)
	c.Checked, c.Advisories, c.Feeds = 0, 0, nil
	for i := range c.Ecosystems {
		e := &c.Ecosystems[i]
		e.Advisories, e.Imported = h.Advisories[e.Ecosystem], nil
		if s, ok := h.Import("osv:" + e.Ecosystem); ok {
			e.Imported = &s.Taken
		}
		// A component without a version, or with one that does not parse, is not checked for
		// that reason; the others are checked when the database holds data for the ecosystem.
		checkable := e.Components - e.NoVersion - e.BadVersion
		e.Checked = checkedIn(h, e.Ecosystem, checkable)
		e.NoData = checkable - e.Checked
		c.Checked += e.Checked
	}
	c.NotChecked = c.Components - c.Checked
	for _, n := range h.Advisories {
		c.Advisories += n
	}
	for _, kind := range vulndb.FeedKinds {
		f := Feed{Feed: kind}
		if s, ok := h.Latest(kind); ok {
			taken := s.Taken
			f.Imported, f.Records = &taken, s.Records
			f.Stale = !opts.Now.IsZero() && opts.Now.Sub(taken) > maxAge
		}
		if kind == "osv" {
			f.Records = 0 // the sum over its sources
			for _, s := range h.Imports {
				if s.Kind == kind {
					f.Records += s.Records
				}
			}
		}
		c.Feeds = append(c.Feeds, f)
	}
	c.Warnings = coverageWarnings(c, maxAge)
}

// checkedIn is how many of an ecosystem's components with a version to compare (checkable) a
// database with holdings h checks: all of them when it holds advisories of the ecosystem, none
// otherwise.
func checkedIn(h *vulndb.Holdings, ecosystem string, checkable int) int {
	if h.Advisories[ecosystem] == 0 {
		return 0
	}
	return checkable
}

// RestateCounts restates counts summed over kept coverage records — the components, those
// checked as stated, and by base ecosystem those with a version to compare — against holdings h,
// as Refresh restates one record: it returns the components checked and not checked. Without
// holdings the counts stand as stated.
func RestateCounts(h *vulndb.Holdings, components, checked int, checkable map[string]int) (int, int) {
	if h != nil {
		checked = 0
		for eco, n := range checkable {
			checked += checkedIn(h, eco, n)
		}
	}
	return checked, components - checked
}

// feedNames are the feeds' names in warnings.
var feedNames = map[string]string{"osv": "OSV advisories were", "kev": "CISA KEV catalogue was", "epss": "FIRST EPSS scores were", "euvd": "ENISA EUVD entries were"}

func coverageWarnings(c *Coverage, maxAge time.Duration) []string {
	var out []string
	if c.Advisories == 0 {
		out = append(out, "the vulnerability database holds no advisories: nothing was checked; run 'siegel db update'")
	}
	for _, f := range c.Feeds {
		switch {
		case f.Imported == nil && f.Feed == "kev":
			out = append(out, "no CISA KEV catalogue imported: no finding can be known as exploited (CRA Art. 14); run 'siegel db update --kev FILE|URL'")
		case f.Stale:
			out = append(out, fmt.Sprintf("the %s imported %s, more than %s ago: run 'siegel db update'",
				feedNames[f.Feed], f.Imported.UTC().Format(time.DateOnly), formatAge(maxAge)))
		}
	}
	if c.NotChecked > 0 && c.Advisories > 0 {
		var parts []string
		if c.UnknownEcosystem > 0 {
			parts = append(parts, fmt.Sprintf("%d without a known ecosystem", c.UnknownEcosystem))
		}
		var noData, noVersion, badVersion []string
		for _, e := range c.Ecosystems {
			if e.NoData > 0 {
				noData = append(noData, fmt.Sprintf("%d %s", e.NoData, e.Ecosystem))
			}
			if e.NoVersion > 0 {
				noVersion = append(noVersion, fmt.Sprintf("%d %s", e.NoVersion, e.Ecosystem))
			}
			if e.BadVersion > 0 {
				badVersion = append(badVersion, fmt.Sprintf("%d %s", e.BadVersion, e.Ecosystem))
			}
		}
		if len(noData) > 0 {
			parts = append(parts, strings.Join(noData, ", ")+" in ecosystems the database holds no advisories for")
		}
		if len(noVersion) > 0 {
			parts = append(parts, strings.Join(noVersion, ", ")+" without a version")
		}
		if len(badVersion) > 0 {
			parts = append(parts, strings.Join(badVersion, ", ")+" with a version that does not parse")
		}
		out = append(out, fmt.Sprintf("%d of %d components were not checked: %s", c.NotChecked, c.Components, strings.Join(parts, "; ")))
	}
	return out
}

// formatAge writes a duration in days when it is a whole number of them.
func formatAge(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		if d == 24*time.Hour {
			return "1 day"
		}
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	}
	return d.String()
}

// Summary states the coverage in one line: what was checked against what.
func (c *Coverage) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d of %d components checked", c.Checked, c.Components)
	var parts []string
	for _, e := range c.Ecosystems {
		if e.Checked > 0 {
			parts = append(parts, fmt.Sprintf("%s %d against %d advisories", e.Ecosystem, e.Checked, e.Advisories))
		}
	}
	if len(parts) > 0 {
		b.WriteString(" (" + strings.Join(parts, ", ") + ")")
	}
	if c.NotChecked > 0 {
		fmt.Fprintf(&b, "; %d not checked", c.NotChecked)
	}
	return b.String()
}

// Clean reports whether a result without findings may be called free of known vulnerabilities:
// every component was checked, against a database that holds advisories.
func (c *Coverage) Clean() bool {
	return c != nil && c.NotChecked == 0 && c.Components > 0 && c.Advisories > 0
}

// Unmatched is the result of a scan without a vulnerability database: no findings, and a
// coverage that says nothing was checked.
func Unmatched(pkgs, unknown []Package, opts Options) *Result {
	cs := &counters{}
	for i := range pkgs {
		cs.add(vulndb.PackageKey(pkgs[i].Ecosystem, "").Ecosystem, &pkgs[i])
	}
	res := &Result{Findings: []*Finding{}, Unmatched: unknown, Scanned: len(pkgs)}
	res.Coverage, res.NotChecked = cover(&vulndb.Holdings{}, pkgs, unknown, cs, nil, opts)
	res.Coverage.Warnings = append([]string{"no vulnerability database: no component was checked; run 'siegel db update'"}, res.Coverage.Warnings[1:]...)
	return res
}

// DatabaseWarnings are the warnings about the database alone (empty, stale, no KEV), for a
// banner that is shown whatever is scanned.
func DatabaseWarnings(h *vulndb.Holdings, opts Options) []string {
	c := &Coverage{}
	c.Refresh(h, opts)
	return c.Warnings
}

// Restate decodes a coverage kept as JSON and, when h is not nil, restates it against h.
func Restate(data []byte, h *vulndb.Holdings, opts Options) (*Coverage, error) {
	var c Coverage
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("kept coverage: %w", err)
	}
	if h != nil {
		c.Refresh(h, opts)
	}
	return &c, nil
}
