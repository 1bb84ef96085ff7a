package lab

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
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
}

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
	}
	return s
}

// splitProduct takes "OpenSSH_9.2p1", "lighttpd/1.4.69", "dropbear_2022.83" apart.
func splitProduct(s string) (string, string) {
	s = strings.TrimSpace(s)
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
	st, _, err := e.handshake(ctx, addr, "tls-detect", tls.VersionTLS10, tls.VersionTLS13, nil)
	if err != nil {
		return nil
	}
	return st
}

// httpServer sends "GET /" and returns the Server header (or "" when there is none) and
// whether the answer was HTTP at all.
func (e *engine) httpServer(ctx context.Context, addr string, overTLS bool) (string, bool) {
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
