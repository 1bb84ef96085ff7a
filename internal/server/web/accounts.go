package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/siegel-oss/siegel/internal/label"
	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/store"
)

// loginCookie holds the secret of a login that waits for its second factor.
const loginCookie = "siegel_login"

// accountWebRoutes registers the account pages and parses their templates.
func (s *Site) accountWebRoutes() {
	s.mux.HandleFunc("GET /settings/users", s.web(s.usersPage, true))
	s.mux.HandleFunc("POST /settings/users", s.web(s.userInviteForm, true))
	s.mux.HandleFunc("POST /settings/users/{id}/disable", s.web(s.userDisableForm(true), true))
	s.mux.HandleFunc("POST /settings/users/{id}/enable", s.web(s.userDisableForm(false), true))
	s.mux.HandleFunc("POST /settings/users/{id}/role", s.web(s.userRoleForm, true))
	s.mux.HandleFunc("GET /invite/{secret}", s.web(s.invitePage, false))
	s.mux.HandleFunc("POST /invite/{secret}", s.web(s.inviteAccept, false))
	s.mux.HandleFunc("GET /settings/account", s.web(s.accountPage, true))
	s.mux.HandleFunc("POST /settings/account/password", s.web(s.passwordForm, true))
	s.mux.HandleFunc("POST /settings/account/totp", s.web(s.totpBegin, true))
	s.mux.HandleFunc("GET /settings/account/totp.svg", s.web(s.totpQR, true))
	s.mux.HandleFunc("POST /settings/account/totp/confirm", s.web(s.totpConfirm, true))
	s.mux.HandleFunc("POST /settings/account/totp/remove", s.web(s.totpRemove, true))
	s.mux.HandleFunc("GET /login/second-factor", s.web(s.secondFactorPage, false))
	s.mux.HandleFunc("POST /login/second-factor", s.web(s.secondFactorForm, false))
	s.mux.HandleFunc("GET /settings/tokens", s.web(s.tokensPage, true))
	s.mux.HandleFunc("POST /settings/tokens", s.web(s.tokenCreateForm, true))
	s.mux.HandleFunc("POST /settings/tokens/{id}/revoke", s.web(s.tokenRevokeForm, true))
	s.mux.HandleFunc("POST /settings/organization/name", s.web(s.organizationNameForm, true))
	s.ssoWebRoutes()
}

// webAdmin answers 403 to a user who is not an administrator.
func webAdmin(w http.ResponseWriter, u *store.User) bool {
	if u.Role != "admin" {
		http.Error(w, "only an administrator may manage users and API tokens", http.StatusForbidden)
		return false
	}
	return true
}

// usersView is the user administration (users.html): the organisation's users, the roles a
// user can be given, and an invitation just made, with its link when it was not e-mailed.
type usersView struct {
	Layout
	Users                                       []store.UserInfo
	Roles                                       []string
	InvitationURL, InvitedEmail, InvitationNote string
}

// renderUsers shows the users page with status and a refusal msg; v holds an invitation just
// made (nil when there is none).
func (s *Site) renderUsers(w http.ResponseWriter, r *http.Request, u *store.User, status int, v *usersView, msg string) {
	us, err := s.Store.ListUsers(r.Context(), u.Organization)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	if v == nil {
		v = &usersView{}
	}
	v.Layout = Layout{Title: "Users", User: u, Error: msg}
	v.Users, v.Roles = us, store.InviteRoles
	s.render(w, status, "users", v)
}

func (s *Site) usersPage(w http.ResponseWriter, r *http.Request, u *store.User) {
	if webAdmin(w, u) {
		s.renderUsers(w, r, u, http.StatusOK, nil, "")
	}
}

// userInviteForm invites a user and e-mails the one-time link when an SMTP server is
// configured; otherwise, or when sending failed, it shows the link on the page for the
// administrator to pass on (it is not stored and cannot be shown again).
func (s *Site) userInviteForm(w http.ResponseWriter, r *http.Request, u *store.User) {
	if !webAdmin(w, u) {
		return
	}
	secret, invited, err := s.Store.InviteUser(r.Context(), u.Organization, r.PostFormValue("email"), r.PostFormValue("role"), app.InvitationTTL)
	if err != nil {
		s.showError(w, r, err, func(status int, msg string) { s.renderUsers(w, r, u, status, nil, msg) })
		return
	}
	link := s.RequestBaseURL(r) + "/invite/" + secret
	sent := s.MailInvitation(r.Context(), u.OrgName, invited, u.Email, link, s.Now().Add(app.InvitationTTL))
	v := &usersView{InvitedEmail: invited.Email, InvitationNote: sent.Text(invited.Email)}
	if !sent.Emailed {
		v.InvitationURL = link
	}
	s.renderUsers(w, r, u, http.StatusCreated, v, "")
}

