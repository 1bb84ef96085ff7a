package labnet

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// nmapRun is the part of nmap's XML output (-oX) the tests read.
type nmapRun struct {
	Hosts []struct {
		Addresses []struct {
			Addr string `xml:"addr,attr"`
		} `xml:"address"`
		Ports []struct {
			Proto string `xml:"protocol,attr"`
			ID    int    `xml:"portid,attr"`
			State struct {
				State string `xml:"state,attr"`
			} `xml:"state"`
			Service struct {
				Name    string `xml:"name,attr"`
				Product string `xml:"product,attr"`
				Version string `xml:"version,attr"`
			} `xml:"service"`
			Scripts []struct {
				ID     string `xml:"id,attr"`
				Output string `xml:"output,attr"`
			} `xml:"script"`
		} `xml:"ports>port"`
	} `xml:"host"`
}

// nmapScan runs nmap with args against target and returns each reported port's state, keyed
// "tcp/23" or "udp/161". Ports nmap does not list (the "Not shown" ones) are absent.
func nmapScan(t *testing.T, target netip.Addr, args ...string) map[string]string {
	t.Helper()
	states := map[string]string{}
	for _, p := range nmapRunPorts(t, target, args...) {
		states[p.key] = p.state
	}
	return states
}

type nmapPort struct {
	key, state       string
	product, version string
	scripts          []nmapScript
}

// nmapScript is the output of an NSE script on a port.
type nmapScript struct{ id, output string }

// nmapRunScripts runs nmap with args (a --script among them) against target and returns the
// scripts' outputs on every port.
func nmapRunScripts(t *testing.T, target netip.Addr, args ...string) []nmapScript {
	t.Helper()
	var out []nmapScript
	for _, p := range nmapRunPorts(t, target, args...) {
		out = append(out, p.scripts...)
	}
	return out
}

func nmapRunPorts(t *testing.T, target netip.Addr, args ...string) []nmapPort {
	t.Helper()
	full := []string{"-n", "-Pn", "-oX", "-", "--reason"}
	if target.Is6() {
		full = append(full, "-6")
	}
	full = append(full, args...)
	full = append(full, target.String())
	cmd := exec.CommandContext(t.Context(), "nmap", full...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("nmap %s: %v: %s", strings.Join(full, " "), err, errOut.String())
	}
	var r nmapRun
	if err := xml.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("nmap XML: %v", err)
	}
	if len(r.Hosts) != 1 {
		t.Fatalf("nmap %s: %d hosts in the report, want 1", target, len(r.Hosts))
	}
	var ports []nmapPort
	for _, p := range r.Hosts[0].Ports {
		np := nmapPort{key: p.Proto + "/" + strconv.Itoa(p.ID), state: p.State.State, product: p.Service.Product, version: p.Service.Version}
		for _, sc := range p.Scripts {
			np.scripts = append(np.scripts, nmapScript{sc.ID, sc.Output})
		}
		ports = append(ports, np)
	}
	return ports
}

// checkVersions runs nmap's version detection on the LAN's TCP services: where the truth says
// a service shows its version, nmap must find it; where it hides it, nmap must not.
func checkVersions(t *testing.T, l *Lab) {
	var list []string
	for _, s := range l.Truth.Services {
		if s.Proto == "tcp" && slices.Contains(s.Sides, LAN) {
			list = append(list, strconv.Itoa(s.Port))
		}
	}
	ports := nmapRunPorts(t, l.LAN, "-sV", "--version-light", "-p", strings.Join(list, ","))
	for _, s := range l.Truth.Services {
		if s.Proto != "tcp" || !slices.Contains(s.Sides, LAN) {
			continue
		}
		if s.Version == "" {
			t.Errorf("tcp/%d: the truth has no version for %s", s.Port, s.Product)
			continue
		}
		i := slices.IndexFunc(ports, func(p nmapPort) bool { return p.key == "tcp/"+strconv.Itoa(s.Port) })
		if i < 0 {
			t.Errorf("tcp/%d: not in nmap's report", s.Port)
			continue
		}
		p := ports[i]
		found := strings.Contains(p.version, s.Version)
		if s.VersionShown != found {
			t.Errorf("tcp/%d (%s %s, shown=%v): nmap finds product %q version %q", s.Port, s.Product, s.Version, s.VersionShown, p.product, p.version)
		}
	}
}

