package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/store"
)

// productCategoryForm changes a product's category from its page.
func (s *Site) productCategoryForm(w http.ResponseWriter, r *http.Request, u *store.User) {
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
