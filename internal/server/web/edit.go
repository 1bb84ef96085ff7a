package web

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/store"
)

// editView is the page that corrects a product or a release: the values entered (those stored,
// or those just submitted when they were refused) and the release's SBOMs.
type editView struct {
	Product app.ProductEditInput
	Release app.ReleaseEditInput
	SBOMs   []store.SBOM
}

// editWebRoutes registers the correction pages, the comments on findings and the portfolio
// search, and parses their templates.
func (s *Site) editWebRoutes() {
	s.mux.HandleFunc("GET /products/{id}/edit", s.web(s.productEditPage, true))
	s.mux.HandleFunc("POST /products/{id}/edit", s.web(s.productEditForm, true))
	s.mux.HandleFunc("GET /releases/{id}/edit", s.web(s.releaseEditPage, true))
	s.mux.HandleFunc("POST /releases/{id}/edit", s.web(s.releaseEditForm, true))
	s.mux.HandleFunc("POST /releases/{id}/sboms/{sbom}/remove", s.web(s.sbomRemoveForm, true))
	s.mux.HandleFunc("POST /releases/{id}/remove", s.web(s.releaseRemoveForm, true))
	s.mux.HandleFunc("POST /products/{id}/remove", s.web(s.productRemoveForm, true))
	s.mux.HandleFunc("POST /releases/{id}/sboms/{sbom}/replace", s.web(s.webUpload(s.sbomReplaceForm), true))
	s.mux.HandleFunc("POST /releases/{id}/findings/{finding}/comments", s.web(s.commentForm, true))
	s.mux.HandleFunc("GET /search", s.web(s.searchPage, true))
}

// webProductFromPath loads the product of the path the user may read (404 otherwise).
func (s *Site) webProductFromPath(w http.ResponseWriter, r *http.Request, u *store.User) (*store.Product, bool) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return s.webProduct(w, r, u, id)
}

// webProductToChange loads the product of the path for a user who may change it: 404 when the
// user may not read it, 403 when they may only read it.
func (s *Site) webProductToChange(w http.ResponseWriter, r *http.Request, u *store.User) (*store.Product, bool) {
	p, ok := s.webProductFromPath(w, r, u)
	if ok && !caller.OfUser(u).CanWrite(p.Organization) {
		http.Error(w, "forbidden", http.StatusForbidden)
		return nil, false
	}
	return p, ok
}

func (s *Site) productEditPage(w http.ResponseWriter, r *http.Request, u *store.User) {
	p, ok := s.webProductFromPath(w, r, u)
	if !ok {
		return
	}
	s.render(w, http.StatusOK, "product_edit", productEditView(u, p, caller.OfUser(u).CanWrite(p.Organization), "", app.ProductEditInput{Name: p.Name, Category: p.Category, CRAClass: p.CRAClass}))
}

// productEditPageView is the page that corrects or removes a product (edit_product.html).
type productEditPageView struct {
	Layout
	CanWrite bool
	Product  *store.Product
	Edit     *editView
}

// productEditView is the correction page of product p with the values in (those stored, or those
// just refused) and the refusal msg.
func productEditView(u *store.User, p *store.Product, canWrite bool, msg string, in app.ProductEditInput) *productEditPageView {
	return &productEditPageView{Layout: Layout{Title: "Correct " + p.Name, User: u, Error: msg}, CanWrite: canWrite, Product: p, Edit: &editView{Product: in}}
}

func (s *Site) productEditForm(w http.ResponseWriter, r *http.Request, u *store.User) {
	p, ok := s.webProductToChange(w, r, u)
	if !ok {
		return
	}
	in := app.ProductEditInput{Name: r.PostFormValue("name"), Category: r.PostFormValue("category"), CRAClass: r.PostFormValue("craClass"), Reason: r.PostFormValue("reason")}
	if _, err := s.EditProduct(r.Context(), p, in); err != nil {
		s.showError(w, r, err, func(status int, msg string) {
			s.render(w, status, "product_edit", productEditView(u, p, true, msg, in))
		})
		return
	}
	http.Redirect(w, r, "/products/"+strconv.FormatInt(p.ID, 10)+"?notice="+url.QueryEscape("Product corrected; the change and its reason are in the audit trail and the ledger."), http.StatusSeeOther)
}

// releaseEdit loads the release of the path and the page that corrects it.
func (s *Site) releaseEdit(w http.ResponseWriter, r *http.Request, u *store.User) (*releaseEditView, bool) {
	h, ok := s.webRelease(w, r, u)
	if !ok {
		return nil, false
	}
	bs, err := s.Store.SBOMs(r.Context(), h.Release.ID)
	if err != nil {
		s.Fail(w, r, err)
		return nil, false
	}
	d := &releaseEditView{releaseHead: *h, Edit: &editView{Release: app.ReleaseEditOf(h.Release), SBOMs: bs}, Notice: r.URL.Query().Get("notice")}
	d.Title = "Correct " + d.Title
	return d, true
}

// releaseEditView is the page that corrects a release, replaces or removes its SBOMs, or
// removes it (edit_release.html).
type releaseEditView struct {
	releaseHead
	Notice string // the outcome of the last action
	Edit   *editView
}

func (s *Site) releaseEditPage(w http.ResponseWriter, r *http.Request, u *store.User) {
	if d, ok := s.releaseEdit(w, r, u); ok {
		s.render(w, http.StatusOK, "release_edit", d)
	}
}

