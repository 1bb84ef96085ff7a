package labnet

import (
	"crypto/tls"
	"net"
	"net/http"
	"strconv"
	"testing"
)

// adminGet requests an administration page on the device's LAN address, with the credential
// when one is given, without following redirects.
func adminGet(t *testing.T, l *Lab, p AdminPage, c *Credential) *http.Response {
	t.Helper()
	client := &http.Client{
		Transport: &http.Transport{
			// The certificates are self-signed (checked against the truth elsewhere), and the
			// Mirai-era router offers nothing newer than TLS 1.2.
			TLSClientConfig: &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS10},
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	scheme := "http"
	if p.TLS {
		scheme = "https"
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, scheme+"://"+net.JoinHostPort(l.LAN.String(), strconv.Itoa(p.Port))+p.Path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c != nil {
		req.SetBasicAuth(c.User, c.Password)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", req.URL, err)
	}
	resp.Body.Close()
	return resp
}

// checkAdmin requests the selected administration pages without credentials and compares the
// status with the truth.
func checkAdmin(t *testing.T, l *Lab, selected func(AdminPage) bool) {
	n := 0
	for _, p := range l.Truth.Admin {
		if !selected(p) {
			continue
		}
		n++
		if got := adminGet(t, l, p, nil).StatusCode; got != p.Status {
			t.Errorf("%d%s without credentials: status %d, truth %d", p.Port, p.Path, got, p.Status)
		}
	}
	if n == 0 {
		t.Fatal("no administration page to check")
	}
}

// checkCookie compares the session cookie a login set with the truth's.
func checkCookie(t *testing.T, resp *http.Response, want *Cookie) {
	t.Helper()
	var got *http.Cookie
	for _, c := range resp.Cookies() {
		if want != nil && c.Name == want.Name {
			got = c
		}
	}
	switch {
	case want == nil && len(resp.Cookies()) > 0:
		t.Errorf("login set cookies %v, truth says none", resp.Cookies())
	case want == nil:
	case got == nil:
		t.Errorf("login set no cookie %q (Set-Cookie: %q)", want.Name, resp.Header.Values("Set-Cookie"))
	default:
		sameSite := map[http.SameSite]string{http.SameSiteStrictMode: "Strict", http.SameSiteLaxMode: "Lax", http.SameSiteNoneMode: "None"}[got.SameSite]
		if got.Secure != want.Secure || got.HttpOnly != want.HTTPOnly || sameSite != want.SameSite {
			t.Errorf("cookie %s: Secure=%v HttpOnly=%v SameSite=%q, truth %+v", got.Name, got.Secure, got.HttpOnly, sameSite, *want)
		}
	}
}
