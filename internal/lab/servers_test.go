package lab

// Real servers for the tests, on loopback: Go TLS listeners restricted in version, x/crypto/ssh
// servers with passwords or keys only, a telnet login server that negotiates options, HTTP
// servers with basic and form logins (with and without lockout), and UDP responders for DNS,
// SNMP (decoding with encoding/asn1, independently of the package's own BER code) and NTP.

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/net/dns/dnsmessage"
)

func listenTCP(t *testing.T, host string) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func tcpPort(l net.Listener) int   { return l.Addr().(*net.TCPAddr).Port }
func udpPort(c net.PacketConn) int { return c.LocalAddr().(*net.UDPAddr).Port }

// selfSigned makes a self-signed certificate with the key given.
func selfSigned(t *testing.T, key any, pub any) tls.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "router.lab"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(365 * 24 * time.Hour), DNSNames: []string{"router.lab"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// tlsServer serves HTTPS with only the versions given.
func tlsServer(t *testing.T, host string, minV, maxV uint16, cert tls.Certificate, h http.Handler) int {
	t.Helper()
	l := listenTCP(t, host)
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: minV, MaxVersion: maxV}
	if minV < tls.VersionTLS12 {
		// Old devices accept the old suites; a server offering TLS 1.0 also takes 3DES here.
		for _, cs := range tls.CipherSuites() {
			cfg.CipherSuites = append(cfg.CipherSuites, cs.ID)
		}
		cfg.CipherSuites = append(cfg.CipherSuites, tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA, tls.TLS_RSA_WITH_AES_128_CBC_SHA)
	}
	srv := &http.Server{Handler: h, TLSConfig: cfg, ErrorLog: log.New(io.Discard, "", 0), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(tls.NewListener(l, cfg))
	t.Cleanup(func() { srv.Close() })
	return tcpPort(l)
}

// formAdmin is a web interface with a login form and a session cookie; after maxFail wrong
// passwords in a row it refuses logins (429) for lockFor. maxFail 0 means no lockout. The
// status page /status is left open when openStatus is set.
type formAdmin struct {
	user, pass string
	maxFail    int
	lockFor    time.Duration
	openStatus bool
	cookie     http.Cookie

	mu          sync.Mutex
	fails       int
	lockedUntil time.Time
}

const loginPage = `<html><body><form method="post" action="/login"><input type="hidden" name="csrf" value="x1">
<input type="text" name="username"><input type="password" name="password"><input type="submit"></form></body></html>`

func (f *formAdmin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/login" && r.Method == http.MethodPost:
		f.mu.Lock()
		defer f.mu.Unlock()
		if time.Now().Before(f.lockedUntil) {
			http.Error(w, "too many attempts", http.StatusTooManyRequests)
			return
		}
		_ = r.ParseForm()
		if r.PostForm.Get("csrf") != "x1" {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		if r.PostForm.Get("username") == f.user && r.PostForm.Get("password") == f.pass {
			f.fails = 0
			c := f.cookie
			c.Value = "s3ss10n"
			http.SetCookie(w, &c)
			http.Redirect(w, r, "/admin", http.StatusSeeOther)
			return
		}
		f.fails++
		if f.maxFail > 0 && f.fails >= f.maxFail {
			f.lockedUntil = time.Now().Add(f.lockFor)
			f.fails = 0
		}
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, loginPage)
	case r.URL.Path == "/status" && f.openStatus:
		fmt.Fprint(w, `<html><form method="post" action="/apply"><input name="wan_ip"><input name="dns"></form></html>`)
	case r.URL.Path == "/" || r.URL.Path == "/admin" || r.URL.Path == "/system":
		if c, err := r.Cookie(f.cookie.Name); err == nil && c.Value == "s3ss10n" {
			fmt.Fprint(w, `<html>settings</html>`)
			return
		}
		http.Redirect(w, r, "/login.html", http.StatusFound)
	case r.URL.Path == "/login.html":
		fmt.Fprint(w, loginPage)
	default:
		http.NotFound(w, r)
	}
}

// sshServer accepts password logins for user/pass (when pass is set) and public keys of
// authorized (when set); kex limits the key exchanges offered.
func sshServer(t *testing.T, host string, hostKey ssh.Signer, user, pass string, kex []string) int {
	t.Helper()
	cfg := &ssh.ServerConfig{ServerVersion: "SSH-2.0-dropbear_2022.83"}
	cfg.KeyExchanges = kex
	if kex != nil {
		cfg.MACs = []string{"hmac-sha2-256-etm@openssh.com", "hmac-sha2-256"}
	}
	if pass != "" {
		cfg.PasswordCallback = func(c ssh.ConnMetadata, p []byte) (*ssh.Permissions, error) {
			if c.User() == user && string(p) == pass {
				return nil, nil
			}
			return nil, fmt.Errorf("wrong password")
		}
	} else {
		cfg.PublicKeyCallback = func(ssh.ConnMetadata, ssh.PublicKey) (*ssh.Permissions, error) {
			return nil, fmt.Errorf("no key known")
		}
	}
	cfg.AddHostKey(hostKey)
	l := listenTCP(t, host)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(20 * time.Second))
				conn, chans, reqs, err := ssh.NewServerConn(c, cfg)
				if err != nil {
					return
				}
				defer conn.Close()
				go ssh.DiscardRequests(reqs)
				for ch := range chans {
					_ = ch.Reject(ssh.Prohibited, "no shell in the test")
				}
			}()
		}
	}()
	return tcpPort(l)
}

