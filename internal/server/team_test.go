package server

import (
	"bytes"
	"io"
	"mime/quotedprintable"
	"net/http"
	"net/mail"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/notify"
	"github.com/siegel-oss/siegel/internal/notify/smtptest"
	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/store"
)

// teamMember creates a user of ACME with a password, signed in in a browser of its own.
func (e *env) teamMember(t *testing.T, email, role string) (*browser, *store.User) {
	t.Helper()
	org, err := e.st.OrganizationByName(t.Context(), "ACME")
	if err != nil {
		t.Fatal(err)
	}
	u, err := e.st.CreateUser(t.Context(), org.ID, email, "a long enough password", role)
	if err != nil {
		t.Fatal(err)
	}
	b := e.browser(t)
	if code, _ := b.signIn(email, "a long enough password"); code != http.StatusSeeOther {
		t.Fatalf("sign in %s: %d", email, code)
	}
	return b, u
}

// TestUserRoleChange: an administrator gives a user another role in the web UI and through the
// API; the user's session has the new role at its next request, the last active administrator
// keeps the role (the page says why), and a user who is not an administrator changes no role.
func TestUserRoleChange(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
	e := newAccountsEnv(t, clock)
	admin := e.browser(t)
	admin.signIn("admin@acme.example", "correct horse battery")
	pia, piaUser := e.teamMember(t, "pia@acme.example", "auditor")
	adminUser, _ := e.st.UserByEmail(t.Context(), "admin@acme.example")

	if code, _, _ := pia.post("/settings/users/"+itoa(piaUser.ID)+"/role", url.Values{"role": {"admin"}}); code != http.StatusForbidden {
		t.Errorf("an auditor changed a role: %d", code)
	}
	if code, page, _ := admin.post("/settings/users/"+itoa(adminUser.ID)+"/role", url.Values{"role": {"psirt"}}); code != http.StatusBadRequest ||
		!strings.Contains(text(t, page), "Role not changed: the organization would have no active administrator left") {
		t.Errorf("demoting the last administrator: %d %s", code, text(t, page))
	}
	if code, _, h := admin.post("/settings/users/"+itoa(piaUser.ID)+"/role", url.Values{"role": {"psirt"}}); code != http.StatusSeeOther || h.Get("Location") != "/settings/users" {
		t.Fatalf("role change: %d", code)
	}
	if _, page, _ := pia.get("/settings/account"); !strings.Contains(text(t, page), "pia@acme.example (psirt)") {
		t.Errorf("pia's session after the change: %s", text(t, page))
	}
	if code, page, _ := admin.get("/settings/users"); code != http.StatusOK || !strings.Contains(page, `<td data-role="psirt">psirt</td>`) {
		t.Errorf("users page after the change: %d", code)
	}
	if code := e.do("PUT", "/api/v1/users/"+itoa(piaUser.ID)+"/role", "acme-admin", "application/json", jsonBody(map[string]string{"role": "authority"}), nil); code != http.StatusBadRequest {
		t.Errorf("the authority role through the API: %d", code)
	}
	if code := e.do("PUT", "/api/v1/users/"+itoa(piaUser.ID)+"/role", "acme-admin", "application/json", jsonBody(map[string]string{"role": "read-only"}), nil); code != http.StatusNoContent {
		t.Errorf("role change through the API: %d", code)
	}
	var audit struct {
		Items []struct{ Action, Actor, Detail string }
	}
	e.do("GET", "/api/v1/audit", "acme-admin", "", nil, &audit)
	var changes []string
	for _, a := range audit.Items {
		if a.Action == "user.role" {
			changes = append(changes, a.Actor+": "+a.Detail)
		}
	}
	if want := []string{"token:1:acme-admin: role psirt → read-only", "user:admin@acme.example: role auditor → psirt"}; strings.Join(changes, "|") != strings.Join(want, "|") {
		t.Errorf("audit %q, want %q", changes, want)
	}
}

