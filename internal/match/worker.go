package match

import (
	"cmp"
	"slices"
	"strings"

	"github.com/siegel-oss/siegel/internal/version"
	"github.com/siegel-oss/siegel/internal/vulndb"
)

// worker is the state of one matching goroutine, shared with no other: the records it decoded
// last, the versions it parsed, what the records it made findings of say of their
// vulnerabilities (so that the findings of one record in several versions of a package share it
// instead of each holding a copy), the slabs its findings are taken from, and scratch buffers.
// Every cache is bounded.
type worker struct {
	versions *version.ParseCache
	vulns    map[string]*vulnerability // by record id: keeping the record itself alive would cost more
	findings []Finding                 // the rest of the current slab (see keep)
	strs     []string
	fixes    []fix    // scratch for upgrades
	ids      []string // scratch for mergeHits
	fixed    []string
	recIDs   []string
	hits     []hit // scratch for matchPackage
	hitFixed []string
	decoded  map[string]*vulndb.Record // the records it decoded last, by id (see records)
	recs     []*vulndb.Record
	groups   struct { // the last grouping of hits (see grouping)
		recs                []*vulndb.Record
		root, next, members []int
		vulns               []*vulnerability // by root: what a group of several records says, once made
	}
}

func newWorker() *worker {
	return &worker{versions: version.NewParseCache(), vulns: map[string]*vulnerability{}, decoded: map[string]*vulndb.Record{}}
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

// Compared reports whether matching compares a package's version with advisories' ranges: a
// version that parses under its ecosystem's rules, or no version but a commit. Coverage counts
// the others as not checked (no version; a version that does not parse), and matching finds
// nothing for them but where an advisory lists the version as it is spelled.
func Compared(ecosystem, version, commit string) bool {
	if version == "" {
		return commit != ""
	}
	return parses(ecosystem, version, nil)
}

// parses reports whether p's version parses in its ecosystem (or is absent: counted apart). A
// version that does not parse cannot be placed in any range: the package is not checked.
func (w *worker) parses(p *Package) bool {
	return p.Version == "" || parses(p.Ecosystem, p.Version, w.versions)
}

// parses reports whether v parses under the rules of ecosystem, through cache (nil: none).
func parses(ecosystem, v string, cache *version.ParseCache) bool {
	c, err := version.Lookup(ecosystem)
	if err != nil {
		return false
	}
	_, err = cache.Parse(c, v)
	return err == nil
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

// mergeHits groups records that name the same vulnerability (through ids and aliases) into one
// finding each. Groups come in the order of their first record; within a group, records are
// taken in order. A package has few hits, so the grouping sorts (id, hit) pairs instead of
// building maps.
func (w *worker) mergeHits(p *Package, hits []hit, out []*Finding) []*Finding {
	root, next, members := w.grouping(hits)
	ids, fixed, recIDs := w.ids, w.fixed, w.recIDs // scratch: what findings keep is copied (see keep)
	defer func() { w.ids, w.fixed, w.recIDs = ids, fixed, recIDs }()
	for r := range hits {
		if root[r] != r {
			continue // not the first hit of its group
		}
		f := w.newFinding()
		f.Package = p
		fixed = fixed[:0]
		var v *vulnerability
		switch {
		case members[r] == 1:
			// One record: its findings in every version of the package share what it says.
			v = w.vulnerabilityOf(hits[r].rec)
		case w.groups.vulns[r] != nil:
			// The same records as the last package's group: so is what they say.
			v = w.groups.vulns[r]
		default:
			v = &vulnerability{Assessment: Assessment{Severity: "UNKNOWN"}}
			ids, recIDs = ids[:0], recIDs[:0]
			for i := r; i >= 0; i = next[i] {
				h := hits[i]
				recIDs = append(recIDs, h.rec.ID)
				ids = append(append(ids, h.rec.ID), h.rec.Aliases...)
				if v.Summary == "" {
					v.Summary = h.rec.Summary
				}
				severityOf(h.rec, &v.Assessment)
			}
			slices.Sort(recIDs)
			v.Records = w.keep(recIDs)
			v.ID, v.Aliases = w.splitIDs(ids)
			w.groups.vulns[r] = v
		}
		for i := r; i >= 0; i = next[i] {
			h := hits[i]
			fixed = append(fixed, w.hitFixed[h.from:h.to]...)
			if len(h.notes) > 0 {
				if f.Enrichment == nil {
					f.Enrichment = &Enrichment{}
				}
				f.Notes = append(f.Notes, h.notes...)
			}
		}
		f.Identity, f.Assessment = &v.Identity, &v.Assessment
		f.Fixed = w.upgrades(p, fixed)
		out = append(out, f)
	}
	return out
}

// grouping returns, for each hit, the first hit of its group (its root) and the group's hit
// after it (-1 after the last), and by root the size of the group. The grouping depends only on
// the hits' records, so it is kept for the next package: the versions of a package held in many
// versions are mostly affected by the same records, and the sort is then done once for all of
// them, as is what the records of a group say of its vulnerability (w.groups.vulns), then shared
// by their findings. The slices are reused by the next call that groups other records.
func (w *worker) grouping(hits []hit) (root, next, members []int) {
	g := &w.groups
	if len(g.recs) == len(hits) && len(hits) > 0 {
		same := true
		for i, h := range hits {
			if g.recs[i] != h.rec {
				same = false
				break
			}
		}
		if same {
			return g.root, g.next, g.members
		}
	}
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
	// The members of each group, in order: next[i] is the group's hit after i, -1 after the last.
	next, last := make([]int, len(hits)), make([]int, len(hits))
	members = make([]int, len(hits)) // by root
	for i := range hits {
		next[i] = -1
		if r := find(i); members[r] > 0 {
			next[last[r]] = i
			last[r], members[r] = i, members[r]+1
		} else {
			last[r], members[r] = i, 1
		}
	}
	for i := range group {
		group[i] = find(i)
	}
	g.recs = g.recs[:0]
	for _, h := range hits {
		g.recs = append(g.recs, h.rec)
	}
	g.root, g.next, g.members = group, next, members
	g.vulns = make([]*vulnerability, len(hits))
	return group, next, members
}

// workerVulnsSize bounds the records whose vulnerability a worker keeps.
const workerVulnsSize = 1024

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
