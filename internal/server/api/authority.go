package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/authority"
	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/store"
)

// authorityOnly answers 403 unless the caller is an authority.
func authorityOnly(w http.ResponseWriter, p caller.Principal) bool {
	if p.Token.Role != "authority" {
		writeError(w, http.StatusForbidden, "only an authority may see this")
		return false
	}
	return true
}

// authorityTimeliness is the authority's view of reporting: every manufacturer's Art. 14 stages
// (of the manufacturers that registered a product with it: see registeredScope),
// met or missed to the minute in the calendar of its Member State of main establishment, and
// whether a miss can be fined (Art. 64(10)).
func (s *API) authorityTimeliness(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	if !authorityOnly(w, p) {
		return
	}
	orgs, err := s.Store.ManufacturerOrganizations(r.Context())
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	cases, err := s.Store.AllCases(r.Context())
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	orgs, cases, err = s.registeredScope(r, p, orgs, cases)
	if err == nil {
		orgs, cases, err = s.remoteTimeliness(r.Context(), p.Token.Organization, orgs, cases)
	}
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	now := s.Now()
	writeJSON(w, http.StatusOK, map[string]any{"asOf": now.UTC(), "manufacturers": authority.Report(store.TimelinessInputs(orgs, cases), now)})
}

// fineEstimate computes the ceiling of an administrative fine under Art. 64: a maximum with its
// reasons, never a fine.
func (s *API) fineEstimate(w http.ResponseWriter, r *http.Request, p caller.Principal) {
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

// authorityProcedure loads a procedure of the calling authority.
func (s *API) authorityProcedure(w http.ResponseWriter, r *http.Request, p caller.Principal) (*store.Procedure, bool) {
	if !authorityOnly(w, p) {
		return nil, false
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		writeError(w, http.StatusBadRequest, "procedure id is not a number")
		return nil, false
	}
	pr, err := s.Store.ProcedureByID(r.Context(), id)
	if err != nil || pr.Authority != p.Token.Organization {
		writeError(w, http.StatusNotFound, "no such procedure of this authority")
		return nil, false
	}
	return pr, true
}

func (s *API) writeProcedure(w http.ResponseWriter, r *http.Request, status int, pr *store.Procedure) {
	v, err := s.ProcedureView(r, pr)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	writeJSON(w, status, v)
}

// openProcedure opens a Chapter V procedure about a product: Art. 54 (significant cybersecurity
// risk) or Art. 58 (formal non-compliance).
func (s *API) openProcedure(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	if !authorityOnly(w, p) {
		return
	}
	var in struct {
		Kind    string `json:"kind"`
		Product int64  `json:"product"`
		Title   string `json:"title"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	if !s.RegisteredWith(r, p, in.Product) {
		writeError(w, http.StatusNotFound, "no product of that id is registered with this authority")
		return
	}
	pr, err := s.Store.OpenProcedure(r.Context(), p.Token.Organization, in.Product, in.Kind, strings.TrimSpace(in.Title), store.Actor(r.Context()))
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, err.Error())
		return
	case errors.Is(err, store.ErrInvalid):
		writeError(w, http.StatusBadRequest, err.Error())
		return
	case err != nil:
		s.Fail(w, r, err)
		return
	}
	s.writeProcedure(w, r, http.StatusCreated, pr)
}

func (s *API) listProcedures(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	if !authorityOnly(w, p) {
		return
	}
	prs, err := s.Store.Procedures(r.Context(), p.Token.Organization)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	items := []app.ProcedureJSON{}
	for i := range prs {
		v, err := s.ProcedureView(r, &prs[i])
		if err != nil {
			s.Fail(w, r, err)
			return
		}
		items = append(items, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (s *API) getProcedure(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	if pr, ok := s.authorityProcedure(w, r, p); ok {
		s.writeProcedure(w, r, http.StatusOK, pr)
	}
}

// addProcedureEvent records the next step of a procedure; a step the procedure does not allow
// where it stands is refused with the reason (409).
func (s *API) addProcedureEvent(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	pr, ok := s.authorityProcedure(w, r, p)
	if !ok {
		return
	}
	var in struct {
		Action string    `json:"action"`
		At     time.Time `json:"at"`
		Due    time.Time `json:"due"`
		Reason string    `json:"reason"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	switch now := s.Now(); {
	case in.At.IsZero():
		in.At = now
	case in.At.After(now):
		writeError(w, http.StatusBadRequest, "at: an event cannot be recorded before it happens")
		return
	}
	pr, err := s.Store.AddProcedureEvent(r.Context(), pr.ID, authority.Event{At: in.At, Action: in.Action, Due: in.Due, Reason: strings.TrimSpace(in.Reason), By: store.Actor(r.Context())})
	if errors.Is(err, store.ErrConflict) {
		writeError(w, http.StatusConflict, err.Error())
		return
	}
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	s.writeProcedure(w, r, http.StatusOK, pr)
}
