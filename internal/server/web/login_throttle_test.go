package web

import (
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/siegel-oss/siegel/internal/server/app"
)

func TestClientAddr(t *testing.T) {
	s := &Site{Deps: &app.Deps{Config: app.Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}}}
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
	s := &Site{Deps: &app.Deps{Config: app.Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}}}
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
