package server

import (
	"net/http"

	"github.com/siegel-oss/siegel/internal/server/app"

	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/server/web"
	"github.com/siegel-oss/siegel/internal/store"
)

func (s *Server) getOrganization(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	v, err := s.OrganizationView(r, p.Token.Organization)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// putOrganization sets the Member State of main establishment, the holiday region and the
// steward flag (admin only).
func (s *Server) putOrganization(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	if p.Token.Role != "admin" {
		writeError(w, http.StatusForbidden, "only an admin token may change the organization")
		return
	}
	var in struct {
		MemberState   string `json:"memberState"`
		HolidayRegion string `json:"holidayRegion"`
		Steward       bool   `json:"openSourceSteward"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	if err := s.SetEstablishment(r, p.Token.Organization, in.MemberState, in.HolidayRegion, in.Steward); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.getOrganization(w, r, p)
}

// organizationPageView is the organisation's settings page (organization.html).
type organizationPageView struct {
	web.Layout
	Org      *app.OrganizationView
	CanWrite bool // an administrator: the forms are shown
}

func (s *Server) organizationPage(w http.ResponseWriter, r *http.Request, u *store.User) {
	s.renderOrganization(w, r, u, http.StatusOK, r.URL.Query().Get("error"))
}

// renderOrganization shows the organisation's settings with status and a refusal msg.
func (s *Server) renderOrganization(w http.ResponseWriter, r *http.Request, u *store.User, status int, msg string) {
	v, err := s.OrganizationView(r, u.Organization)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	s.render(w, status, "organization", &organizationPageView{Layout: web.Layout{Title: "Organisation", User: u, Error: msg}, Org: v, CanWrite: u.Role == "admin"})
}

func (s *Server) organizationUpdate(w http.ResponseWriter, r *http.Request, u *store.User) {
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
