package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/store"
)

// UserJSON is a user as the API lists it.
type UserJSON struct {
	ID         int64      `json:"id"`
	Email      string     `json:"email"`
	Role       string     `json:"role"`
	CreatedAt  time.Time  `json:"createdAt"`
	DisabledAt *time.Time `json:"disabledAt,omitempty"`
	// Invited: the invitation was not accepted yet (no password set).
	Invited bool `json:"invited"`
	TOTP    bool `json:"totp"`
	SSO     bool `json:"sso"`
}

func toUserJSON(u store.UserInfo) UserJSON {
	out := UserJSON{ID: u.ID, Email: u.Email, Role: u.Role, CreatedAt: u.CreatedAt, Invited: u.Invited, TOTP: u.TOTP, SSO: u.SSO}
	if !u.DisabledAt.IsZero() {
		out.DisabledAt = &u.DisabledAt
	}
	return out
}

// requireAdmin answers 403 unless the caller is an administrator.
func requireAdmin(w http.ResponseWriter, p caller.Principal, what string) bool {
	if p.Token.Role != "admin" {
		writeError(w, http.StatusForbidden, "only an administrator may "+what)
		return false
	}
	return true
}

func (s *API) listUsers(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	if !requireAdmin(w, p, "list users") {
		return
	}
	us, err := s.Store.ListUsers(r.Context(), p.Token.Organization)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	out := make([]UserJSON, 0, len(us))
	for _, u := range us {
		out = append(out, toUserJSON(u))
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

// inviteUser records a user and e-mails the one-time invitation link when an SMTP server is
// configured; otherwise, or when sending failed, it answers the link (shown once) for the
// administrator to pass on.
func (s *API) inviteUser(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	if !requireAdmin(w, p, "invite users") {
		return
	}
	var in struct {
		Email string `json:"email"`
		Role  string `json:"role"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	secret, u, err := s.Store.InviteUser(r.Context(), p.Token.Organization, in.Email, in.Role, app.InvitationTTL)
	if err != nil {
		s.answer(w, r, err)
		return
	}
	expires := s.Now().UTC().Add(app.InvitationTTL).Truncate(time.Second)
	link := s.RequestBaseURL(r) + "/invite/" + secret
	sent := s.MailInvitation(r.Context(), p.Token.OrgName, u, "An administrator", link, expires)
	out := map[string]any{"id": u.ID, "email": u.Email, "role": u.Role, "expiresAt": expires, "emailed": sent.Emailed}
	if !sent.Emailed {
		out["invitationURL"] = link
	}
	if sent.Why != "" {
		out["mail"] = sent.Why
	}
	writeJSON(w, http.StatusCreated, out)
}

// acceptInvitation sets the invitee's password. The invitation link's secret is the credential,
// sent as the bearer token: without it, or with one that is unknown, used or expired, 401.
func (s *API) acceptInvitation(w http.ResponseWriter, r *http.Request) {
	secret, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || strings.TrimSpace(secret) == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="siegel"`)
		writeError(w, http.StatusUnauthorized, "send the invitation link's token as the bearer token")
		return
	}
	secret = strings.TrimSpace(secret)
	if _, err := s.Store.Invitation(r.Context(), secret); errors.Is(err, store.ErrInvitation) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="siegel", error="invalid_token"`)
		writeError(w, http.StatusUnauthorized, err.Error())
		return
	} else if err != nil {
		s.Fail(w, r, err)
		return
	}
	var in struct {
		Password string `json:"password"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	u, err := s.Store.AcceptInvitation(r.Context(), secret, in.Password)
	if err != nil {
		s.answer(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": u.ID, "email": u.Email, "role": u.Role})
}

// setUserDisabled disables or enables a user of the caller's organization.
func (s *API) setUserDisabled(disabled bool) func(http.ResponseWriter, *http.Request, caller.Principal) {
	return func(w http.ResponseWriter, r *http.Request, p caller.Principal) {
		if !requireAdmin(w, p, "disable or enable users") {
			return
		}
		id, ok := pathID(w, r, "id")
		if !ok {
			return
		}
		if err := s.Store.SetUserDisabled(r.Context(), p.Token.Organization, id, disabled); err != nil {
			s.answer(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// putUserRole gives a user of the caller's organization another role (admin only).
func (s *API) putUserRole(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	if !requireAdmin(w, p, "change a user's role") {
		return
	}
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	var in struct {
		Role string `json:"role"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	if err := s.Store.SetUserRole(r.Context(), p.Token.Organization, id, in.Role); err != nil {
		s.answer(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// changeOwnPassword changes the password of the user the caller's token belongs to.
func (s *API) changeOwnPassword(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	if p.Token.User == 0 {
		writeError(w, http.StatusForbidden, "this token belongs to no user: create one while signed in to change your password through the API")
		return
	}
	var in struct {
		Current  string `json:"currentPassword"`
		Password string `json:"newPassword"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	if err := s.Store.ChangePassword(r.Context(), p.Token.User, in.Current, in.Password, ""); err != nil {
		s.answer(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *API) listTokens(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	if !requireTokenOwner(w, p) {
		return
	}
	ts, err := s.VisibleTokens(r.Context(), p)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	out := make([]app.TokenJSON, 0, len(ts))
	for _, t := range ts {
		out = append(out, app.ToTokenJSON(t, s.Now()))
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

// requireTokenOwner answers 403 unless the caller may manage API tokens: an administrator, or a
// user (through a session or a token of theirs), who manages their own.
func requireTokenOwner(w http.ResponseWriter, p caller.Principal) bool {
	if p.Token.Role != "admin" && p.Token.User == 0 {
		writeError(w, http.StatusForbidden, "this token belongs to no user: only an administrator's token or a user's own may manage API tokens")
		return false
	}
	return true
}

func (s *API) createToken(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	if !requireTokenOwner(w, p) {
		return
	}
	var in struct {
		Name          string `json:"name"`
		Role          string `json:"role"`
		ExpiresOn     string `json:"expiresOn"`
		ExpiresInDays int    `json:"expiresInDays"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	days := ""
	if in.ExpiresInDays != 0 {
		days = strconv.Itoa(in.ExpiresInDays)
	}
	expires, err := app.TokenExpiry(s.Now(), in.ExpiresOn, days)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	secret, t, err := s.IssueToken(r, p, in.Name, in.Role, expires)
	if err != nil {
		s.answer(w, r, err)
		return
	}
	out := app.ToTokenJSON(*t, s.Now())
	writeJSON(w, http.StatusCreated, map[string]any{"token": secret, "info": out})
}

func (s *API) revokeToken(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	if !requireTokenOwner(w, p) {
		return
	}
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	if err := s.RevokeVisibleToken(r.Context(), p, id); err != nil {
		s.answer(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// putOrganizationName renames the caller's organization (admin only).
func (s *API) putOrganizationName(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	if !requireAdmin(w, p, "rename the organization") {
		return
	}
	var in struct {
		Name string `json:"name"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	if err := s.RenameOrganization(r, p.Token.Organization, in.Name); err != nil {
		s.answer(w, r, err)
		return
	}
	s.getOrganization(w, r, p)
}
