package web

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

// webCaseAction runs a form's change to a case the user may change and returns to the case page,
// with the error when the records refuse it.
func (s *Site) webCaseAction(w http.ResponseWriter, r *http.Request, u *store.User, do func(c *store.Case) error) {
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

func (s *Site) caseCloseForm(close bool) func(http.ResponseWriter, *http.Request, *store.User) {
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
func (s *Site) caseIntermediateForm(w http.ResponseWriter, r *http.Request, u *store.User) {
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
