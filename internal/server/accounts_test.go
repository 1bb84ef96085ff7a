package server

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/siegel-oss/siegel/internal/server/api"
	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/store"
)

// newAccountsEnv starts a server whose store and server share clock, with the organization ACME,
// its administrator admin@acme.example (password "correct horse battery") and an admin token.
func newAccountsEnv(t *testing.T, clock *testClock, options ...func(*Config)) *env {
	t.Helper()
	st, err := store.OpenSQLite(t.Context(), t.TempDir(), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv := httptest.NewUnstartedServer(nil)
	srv.Start()
	t.Cleanup(srv.Close)
	cfg := Config{Store: st, Now: clock.Now, BaseURL: srv.URL, ProviderOrg: "ACME"}
	for _, o := range options {
		o(&cfg)
	}
	s := New(cfg)
	srv.Config.Handler = s.Handler()
	e := &env{t: t, srv: srv, st: st, tokens: map[string]string{}, server: s}
	org, err := st.CreateOrganization(t.Context(), "ACME", "medium", false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateUser(t.Context(), org.ID, "admin@acme.example", "correct horse battery", "admin"); err != nil {
		t.Fatal(err)
	}
	secret, _, err := st.CreateToken(t.Context(), org.ID, "admin", "acme-admin")
	if err != nil {
		t.Fatal(err)
	}
	e.tokens["acme-admin"] = secret
	return e
}

// signIn logs b in with a password and answers the status of the login's answer and where it
// sends the browser.
func (b *browser) signIn(email, password string) (int, string) {
	b.t.Helper()
	code, _, h := b.post("/login", url.Values{"email": {email}, "password": {password}})
	return code, h.Get("Location")
}

var (
	invitationRE = regexp.MustCompile(`/invite/([A-Za-z0-9_-]{43})`)
	secretRE     = regexp.MustCompile(`id="totp-secret">([A-Z2-7]+)<`)
	codesRE      = regexp.MustCompile(`(?s)id="recovery-codes">(.*?)</pre>`)
	newTokenRE   = regexp.MustCompile(`id="new-token">(sgl_[A-Za-z0-9_-]+)<`)
)

// TestInviteAcceptDisable: an administrator invites through the web UI, the invitee sets a
// password through the one-time link and signs in; disabling ends the session and the user's
// token at once; the audit trail names each step.
func TestInviteAcceptDisable(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
	e := newAccountsEnv(t, clock)
	admin := e.browser(t)
	if code, loc := admin.signIn("admin@acme.example", "correct horse battery"); code != http.StatusSeeOther || loc != "/" {
		t.Fatalf("admin login: %d %s", code, loc)
	}
	code, page, _ := admin.post("/settings/users", url.Values{"email": {"Pia@ACME.example"}, "role": {"psirt"}})
	m := invitationRE.FindStringSubmatch(page)
	if code != http.StatusCreated || m == nil {
		t.Fatalf("invite: %d\n%s", code, text(t, page))
	}
	link := m[1]
	if !strings.HasPrefix(invitationRE.FindString(page), "/invite/") || !strings.Contains(page, e.srv.URL+"/invite/"+link) {
		t.Errorf("the invitation link is not the server's address: %s", text(t, page))
	}
	// The invitee: not signed in yet; the link opens the password form.
	pia := e.browser(t)
	if code, _ := pia.signIn("pia@acme.example", ""); code != http.StatusUnauthorized {
		t.Errorf("invited user signed in without a password: %d", code)
	}
	code, page, _ = pia.get("/invite/" + link)
	if code != http.StatusOK || !strings.Contains(text(t, page), "You are invited to ACME as pia@acme.example (psirt)") {
		t.Fatalf("invitation page: %d %s", code, text(t, page))
	}
	if code, page, _ := pia.post("/invite/"+link, url.Values{"password": {"pias battery staple"}, "confirm": {"pias battery stapler"}}); code != http.StatusBadRequest ||
		!strings.Contains(page, "The two passwords differ") {
		t.Errorf("differing passwords: %d %s", code, text(t, page))
	}
	if code, _, h := pia.post("/invite/"+link, url.Values{"password": {"pias battery staple"}, "confirm": {"pias battery staple"}}); code != http.StatusSeeOther || h.Get("Location") != "/login?welcome=1" {
		t.Fatalf("accept: %d %v", code, h)
	}
	if code, page, _ := pia.get("/invite/" + link); code != http.StatusNotFound || !strings.Contains(page, "unknown, used or expired") {
		t.Errorf("a used link: %d %s", code, text(t, page))
	}
	if code, _ := pia.signIn("pia@acme.example", "pias battery staple"); code != http.StatusSeeOther {
		t.Fatalf("invitee login: %d", code)
	}
	if code, _, _ := pia.get("/settings/users"); code != http.StatusForbidden {
		t.Errorf("a psirt user opened the user administration: %d", code)
	}

	// An expired link: a week and a second later.
	_, page, _ = admin.post("/settings/users", url.Values{"email": {"late@acme.example"}, "role": {"auditor"}})
	late := invitationRE.FindStringSubmatch(page)[1]
	clock.Add(app.InvitationTTL + time.Second)
	if code, _, _ := e.browser(t).get("/invite/" + late); code != http.StatusNotFound {
		t.Errorf("an expired invitation opened: %d", code)
	}
	admin.signIn("admin@acme.example", "correct horse battery") // the sessions of a week ago ended
	pia.signIn("pia@acme.example", "pias battery staple")

	// Pia's own token (made through the API by an admin token it is not hers; made here by the
	// store for her) stops with her.
	var users struct{ Items []api.UserJSON }
	if code := e.do("GET", "/api/v1/users", "acme-admin", "", nil, &users); code != http.StatusOK || len(users.Items) != 3 {
		t.Fatalf("users: %d %+v", code, users)
	}
	piaID := users.Items[1].ID
	org, _ := e.st.OrganizationByName(t.Context(), "ACME")
	tok, _, err := e.st.IssueToken(t.Context(), store.NewToken{Organization: org.ID, Role: "psirt", Name: "pia-ci", User: piaID})
	if err != nil {
		t.Fatal(err)
	}
	e.tokens["pia"] = tok
	if code := e.do("GET", "/api/v1/products", "pia", "", nil, nil); code != http.StatusOK {
		t.Fatalf("pia's token: %d", code)
	}
	if code, _, h := admin.post("/settings/users/"+itoa(piaID)+"/disable", nil); code != http.StatusSeeOther || h.Get("Location") != "/settings/users" {
		t.Fatalf("disable: %d", code)
	}
	if code, _, h := pia.get("/"); code != http.StatusSeeOther || h.Get("Location") != "/login" {
		t.Errorf("a disabled user's session still works: %d", code)
	}
	if code := e.do("GET", "/api/v1/products", "pia", "", nil, nil); code != http.StatusUnauthorized {
		t.Errorf("a disabled user's token still works: %d", code)
	}
	if code, _, _ := pia.post("/login", url.Values{"email": {"pia@acme.example"}, "password": {"pias battery staple"}}); code != http.StatusForbidden {
		t.Errorf("a disabled user signed in: %d", code)
	}
	// The only administrator cannot disable themselves.
	var me struct{ Items []api.UserJSON }
	e.do("GET", "/api/v1/users", "acme-admin", "", nil, &me)
	if code, page, _ := admin.post("/settings/users/"+itoa(me.Items[0].ID)+"/disable", nil); code != http.StatusBadRequest || !strings.Contains(page, "no active administrator left") {
		t.Errorf("disabling the last administrator: %d %s", code, text(t, page))
	}
	var audit struct {
		Items []struct{ Action, Actor string }
	}
	e.do("GET", "/api/v1/audit", "acme-admin", "", nil, &audit)
	got := map[string]string{}
	for _, a := range audit.Items {
		got[a.Action] = a.Actor
	}
	for action, actor := range map[string]string{"user.invite": "user:admin@acme.example", "user.invitation-accept": "user:pia@acme.example", "user.disable": "user:admin@acme.example"} {
		if got[action] != actor {
			t.Errorf("audit %s by %q, want %q (%v)", action, got[action], actor, got)
		}
	}
}

// TestInvitationAPI drives the same life cycle through the JSON API: invite, accept, change the
// password, roles refused.
func TestInvitationAPI(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
	e := newAccountsEnv(t, clock)
	var inv struct {
		ID            int64
		InvitationURL string
	}
	if code := e.do("POST", "/api/v1/users", "acme-admin", "application/json", jsonBody(map[string]string{"email": "eve@acme.example", "role": "authority"}), nil); code != http.StatusBadRequest {
		t.Errorf("authority role by invitation: %d", code)
	}
	if code := e.do("POST", "/api/v1/users", "acme-admin", "application/json", jsonBody(map[string]string{"email": "olga@acme.example", "role": "auditor"}), &inv); code != http.StatusCreated {
		t.Fatalf("invite: %d", code)
	}
	if code := e.do("POST", "/api/v1/users", "acme-admin", "application/json", jsonBody(map[string]string{"email": "admin@acme.example", "role": "auditor"}), nil); code != http.StatusConflict {
		t.Errorf("inviting an existing user: %d", code)
	}
	secret := inv.InvitationURL[strings.LastIndexByte(inv.InvitationURL, '/')+1:]
	e.tokens["invitation"] = secret
	if code := e.do("POST", "/api/v1/invitations/accept", "invitation", "application/json", jsonBody(map[string]string{"password": "short"}), nil); code != http.StatusBadRequest {
		t.Errorf("a short password: %d", code)
	}
	if code := e.do("POST", "/api/v1/invitations/accept", "invitation", "application/json", jsonBody(map[string]string{"password": "olgas battery staple"}), nil); code != http.StatusOK {
		t.Fatalf("accept: %d", code)
	}
	if code := e.do("POST", "/api/v1/invitations/accept", "invitation", "application/json", jsonBody(map[string]string{"password": "olgas battery staple"}), nil); code != http.StatusUnauthorized {
		t.Errorf("accepted twice: %d", code)
	}
	// A token of Olga's changes her password; the current one is required.
	olga, _ := e.st.UserByEmail(t.Context(), "olga@acme.example")
	tok, _, _ := e.st.IssueToken(t.Context(), store.NewToken{Organization: olga.Organization, Role: "auditor", Name: "olga", User: olga.ID})
	e.tokens["olga"] = tok
	if code := e.do("PUT", "/api/v1/me/password", "olga", "application/json", jsonBody(map[string]string{"currentPassword": "wrong password!", "newPassword": "a new battery staple"}), nil); code != http.StatusBadRequest {
		t.Errorf("password change without the current password: %d", code)
	}
	if code := e.do("PUT", "/api/v1/me/password", "olga", "application/json", jsonBody(map[string]string{"currentPassword": "olgas battery staple", "newPassword": "a new battery staple"}), nil); code != http.StatusNoContent {
		t.Errorf("password change: %d", code)
	}
	if code := e.do("PUT", "/api/v1/me/password", "acme-admin", "application/json", jsonBody(map[string]string{"currentPassword": "x", "newPassword": "a new battery staple"}), nil); code != http.StatusForbidden {
		t.Errorf("password change with a token of no user: %d", code)
	}
	b := e.browser(t)
	if code, _ := b.signIn("olga@acme.example", "a new battery staple"); code != http.StatusSeeOther {
		t.Errorf("login with the new password: %d", code)
	}
	// An auditor reads and changes nothing.
	if code := e.do("POST", "/api/v1/products", "olga", "application/json", jsonBody(map[string]string{"name": "X", "category": "router", "craClass": "default"}), nil); code != http.StatusForbidden {
		t.Errorf("an auditor created a product: %d", code)
	}
	if code := e.do("GET", "/api/v1/users", "olga", "", nil, nil); code != http.StatusForbidden {
		t.Errorf("an auditor listed users: %d", code)
	}
}

// TestTokensListRevokeExpire: tokens are listed without secrets, with owner and last use; an
// expired or revoked token is refused at once.
func TestTokensListRevokeExpire(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
	e := newAccountsEnv(t, clock)
	admin := e.browser(t)
	admin.signIn("admin@acme.example", "correct horse battery")
	code, page, _ := admin.post("/settings/tokens", url.Values{"name": {"ci"}, "role": {"psirt"}, "expiresInDays": {"30"}})
	m := newTokenRE.FindStringSubmatch(page)
	if code != http.StatusCreated || m == nil {
		t.Fatalf("create token: %d %s", code, text(t, page))
	}
	e.tokens["ci"] = m[1]
	var created struct {
		Token string
		Info  app.TokenJSON
	}
	if code := e.do("POST", "/api/v1/tokens", "acme-admin", "application/json", jsonBody(map[string]any{"name": "nightly", "role": "read-only", "expiresOn": "2026-12-01"}), &created); code != http.StatusCreated {
		t.Fatalf("create token through the API: %d", code)
	}
	e.tokens["nightly"] = created.Token
	if want := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC); created.Info.ExpiresAt == nil || !created.Info.ExpiresAt.Equal(want) {
		t.Errorf("expiry %v, want %v (through the given day)", created.Info.ExpiresAt, want)
	}
	if code := e.do("POST", "/api/v1/tokens", "acme-admin", "application/json", jsonBody(map[string]any{"name": "x", "role": "authority"}), nil); code != http.StatusBadRequest {
		t.Errorf("an authority token from an administrator: %d", code)
	}
	if code := e.do("POST", "/api/v1/tokens", "acme-admin", "application/json", jsonBody(map[string]any{"name": "x", "role": "psirt", "expiresOn": "2020-01-01"}), nil); code != http.StatusBadRequest {
		t.Errorf("a token expiring in the past: %d", code)
	}
	if code := e.do("GET", "/api/v1/products", "ci", "", nil, nil); code != http.StatusOK {
		t.Fatalf("new token: %d", code)
	}
	var list struct{ Items []app.TokenJSON }
	if code, data := e.raw("GET", "/api/v1/tokens", "acme-admin", "", nil); code != http.StatusOK || strings.Contains(string(data), "sgl_") {
		t.Fatalf("token list: %d, secrets in it: %v", code, strings.Contains(string(data), "sgl_"))
	}
	e.do("GET", "/api/v1/tokens", "acme-admin", "", nil, &list)
	byName := map[string]app.TokenJSON{}
	for _, x := range list.Items {
		byName[x.Name] = x
	}
	if ci := byName["ci"]; ci.Owner != "admin@acme.example" || ci.LastUsedAt == nil || ci.State != "active" || ci.Role != "psirt" {
		t.Errorf("ci token %+v", ci)
	}
	if byName["nightly"].LastUsedAt != nil {
		t.Errorf("an unused token has a last use: %+v", byName["nightly"])
	}
	// Ten days on, the nightly token has expired; the ci token has not.
	clock.Add(10 * 24 * time.Hour)
	admin.signIn("admin@acme.example", "correct horse battery") // the session of ten days ago ended
	if code := e.do("GET", "/api/v1/products", "nightly", "", nil, nil); code != http.StatusUnauthorized {
		t.Errorf("an expired token worked: %d", code)
	}
	if code := e.do("GET", "/api/v1/products", "ci", "", nil, nil); code != http.StatusOK {
		t.Errorf("a token before its expiry: %d", code)
	}
	code, page, _ = admin.get("/settings/tokens")
	if code != http.StatusOK || !strings.Contains(text(t, page), "nightly read-only") || !strings.Contains(text(t, page), "expired") {
		t.Errorf("tokens page: %s", text(t, page))
	}
	if code, _, _ := admin.post("/settings/tokens/"+itoa(byName["ci"].ID)+"/revoke", nil); code != http.StatusSeeOther {
		t.Fatalf("revoke: %d", code)
	}
	if code := e.do("GET", "/api/v1/products", "ci", "", nil, nil); code != http.StatusUnauthorized {
		t.Errorf("a revoked token worked: %d", code)
	}
	if code := e.do("POST", "/api/v1/tokens/999/revoke", "acme-admin", "", nil, nil); code != http.StatusNotFound {
		t.Errorf("revoking an unknown token: %d", code)
	}
}

// TestTOTPLogin enrols a second factor through the account page and signs in with it: a wrong
// code is refused, a code works once, a recovery code works once.
func TestTOTPLogin(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
	e := newAccountsEnv(t, clock)
	b := e.browser(t)
	b.signIn("admin@acme.example", "correct horse battery")
	if code, _, _ := b.post("/settings/account/totp", nil); code != http.StatusSeeOther {
		t.Fatalf("begin: %d", code)
	}
	_, page, _ := b.get("/settings/account")
	m := secretRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no key on the account page: %s", text(t, page))
	}
	secret := m[1]
	if !strings.Contains(page, "otpauth://totp/Siegel:admin@acme.example?") {
		t.Errorf("no otpauth URI: %s", text(t, page))
	}
	if code, svg, h := b.get("/settings/account/totp.svg"); code != http.StatusOK || h.Get("Content-Type") != "image/svg+xml" || !strings.Contains(svg, "<svg") {
		t.Errorf("QR code: %d %s", code, h.Get("Content-Type"))
	}
	if code, page, _ := b.post("/settings/account/totp/confirm", url.Values{"code": {"000000"}}); code != http.StatusBadRequest || !strings.Contains(page, "wrong or already used code") {
		t.Errorf("a wrong confirmation code: %d %s", code, text(t, page))
	}
	now, _ := totp.GenerateCodeCustom(secret, clock.Now(), webTOTPOpts)
	code, page, _ := b.post("/settings/account/totp/confirm", url.Values{"code": {now}})
	cm := codesRE.FindStringSubmatch(page)
	if code != http.StatusOK || cm == nil {
		t.Fatalf("confirm: %d %s", code, text(t, page))
	}
	recovery := strings.Fields(cm[1])
	if len(recovery) != 10 {
		t.Fatalf("recovery codes %q", recovery)
	}

	// Signing in now takes the password and then a code; the code of the enrolment's time
	// step is used up, the next step's works.
	c := e.browser(t)
	if code, loc := c.signIn("admin@acme.example", "correct horse battery"); code != http.StatusSeeOther || loc != "/login/second-factor" {
		t.Fatalf("password step: %d %s", code, loc)
	}
	if code, _, h := c.get("/"); code != http.StatusSeeOther || h.Get("Location") != "/login" {
		t.Errorf("signed in before the second factor: %d", code)
	}
	if code, _, _ := c.post("/login/second-factor", url.Values{"code": {now}}); code != http.StatusUnauthorized {
		t.Errorf("a used code worked again: %d", code)
	}
	clock.Add(webTOTPPeriod * time.Second)
	next, _ := totp.GenerateCodeCustom(secret, clock.Now(), webTOTPOpts)
	if code, _, h := c.post("/login/second-factor", url.Values{"code": {next}}); code != http.StatusSeeOther || h.Get("Location") != "/" {
		t.Fatalf("second factor: %d", code)
	}
	if code, _, _ := c.get("/"); code != http.StatusOK {
		t.Errorf("after the second factor: %d", code)
	}

	// A recovery code, once.
	d := e.browser(t)
	d.signIn("admin@acme.example", "correct horse battery")
	if code, _, _ := d.post("/login/second-factor", url.Values{"code": {recovery[0]}}); code != http.StatusSeeOther {
		t.Errorf("recovery code: %d", code)
	}
	clock.Add(time.Minute) // a new minute for the client's limit (10 a minute from one address)
	f := e.browser(t)
	f.signIn("admin@acme.example", "correct horse battery")
	if code, _, _ := f.post("/login/second-factor", url.Values{"code": {recovery[0]}}); code != http.StatusUnauthorized {
		t.Errorf("a recovery code worked twice: %d", code)
	}
	// Five wrong codes end the attempt: the right one is refused after that.
	for range 4 {
		if code, _, _ := f.post("/login/second-factor", url.Values{"code": {"123456"}}); code != http.StatusUnauthorized {
			t.Fatalf("a wrong code: %d", code)
		}
	}
	clock.Add(webTOTPPeriod * time.Second)
	later, _ := totp.GenerateCodeCustom(secret, clock.Now(), webTOTPOpts)
	if code, page, _ := f.post("/login/second-factor", url.Values{"code": {later}}); code != http.StatusUnauthorized || !strings.Contains(page, "sign in again") {
		t.Errorf("a code after five wrong ones: %d %s", code, text(t, page))
	}
	// Codes count against the account with the passwords: a fresh login does not bring fresh
	// guesses beyond the account's limit, and once throttled even the right code waits.
	clock.Add(time.Minute) // the account's limit counts over 15 minutes; the client's starts again
	g := e.browser(t)
	g.signIn("admin@acme.example", "correct horse battery")
	throttled := false
	// Seven attempts on the account so far (f's password, recovery code and four codes, g's
	// password): the account's limit of ten is reached within five codes, before the client's.
	for range 5 {
		if code, _, _ := g.post("/login/second-factor", url.Values{"code": {"123456"}}); code == http.StatusTooManyRequests {
			throttled = true
			break
		}
	}
	if !throttled {
		t.Fatal("wrong codes over fresh logins were never throttled")
	}
	if code, _, _ := g.post("/login/second-factor", url.Values{"code": {later}}); code != http.StatusTooManyRequests {
		t.Errorf("the right code while throttled: %d", code)
	}
}