// telnetServer is a telnet login like busybox telnetd with login: it negotiates echo,
// suppress-go-ahead and window size, asks for a login and a password, and says "Login
// incorrect" to a wrong one (without any delay: no brute-force protection).
func telnetServer(t *testing.T, host, user, pass string) int {
	t.Helper()
	l := listenTCP(t, host)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(20 * time.Second))
				c.Write([]byte{iac, will, optEcho, iac, will, optSGA, iac, do, 31, iac, sb, 24, 1, iac, se})
				c.Write([]byte("\r\nBusyBox v1.36.1 (Debian 1:1.36.1-3) built-in shell\r\n\r\nrouter login: "))
				br := bufio.NewReader(c)
				u := readTelnetLine(br)
				c.Write([]byte("Password: "))
				p := readTelnetLine(br)
				if u == user && p == pass {
					c.Write([]byte("\r\n\r\nBusyBox v1.36.1 built-in shell (ash)\r\n~ # "))
					readTelnetLine(br)
					return
				}
				c.Write([]byte("\r\nLogin incorrect\r\nrouter login: "))
			}()
		}
	}()
	return tcpPort(l)
}

// readTelnetLine reads a line, dropping the client's option answers.
func readTelnetLine(br *bufio.Reader) string {
	var s []byte
	for {
		b, err := br.ReadByte()
		if err != nil {
			return string(s)
		}
		switch {
		case b == iac:
			verb, _ := br.ReadByte()
			if verb >= will && verb <= dont {
				br.ReadByte()
			}
		case b == '\n':
			return strings.TrimRight(string(s), "\r\x00")
		default:
			s = append(s, b)
		}
	}
}

func listenUDP(t *testing.T, host string) net.PacketConn {
	t.Helper()
	c, err := net.ListenPacket("udp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// serveUDP answers each datagram with what answer returns (nil: no answer).
func serveUDP(c net.PacketConn, answer func([]byte) []byte) {
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := c.ReadFrom(buf)
			if err != nil {
				return
			}
			if out := answer(append([]byte(nil), buf[:n]...)); out != nil {
				c.WriteTo(out, from)
			}
		}
	}()
}

// dnsServer answers version.bind (CHAOS TXT) with version, and any other query with RA set and
// the rcode given: SERVFAIL as a forwarder without upstream does, REFUSED as a closed one.
func dnsServer(t *testing.T, host, version string, rcode dnsmessage.RCode) int {
	c := listenUDP(t, host)
	serveUDP(c, func(b []byte) []byte {
		var m dnsmessage.Message
		if err := m.Unpack(b); err != nil || len(m.Questions) != 1 {
			return nil
		}
		q := m.Questions[0]
		resp := dnsmessage.Message{Header: dnsmessage.Header{ID: m.ID, Response: true, RecursionDesired: m.RecursionDesired, RecursionAvailable: true}, Questions: m.Questions}
		if q.Name.String() == "version.bind." && q.Class == dnsmessage.ClassCHAOS {
			resp.Authoritative = true
			resp.Answers = []dnsmessage.Resource{{Header: dnsmessage.ResourceHeader{Name: q.Name, Type: dnsmessage.TypeTXT, Class: dnsmessage.ClassCHAOS},
				Body: &dnsmessage.TXTResource{TXT: []string{version}}}}
		} else {
			resp.RCode = rcode
		}
		out, _ := resp.Pack()
		return out
	})
	return udpPort(c)
}

// snmpMessage is an SNMPv2c message as encoding/asn1 reads it.
type snmpMessage struct {
	Version   int
	Community []byte
	PDU       asn1.RawValue
}

type snmpPDU struct {
	RequestID   int32
	ErrorStatus int
	ErrorIndex  int
	Varbinds    []snmpVarbind
}

type snmpVarbind struct {
	Name  asn1.ObjectIdentifier
	Value asn1.RawValue
}

// snmpServer answers GetRequests of the community with sysDescr.
func snmpServer(t *testing.T, host, community, descr string) int {
	c := listenUDP(t, host)
	serveUDP(c, func(b []byte) []byte {
		var m snmpMessage
		if _, err := asn1.Unmarshal(b, &m); err != nil || string(m.Community) != community || m.PDU.Tag != 0 {
			return nil
		}
		var pdu snmpPDU
		if _, err := asn1.UnmarshalWithParams(m.PDU.FullBytes, &pdu, "tag:0"); err != nil || len(pdu.Varbinds) != 1 {
			return nil
		}
		val, _ := asn1.Marshal([]byte(descr))
		pdu.Varbinds[0].Value = asn1.RawValue{FullBytes: val}
		body, err := asn1.MarshalWithParams(pdu, "tag:2")
		if err != nil {
			return nil
		}
		m.PDU = asn1.RawValue{FullBytes: body}
		out, _ := asn1.Marshal(m)
		return out
	})
	return udpPort(c)
}

// ntpServer answers client requests as a stratum 2 server.
func ntpServer(t *testing.T, host string) int {
	c := listenUDP(t, host)
	serveUDP(c, func(b []byte) []byte {
		if len(b) < 48 || b[0]&7 != 3 {
			return nil
		}
		out := make([]byte, 48)
		out[0] = 4<<3 | 4
		out[1] = 2
		return out
	})
	return udpPort(c)
}

func rsaKey(t *testing.T, bits int) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func ecKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
