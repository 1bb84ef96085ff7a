package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/store"
)

// caseDecision answers an API request to close (close=true) or reopen a case, with the reason.
func (s *API) caseDecision(close bool) func(http.ResponseWriter, *http.Request, caller.Principal) {
	return func(w http.ResponseWriter, r *http.Request, p caller.Principal) {
		c, ok := s.writableCase(w, r, p)
		if !ok {
			return
		}
		var in struct {
			Reason string `json:"reason"`
		}
		if !decodeJSON(w, r, &in) {
			return
		}
		if !s.apiDone(w, r, s.SetCaseClosed(r, c.ID, close, in.Reason, "token:"+p.Token.Name)) {
			return
		}
		s.getCase(w, r, p)
	}
}

// apiDone answers a failed change: a request the records refuse is the caller's to correct
// (400, 409, with the reason), anything else goes to fail. It reports whether err was nil.
func (s *API) apiDone(w http.ResponseWriter, r *http.Request, err error) bool {
	switch {
	case err == nil:
		return true
	case errors.Is(err, store.ErrInvalid):
		writeError(w, http.StatusBadRequest, err.Error())
	case errors.Is(err, store.ErrConflict):
		writeError(w, http.StatusConflict, err.Error())
	default:
		s.Fail(w, r, err)
	}
	return false
}

// caseIntermediate records a CSIRT's request for an intermediate report (Art. 14(6)).
func (s *API) caseIntermediate(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	c, ok := s.writableCase(w, r, p)
	if !ok {
		return
	}
	var in struct {
		RequestedAt time.Time `json:"requestedAt"`
		Due         time.Time `json:"due"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	if !s.apiDone(w, r, s.Store.RequestIntermediate(r.Context(), c.ID, in.RequestedAt, in.Due, "token:"+p.Token.Name)) {
		return
	}
	s.getCase(w, r, p)
}
