package labnet

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Address plan. Every lab gets one index N (0..255), chosen at random among those no interface
// of the root namespace uses yet, and with it:
//
//	LAN   198.18.N.0/24     DUT 198.18.N.1, tester (root namespace) 198.18.N.2
//	WAN   198.19.N.0/24     DUT 198.19.N.1, tester 198.19.N.2, upstream DNS (wan namespace) .254
//	WAN6  2001:2:0:N::/64   DUT ::1, tester ::2, upstream ::fe
//
// 198.18.0.0/15 is the range RFC 2544 sets aside for benchmarking network devices and 2001:2::/48
// its IPv6 counterpart (RFC 5180): neither is routed on the internet nor used by a real network
// here, so a lab never collides with one and a probe that leaks out of it reaches nothing.
var (
	lanBase  = netip.MustParseAddr("198.18.0.0")
	wanBase  = netip.MustParseAddr("198.19.0.0")
	wan6Base = netip.MustParseAddr("2001:2::")
)

// nsPrefix starts the name of every namespace a lab creates; the owner's pid follows, so a lab
// left behind by a process that was killed is found and removed by the next one (sweep).
const nsPrefix = "siegel-lab-"

// lockPath serialises address allocation and sweeping between processes (tests of several
// packages may start labs at the same time).
const lockPath = "/run/lock/siegel-labnet.lock"

// topology is what setUp created, kept for tearDown.
type topology struct {
	tag      string // 6 hex digits, in every name
	index    int    // N of the address plan
	dutNS    string
	wanNS    string
	rootLAN  string // root-namespace end of the LAN veth
	rootWAN  string // root-namespace end of the WAN veth
	lanDUT   netip.Addr
	lanTest  netip.Addr
	wanDUT   netip.Addr
	wanTest  netip.Addr
	wanUp    netip.Addr
	wan6DUT  netip.Addr
	wan6Test netip.Addr
	wan6Up   netip.Addr
}

func addr4(base netip.Addr, n, host int) netip.Addr {
	b := base.As4()
	b[2] = byte(n)
	b[3] = byte(host)
	return netip.AddrFrom4(b)
}

func addr6(n, host int) netip.Addr {
	b := wan6Base.As16()
	b[6] = byte(n >> 8)
	b[7] = byte(n)
	b[14] = byte(host >> 8)
	b[15] = byte(host)
	return netip.AddrFrom16(b)
}

// run executes a command and returns its error together with its output.
func run(ctx context.Context, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return nil
}

// withLock runs f while holding the allocation lock.
func withLock(f func() error) error {
	if err := os.MkdirAll(filepath.Dir(lockPath), 0o755); err != nil {
		return fmt.Errorf("labnet: lock directory: %w", err)
	}
	lf, err := os.OpenFile(lockPath, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("labnet: lock: %w", err)
	}
	defer lf.Close()
	if err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("labnet: lock: %w", err)
	}
	defer syscall.Flock(int(lf.Fd()), syscall.LOCK_UN)
	return f()
}

// usedIndexes returns the N of the address plan that root-namespace interfaces already hold.
func usedIndexes() (map[int]bool, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil, fmt.Errorf("labnet: list addresses: %w", err)
	}
	used := map[int]bool{}
	for _, a := range addrs {
		p, err := netip.ParsePrefix(a.String())
		if err != nil {
			continue
		}
		ip := p.Addr()
		if ip.Is4() {
			b := ip.As4()
			if b[0] == 198 && (b[1] == 18 || b[1] == 19) {
				used[int(b[2])] = true
			}
		}
	}
	return used, nil
}

// sweep removes labs whose owning process is gone: their daemons are killed and their
// namespaces deleted. It runs under the lock before every allocation.
func sweep(ctx context.Context) {
	entries, err := os.ReadDir("/run/netns")
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, nsPrefix) {
			continue
		}
		rest := strings.TrimPrefix(name, nsPrefix)
		pidText, _, ok := strings.Cut(rest, "-")
		if !ok {
			continue
		}
		pid, err := strconv.Atoi(pidText)
		if err != nil || pid <= 0 || processAlive(pid) {
			continue
		}
		killNamespace(ctx, name)
		_ = run(ctx, "ip", "netns", "del", name)
	}
}

