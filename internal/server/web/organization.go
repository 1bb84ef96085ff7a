package web

import (
	"net/http"

	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/store"
)

// organizationPageView is the organisation's settings page (organization.html).
type organizationPageView struct {
	Layout
	Org      *app.OrganizationView
	CanWrite bool // an administrator: the forms are shown
}

func (s *Site) organizationPage(w http.ResponseWriter, r *http.Request, u *store.User) {
	s.renderOrganization(w, r, u, http.StatusOK, r.URL.Query().Get("error"))
}

// renderOrganization shows the organisation's settings with status and a refusal msg.
func (s *Site) renderOrganization(w http.ResponseWriter, r *http.Request, u *store.User, status int, msg string) {
	v, err := s.OrganizationView(r, u.Organization)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	s.render(w, status, "organization", &organizationPageView{Layout: Layout{Title: "Organisation", User: u, Error: msg}, Org: v, CanWrite: u.Role == "admin"})
}

func (s *Site) organizationUpdate(w http.ResponseWriter, r *http.Request, u *store.User) {
	if u.Role != "admin" {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	if err := s.SetEstablishment(r, u.Organization, r.PostFormValue("memberState"), r.PostFormValue("holidayRegion"), r.PostFormValue("steward") == "on"); err != nil {
		s.renderOrganization(w, r, u, http.StatusBadRequest, err.Error())
		return
	}
	http.Redirect(w, r, "/settings/organization", http.StatusSeeOther)
}
