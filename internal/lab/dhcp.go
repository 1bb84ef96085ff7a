package lab

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// DHCP (RFC 2131, options RFC 2132). The probe is a DHCPINFORM (RFC 2131 §3.4): a client that
// already has an address asks for the local configuration. The server answers with a DHCPACK
// sent to that address's port 68 (§4.1: giaddr zero, ciaddr set), so a lab host can receive it
// on its own address without taking over the link, and no lease is handed out.

// dhcpInform is the DHCPINFORM message type (RFC 2132 §9.6).
const dhcpInform = 8

const (
	dhcpHeaderLen = 236        // op through file, before the magic cookie
	dhcpMaxLen    = 4096       // a reply longer than this is not read (RFC 2131 allows 576 by default)
	dhcpCookie    = 0x63825363 // RFC 2131 §3
	dhcpMaxOpts   = 255        // options read from one message
)

// DHCPReply is what a DHCP server's answer says.
type DHCPReply struct {
	XID         uint32   `json:"xid"`
	MessageType string   `json:"messageType"` // DHCPACK, DHCPOFFER, DHCPNAK, ...
	YourAddr    string   `json:"yourAddr,omitempty"`
	ServerID    string   `json:"serverId,omitempty"`
	SubnetMask  string   `json:"subnetMask,omitempty"`
	Routers     []string `json:"routers,omitempty"`
	DNS         []string `json:"dns,omitempty"`
	NTP         []string `json:"ntp,omitempty"`
	Domain      string   `json:"domain,omitempty"`
	LeaseSecs   uint32   `json:"leaseSeconds,omitempty"`
}

var dhcpTypeNames = map[byte]string{1: "DHCPDISCOVER", 2: "DHCPOFFER", 3: "DHCPREQUEST", 4: "DHCPDECLINE", 5: "DHCPACK", 6: "DHCPNAK", 7: "DHCPRELEASE", 8: "DHCPINFORM"}

// dhcpInformMessage builds a DHCPINFORM from client address ciaddr with transaction id xid and
// hardware address mac, asking for mask, routers, DNS, domain, NTP and the server identifier.
func dhcpInformMessage(xid uint32, ciaddr netip.Addr, mac [6]byte) []byte {
	b := make([]byte, dhcpHeaderLen, dhcpHeaderLen+64)
	b[0] = 1 // BOOTREQUEST
	b[1] = 1 // Ethernet
	b[2] = 6
	binary.BigEndian.PutUint32(b[4:], xid)
	a := ciaddr.As4()
	copy(b[12:16], a[:])
	copy(b[28:34], mac[:])
	b = binary.BigEndian.AppendUint32(b, dhcpCookie)
	b = append(b, 53, 1, dhcpInform)
	b = append(b, 55, 6, 1, 3, 6, 15, 42, 54) // parameter request list
	b = append(b, 255)
	for len(b) < 300 { // BOOTP minimum size, which some servers still expect
		b = append(b, 0)
	}
	return b
}

