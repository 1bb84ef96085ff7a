package lab

import (
	"encoding/binary"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

// dhcpAck lays out a DHCPACK as RFC 2131 §2 (Figure 1) draws it: op, htype, hlen, hops, xid,
// secs, flags, ciaddr, yiaddr, siaddr, giaddr, chaddr (16), sname (64), file (128), then the
// magic cookie 99.130.83.99 and the options.
func dhcpAck(xid uint32, opts ...[]byte) []byte {
	b := []byte{2, 1, 6, 0}
	b = binary.BigEndian.AppendUint32(b, xid)
	b = append(b, 0, 0, 0, 0)             // secs, flags
	b = append(b, 198, 18, 0, 2)          // ciaddr
	b = append(b, 0, 0, 0, 0)             // yiaddr: none for an INFORM
	b = append(b, 0, 0, 0, 0, 0, 0, 0, 0) // siaddr, giaddr
	b = append(b, make([]byte, 16+64+128)...)
	b = append(b, 99, 130, 83, 99)
	for _, o := range opts {
		b = append(b, o...)
	}
	return append(b, 255)
}

func TestParseDHCPReply(t *testing.T) {
	ack := dhcpAck(0xdeadbeef,
		[]byte{53, 1, 5},
		[]byte{54, 4, 198, 18, 0, 1},
		[]byte{0, 0}, // pads
		[]byte{1, 4, 255, 255, 255, 0},
		[]byte{3, 4, 198, 18, 0, 1},
		[]byte{6, 8, 198, 18, 0, 1, 9, 9, 9, 9},
		[]byte{15, 3, 'l', 'a', 'n'},
		[]byte{51, 4, 0, 0, 0x0e, 0x10},
		[]byte{250, 2, 1, 2}, // an option nobody knows: skipped
	)
	r, err := ParseDHCPReply(ack, 0xdeadbeef)
	if err != nil {
		t.Fatal(err)
	}
	if r.MessageType != "DHCPACK" || r.ServerID != "198.18.0.1" || r.SubnetMask != "255.255.255.0" ||
		!slices.Equal(r.Routers, []string{"198.18.0.1"}) || !slices.Equal(r.DNS, []string{"198.18.0.1", "9.9.9.9"}) ||
		r.Domain != "lan" || r.LeaseSecs != 3600 || r.YourAddr != "" {
		t.Errorf("got %+v", r)
	}
	if got, want := r.String(), "DHCPACK, server 198.18.0.1, mask 255.255.255.0, router 198.18.0.1, DNS 198.18.0.1 9.9.9.9, domain lan"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}

	long := make([]byte, dhcpMaxLen+1)
	many := dhcpAck(1)
	many = many[:len(many)-1]
	for range dhcpMaxOpts + 1 {
		many = append(many, 250, 0)
	}
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "shorter than the 240-byte header and magic cookie"},
		{"too long", long, "more than the 4096 read"},
		{"request, not reply", append([]byte{1}, dhcpAck(1)[1:]...), "offset 0: op 1"},
		{"other transaction", dhcpAck(2, []byte{53, 1, 5}), "offset 4: transaction 00000002, want 00000001"},
		{"bad cookie", func() []byte { b := dhcpAck(1, []byte{53, 1, 5}); b[236] = 0; return b }(), "offset 236: magic cookie"},
		{"no length", dhcpAck(1, []byte{53, 1, 5}, []byte{3})[:244], "has no length byte"},
		{"past the end", dhcpAck(1, []byte{53, 1, 5}, []byte{3, 40, 1, 2, 3, 4}), "option 3 of length 40 runs past the end"},
		{"bad router list", dhcpAck(1, []byte{53, 1, 5}, []byte{3, 3, 1, 2, 3}), "option 3: 3 bytes"},
		{"two server ids", dhcpAck(1, []byte{53, 1, 5}, []byte{54, 8, 1, 2, 3, 4, 5, 6, 7, 8}), "option 54: 2 addresses"},
		{"bad type length", dhcpAck(1, []byte{53, 2, 5, 5}), "option 53 (message type): 2 bytes"},
		{"bad lease", dhcpAck(1, []byte{53, 1, 5}, []byte{51, 2, 0, 1}), "option 51 (lease time)"},
		{"BOOTP", dhcpAck(1), "no message type option"},
		{"too many options", many, "more than 255 options"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseDHCPReply(tc.b, 1); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}

// TestDHCPInformMessage checks the request against RFC 2131: a BOOTREQUEST for Ethernet with
// the client's address in ciaddr (§4.4.3: the client sets ciaddr in a DHCPINFORM), the magic
// cookie, option 53 = 8, and no giaddr.
func TestDHCPInformMessage(t *testing.T) {
	b := dhcpInformMessage(0x01020304, netip.MustParseAddr("198.18.0.2"), [6]byte{2, 0, 0xa, 0xb, 0xc, 0xd})
	if len(b) < 300 {
		t.Errorf("%d bytes, want at least the 300 of BOOTP", len(b))
	}
	if b[0] != 1 || b[1] != 1 || b[2] != 6 || binary.BigEndian.Uint32(b[4:]) != 0x01020304 {
		t.Errorf("header % x", b[:8])
	}
	if netip.AddrFrom4([4]byte(b[12:16])).String() != "198.18.0.2" || !netip.AddrFrom4([4]byte(b[24:28])).IsUnspecified() {
		t.Errorf("ciaddr % x giaddr % x", b[12:16], b[24:28])
	}
	if binary.BigEndian.Uint32(b[236:]) != 0x63825363 || b[240] != 53 || b[241] != 1 || b[242] != dhcpInform {
		t.Errorf("cookie and first option % x", b[236:243])
	}
	// The server's own parser would see a well-formed request: read it back as a reply would be.
	reply := slices.Clone(b)
	reply[0] = 2
	r, err := ParseDHCPReply(reply, 0x01020304)
	if err != nil || r.MessageType != "DHCPINFORM" {
		t.Errorf("read back: %+v, %v", r, err)
	}
}

func FuzzParseDHCPReply(f *testing.F) {
	f.Add(dhcpAck(1, []byte{53, 1, 5}, []byte{54, 4, 1, 2, 3, 4}, []byte{6, 4, 1, 1, 1, 1}), uint32(1))
	f.Add(dhcpAck(7), uint32(7))
	f.Add([]byte{2}, uint32(0))
	f.Fuzz(func(t *testing.T, b []byte, xid uint32) {
		r, err := ParseDHCPReply(b, xid)
		if err == nil && (r.MessageType == "" || len(r.DNS) > 16 || len(r.Routers) > 16) {
			t.Errorf("accepted %+v", r)
		}
	})
}
