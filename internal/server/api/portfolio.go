package api

import (
	"net/http"

	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/store"
)

// listProducts answers one page of the organization's products (?page=, ?limit=, ?sort=name|risk).
func (s *API) listProducts(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	q, page, err := app.PageQuery(r, app.APIPageSize, store.SortName)
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
