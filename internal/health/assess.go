package health

import (
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Check gives the health of one component occurrence.
func (d *Data) Check(c Component, opt Options) Result {
	if d.idx == nil {
		d.Index()
	}
	r := Result{Component: c}
	key, version, _ := parsePURL(c.PURL)
	typ, rest, _ := strings.Cut(key, "/")
	r.Memory, r.MemoryReason = classifyMemory(c, typ, strings.ToLower(rest[strings.LastIndexByte(rest, '/')+1:]))
	if c.Version != "" {
		version = c.Version
	}
	covered := false
	var unknown []Verdict
	if p, cy := d.idx.matchCycle(c, key, version); cy != nil {
		covered = true
		vs := cycleVerdicts(p, cy, opt)
		if typ, _, _ := strings.Cut(key, "/"); distroPackageTypes[typ] {
			for i := range vs {
				vs[i].Detail = distroNote
			}
		}
		r.Verdicts = append(r.Verdicts, vs...)
	} else if oldest, ok := predatesAll(p, version); ok && oldest.EOL.EndedBy(opt.Now) {
		// Older than every listed cycle, all of which the data drops once long ended.
		covered = true
		r.Verdicts = append(r.Verdicts, Verdict{Kind: EndOfLife, Source: SourceEndOfLife, DataDate: p.DataDate,
			Product: p.Name, EndOfLife: oldest.EOL.Date, EndOfLifeUndated: oldest.EOL.Date.IsZero(),
			Detail: "version " + strconv.Quote(version) + " predates the oldest release cycle listed (" + oldest.Name + "), whose support ended"})
	} else if p != nil {
		// The product is known but no release cycle covers the version: say so, with the product.
		unknown = append(unknown, Verdict{Kind: Unknown, Source: SourceEndOfLife, DataDate: p.DataDate,
			Product: p.Name, Detail: "no release cycle of " + p.Name + " covers version " + strconv.Quote(version)})
	}
	if pkg := d.idx.pkg(key); pkg != nil {
		covered = true
		r.Verdicts = append(r.Verdicts, packageVerdicts(pkg, version, opt)...)
	}
	switch {
	case !covered:
		r.Verdicts = unknown
		if len(r.Verdicts) == 0 {
			r.Verdicts = []Verdict{{Kind: Unknown}}
		}
	case !slices.ContainsFunc(r.Verdicts, func(v Verdict) bool { return v.Kind.Unhealthy() }):
		// Keep the data-bearing Supported verdicts (source, date, end of life), drop duplicates of kind.
		r.Verdicts = slices.DeleteFunc(r.Verdicts, func(v Verdict) bool { return v.Kind != Supported })
		if len(r.Verdicts) == 0 {
			r.Verdicts = []Verdict{{Kind: Supported}}
		}
	default:
		r.Verdicts = slices.DeleteFunc(r.Verdicts, func(v Verdict) bool { return v.Kind == Supported })
	}
	sort.SliceStable(r.Verdicts, func(i, j int) bool { return r.Verdicts[i].Kind.Rank() < r.Verdicts[j].Kind.Rank() })
	return r
}

// Assess gives the health of every component occurrence, with counts per worst kind and the
// memory-safety share.
func (d *Data) Assess(cs []Component, opt Options) Report {
	if d.idx == nil {
		d.Index()
	}
	rep := Report{Results: make([]Result, len(cs)), Counts: map[Kind]int{}}
	for i, c := range cs {
		r := d.Check(c, opt)
		rep.Results[i] = r
		rep.Counts[r.Worst()]++
		rep.Memory.add(r.Memory, c.Size)
	}
	rep.Sources = d.SourceInfos()
	return rep
}

// SourceInfos lists the loaded sources with their data dates and entry counts, sorted by name.
func (d *Data) SourceInfos() []SourceInfo {
	counts := map[string]int{}
	if len(d.Products) > 0 {
		counts[SourceEndOfLife] = len(d.Products)
	}
	for _, p := range d.Packages {
		counts[p.Source]++
	}
	var out []SourceInfo
	for _, name := range slices.Sorted(maps.Keys(counts)) {
		out = append(out, SourceInfo{Name: name, DataDate: d.Sources[name], Entries: counts[name]})
	}
	return out
}

func (m *MemoryShare) add(c MemorySafety, size int64) {
	switch c {
	case MemorySafe:
		m.Safe++
		m.SafeBytes += size
	case NotMemorySafe:
		m.NotSafe++
		m.NotSafeBytes += size
	default:
		m.Unknown++
		m.UnknownBytes += size
	}
}

func cycleVerdicts(p *Product, cy *Cycle, opt Options) []Verdict {
	base := Verdict{Source: SourceEndOfLife, DataDate: p.DataDate, Product: p.Name, Cycle: cy.Name,
		EndOfLife: cy.EOL.Date, EndOfLifeUndated: cy.EOL.Date.IsZero() && cy.EOL.Ended}
	if cy.EOL.EndedBy(opt.Now) {
		v := base
		v.Kind = EndOfLife
		return []Verdict{v}
	}
	var out []Verdict
	if !opt.SupportEnd.IsZero() && !cy.EOL.Date.IsZero() && cy.EOL.Date.Before(opt.SupportEnd) {
		v := base
		v.Kind = Mismatch
		v.ReleaseSupportEnd = opt.SupportEnd
		out = append(out, v)
	}
	v := base
	v.Kind = Supported
	return append(out, v)
}

func packageVerdicts(p *Package, version string, opt Options) []Verdict {
	base := Verdict{Source: p.Source, DataDate: p.DataDate, LastRelease: p.LastRelease}
	var out []Verdict
	add := func(k Kind, detail string) {
		v := base
		v.Kind, v.Detail = k, detail
		out = append(out, v)
	}
	if p.Deprecated {
		add(Deprecated, p.DeprecationMessage)
	}
	if vs, ok := p.Versions[version]; ok {
		if vs.Deprecated != "" && !p.Deprecated {
			add(Deprecated, vs.Deprecated)
		}
		if vs.Yanked {
			add(Retracted, vs.Reason)
		}
	}
	if r, ok := retracted(p.Retractions, version); ok {
		add(Retracted, r.Rationale)
	}
	months := opt.UnmaintainedMonths
	if months <= 0 {
		months = DefaultUnmaintainedMonths
	}
	switch {
	case p.Archived:
		add(Unmaintained, "archived by its publisher")
	case !p.LastRelease.IsZero() && !opt.Now.IsZero() && p.LastRelease.AddDate(0, months, 0).Before(opt.Now):
		add(Unmaintained, "no release since "+p.LastRelease.Format(time.DateOnly))
	}
	add(Supported, "")
	return out
}

// distroPackageTypes are the purl types of distribution packages: their maintainers often
// support a release cycle longer than its upstream project, which the verdict says.
var distroPackageTypes = map[string]bool{"deb": true, "rpm": true, "apk": true, "alpm": true, "opkg": true}

const distroNote = "upstream support of the release cycle; the distribution may support its package longer"

func predatesAll(p *Product, version string) (*Cycle, bool) {
	if p == nil {
		return nil, false
	}
	return p.predates(version)
}
