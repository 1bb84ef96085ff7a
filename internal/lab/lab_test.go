package lab

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/net/dns/dnsmessage"

	"github.com/siegel-oss/siegel/internal/lab/labtest"
)

func loopback(t *testing.T) Scope {
	t.Helper()
	s, err := ParseScope([]string{"127.0.0.0/8", "::1/128"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// closedUDP returns a UDP port nothing listens on.
func closedUDP(t *testing.T) int {
	c := listenUDP(t, "127.0.0.1")
	p := udpPort(c)
	c.Close()
	return p
}

func closedTCP(t *testing.T) int {
	l := listenTCP(t, "127.0.0.1")
	p := tcpPort(l)
	l.Close()
	return p
}

func testLog(t *testing.T) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func checkOf(t *testing.T, r *Result, id string) Check {
	t.Helper()
	for _, c := range r.Checks {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no check %s", id)
	return Check{}
}

func serviceAt(r *Result, proto string, port int) *Service {
	for i := range r.Services {
		if r.Services[i].Proto == proto && r.Services[i].Port == port {
			return &r.Services[i]
		}
	}
	return nil
}

// TestRunMiraiEraDevice points a run at a set of real servers with every weakness of a
// Mirai-era router, and checks that each one is seen and fails its check.
func TestRunMiraiEraDevice(t *testing.T) {
	host := "127.0.0.1"
	weakKey := rsaKey(t, 1024)
	tls10 := tlsServer(t, host, tls.VersionTLS10, tls.VersionTLS10, selfSigned(t, weakKey, &weakKey.PublicKey), labtest.BasicAdmin("admin", "admin"))
	ec := ecKey(t)
	tls13 := tlsServer(t, host, tls.VersionTLS13, tls.VersionTLS13, selfSigned(t, ec, &ec.PublicKey), http.NotFoundHandler())
	hostKey, err := ssh.NewSignerFromKey(ecKey(t))
	if err != nil {
		t.Fatal(err)
	}
	sshPW := sshServer(t, host, hostKey, "root", "vizxv", []string{"curve25519-sha256", "diffie-hellman-group14-sha1"})
	telnet := telnetServer(t, host, "root", "xc3511")
	basic := labtest.HTTPServer(t, host, labtest.BasicAdmin("admin", "admin"))
	form := &formAdmin{user: "admin", pass: "S3cure-unique-7", maxFail: 3, lockFor: 2 * time.Second, openStatus: true,
		cookie: http.Cookie{Name: "sid", Path: "/"}}
	formPort := labtest.HTTPServer(t, host, form)
	dns := dnsServer(t, host, "dnsmasq-2.89", dnsmessage.RCodeServerFailure)
	snmp := snmpServer(t, host, "public", "Linux router 6.1.0 mips")
	ntp := ntpServer(t, host)
	closed := closedTCP(t)

	fw := &FirmwareFacts{Image: "router.bin", Keys: map[string]string{spkiSHA256(&weakKey.PublicKey): "/etc/lighttpd/server.pem"},
		Components: map[string]string{"dnsmasq": "2.89-1", "dropbear": "2022.83-1"}}
	cfg := Config{
		Target: host, Scope: loopback(t), Rate: 5000, TCPPorts: []int{tls10, tls13, sshPW, telnet, basic, formPort, closed},
		UDPPorts:           map[string]int{"dns": dns, "snmp": snmp, "ntp": ntp, "ssdp": closedUDP(t), "mdns": closedUDP(t), "tftp": closedUDP(t), "natpmp": closedUDP(t)},
		Credentials:        []Credential{{"admin", "1234", "vendor"}, {"root", "xc3511", "mirai"}, {"admin", "admin", "mirai"}, {"root", "vizxv", "mirai"}},
		BruteForceAttempts: 6, LockoutWatch: 5 * time.Second, Firmware: fw, Log: testLog(t),
	}
	r, err := Run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("services", func(t *testing.T) {
		want := map[int]string{tls10: "https", tls13: "https", sshPW: "ssh", telnet: "telnet", basic: "http", formPort: "http"}
		for port, name := range want {
			s := serviceAt(r, "tcp", port)
			if s == nil || s.Name != name {
				t.Errorf("tcp/%d: got %+v, want %s", port, s, name)
			}
		}
		if s := serviceAt(r, "tcp", closed); s != nil {
			t.Errorf("closed port %d reported: %+v", closed, s)
		}
		if s := serviceAt(r, "tcp", sshPW); s == nil || s.Product != "dropbear" || s.Version != "2022.83" || !strings.HasPrefix(s.Firmware, "matches") {
			t.Errorf("ssh identification: %+v", s)
		}
		if s := serviceAt(r, "tcp", telnet); s == nil || s.Product != "BusyBox" || s.Version != "1.36.1" {
			t.Errorf("telnet banner: %+v", s)
		}
		if s := serviceAt(r, "tcp", basic); s == nil || s.Product != "mini_httpd" || s.Version != "1.30" {
			t.Errorf("http server header: %+v", s)
		}
		if s := serviceAt(r, "udp", dns); s == nil || s.Product != "dnsmasq" || s.Version != "2.89" || !strings.HasPrefix(s.Detail, "recursion offered") {
			t.Errorf("dns: %+v", s)
		}
		if s := serviceAt(r, "udp", snmp); s == nil || s.Banner != "Linux router 6.1.0 mips" || !strings.Contains(s.Detail, "community public") || strings.Contains(s.Detail, "private") {
			t.Errorf("snmp: %+v", s)
		}
		if s := serviceAt(r, "udp", ntp); s == nil || s.Detail != "NTPv4 server, stratum 2" {
			t.Errorf("ntp: %+v", s)
		}
	})

	t.Run("tls", func(t *testing.T) {
		by := map[string]TLSService{}
		for _, s := range r.TLS {
			by[s.Address] = s
		}
		old := by[hostPort(netip.MustParseAddr(host), tls10)]
		if !old.Versions["TLS 1.0"] || old.Versions["TLS 1.1"] || old.Versions["TLS 1.2"] || old.Versions["TLS 1.3"] {
			t.Errorf("TLS 1.0 server: versions %v", old.Versions)
		}
		if !slices.Contains(old.WeakCiphers, "TLS_RSA_WITH_3DES_EDE_CBC_SHA") {
			t.Errorf("3DES not seen: %v", old.Ciphers)
		}
		c := old.Certificate
		if c == nil || !c.SelfSigned || c.KeyType != "RSA" || c.KeyBits != 1024 || !c.WeakKey || !c.InFirmware || c.FirmwareKeyRef != "router.bin:/etc/lighttpd/server.pem" {
			t.Errorf("certificate: %+v", c)
		}
		modern := by[hostPort(netip.MustParseAddr(host), tls13)]
		if modern.Versions["TLS 1.0"] || modern.Versions["TLS 1.2"] || !modern.Versions["TLS 1.3"] || modern.Certificate == nil || modern.Certificate.InFirmware {
			t.Errorf("TLS 1.3 server: %+v", modern)
		}
	})

	t.Run("ssh", func(t *testing.T) {
		if len(r.SSH) != 1 {
			t.Fatalf("ssh: %+v", r.SSH)
		}
		s := r.SSH[0]
		if s.Kex[0] != "curve25519-sha256" || !slices.Contains(s.Kex, "diffie-hellman-group14-sha1") || !slices.Equal(s.Weak, []string{"diffie-hellman-group14-sha1 (kex)"}) ||
			!slices.Equal(s.MACs, []string{"hmac-sha2-256-etm@openssh.com", "hmac-sha2-256"}) {
			t.Errorf("kexinit: kex %v weak %v", s.Kex, s.Weak)
		}
		if s.HostKey != "ecdsa-sha2-nistp256" || s.HostKeySHA256 != ssh.FingerprintSHA256(hostKey.PublicKey()) || !s.PasswordAuth {
			t.Errorf("host key / auth: %+v", s)
		}
	})

	t.Run("logins", func(t *testing.T) {
		accepted := map[string][]Credential{}
		for _, l := range r.Logins {
			accepted[l.Service] = append(accepted[l.Service], l.Accepted...)
		}
		if got := accepted["telnet"]; len(got) != 1 || got[0].Password != "xc3511" {
			t.Errorf("telnet: %v", got)
		}
		if got := accepted["ssh"]; len(got) != 1 || got[0].Password != "vizxv" {
			t.Errorf("ssh: %v", got)
		}
		if got := accepted["http-basic"]; len(got) != 2 { // the plain and the TLS 1.0 interface
			t.Errorf("http basic: %v", got)
		}
		if got := accepted["http-form"]; len(got) != 0 {
			t.Errorf("http form accepted a wrong password: %v", got)
		}
	})

	t.Run("brute force", func(t *testing.T) {
		for _, b := range r.BruteForce {
			switch b.Service {
			case "telnet", "ssh", "http-basic":
				if b.Protected || b.RightAfter != "accepted" {
					t.Errorf("%s %s: %+v", b.Service, b.Address, b)
				}
			case "http-form":
				if !b.Protected || !b.Locked || !slices.Contains(b.Outcomes, "refused") || b.LockedFor == "" {
					t.Errorf("form with lockout: %+v", b)
				}
			}
		}
	})

	t.Run("admin", func(t *testing.T) {
		var fa *AdminResult
		for i := range r.Admin {
			if r.Admin[i].Address == hostPort(netip.MustParseAddr(host), formPort) {
				fa = &r.Admin[i]
			}
		}
		if fa == nil || fa.Login != "form" {
			t.Fatalf("form interface: %+v", fa)
		}
		access := map[string]string{}
		for _, p := range fa.Pages {
			access[p.Path] = p.Access
		}
		if access["/status"] != "open" || access["/admin"] != "login required" || access["/"] != "login required" || access["/wan"] != "absent" {
			t.Errorf("pages: %v", access)
		}
	})

	t.Run("checks", func(t *testing.T) {
		for _, id := range []string{"default-credentials", "brute-force", "telnet", "debug-services", "cleartext-login", "tls", "ssh-crypto", "shared-key", "disclosure", "snmp-default-community", "admin-auth"} {
			if c := checkOf(t, r, id); c.Result != Fail {
				t.Errorf("%s: %s %s", id, c.Result, c.Detail)
			}
		}
		for _, id := range []string{"wan-services", "open-resolver", "ipv6-inbound"} {
			if c := checkOf(t, r, id); c.Result != NotTested {
				t.Errorf("%s without a WAN target: %s", id, c.Result)
			}
		}
		if !slices.ContainsFunc(r.NotTested, func(s string) bool { return strings.HasPrefix(s, "TLS: SSL 2.0 and SSL 3.0") }) {
			t.Errorf("what TLS could not test is not said: %v", r.NotTested)
		}
	})

	t.Run("transcript", func(t *testing.T) {
		if r.TranscriptSHA256 != Digest(r.Transcript) || len(r.TranscriptSHA256) != 64 {
			t.Errorf("digest %s does not match the transcript", r.TranscriptSHA256)
		}
		scope := loopback(t)
		for i, e := range r.Transcript {
			if e.Seq != i+1 {
				t.Fatalf("event %d has seq %d", i, e.Seq)
			}
			ap, err := netip.ParseAddrPort(e.Address)
			if err != nil || !scope.Contains(ap.Addr()) {
				t.Errorf("event %d went to %s", e.Seq, e.Address)
			}
			if e.At.IsZero() || e.Outcome == "" {
				t.Errorf("event %d lacks time or outcome: %+v", e.Seq, e)
			}
		}
		for _, e := range r.Transcript {
			if strings.Contains(e.Sent, "xc3511") || strings.Contains(e.Sent, "vizxv") {
				t.Errorf("a password in the transcript: %+v", e)
			}
		}
	})
}

// TestRunHardenedDevice: SSH with keys only and TLS 1.3 only; nothing fails.
func TestRunHardenedDevice(t *testing.T) {
	host := "127.0.0.1"
	hostKey, _ := ssh.NewSignerFromKey(ecKey(t))
	sshKeys := sshServer(t, host, hostKey, "root", "", []string{"curve25519-sha256"})
	ec := ecKey(t)
	tls13 := tlsServer(t, host, tls.VersionTLS13, tls.VersionTLS13, selfSigned(t, ec, &ec.PublicKey), http.NotFoundHandler())
	cfg := Config{Target: host, Scope: loopback(t), Rate: 5000, TCPPorts: []int{sshKeys, tls13},
		UDPPorts:    map[string]int{"dns": closedUDP(t), "snmp": closedUDP(t), "ntp": closedUDP(t), "ssdp": closedUDP(t), "mdns": closedUDP(t), "tftp": closedUDP(t), "natpmp": closedUDP(t)},
		Credentials: []Credential{{"root", "root", "mirai"}}, BruteForceAttempts: 4, Firmware: &FirmwareFacts{Keys: map[string]string{}}, Log: testLog(t)}
	r, err := Run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.SSH) != 1 || r.SSH[0].PasswordAuth || !strings.HasPrefix(r.SSH[0].AuthMethods, "publickey only") {
		t.Errorf("ssh: %+v", r.SSH)
	}
	for _, c := range r.Checks {
		if c.Result == Fail {
			t.Errorf("%s failed: %s", c.ID, c.Detail)
		}
	}
	for _, id := range []string{"default-credentials", "brute-force", "telnet", "tls", "ssh-crypto", "shared-key"} {
		if c := checkOf(t, r, id); c.Result != Pass {
			t.Errorf("%s: %s %s", id, c.Result, c.Detail)
		}
	}
}

// TestRunWANSide: what answers on the WAN addresses (IPv4 and IPv6) is found and fails.
func TestRunWANSide(t *testing.T) {
	wan4, wan6 := "127.0.0.2", "::1"
	admin := labtest.HTTPServer(t, wan4, labtest.BasicAdmin("admin", "admin"))
	l6, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skip("no IPv6 loopback:", err)
	}
	t.Cleanup(func() { l6.Close() })
	go func() {
		for {
			c, err := l6.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	v6port := tcpPort(l6)
	dns := dnsServer(t, wan4, "dnsmasq-2.89", dnsmessage.RCodeServerFailure)
	snmp := snmpServer(t, wan4, "private", "router")
	pmp := listenUDP(t, wan4)
	serveUDP(pmp, func(b []byte) []byte { // a NAT-PMP gateway (RFC 6886) telling its external address
		if len(b) != 2 || b[0] != 0 || b[1] != 0 {
			return nil
		}
		return []byte{0, 128, 0, 0, 0, 0, 0, 9, 192, 0, 2, 7}
	})
	cfg := Config{Target: "127.0.0.1", WANTargets: []string{wan4, wan6}, Scope: loopback(t), Rate: 5000, TCPPorts: []int{admin, v6port},
		UDPPorts: map[string]int{"dns": dns, "snmp": snmp, "ntp": closedUDP(t), "ssdp": closedUDP(t), "mdns": closedUDP(t), "tftp": closedUDP(t), "natpmp": udpPort(pmp)}, Log: testLog(t)}
	r, err := Run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.WAN) != 2 || !r.WAN[0].OpenResolver || !r.WAN[0].SNMPCommunity || !r.WAN[1].IPv6 {
		t.Fatalf("wan: %+v", r.WAN)
	}
	for _, id := range []string{"wan-services", "wan-admin", "open-resolver", "ipv6-inbound", "upnp-wan"} {
		if c := checkOf(t, r, id); c.Result != Fail {
			t.Errorf("%s: %s %s", id, c.Result, c.Detail)
		}
	}
	if !slices.ContainsFunc(r.WAN[0].Services, func(s Service) bool { return s.Name == "nat-pmp" && s.Detail == "external address 192.0.2.7" }) {
		t.Errorf("NAT-PMP not seen: %+v", r.WAN[0].Services)
	}
}

// TestOpenResolverRefused: a DNS server that refuses recursion is not an open resolver.
func TestOpenResolverRefused(t *testing.T) {
	dns := dnsServer(t, "127.0.0.2", "", dnsmessage.RCodeRefused)
	e := &engine{cfg: Config{UDPPorts: map[string]int{"dns": dns}}, p: newProber(loopback(t), 1000, slog.New(slog.DiscardHandler), time.Now)}
	s := e.probeDNS(t.Context(), netip.MustParseAddr("127.0.0.2"))
	if s == nil || strings.HasPrefix(s.Detail, "recursion offered") || s.Banner != "" {
		t.Errorf("got %+v", s)
	}
}

func TestScopeRefusesTargetsOutside(t *testing.T) {
	lanOnly, err := ParseScope([]string{"10.0.0.0/8"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"address outside", Config{Target: "127.0.0.1", Scope: lanOnly}},
		{"name resolving outside", Config{Target: "localhost", Scope: lanOnly}},
		{"wan target outside", Config{Target: "127.0.0.1", WANTargets: []string{"192.0.2.7"}, Scope: loopback(t)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Run(t.Context(), tc.cfg)
			if !errors.Is(err, ErrOutOfScope) {
				t.Errorf("got %v, want a refusal", err)
			}
		})
	}
	if _, err := Run(t.Context(), Config{Target: "127.0.0.1"}); err == nil || !strings.Contains(err.Error(), "no --allow range") {
		t.Errorf("no scope: %v", err)
	}
	for _, bad := range []string{"0.0.0.0/0", "::/0", "10.0.0.0/33", "router"} {
		if _, err := ParseScope([]string{bad}); err == nil {
			t.Errorf("ParseScope(%q) accepted", bad)
		}
	}
	// A probe aimed outside is refused before anything is sent, and is not in the transcript.
	p := newProber(loopback(t), 1000, slog.New(slog.DiscardHandler), time.Now)
	if _, err := p.connect(context.Background(), "tcp-connect", "192.0.2.1:80", time.Second); !errors.Is(err, ErrOutOfScope) {
		t.Errorf("connect outside: %v", err)
	}
	if _, err := p.exchangeUDP(context.Background(), "udp", "[2001:db8::1]:53", []byte{0}, time.Second, 1); !errors.Is(err, ErrOutOfScope) {
		t.Errorf("udp outside: %v", err)
	}
	if n := len(p.transcript()); n != 0 {
		t.Errorf("%d events recorded for refused probes", n)
	}
}

// TestRateLimit: the prober spaces probes by the rate: six probes at 50 per second are
// scheduled at least five gaps of 20 ms apart, whatever the machine's speed.
func TestRateLimit(t *testing.T) {
	p := newProber(loopback(t), 50, slog.New(slog.DiscardHandler), time.Now)
	if err := p.wait(t.Context()); err != nil {
		t.Fatal(err)
	}
	first := p.next
	for range 5 {
		if err := p.wait(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if d := p.next.Sub(first); d < 5*20*time.Millisecond {
		t.Errorf("six probes at 50/s scheduled within %s", d)
	}
}

// TestTopTCPPortsMatchesNmap: the committed list is what the generator makes of Debian's
// nmap-services, the data nmap's own --top-ports reads.
func TestTopTCPPortsMatchesNmap(t *testing.T) {
	got := TopTCPPorts(1000)
	if len(got) != 1000 || got[0] != 80 || got[1] != 23 || got[2] != 443 {
		t.Fatalf("top ports start %v", got[:3])
	}
	f, err := os.Open("/usr/share/nmap/nmap-services")
	if err != nil {
		t.Skip("nmap-services not installed (apt-get install nmap-common)")
	}
	defer f.Close()
	want, err := TopPortsFromServices(f, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Error("ports_top.go differs from nmap-services: run go generate ./internal/lab")
	}
}
