package server

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/store"
)

// caseDecision answers an API request to close (close=true) or reopen a case, with the reason.
func (s *Server) caseDecision(close bool) func(http.ResponseWriter, *http.Request, caller.Principal) {
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
func (s *Server) apiDone(w http.ResponseWriter, r *http.Request, err error) bool {
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
func (s *Server) caseIntermediate(w http.ResponseWriter, r *http.Request, p caller.Principal) {
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

// webCaseAction runs a form's change to a case the user may change and returns to the case page,
// with the error when the records refuse it.
func (s *Server) webCaseAction(w http.ResponseWriter, r *http.Request, u *store.User, do func(c *store.Case) error) {
	c, ok := s.webCase(w, r, u)
	if !ok {
		return
	}
	back := "/cases/" + strconv.FormatInt(c.ID, 10)
	if !caller.OfUser(u).CanWrite(c.Organization) {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	if err := do(c); err != nil {
		if !errors.Is(err, store.ErrInvalid) && !errors.Is(err, store.ErrConflict) {
			s.Fail(w, r, err)
			return
		}
		http.Redirect(w, r, back+"?error="+url.QueryEscape(err.Error()), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

func (s *Server) caseCloseForm(close bool) func(http.ResponseWriter, *http.Request, *store.User) {
	return func(w http.ResponseWriter, r *http.Request, u *store.User) {
		s.webCaseAction(w, r, u, func(c *store.Case) error {
			reason := strings.TrimSpace(r.PostFormValue("reason"))
			if kind := r.PostFormValue("kind"); kind != "" && close {
				reason = strings.TrimSpace(kind + ": " + reason)
				if strings.HasSuffix(reason, ":") {
					reason = "" // a kind without the facts behind it is no reason
				}
			}
			return s.SetCaseClosed(r, c.ID, close, reason, u.Email)
		})
	}
}

// caseIntermediateForm records a CSIRT's request; the form's times are local to the calendar the
// case's deadlines are counted in.
func (s *Server) caseIntermediateForm(w http.ResponseWriter, r *http.Request, u *store.User) {
	s.webCaseAction(w, r, u, func(c *store.Case) error {
		v, err := s.ViewCase(r.Context(), c)
		if err != nil {
			return err
		}
		requested, err := time.ParseInLocation("2006-01-02T15:04", r.PostFormValue("requestedAt"), v.Location())
		if err != nil {
			return fmt.Errorf("%w: give the date and time the CSIRT made the request", store.ErrInvalid)
		}
		var due time.Time
		if d := r.PostFormValue("due"); d != "" {
			if due, err = time.ParseInLocation("2006-01-02T15:04", d, v.Location()); err != nil {
				return fmt.Errorf("%w: give the date and time the intermediate report is due, or leave it empty", store.ErrInvalid)
			}
		}
		return s.Store.RequestIntermediate(r.Context(), c.ID, requested, due, u.Email)
	})
}
