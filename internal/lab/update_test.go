package lab

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// updateDevice is a device's update client in Go: it checks every few milliseconds, reporting
// its version in the query string, downloads a newer image and installs it when accept says so.
type updateDevice struct {
	base    string
	client  *http.Client
	accept  func(img []byte) bool
	version string
}

func (d *updateDevice) run(ctx context.Context) {
	for ctx.Err() == nil {
		d.check(ctx)
		select {
		case <-ctx.Done():
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (d *updateDevice) get(ctx context.Context, path string) ([]byte, bool) {
	req, _ := http.NewRequestWithContext(ctx, "GET", d.base+path, nil)
	req.Header.Set("User-Agent", "test-device")
	resp, err := d.client.Do(req)
	if err != nil {
		return nil, false
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return b, err == nil && resp.StatusCode == 200
}

func (d *updateDevice) check(ctx context.Context) {
	m, ok := d.get(ctx, "/d1/check?current="+d.version)
	if !ok {
		return
	}
	var next, image string
	for line := range strings.Lines(string(m)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "version "); ok {
			next = v
		}
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "image "); ok {
			image = v
		}
	}
	if next == "" || next == d.version {
		return
	}
	if img, ok := d.get(ctx, image); ok && d.accept(img) {
		d.version = next
	}
}

// updateIdentity is a certificate for 127.0.0.1 and the pool that trusts it.
func updateIdentity(t *testing.T) (tls.Certificate, *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "update.test"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// TestUpdateServer runs the update server against devices that verify or do not, over HTTPS and
// plain HTTP, and compares the checks with what each device does.
func TestUpdateServer(t *testing.T) {
	image := []byte(strings.Repeat("firmware 1.0.4 ", 1000))
	genuine := sha256.Sum256(image)
	files := map[string][]byte{"/d1/check": []byte("version 1.0.4\nimage /d1/fw.bin\n"), "/d1/fw.bin": image}
	cert, pool := updateIdentity(t)
	verifies := func(img []byte) bool { return sha256.Sum256(img) == genuine }
	installs := func([]byte) bool { return true }
	never := func([]byte) bool { return false }
	strict := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, DisableKeepAlives: true}}
	naive := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, DisableKeepAlives: true}}
	plain := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	local := Scope{netip.MustParsePrefix("127.0.0.0/8")}

	for _, tc := range []struct {
		name    string
		tls     bool
		cert    bool
		scope   Scope
		client  *http.Client
		accept  func([]byte) bool
		want    map[string]string
		refused bool // connections closed as out of scope
	}{
		{"verifies server and image", true, true, local, strict, verifies,
			map[string]string{"update-check": Pass, "update-auto": Pass, "update-channel": Pass, "update-authenticity": Pass}, false},
		{"takes any certificate and any image", true, true, local, naive, installs,
			map[string]string{"update-check": Pass, "update-auto": Pass, "update-channel": Fail, "update-authenticity": Fail}, false},
		{"plain HTTP, any image", false, false, local, plain, installs,
			map[string]string{"update-check": Pass, "update-auto": Pass, "update-channel": Fail, "update-authenticity": Fail}, false},
		{"plain HTTP, verifies the image", false, false, local, plain, verifies,
			map[string]string{"update-check": Pass, "update-auto": Pass, "update-channel": Fail, "update-authenticity": Pass}, false},
		{"installs nothing", false, false, local, plain, never,
			map[string]string{"update-check": Pass, "update-auto": NotTested, "update-authenticity": NotTested}, false},
		{"no trusted identity to offer", true, false, local, strict, verifies,
			map[string]string{"update-check": Pass, "update-auto": NotTested, "update-channel": NotTested, "update-authenticity": NotTested}, false},
		{"device outside the allowed ranges", false, false, Scope{netip.MustParsePrefix("10.0.0.0/8")}, plain, installs,
			map[string]string{"update-check": NotTested, "update-auto": NotTested, "update-channel": NotTested, "update-authenticity": NotTested}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := UpdateServer{Listen: "127.0.0.1:0", TLS: tc.tls, Files: files, Image: "/d1/fw.bin", Current: "1.0.3", Next: "1.0.4"}
			if tc.cert {
				cfg.Certificate = &cert
			}
			p := newProber(tc.scope, 0, slog.New(slog.DiscardHandler), func() time.Time { return time.Now().UTC() })
			s, err := startUpdateServer(cfg, tc.scope, p)
			if err != nil {
				t.Fatal(err)
			}
			scheme := "http"
			if tc.tls {
				scheme = "https"
			}
			ctx, cancel := context.WithCancel(t.Context())
			d := &updateDevice{base: scheme + "://" + s.ln.Addr().String(), client: tc.client, accept: tc.accept, version: "1.0.3"}
			done := make(chan struct{})
			go func() { d.run(ctx); close(done) }()
			s.wait(t.Context(), time.Now().Add(3*time.Second))
			cancel()
			<-done
			u := s.stop()
			got := map[string]Check{}
			for _, c := range updateChecks(&u) {
				got[c.ID] = c
			}
			for id, want := range tc.want {
				if got[id].Result != want {
					t.Errorf("%s: %s (%s), want %s", id, got[id].Result, got[id].Detail, want)
				}
			}
			if (u.Refused > 0) != tc.refused {
				t.Errorf("refused %d connections, want some: %v", u.Refused, tc.refused)
			}
			for _, e := range p.transcript() {
				if !strings.HasPrefix(e.Probe, "update-") || e.At.IsZero() || e.Outcome == "" {
					t.Errorf("transcript event %+v", e)
				}
			}
		})
	}
}

func TestContainsToken(t *testing.T) {
	for _, tc := range []struct {
		s, v string
		want bool
	}{
		{"current=1.0.3", "1.0.3", true},
		{"current=1.0.30", "1.0.3", false},
		{"current=11.0.3", "1.0.3", false},
		{"x curl/7.88.1 fw/1.0.3", "1.0.3", true},
		{"v1.0.3", "1.0.3", false},
		{"", "1.0.3", false},
	} {
		if got := containsToken(tc.s, tc.v); got != tc.want {
			t.Errorf("containsToken(%q, %q) = %v", tc.s, tc.v, got)
		}
	}
}

// FuzzContainsToken: the device's query string and User-Agent are untrusted; reading a version
// from them never panics, and a version found is in the text.
func FuzzContainsToken(f *testing.F) {
	f.Add("current=1.0.3", "1.0.3")
	f.Add("curl/7.88.1", "7.88")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, s, v string) {
		if v == "" {
			return
		}
		if containsToken(s, v) && !strings.Contains(s, v) {
			t.Errorf("containsToken(%q, %q) found what is not there", s, v)
		}
	})
}
