package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/store"
)

// invitationTTL is how long an invitation link works.
const invitationTTL = 7 * 24 * time.Hour

// maxTokenDays bounds a token's lifetime as a number of days.
const maxTokenDays = 3650

// userJSON is a user as the API lists it.
type userJSON struct {
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

func toUserJSON(u store.UserInfo) userJSON {
	out := userJSON{ID: u.ID, Email: u.Email, Role: u.Role, CreatedAt: u.CreatedAt, Invited: u.Invited, TOTP: u.TOTP, SSO: u.SSO}
	if !u.DisabledAt.IsZero() {
		out.DisabledAt = &u.DisabledAt
	}
	return out
}

// tokenJSON is an API token as listed: never its secret.
type tokenJSON struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Role       string     `json:"role"`
	Owner      string     `json:"owner,omitempty"`
	CreatedAt  time.Time  `json:"createdAt"`
	ExpiresAt  *time.Time `json:"expiresAt,omitempty"`
	LastUsedAt *time.Time `json:"lastUsedAt,omitempty"`
	RevokedAt  *time.Time `json:"revokedAt,omitempty"`
	// State is "active", "expired" or "revoked".
	State string `json:"state"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func toTokenJSON(t store.TokenInfo, now time.Time) tokenJSON {
	out := tokenJSON{ID: t.ID, Name: t.Name, Role: t.Role, Owner: t.Owner, CreatedAt: t.CreatedAt, ExpiresAt: timePtr(t.ExpiresAt),
		LastUsedAt: timePtr(t.LastUsedAt), RevokedAt: timePtr(t.RevokedAt), State: "active"}
	switch {
	case !t.RevokedAt.IsZero():
		out.State = "revoked"
	case t.Expired(now):
		out.State = "expired"
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

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	if !requireAdmin(w, p, "list users") {
		return
	}
	us, err := s.Store.ListUsers(r.Context(), p.Token.Organization)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	out := make([]userJSON, 0, len(us))
	for _, u := range us {
		out = append(out, toUserJSON(u))
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

// inviteUser records a user and e-mails the one-time invitation link when an SMTP server is
// configured; otherwise, or when sending failed, it answers the link (shown once) for the
// administrator to pass on.
func (s *Server) inviteUser(w http.ResponseWriter, r *http.Request, p caller.Principal) {
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
	secret, u, err := s.Store.InviteUser(r.Context(), p.Token.Organization, in.Email, in.Role, invitationTTL)
	if err != nil {
		s.answer(w, r, err)
		return
	}
	expires := s.Now().UTC().Add(invitationTTL).Truncate(time.Second)
	link := s.baseURL(r) + "/invite/" + secret
	sent := s.mailInvitation(r.Context(), p.Token.OrgName, u, "An administrator", link, expires)
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
func (s *Server) acceptInvitation(w http.ResponseWriter, r *http.Request) {
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
func (s *Server) setUserDisabled(disabled bool) func(http.ResponseWriter, *http.Request, caller.Principal) {
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
func (s *Server) putUserRole(w http.ResponseWriter, r *http.Request, p caller.Principal) {
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
func (s *Server) changeOwnPassword(w http.ResponseWriter, r *http.Request, p caller.Principal) {
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

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	if !requireTokenOwner(w, p) {
		return
	}
	ts, err := s.visibleTokens(r.Context(), p)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	out := make([]tokenJSON, 0, len(ts))
	for _, t := range ts {
		out = append(out, toTokenJSON(t, s.Now()))
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

// visibleTokens lists the API tokens the caller manages: all of the organization's for an
// administrator, the caller's own user's for anyone else.
func (s *Server) visibleTokens(ctx context.Context, p caller.Principal) ([]store.TokenInfo, error) {
	ts, err := s.Store.ListTokens(ctx, p.Token.Organization)
	if err != nil || p.Token.Role == "admin" {
		return ts, err
	}
	return slices.DeleteFunc(ts, func(t store.TokenInfo) bool { return t.OwnerID != p.Token.User || p.Token.User == 0 }), nil
}

// revokeVisibleToken revokes a token the caller manages; another's is not found.
func (s *Server) revokeVisibleToken(ctx context.Context, p caller.Principal, id int64) error {
	ts, err := s.visibleTokens(ctx, p)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(ts, func(t store.TokenInfo) bool { return t.ID == id }) {
		return fmt.Errorf("token %d: %w", id, store.ErrNotFound)
	}
	return s.Store.RevokeToken(ctx, p.Token.Organization, id)
}

// tokenExpiry reads an expiry given as a date (YYYY-MM-DD, the token works until that day
// ends in UTC) or as a number of days from now; both empty means none.
func tokenExpiry(now time.Time, date, days string) (time.Time, error) {
	date, days = strings.TrimSpace(date), strings.TrimSpace(days)
	switch {
	case date != "" && days != "":
		return time.Time{}, fmt.Errorf("give the expiry as a date or as a number of days, not both")
	case date != "":
		d, err := time.Parse(time.DateOnly, date)
		if err != nil {
			return time.Time{}, fmt.Errorf("expiry %q: give a date as YYYY-MM-DD", date)
		}
		return d.AddDate(0, 0, 1), nil
	case days != "":
		n, err := strconv.Atoi(days)
		if err != nil || n < 1 || n > maxTokenDays {
			return time.Time{}, fmt.Errorf("expiry in days %q: give a whole number from 1 to %d", days, maxTokenDays)
		}
		return now.UTC().Add(time.Duration(n) * 24 * time.Hour).Truncate(time.Second), nil
	}
	return time.Time{}, nil
}

// issueToken makes a token for the caller's organization, owned by the caller's user when it
// has one; roles are those of invited users (an administrator cannot mint authority tokens), and
// anyone else gives only their own role or read-only (store.MayGrant).
func (s *Server) issueToken(r *http.Request, p caller.Principal, name, role string, expires time.Time) (string, *store.TokenInfo, error) {
	if !store.MayGrant(p.Token.Role, role) {
		return "", nil, fmt.Errorf("%w: role %q: choose one of %s", store.ErrInvalid, role, strings.Join(store.GrantableRoles(p.Token.Role), ", "))
	}
	return s.Store.IssueToken(r.Context(), store.NewToken{Organization: p.Token.Organization, Role: role, Name: name, Expires: expires, User: p.Token.User})
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request, p caller.Principal) {
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
	expires, err := tokenExpiry(s.Now(), in.ExpiresOn, days)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	secret, t, err := s.issueToken(r, p, in.Name, in.Role, expires)
	if err != nil {
		s.answer(w, r, err)
		return
	}
	out := toTokenJSON(*t, s.Now())
	writeJSON(w, http.StatusCreated, map[string]any{"token": secret, "info": out})
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	if !requireTokenOwner(w, p) {
		return
	}
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	if err := s.revokeVisibleToken(r.Context(), p, id); err != nil {
		s.answer(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// putOrganizationName renames the caller's organization (admin only).
func (s *Server) putOrganizationName(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	if !requireAdmin(w, p, "rename the organization") {
		return
	}
	var in struct {
		Name string `json:"name"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	if err := s.renameOrganization(r, p.Token.Organization, in.Name); err != nil {
		s.answer(w, r, err)
		return
	}
	s.getOrganization(w, r, p)
}

// renameOrganization renames an organization and keeps the CSAF provider directory serving it
// when it was the provider organization (found by its old name first).
func (s *Server) renameOrganization(r *http.Request, org int64, name string) error {
	if s.ProviderOrg != "" {
		if _, err := s.providerOrganization(r.Context()); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	return s.Store.RenameOrganization(r.Context(), org, name)
}

// providerOrganization is the organization the CSAF provider directory publishes: found by the
// configured name once, then by its id, so that a rename does not take the directory down.
func (s *Server) providerOrganization(ctx context.Context) (*store.Organization, error) {
	if id := s.providerID.Load(); id != 0 {
		return s.Store.OrganizationByID(ctx, id)
	}
	o, err := s.Store.OrganizationByName(ctx, s.ProviderOrg)
	if err != nil {
		return nil, err
	}
	s.providerID.Store(o.ID)
	return o, nil
}
