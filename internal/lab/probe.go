package lab

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// ErrOutOfScope is wrapped by every refusal to send to an address outside the --allow ranges.
var ErrOutOfScope = errors.New("address outside the allowed ranges")

// Scope is the set of address ranges probes may go to. It has no default: an empty scope allows
// nothing.
type Scope []netip.Prefix

// ParseScope reads CIDR ranges ("192.168.1.0/24", "fd00::/64"); a bare address is a single host.
func ParseScope(cidrs []string) (Scope, error) {
	var s Scope
	for _, c := range cidrs {
		c = strings.TrimSpace(c)
		if !strings.Contains(c, "/") {
			a, err := netip.ParseAddr(c)
			if err != nil {
				return nil, fmt.Errorf("--allow %q: not a CIDR range or address", c)
			}
			s = append(s, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return nil, fmt.Errorf("--allow %q: %v", c, err)
		}
		if p.Bits() == 0 {
			return nil, fmt.Errorf("--allow %q: a range that covers every address is not a lab network; name the lab's range", c)
		}
		s = append(s, p.Masked())
	}
	return s, nil
}

// Contains reports whether the address lies in one of the ranges.
func (s Scope) Contains(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range s {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Resolve turns a target (address or host name) into addresses, every one of which must be in
// scope: a name that resolves partly outside is refused whole, so a DNS answer cannot steer
// probes elsewhere.
func (s Scope) Resolve(ctx context.Context, target string) ([]netip.Addr, error) {
	if len(s) == 0 {
		return nil, fmt.Errorf("no --allow range given: name the lab network the device sits in (there is no default)")
	}
	if a, err := netip.ParseAddr(strings.Trim(target, "[]")); err == nil {
		a = a.Unmap()
		if !s.Contains(a) {
			return nil, fmt.Errorf("target %s: %w %s", target, ErrOutOfScope, s)
		}
		return []netip.Addr{a}, nil
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", target)
	if err != nil {
		return nil, fmt.Errorf("target %s: %w", target, err)
	}
	var out []netip.Addr
	for _, a := range addrs {
		a = a.Unmap()
		if !s.Contains(a) {
			return nil, fmt.Errorf("target %s resolves to %s: %w %s", target, a, ErrOutOfScope, s)
		}
		out = append(out, a)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("target %s: no address", target)
	}
	return out, nil
}

func (s Scope) String() string {
	var b []string
	for _, p := range s {
		b = append(b, p.String())
	}
	return "(" + strings.Join(b, ", ") + ")"
}

// Event is one probe in the transcript: what was sent where, what came back, and when.
type Event struct {
	Seq      int       `json:"seq"`
	At       time.Time `json:"at"`                 // when the probe was sent
	Replied  time.Time `json:"replied,omitzero"`   // when the first reply arrived
	Probe    string    `json:"probe"`              // tcp-connect, udp, tls-handshake, telnet-login, ...
	Network  string    `json:"network"`            // tcp, udp
	Address  string    `json:"address"`            // host:port
	Sent     string    `json:"sent,omitempty"`     // what was sent, printable, truncated
	Received string    `json:"received,omitempty"` // what came back, printable, truncated
	Outcome  string    `json:"outcome"`            // open, closed, timeout, reply, accepted, rejected, ...
	Millis   float64   `json:"ms"`                 // duration of the probe
}

// maxShown bounds the bytes of a payload a transcript event keeps.
const maxShown = 512

// Printable renders bytes for a transcript: text stays, other bytes become \xNN.
func Printable(b []byte) string {
	if len(b) > maxShown {
		b = b[:maxShown]
	}
	var sb strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		switch {
		case r == utf8.RuneError && n <= 1, r < 0x20 && r != '\n' && r != '\r' && r != '\t', r == 0x7f:
			fmt.Fprintf(&sb, "\\x%02x", b[0])
			n = 1
		default:
			sb.WriteRune(r)
		}
		b = b[n:]
	}
	return sb.String()
}

// prober sends every probe: it checks the scope, keeps the rate, and writes the transcript.
type prober struct {
	scope   Scope
	log     *slog.Logger
	now     func() time.Time
	dial    func(ctx context.Context, network, addr string) (net.Conn, error)
	listenU func(ctx context.Context, network, addr string) (net.PacketConn, error)

	mu     sync.Mutex
	events []Event
	next   time.Time     // earliest time of the next probe
	gap    time.Duration // 1/rate
}

func newProber(scope Scope, rate float64, log *slog.Logger, now func() time.Time) *prober {
	p := &prober{scope: scope, log: log, now: now}
	if rate > 0 {
		p.gap = time.Duration(float64(time.Second) / rate)
	}
	d := &net.Dialer{}
	p.dial = d.DialContext
	lc := &net.ListenConfig{}
	p.listenU = lc.ListenPacket
	return p
}

// wait blocks until the rate limit allows another probe.
func (p *prober) wait(ctx context.Context) error {
	p.mu.Lock()
	now := time.Now()
	at := p.next
	if at.Before(now) {
		at = now
	}
	p.next = at.Add(p.gap)
	p.mu.Unlock()
	if d := time.Until(at); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-t.C:
		}
	}
	return nil
}

// check refuses an address outside the scope.
func (p *prober) check(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("probe address %q: %w", addr, err)
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("probe address %q: not an IP address (targets are resolved and checked first)", addr)
	}
	if !p.scope.Contains(a) {
		return fmt.Errorf("probe to %s refused: %w %s", addr, ErrOutOfScope, p.scope)
	}
	return nil
}

