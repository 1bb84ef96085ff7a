// Package labnet builds a small network lab on this machine for testing the lab engine against
// real devices: Linux network namespaces joined by veth pairs, with a device under test (DUT)
// that runs real Debian daemons in one of two profiles, and the ground truth of what that device
// exposes, so probes can be scored against it.
//
// Topology (N is a random index per lab, see the address plan in netns.go):
//
//	root namespace (the tester: tests and benchmarks run here)
//	  slTAGl 198.18.N.2/24 ──veth── lan0 198.18.N.1/24 ┐
//	                                                    │ DUT namespace siegel-lab-PID-TAG-dut
//	  slTAGw 198.19.N.2/24 ──veth── up0 ┐               │ (the daemons of the profile)
//	         2001:2:0:N::2/64           br0 ── dut0 ──veth── wan0 198.19.N.1/24, 2001:2:0:N::1/64
//	                   wan namespace siegel-lab-PID-TAG-wan: br0 198.19.N.254, 2001:2:0:N::fe
//	                   (the "internet" segment; it runs the upstream resolver the DUT forwards to)
//
// The device's update client (update.go) fetches from the root namespace's WAN address, where
// the lab engine, acting as the vendor's update server, answers while it runs.
//
// A process in the root namespace reaches the DUT's LAN address over the LAN veth and its WAN
// addresses over the WAN segment, with a source address on that segment: the DUT sees a WAN probe
// arrive on wan0 from a WAN host, exactly as from the internet, and its firewall and daemon
// bindings apply as they would. No traffic leaves the lab: its ranges are benchmarking ranges
// that nothing else on the machine uses, and the namespaces have no other links. Probe a lab's
// addresses only while it runs: once it is closed, nothing on the machine owns those ranges and
// packets to them follow the default route.
//
// The device's kernel answers every probe of a closed UDP port with ICMP "port unreachable"
// (no rate limit, set in its namespace only), so a UDP scan tells closed from filtered reliably
// and the ground truth can be compared port by port.
//
// Everything runs as root: creating namespaces needs CAP_SYS_ADMIN and CAP_NET_ADMIN. Daemons
// run in the foreground with configuration, keys, pid files and logs in the lab's own directory;
// no host configuration or host service is touched. Close (or the test's cleanup) stops the
// daemons and deletes the namespaces; a lab whose process was killed is removed by the next
// Launch on the machine.
package labnet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Profile names a kind of device under test.
type Profile string

// The profiles.
const (
	// Mirai is a Mirai-era router: telnet and an HTTP admin page with default credentials, SNMP
	// with community "public", DNS that answers (and recurses) on the WAN side, UPnP on the WAN
	// side, TLS 1.0 with a key that also sits in its firmware image, no brute-force limit, no
	// firewall.
	Mirai Profile = "mirai"
	// Hardened is a router done right: SSH with keys only, TLS 1.3 only, a login that locks out
	// after a few attempts, and a default-deny firewall on the WAN side (IPv4 and IPv6).
	Hardened Profile = "hardened"
)

// Profiles lists every profile.
var Profiles = []Profile{Mirai, Hardened}

// Options configure Launch.
type Options struct {
	// Dir is where configuration, keys, logs and the firmware fixture go. Empty: a new
	// temporary directory, removed by Close.
	Dir string
	// Logger receives start and stop messages; nil discards them.
	Logger *slog.Logger
	// StartTimeout bounds how long the daemons may take to open their sockets; 0 means 15 s.
	StartTimeout time.Duration
}

// Lab is a running lab with its device under test.
type Lab struct {
	Profile Profile
	// LAN, WAN and WAN6 are the device's addresses on each side.
	LAN, WAN, WAN6 netip.Addr
	// TesterLAN, TesterWAN and TesterWAN6 are the root namespace's addresses on each side: the
	// source of probes.
	TesterLAN, TesterWAN, TesterWAN6 netip.Addr
	// Upstream is the resolver on the WAN segment that the device forwards DNS queries to.
	Upstream netip.Addr
	// DUTNamespace and WANNamespace are the namespaces' names (for "ip netns exec").
	DUTNamespace, WANNamespace string
	// Dir holds the lab's files: configuration, keys, daemon logs (NAME.log), firmware fixture.
	Dir string
	// Truth is what the device really exposes.
	Truth Truth

	topo    *topology
	procs   []*process
	ownDir  bool
	log     *slog.Logger
	closed  bool
	started time.Time
}

// Allow returns the device's own addresses as single-host prefixes: the narrowest --allow list
// that lets a probe reach the device and nothing else.
func (l *Lab) Allow() []netip.Prefix {
	return []netip.Prefix{
		netip.PrefixFrom(l.LAN, 32),
		netip.PrefixFrom(l.WAN, 32),
		netip.PrefixFrom(l.WAN6, 128),
	}
}

// Address returns the device's address on a side.
func (l *Lab) Address(s Side) netip.Addr {
	switch s {
	case LAN:
		return l.LAN
	case WAN:
		return l.WAN
	case WAN6:
		return l.WAN6
	}
	return netip.Addr{}
}

// tools are the programs a lab needs besides the profile's daemons.
var tools = []string{"ip", "ss", "sysctl"}

// profileDaemons are the programs each profile runs.
var profileDaemons = map[Profile][]string{
	Mirai:    {"busybox", "setpriv", "nginx", "snmpd", "dnsmasq", "miniupnpd", "sh", "sed", "curl"},
	Hardened: {"/usr/sbin/sshd", "nginx", "dnsmasq", "nft", "sh", "sed", "curl", "openssl"},
}

