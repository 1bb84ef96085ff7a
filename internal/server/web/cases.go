package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/store"
)

// casesPage lists the organization's reporting cases, open ones first.
func (s *Site) casesPage(w http.ResponseWriter, r *http.Request, u *store.User) {
	cs, err := s.Store.Cases(r.Context(), u.Organization)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	d := &casesView{Layout: Layout{Title: "Reporting cases", User: u}}
	for i := range cs {
		v, err := s.ViewCase(r.Context(), &cs[i])
		if err != nil {
			s.Fail(w, r, err)
			return
		}
		d.Cases = append(d.Cases, v)
	}
	slices.SortStableFunc(d.Cases, func(a, b *app.CaseView) int {
		return compareBool(a.Closed.IsZero(), b.Closed.IsZero())
	})
	s.render(w, http.StatusOK, "cases", d)
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return -1
	}
	return 1
}

// webCase loads a case the user may read.
func (s *Site) webCase(w http.ResponseWriter, r *http.Request, u *store.User) (*store.Case, bool) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	c, err := s.Store.CaseByID(r.Context(), id)
	if err != nil || !caller.OfUser(u).CanRead(c.Organization) {
		http.NotFound(w, r)
		return nil, false
	}
	return c, true
}

func (s *Site) casePage(w http.ResponseWriter, r *http.Request, u *store.User) {
	c, ok := s.webCase(w, r, u)
	if !ok {
		return
	}
	v, err := s.ViewCase(r.Context(), c)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	s.render(w, http.StatusOK, "case", &casePageView{Layout: Layout{Title: "Case " + strconv.FormatInt(c.ID, 10), User: u, Error: r.URL.Query().Get("error")},
		Case: v, CanWrite: caller.OfUser(u).CanWrite(c.Organization)})
}

// casesView is the list of the organization's reporting cases (cases.html), open ones first.
type casesView struct {
	Layout
	Cases []*app.CaseView
}

// casePageView is one reporting case (case.html): its stages and drafts, and the forms that
// record its events for those who may.
type casePageView struct {
	Layout
	Case     *app.CaseView
	CanWrite bool
}

func (s *Site) caseFixForm(w http.ResponseWriter, r *http.Request, u *store.User) {
	s.webCaseAction(w, r, u, func(c *store.Case) error {
		v, err := s.ViewCase(r.Context(), c)
		if err != nil {
			return err
		}
		at, err := time.ParseInLocation("2006-01-02T15:04", r.PostFormValue("at"), v.Location())
		if err != nil {
			return fmt.Errorf("%w: give the date and time the measure became available", store.ErrInvalid)
		}
		return s.Store.SetFixAvailable(r.Context(), c.ID, at)
	})
}

func (s *Site) caseSubmitForm(w http.ResponseWriter, r *http.Request, u *store.User) {
	s.webCaseAction(w, r, u, func(c *store.Case) error {
		var report []byte
		if text := strings.TrimSpace(r.PostFormValue("report")); text != "" {
			if !json.Valid([]byte(text)) {
				return fmt.Errorf("%w: the report is not valid JSON", store.ErrInvalid)
			}
			report = []byte(text)
		}
		return s.Submit(r.Context(), c, r.PathValue("stage"), report, strings.TrimSpace(r.PostFormValue("receipt")), u.Email, r.PostFormValue("csirt"))
	})
}
