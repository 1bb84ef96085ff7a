package web

import (
	"github.com/siegel-oss/siegel/internal/match"
	"github.com/siegel-oss/siegel/internal/store"
	"github.com/siegel-oss/siegel/internal/vulndb"
)

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
