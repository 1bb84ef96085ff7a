package lab

// The lab as the device's update server. A device under test is pointed at the lab host for its
// updates (its update URL, or the vendor's update name resolved to the lab host), and the lab
// serves the genuine update the lab engineer downloaded from the vendor, watching what the
// device does:
//
//   - whether it checks for updates on its own (EN 303 645 5.3-5), and applies them without a
//     user step (5.3-3, 5.3-4);
//   - over TLS, the first connection gets a certificate the device cannot trust (made by the lab
//     for the same names): a device that verifies its update server aborts that handshake
//     (5.3-7); over plain HTTP the update travels unprotected;
//   - the first image it downloads is altered (one byte flipped, the signature and manifest left
//     as they are): a device that verifies updates refuses it and keeps its version, then
//     installs the genuine image when it is served next (5.3-9, 5.3-10).
//
// What the device installed is read from its own later requests: the version it reports in the
// query string or the User-Agent of its next check. The server answers only the device's
// addresses (the --allow ranges) and records every connection and request in the transcript.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// UpdateServer configures the lab as the device's update server.
type UpdateServer struct {
	// Listen is the lab host's address where the device's update requests arrive (host:port).
	Listen string
	// TLS serves HTTPS; Certificate is the identity the device trusts for its update server
	// (the vendor's test identity, or the lab's CA enrolled in the device). Without it only the
	// untrusted certificate is presented, and the update itself cannot be tested.
	TLS         bool
	Certificate *tls.Certificate
	// Files are the genuine update files by URL path (the manifest, the image, its signature).
	Files map[string][]byte
	// Image is the URL path of the update image, the file the lab alters.
	Image string
	// Current is the version the device runs, Next the version of the update.
	Current, Next string
	// Watch bounds the observation, counted from the start of the run (0: DefaultUpdateWatch).
	// The run ends when the observation is complete or the bound is reached.
	Watch time.Duration
}

// DefaultUpdateWatch is how long the lab waits for a device's update checks by default.
const DefaultUpdateWatch = 25 * time.Second

// Limits of LoadUpdateFiles.
const (
	maxUpdateFiles = 64
	maxUpdateBytes = 256 << 20
)