// processAlive reports whether the process exists and is not a zombie (a dead process whose
// parent, often init after its own parent died, has not collected it yet).
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	if err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// The state follows the command name in parentheses, which may itself hold ") ".
	i := bytes.LastIndexByte(stat, ')')
	return i < 0 || i+2 >= len(stat) || (stat[i+2] != 'Z' && stat[i+2] != 'X')
}

// killNamespace sends SIGKILL to every process still inside the namespace.
func killNamespace(ctx context.Context, ns string) {
	out, err := exec.CommandContext(ctx, "ip", "netns", "pids", ns).Output()
	if err != nil {
		return
	}
	for _, f := range strings.Fields(string(out)) {
		if pid, err := strconv.Atoi(f); err == nil && pid > 1 && pid != os.Getpid() {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// setUp creates the namespaces, links and addresses of one lab. On error it removes what it made.
func setUp(ctx context.Context) (*topology, error) {
	tb := make([]byte, 3)
	if _, err := rand.Read(tb); err != nil {
		return nil, fmt.Errorf("labnet: random tag: %w", err)
	}
	t := &topology{tag: hex.EncodeToString(tb)}
	t.dutNS = fmt.Sprintf("%s%d-%s-dut", nsPrefix, os.Getpid(), t.tag)
	t.wanNS = fmt.Sprintf("%s%d-%s-wan", nsPrefix, os.Getpid(), t.tag)
	t.rootLAN = "sl" + t.tag + "l"
	t.rootWAN = "sl" + t.tag + "w"

	err := withLock(func() error {
		sweep(ctx)
		used, err := usedIndexes()
		if err != nil {
			return err
		}
		if len(used) >= 256 {
			return errors.New("labnet: every address block of 198.18.0.0/15 is in use; remove stale labs ('ip netns list')")
		}
		for {
			n, err := rand.Int(rand.Reader, big.NewInt(256))
			if err != nil {
				return fmt.Errorf("labnet: random index: %w", err)
			}
			if !used[int(n.Int64())] {
				t.index = int(n.Int64())
				break
			}
		}
		t.lanDUT, t.lanTest = addr4(lanBase, t.index, 1), addr4(lanBase, t.index, 2)
		t.wanDUT, t.wanTest, t.wanUp = addr4(wanBase, t.index, 1), addr4(wanBase, t.index, 2), addr4(wanBase, t.index, 254)
		t.wan6DUT, t.wan6Test, t.wan6Up = addr6(t.index, 1), addr6(t.index, 2), addr6(t.index, 0xfe)
		// The addresses are assigned under the lock, so the next allocation sees them.
		return t.build(ctx)
	})
	if err != nil {
		t.tearDown(context.WithoutCancel(ctx))
		return nil, err
	}
	return t, nil
}

// build runs the ip commands. The root namespace is the tester: one veth leads straight to the
// DUT's lan0, the other to a bridge in the wan namespace that the DUT's wan0 also hangs on (the
// "internet" segment, where the upstream resolver lives).
func (t *topology) build(ctx context.Context) error {
	cmds := [][]string{
		{"netns", "add", t.dutNS},
		{"netns", "add", t.wanNS},
		{"link", "add", t.rootLAN, "type", "veth", "peer", "name", "lan0", "netns", t.dutNS},
		{"link", "add", t.rootWAN, "type", "veth", "peer", "name", "up0", "netns", t.wanNS},
		{"-n", t.wanNS, "link", "add", "dut0", "type", "veth", "peer", "name", "wan0", "netns", t.dutNS},
		{"-n", t.wanNS, "link", "add", "br0", "type", "bridge", "stp_state", "0", "forward_delay", "0"},
		{"-n", t.wanNS, "link", "set", "up0", "master", "br0"},
		{"-n", t.wanNS, "link", "set", "dut0", "master", "br0"},
	}
	for _, c := range cmds {
		if err := run(ctx, "ip", c...); err != nil {
			return fmt.Errorf("labnet: create lab %s: %w", t.tag, err)
		}
	}
	// IPv6 only where the plan has it (the WAN segment); no router advertisements or duplicate
	// address detection, which would only delay the lab.
	root := map[string]string{
		"net/ipv6/conf/" + t.rootLAN + "/disable_ipv6": "1",
		"net/ipv6/conf/" + t.rootWAN + "/accept_ra":    "0",
		"net/ipv6/conf/" + t.rootWAN + "/accept_dad":   "0",
	}
	for k, v := range root {
		if err := os.WriteFile("/proc/sys/"+k, []byte(v), 0o644); err != nil {
			return fmt.Errorf("labnet: sysctl %s: %w", k, err)
		}
	}
	// The device answers a closed UDP port with "port unreachable" every time, instead of the
	// kernel's default of about one a second per peer: a UDP scan then sees "closed" for what
	// is closed, reliably, and ground truth can be compared port by port.
	if err := run(ctx, "ip", "netns", "exec", t.dutNS, "sysctl", "-q", "-w",
		"net.ipv6.conf.lan0.disable_ipv6=1", "net.ipv6.conf.wan0.accept_ra=0", "net.ipv6.conf.wan0.accept_dad=0",
		"net.ipv4.ip_forward=1", "net.ipv4.icmp_ratelimit=0", "net.ipv6.icmp.ratelimit=0"); err != nil {
		return fmt.Errorf("labnet: sysctl in %s: %w", t.dutNS, err)
	}
	if err := run(ctx, "ip", "netns", "exec", t.wanNS, "sysctl", "-q", "-w",
		"net.ipv6.conf.br0.accept_ra=0", "net.ipv6.conf.br0.accept_dad=0"); err != nil {
		return fmt.Errorf("labnet: sysctl in %s: %w", t.wanNS, err)
	}
	cmds = [][]string{
		{"addr", "add", t.lanTest.String() + "/24", "dev", t.rootLAN},
		{"addr", "add", t.wanTest.String() + "/24", "dev", t.rootWAN},
		{"addr", "add", t.wan6Test.String() + "/64", "dev", t.rootWAN, "nodad"},
		{"link", "set", t.rootLAN, "up"},
		{"link", "set", t.rootWAN, "up"},
		{"-n", t.dutNS, "link", "set", "lo", "up"},
		{"-n", t.dutNS, "addr", "add", t.lanDUT.String() + "/24", "dev", "lan0"},
		{"-n", t.dutNS, "addr", "add", t.wanDUT.String() + "/24", "dev", "wan0"},
		{"-n", t.dutNS, "addr", "add", t.wan6DUT.String() + "/64", "dev", "wan0", "nodad"},
		{"-n", t.dutNS, "link", "set", "lan0", "up"},
		{"-n", t.dutNS, "link", "set", "wan0", "up"},
		{"-n", t.dutNS, "route", "add", "default", "via", t.wanUp.String()},
		{"-n", t.dutNS, "-6", "route", "add", "default", "via", t.wan6Up.String()},
		{"-n", t.wanNS, "link", "set", "lo", "up"},
		{"-n", t.wanNS, "addr", "add", t.wanUp.String() + "/24", "dev", "br0"},
		{"-n", t.wanNS, "addr", "add", t.wan6Up.String() + "/64", "dev", "br0", "nodad"},
		{"-n", t.wanNS, "link", "set", "up0", "up"},
		{"-n", t.wanNS, "link", "set", "dut0", "up"},
		{"-n", t.wanNS, "link", "set", "br0", "up"},
	}
	for _, c := range cmds {
		if err := run(ctx, "ip", c...); err != nil {
			return fmt.Errorf("labnet: configure lab %s: %w", t.tag, err)
		}
	}
	return nil
}

// tearDown kills whatever still runs in the lab's namespaces and deletes them; the veth ends in
// the root namespace go with their peers. It is safe on a half-built topology.
func (t *topology) tearDown(ctx context.Context) error {
	var errs []error
	for _, ns := range []string{t.dutNS, t.wanNS} {
		if _, err := os.Stat("/run/netns/" + ns); err != nil {
			continue
		}
		killNamespace(ctx, ns)
		// A killed process leaves the namespace a moment later; deleting the name is fine before.
		if err := run(ctx, "ip", "netns", "del", ns); err != nil {
			errs = append(errs, err)
		}
	}
	for _, l := range []string{t.rootLAN, t.rootWAN} {
		if _, err := net.InterfaceByName(l); err == nil {
			_ = run(ctx, "ip", "link", "del", l)
		}
	}
	// Wait (briefly) until the kernel has destroyed the root-side links, so a caller that checks
	// for leftovers right after Close sees none.
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		_, e1 := net.InterfaceByName(t.rootLAN)
		_, e2 := net.InterfaceByName(t.rootWAN)
		if e1 != nil && e2 != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.Join(errs...)
}
