package server

import (
	"context"
	"fmt"

	"github.com/siegel-oss/siegel/internal/match"
	"github.com/siegel-oss/siegel/internal/store"
	"github.com/siegel-oss/siegel/internal/vulndb"
)

// dbWarnings are the warnings about the vulnerability database every page shows as a banner: an
// empty or stale database is never silent.
func (s *Server) dbWarnings(ctx context.Context) []string {
	h, err := s.Holdings(ctx)
	return s.warningsOf(h, err)
}

// warningsOf are the banner's warnings about holdings h, read with the error err; never nil, so
// that a page that read the holdings already is not made to read them again.
func (s *Server) warningsOf(h *vulndb.Holdings, err error) []string {
	if err != nil {
		return []string{fmt.Sprintf("the vulnerability database cannot be read (%v): findings may be missing", err)}
	}
	if h == nil {
		return []string{"there is no vulnerability database yet: no component has been checked; an administrator runs an update (Vulnerability database page)"}
	}
	if w := match.DatabaseWarnings(h, s.CoverageOptions()); w != nil {
		return w
	}
	return []string{}
}

// productCoverage sums the coverage of a product's releases for the portfolio.
type productCoverage struct {
	Components, Checked, NotChecked int
	Matched                         int // releases with a coverage
}

// restateTotals restates each product's kept coverage totals against the vulnerability
// database's holdings h (as stated when there are none).
func restateTotals(totals map[int64]store.CoverageTotals, h *vulndb.Holdings) map[int64]productCoverage {
	out := make(map[int64]productCoverage, len(totals))
	for p, t := range totals {
		checked, notChecked := match.RestateCounts(h, t.Components, t.Checked, t.Checkable)
		out[p] = productCoverage{Components: t.Components, Checked: checked, NotChecked: notChecked, Matched: t.Releases}
	}
	return out
}
