package lab_test

// The engine against the labs of internal/lab/labnet: network namespaces whose device under
// test runs real Debian daemons with known ground truth. The tests skip unless they run as root
// with the daemons installed; SIEGEL_TEST_LAB_REQUIRED (set by .ci/run) makes them mandatory.

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/catalog"
	"github.com/siegel-oss/siegel/internal/firmware"
	"github.com/siegel-oss/siegel/internal/lab"
	"github.com/siegel-oss/siegel/internal/lab/labnet"
)

func TestLabnetMirai(t *testing.T)    { runAgainstLab(t, labnet.Mirai) }
func TestLabnetHardened(t *testing.T) { runAgainstLab(t, labnet.Hardened) }

// defaultConfig is what 'siegel lab run' does by default against the lab's device.
func defaultConfig(t *testing.T, l *labnet.Lab, fw *lab.FirmwareFacts) lab.Config {
	var allow []string
	for _, p := range l.Allow() {
		allow = append(allow, p.String())
	}
	scope, err := lab.ParseScope(allow)
	if err != nil {
		t.Fatal(err)
	}
	cfg := lab.Config{Target: l.LAN.String(), WANTargets: []string{l.WAN.String(), l.WAN6.String()}, Scope: scope,
		BruteForceAttempts: lab.DefaultBruteForce, Firmware: fw}
	if fw != nil {
		cfg.Credentials = append(cfg.Credentials, fw.Credentials...)
	}
	if u := l.Truth.Update; u != nil {
		cfg.Update = updateServer(t, u)
	}
	for _, d := range firmware.DefaultCredentials() {
		cfg.Credentials = append(cfg.Credentials, lab.Credential{User: d.User, Password: d.Password, Source: d.Source})
	}
	return cfg
}

// updateServer makes the lab the device's update server, as 'siegel lab run --update-listen'
// does: the vendor's genuine update files, and the server identity the device trusts.
func updateServer(t *testing.T, u *labnet.Update) *lab.UpdateServer {
	files, err := lab.LoadUpdateFiles(u.Dir)
	if err != nil {
		t.Fatal(err)
	}
	s := &lab.UpdateServer{Listen: u.Listen, TLS: u.TLS, Files: files, Image: u.Image, Current: u.Current, Next: u.Next}
	if u.CertFile != "" {
		c, err := tls.LoadX509KeyPair(u.CertFile, u.KeyFile)
		if err != nil {
			t.Fatal(err)
		}
		s.Certificate = &c
	}
	return s
}

// analyse runs the firmware analysis of the lab's image, as 'siegel firmware scan' would.
func analyse(t *testing.T, l *labnet.Lab) (*firmware.Report, *lab.FirmwareFacts) {
	if l.Truth.Firmware == nil {
		return nil, nil
	}
	data, err := os.ReadFile(l.Truth.Firmware.Image)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := firmware.Analyze(t.Context(), l.Truth.Firmware.Image, data, firmware.Options{})
	if err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(rep)
	facts, err := lab.ReadFirmwareFacts(bytes.NewReader(js), "report")
	if err != nil {
		t.Fatal(err)
	}
	return rep, facts
}

