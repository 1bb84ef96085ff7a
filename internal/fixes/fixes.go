// Package fixes finds the releases of a product that fixed a vulnerability an earlier release
// had: the later release ships the vulnerable package at a version the vulnerability database
// does not list as affected. A release that never had a finding still fixed it, and the
// manufacturer has to say so (CRA Annex I Part II (4): information about fixed vulnerabilities;
// Art. 13(9): the update stays available).
package fixes

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/siegel-oss/siegel/internal/match"
	"github.com/siegel-oss/siegel/internal/store"
)

// Store is what finding fixes reads.
type Store interface {
	Releases(ctx context.Context, product int64) ([]store.Release, error)
	FindingsInForce(ctx context.Context, releases []int64) (map[int64][]store.Finding, error)
	PackagesByPURL(ctx context.Context, purls map[int64][]string) (map[int64][]store.Package, error)
	ReleaseComponents(ctx context.Context, release int64) ([]store.Component, error)
	Pending(ctx context.Context, dedup string) (bool, error)
	MatchedAt(ctx context.Context, releases []int64) (map[int64]time.Time, error)
	FirstSeen(ctx context.Context, findings []int64) (map[int64]time.Time, error)
}

// Fix is one vulnerability fixed by one release.
type Fix struct {
	Vulnerability string   // the id the earlier release's finding has
	Aliases       []string // its other ids
	Release       store.Release
	Affected      store.Release // the last earlier release that has the finding
	Component     string        // the purl of the package at its fixed version in Release
	Was           string        // the purl of the vulnerable package in Affected
}

// Has says whether the fix is of the vulnerability id, under its id or one of its aliases.
func (f Fix) Has(id string) bool {
	return f.Vulnerability == id || slices.Contains(f.Aliases, id)
}

type lookupKey struct{ ecosystem, name string }

// keyed is what a release has under one lookup key: the purl of its first component and the
// versions of all (one, mostly: kept without a slice then).
type keyed struct {
	purl, version string
	more          []string // the other versions
	// uncompared is set when matching could not compare one of the versions with an advisory's
	// ranges (none, or one its ecosystem's rules do not parse): the release's having no finding
	// then says nothing of it.
	uncompared bool
}

func (k keyed) has(version string) bool {
	return k.version == version || slices.Contains(k.more, version)
}

// purlOf is the lookup key and version of a component with a purl.
type purlOf struct {
	key     lookupKey
	version string
}

type releaseData struct {
	rel      store.Release
	findings []store.Finding
	aliases  [][]string          // of each finding
	ids      map[string]bool     // ids and aliases of the findings in force
	byKey    map[lookupKey]keyed // matchable components by lookup key
	byPURL   map[string]purlOf   // matchable components by purl
	pending  bool                // matching of its components has not finished: its findings are not known yet
	// matchedAt is when the release was last matched (zero: never). A vulnerability first found
	// in an earlier release after it may not have been in the database it was matched against.
	matchedAt time.Time
}

// Find lists the fixes among the releases of a product, oldest release first. A release R fixed
// vulnerability V when an earlier release E has a finding of V in its package P (looked up in the
// vulnerability database as ecosystem and name), and R
//   - has P, only at versions other than the one E has, each one matching could compare with
//     V's ranges (a version its ecosystem's rules parse, or a commit),
//   - has no finding of V (under any of its ids) in force: matching found every version of P in
//     R outside the ranges V affects, and
//   - is matched: no matching of its components is still queued or running, and the last one
//     ran no earlier than E's finding of V was first seen, so that the database it read had V
//     (after an update, re-matching reaches the releases one batch after another: until it
//     reaches R, R's having no finding of a vulnerability the update brought says nothing).
//
// Releases are ordered as the store lists them (by when they were recorded).
//
// Each release's components and whether its matching is finished are read before the findings:
// a matching that ends while they are read leaves the release pending in this reading, never
// matched with findings from before (see Of).
func Find(ctx context.Context, st Store, product int64) ([]Fix, error) {
	rels, err := st.Releases(ctx, product)
	if err != nil {
		return nil, err
	}
	slices.Reverse(rels) // oldest first
	comps := make([][]store.Component, len(rels))
	waits := make([]bool, len(rels))
	ids := make([]int64, len(rels))
	for i, r := range rels {
		if comps[i], err = st.ReleaseComponents(ctx, r.ID); err != nil {
			return nil, err
		}
		if waits[i], err = pending(ctx, st, r.ID); err != nil {
			return nil, err
		}
		ids[i] = r.ID
	}
	matched, err := st.MatchedAt(ctx, ids)
	if err != nil {
		return nil, err
	}
	data, err := readFindings(ctx, st, rels)
	if err != nil {
		return nil, err
	}
	for i, d := range data {
		d.pending, d.matchedAt = waits[i], matched[d.rel.ID]
		d.addComponents(comps[i])
	}
	return checkedFixes(ctx, st, data, -1)
}