// ParseDHCPReply reads a DHCP server's answer to transaction xid. It reads at most dhcpMaxLen
// bytes and dhcpMaxOpts options; an error names the offset and the rule broken.
func ParseDHCPReply(b []byte, xid uint32) (*DHCPReply, error) {
	if len(b) > dhcpMaxLen {
		return nil, fmt.Errorf("dhcp reply: %d bytes, more than the %d read", len(b), dhcpMaxLen)
	}
	if len(b) < dhcpHeaderLen+4 {
		return nil, fmt.Errorf("dhcp reply: %d bytes, shorter than the %d-byte header and magic cookie", len(b), dhcpHeaderLen+4)
	}
	if b[0] != 2 {
		return nil, fmt.Errorf("dhcp reply at offset 0: op %d, want 2 (BOOTREPLY)", b[0])
	}
	r := &DHCPReply{XID: binary.BigEndian.Uint32(b[4:])}
	if r.XID != xid {
		return nil, fmt.Errorf("dhcp reply at offset 4: transaction %08x, want %08x", r.XID, xid)
	}
	if c := binary.BigEndian.Uint32(b[dhcpHeaderLen:]); c != dhcpCookie {
		return nil, fmt.Errorf("dhcp reply at offset %d: magic cookie %08x, want %08x", dhcpHeaderLen, c, uint32(dhcpCookie))
	}
	if y := netip.AddrFrom4([4]byte(b[16:20])); !y.IsUnspecified() {
		r.YourAddr = y.String()
	}
	off := dhcpHeaderLen + 4
	for n := 0; off < len(b); n++ {
		if n == dhcpMaxOpts {
			return nil, fmt.Errorf("dhcp reply at offset %d: more than %d options", off, dhcpMaxOpts)
		}
		code := b[off]
		if code == 0 { // pad
			off++
			continue
		}
		if code == 255 { // end
			break
		}
		if off+1 >= len(b) {
			return nil, fmt.Errorf("dhcp reply at offset %d: option %d has no length byte", off, code)
		}
		l := int(b[off+1])
		if off+2+l > len(b) {
			return nil, fmt.Errorf("dhcp reply at offset %d: option %d of length %d runs past the end (%d bytes)", off, code, l, len(b))
		}
		v := b[off+2 : off+2+l]
		if err := r.option(code, v); err != nil {
			return nil, fmt.Errorf("dhcp reply at offset %d: %w", off, err)
		}
		off += 2 + l
	}
	if r.MessageType == "" {
		return nil, errors.New("dhcp reply: no message type option (53), so it is BOOTP, not DHCP")
	}
	return r, nil
}

// option reads one option into r.
func (r *DHCPReply) option(code byte, v []byte) error {
	addrs := func() ([]string, error) {
		if len(v) == 0 || len(v)%4 != 0 {
			return nil, fmt.Errorf("option %d: %d bytes, want a non-empty multiple of 4 (IPv4 addresses)", code, len(v))
		}
		var out []string
		for i := 0; i+4 <= len(v) && len(out) < 16; i += 4 {
			out = append(out, netip.AddrFrom4([4]byte(v[i:i+4])).String())
		}
		return out, nil
	}
	one := func() (string, error) {
		a, err := addrs()
		if err != nil {
			return "", err
		}
		if len(a) != 1 {
			return "", fmt.Errorf("option %d: %d addresses, want one", code, len(a))
		}
		return a[0], nil
	}
	var err error
	switch code {
	case 53:
		if len(v) != 1 {
			return fmt.Errorf("option 53 (message type): %d bytes, want 1", len(v))
		}
		name, ok := dhcpTypeNames[v[0]]
		if !ok {
			name = "type " + strconv.Itoa(int(v[0]))
		}
		r.MessageType = name
	case 1:
		r.SubnetMask, err = one()
	case 3:
		r.Routers, err = addrs()
	case 6:
		r.DNS, err = addrs()
	case 42:
		r.NTP, err = addrs()
	case 54:
		r.ServerID, err = one()
	case 15:
		r.Domain = Printable(v)
	case 51:
		if len(v) != 4 {
			return fmt.Errorf("option 51 (lease time): %d bytes, want 4", len(v))
		}
		r.LeaseSecs = binary.BigEndian.Uint32(v)
	}
	return err
}

// String sums the reply up for a service's detail.
func (r *DHCPReply) String() string {
	parts := []string{r.MessageType}
	if r.ServerID != "" {
		parts = append(parts, "server "+r.ServerID)
	}
	if r.SubnetMask != "" {
		parts = append(parts, "mask "+r.SubnetMask)
	}
	if len(r.Routers) > 0 {
		parts = append(parts, "router "+strings.Join(r.Routers, " "))
	}
	if len(r.DNS) > 0 {
		parts = append(parts, "DNS "+strings.Join(r.DNS, " "))
	}
	if r.Domain != "" {
		parts = append(parts, "domain "+r.Domain)
	}
	return strings.Join(parts, ", ")
}