// TestOrganizationRename: an administrator renames the organization; the new name is what the
// pages and the API show, the CSAF provider directory keeps serving it, and others may not.
func TestOrganizationRename(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
	e := newAccountsEnv(t, clock, func(c *Config) { c.BaseURL = "https://siegel.acme.example" })
	if code, _ := e.raw("GET", "/.well-known/csaf/provider-metadata.json", "", "", nil); code != http.StatusOK {
		t.Fatalf("provider metadata before the rename: %d", code)
	}
	org, _ := e.st.OrganizationByName(t.Context(), "ACME")
	ro, _, _ := e.st.CreateToken(t.Context(), org.ID, "auditor", "auditor")
	e.tokens["auditor"] = ro
	if code := e.do("PUT", "/api/v1/organization/name", "auditor", "application/json", jsonBody(map[string]string{"name": "Evil"}), nil); code != http.StatusForbidden {
		t.Errorf("an auditor renamed the organization: %d", code)
	}
	if code := e.do("PUT", "/api/v1/organization/name", "acme-admin", "application/json", jsonBody(map[string]string{"name": " "}), nil); code != http.StatusBadRequest {
		t.Errorf("an empty name: %d", code)
	}
	var v app.OrganizationView
	if code := e.do("PUT", "/api/v1/organization/name", "acme-admin", "application/json", jsonBody(map[string]string{"name": "ACME Networks GmbH"}), &v); code != http.StatusOK || v.Name != "ACME Networks GmbH" {
		t.Fatalf("rename: %d %+v", code, v)
	}
	_, rel := e.newRelease("HomeRouter", "router")
	if code, doc := e.raw("GET", "/api/v1/releases/"+itoa(rel)+"/dossier/declaration.html", "acme-admin", "", nil); code != http.StatusOK ||
		!strings.Contains(string(doc), "ACME Networks GmbH") {
		t.Errorf("declaration of conformity after the rename: %d, new name in it: %v", code, strings.Contains(string(doc), "ACME Networks GmbH"))
	}
	code, meta := e.raw("GET", "/.well-known/csaf/provider-metadata.json", "", "", nil)
	if code != http.StatusOK || !strings.Contains(string(meta), `"ACME Networks GmbH"`) {
		t.Errorf("provider metadata after the rename: %d %s", code, meta)
	}
	b := e.browser(t)
	b.signIn("admin@acme.example", "correct horse battery")
	if code, _, _ := b.post("/settings/organization/name", url.Values{"name": {"ACME Networks AG"}}); code != http.StatusSeeOther {
		t.Errorf("rename through the page: %d", code)
	}
	if _, page, _ := b.get("/settings/organization"); !strings.Contains(text(t, page), "Organisation: ACME Networks AG") {
		t.Errorf("organisation page: %s", text(t, page))
	}
}