// TestOwnTokens: a PSIRT engineer and an auditor make, list and revoke their own API tokens in
// the UI and through the API, with their own role or read-only; they neither see nor revoke
// another's; a token of no user manages none.
func TestOwnTokens(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
	e := newAccountsEnv(t, clock)
	pia, _ := e.teamMember(t, "pia@acme.example", "psirt")
	olga, _ := e.teamMember(t, "olga@acme.example", "auditor")

	code, page, _ := pia.get("/settings/tokens")
	if code != http.StatusOK || strings.Contains(page, "<option>admin</option>") || !strings.Contains(page, "<option>psirt</option>") || strings.Contains(text(t, page), "acme-admin") {
		t.Fatalf("pia's tokens page: %d %s", code, text(t, page))
	}
	if code, page, _ := pia.post("/settings/tokens", url.Values{"name": {"escalate"}, "role": {"admin"}}); code != http.StatusBadRequest || !strings.Contains(text(t, page), "choose one of psirt, read-only") {
		t.Errorf("an admin token from a PSIRT engineer: %d %s", code, text(t, page))
	}
	code, page, _ = pia.post("/settings/tokens", url.Values{"name": {"pia-ci"}, "role": {"psirt"}, "expiresInDays": {"30"}})
	m := newTokenRE.FindStringSubmatch(page)
	if code != http.StatusCreated || m == nil {
		t.Fatalf("pia's token: %d %s", code, text(t, page))
	}
	e.tokens["pia-ci"] = m[1]
	// Through the API, with her token: a read-only token, not an auditor one.
	var created struct{ Token string }
	if code := e.do("POST", "/api/v1/tokens", "pia-ci", "application/json", jsonBody(map[string]string{"name": "pia-read", "role": "read-only"}), &created); code != http.StatusCreated {
		t.Fatalf("a read-only token from pia's token: %d", code)
	}
	if code := e.do("POST", "/api/v1/tokens", "pia-ci", "application/json", jsonBody(map[string]string{"name": "x", "role": "auditor"}), nil); code != http.StatusBadRequest {
		t.Errorf("an auditor token from a PSIRT token: %d", code)
	}
	_, page, _ = olga.post("/settings/tokens", url.Values{"name": {"olga-audit"}, "role": {"auditor"}})
	if newTokenRE.FindStringSubmatch(page) == nil {
		t.Fatalf("olga's token: %s", text(t, page))
	}
	var list struct{ Items []app.TokenJSON }
	e.do("GET", "/api/v1/tokens", "pia-ci", "", nil, &list)
	var names []string
	for _, x := range list.Items {
		names = append(names, x.Name)
	}
	if strings.Join(names, ",") != "pia-read,pia-ci" {
		t.Errorf("pia's token list: %v", names)
	}
	e.do("GET", "/api/v1/tokens", "acme-admin", "", nil, &list)
	ids := map[string]int64{}
	for _, x := range list.Items {
		ids[x.Name] = x.ID
	}
	if len(ids) != 4 {
		t.Errorf("the administrator sees %v", ids)
	}
	if code, _, _ := olga.post("/settings/tokens/"+itoa(ids["pia-ci"])+"/revoke", nil); code != http.StatusNotFound {
		t.Errorf("olga revoked pia's token: %d", code)
	}
	if code := e.do("POST", "/api/v1/tokens/"+itoa(ids["acme-admin"])+"/revoke", "pia-ci", "", nil, nil); code != http.StatusNotFound {
		t.Errorf("pia revoked the administrator's token: %d", code)
	}
	if code, _, _ := pia.post("/settings/tokens/"+itoa(ids["pia-read"])+"/revoke", nil); code != http.StatusSeeOther {
		t.Errorf("pia revoking her own token: %d", code)
	}
	if code := e.do("GET", "/api/v1/products", "pia-ci", "", nil, nil); code != http.StatusOK {
		t.Errorf("pia's other token after the revocation: %d", code)
	}
	org, _ := e.st.OrganizationByName(t.Context(), "ACME")
	machine, _, err := e.st.CreateToken(t.Context(), org.ID, "auditor", "machine-auditor")
	if err != nil {
		t.Fatal(err)
	}
	e.tokens["machine"] = machine
	if code := e.do("GET", "/api/v1/tokens", "machine", "", nil, nil); code != http.StatusForbidden {
		t.Errorf("a token of no user listed tokens: %d", code)
	}
}

