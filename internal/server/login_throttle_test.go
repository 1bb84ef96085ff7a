package server

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/siegel-oss/siegel/internal/server/app"
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
	for i := range accountThrottle.Limit {
		if resp := login([]string{a, b}[i%2], "alice@acme.example", "wrong password!!", fmt.Sprintf("203.0.113.%d", i)); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i+1, resp.StatusCode)
		}
	}
	resp := login(b, "Alice@acme.example", "correct horse battery", "203.0.113.200")
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Errorf("eleventh attempt on the account: %d, want 429 with Retry-After", resp.StatusCode)
	}
	// Per client: one address trying many accounts is stopped; another address is not.
	for i := range clientThrottle.Limit {
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
	for i := range clientThrottle.Limit {
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
			if ck.Name == sessionCookie {
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

func TestClientAddr(t *testing.T) {
	s := &Server{Deps: &app.Deps{Config: Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}}}
	for _, tc := range []struct{ peer, xff, fwd, want string }{
		{"192.0.2.1:5000", "198.51.100.7", "", "192.0.2.1"},                          // untrusted peer: header ignored
		{"10.0.0.2:5000", "198.51.100.7", "", "198.51.100.7"},                        // trusted proxy
		{"10.0.0.2:5000", "6.6.6.6, 198.51.100.7, 10.0.0.3", "", "198.51.100.7"},     // rightmost untrusted hop
		{"10.0.0.2:5000", "", `for="[2001:db8::1]:4711";proto=https`, "2001:db8::1"}, // RFC 7239
		{"10.0.0.2:5000", "", "", "10.0.0.2"},
		{"10.0.0.2:5000", "garbage", "", "10.0.0.2"},
	} {
		r := httptest.NewRequest("POST", "/login", nil)
		r.RemoteAddr = tc.peer
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if tc.fwd != "" {
			r.Header.Set("Forwarded", tc.fwd)
		}
		if got := s.clientAddr(r).String(); got != tc.want {
			t.Errorf("%+v: %s", tc, got)
		}
	}
	if got := clientKey(netip.MustParseAddr("2001:db8:1:2:3:4:5:6")); got != "2001:db8:1:2::/64" {
		t.Errorf("clientKey = %s", got)
	}
}

// FuzzClientAddr: any forwarding headers from a trusted proxy give a valid address, without panic.
func FuzzClientAddr(f *testing.F) {
	f.Add("198.51.100.7, 10.0.0.3", `for="[2001:db8::1]:4711";proto=https`)
	f.Add("", "for=unknown, for=_hidden")
	f.Add("[::1]:80,", `for="`)
	s := &Server{Deps: &app.Deps{Config: Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}}}
	f.Fuzz(func(t *testing.T, xff, fwd string) {
		r := httptest.NewRequest("POST", "/login", nil)
		r.RemoteAddr = "10.0.0.2:5000"
		r.Header.Set("X-Forwarded-For", xff)
		r.Header.Set("Forwarded", fwd)
		if a := s.clientAddr(r); !a.IsValid() {
			t.Fatalf("invalid address for %q %q", xff, fwd)
		}
	})
}
