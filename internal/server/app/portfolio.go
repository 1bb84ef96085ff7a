package app

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/siegel-oss/siegel/internal/store"
)

// Page sizes of product lists: the web portfolio's and the API's default, and the largest.
const (
	WebPageSize = 50
	APIPageSize = 100
)

// Pager is one page of a list and the links to its neighbours.
type Pager struct {
	Page, Pages, Limit, Total int
	From, To                  int // 1-based positions of the first and last item shown
	Sort                      string
	Prev, Next                string // URLs; "" at either end
}

// PageQuery reads ?page= (from 1), ?limit= and ?sort= of a product list.
func PageQuery(r *http.Request, limit int, sort string) (store.PortfolioQuery, int, error) {
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

// NewPager describes page of a list of total items, linking to path with the query's sort and limit.
func NewPager(path string, q store.PortfolioQuery, page, total, shown int) *Pager {
	p := &Pager{Page: page, Limit: q.Limit, Total: total, Sort: q.Sort, Pages: max(1, (total+q.Limit-1)/q.Limit)}
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
