package lab

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// Service is one service that answered.
type Service struct {
	Address string `json:"address"`
	Port    int    `json:"port"`
	Proto   string `json:"proto"` // tcp, udp
	// Name is what the service speaks: ssh, telnet, http, https, tls, dns, ntp, snmp, ssdp,
	// mdns, tftp, or "unknown" (open, but it said nothing Siegel recognises).
	Name    string `json:"name"`
	Product string `json:"product,omitempty"`
	Version string `json:"version,omitempty"`
	Banner  string `json:"banner,omitempty"`
	// Detail says more: the DNS server's recursion, the SNMP community that answered, ...
	Detail string `json:"detail,omitempty"`
	// Firmware compares the product and version with the firmware inventory of the release.
	Firmware string `json:"firmware,omitempty"`
	// DHCP is what a DHCP server answered to a DHCPINFORM.
	DHCP *DHCPReply `json:"dhcp,omitempty"`
}

// identifyWait bounds each attempt to make a silent service talk (TLS, HTTP, DNS).
const identifyWait = 2500 * time.Millisecond

// bannerWait is how long a new connection waits for a service that speaks first.
const bannerWait = 1200 * time.Millisecond

// scanTCP connects to every port, at most cfg.Concurrency at once, and returns the open ones
// in ascending order.
func (e *engine) scanTCP(ctx context.Context, a netip.Addr, ports []int, probe string) []int {
	var mu sync.Mutex
	var open []int
	sem := make(chan struct{}, e.cfg.Concurrency)
	var wg sync.WaitGroup
	for _, port := range ports {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			c, err := e.p.connect(ctx, probe, hostPort(a, port), e.cfg.ConnectTimeout)
			if err != nil {
				return
			}
			c.Close()
			mu.Lock()
			open = append(open, port)
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.Sort(open)
	return open
}

// discover scans the TCP ports, identifies what listens, and probes the UDP services.
func (e *engine) discover(ctx context.Context, a netip.Addr, ports []int) []Service {
	open := e.scanTCP(ctx, a, ports, "tcp-connect")
	out := make([]Service, len(open))
	var wg sync.WaitGroup
	for i, port := range open {
		wg.Go(func() { out[i] = e.identify(ctx, a, port) })
	}
	var udp []Service
	wg.Go(func() { udp = e.probeUDP(ctx, a) })
	wg.Wait()
	out = append(out, udp...)
	for i := range out {
		out[i].Firmware = e.cfg.Firmware.crossCheck(out[i])
	}
	return out
}

var (
	sshIdent  = regexp.MustCompile(`^SSH-([0-9.]+)-([^\s\r\n]+)`)
	prodVer   = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+._-]*?)[_/ -]v?([0-9][0-9A-Za-z.+~-]*)`)
	loginText = regexp.MustCompile(`(?i)(login|username|user name|password)\s*:`)
)

// identify finds out what speaks on an open TCP port: a service that talks first (SSH,
// telnet) by its banner, then TLS by a handshake, then HTTP by a request.
func (e *engine) identify(ctx context.Context, a netip.Addr, port int) Service {
	addr := hostPort(a, port)
	s := Service{Address: a.String(), Port: port, Proto: "tcp", Name: "unknown"}
	c, err := e.p.connect(ctx, "banner", addr, e.cfg.ConnectTimeout)
	if err != nil {
		return s
	}
	start := e.p.now()
	t0 := time.Now()
	_ = c.SetReadDeadline(time.Now().Add(bannerWait))
	buf := make([]byte, 2048)
	n, _ := c.Read(buf)
	c.Close()
	banner := buf[:n]
	e.p.session("banner", addr, start, time.Since(t0), "", Printable(banner), map[bool]string{true: "banner", false: "silent"}[n > 0])
	switch {
	case bytes.HasPrefix(banner, []byte("SSH-")):
		s.Name = "ssh"
		line, _, _ := bytes.Cut(banner, []byte("\n"))
		s.Banner = strings.TrimSpace(string(line))
		if m := sshIdent.FindStringSubmatch(s.Banner); m != nil {
			s.Product, s.Version = splitProduct(m[2])
		}
		return s
	case n > 0 && (banner[0] == iac || loginText.Match(banner)):
		s.Name = "telnet"
		var t telnetStream
		text, _ := t.feed(banner)
		s.Banner = strings.TrimSpace(Printable(text))
		if m := regexp.MustCompile(`(?i)busybox v?([0-9][0-9.]*)`).FindStringSubmatch(s.Banner); m != nil {
			s.Product, s.Version = "BusyBox", m[1]
		}
		return s
	case n > 0:
		s.Banner = strings.TrimSpace(Printable(banner))
		return s
	}
	// A silent service: DNS first where DNS lives, then TLS, HTTP and DNS, each briefly.
	if port == 53 {
		if e.identifyDNS(ctx, addr, &s) {
			return s
		}
	}
	if ts := e.tlsHello(ctx, addr); ts != nil {
		s.Name = "tls"
		if srv, ok := e.httpServer(ctx, addr, true); ok {
			s.Name = "https"
			s.Banner = srv
			s.Product, s.Version = splitProduct(srv)
		}
		return s
	}
	if srv, ok := e.httpServer(ctx, addr, false); ok {
		s.Name = "http"
		s.Banner = srv
		s.Product, s.Version = splitProduct(srv)
		return s
	}
	if port != 53 {
		e.identifyDNS(ctx, addr, &s)
	}
	return s
}

func (e *engine) identifyDNS(ctx context.Context, addr string, s *Service) bool {
	r := e.dnsTCP(ctx, addr)
	if r == nil {
		return false
	}
	s.Name = "dns"
	if len(r.Answers) > 0 {
		s.Banner = r.Answers[0]
		s.Product, s.Version = splitProduct(r.Answers[0])
	}
	return true
}

// dnsTCP asks version.bind over TCP (RFC 7766): a DNS server answers even when it does not
// tell its version.
func (e *engine) dnsTCP(ctx context.Context, addr string) *DNSReply {
	q, id, err := dnsQuery("version.bind.", dnsmessage.TypeTXT, dnsmessage.ClassCHAOS, false)
	if err != nil {
		return nil
	}
	c, err := e.p.connect(ctx, "dns-tcp", addr, e.cfg.ConnectTimeout)
	if err != nil {
		return nil
	}
	defer c.Close()
	start, t0 := e.p.now(), time.Now()
	_ = c.SetDeadline(time.Now().Add(identifyWait))
	msg := append([]byte{byte(len(q) >> 8), byte(len(q))}, q...)
	var r *DNSReply
	outcome := "no answer"
	if _, err := c.Write(msg); err == nil {
		var hdr [2]byte
		if _, err := io.ReadFull(c, hdr[:]); err == nil {
			body := make([]byte, int(hdr[0])<<8|int(hdr[1]))
			if _, err := io.ReadFull(c, body); err == nil {
				if r, err = ParseDNSReply(body, id); err == nil {
					outcome = "reply rcode " + r.RCode
				}
			}
		}
	}
	e.p.session("dns-tcp", addr, start, time.Since(t0), "version.bind CH TXT", "", outcome)
	return r
}

// platformTokens are words of a Server header that name the platform, not the server.
var platformTokens = map[string]bool{"debian": true, "ubuntu": true, "linux": true, "upnp": true, "unix": true, "openwrt": true}

// splitProduct takes "OpenSSH_9.2p1", "lighttpd/1.4.69", "dropbear_2022.83" apart; in a
// header like "Debian/12 UPnP/1.1 MiniUPnPd/2.3.1" it takes the server, not the platform.
func splitProduct(s string) (string, string) {
	s = strings.TrimSpace(s)
	if f := strings.Fields(s); len(f) > 1 {
		for i := len(f) - 1; i >= 0; i-- {
			if m := prodVer.FindStringSubmatch(f[i]); m != nil && !platformTokens[strings.ToLower(m[1])] {
				return m[1], m[2]
			}
		}
	}
	if m := prodVer.FindStringSubmatch(s); m != nil {
		return m[1], m[2]
	}
	if f := strings.Fields(s); len(f) > 0 {
		return f[0], ""
	}
	return "", ""
}

// tlsHello tries one handshake with any version Go offers; nil when the port does not speak TLS.
func (e *engine) tlsHello(ctx context.Context, addr string) *tls.ConnectionState {
	ctx, cancel := context.WithTimeout(ctx, identifyWait)
	defer cancel()
	st, _, err := e.handshake(ctx, addr, "tls-detect", tls.VersionTLS10, tls.VersionTLS13, nil)
	if err != nil {
		return nil
	}
	return st
}

// httpServer sends "GET /" and returns the Server header (or "" when there is none) and
// whether the answer was HTTP at all.
func (e *engine) httpServer(ctx context.Context, addr string, overTLS bool) (string, bool) {
	ctx, cancel := context.WithTimeout(ctx, identifyWait)
	defer cancel()
	resp, err := e.httpGet(ctx, addr, overTLS, "/", nil)
	if err != nil {
		return "", false
	}
	return resp.header.Get("Server"), true
}

// readUntil reads from r until match finds something or the deadline passes.
func readUntil(r *bufio.Reader, match func([]byte) bool, limit int) []byte {
	var got []byte
	buf := make([]byte, 1024)
	for len(got) < limit {
		n, err := r.Read(buf)
		got = append(got, buf[:n]...)
		if match(got) || err != nil {
			break
		}
	}
	return got
}
