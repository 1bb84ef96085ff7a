package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/siegel-oss/siegel/internal/cra"
	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/store"
)

func (s *API) listCases(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	cs, err := s.Store.Cases(r.Context(), p.Token.Organization)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	out := make([]*app.CaseView, 0, len(cs))
	for i := range cs {
		v, err := s.ViewCase(r.Context(), &cs[i])
		if err != nil {
			s.Fail(w, r, err)
			return
		}
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

// apiCase loads a case the caller may read.
func (s *API) apiCase(w http.ResponseWriter, r *http.Request, p caller.Principal) (*store.Case, bool) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return nil, false
	}
	c, err := s.Store.CaseByID(r.Context(), id)
	if err != nil || !p.CanRead(c.Organization) {
		writeError(w, http.StatusNotFound, "not found")
		return nil, false
	}
	return c, true
}

// writableCase loads a case the caller may change (403 when it may only read it).
func (s *API) writableCase(w http.ResponseWriter, r *http.Request, p caller.Principal) (*store.Case, bool) {
	c, ok := s.apiCase(w, r, p)
	if ok && !p.CanWrite(c.Organization) {
		writeError(w, http.StatusForbidden, "this token may not change cases")
		return nil, false
	}
	return c, ok
}

func (s *API) getCase(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	if c, ok := s.apiCase(w, r, p); ok {
		s.writeCase(w, r, c, http.StatusOK)
	}
}

// writeCase answers with a case's clocks and drafts.
func (s *API) writeCase(w http.ResponseWriter, r *http.Request, c *store.Case, status int) {
	v, err := s.ViewCase(r.Context(), c)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	writeJSON(w, status, v)
}

func (s *API) createCase(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	if !p.CanWrite(p.Token.Organization) {
		writeError(w, http.StatusForbidden, "this token may not open cases")
		return
	}
	var in struct {
		Type          string    `json:"type"`
		Title         string    `json:"title"`
		Product       int64     `json:"product"`
		Release       int64     `json:"release"`
		Vulnerability string    `json:"vulnerability"`
		Evidence      string    `json:"evidence"`
		AwareAt       time.Time `json:"awareAt"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	if in.Type == cra.Exploited {
		// The manufacturer's own evidence of exploitation (KEV and EUVD open cases by themselves).
		rel, err := s.Store.Release(r.Context(), in.Release)
		var prod *store.Product
		if err == nil {
			prod, err = s.Store.Product(r.Context(), rel.Product)
		}
		if err != nil || prod.Organization != p.Token.Organization {
			writeError(w, http.StatusBadRequest, "no such release")
			return
		}
		c, err := s.Store.OpenExploitedCase(r.Context(), rel.ID, in.Vulnerability, in.Title, in.Evidence, in.AwareAt)
		if err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		s.writeCase(w, r, c, http.StatusCreated)
		return
	}
	if in.Type != cra.Incident {
		writeError(w, http.StatusBadRequest, "type must be incident, or exploited (with release, vulnerability and evidence)")
		return
	}
	if in.Product != 0 {
		prod, err := s.Store.Product(r.Context(), in.Product)
		if err != nil || prod.Organization != p.Token.Organization {
			writeError(w, http.StatusBadRequest, "no such product")
			return
		}
	}
	c, err := s.Store.OpenIncident(r.Context(), p.Token.Organization, in.Product, in.Title, in.AwareAt)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	c, err = s.Store.CaseByID(r.Context(), c.ID)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	s.writeCase(w, r, c, http.StatusCreated)
}

func (s *API) caseFixAvailable(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	c, ok := s.writableCase(w, r, p)
	if !ok {
		return
	}
	var in struct {
		At time.Time `json:"at"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	if in.At.IsZero() {
		writeError(w, http.StatusBadRequest, "at is required (RFC 3339)")
		return
	}
	if !s.apiDone(w, r, s.Store.SetFixAvailable(r.Context(), c.ID, in.At)) {
		return
	}
	s.getCase(w, r, p)
}

// submitStage records a stage as submitted: the report as sent (the draft when none is given)
// and the receipt of the authority's platform.
func (s *API) submitStage(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	c, ok := s.writableCase(w, r, p)
	if !ok {
		return
	}
	var in struct {
		Receipt string          `json:"receipt"`
		Report  json.RawMessage `json:"report"`
		CSIRT   string          `json:"csirt"` // the recipient (Art. 14(7)); default: the Member State's coordinator
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	if err := s.Submit(r.Context(), c, r.PathValue("stage"), in.Report, in.Receipt, "token:"+p.Token.Name, in.CSIRT); err != nil {
		if errors.Is(err, store.ErrConflict) {
			writeError(w, http.StatusConflict, err.Error())
			return
		}
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.getCase(w, r, p)
}