func (s *Site) userDisableForm(disabled bool) webHandler {
	return func(w http.ResponseWriter, r *http.Request, u *store.User) {
		if !webAdmin(w, u) {
			return
		}
		id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err := s.Store.SetUserDisabled(r.Context(), u.Organization, id, disabled); err != nil {
			s.showError(w, r, err, func(status int, msg string) { s.renderUsers(w, r, u, status, nil, msg) })
			return
		}
		http.Redirect(w, r, "/settings/users", http.StatusSeeOther)
	}
}

// userRoleForm gives a user another role and shows the list again; the last active
// administrator keeps the role, and the page says why.
func (s *Site) userRoleForm(w http.ResponseWriter, r *http.Request, u *store.User) {
	if !webAdmin(w, u) {
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err := s.Store.SetUserRole(r.Context(), u.Organization, id, r.PostFormValue("role")); err != nil {
		s.showError(w, r, err, func(status int, msg string) {
			s.renderUsers(w, r, u, status, nil, "Role not changed: "+msg)
		})
		return
	}
	http.Redirect(w, r, "/settings/users", http.StatusSeeOther)
}

// inviteView is the page an invitation link opens (invite.html): whom it invites, and the
// link's secret the form posts to; no invitee when the link is unknown, used or expired.
type inviteView struct {
	Layout
	Invitee *store.User
	Link    string
}

func (s *Site) invitePage(w http.ResponseWriter, r *http.Request, _ *store.User) {
	invitee, err := s.Store.Invitation(r.Context(), r.PathValue("secret"))
	if errors.Is(err, store.ErrInvitation) {
		s.render(w, http.StatusNotFound, "invite", &inviteView{Layout: Layout{Title: "Invitation", Error: err.Error()}})
		return
	}
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	s.render(w, http.StatusOK, "invite", &inviteView{Layout: Layout{Title: "Invitation"}, Invitee: invitee, Link: r.PathValue("secret")})
}

// inviteAccept sets the invitee's password and sends them to sign in with it.
func (s *Site) inviteAccept(w http.ResponseWriter, r *http.Request, _ *store.User) {
	secret := r.PathValue("secret")
	if r.PostFormValue("password") != r.PostFormValue("confirm") {
		invitee, err := s.Store.Invitation(r.Context(), secret)
		if err != nil {
			s.showError(w, r, err, func(status int, msg string) {
				s.render(w, status, "invite", &inviteView{Layout: Layout{Title: "Invitation", Error: msg}})
			})
			return
		}
		s.render(w, http.StatusBadRequest, "invite", &inviteView{Layout: Layout{Title: "Invitation", Error: "The two passwords differ: type the same password twice."},
			Invitee: invitee, Link: secret})
		return
	}
	if _, err := s.Store.AcceptInvitation(r.Context(), secret, r.PostFormValue("password")); err != nil {
		s.showError(w, r, err, func(status int, msg string) {
			invitee, _ := s.Store.Invitation(r.Context(), secret)
			s.render(w, status, "invite", &inviteView{Layout: Layout{Title: "Invitation", Error: msg}, Invitee: invitee, Link: secret})
		})
		return
	}
	http.Redirect(w, r, "/login?welcome=1", http.StatusSeeOther)
}

// accountView is the user's own account page (account.html): the second factor's state, an
// enrolment waiting for its code (TOTPURI), and recovery codes shown once.
type accountView struct {
	Layout
	Notice        string
	TOTP          bool
	TOTPURI       string
	TOTPSecret    string
	RecoveryCodes []string
}

// renderAccount shows the account page with status, a refusal msg or a notice, and the
// recovery codes just made (nil but then).
func (s *Site) renderAccount(w http.ResponseWriter, r *http.Request, u *store.User, status int, codes []string, msg, notice string) {
	secret, enabled, err := s.Store.TOTP(r.Context(), u.ID)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	v := &accountView{Layout: Layout{Title: "Your account", User: u, Error: msg}, Notice: notice, TOTP: enabled, RecoveryCodes: codes}
	if secret != "" && !enabled {
		v.TOTPURI, v.TOTPSecret = totpURI(u.Email, secret), secret
	}
	s.render(w, status, "account", v)
}

func (s *Site) accountPage(w http.ResponseWriter, r *http.Request, u *store.User) {
	s.renderAccount(w, r, u, http.StatusOK, nil, "", "")
}

func (s *Site) passwordForm(w http.ResponseWriter, r *http.Request, u *store.User) {
	show := func(status int, msg string) { s.renderAccount(w, r, u, status, nil, msg, "") }
	if r.PostFormValue("password") != r.PostFormValue("confirm") {
		show(http.StatusBadRequest, "The two new passwords differ: type the same password twice.")
		return
	}
	keep := ""
	if c, err := r.Cookie(sessionCookie); err == nil {
		keep = c.Value
	}
	if err := s.Store.ChangePassword(r.Context(), u.ID, r.PostFormValue("current"), r.PostFormValue("password"), keep); err != nil {
		s.showError(w, r, err, show)
		return
	}
	s.renderAccount(w, r, u, http.StatusOK, nil, "", "Password changed; your other sessions were ended.")
}

// totpBegin starts an enrolment: a new secret, shown as a QR code and as text until confirmed.
func (s *Site) totpBegin(w http.ResponseWriter, r *http.Request, u *store.User) {
	secret, err := newTOTPSecret(u.Email)
	if err == nil {
		err = s.Store.BeginTOTP(r.Context(), u.ID, secret)
	}
	if err != nil {
		s.showError(w, r, err, func(status int, msg string) { s.renderAccount(w, r, u, status, nil, msg, "") })
		return
	}
	http.Redirect(w, r, "/settings/account#totp", http.StatusSeeOther)
}

// totpQR serves the QR code of the enrolment in progress.
func (s *Site) totpQR(w http.ResponseWriter, r *http.Request, u *store.User) {
	secret, enabled, err := s.Store.TOTP(r.Context(), u.ID)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	if secret == "" || enabled {
		http.NotFound(w, r)
		return
	}
	svg, err := label.QRSVG(totpURI(u.Email, secret))
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(svg)
}

func (s *Site) totpConfirm(w http.ResponseWriter, r *http.Request, u *store.User) {
	codes, err := s.Store.ConfirmTOTP(r.Context(), u.ID, r.PostFormValue("code"), totpChecker(s.Now))
	if err != nil {
		s.showError(w, r, err, func(status int, msg string) { s.renderAccount(w, r, u, status, nil, msg, "") })
		return
	}
	s.renderAccount(w, r, u, http.StatusOK, codes, "", "Second factor on: signing in now asks for a code.")
}

func (s *Site) totpRemove(w http.ResponseWriter, r *http.Request, u *store.User) {
	if err := s.Store.RemoveTOTP(r.Context(), u.ID, r.PostFormValue("password")); err != nil {
		s.showError(w, r, err, func(status int, msg string) { s.renderAccount(w, r, u, status, nil, msg, "") })
		return
	}
	s.renderAccount(w, r, u, http.StatusOK, nil, "", "Second factor removed.")
}

// startSecondFactor keeps the login challenge in a short-lived cookie and asks for the code.
func (s *Site) startSecondFactor(w http.ResponseWriter, r *http.Request, challenge string) {
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: challenge, Path: "/login", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: s.secureCookies(r), MaxAge: 300})
	http.Redirect(w, r, "/login/second-factor", http.StatusSeeOther)
}

