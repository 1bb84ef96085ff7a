package server

import (
	"net/http"

	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/server/web"
	"github.com/siegel-oss/siegel/internal/store"
)

// Page sizes of product lists: the web portfolio's and the API's default, and the largest.
const ()

// portfolioPage lists one page of the organization's products, by default those with exploited
// and critical findings first.
func (s *Server) portfolioPage(w http.ResponseWriter, r *http.Request, u *store.User) {
	s.renderPortfolio(w, r, u, http.StatusOK, "")
}

// renderPortfolio shows the portfolio page with status, and msg as its error ("" for none):
// the new-product form's refusal is shown on the page it came from.
func (s *Server) renderPortfolio(w http.ResponseWriter, r *http.Request, u *store.User, status int, msg string) {
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
	d := &portfolioView{Layout: web.Layout{Title: "Portfolio", User: u, DBWarnings: s.WarningsOf(h, herr), Error: msg},
		CanWrite: caller.OfUser(u).CanWrite(u.Organization), Pager: app.NewPager("/", q, page, total, len(rows)), Notice: r.URL.Query().Get("notice")}
	for _, p := range rows {
		d.Products = append(d.Products, productRow{Product: p.Product, Releases: p.Releases, Summary: p.Summary, Coverage: covs[p.ID]})
	}
	s.render(w, status, "portfolio", d)
}

// portfolioView is the portfolio page (portfolio.html): one page of the organization's products
// with their counts and coverage, and the form that adds one for those who may.
type portfolioView struct {
	web.Layout
	Notice   string // the outcome of the last action
	CanWrite bool
	Pager    *app.Pager // the page of the list shown, and links to the others
	Products []productRow
}

// listProducts answers one page of the organization's products (?page=, ?limit=, ?sort=name|risk).
func (s *Server) listProducts(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	q, page, err := app.PageQuery(r, app.ApiPageSize, store.SortName)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	rows, total, err := s.Store.Portfolio(r.Context(), p.Token.Organization, q)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	out := make([]app.ProductView, 0, len(rows))
	for _, x := range rows {
		out = append(out, app.ViewProduct(x.Product))
	}
	pg := app.NewPager("/api/v1/products", q, page, total, len(rows))
	resp := map[string]any{"items": out, "total": total, "page": page, "pages": pg.Pages, "limit": q.Limit, "sort": q.Sort}
	if pg.Next != "" {
		resp["next"] = pg.Next
	}
	writeJSON(w, http.StatusOK, resp)
}
