package server

import (
	"net/http"
	"strings"

	"github.com/siegel-oss/siegel/internal/calendar"
	"github.com/siegel-oss/siegel/internal/cra"
	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/server/web"
	"github.com/siegel-oss/siegel/internal/store"
)

// organizationView is an organisation's settings that legal periods and fines depend on.
type organizationView struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	SizeClass string `json:"sizeClass"`
	// MemberState of main establishment (ISO 3166-1 alpha-2) and HolidayRegion: deadlines run in
	// its calendar, reports go to its CSIRT coordinator (CRA Art. 14(7)).
	MemberState   string `json:"memberState"`
	HolidayRegion string `json:"holidayRegion,omitempty"`
	Steward       bool   `json:"openSourceSteward"` // Art. 64(10)(b): not fined
	Calendar      string `json:"calendar"`          // whose calendar deadlines are counted in
	Fines         string `json:"fines,omitempty"`
	// States and Regions are the choices, for the form.
	States  []string `json:"-"`
	Regions []string `json:"-"`
}

func (s *Server) organizationView(r *http.Request, id int64) (*organizationView, error) {
	o, err := s.Store.OrganizationByID(r.Context(), id)
	if err != nil {
		return nil, err
	}
	v := &organizationView{ID: o.ID, Name: o.Name, SizeClass: o.SizeClass, MemberState: o.MemberState, HolidayRegion: o.HolidayRegion,
		Steward: o.Steward, Fines: cra.Fines(o.SizeClass, o.Steward), States: calendar.States()}
	cal, err := cra.Establishment{MemberState: o.MemberState, Region: o.HolidayRegion}.Calendar()
	switch {
	case err != nil:
		v.Calendar = err.Error()
	case cal.State() == "":
		v.Calendar = cra.NoMemberState
	default:
		v.Calendar = cal.Describe()
		v.Regions = calendar.Regions(o.MemberState)
	}
	return v, nil
}

// setEstablishment validates a Member State (and region) against the calendars Siegel has and
// records it; the error says what to choose.
func (s *Server) setEstablishment(r *http.Request, org int64, memberState, region string, steward bool) error {
	memberState, region = strings.ToUpper(strings.TrimSpace(memberState)), strings.TrimSpace(region)
	if err := cra.CheckEstablishment(cra.Establishment{MemberState: memberState, Region: region}); err != nil {
		return err
	}
	return s.Store.SetEstablishment(r.Context(), org, memberState, region, steward)
}

func (s *Server) getOrganization(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	v, err := s.organizationView(r, p.Token.Organization)
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
	if err := s.setEstablishment(r, p.Token.Organization, in.MemberState, in.HolidayRegion, in.Steward); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.getOrganization(w, r, p)
}

// organizationPageView is the organisation's settings page (organization.html).
type organizationPageView struct {
	web.Layout
	Org      *organizationView
	CanWrite bool // an administrator: the forms are shown
}

func (s *Server) organizationPage(w http.ResponseWriter, r *http.Request, u *store.User) {
	s.renderOrganization(w, r, u, http.StatusOK, r.URL.Query().Get("error"))
}

// renderOrganization shows the organisation's settings with status and a refusal msg.
func (s *Server) renderOrganization(w http.ResponseWriter, r *http.Request, u *store.User, status int, msg string) {
	v, err := s.organizationView(r, u.Organization)
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
	if err := s.setEstablishment(r, u.Organization, r.PostFormValue("memberState"), r.PostFormValue("holidayRegion"), r.PostFormValue("steward") == "on"); err != nil {
		s.renderOrganization(w, r, u, http.StatusBadRequest, err.Error())
		return
	}
	http.Redirect(w, r, "/settings/organization", http.StatusSeeOther)
}
