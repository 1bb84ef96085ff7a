package lab

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/siegel-oss/siegel/internal/lab/labtest"
)

// TestInputValidation: a web interface that serves files by the raw request path and echoes its
// parameters fails; one that refuses everything without a login passes; one that answers every
// request "too many requests" settles nothing.
func TestInputValidation(t *testing.T) {
	naive := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw := r.RequestURI
		if strings.Contains(raw, "..") && (strings.Contains(raw, "passwd") || strings.Contains(raw, "%2fetc")) {
			fmt.Fprint(w, "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n")
			return
		}
		fmt.Fprintf(w, "<html><p>Search results for %s</p></html>", r.URL.Query().Get("q"))
	})
	limited := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "slow down", http.StatusTooManyRequests)
	})
	for _, tc := range []struct {
		name    string
		h       http.Handler
		want    string
		details []string
	}{
		{"naive", naive, Fail, []string{"path traversal", "served /etc/passwd", "markup in a parameter", "echoed markup"}},
		{"basic auth", labtest.BasicAdmin("admin", "s3cret-per-device"), Pass, []string{"answered 10 of 10"}},
		{"limited", limited, NotTested, []string{"answered none of 10"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			port := labtest.HTTPServer(t, "127.0.0.1", tc.h)
			udp := labtest.ClosedUDPPorts(t, "dns", "ntp", "snmp", "ssdp", "mdns", "tftp", "natpmp", "dhcp", "dhcp-client")
			r, err := Run(t.Context(), Config{Target: "127.0.0.1", Scope: loopback(t), Rate: 5000, TCPPorts: []int{port}, UDPPorts: udp, Log: testLog(t)})
			if err != nil {
				t.Fatal(err)
			}
			c := checkOf(t, r, "input-validation")
			if c.Result != tc.want {
				t.Fatalf("input-validation %s (%s), want %s; input %+v", c.Result, c.Detail, tc.want, r.Input)
			}
			for _, d := range tc.details {
				if !strings.Contains(c.Detail, d) {
					t.Errorf("detail lacks %q: %s", d, c.Detail)
				}
			}
			if len(r.Input) != 1 || r.Input[0].Sent != 10 || !r.Input[0].Alive {
				t.Errorf("input: %+v", r.Input)
			}
		})
	}
}

// TestPasswordChange: a password form is seen only behind a working login, and its absence
// never fails the check.
func TestPasswordChange(t *testing.T) {
	withForm := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "admin" || p != "admin" {
			w.Header().Set("WWW-Authenticate", `Basic realm="router"`)
			http.Error(w, "401 Unauthorized", http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, `<html><form method="post" action="/cgi-bin/passwd"><input name="user" value="admin"><input type="password" name="newpass"><button>Save</button></form></html>`)
	})
	for _, tc := range []struct {
		name   string
		h      http.Handler
		want   string
		detail string
	}{
		{"form behind the login", withForm, Pass, `the password field "newpass"`},
		{"no form behind the login", labtest.BasicAdmin("admin", "admin"), NotTested, "no form with a password field"},
		{"no working credential", labtest.BasicAdmin("admin", "unguessable-per-device"), NotTested, "no credential worked"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			port := labtest.HTTPServer(t, "127.0.0.1", tc.h)
			udp := labtest.ClosedUDPPorts(t, "dns", "ntp", "snmp", "ssdp", "mdns", "tftp", "natpmp", "dhcp", "dhcp-client")
			r, err := Run(t.Context(), Config{Target: "127.0.0.1", Scope: loopback(t), Rate: 5000, TCPPorts: []int{port}, UDPPorts: udp,
				Credentials: []Credential{{User: "admin", Password: "admin", Source: "mirai"}}, Log: testLog(t)})
			if err != nil {
				t.Fatal(err)
			}
			if c := checkOf(t, r, "password-change"); c.Result != tc.want || !strings.Contains(c.Detail, tc.detail) {
				t.Errorf("password-change %s (%s), want %s with %q", c.Result, c.Detail, tc.want, tc.detail)
			}
		})
	}
}