// Of lists the fixes of one release of a product: those Find lists for it. What a release fixed
// depends only on the releases recorded before it, and of those only on their findings and the
// components these name, so the later releases and the earlier ones' other components are not read.
//
// comps are the release's components as ReleaseComponents lists them, which its page has read:
// read before Of is called. Whether the release's matching is finished, and when it last ran,
// are read before its findings: were they read after, a matching that ended in between would
// make findings from before it look like those of a matched release, and a vulnerability it
// found look fixed.
func Of(ctx context.Context, st Store, product, release int64, comps []store.Component) ([]Fix, error) {
	waits, err := pending(ctx, st, release)
	if err != nil {
		return nil, err
	}
	matched, err := st.MatchedAt(ctx, []int64{release})
	if err != nil {
		return nil, err
	}
	rels, err := st.Releases(ctx, product)
	if err != nil {
		return nil, err
	}
	slices.Reverse(rels) // oldest first
	i := slices.IndexFunc(rels, func(r store.Release) bool { return r.ID == release })
	if i < 0 {
		return nil, fmt.Errorf("release %d of product %d: %w", release, product, store.ErrNotFound)
	}
	rels = rels[:i+1]
	data, err := readFindings(ctx, st, rels)
	if err != nil {
		return nil, err
	}
	purls := map[int64][]string{} // of the earlier releases' findings
	for _, d := range data[:i] {
		for _, f := range d.findings {
			purls[d.rel.ID] = append(purls[d.rel.ID], f.PURL)
		}
	}
	named, err := st.PackagesByPURL(ctx, purls)
	if err != nil {
		return nil, err
	}
	for _, d := range data[:i] {
		for _, p := range named[d.rel.ID] {
			d.add(p, true) // an earlier release: never the later one a fix is looked for in
		}
	}
	data[i].pending, data[i].matchedAt = waits, matched[release]
	data[i].addComponents(comps)
	return checkedFixes(ctx, st, data, i)
}

// readFindings reads the findings in force of releases, in one query.
func readFindings(ctx context.Context, st Store, rels []store.Release) ([]*releaseData, error) {
	ids := make([]int64, len(rels))
	for i, r := range rels {
		ids[i] = r.ID
	}
	findings, err := st.FindingsInForce(ctx, ids)
	if err != nil {
		return nil, err
	}
	data := make([]*releaseData, len(rels))
	for i, rel := range rels {
		d := &releaseData{rel: rel, findings: findings[rel.ID], ids: map[string]bool{}, byKey: map[lookupKey]keyed{}, byPURL: map[string]purlOf{}}
		d.aliases = make([][]string, len(d.findings))
		for k, f := range d.findings {
			d.aliases[k] = f.Aliases
			d.ids[f.Vulnerability] = true
			for _, a := range d.aliases[k] {
				d.ids[a] = true
			}
		}
		data[i] = d
	}
	return data, nil
}

// addComponents indexes all of a release's components by their lookup key.
func (d *releaseData) addComponents(comps []store.Component) {
	if len(d.byPURL) == 0 { // sized for them
		d.byKey, d.byPURL = make(map[lookupKey]keyed, len(comps)), make(map[string]purlOf, len(comps))
	}
	for _, c := range comps {
		d.add(store.Package{PURL: c.PURL, Version: c.Version, Ecosystem: c.Ecosystem, Lookup: c.Lookup}, match.Compared(c.Ecosystem, c.MatchVersion, c.Commit))
	}
}