func (s *Site) secondFactorPage(w http.ResponseWriter, r *http.Request, _ *store.User) {
	if _, err := r.Cookie(loginCookie); err != nil {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	s.render(w, http.StatusOK, "secondfactor", &Layout{Title: "Second factor"})
}

func (s *Site) secondFactorForm(w http.ResponseWriter, r *http.Request, _ *store.User) {
	c, err := r.Cookie(loginCookie)
	if err != nil {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	// Every code counts against the account like a password: restarting the login for fresh
	// attempts runs into the same limit.
	u, err := s.Store.ChallengeUser(r.Context(), c.Value)
	if errors.Is(err, store.ErrUnauthorized) {
		s.challengeEnded(w)
		return
	}
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	wait, err := s.loginAllowed(r.Context(), r, u.Email)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	if wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())))
		s.render(w, http.StatusTooManyRequests, "secondfactor", &Layout{Title: "Second factor", Error: tooManyAttempts(wait)})
		return
	}
	session, _, err := s.Store.CompleteChallenge(r.Context(), c.Value, r.PostFormValue("code"), totpChecker(s.Now), sessionTTL)
	switch {
	case errors.Is(err, store.ErrBadCode):
		s.render(w, http.StatusUnauthorized, "secondfactor", &Layout{Title: "Second factor", Error: "Wrong or already used code: try the next one."})
		return
	case errors.Is(err, store.ErrUnauthorized):
		s.challengeEnded(w)
		return
	case err != nil:
		s.Fail(w, r, err)
		return
	}
	if err := s.loginSucceeded(r.Context(), u.Email); err != nil {
		s.Fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: "", Path: "/login", MaxAge: -1, HttpOnly: true})
	s.setSessionCookie(w, r, session)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// challengeEnded sends a login whose challenge expired or used up its attempts back to the password.