// record adds an event to the transcript and logs it.
func (p *prober) record(e Event) {
	p.mu.Lock()
	e.Seq = len(p.events) + 1
	p.events = append(p.events, e)
	p.mu.Unlock()
	p.log.Debug("probe", "seq", e.Seq, "probe", e.Probe, "network", e.Network, "address", e.Address, "outcome", e.Outcome, "ms", e.Millis)
}

// Transcript returns the events so far.
func (p *prober) transcript() []Event {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Event(nil), p.events...)
}

// connect opens a TCP connection for a probe: scope, rate, and a transcript event.
func (p *prober) connect(ctx context.Context, probe, addr string, timeout time.Duration) (net.Conn, error) {
	if err := p.check(addr); err != nil {
		return nil, err
	}
	if err := p.wait(ctx); err != nil {
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := p.now()
	t0 := time.Now()
	c, err := p.dial(cctx, "tcp", addr)
	e := Event{At: start, Probe: probe, Network: "tcp", Address: addr, Millis: ms(time.Since(t0))}
	switch {
	case err == nil:
		e.Outcome, e.Replied = "open", p.now()
	case cctx.Err() != nil && ctx.Err() == nil:
		e.Outcome = "timeout"
	case isRefused(err):
		e.Outcome = "closed"
	default:
		e.Outcome = "error: " + err.Error()
	}
	p.record(e)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// exchangeUDP sends one datagram and collects the replies that come back within wait (at most
// max of them, from any address in scope: a multicast or broadcast answer comes from the
// device's own address).
func (p *prober) exchangeUDP(ctx context.Context, probe, addr string, payload []byte, wait time.Duration, max int) ([][]byte, error) {
	return p.exchangeUDPFrom(ctx, probe, "", addr, payload, wait, max)
}

// exchangeUDPFrom is exchangeUDP from the local address local ("": any address, a free port).
func (p *prober) exchangeUDPFrom(ctx context.Context, probe, local, addr string, payload []byte, wait time.Duration, max int) ([][]byte, error) {
	replies, _, err := p.exchangeUDPClosed(ctx, probe, local, addr, payload, wait, max)
	return replies, err
}

// exchangeUDPClosed is exchangeUDPFrom that also reports whether the port answered "closed"
// (ICMP port unreachable), so a caller that retransmits knows not to.
func (p *prober) exchangeUDPClosed(ctx context.Context, probe, local, addr string, payload []byte, wait time.Duration, max int) ([][]byte, bool, error) {
	if err := p.check(addr); err != nil {
		return nil, false, err
	}
	if err := p.wait(ctx); err != nil {
		return nil, false, err
	}
	network := "udp4"
	if h, _, _ := net.SplitHostPort(addr); strings.Contains(h, ":") {
		network = "udp6"
	}
	if local == "" {
		local = ":0"
	}
	pc, err := p.listenU(ctx, network, local)
	if err != nil {
		return nil, false, fmt.Errorf("udp probe %s: %w", addr, err)
	}
	defer pc.Close()
	ua, err := net.ResolveUDPAddr(network, addr)
	if err != nil {
		return nil, false, err
	}
	start := p.now()
	t0 := time.Now()
	e := Event{At: start, Probe: probe, Network: "udp", Address: addr, Sent: Printable(payload)}
	if _, err := pc.WriteTo(payload, ua); err != nil {
		e.Outcome, e.Millis = "error: "+err.Error(), ms(time.Since(t0))
		p.record(e)
		return nil, false, fmt.Errorf("udp probe %s: %w", addr, err)
	}
	deadline := time.Now().Add(wait)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = pc.SetReadDeadline(deadline)
	var replies [][]byte
	buf := make([]byte, 65536)
	for len(replies) < max {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			if isRefused(err) {
				e.Outcome = "closed"
			}
			break
		}
		if fa, ok := from.(*net.UDPAddr); ok {
			if a, ok := netip.AddrFromSlice(fa.IP); !ok || !p.scope.Contains(a) {
				continue // not from the device: ignore, never answer
			}
		}
		if len(replies) == 0 {
			e.Replied = p.now()
			e.Received = Printable(buf[:n])
		}
		replies = append(replies, append([]byte(nil), buf[:n]...))
	}
	e.Millis = ms(time.Since(t0))
	switch {
	case len(replies) > 0:
		e.Outcome = "reply"
	case e.Outcome == "":
		e.Outcome = "no reply"
	}
	p.record(e)
	return replies, e.Outcome == "closed", nil
}

// session records a probe that ran over an open connection (a login, a handshake).
func (p *prober) session(probe, addr string, start time.Time, dur time.Duration, sent, received, outcome string) {
	if len(sent) > maxShown {
		sent = sent[:maxShown]
	}
	if len(received) > maxShown {
		received = received[:maxShown]
	}
	p.record(Event{At: start, Probe: probe, Network: "tcp", Address: addr, Sent: sent, Received: received, Outcome: outcome, Millis: ms(dur)})
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func isRefused(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "connection refused") || strings.Contains(err.Error(), "connection reset"))
}

// Digest is the SHA-256 of the transcript, each event as one JSON line in order: it is what a
// verdict cites, and anyone holding the transcript can recompute it.
func Digest(events []Event) string {
	h := sha256.New()
	for _, e := range events {
		b, _ := json.Marshal(e)
		h.Write(b)
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

func hostPort(a netip.Addr, port int) string {
	return net.JoinHostPort(a.String(), strconv.Itoa(port))
}
