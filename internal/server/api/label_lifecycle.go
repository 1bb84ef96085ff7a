package api

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/label"
	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/store"
)

type labelRevocationJSON struct {
	By        string    `json:"by"`
	Reason    string    `json:"reason"`
	Effective time.Time `json:"effective"`
}

// setLifecycle fills a label's term, renewal window and announced revocation.
func (v *LabelJSON) setLifecycle(l *store.Label) {
	if !l.ValidUntil.IsZero() {
		until := l.ValidUntil
		opens, closes := label.RenewalWindow(until)
		v.ValidUntil, v.RenewalOpens, v.RenewalCloses = &until, &opens, &closes
	}
	if r := l.Revocation; r != nil && l.Status != store.LabelRevoked {
		v.Revocation = &labelRevocationJSON{By: r.By, Reason: r.Reason, Effective: r.Effective}
	}
}

// renewLabel extends a label's term within its renewal window: the manufacturer's act.
func (s *API) renewLabel(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	l, ok := s.apiLabel(w, r, p)
	if !ok {
		return
	}
	if !p.CanWrite(l.Organization) {
		writeError(w, http.StatusForbidden, "this token may not renew the organization's labels")
		return
	}
	l, err := s.Conformity.Renew(r.Context(), l)
	if err != nil {
		if strings.HasPrefix(err.Error(), "renewal is open") || strings.HasPrefix(err.Error(), "the label ") {
			writeError(w, http.StatusConflict, err.Error())
			return
		}
		s.Fail(w, r, err)
		return
	}
	s.writeLabel(w, r, http.StatusOK, l)
}

// withdrawRevocation lifts an announced revocation before it takes effect: the authority's act.
func (s *API) withdrawRevocation(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	l, ok := s.apiLabel(w, r, p)
	if !ok {
		return
	}
	if p.Token.Role != "authority" {
		writeError(w, http.StatusForbidden, "only an authority may withdraw a revocation")
		return
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	if strings.TrimSpace(in.Reason) == "" {
		writeError(w, http.StatusBadRequest, "give the reason for withdrawing the revocation (reason)")
		return
	}
	org, err := s.Store.OrganizationByID(r.Context(), p.Token.Organization)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	if err := s.Store.WithdrawRevocation(r.Context(), l.ID, org.Name, in.Reason); err != nil {
		if errors.Is(err, store.ErrConflict) {
			writeError(w, http.StatusConflict, err.Error())
			return
		}
		s.Fail(w, r, err)
		return
	}
	if l, err = s.Store.LabelByID(r.Context(), l.ID); err == nil {
		_, err = s.Conformity.Refresh(r.Context(), l)
	}
	if err == nil {
		l, err = s.Store.LabelByID(r.Context(), l.ID)
	}
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	s.writeLabel(w, r, http.StatusOK, l)
}
