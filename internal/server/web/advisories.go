package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/store"
)

// advisoryPage is an advisory's public, human-readable page (TLP:WHITE: anyone may read it).
func (s *Site) advisoryPage(w http.ResponseWriter, r *http.Request, u *store.User) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	a, err := s.Store.AdvisoryByID(r.Context(), id)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	v, err := app.ViewAdvisory(s.LinkBase(), *a)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	s.render(w, http.StatusOK, "advisory", &advisoryPageView{Layout: Layout{Title: a.TrackingID, User: u}, Advisory: v})
}

// advisoryPageView is an advisory's public page (advisory.html).
type advisoryPageView struct {
	Layout
	Advisory *app.AdvisoryView
}

// advisoriesView is the organization's list of advisories (advisories.html).
type advisoriesView struct {
	Layout
	Advisories []*app.AdvisoryView
}

// advisoriesPage lists the organization's advisories.
func (s *Site) advisoriesPage(w http.ResponseWriter, r *http.Request, u *store.User) {
	as, err := s.Store.Advisories(r.Context(), u.Organization)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	d := &advisoriesView{Layout: Layout{Title: "Advisories", User: u}}
	for _, a := range as {
		v, err := app.ViewAdvisory(s.LinkBase(), a)
		if err != nil {
			s.Fail(w, r, err)
			return
		}
		d.Advisories = append(d.Advisories, v)
	}
	s.render(w, http.StatusOK, "advisories", d)
}

// advisoryPublish publishes the advisory of a finding's vulnerability for its product.
func (s *Site) advisoryPublish(w http.ResponseWriter, r *http.Request, u *store.User) {
	d, ok := s.webRelease(w, r, u)
	if !ok {
		return
	}
	if !d.writable(w) {
		return
	}
	org, err := s.Store.OrganizationByID(r.Context(), d.Product.Organization)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	a, err := s.PublishAdvisoryFor(r.Context(), strings.TrimSuffix(s.BaseURL, "/"), org, d.Product, r.PathValue("finding"), strings.TrimSpace(r.PostFormValue("cvss")))
	if err != nil {
		if v, ok := s.releasePageOf(r.Context(), w, r, d); ok {
			v.Error = err.Error()
			s.render(w, http.StatusUnprocessableEntity, "release", v)
		}
		return
	}
	http.Redirect(w, r, "/advisories/"+strconv.FormatInt(a.ID, 10), http.StatusSeeOther)
}