// LoadUpdateFiles reads a directory that mirrors the vendor's update server: each file is served
// at its path below the directory ("mr1/check" at /mr1/check).
func LoadUpdateFiles(dir string) (map[string][]byte, error) {
	files := map[string][]byte{}
	total := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s: not a regular file", p)
		}
		if len(files) >= maxUpdateFiles {
			return fmt.Errorf("%s: more than %d files", dir, maxUpdateFiles)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if total += len(b); total > maxUpdateBytes {
			return fmt.Errorf("%s: more than %d MiB of update files", dir, maxUpdateBytes>>20)
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		files["/"+filepath.ToSlash(rel)] = b
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("update files: %w", err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("update files: %s holds no file", dir)
	}
	return files, nil
}

// What the device did with an image the lab served.
const (
	UpdateNotServed = "not served"
	UpdatePending   = "served, no later check"
	UpdateRefused   = "refused"   // the device's next check reports its old version
	UpdateInstalled = "installed" // the device's next check reports the update's version
)

// UpdateResult is what the device did with the lab's update server.
type UpdateResult struct {
	Listen string `json:"listen"`
	TLS    bool   `json:"tls"`
	// Requests counts the HTTP requests, Checks those that carried the device's version.
	Requests int       `json:"requests"`
	Checks   int       `json:"checks"`
	First    time.Time `json:"first,omitzero"`
	Last     time.Time `json:"last,omitzero"`
	// Versions are the versions the device reported, in order, repeats collapsed.
	Versions []string `json:"versions"`
	// Untrusted is what the device did with the certificate it cannot trust: "refused" (it
	// aborted the handshake), "accepted" (it sent a request over it), or "" (not presented).
	Untrusted      string `json:"untrusted,omitempty"`
	UntrustedAlert string `json:"untrustedAlert,omitempty"`
	// TrustedOK is whether a handshake with the trusted identity completed: the control that
	// shows a refusal was about the certificate.
	TrustedOK bool `json:"trustedOk,omitempty"`
	// TLSVersions are the highest versions the device's TLS client offered, as seen.
	TLSVersions []string `json:"tlsVersions,omitempty"`
	// Tampered and Genuine are what became of the altered and of the genuine image.
	Tampered       string `json:"tampered"`
	Genuine        string `json:"genuine"`
	TamperedSHA256 string `json:"tamperedSha256,omitempty"`
	GenuineSHA256  string `json:"genuineSha256,omitempty"`
	// Refused counts connections from addresses outside the --allow ranges, which were closed
	// unanswered.
	Refused int `json:"refused,omitempty"`
	// Error is why the server could not run ("" when it ran).
	Error string `json:"error,omitempty"`
}

// updateServer is a running update server.
type updateServer struct {
	cfg       UpdateServer
	scope     Scope
	p         *prober
	ln        net.Listener
	untrusted tls.Certificate
	tampered  []byte
	srv       *http.Server
	changed   chan struct{}

	mu  sync.Mutex
	res UpdateResult
}

// startUpdateServer listens and serves until stop; the error is a failure to listen or a
// configuration the lab cannot serve.
func startUpdateServer(cfg UpdateServer, scope Scope, p *prober) (*updateServer, error) {
	img, ok := cfg.Files[cfg.Image]
	if !ok || len(img) == 0 {
		return nil, fmt.Errorf("update server: the image %q is not among the update files", cfg.Image)
	}
	if cfg.Current == "" || cfg.Next == "" || cfg.Current == cfg.Next {
		return nil, fmt.Errorf("update server: name the device's version and the update's, which differ (have %q and %q)", cfg.Current, cfg.Next)
	}
	s := &updateServer{cfg: cfg, scope: scope, p: p, changed: make(chan struct{}, 1),
		res: UpdateResult{Listen: cfg.Listen, TLS: cfg.TLS, Tampered: UpdateNotServed, Genuine: UpdateNotServed, Versions: []string{}}}
	s.tampered = tamper(img)
	s.res.GenuineSHA256 = sha256Hex(img)
	s.res.TamperedSHA256 = sha256Hex(s.tampered)
	if cfg.TLS {
		var err error
		if s.untrusted, err = untrustedCertificate(cfg); err != nil {
			return nil, err
		}
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("update server: %w", err)
	}
	s.ln = ln
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serveHTTP), ReadHeaderTimeout: 5 * time.Second,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context { return context.WithValue(ctx, connKey{}, c) }}
	conns := &connListener{addr: ln.Addr(), ch: make(chan net.Conn), done: make(chan struct{})}
	go s.accept(conns)
	go s.srv.Serve(conns)
	return s, nil
}

type connKey struct{}