// TestRemoveProductAPI: a product entered by mistake is removed with a reason through the API and
// the correction page; one with evidence (a triaged release, whose exploited finding also opened
// a reporting case) is refused with 409, on the page too.
func TestRemoveProductAPI(t *testing.T) {
	e := newEnv(t)
	var wrong, kept app.ProductView
	e.do("POST", "/api/v1/products", "acme-admin", "application/json", jsonBody(map[string]string{"name": "HomeRoutr", "category": "router"}), &wrong)
	e.do("POST", "/api/v1/products", "acme-admin", "application/json", jsonBody(map[string]string{"name": "Camera", "category": "router"}), &kept)
	e.addRelease(wrong.ID, "1.0", "")
	rel := e.addRelease(kept.ID, "4.2.0", uploadCDX)
	if code := e.do("PUT", "/api/v1/releases/"+itoa(rel.ID)+"/findings/CVE-2026-1001/vex", "acme-admin", "application/json",
		jsonBody(map[string]string{"purl": "pkg:pypi/example-lib@2.3.0", "status": "affected"}), nil); code != http.StatusOK {
		t.Fatalf("triage: %d", code)
	}
	if code := e.do("POST", "/api/v1/products/"+itoa(wrong.ID)+"/remove", "acme-ro", "application/json", jsonBody(map[string]string{"reason": "x"}), nil); code != http.StatusForbidden {
		t.Errorf("a read-only token removed a product: %d", code)
	}
	if code := e.do("POST", "/api/v1/products/"+itoa(wrong.ID)+"/remove", "globex-admin", "application/json", jsonBody(map[string]string{"reason": "x"}), nil); code != http.StatusNotFound {
		t.Errorf("another organization removed a product: %d", code)
	}
	if code := e.do("POST", "/api/v1/products/"+itoa(wrong.ID)+"/remove", "acme-admin", "application/json", jsonBody(map[string]string{}), nil); code != http.StatusBadRequest {
		t.Errorf("a removal without a reason: %d", code)
	}
	if code, body := e.raw("POST", "/api/v1/products/"+itoa(kept.ID)+"/remove", "acme-admin", "application/json", jsonBody(map[string]string{"reason": "x"})); code != http.StatusConflict ||
		!strings.Contains(string(body), "evidence is attached") {
		t.Errorf("removal of a triaged product: %d %s", code, body)
	}
	b, _ := e.teamMember(t, "pia@acme.example", "psirt")
	if code, page, _ := b.post("/products/"+itoa(kept.ID)+"/remove", url.Values{"reason": {"x"}}); code != http.StatusConflict || !strings.Contains(text(t, page), "Product not removed") {
		t.Errorf("removal of a triaged product on the page: %d %s", code, text(t, page))
	}
	code, _, h := b.post("/products/"+itoa(wrong.ID)+"/remove", url.Values{"reason": {"entered twice"}})
	if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/?notice=") {
		t.Fatalf("removal on the page: %d %v", code, h)
	}
	if _, page, _ := b.get(h.Get("Location")); !strings.Contains(text(t, page), "Product HomeRoutr removed") || strings.Contains(page, `href="/products/`+itoa(wrong.ID)+`"`) {
		t.Errorf("portfolio after the removal: %s", text(t, page))
	}
	if code := e.do("GET", "/api/v1/products/"+itoa(wrong.ID), "acme-admin", "", nil, nil); code != http.StatusNotFound {
		t.Errorf("removed product: %d", code)
	}
}

