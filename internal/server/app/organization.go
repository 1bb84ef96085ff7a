package app

import (
	"net/http"
	"strings"

	"github.com/siegel-oss/siegel/internal/calendar"
	"github.com/siegel-oss/siegel/internal/cra"
)

// OrganizationView is an organisation's settings that legal periods and fines depend on.
type OrganizationView struct {
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

// OrganizationView is the organization as its settings show it.
func (s *Deps) OrganizationView(r *http.Request, id int64) (*OrganizationView, error) {
	o, err := s.Store.OrganizationByID(r.Context(), id)
	if err != nil {
		return nil, err
	}
	v := &OrganizationView{ID: o.ID, Name: o.Name, SizeClass: o.SizeClass, MemberState: o.MemberState, HolidayRegion: o.HolidayRegion,
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

// SetEstablishment validates a Member State (and region) against the calendars Siegel has and
// records it; the error says what to choose.
func (s *Deps) SetEstablishment(r *http.Request, org int64, memberState, region string, steward bool) error {
	memberState, region = strings.ToUpper(strings.TrimSpace(memberState)), strings.TrimSpace(region)
	if err := cra.CheckEstablishment(cra.Establishment{MemberState: memberState, Region: region}); err != nil {
		return err
	}
	return s.Store.SetEstablishment(r.Context(), org, memberState, region, steward)
}