// probeDHCP sends a DHCPINFORM to the device's DHCP server port from the lab host's own address
// on the path to it, and listens on that address's client port for the answer. DHCP is IPv4
// only (DHCPv6 is another protocol, not probed). A lab host that cannot bind the client port
// (it needs root or CAP_NET_BIND_SERVICE, and no DHCP client of its own on it) records why.
func (e *engine) probeDHCP(ctx context.Context, a netip.Addr) *Service {
	if !a.Is4() {
		return nil
	}
	server := hostPort(a, e.udpPort("dhcp"))
	if err := e.p.check(server); err != nil {
		return nil
	}
	local, err := e.p.localAddr(ctx, server)
	if err != nil {
		e.skip("DHCP at %s: not probed: the lab host's own address towards it is unknown: %v", server, err)
		return nil
	}
	xid := randUint32()
	var mac [6]byte
	mac[0] = 0x02 // locally administered
	binary.BigEndian.PutUint32(mac[2:], randUint32())
	msg := dhcpInformMessage(xid, local, mac)
	clientPort := e.udpPort("dhcp-client")
	replies, err := e.informDHCP(ctx, hostPort(local, clientPort), server, msg)
	if err != nil {
		e.skip("DHCP at %s: not probed: %v (the DHCP client port %d needs root or CAP_NET_BIND_SERVICE and must be free)", server, err, clientPort)
		return nil
	}
	e.mu.Lock()
	if e.dhcpProbed == nil {
		e.dhcpProbed = map[netip.Addr]bool{}
	}
	e.dhcpProbed[a] = true
	e.mu.Unlock()
	var bad error
	for _, b := range replies {
		r, err := ParseDHCPReply(b, xid)
		if err != nil {
			bad = err
			continue
		}
		return &Service{Address: a.String(), Port: e.udpPort("dhcp"), Proto: "udp", Name: "dhcp", Detail: r.String(), DHCP: r}
	}
	if bad != nil {
		// Something answered on the DHCP port: that is what exposure is about, even unread.
		return &Service{Address: a.String(), Port: e.udpPort("dhcp"), Proto: "udp", Name: "dhcp", Detail: "answered, but the reply could not be read: " + bad.Error()}
	}
	return nil
}

// DHCP retransmission (RFC 2131 §4.1: a client that hears nothing sends again) and the wait for
// the client port when another program on the lab host holds it for a moment (a DHCP client
// renewing, another scanner's DHCP probe).
const (
	dhcpSends    = 3
	dhcpPortWait = 5 * time.Second
)

// informDHCP sends the DHCPINFORM from local to server and collects the answers, sending it
// again (same transaction) while nothing answers and the port is not closed.
func (e *engine) informDHCP(ctx context.Context, local, server string, msg []byte) ([][]byte, error) {
	portDeadline := time.Now().Add(dhcpPortWait)
	for sent := 0; ; {
		replies, closed, err := e.p.exchangeUDPClosed(ctx, "dhcp-inform", local, server, msg, udpWait, 4)
		switch {
		case errors.Is(err, syscall.EADDRINUSE) && time.Now().Before(portDeadline):
			select {
			case <-ctx.Done():
				return nil, err
			case <-time.After(200 * time.Millisecond):
			}
			continue
		case err != nil:
			return nil, err
		}
		sent++
		if len(replies) > 0 || closed || sent == dhcpSends || ctx.Err() != nil {
			return replies, nil
		}
	}
}

// localAddr is the lab host's address on the path to addr (a UDP "connection" sends nothing).
func (p *prober) localAddr(ctx context.Context, addr string) (netip.Addr, error) {
	network := "udp4"
	if h, _, _ := net.SplitHostPort(addr); strings.Contains(h, ":") {
		network = "udp6"
	}
	c, err := p.dial(ctx, network, addr)
	if err != nil {
		return netip.Addr{}, err
	}
	defer c.Close()
	ua, ok := c.LocalAddr().(*net.UDPAddr)
	if !ok {
		return netip.Addr{}, fmt.Errorf("local address %v is not UDP", c.LocalAddr())
	}
	la, ok := netip.AddrFromSlice(ua.IP)
	if !ok {
		return netip.Addr{}, fmt.Errorf("local address %v", ua)
	}
	return la.Unmap(), nil
}

// dhcpAsked reports whether a DHCPINFORM went to a and its answer was awaited.
func (e *engine) dhcpAsked(a netip.Addr) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.dhcpProbed[a]
}