// TestInvitationEmailed: with an SMTP server, the invitation link goes to the invitee by e-mail
// and is not shown to the administrator; the link in the mail works. When the SMTP server
// refuses the recipient, the page shows the link once and says it was not sent.
func TestInvitationEmailed(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
	mailer := smtptest.Start(t, nil)
	e := newAccountsEnv(t, clock, func(c *Config) {
		c.Mailer = &notify.Mailer{Addr: mailer.Addr(), From: "Siegel <siegel@acme.example>"}
	})
	admin := e.browser(t)
	admin.signIn("admin@acme.example", "correct horse battery")
	code, page, _ := admin.post("/settings/users", url.Values{"email": {"pia@acme.example"}, "role": {"psirt"}})
	if code != http.StatusCreated || invitationRE.MatchString(page) || !strings.Contains(text(t, page), "The invitation link was e-mailed to pia@acme.example") {
		t.Fatalf("invite: %d %s", code, text(t, page))
	}
	_, msgs := mailer.Stats()
	if len(msgs) != 1 || msgs[0].Rcpts[0] != "pia@acme.example" {
		t.Fatalf("mail: %+v", msgs)
	}
	m, err := mail.ReadMessage(bytes.NewReader(msgs[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(quotedprintable.NewReader(m.Body))
	link := invitationRE.FindStringSubmatch(string(body))
	if link == nil || !strings.Contains(string(body), e.srv.URL+"/invite/"+link[1]) || !strings.Contains(string(body), "admin@acme.example invited you to ACME in Siegel, as psirt") {
		t.Fatalf("mail body: %s", body)
	}
	pia := e.browser(t)
	if code, _, _ := pia.post("/invite/"+link[1], url.Values{"password": {"pias battery staple"}, "confirm": {"pias battery staple"}}); code != http.StatusSeeOther {
		t.Fatalf("accept the mailed link: %d", code)
	}
	if code, _ := pia.signIn("pia@acme.example", "pias battery staple"); code != http.StatusSeeOther {
		t.Errorf("sign in after the mailed invitation: %d", code)
	}
	// Through the API the link is not answered either.
	var inv map[string]any
	if code := e.do("POST", "/api/v1/users", "acme-admin", "application/json", jsonBody(map[string]string{"email": "olga@acme.example", "role": "auditor"}), &inv); code != http.StatusCreated ||
		inv["emailed"] != true || inv["invitationURL"] != nil {
		t.Errorf("API invitation: %d %v", code, inv)
	}
}

// TestInvitationMailRefused: when the SMTP server refuses the invitation, the administrator gets
// the link, once, with the reason it was not sent.
func TestInvitationMailRefused(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
	mailer := smtptest.Start(t, func(s *smtptest.Server) { s.RcptReply = "550 5.1.1 no such user" })
	e := newAccountsEnv(t, clock, func(c *Config) {
		c.Mailer = &notify.Mailer{Addr: mailer.Addr(), From: "Siegel <siegel@acme.example>"}
	})
	admin := e.browser(t)
	admin.signIn("admin@acme.example", "correct horse battery")
	code, page, _ := admin.post("/settings/users", url.Values{"email": {"pia@acme.example"}, "role": {"psirt"}})
	if code != http.StatusCreated || !invitationRE.MatchString(page) ||
		!strings.Contains(text(t, page), "Not e-mailed: the SMTP server refused it or could not be reached (see the server log). Send this link to pia@acme.example yourself") {
		t.Fatalf("invite: %d %s", code, text(t, page))
	}
	var inv map[string]any
	if code := e.do("POST", "/api/v1/users", "acme-admin", "application/json", jsonBody(map[string]string{"email": "olga@acme.example", "role": "auditor"}), &inv); code != http.StatusCreated ||
		inv["emailed"] != false || inv["invitationURL"] == nil || !strings.Contains(inv["mail"].(string), "refused") {
		t.Errorf("API invitation: %d %v", code, inv)
	}
}
