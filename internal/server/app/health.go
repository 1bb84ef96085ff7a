package app

import (
	"context"
	"time"

	"github.com/siegel-oss/siegel/internal/health"
	"github.com/siegel-oss/siegel/internal/store"
)

// ReleaseHealth is the health of one release's components: a verdict per occurrence against the
// release's own support end, the counts per worst verdict and the memory-safety share.
type ReleaseHealth struct {
	Release    int64  `json:"release"`
	Version    string `json:"version"`
	SupportEnd string `json:"support_end"` // YYYY-MM, as the release states it
	// Problems are the occurrences with an unhealthy verdict; Unknown lists those no data covers.
	Problems []health.Result `json:"problems"`
	Unknown  []health.Result `json:"unknown"`
	health.Report
}

// HealthOf assesses the stored components of a release, with the facts kept of each at upload
// (CPEs, source package, native-code markers, firmware code size).
func (s *Deps) HealthOf(ctx context.Context, rel *store.Release, comps []store.Component) (*ReleaseHealth, error) {
	data, err := s.Health.Get()
	if err != nil {
		return nil, err
	}
	facts, err := s.Store.ReleaseComponentFacts(ctx, rel.ID)
	if err != nil {
		return nil, err
	}
	hs := make([]health.Component, 0, len(comps))
	for _, c := range comps {
		hc := health.Component{Ref: c.Ref, Name: c.Name, Version: c.Version, PURL: c.PURL}
		if f, ok := facts[c.Ref]; ok {
			hc = health.WithFacts(hc, f.CPEs, f.SourcePackage, f.Native, f.Extractor, f.Size)
		}
		hs = append(hs, hc)
	}
	opt := health.Options{Now: s.Now().UTC(), SupportEnd: supportEndDate(rel.SupportEnd)}
	rep := data.Assess(hs, opt)
	out := &ReleaseHealth{Release: rel.ID, Version: rel.Version, SupportEnd: rel.SupportEnd, Report: rep,
		Problems: []health.Result{}, Unknown: []health.Result{}}
	for _, r := range rep.Results {
		switch w := r.Worst(); {
		case w.Unhealthy():
			out.Problems = append(out.Problems, r)
		case w == health.Unknown:
			out.Unknown = append(out.Unknown, r)
		}
	}
	return out, nil
}

// supportEndDate is the last day of a YYYY-MM support end; zero when the month does not parse.
func supportEndDate(month string) time.Time {
	t, err := time.Parse("2006-01", month)
	if err != nil {
		return time.Time{}
	}
	return t.AddDate(0, 1, -1)
}

// ProductHealthRow is one release's health in a product's overview.
type ProductHealthRow struct {
	Release    int64               `json:"release"`
	Version    string              `json:"version"`
	SupportEnd string              `json:"support_end"`
	Components int                 `json:"components"`
	Counts     map[health.Kind]int `json:"counts"`
	Memory     health.MemoryShare  `json:"memory_safety"`
}

// ProductHealth is the health of each of a product's releases, and the sources the judgements rest
// on.
func (s *Deps) ProductHealth(ctx context.Context, prod *store.Product) ([]ProductHealthRow, []health.SourceInfo, error) {
	rels, err := s.Store.Releases(ctx, prod.ID)
	if err != nil {
		return nil, nil, err
	}
	rows := []ProductHealthRow{}
	sources := []health.SourceInfo{}
	for i := range rels {
		comps, err := s.Store.ReleaseComponents(ctx, rels[i].ID)
		if err != nil {
			return nil, nil, err
		}
		h, err := s.HealthOf(ctx, &rels[i], comps)
		if err != nil {
			return nil, nil, err
		}
		rows = append(rows, ProductHealthRow{Release: rels[i].ID, Version: rels[i].Version, SupportEnd: rels[i].SupportEnd,
			Components: len(comps), Counts: h.Counts, Memory: h.Memory})
		if h.Sources != nil {
			sources = h.Sources
		}
	}
	return rows, sources, nil
}

// Count is the number of occurrences whose worst verdict is kind k (for templates).
func (h *ReleaseHealth) Count(k string) int { return h.Counts[health.Kind(k)] }

// Count is the number of the release's occurrences whose worst verdict is kind k (for templates).
func (r ProductHealthRow) Count(k string) int { return r.Counts[health.Kind(k)] }
