package server

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
)

// TestLoginThrottle: attempts are counted in the store, so two servers on one database count
// together; per account across clients, per client across accounts; forwarded addresses count
// only from trusted proxies.
func TestLoginThrottle(t *testing.T) {
	e := newEnv(t)
	acme, _ := e.st.OrganizationByName(t.Context(), "ACME")
	for _, u := range []string{"alice@acme.example", "bob@acme.example", "carol@acme.example"} {
		if _, err := e.st.CreateUser(t.Context(), acme.ID, u, "correct horse battery", "psirt"); err != nil {
			t.Fatal(err)
		}
	}
	proxy := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	start := func(cfg Config) string {
		cfg.Store = e.st
		srv := httptest.NewServer(New(cfg).Handler())
		t.Cleanup(srv.Close)
		return srv.URL
	}
	a, b := start(Config{TrustedProxies: proxy}), start(Config{TrustedProxies: proxy})
	login := func(base, email, password, forwarded string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("POST", base+"/login", strings.NewReader(url.Values{"email": {email}, "password": {password}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if forwarded != "" {
			req.Header.Set("X-Forwarded-For", forwarded)
		}
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}

	// Per account: ten wrong passwords from ten addresses, on two servers, lock the account.
	for i := range loginLimit {
		if resp := login([]string{a, b}[i%2], "alice@acme.example", "wrong password!!", fmt.Sprintf("203.0.113.%d", i)); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i+1, resp.StatusCode)
		}
	}
	resp := login(b, "Alice@acme.example", "correct horse battery", "203.0.113.200")
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Errorf("eleventh attempt on the account: %d, want 429 with Retry-After", resp.StatusCode)
	}
	// Per client: one address trying many accounts is stopped; another address is not.
	for i := range loginLimit {
		login(a, fmt.Sprintf("nobody%d@acme.example", i), "wrong password!!", "client.example, 198.51.100.9")
	}
	if resp := login(b, "bob@acme.example", "correct horse battery", "198.51.100.9"); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("eleventh attempt from the client: %d, want 429", resp.StatusCode)
	}
	if resp := login(a, "bob@acme.example", "correct horse battery", "198.51.100.10"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("bob from another address: %d, want a login", resp.StatusCode)
	}
	// Without trusted proxies the header is ignored: every attempt is the peer's, 127.0.0.1.
	c := start(Config{})
	for i := range loginLimit {
		login(c, fmt.Sprintf("someone%d@acme.example", i), "wrong password!!", fmt.Sprintf("192.0.2.%d", i))
	}
	if resp := login(c, "carol@acme.example", "correct horse battery", "192.0.2.99"); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("spoofed X-Forwarded-For to a server without trusted proxies: %d, want 429", resp.StatusCode)
	}
}

// TestSessionCookieSecure: the session cookie is Secure whenever the public URL is https, also
// when TLS ends at a proxy that does not say so.
func TestSessionCookieSecure(t *testing.T) {
	e := newEnv(t)
	acme, _ := e.st.OrganizationByName(t.Context(), "ACME")
	if _, err := e.st.CreateUser(t.Context(), acme.ID, "alice@acme.example", "correct horse battery", "psirt"); err != nil {
		t.Fatal(err)
	}
	for base, want := range map[string]bool{"https://siegel.example": true, "": false} {
		srv := httptest.NewServer(New(Config{Store: e.st, BaseURL: base}).Handler())
		defer srv.Close()
		req, _ := http.NewRequest("POST", srv.URL+"/login", strings.NewReader(url.Values{"email": {"alice@acme.example"}, "password": {"correct horse battery"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-Proto", "https") // from an untrusted peer: ignored
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		var cookie *http.Cookie
		for _, ck := range resp.Cookies() {
			if ck.Name == webSessionCookie {
				cookie = ck
			}
		}
		if cookie == nil {
			t.Fatalf("base %q: no session cookie (%d)", base, resp.StatusCode)
		}
		if cookie.Secure != want {
			t.Errorf("base %q: Secure = %v, want %v", base, cookie.Secure, want)
		}
	}
}
