package labnet

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"
)

// checkDHCP asks the device's DHCP server from every IPv4 side with nmap's dhcp-discover script
// (a DHCPINFORM to port 67, the answer on port 68): where the truth names a DHCP server, nmap
// must get its answer with the truth's server, mask, router, DNS server and domain; elsewhere
// nothing may answer.
func checkDHCP(t *testing.T, l *Lab) {
	requireTool(t, "nmap")
	for _, side := range []Side{LAN, WAN} {
		t.Run(string(side), func(t *testing.T) {
			got := nmapDHCP(t, l, side)
			t.Logf("%s: nmap dhcp-discover: %v", side, got)
			want := l.Truth.DHCP[side]
			switch {
			case want == nil && len(got) > 0:
				t.Errorf("%s: a DHCP server answered nmap (%v), truth says none answers", side, got)
			case want == nil:
			case got["DHCP Message Type"] != "DHCPACK":
				t.Errorf("%s: nmap dhcp-discover got %v, truth says a DHCP server answers", side, got)
			default:
				for key, w := range map[string]string{"Server Identifier": want.ServerID, "Subnet Mask": want.SubnetMask,
					"Router": want.Router, "Domain Name Server": want.DNS, "Domain Name": want.Domain} {
					if got[key] != w {
						t.Errorf("%s: nmap dhcp-discover %s %q, truth %q", side, key, got[key], w)
					}
				}
			}
		})
	}
}

var nmapScriptLine = regexp.MustCompile(`(?m)^\s*([A-Za-z][A-Za-z ]+):\s*(.+?)\s*$`)

// nmapDHCP runs nmap's dhcp-discover script against the device's address on side and returns
// the fields of its answer ("Server Identifier" and so on); empty when nothing answered.
func nmapDHCP(t *testing.T, l *Lab, side Side) map[string]string {
	t.Helper()
	out := map[string]string{}
	// The probe needs the DHCP client port to itself (see LockDHCPClientPort); the bound is for
	// other tests' probes to end at all, each of which takes seconds.
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	release, err := LockDHCPClientPort(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	for _, p := range nmapRunScripts(t, l.Address(side), "-sU", "-p", "67", "--script", "dhcp-discover") {
		if p.id != "dhcp-discover" {
			continue
		}
		for _, m := range nmapScriptLine.FindAllStringSubmatch(p.output, -1) {
			out[strings.TrimSpace(m[1])] = m[2]
		}
	}
	return out
}