func runAgainstLab(t *testing.T, profile labnet.Profile) {
	l := labnet.Start(t, profile)
	rep, facts := analyse(t, l)
	cfg := defaultConfig(t, l, facts)
	cfg.ListenPacket = listenSharingDHCPPort
	res, err := lab.Run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: default run (top 1,000 TCP on LAN and both WAN addresses, UDP set, credentials, brute force, TLS, SSH, the lab as update server) took %.1f s, %d probes",
		profile, res.Seconds, len(res.Transcript))
	truth := l.Truth
	top := lab.TopTCPPorts(1000)

	t.Run("open ports agree with the truth and nmap", func(t *testing.T) {
		sides := []struct {
			side labnet.Side
			addr netip.Addr
			got  []int
		}{{labnet.LAN, l.LAN, tcpOf(res.Services)}}
		for _, w := range res.WAN {
			side := labnet.WAN
			if w.IPv6 {
				side = labnet.WAN6
			}
			sides = append(sides, struct {
				side labnet.Side
				addr netip.Addr
				got  []int
			}{side, netip.MustParseAddr(w.Address), tcpOf(w.Services)})
		}
		for _, s := range sides {
			want := slices.DeleteFunc(slices.Clone(truth.Open[s.side].TCP), func(p int) bool { return !slices.Contains(top, p) })
			if !slices.Equal(s.got, want) {
				t.Errorf("%s: open TCP %v, truth %v", s.side, s.got, want)
			}
			if nm, ok := nmapTopPorts(t, s.addr); ok && !slices.Equal(s.got, nm) {
				t.Errorf("%s: open TCP %v, nmap --top-ports 1000 -sT %v", s.side, s.got, nm)
			} else if ok {
				t.Logf("%s: %d open TCP ports, same as nmap", s.side, len(nm))
			}
		}
	})

	t.Run("TLS versions agree with the truth", func(t *testing.T) {
		for _, ts := range truth.TLS {
			addr := netip.AddrPortFrom(l.LAN, uint16(ts.Port)).String()
			var got *lab.TLSService
			for i := range res.TLS {
				if res.TLS[i].Address == addr {
					got = &res.TLS[i]
				}
			}
			if got == nil {
				t.Errorf("TLS %s not probed", addr)
				continue
			}
			names := map[string]string{"TLS1": "TLS 1.0", "TLS1_1": "TLS 1.1", "TLS1_2": "TLS 1.2", "TLS1_3": "TLS 1.3"}
			for _, v := range ts.Versions {
				if !got.Versions[names[v]] {
					t.Errorf("%s: %s offered (testssl.sh, truth) but not seen", addr, v)
				}
			}
			for _, v := range ts.NotOffered {
				if got.Versions[names[v]] {
					t.Errorf("%s: %s not offered (testssl.sh, truth) but seen", addr, v)
				}
			}
			if c := got.Certificate; c == nil || c.SPKISHA256 != ts.SPKISHA256 || c.SelfSigned != ts.SelfSigned || c.KeyBits != ts.KeyBits || c.InFirmware != ts.InFirmware {
				t.Errorf("%s: certificate %+v, truth %+v", addr, got.Certificate, ts)
			}
		}
	})

	t.Run("credentials and brute force agree with the truth", func(t *testing.T) {
		for _, c := range truth.Credentials {
			if !c.Default || c.KeyFile != "" {
				continue
			}
			accepted := false
			for _, lr := range res.Logins {
				if lr.Service == c.Service && strings.HasSuffix(lr.Address, ":"+strconv.Itoa(c.Port)) {
					accepted = accepted || slices.ContainsFunc(lr.Accepted, func(a lab.Credential) bool { return a.User == c.User && a.Password == c.Password })
				}
			}
			if accepted != c.Works {
				t.Errorf("%s/%d %s/%s: accepted %v, truth works %v", c.Service, c.Port, c.User, c.Password, accepted, c.Works)
			}
		}
		for _, b := range truth.BruteForce {
			found := false
			for _, g := range res.BruteForce {
				if g.Service == b.Service && strings.HasSuffix(g.Address, ":"+strconv.Itoa(b.Port)) {
					found = true
					if g.Protected != b.Limited {
						t.Errorf("%s/%d: protected %v (%s), truth limited %v", b.Service, b.Port, g.Protected, g.Detail, b.Limited)
					}
				}
			}
			if !found {
				t.Errorf("%s/%d: brute-force protection not measured", b.Service, b.Port)
			}
		}
	})

	t.Run("exposure agrees with the truth", func(t *testing.T) {
		check := func(id string, bad bool) {
			c := checkOf(res, id)
			if (c.Result == lab.Fail) != bad {
				t.Errorf("%s: %s (%s), truth says failing %v", id, c.Result, c.Detail, bad)
			}
		}
		check("open-resolver", truth.OpenResolver != nil)
		check("upnp-wan", truth.UPnPOnWAN)
		check("ipv6-inbound", len(truth.Open[labnet.WAN6].TCP)+len(truth.Open[labnet.WAN6].UDP) > 0)
		check("wan-services", len(truth.Open[labnet.WAN].TCP)+len(truth.Open[labnet.WAN].UDP) > 0)
		check("snmp-default-community", truth.SNMPCommunity == "public" || truth.SNMPCommunity == "private")
		check("shared-key", slices.ContainsFunc(truth.TLS, func(s labnet.TLSService) bool { return s.InFirmware }))
		if c := checkOf(res, "password-change"); (c.Result == lab.Pass) != (truth.PasswordForm != "") || c.Result == lab.Fail {
			t.Errorf("password-change: %s (%s), truth password form at %q", c.Result, c.Detail, truth.PasswordForm)
		}
		// Both web servers (busybox httpd, nginx) normalise paths and echo nothing of a request.
		check("input-validation", false)
		if c := checkOf(res, "input-validation"); c.Result == lab.NotTested {
			t.Errorf("input-validation not tested: %s", c.Detail)
		}
	})

	t.Run("DHCP agrees with the truth and nmap", func(t *testing.T) {
		// labnet's own test checks the truth against nmap's dhcp-discover script.
		got := map[labnet.Side]*lab.DHCPReply{}
		for _, s := range res.Services {
			if s.Name == "dhcp" {
				got[labnet.LAN] = s.DHCP
			}
		}
		for _, w := range res.WAN {
			for _, s := range w.Services {
				if s.Name == "dhcp" && !w.IPv6 {
					got[labnet.WAN] = s.DHCP
				}
			}
			if !w.IPv6 && !w.DHCPProbed {
				t.Errorf("WAN %s: DHCP not probed; not tested: %q", w.Address, res.NotTested)
			}
		}
		for _, side := range []labnet.Side{labnet.LAN, labnet.WAN} {
			want, r := truth.DHCP[side], got[side]
			switch {
			case want == nil && r != nil:
				t.Errorf("%s: DHCP answered (%s), truth says nothing answers", side, r)
			case want == nil:
			case r == nil:
				t.Errorf("%s: no DHCP answer, truth says %+v; DHCP probes: %v", side, want, dhcpEvents(res))
			case r.MessageType != "DHCPACK" || r.ServerID != want.ServerID || r.SubnetMask != want.SubnetMask ||
				!slices.Equal(r.Routers, []string{want.Router}) || !slices.Equal(r.DNS, []string{want.DNS}) || r.Domain != want.Domain:
				t.Errorf("%s: DHCP answer %+v, truth %+v", side, r, want)
			}
		}
		check := checkOf(res, "dhcp-wan")
		if (check.Result == lab.Fail) != (truth.DHCP[labnet.WAN] != nil) || check.Result == lab.NotTested {
			t.Errorf("dhcp-wan: %s (%s), truth DHCP on WAN %v", check.Result, check.Detail, truth.DHCP[labnet.WAN] != nil)
		}
	})

	t.Run("update behaviour agrees with the truth", func(t *testing.T) {
		u := truth.Update
		if u == nil {
			t.Skip("no update client in this profile")
		}
		if res.Update == nil {
			t.Fatal("no update result")
		}
		t.Logf("update server %s: %d requests, %d checks, versions %v, untrusted certificate %q, altered image %s, genuine image %s",
			res.Update.Listen, res.Update.Requests, res.Update.Checks, res.Update.Versions, res.Update.Untrusted, res.Update.Tampered, res.Update.Genuine)
		want := map[string]string{
			"update-check":        lab.Pass,
			"update-auto":         map[bool]string{true: lab.Pass, false: lab.NotTested}[u.AutoInstall],
			"update-channel":      map[bool]string{true: lab.Pass, false: lab.Fail}[u.TLS && u.VerifiesServer],
			"update-authenticity": map[bool]string{true: lab.Pass, false: lab.Fail}[u.VerifiesImage],
		}
		for id, w := range want {
			if c := checkOf(res, id); c.Result != w {
				t.Errorf("%s: %s (%s), truth says %s", id, c.Result, c.Detail, w)
			}
		}
		if u.TLS && u.VerifiesServer && res.Update.Untrusted != "refused" {
			t.Errorf("the device verifies its update server, but the untrusted certificate was %q", res.Update.Untrusted)
		}
		if u.VerifiesImage && res.Update.Tampered != lab.UpdateRefused {
			t.Errorf("the device verifies images, but the altered one was %q", res.Update.Tampered)
		}
		if !slices.ContainsFunc(res.Transcript, func(e lab.Event) bool {
			return e.Probe == "update-request" && strings.Contains(e.Sent, res.Update.TamperedSHA256)
		}) {
			t.Errorf("the transcript does not show the altered image served (SHA-256 %s)", res.Update.TamperedSHA256)
		}
	})

	t.Run("tool evidence share", func(t *testing.T) {
		c, err := catalog.Load()
		if err != nil {
			t.Fatal(err)
		}
		ev := catalog.Evidence{Product: catalog.Product{Name: string(profile) + " router", Category: catalog.CategoryRouter, CRAClass: catalog.ClassImportantI,
			Facts: map[string]bool{"constrained-device": false, "uses-passwords": true}}, Release: catalog.Release{Version: "1.0.3"}}
		if rep != nil {
			ws := make([]catalog.Weakness, 0, len(rep.Weaknesses))
			for _, w := range rep.Weaknesses {
				ws = append(ws, catalog.Weakness{Rule: w.Rule, ID: w.ID, Severity: w.Severity, Path: w.Path})
			}
			ev.Firmware = &catalog.FirmwareEvidence{Ref: "sha256:" + rep.SHA256, Weaknesses: ws, Files: rep.Files}
		}
		before := toolShare(c, ev)
		ev.Lab = res.Evidence()
		after := toolShare(c, ev)
		for _, c := range res.Checks {
			t.Logf("%s: %s", c.ID, c.Result)
		}
		for _, std := range []string{"bsi-tr-03148", "etsi-en-303-645"} {
			t.Logf("%s %s: mandatory requirements with tool evidence: firmware only %s, firmware and lab %s", profile, std, before[std], after[std])
		}
		// The goal of the lab: at least half of each catalog's mandatory requirements rest on
		// a tool's observation, for the weak device and the sound one alike.
		for std, s := range after {
			if (std == "bsi-tr-03148" || std == "etsi-en-303-645") && 2*s.n < s.of {
				t.Errorf("%s %s: tool evidence for %s, less than half", profile, std, s)
			}
		}
		if after["bsi-tr-03148"].n <= before["bsi-tr-03148"].n || after["etsi-en-303-645"].n <= before["etsi-en-303-645"].n {
			t.Errorf("the lab run adds no tool evidence: %v -> %v", before, after)
		}
	})
}