func (s *Site) releaseEditForm(w http.ResponseWriter, r *http.Request, u *store.User) {
	d, ok := s.releaseEdit(w, r, u)
	if !ok || !d.writable(w) {
		return
	}
	in := app.ReleaseEditInput{Version: r.PostFormValue("version"), PlacedOnMarket: r.PostFormValue("placedOnMarket"), SupportEnd: r.PostFormValue("supportEnd"),
		SupportJustification: r.PostFormValue("supportJustification"), SupportBasis: r.PostFormValue("supportBasis"), Reason: r.PostFormValue("reason")}
	var err error
	if v := strings.TrimSpace(r.PostFormValue("supportExpectedUseMonths")); v != "" {
		if in.SupportExpectedUseMonths, err = strconv.Atoi(v); err != nil {
			err = caller.Invalid(fmt.Errorf("expected time of use %q: give a number of months", v))
		}
	}
	if err == nil {
		if in.DevicesOnMarket, err = parseDevices(r.PostFormValue("devicesOnMarket")); err != nil {
			err = caller.Invalid(err)
		}
	}
	if err == nil {
		_, err = s.EditRelease(r.Context(), d.Product, d.Release, in)
	}
	if err != nil {
		s.showError(w, r, err, func(status int, msg string) {
			d.Error, d.Edit.Release = msg, in
			s.render(w, status, "release_edit", d)
		})
		return
	}
	http.Redirect(w, r, "/releases/"+strconv.FormatInt(d.Release.ID, 10)+"?vexmsg="+url.QueryEscape("Release corrected; the change and its reason are in the audit trail and the ledger."), http.StatusSeeOther)
}

func (s *Site) sbomRemoveForm(w http.ResponseWriter, r *http.Request, u *store.User) {
	d, ok := s.releaseEdit(w, r, u)
	if !ok || !d.writable(w) {
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("sbom"), 10, 64)
	if err := s.Store.RemoveSBOM(r.Context(), d.Release.ID, id, r.PostFormValue("reason")); err != nil {
		s.showError(w, r, err, func(status int, msg string) {
			d.Error = "SBOM " + strconv.FormatInt(id, 10) + " not removed: " + msg
			s.render(w, status, "release_edit", d)
		})
		return
	}
	s.Wake()
	http.Redirect(w, r, "/releases/"+strconv.FormatInt(d.Release.ID, 10)+"/edit?notice="+url.QueryEscape("SBOM "+strconv.FormatInt(id, 10)+" removed; the release is matched again."), http.StatusSeeOther)
}

func (s *Site) sbomReplaceForm(w http.ResponseWriter, r *http.Request, u *store.User) {
	d, ok := s.releaseEdit(w, r, u)
	if !ok || !d.writable(w) {
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("sbom"), 10, 64)
	r.Body = http.MaxBytesReader(w, r.Body, s.MaxUpload+1<<20)
	f, hdr, err := r.FormFile("sbom")
	if err != nil {
		d.Error = "Choose the SBOM file that replaces SBOM " + strconv.FormatInt(id, 10) + "."
		s.render(w, http.StatusBadRequest, "release_edit", d)
		return
	}
	defer f.Close()
	data, err := input.ReadAll(hdr.Filename, io.Reader(f), input.Limits{MaxBytes: s.MaxUpload})
	if err == nil {
		_, err = s.ReplaceSBOM(r.Context(), d.Product, d.Release, id, hdr.Filename, data, r.PostFormValue("reason"))
	}
	if err != nil {
		if !caller.IsMistake(err) && !app.IsReadError(err) {
			s.Fail(w, r, err)
			return
		}
		d.Error = "SBOM " + strconv.FormatInt(id, 10) + " not replaced: " + err.Error()
		s.render(w, http.StatusUnprocessableEntity, "release_edit", d)
		return
	}
	http.Redirect(w, r, "/releases/"+strconv.FormatInt(d.Release.ID, 10)+"/edit?notice="+url.QueryEscape("SBOM "+strconv.FormatInt(id, 10)+" replaced; the release is matched again."), http.StatusSeeOther)
}

// releaseRemoveForm removes a release entered by mistake and goes to its product's page; a
// release that carries evidence is refused on the correction page.
func (s *Site) releaseRemoveForm(w http.ResponseWriter, r *http.Request, u *store.User) {
	d, ok := s.releaseEdit(w, r, u)
	if !ok || !d.writable(w) {
		return
	}
	if err := s.Store.RemoveRelease(r.Context(), d.Release.ID, r.PostFormValue("reason")); err != nil {
		s.showError(w, r, err, func(status int, msg string) {
			d.Error = "Release not removed: " + msg
			s.render(w, status, "release_edit", d)
		})
		return
	}
	http.Redirect(w, r, "/products/"+strconv.FormatInt(d.Product.ID, 10)+"?notice="+url.QueryEscape("Release "+d.Release.Version+" removed; what it held is kept in the ledger."), http.StatusSeeOther)
}

// productRemoveForm removes a product entered by mistake and goes to the portfolio; a product
// with evidence, or one a channel follows, is refused on the correction page (409).
func (s *Site) productRemoveForm(w http.ResponseWriter, r *http.Request, u *store.User) {
	p, ok := s.webProductToChange(w, r, u)
	if !ok {
		return
	}
	if err := s.Store.RemoveProduct(r.Context(), p.ID, r.PostFormValue("reason")); err != nil {
		s.showError(w, r, err, func(status int, msg string) {
			s.render(w, status, "product_edit", productEditView(u, p, true, "Product not removed: "+msg, app.ProductEditInput{Name: p.Name, Category: p.Category, CRAClass: p.CRAClass}))
		})
		return
	}
	http.Redirect(w, r, "/?notice="+url.QueryEscape("Product "+p.Name+" removed; what it held is kept in the ledger."), http.StatusSeeOther)
}
