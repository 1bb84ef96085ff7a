package api

import (
	"net/http"
	"strings"

	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/server/caller"
)

// CategoryJSON is a product's category as answered.
type CategoryJSON struct {
	ID       string   `json:"id"`
	Title    string   `json:"title"`
	Catalogs []string `json:"catalogs"`
	Annex    string   `json:"annex,omitempty"`
}

// listCategories answers with the controlled list of product categories.
func (s *API) listCategories(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	items := []CategoryJSON{}
	for _, c := range app.ProductCategories() {
		items = append(items, CategoryJSON{ID: c.ID, Title: c.Title, Catalogs: c.Catalogs, Annex: c.Annex})
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

// putCategory changes a product's category to one of the list; the change is in the audit
// trail and the ledger.
func (s *API) putCategory(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	prod, ok := s.product(w, r, p)
	if !ok {
		return
	}
	if !p.CanWrite(prod.Organization) {
		writeError(w, http.StatusForbidden, "this token may not change products")
		return
	}
	var in struct {
		Category string `json:"category"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	in.Category = strings.TrimSpace(in.Category)
	if err := app.CheckCategory(in.Category); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if err := s.Store.SetProductCategory(r.Context(), prod.ID, in.Category); err != nil {
		s.Fail(w, r, err)
		return
	}
	got, err := s.Store.Product(r.Context(), prod.ID)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, app.ViewProduct(*got))
}