// udpSet is what the lab engine probes over UDP (DNS, DHCP, TFTP, NTP, SNMP, SSDP, NAT-PMP,
// mDNS); the nmap check covers it on every side, plus every UDP port the truth lists.
var udpSet = []int{53, 67, 69, 123, 161, 1900, 5351, 5353}

func requireTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("SIEGEL_TEST_LAB_REQUIRED") != "" {
			t.Fatalf("%s is required (see .ci/run): %v", name, err)
		}
		t.Skipf("%s not installed: %v", name, err)
	}
}

// checkNmap compares nmap's view of every side of the device with the truth: the open TCP ports
// of a full scan (1-65535) exactly, and the UDP set.
func checkNmap(t *testing.T, l *Lab) {
	for _, side := range Sides {
		t.Run(string(side), func(t *testing.T) {
			t.Parallel()
			addr := l.Address(side)
			want := l.Truth.Open[side]
			// Full TCP range. On a side whose firewall drops everything, nmap would wait out
			// its retransmissions for each of 65,535 ports: there a minimum rate with fewer
			// retries, since a lost probe can only add to "filtered", which is the expectation.
			tcpArgs := []string{"-sS", "-p-", "-T4"}
			if l.Truth.WANDefaultDeny && side != LAN {
				tcpArgs = append(tcpArgs, "--min-rate", "20000", "--max-retries", "0")
			}
			tcp := nmapScan(t, addr, tcpArgs...)
			var gotTCP []int
			for k, st := range tcp {
				if st == "open" {
					port, _ := strconv.Atoi(strings.TrimPrefix(k, "tcp/"))
					gotTCP = append(gotTCP, port)
				}
			}
			if d := diffPorts(want.TCP, gotTCP); d != "" {
				t.Errorf("TCP ports open on %s (%s): %s (nmap: %v)", side, addr, d, tcp)
			}

			ports := map[int]bool{}
			for _, p := range udpSet {
				ports[p] = true
			}
			for _, p := range want.UDP {
				ports[p] = true
			}
			var list []string
			for p := range ports {
				list = append(list, strconv.Itoa(p))
			}
			udp := nmapScan(t, addr, "-sU", "-p", strings.Join(list, ","), "--max-retries", "3")
			for p := range ports {
				st := udp["udp/"+strconv.Itoa(p)]
				open := containsInt(want.UDP, p)
				switch {
				case open && st == "open":
				case open && st == "open|filtered" && silentUDP(l, side, p):
					// A socket with no answer to nmap's probe: no ICMP "port unreachable"
					// either, which is all nmap can see.
				case open:
					t.Errorf("udp/%d on %s: nmap says %q, truth says open", p, side, st)
				case l.Truth.WANDefaultDeny && side != LAN:
					// Dropped by the firewall: nmap cannot tell a dropped probe from an
					// unanswered one, but it must never see an answer.
					if st == "open" || st == "closed" {
						t.Errorf("udp/%d on %s: nmap says %q, truth says dropped by the firewall", p, side, st)
					}
				case st != "closed":
					t.Errorf("udp/%d on %s: nmap says %q, truth says closed", p, side, st)
				}
			}
			if l.Truth.WANDefaultDeny && side != LAN {
				for k, st := range tcp {
					if st != "filtered" {
						t.Errorf("%s on %s: nmap says %q, truth says every inbound connection is dropped", k, side, st)
					}
				}
			}
		})
	}
}

// silentUDP reports the UDP services the truth says are open but that do not answer nmap's
// probe: miniupnpd's PCP socket on IPv6 ignores the NAT-PMP request nmap sends.
func silentUDP(l *Lab, side Side, port int) bool {
	return l.Profile == Mirai && side == WAN6 && port == 5351
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func diffPorts(want, got []int) string {
	var missing, extra []string
	for _, p := range want {
		if !containsInt(got, p) {
			missing = append(missing, strconv.Itoa(p))
		}
	}
	for _, p := range got {
		if !containsInt(want, p) {
			extra = append(extra, strconv.Itoa(p))
		}
	}
	if len(missing) == 0 && len(extra) == 0 {
		return ""
	}
	return fmt.Sprintf("closed but should be open: %v; open but should be closed: %v", missing, extra)
}
