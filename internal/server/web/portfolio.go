package web

import (
	"net/http"

	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/store"
)

// portfolioPage lists one page of the organization's products, by default those with exploited
// and critical findings first.
func (s *Site) portfolioPage(w http.ResponseWriter, r *http.Request, u *store.User) {
	s.renderPortfolio(w, r, u, http.StatusOK, "")
}

// renderPortfolio shows the portfolio page with status, and msg as its error ("" for none):
// the new-product form's refusal is shown on the page it came from.
func (s *Site) renderPortfolio(w http.ResponseWriter, r *http.Request, u *store.User, status int, msg string) {
	q, page, err := app.PageQuery(r, app.WebPageSize, store.SortRisk)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	// The holdings the coverage is restated against are read before it, as on the release page
	// (releaseState); the counts come with the coverage, from one snapshot (store.Portfolio).
	h, herr := s.Holdings(r.Context())
	rows, total, err := s.Store.Portfolio(r.Context(), u.Organization, q)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	s.ReadHook("portfolio")
	totals := map[int64]store.CoverageTotals{}
	for _, p := range rows {
		if p.Coverage != nil {
			totals[p.ID] = *p.Coverage
		}
	}
	covs := restateTotals(totals, h)
	d := &portfolioView{Layout: Layout{Title: "Portfolio", User: u, DBWarnings: s.WarningsOf(h, herr), Error: msg},
		CanWrite: caller.OfUser(u).CanWrite(u.Organization), Pager: app.NewPager("/", q, page, total, len(rows)), Notice: r.URL.Query().Get("notice")}
	for _, p := range rows {
		d.Products = append(d.Products, productRow{Product: p.Product, Releases: p.Releases, Summary: p.Summary, Coverage: covs[p.ID]})
	}
	s.render(w, status, "portfolio", d)
}

// portfolioView is the portfolio page (portfolio.html): one page of the organization's products
// with their counts and coverage, and the form that adds one for those who may.
type portfolioView struct {
	Layout
	Notice   string // the outcome of the last action
	CanWrite bool
	Pager    *app.Pager // the page of the list shown, and links to the others
	Products []productRow
}
