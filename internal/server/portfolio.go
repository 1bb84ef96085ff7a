package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/server/web"
	"github.com/siegel-oss/siegel/internal/store"
)

// Page sizes of product lists: the web portfolio's and the API's default, and the largest.
const (
	webPageSize = 50
	apiPageSize = 100
)

// pager is one page of a list and the links to its neighbours.
type pager struct {
	Page, Pages, Limit, Total int
	From, To                  int // 1-based positions of the first and last item shown
	Sort                      string
	Prev, Next                string // URLs; "" at either end
}

// pageQuery reads ?page= (from 1), ?limit= and ?sort= of a product list.
func pageQuery(r *http.Request, limit int, sort string) (store.PortfolioQuery, int, error) {
	q := r.URL.Query()
	page := 1
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return store.PortfolioQuery{}, 0, fmt.Errorf("page %q: want a page number from 1", v)
		}
		page = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.MaxPageSize {
			return store.PortfolioQuery{}, 0, fmt.Errorf("limit %q: want 1 to %d", v, store.MaxPageSize)
		}
		limit = n
	}
	if v := q.Get("sort"); v != "" {
		if v != store.SortRisk && v != store.SortName {
			return store.PortfolioQuery{}, 0, fmt.Errorf("sort %q: want %s or %s", v, store.SortRisk, store.SortName)
		}
		sort = v
	}
	if page-1 > (1<<31)/limit {
		return store.PortfolioQuery{}, 0, fmt.Errorf("page %d is beyond any list", page)
	}
	return store.PortfolioQuery{Sort: sort, Limit: limit, Offset: (page - 1) * limit}, page, nil
}

// newPager describes page of a list of total items, linking to path with the query's sort and limit.
func newPager(path string, q store.PortfolioQuery, page, total, shown int) *pager {
	p := &pager{Page: page, Limit: q.Limit, Total: total, Sort: q.Sort, Pages: max(1, (total+q.Limit-1)/q.Limit)}
	if shown > 0 {
		p.From, p.To = q.Offset+1, q.Offset+shown
	}
	link := func(n int) string {
		v := url.Values{"page": {strconv.Itoa(n)}, "sort": {q.Sort}, "limit": {strconv.Itoa(q.Limit)}}
		return path + "?" + v.Encode()
	}
	if page > 1 {
		p.Prev = link(min(page-1, p.Pages))
	}
	if page < p.Pages {
		p.Next = link(page + 1)
	}
	return p
}

// portfolioPage lists one page of the organization's products, by default those with exploited
// and critical findings first.
func (s *Server) portfolioPage(w http.ResponseWriter, r *http.Request, u *store.User) {
	s.renderPortfolio(w, r, u, http.StatusOK, "")
}

// renderPortfolio shows the portfolio page with status, and msg as its error ("" for none):
// the new-product form's refusal is shown on the page it came from.
func (s *Server) renderPortfolio(w http.ResponseWriter, r *http.Request, u *store.User, status int, msg string) {
	q, page, err := pageQuery(r, webPageSize, store.SortRisk)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	// The holdings the coverage is restated against are read before it, as on the release page
	// (releaseState); the counts come with the coverage, from one snapshot (store.Portfolio).
	h, herr := s.holdings(r.Context())
	rows, total, err := s.Store.Portfolio(r.Context(), u.Organization, q)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	s.readHook("portfolio")
	totals := map[int64]store.CoverageTotals{}
	for _, p := range rows {
		if p.Coverage != nil {
			totals[p.ID] = *p.Coverage
		}
	}
	covs := restateTotals(totals, h)
	d := &portfolioView{Layout: web.Layout{Title: "Portfolio", User: u, DBWarnings: s.warningsOf(h, herr), Error: msg},
		CanWrite: caller.OfUser(u).CanWrite(u.Organization), Pager: newPager("/", q, page, total, len(rows)), Notice: r.URL.Query().Get("notice")}
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
	Pager    *pager // the page of the list shown, and links to the others
	Products []productRow
}

// listProducts answers one page of the organization's products (?page=, ?limit=, ?sort=name|risk).
func (s *Server) listProducts(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	q, page, err := pageQuery(r, apiPageSize, store.SortName)
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
	pg := newPager("/api/v1/products", q, page, total, len(rows))
	resp := map[string]any{"items": out, "total": total, "page": page, "pages": pg.Pages, "limit": q.Limit, "sort": q.Sort}
	if pg.Next != "" {
		resp["next"] = pg.Next
	}
	writeJSON(w, http.StatusOK, resp)
}
