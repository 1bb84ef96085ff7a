package version

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Range types of the OSV schema (affected[].ranges[].type).
const (
	RangeEcosystem = "ECOSYSTEM"
	RangeSemVer    = "SEMVER"
	RangeGit       = "GIT"
)

// Event is one entry of an OSV range's events; exactly one field is set.
type Event struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

// Range is an OSV affected range.
type Range struct {
	Type   string  `json:"type"`
	Repo   string  `json:"repo,omitempty"`
	Events []Event `json:"events"`
}

// Affected is the part of an OSV affected[] entry that decides whether a version is affected.
type Affected struct {
	Ecosystem string   // package.ecosystem, with any release suffix ("Debian:12")
	Ranges    []Range  // evaluated independently; any match affects
	Versions  []string // explicit list of affected versions
	// Cache, when set, keeps parsed versions across evaluations: a scan meets the same event
	// versions for every version of a package it checks.
	Cache *ParseCache
}

// ParseCache remembers parsed versions. It is not safe for concurrent use. It holds at most
// parseCacheSize versions: matching walks packages in name order, so the versions worth
// remembering are those of the last few names, and a long scan must not keep every version
// string it ever parsed.
type ParseCache struct {
	m      map[parseKey]parsed
	lists  map[listKey][]Version
	ranges map[rangeKey]preparedRange
}

const parseCacheSize = 1024

// listKey identifies an affected entry's versions list by its backing array: records are read
// only, so the same array and length hold the same versions.
type listKey struct {
	first     *string
	n         int
	ecosystem string
}

// listCacheSize bounds the versions lists, and the ranges, a ParseCache keeps parsed.
const listCacheSize = 256

type parseKey struct {
	ecosystem, version string
}

type parsed struct {
	v   Version
	err error
}

// NewParseCache returns an empty cache.
func NewParseCache() *ParseCache {
	return &ParseCache{m: map[parseKey]parsed{}, lists: map[listKey][]Version{}, ranges: map[rangeKey]preparedRange{}}
}

// parseList returns the versions of vs that parse with c, in order. Through a cache, a list is
// parsed once however many versions of a package are tested against it: an entry of a PyPI record
// often lists hundreds of versions, and looking each up again for every version tested was most
// of the time of a scan of a package in many versions.
func (pc *ParseCache) parseList(c Comparator, vs []string) []Version {
	var key listKey
	if pc != nil && len(vs) > 0 {
		key = listKey{&vs[0], len(vs), c.Ecosystem()}
		if l, ok := pc.lists[key]; ok {
			return l
		}
	}
	l := make([]Version, 0, len(vs))
	for _, s := range vs {
		if v, err := pc.Parse(c, s); err == nil {
			l = append(l, v)
		}
	}
	if pc != nil && len(vs) > 0 {
		if len(pc.lists) >= listCacheSize {
			clear(pc.lists)
		}
		pc.lists[key] = l
	}
	return l
}

// Parse parses s with c, through the cache when there is one (pc may be nil).
func (pc *ParseCache) Parse(c Comparator, s string) (Version, error) {
	if pc == nil {
		return c.Parse(s)
	}
	key := parseKey{c.Ecosystem(), s}
	if p, ok := pc.m[key]; ok {
		return p.v, p.err
	}
	v, err := c.Parse(s)
	if len(pc.m) >= parseCacheSize {
		clear(pc.m)
	}
	pc.m[key] = parsed{v, err}
	return v, err
}

// Target is what is tested: a version in the package's ecosystem and, when known, the source
// commit it was built from (needed for GIT ranges).
type Target struct {
	Version string
	Commit  string
}

// Affects reports whether t is affected. Ranges are evaluated independently: one that cannot be
// evaluated (a GIT range without a commit, an event version invalid for the ecosystem) never stops
// the others. The error lists what could not be evaluated; it may be non-nil when affected is
// true or false, and callers decide whether to report it.
func (a *Affected) Affects(t Target) (bool, error) {
	c, err := Lookup(a.Ecosystem)
	if err != nil {
		return false, err
	}
	var errs []error
	// The versions list enumerates affected versions as the ecosystem spells them: an exact
	// match counts even when the version does not parse (git hashes, dates, "2.0.0-final").
	if t.Version != "" && slices.Contains(a.Versions, t.Version) {
		return true, nil
	}
	var v Version
	if t.Version != "" {
		if v, err = a.Cache.Parse(c, t.Version); err != nil {
			errs = append(errs, err)
		}
	}
	if v != nil {
		for _, lv := range a.Cache.parseList(c, a.Versions) {
			if lv.Compare(v) == 0 {
				return true, errors.Join(errs...)
			}
		}
	}
	for i := range a.Ranges {
		r := &a.Ranges[i]
		var hit bool
		var err error
		switch r.Type {
		case RangeEcosystem:
			if v == nil {
				continue
			}
			hit, err = evalOrdered(c, v, r.Events, a.Cache, false)
		case RangeSemVer:
			if t.Version == "" {
				continue
			}
			hit, err = evalSemVer(t.Version, r.Events, a.Cache)
		case RangeGit:
			hit = evalGit(t.Commit, r.Events)
		default:
			err = fmt.Errorf("range type %q is not an OSV range type", r.Type)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("range %d (%s): %w", i, r.Type, err))
			continue
		}
		if hit {
			return true, errors.Join(errs...)
		}
	}
	return false, errors.Join(errs...)
}

