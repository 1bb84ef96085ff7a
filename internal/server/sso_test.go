package server

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/server/api"
)

// logBuffer collects a server's log lines for a test to read.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// ssoEnv is a server configured for single sign-on against a test provider.
type ssoEnv struct {
	*env
	idp *testIdP
	log *logBuffer
}

func newSSOEnv(t *testing.T) *ssoEnv {
	idp := newTestIdP(t)
	logs := &logBuffer{}
	clock := &testClock{t: time.Now().UTC()}
	e := newAccountsEnv(t, clock, func(c *Config) {
		c.Now = time.Now // the provider signs with the real clock
		c.Log = slog.New(slog.NewTextHandler(logs, nil))
		c.OIDC = &OIDCConfig{Issuer: idp.srv.URL, ClientID: idp.clientID, ClientSecret: idp.secret, AllowedDomains: []string{"acme.example"},
			GroupRoles: map[string]string{"siegel-psirt": "psirt", "siegel-admins": "admin", "auditors": "auditor"}}
	})
	idp.set(func(p *testIdP) { p.redirect = e.srv.URL + "/login/oidc/callback" })
	return &ssoEnv{env: e, idp: idp, log: logs}
}

// signOn follows the whole sign-on from Siegel's login link through the provider and back, as a
// browser does, and answers the final status, page and the client (with its cookies).
func (s *ssoEnv) signOn(t *testing.T) (int, string, *http.Client) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Get(s.srv.URL + "/login/oidc")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), c
}