func (s *Site) challengeEnded(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: "", Path: "/login", MaxAge: -1, HttpOnly: true})
	s.render(w, http.StatusUnauthorized, "login", s.signInView("The sign-in expired or had too many wrong codes: sign in again.", ""))
}

// setSessionCookie hands the browser its session.
func (s *Site) setSessionCookie(w http.ResponseWriter, r *http.Request, secret string) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: secret, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: s.secureCookies(r), MaxAge: int(sessionTTL.Seconds())})
}

// signInView is the sign-in page (login.html): the refusal or notice it shows, and whether it
// offers single sign-on.
type signInView struct {
	Layout
	Notice string
	SSO    bool
}

func (s *Site) signInView(msg, notice string) *signInView {
	return &signInView{Layout: Layout{Title: "Sign in", Error: msg}, Notice: notice, SSO: s.OIDC != nil}
}

// tokensView is the API tokens page (tokens.html): the tokens the user manages, the roles the
// user may give one, and the secret of a token just made, shown once.
type tokensView struct {
	Layout
	Tokens   []app.TokenJSON
	Roles    []string
	NewToken string
}

// renderTokens shows the tokens page with status, a refusal msg, and a secret just made ("").
func (s *Site) renderTokens(w http.ResponseWriter, r *http.Request, u *store.User, status int, secret, msg string) {
	ts, err := s.VisibleTokens(r.Context(), caller.OfUser(u))
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	v := &tokensView{Layout: Layout{Title: "API tokens", User: u, Error: msg}, Roles: store.GrantableRoles(u.Role), NewToken: secret}
	for _, t := range ts {
		v.Tokens = append(v.Tokens, app.ToTokenJSON(t, s.Now()))
	}
	s.render(w, status, "tokens", v)
}

// tokensPage lists the API tokens the user manages: an administrator all of the organization's,
// anyone else their own.
func (s *Site) tokensPage(w http.ResponseWriter, r *http.Request, u *store.User) {
	s.renderTokens(w, r, u, http.StatusOK, "", "")
}

// tokenCreateForm makes a token owned by the signed-in user and shows its secret once.
func (s *Site) tokenCreateForm(w http.ResponseWriter, r *http.Request, u *store.User) {
	show := func(status int, msg string) { s.renderTokens(w, r, u, status, "", msg) }
	expires, err := app.TokenExpiry(s.Now(), r.PostFormValue("expiresOn"), r.PostFormValue("expiresInDays"))
	if err != nil {
		show(http.StatusBadRequest, err.Error())
		return
	}
	secret, _, err := s.IssueToken(r, caller.OfUser(u), r.PostFormValue("name"), r.PostFormValue("role"), expires)
	if err != nil {
		s.showError(w, r, err, show)
		return
	}
	s.renderTokens(w, r, u, http.StatusCreated, secret, "")
}

func (s *Site) tokenRevokeForm(w http.ResponseWriter, r *http.Request, u *store.User) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err := s.RevokeVisibleToken(r.Context(), caller.OfUser(u), id); err != nil {
		s.showError(w, r, err, func(status int, msg string) { s.renderTokens(w, r, u, status, "", msg) })
		return
	}
	http.Redirect(w, r, "/settings/tokens", http.StatusSeeOther)
}

// organizationNameForm renames the organization (admin) and shows the settings page again.
func (s *Site) organizationNameForm(w http.ResponseWriter, r *http.Request, u *store.User) {
	if u.Role != "admin" {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	if err := s.RenameOrganization(r, u.Organization, r.PostFormValue("name")); err != nil {
		s.showError(w, r, err, func(status int, msg string) { s.renderOrganization(w, r, u, status, msg) })
		return
	}
	http.Redirect(w, r, "/settings/organization", http.StatusSeeOther)
}
