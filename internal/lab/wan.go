package lab

import (
	"context"
	"net/netip"
)

// WANSide is what answers on one WAN address of the device.
type WANSide struct {
	Address  string    `json:"address"`
	IPv6     bool      `json:"ipv6"`
	Services []Service `json:"services"`
	// OpenResolver: the DNS server recursed for a foreign name asked from the WAN side.
	OpenResolver bool `json:"openResolver"`
	// SNMPCommunity: SNMP answered a default community from the WAN side.
	SNMPCommunity bool `json:"snmpDefaultCommunity"`
	UPnP          bool `json:"upnp"`
	// DHCP: a DHCP server answered from the WAN side.
	DHCP bool `json:"dhcp"`
	// DHCPProbed: the DHCPINFORM was sent and its answer awaited (DHCP is IPv4 only, and needs
	// the client port on the lab host).
	DHCPProbed bool `json:"dhcpProbed"`
}

// wanSide scans a WAN address like the LAN side, without logins: that something answers at all
// is the finding.
func (e *engine) wanSide(ctx context.Context, a netip.Addr, ports []int) WANSide {
	w := WANSide{Address: a.String(), IPv6: a.Is6() && !a.Is4In6(), Services: []Service{}}
	open := e.scanTCP(ctx, a, ports, "wan-tcp-connect")
	for _, p := range open {
		w.Services = append(w.Services, e.identify(ctx, a, p))
	}
	for _, s := range e.probeUDP(ctx, a) {
		w.Services = append(w.Services, s)
		switch s.Name {
		case "dns":
			w.OpenResolver = len(s.Detail) > 0 && s.Detail[:min(len(s.Detail), 18)] == "recursion offered:"
		case "snmp":
			w.SNMPCommunity = s.Banner != "" || s.Detail != ""
		case "ssdp", "nat-pmp":
			w.UPnP = true
		case "dhcp":
			w.DHCP = true
		}
	}
	w.DHCPProbed = e.dhcpAsked(a)
	return w
}