// TestSSOLogin signs people on through a real OpenID Connect exchange: a new person of a mapped
// group becomes a user with that group's role; one of an allowed domain gets the default role;
// an existing user is linked by e-mail and keeps their role; a disabled one is refused.
func TestSSOLogin(t *testing.T) {
	s := newSSOEnv(t)
	// The login page offers single sign-on.
	if _, page, _ := s.browser(t).get("/login"); !strings.Contains(page, `href="/login/oidc"`) {
		t.Errorf("no single sign-on link on the login page")
	}
	s.idp.set(func(p *testIdP) {
		p.person = map[string]any{"sub": "u-100", "email": "Pia@partner.example", "email_verified": true, "groups": []string{"staff", "siegel-psirt"}}
	})
	code, page, c := s.signOn(t)
	if code != http.StatusOK || !strings.Contains(text(t, page), "pia@partner.example (psirt)") {
		t.Fatalf("sign-on: %d %s\nlog: %s", code, text(t, page), s.log)
	}
	if s.idp.exchanged != 1 {
		t.Errorf("token exchanges with a matching PKCE verifier: %d", s.idp.exchanged)
	}
	// The session is a real one: a psirt user may create a product through the web form.
	resp, err := c.PostForm(s.srv.URL+"/products", map[string][]string{"name": {"Router"}, "category": {"router"}, "craClass": {"default"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Request.URL.Path, "/products/") {
		t.Errorf("product through the signed-on session: %d %s", resp.StatusCode, resp.Request.URL)
	}
	var users struct{ Items []api.UserJSON }
	s.do("GET", "/api/v1/users", "acme-admin", "", nil, &users)
	if len(users.Items) != 2 || users.Items[1].Email != "pia@partner.example" || users.Items[1].Role != "psirt" || !users.Items[1].SSO {
		t.Errorf("users after the first sign-on: %+v", users.Items)
	}
	// The same subject again: the same user.
	if code, _, _ := s.signOn(t); code != http.StatusOK {
		t.Errorf("second sign-on: %d", code)
	}

	// An allowed domain without a mapped group: the default role (auditor).
	s.idp.set(func(p *testIdP) {
		p.person = map[string]any{"sub": "u-200", "email": "olga@acme.example", "email_verified": true}
	})
	if code, page, _ := s.signOn(t); code != http.StatusOK || !strings.Contains(text(t, page), "olga@acme.example (auditor)") {
		t.Errorf("domain sign-on: %d %s", code, text(t, page))
	}
	// The existing administrator is linked by e-mail and stays admin.
	s.idp.set(func(p *testIdP) {
		p.person = map[string]any{"sub": "u-300", "email": "admin@acme.example", "email_verified": true, "groups": []string{"auditors"}}
	})
	if code, page, _ := s.signOn(t); code != http.StatusOK || !strings.Contains(text(t, page), "admin@acme.example (admin)") {
		t.Errorf("linking sign-on: %d %s", code, text(t, page))
	}
	s.do("GET", "/api/v1/users", "acme-admin", "", nil, &users)
	if len(users.Items) != 3 || !users.Items[0].SSO {
		t.Errorf("users after linking: %+v", users.Items)
	}
	// Neither domain nor group: refused, and no user made.
	s.idp.set(func(p *testIdP) {
		p.person = map[string]any{"sub": "u-400", "email": "mallory@elsewhere.example", "email_verified": true, "groups": []string{"staff"}}
	})
	if code, _, _ := s.signOn(t); code != http.StatusForbidden || !strings.Contains(s.log.String(), "no allowed domain and no group") {
		t.Errorf("outsider: %d\n%s", code, s.log)
	}
	// A disabled user is refused.
	s.do("POST", "/api/v1/users/"+itoa(users.Items[2].ID)+"/disable", "acme-admin", "", nil, nil)
	s.idp.set(func(p *testIdP) {
		p.person = map[string]any{"sub": "u-200", "email": "olga@acme.example", "email_verified": true}
	})
	if code, page, _ := s.signOn(t); code != http.StatusForbidden || !strings.Contains(page, "disabled") {
		t.Errorf("disabled user: %d %s", code, text(t, page))
	}
	s.do("GET", "/api/v1/users", "acme-admin", "", nil, &users)
	if len(users.Items) != 3 {
		t.Errorf("users after the refusals: %+v", users.Items)
	}
}

// TestSSORefusals: each way a provider's answer can be wrong is refused, no session is made, and
// the log names the reason.
func TestSSORefusals(t *testing.T) {
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, reason string
		knob         func(p *testIdP)
	}{
		{"wrong nonce", "nonce mismatch", func(p *testIdP) { p.tamper = func(c map[string]any) { c["nonce"] = "replayed-nonce" } }},
		{"wrong state", "state mismatch", func(p *testIdP) { p.badState = "forged-state" }},
		{"wrong audience", "expected audience", func(p *testIdP) { p.tamper = func(c map[string]any) { c["aud"] = "another-client" } }},
		{"expired", "token is expired", func(p *testIdP) {
			p.tamper = func(c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() }
		}},
		{"wrong issuer", "id token issued by a different provider", func(p *testIdP) {
			p.tamper = func(c map[string]any) { c["iss"] = "https://evil.example" }
		}},
		{"wrong key", "failed to verify signature", func(p *testIdP) { p.signer = other }},
		{"unverified e-mail", "no verified e-mail address", func(p *testIdP) {
			p.tamper = func(c map[string]any) { c["email_verified"] = false }
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSSOEnv(t)
			s.idp.set(func(p *testIdP) {
				p.person = map[string]any{"sub": "u-1", "email": "pia@acme.example", "email_verified": true, "groups": []string{"siegel-admins"}}
				tc.knob(p)
			})
			code, page, c := s.signOn(t)
			if code != http.StatusForbidden || !strings.Contains(page, "Single sign-on failed") {
				t.Errorf("status %d: %s", code, text(t, page))
			}
			if !strings.Contains(s.log.String(), tc.reason) {
				t.Errorf("the log does not name %q:\n%s", tc.reason, s.log)
			}
			resp, err := c.Get(s.srv.URL + "/")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.Request.URL.Path != "/login" {
				t.Errorf("a refused sign-on left a session: ended at %s", resp.Request.URL)
			}
			var users struct{ Items []api.UserJSON }
			s.do("GET", "/api/v1/users", "acme-admin", "", nil, &users)
			if len(users.Items) != 1 {
				t.Errorf("a refused sign-on made a user: %+v", users.Items)
			}
		})
	}
}
