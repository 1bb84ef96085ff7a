package api

import (
	"net/http"

	"github.com/siegel-oss/siegel/internal/server/caller"
)

func (s *API) getOrganization(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	v, err := s.OrganizationView(r, p.Token.Organization)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// putOrganization sets the Member State of main establishment, the holiday region and the
// steward flag (admin only).
func (s *API) putOrganization(w http.ResponseWriter, r *http.Request, p caller.Principal) {
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