type share struct{ n, of, pass, fail int }

func (s share) String() string {
	return fmt.Sprintf("%d of %d (%.0f %%; %d pass, %d fail)", s.n, s.of, 100*float64(s.n)/float64(max(s.of, 1)), s.pass, s.fail)
}

// toolShare counts, per catalog, the mandatory requirements whose verdict rests on a tool's
// observation (a link to the firmware analysis or the lab run).
func toolShare(c *catalog.Catalog, ev catalog.Evidence) map[string]share {
	out := map[string]share{}
	for _, v := range catalog.Evaluate(c, ev, time.Now()) {
		if !v.Mandatory {
			continue
		}
		s := out[v.Standard]
		s.of++
		if slices.ContainsFunc(v.Evidence, func(l catalog.Link) bool {
			return l.Kind == "firmware" || l.Kind == "weakness" || l.Kind == "lab"
		}) {
			s.n++
			switch v.Result {
			case catalog.Pass:
				s.pass++
			case catalog.Fail:
				s.fail++
			}
		}
		out[v.Standard] = s
	}
	return out
}

func checkOf(r *lab.Result, id string) lab.Check {
	for _, c := range r.Checks {
		if c.ID == id {
			return c
		}
	}
	return lab.Check{ID: id, Result: "missing"}
}

