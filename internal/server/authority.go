package server

import (
	"net/http"
	"strings"

	"github.com/siegel-oss/siegel/internal/authority"
	"github.com/siegel-oss/siegel/internal/store"
)

// authorityOnly answers 403 unless the caller is an authority.
func authorityOnly(w http.ResponseWriter, p principal) bool {
	if p.token.Role != "authority" {
		writeError(w, http.StatusForbidden, "only an authority may see this")
		return false
	}
	return true
}

// authorityTimeliness is the authority's view of reporting: every manufacturer's Art. 14 stages,
// met or missed to the minute in the calendar of its Member State of main establishment, and
// whether a miss can be fined (Art. 64(10)).
func (s *Server) authorityTimeliness(w http.ResponseWriter, r *http.Request, p principal) {
	if !authorityOnly(w, p) {
		return
	}
	orgs, err := s.cfg.Store.ManufacturerOrganizations(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cases, err := s.cfg.Store.AllCases(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	now := s.cfg.Now()
	writeJSON(w, http.StatusOK, map[string]any{"asOf": now.UTC(), "manufacturers": authority.Report(store.TimelinessInputs(orgs, cases), now)})
}

// fineEstimate computes the ceiling of an administrative fine under Art. 64: a maximum with its
// reasons, never a fine.
func (s *Server) fineEstimate(w http.ResponseWriter, r *http.Request, p principal) {
	if !authorityOnly(w, p) {
		return
	}
	var in struct {
		Provisions   []string          `json:"provisions"`
		Turnover     *int64            `json:"turnover"` // euros
		SizeClass    string            `json:"sizeClass"`
		Steward      bool              `json:"steward"`
		Undertaking  *bool             `json:"undertaking"`
		Manufacturer *bool             `json:"manufacturer"`
		Factors      authority.Factors `json:"factors"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	o := authority.Offender{Undertaking: in.Undertaking == nil || *in.Undertaking, Manufacturer: in.Manufacturer == nil || *in.Manufacturer,
		SizeClass: in.SizeClass, Steward: in.Steward}
	if in.Turnover != nil {
		if *in.Turnover < 0 || *in.Turnover > 1<<53 {
			writeError(w, http.StatusBadRequest, "turnover: a whole number of euros, not negative")
			return
		}
		e := authority.EUR(*in.Turnover)
		o.Turnover = &e
	}
	var ps []authority.Provision
	for _, v := range in.Provisions {
		ps = append(ps, authority.Provision(strings.TrimSpace(v)))
	}
	est, err := authority.EstimateFine(o, ps, in.Factors)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, est)
}