// evalSemVer evaluates a SEMVER range. OSV writes SEMVER versions without a "v"; Go module
// versions carry one, so it is stripped from both sides.
func evalSemVer(version string, events []Event, cache *ParseCache) (bool, error) {
	c, err := Lookup("SemVer")
	if err != nil {
		return false, err
	}
	v, err := cache.Parse(c, strings.TrimPrefix(version, "v"))
	if err != nil {
		return false, err
	}
	return evalOrdered(c, v, events, cache, true)
}

// sortedEvents returns a range's events parsed and in the order evalOrdered walks them; through a
// cache, once per range however many versions are tested against it.
func (pc *ParseCache) sortedEvents(c Comparator, events []Event, trimV bool) ([]parsedEvent, error) {
	var key rangeKey
	if pc != nil && len(events) > 0 {
		key = rangeKey{&events[0], len(events), c.Ecosystem(), trimV}
		if r, ok := pc.ranges[key]; ok {
			return r.evs, r.err
		}
	}
	evs, err := sortEvents(c, events, pc, trimV)
	if pc != nil && len(events) > 0 {
		if len(pc.ranges) >= listCacheSize {
			clear(pc.ranges)
		}
		pc.ranges[key] = preparedRange{evs, err}
	}
	return evs, err
}

// rangeKey identifies a range's events by their backing array, as listKey does a versions list.
type rangeKey struct {
	first     *Event
	n         int
	ecosystem string
	trimV     bool
}

// preparedRange is what sortedEvents returns for a range.
type preparedRange struct {
	evs []parsedEvent
	err error
}

// sortEvents parses events with c (a leading "v" taken off each version with trimV) and sorts
// them by version, introductions of "0" first and, at one version, in the order of their kinds.
func sortEvents(c Comparator, events []Event, cache *ParseCache, trimV bool) ([]parsedEvent, error) {
	evs := make([]parsedEvent, 0, len(events))
	for _, e := range events {
		kind, s := evIntroduced, e.Introduced
		switch {
		case e.Fixed != "":
			kind, s = evFixed, e.Fixed
		case e.LastAffected != "":
			kind, s = evLastAffected, e.LastAffected
		case e.Limit != "":
			kind, s = evLimit, e.Limit
		}
		if trimV {
			s = strings.TrimPrefix(s, "v") // SEMVER ranges of Go modules spell versions with a v
		}
		if kind == evIntroduced && s == "0" {
			evs = append(evs, parsedEvent{kind: kind, zero: true})
			continue
		}
		if kind == evLimit && s == "*" {
			continue
		}
		if s == "" {
			return nil, errors.New("event with no version")
		}
		pv, err := cache.Parse(c, s)
		if err != nil {
			return nil, err
		}
		evs = append(evs, parsedEvent{kind: kind, v: pv})
	}
	slices.SortStableFunc(evs, func(a, b parsedEvent) int {
		switch {
		case a.zero && b.zero:
			return 0
		case a.zero:
			return -1
		case b.zero:
			return 1
		}
		if r := a.v.Compare(b.v); r != 0 {
			return r
		}
		return cmp.Compare(a.kind, b.kind)
	})
	return evs, nil
}

// Event kinds in the order they are applied when several share one version: an introduced and a
// fixed at the same version make an empty range.
const (
	evIntroduced = iota
	evLastAffected
	evFixed
	evLimit
)

type parsedEvent struct {
	kind int
	zero bool // introduced "0": before every version
	v    Version
}

// evalOrdered applies the OSV evaluation algorithm: sort the events by version, then walk them;
// the version is affected if the last event at or below it is an introduction (last_affected is
// inclusive, fixed exclusive). A limit caps the range: versions at or above it are not affected.
// With trimV, a leading "v" is taken off each event's version first.
func evalOrdered(c Comparator, v Version, events []Event, cache *ParseCache, trimV bool) (bool, error) {
	evs, err := cache.sortedEvents(c, events, trimV)
	if err != nil {
		return false, err
	}
	affected := false
	for _, e := range evs {
		if e.zero {
			affected = true
			continue
		}
		r := v.Compare(e.v)
		switch e.kind {
		case evIntroduced:
			if r >= 0 {
				affected = true
			}
		case evFixed:
			if r >= 0 {
				affected = false
			}
		case evLastAffected:
			if r > 0 {
				affected = false
			}
		case evLimit:
			if r >= 0 {
				return false, nil
			}
		}
	}
	return affected, nil
}

// evalGit evaluates a GIT range for a commit. Without the repository's history Siegel cannot
// order commits, so only the commits the events name are decided: an introduced or last_affected
// commit is affected, a fixed or limit commit is not. No commit, no match.
func evalGit(commit string, events []Event) bool {
	if commit == "" {
		return false
	}
	same := func(c string) bool { return c != "" && (c == commit || len(c) >= 7 && strings.HasPrefix(commit, c)) }
	for _, e := range events {
		if same(e.Fixed) || same(e.Limit) {
			return false
		}
	}
	for _, e := range events {
		if same(e.Introduced) || same(e.LastAffected) {
			return true
		}
	}
	return false
}
