package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/siegel-oss/siegel/internal/label"
	"github.com/siegel-oss/siegel/internal/store"
)

// labelDecisionView is the page on which a label issuer revokes a label: the label as it stands
// and the form, with the comment period the manufacturer gets unless security requires
// immediate action.
type labelDecisionView struct {
	Layout
	Label        *store.Label
	Product      string
	Version      string
	Manufacturer string
	CommentDays  int
	Reason       string // the reason typed, kept when the form is refused
}

func (s *Site) labelDecisionWebRoutes() {
	s.mux.HandleFunc("GET /authority/labels/{id}", s.web(s.labelDecisionPage, true))
	s.mux.HandleFunc("POST /authority/labels/{id}/revoke", s.web(s.labelRevokeForm, true))
}

// decisionLabel loads the label for an authority user, or answers the page with why not.
func (s *Site) decisionLabel(w http.ResponseWriter, r *http.Request, u *store.User) (*labelDecisionView, bool) {
	d := &labelDecisionView{Layout: Layout{Title: "Label decision", User: u}}
	if u.Token().Role != "authority" {
		d.Error = "Only a label issuer (an authority) revokes labels."
		s.render(w, http.StatusForbidden, "label_decision", d)
		return nil, false
	}
	if s.Conformity == nil {
		d.Error = "Labels are unavailable: the requirement catalogs did not load (see the server log)."
		s.render(w, http.StatusServiceUnavailable, "label_decision", d)
		return nil, false
	}
	l, err := s.Store.LabelByID(r.Context(), r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		d.Error = "There is no label " + r.PathValue("id") + "."
		s.render(w, http.StatusNotFound, "label_decision", d)
		return nil, false
	}
	if err != nil {
		s.Fail(w, r, err)
		return nil, false
	}
	v := &labelDecisionView{Layout: Layout{Title: "Label " + l.ID, User: u}, Label: l, CommentDays: label.DefaultCommentDays}
	if rel, err := s.Store.Release(r.Context(), l.Release); err == nil {
		v.Version = rel.Version
		if prod, err := s.Store.Product(r.Context(), rel.Product); err == nil {
			v.Product = prod.Name
		}
	}
	if org, err := s.Store.OrganizationByID(r.Context(), l.Organization); err == nil {
		v.Manufacturer = org.Name
	}
	return v, true
}

func (s *Site) labelDecisionPage(w http.ResponseWriter, r *http.Request, u *store.User) {
	if v, ok := s.decisionLabel(w, r, u); ok {
		s.render(w, http.StatusOK, "label_decision", v)
	}
}

// labelRevokeForm revokes the label as the API does (POST /api/v1/labels/{id}/revoke) and
// shows its public page, which states the revocation at once when it is immediate and the
// announced date otherwise.
func (s *Site) labelRevokeForm(w http.ResponseWriter, r *http.Request, u *store.User) {
	v, ok := s.decisionLabel(w, r, u)
	if !ok {
		return
	}
	v.Reason = strings.TrimSpace(r.PostFormValue("reason"))
	immediate := r.PostFormValue("immediate") != ""
	days, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("days")))
	refuse := func(msg string) {
		v.Error = msg
		s.render(w, http.StatusBadRequest, "label_decision", v)
	}
	switch {
	case v.Reason == "":
		refuse("Give the reason for the revocation: it is published on the label's page and in its statement.")
		return
	case immediate:
		days = 0
	case err != nil || days <= 0:
		refuse("The comment period is a number of days, 1 or more; for immediate action tick the box and say in the reason why security requires it.")
		return
	}
	org, err := s.Store.OrganizationByID(r.Context(), u.Organization)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	if err := s.RevokeLabel(r.Context(), v.Label, org.Name, v.Reason, days); err != nil {
		refuse(err.Error())
		return
	}
	http.Redirect(w, r, "/label/"+v.Label.ID, http.StatusSeeOther)
}