// tamper returns the image with one byte in its middle flipped: same size, different digest,
// and a signature over the original no longer matches.
func tamper(img []byte) []byte {
	out := slices.Clone(img)
	out[len(out)/2] ^= 0xff
	return out
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// untrustedCertificate is a self-signed certificate for the names and addresses the device's
// trusted identity (or the listen address) carries: it differs from the trusted one only in
// who vouches for it.
func untrustedCertificate(cfg UpdateServer) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("update server: key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "siegel lab untrusted update server"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if cfg.Certificate != nil && len(cfg.Certificate.Certificate) > 0 {
		if c, err := x509.ParseCertificate(cfg.Certificate.Certificate[0]); err == nil {
			tmpl.Subject.CommonName = c.Subject.CommonName
			tmpl.DNSNames, tmpl.IPAddresses = c.DNSNames, c.IPAddresses
		}
	}
	if host, _, err := net.SplitHostPort(cfg.Listen); err == nil {
		if ip := net.ParseIP(host); ip != nil && !slices.ContainsFunc(tmpl.IPAddresses, ip.Equal) {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("update server: certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// connListener hands the connections the accept loop let through to the HTTP server.
type connListener struct {
	addr net.Addr
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
}

func (l *connListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *connListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *connListener) Addr() net.Addr { return l.addr }

// accept takes the device's connections: those from outside the scope are closed unanswered,
// TLS ones are handshaken here so the outcome lands in the transcript.
func (s *updateServer) accept(out *connListener) {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			out.Close()
			return
		}
		go func() {
			remote := c.RemoteAddr().String()
			ap, _ := netip.ParseAddrPort(remote)
			if !s.scope.Contains(ap.Addr()) {
				c.Close()
				s.mu.Lock()
				s.res.Refused++
				s.mu.Unlock()
				s.p.record(Event{At: s.p.now(), Probe: "update-connection", Network: "tcp", Address: remote, Outcome: "closed: not the device under test (outside --allow)"})
				return
			}
			if s.cfg.TLS {
				c = s.handshake(c, remote)
				if c == nil {
					return
				}
			}
			select {
			case out.ch <- c:
			case <-out.done:
				c.Close()
			}
		}()
	}
}

// handshake runs the TLS handshake with the certificate the phase calls for: the untrusted one
// until the device has concluded a handshake with it, then the trusted one.
func (s *updateServer) handshake(c net.Conn, remote string) net.Conn {
	s.mu.Lock()
	untrusted := s.res.Untrusted == "" || s.cfg.Certificate == nil
	s.mu.Unlock()
	cert := s.untrusted
	if !untrusted {
		cert = *s.cfg.Certificate
	}
	var offered uint16
	conf := &tls.Config{MinVersion: tls.VersionTLS10, Certificates: []tls.Certificate{cert},
		GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
			offered = slices.Max(h.SupportedVersions)
			return nil, nil
		}}
	tc := tls.Server(c, conf)
	start, t0 := s.p.now(), time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	err := tc.HandshakeContext(ctx)
	defer cancel()
	which := "trusted"
	if untrusted {
		which = "untrusted"
	}
	e := Event{At: start, Probe: "update-tls", Network: "tcp", Address: remote, Millis: ms(time.Since(t0)),
		Sent: "certificate " + which + " SHA-256 " + sha256Hex(cert.Certificate[0])}
	if offered != 0 {
		e.Received = "ClientHello, highest version " + tls.VersionName(offered)
	}
	s.mu.Lock()
	if offered != 0 && !slices.Contains(s.res.TLSVersions, tls.VersionName(offered)) {
		s.res.TLSVersions = append(s.res.TLSVersions, tls.VersionName(offered))
	}
	switch {
	case err == nil:
		e.Replied, e.Outcome = s.p.now(), "handshake done, "+tls.VersionName(tc.ConnectionState().Version)
		if !untrusted {
			s.res.TrustedOK = true
		}
	case untrusted && offered != 0 && ctx.Err() == nil:
		// The device saw the certificate and broke off: an alert, or a close (curl with
		// OpenSSL under TLS 1.3 reaches Go's server as "bad record MAC"). The error alone does
		// not say it was the certificate; the same client completing the handshake with the
		// trusted identity afterwards does (TrustedOK).
		e.Replied, e.Outcome = s.p.now(), "refused by the device: "+err.Error()
		if s.res.Untrusted == "" {
			s.res.Untrusted, s.res.UntrustedAlert = "refused", err.Error()
		}
	default:
		e.Outcome = "handshake failed: " + err.Error()
	}
	s.mu.Unlock()
	s.p.record(e)
	if err != nil {
		c.Close()
		s.notify()
		return nil
	}
	return &updateConn{Conn: tc, untrusted: untrusted}
}

// updateConn is a device's connection after its TLS handshake, marked with the certificate it
// was shown.
type updateConn struct {
	net.Conn
	untrusted bool
}

func (s *updateServer) notify() {
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

// reportedVersion is the device's version a request carries in its query string or User-Agent:
// the update's, the current one, or "".
func (s *updateServer) reportedVersion(r *http.Request) string {
	where := r.URL.RawQuery + " " + r.UserAgent()
	for _, v := range []string{s.cfg.Next, s.cfg.Current} {
		if containsToken(where, v) {
			return v
		}
	}
	return ""
}

// containsToken reports whether v occurs in s not as part of a longer version ("1.0.3" is not
// in "1.0.30").
func containsToken(s, v string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], v)
		if j < 0 {
			return false
		}
		a, b := i+j, i+j+len(v)
		if (a == 0 || !isVersionByte(s[a-1])) && (b == len(s) || !isVersionByte(s[b])) {
			return true
		}
		i = a + 1
	}
}

func isVersionByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '.' || c == '-' || c == '_'
}

func (s *updateServer) serveHTTP(w http.ResponseWriter, r *http.Request) {
	start := s.p.now()
	remote := r.RemoteAddr
	body, found := s.cfg.Files[path.Clean(r.URL.Path)]
	s.mu.Lock()
	res := &s.res
	res.Requests++
	if res.First.IsZero() {
		res.First = start
	}
	res.Last = start
	if c, ok := r.Context().Value(connKey{}).(*updateConn); ok && c.untrusted && res.Untrusted == "" {
		// A request over the certificate the device cannot trust: it does not check whom it
		// fetches its updates from.
		res.Untrusted = "accepted"
	}
	v := s.reportedVersion(r)
	if v != "" {
		res.Checks++
		if len(res.Versions) == 0 || res.Versions[len(res.Versions)-1] != v {
			res.Versions = append(res.Versions, v)
		}
		switch {
		case res.Tampered == UpdatePending:
			res.Tampered = map[string]string{s.cfg.Next: UpdateInstalled, s.cfg.Current: UpdateRefused}[v]
		case res.Genuine == UpdatePending && v == s.cfg.Next:
			res.Genuine = UpdateInstalled
		}
	}
	what := "genuine"
	if path.Clean(r.URL.Path) == s.cfg.Image && found {
		switch {
		case res.Tampered == UpdateNotServed || res.Tampered == UpdatePending:
			body, what, res.Tampered = s.tampered, "altered", UpdatePending
		case res.Genuine == UpdateNotServed:
			res.Genuine = UpdatePending
		}
	}
	s.mu.Unlock()
	s.notify()

	e := Event{At: start, Probe: "update-request", Network: "tcp", Address: remote,
		Received: Printable([]byte(r.Method + " " + r.URL.RequestURI() + " User-Agent: " + r.UserAgent()))}
	if !found {
		http.NotFound(w, r)
		e.Sent, e.Outcome = "404", "not an update file"
	} else {
		w.Header().Set("Content-Type", "application/octet-stream")
		_, err := w.Write(body)
		e.Sent = fmt.Sprintf("200, %d bytes, SHA-256 %s", len(body), sha256Hex(body))
		e.Outcome = "served " + what + " " + path.Clean(r.URL.Path)
		if err != nil {
			e.Outcome += " (cut off: " + err.Error() + ")"
		}
	}
	if v != "" {
		e.Outcome += "; device reports version " + v
	}
	e.Replied, e.Millis = s.p.now(), ms(s.p.now().Sub(start))
	s.p.record(e)
}

// done reports whether the observation has concluded: the certificate test settled (over TLS)
// and the altered image installed, or refused and then the genuine one installed.
func (s *updateServer) done() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.res
	if r.TLS && r.Untrusted == "" {
		return false
	}
	if r.Untrusted == "refused" && s.cfg.Certificate == nil {
		return true // the device refuses the only certificate the lab has: nothing more to see
	}
	return r.Tampered == UpdateInstalled || r.Genuine == UpdateInstalled
}

// wait returns when the observation has concluded, or at the deadline.
func (s *updateServer) wait(ctx context.Context, deadline time.Time) {
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	for !s.done() {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			return
		case <-s.changed:
		}
	}
}

// stop closes the server and returns what it saw.
func (s *updateServer) stop() UpdateResult {
	s.ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.res
}