// pending reports whether matching of a release's components has not finished.
func pending(ctx context.Context, st Store, release int64) (bool, error) {
	return st.Pending(ctx, "match-release/"+strconv.FormatInt(release, 10))
}

// add indexes a package of the release by its lookup key; compared says whether matching could
// compare its version with an advisory's ranges.
func (d *releaseData) add(p store.Package, compared bool) {
	if p.Ecosystem == "" || p.Lookup == "" || p.PURL == "" {
		return // not looked up in the vulnerability database: nothing to conclude
	}
	k := lookupKey{p.Ecosystem, p.Lookup}
	d.byPURL[p.PURL] = purlOf{k, p.Version}
	e, ok := d.byKey[k]
	switch {
	case !ok:
		e = keyed{purl: p.PURL, version: p.Version}
	case !e.has(p.Version):
		e.more = append(e.more, p.Version)
	}
	e.uncompared = e.uncompared || !compared
	d.byKey[k] = e
}

// checkedFixes is fixesOf with the last condition of a fix checked: the later release was
// matched no earlier than the earlier release's finding was first seen. When the findings were
// first seen is read only for those that would make a fix, few of all; a finding that fails the
// check leaves the place to another earlier release's finding of the same vulnerability.
func checkedFixes(ctx context.Context, st Store, data []*releaseData, only int) ([]Fix, error) {
	var candidates []int64
	fixesOf(data, only, func(f store.Finding, _ *releaseData) bool {
		candidates = append(candidates, f.ID)
		return false // every candidate, not only the first of each vulnerability
	})
	if len(candidates) == 0 {
		return nil, nil
	}
	slices.Sort(candidates)
	first, err := st.FirstSeen(ctx, slices.Compact(candidates))
	if err != nil {
		return nil, err
	}
	return fixesOf(data, only, func(f store.Finding, r *releaseData) bool {
		seen, ok := first[f.ID]
		return ok && !r.matchedAt.IsZero() && !r.matchedAt.Before(seen)
	}), nil
}

// fixesOf finds the fixes among releases (oldest first) read in full, or with only >= 0 those
// of the release at that index, where the earlier releases need only their findings and the
// components these name. A fix of finding f by release r that meets every other condition is
// one if valid(f, r).
func fixesOf(data []*releaseData, only int, valid func(f store.Finding, r *releaseData) bool) []Fix {
	var out []Fix
	seen := map[int64]map[string]bool{} // release -> ids of the vulnerabilities it fixed
	for i, e := range data {
		for n, f := range e.findings {
			was, ok := e.byPURL[f.PURL]
			if !ok {
				continue
			}
			als := e.aliases[n]
			for j := i + 1; j < len(data); j++ {
				if only >= 0 && j != only {
					continue
				}
				r := data[j]
				if hasAny(seen[r.rel.ID], f.Vulnerability, als) || r.pending || hasAny(r.ids, f.Vulnerability, als) {
					continue
				}
				later, ok := r.byKey[was.key]
				if !ok {
					continue // the package is not in the release
				}
				if later.has(was.version) {
					continue // the same version without the finding: not a fix to speak of
				}
				if later.uncompared {
					continue // a version matching could not compare: no finding is no answer
				}
				if !valid(f, r) {
					continue // matched before the database had V, or never
				}
				if seen[r.rel.ID] == nil {
					seen[r.rel.ID] = map[string]bool{}
				}
				for _, id := range append([]string{f.Vulnerability}, als...) {
					seen[r.rel.ID][id] = true
				}
				out = append(out, Fix{Vulnerability: f.Vulnerability, Aliases: als, Release: r.rel, Affected: lastAffected(data[:j], f.Vulnerability, als),
					Component: later.purl, Was: f.PURL})
			}
		}
	}
	return out
}

// lastAffected is the latest of the releases that has the vulnerability.
func lastAffected(before []*releaseData, id string, aliases []string) store.Release {
	var last store.Release
	for _, d := range before {
		if hasAny(d.ids, id, aliases) {
			last = d.rel
		}
	}
	return last
}

func hasAny(ids map[string]bool, id string, aliases []string) bool {
	if ids[id] {
		return true
	}
	for _, a := range aliases {
		if ids[a] {
			return true
		}
	}
	return false
}
