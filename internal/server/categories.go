package server

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/store"
)

type categoryJSON struct {
	ID       string   `json:"id"`
	Title    string   `json:"title"`
	Catalogs []string `json:"catalogs"`
	Annex    string   `json:"annex,omitempty"`
}

// listCategories answers with the controlled list of product categories.
func (s *Server) listCategories(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	items := []categoryJSON{}
	for _, c := range app.ProductCategories() {
		items = append(items, categoryJSON{ID: c.ID, Title: c.Title, Catalogs: c.Catalogs, Annex: c.Annex})
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

// putCategory changes a product's category to one of the list; the change is in the audit
// trail and the ledger.
func (s *Server) putCategory(w http.ResponseWriter, r *http.Request, p caller.Principal) {
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

// productCategoryForm changes a product's category from its page.
func (s *Server) productCategoryForm(w http.ResponseWriter, r *http.Request, u *store.User) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	p, ok := s.webProduct(w, r, u, id)
	if !ok {
		return
	}
	if !caller.OfUser(u).CanWrite(p.Organization) {
		http.Error(w, "you may not change this product", http.StatusForbidden)
		return
	}
	back := "/products/" + strconv.FormatInt(p.ID, 10)
	cat := strings.TrimSpace(r.PostFormValue("category"))
	if err := app.CheckCategory(cat); err != nil {
		http.Redirect(w, r, back+"?error="+url.QueryEscape(err.Error()), http.StatusSeeOther)
		return
	}
	if err := s.Store.SetProductCategory(r.Context(), p.ID, cat); err != nil {
		s.Fail(w, r, err)
		return
	}
	http.Redirect(w, r, back+"?notice="+url.QueryEscape("category set to "+cat), http.StatusSeeOther)
}
