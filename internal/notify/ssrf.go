package notify

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// ErrAddressRefused is wrapped by every error for a webhook address the policy refuses.
var ErrAddressRefused = errors.New("address refused")

// AddressPolicy decides which addresses webhooks may reach. By default only public unicast
// addresses: a webhook is a request the server makes on behalf of whoever configured the channel,
// and must not become a way to reach the server's own machine, its network or the cloud metadata
// service. Allow names ranges an administrator permits anyway (an internal chat bridge, say).
//
// The check runs when the connection is made, on the address DNS returned (a net.Dialer Control
// function), so a name that resolves to a public address when the channel is saved and to an
// internal one when the event is sent (DNS rebinding) is still refused.
type AddressPolicy struct {
	Allow []netip.Prefix
}

// refusedRanges are the special-purpose ranges (RFC 6890 and its IPv6 counterparts) that the
// netip predicates do not cover and that no webhook receiver on the internet uses.
var refusedRanges = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // shared address space (carrier NAT; Alibaba Cloud's metadata at 100.100.100.200)
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and the broadcast address
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
	netip.MustParsePrefix("100::/64"),        // discard-only
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("fec0::/10"),       // deprecated site-local
	netip.MustParsePrefix("::ffff:0:0:0/96"), // IPv4-translated
}

// nat64 is the well-known NAT64 prefix: its addresses carry an IPv4 address in the last 32 bits,
// which the gateway then reaches.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// Check returns nil when the policy lets webhooks connect to ip, else an error that wraps
// ErrAddressRefused and says what kind of address it is.
func (p AddressPolicy) Check(ip netip.Addr) error {
	ip = ip.Unmap().WithZone("")
	for _, a := range p.Allow {
		if a.Contains(ip) {
			return nil
		}
	}
	if ip.Is6() && nat64.Contains(ip) {
		b := ip.As16()
		if err := p.Check(netip.AddrFrom4([4]byte(b[12:]))); err != nil {
			return fmt.Errorf("%w (inside the NAT64 address %s)", err, ip)
		}
	}
	kind := ""
	switch {
	case !ip.IsValid():
		kind = "invalid"
	case ip.IsUnspecified():
		kind = "unspecified"
	case ip.IsLoopback():
		kind = "loopback"
	case ip == netip.MustParseAddr("169.254.169.254") || ip == netip.MustParseAddr("fd00:ec2::254"):
		kind = "cloud metadata"
	case ip.IsLinkLocalUnicast():
		kind = "link-local"
	case ip.IsMulticast(), ip.IsLinkLocalMulticast(), ip.IsInterfaceLocalMulticast():
		kind = "multicast"
	case ip.IsPrivate():
		kind = "private"
	}
	if kind == "" {
		for _, r := range refusedRanges {
			if r.Contains(ip) {
				kind = "special-purpose (" + r.String() + ")"
				break
			}
		}
	}
	if kind == "" {
		return nil
	}
	return fmt.Errorf("%w: %s is a %s address; webhooks reach public addresses only unless the administrator allows the range (siegel serve --webhook-allow)", ErrAddressRefused, ip, kind)
}

// control is the net.Dialer Control function: it sees the address after name resolution, just
// before the connection is made.
func (p AddressPolicy) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: cannot read the address %q (%s)", ErrAddressRefused, address, network)
	}
	return p.Check(ap.Addr())
}

// Client returns an HTTP client whose connections are checked against the policy. It ignores
// the proxy environment variables (a proxy would make the connection on the client's behalf,
// unchecked) and, like every webhook client, does not follow redirects.
func (p AddressPolicy) Client(timeout time.Duration) *http.Client {
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Control: p.control}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
	}
	return &http.Client{Timeout: timeout, Transport: tr, CheckRedirect: noRedirect}
}

// CheckURL refuses, when a channel is saved, a webhook URL that is not absolute http(s) or
// whose host is an address (or "localhost") the policy refuses. Names are checked again at
// every connection, whatever they resolve to then.
func (p AddressPolicy) CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("the webhook target must be an absolute http:// or https:// URL")
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return p.Check(netip.MustParseAddr("127.0.0.1"))
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return p.Check(ip)
	}
	return nil
}

// ParsePrefixes reads address ranges in CIDR notation (10.0.0.0/8) or single addresses.
func ParsePrefixes(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		for part := range strings.SplitSeq(s, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			if strings.Contains(part, "/") {
				p, err := netip.ParsePrefix(part)
				if err != nil {
					return nil, fmt.Errorf("address range %q: %w", part, err)
				}
				out = append(out, p.Masked())
				continue
			}
			a, err := netip.ParseAddr(part)
			if err != nil {
				return nil, fmt.Errorf("address %q: %w", part, err)
			}
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
		}
	}
	return out, nil
}

// WithoutReply returns a delivery error message without the part that quotes the receiver's
// answer, for people who may see that a delivery failed but not what the receiver said.
func WithoutReply(msg string) string {
	if i := strings.Index(msg, replyMarker); i >= 0 {
		return msg[:i] + " (the reply is shown to administrators)"
	}
	return msg
}

// replyMarker starts the quoted reply in a delivery error.
const replyMarker = "; reply: "
