// Package labtest holds devices for tests of the lab engine that run without a lab: real
// servers on loopback that behave as a device's services do.
package labtest

import (
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"
)

// BasicAdmin is a web interface behind HTTP basic authentication that takes user and pass and
// never limits failures.
func BasicAdmin(user, pass string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Server", "mini_httpd/1.30 26Oct2018")
		u, p, ok := r.BasicAuth()
		if !ok || u != user || p != pass {
			w.Header().Set("WWW-Authenticate", `Basic realm="router"`)
			http.Error(w, "401 Unauthorized", http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, `<html><form method="post" action="/apply"><input name="ssid"><input name="channel"></form></html>`)
	})
}

// HTTPServer serves h on host (an address of the machine) until the test ends, and returns its
// port.
func HTTPServer(t testing.TB, host string, h http.Handler) int {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().(*net.TCPAddr).Port
}

// ClosedUDPPorts returns, for each name, a loopback UDP port that nothing listens on (it was
// bound and released), so a UDP probe of that service finds it closed.
func ClosedUDPPorts(t testing.TB, names ...string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, name := range names {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		out[name] = c.LocalAddr().(*net.UDPAddr).Port
		c.Close()
	}
	return out
}