func tcpOf(ss []lab.Service) []int {
	var out []int
	for _, s := range ss {
		if s.Proto == "tcp" {
			out = append(out, s.Port)
		}
	}
	slices.Sort(out)
	return out
}

// nmapTopPorts runs nmap's connect scan of its own top 1,000 ports; false when nmap is missing
// and the lab is not required.
func nmapTopPorts(t *testing.T, a netip.Addr) ([]int, bool) {
	if _, err := exec.LookPath("nmap"); err != nil {
		if os.Getenv("SIEGEL_TEST_LAB_REQUIRED") != "" {
			t.Fatalf("nmap is required: %v", err)
		}
		return nil, false
	}
	args := []string{"-n", "-Pn", "-sT", "--top-ports", "1000", "-T4", "--min-rate", "2000", "--max-retries", "1", "-oX", "-"}
	if a.Is6() {
		args = append(args, "-6")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "nmap", append(args, a.String())...).Output()
	if err != nil {
		t.Fatalf("nmap %s: %v", a, err)
	}
	var run struct {
		Ports []struct {
			ID    int `xml:"portid,attr"`
			State struct {
				State string `xml:"state,attr"`
			} `xml:"state"`
		} `xml:"host>ports>port"`
	}
	if err := xml.Unmarshal(out, &run); err != nil {
		t.Fatalf("nmap XML: %v", err)
	}
	var open []int
	for _, p := range run.Ports {
		if p.State.State == "open" {
			open = append(open, p.ID)
		}
	}
	slices.Sort(open)
	return open, true
}

// dhcpEvents are the DHCP probes of a run's transcript, for a failure's message.
func dhcpEvents(res *lab.Result) []string {
	var out []string
	for _, e := range res.Transcript {
		if e.Probe == "dhcp-inform" {
			out = append(out, fmt.Sprintf("%s %s after %v ms", e.Address, e.Outcome, e.Millis))
		}
	}
	return out
}

// listenSharingDHCPPort is the host's ListenPacket, except that a socket on the DHCP client port
// holds labnet's lock of that port until it is closed: labnet's own tests probe the device's DHCP
// server from the same port with nmap, and go test may run both packages at once.
func listenSharingDHCPPort(ctx context.Context, network, addr string) (net.PacketConn, error) {
	var lc net.ListenConfig
	if _, port, _ := net.SplitHostPort(addr); port != "68" {
		return lc.ListenPacket(ctx, network, addr)
	}
	// A bound for the other probes to end at all; each takes seconds.
	lctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	release, err := labnet.LockDHCPClientPort(lctx)
	if err != nil {
		return nil, err
	}
	pc, err := lc.ListenPacket(ctx, network, addr)
	if err != nil {
		release()
		return nil, err
	}
	return &portLockedConn{PacketConn: pc, release: release}, nil
}

// portLockedConn releases its port's lock when it is closed.
type portLockedConn struct {
	net.PacketConn
	once    sync.Once
	release func()
}

func (c *portLockedConn) Close() error {
	err := c.PacketConn.Close()
	c.once.Do(c.release)
	return err
}