// Available reports why a lab of the profile cannot start here (not root, a program missing), or
// nil when it can.
func Available(profile Profile) error {
	ds, ok := profileDaemons[profile]
	if !ok {
		return fmt.Errorf("labnet: unknown profile %q (want one of mirai, hardened)", profile)
	}
	if os.Geteuid() != 0 {
		return errors.New("labnet: needs root (network namespaces)")
	}
	var missing []string
	for _, p := range append(append([]string{}, tools...), ds...) {
		if _, err := exec.LookPath(p); err != nil {
			missing = append(missing, p)
		}
	}
	if profile == Mirai {
		if out, err := exec.Command("busybox", "--list").Output(); err == nil {
			for _, applet := range []string{"telnetd", "httpd"} {
				if !strings.Contains("\n"+string(out), "\n"+applet+"\n") {
					missing = append(missing, "busybox "+applet+" (install busybox-static)")
				}
			}
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("labnet: missing %s (see .ci/run for the Debian packages)", strings.Join(missing, ", "))
	}
	return nil
}

// Launch builds a lab with a device of the profile and waits until its daemons listen. Close
// removes it; on error nothing is left behind.
func Launch(ctx context.Context, profile Profile, opts Options) (*Lab, error) {
	if err := Available(profile); err != nil {
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = 15 * time.Second
	}
	l := &Lab{Profile: profile, Dir: opts.Dir, log: log, started: time.Now()}
	if l.Dir == "" {
		d, err := os.MkdirTemp("", "siegel-lab-")
		if err != nil {
			return nil, fmt.Errorf("labnet: lab directory: %w", err)
		}
		l.Dir, l.ownDir = d, true
	} else if err := os.MkdirAll(l.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("labnet: lab directory: %w", err)
	}
	topo, err := setUp(ctx)
	if err != nil {
		l.removeDir()
		return nil, err
	}
	l.topo = topo
	l.LAN, l.WAN, l.WAN6 = topo.lanDUT, topo.wanDUT, topo.wan6DUT
	l.TesterLAN, l.TesterWAN, l.TesterWAN6 = topo.lanTest, topo.wanTest, topo.wan6Test
	l.Upstream = topo.wanUp
	l.DUTNamespace, l.WANNamespace = topo.dutNS, topo.wanNS

	var ds []daemon
	switch profile {
	case Mirai:
		ds, err = l.configureMirai(ctx)
	case Hardened:
		ds, err = l.configureHardened(ctx)
	}
	if err == nil {
		err = l.startAll(ctx, ds, opts.StartTimeout)
	}
	if err == nil && l.Truth.SSH != nil {
		// The version string is compiled into sshd (with the Debian revision): read it from
		// the server rather than rebuild it from package metadata.
		l.Truth.SSH.Banner, err = sshBanner(ctx, net.JoinHostPort(l.LAN.String(), strconv.Itoa(l.Truth.SSH.Port)))
		if m := regexp.MustCompile(`OpenSSH_(\S+)`).FindStringSubmatch(l.Truth.SSH.Banner); m != nil {
			for i := range l.Truth.Services {
				if l.Truth.Services[i].Name == "ssh" {
					l.Truth.Services[i].Version = m[1]
				}
			}
		}
	}
	if err != nil {
		cerr := l.Close()
		return nil, errors.Join(err, cerr)
	}
	log.Info("lab started", "profile", profile, "lan", l.LAN, "wan", l.WAN, "wan6", l.WAN6,
		"namespace", l.DUTNamespace, "dir", l.Dir, "took", time.Since(l.started).Round(time.Millisecond))
	return l, nil
}

func (l *Lab) startAll(ctx context.Context, ds []daemon, timeout time.Duration) error {
	for _, d := range ds {
		p, err := startDaemon(l.Dir, d)
		if err != nil {
			return err
		}
		l.procs = append(l.procs, p)
	}
	return waitReady(ctx, l.procs, timeout)
}

// Close stops the daemons, deletes the namespaces and (when Launch made it) the lab directory.
// It may be called more than once.
func (l *Lab) Close() error {
	if l.closed {
		return nil
	}
	l.closed = true
	for i := len(l.procs) - 1; i >= 0; i-- {
		l.procs[i].stop()
	}
	var err error
	if l.topo != nil {
		err = l.topo.tearDown(context.Background())
	}
	l.removeDir()
	l.log.Info("lab stopped", "profile", l.Profile, "namespace", l.DUTNamespace)
	return err
}

func (l *Lab) removeDir() {
	if l.ownDir && l.Dir != "" {
		_ = os.RemoveAll(l.Dir)
	}
}

// Start launches a lab for a test and removes it when the test ends, whether it passed or not.
// The test is skipped when the lab cannot run here (not root, daemons missing), unless
// SIEGEL_TEST_LAB_REQUIRED is set (as CI does): then it fails.
func Start(t testing.TB, profile Profile) *Lab {
	t.Helper()
	skipUnlessAvailable(t, profile)
	l, err := Launch(t.Context(), profile, Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatalf("start lab %s: %v", profile, err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("stop lab %s: %v", profile, err)
		}
	})
	return l
}

// skipUnlessAvailable skips the test when a lab of the profile cannot run here, or fails it when
// SIEGEL_TEST_LAB_REQUIRED is set.
func skipUnlessAvailable(t testing.TB, profile Profile) {
	t.Helper()
	if err := Available(profile); err != nil {
		if os.Getenv("SIEGEL_TEST_LAB_REQUIRED") != "" {
			t.Fatalf("lab %s: %v", profile, err)
		}
		t.Skipf("lab %s unavailable: %v", profile, err)
	}
}
