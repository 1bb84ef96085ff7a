package labnet

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/firmware"
)

// TestMirai checks the Mirai-era router's ground truth against the reference tools.
func TestMirai(t *testing.T) {
	t.Parallel()
	l := Start(t, Mirai)
	checkReferenceTools(t, l)
	t.Run("firmware", func(t *testing.T) { checkFirmwareKey(t, l) })
	t.Run("http-credentials", func(t *testing.T) { checkHTTPCredentials(t, l) })
	t.Run("telnet-credentials", func(t *testing.T) { checkTelnet(t, l) })
	t.Run("admin", func(t *testing.T) { checkAdmin(t, l, func(AdminPage) bool { return true }) })
	t.Run("no-brute-force-limit", func(t *testing.T) { checkNoLimit(t, l) })
	t.Run("snmp", func(t *testing.T) { checkSNMP(t, l) })
	t.Run("dns", func(t *testing.T) { checkDNS(t, l) })
	t.Run("upnp", func(t *testing.T) { checkUPnP(t, l) })
	t.Run("dhcp", func(t *testing.T) { checkDHCP(t, l) })
	t.Run("update", func(t *testing.T) { checkUpdate(t, l) })
}

// checkReferenceTools compares the truth with nmap (open ports on every side), testssl.sh
// (offered TLS versions) and openssl (the served key), nmap and testssl.sh in parallel.
func checkReferenceTools(t *testing.T, l *Lab) {
	t.Run("nmap", func(t *testing.T) {
		t.Parallel()
		requireTool(t, "nmap")
		checkNmap(t, l)
	})
	t.Run("testssl", func(t *testing.T) {
		t.Parallel()
		requireTool(t, "testssl")
		checkTestssl(t, l)
	})
	t.Run("versions", func(t *testing.T) {
		t.Parallel()
		requireTool(t, "nmap")
		checkVersions(t, l)
	})
	t.Run("certificate", func(t *testing.T) { checkServedKey(t, l) })
}

// checkTestssl compares the protocol versions testssl.sh finds offered with the truth.
func checkTestssl(t *testing.T, l *Lab) {
	for _, ts := range l.Truth.TLS {
		out := filepath.Join(t.TempDir(), "testssl.json")
		target := net.JoinHostPort(l.LAN.String(), strconv.Itoa(ts.Port))
		cmd := exec.CommandContext(t.Context(), "testssl", "--protocols", "--quiet", "--warnings", "off",
			"--color", "0", "--nodns", "none", "--jsonfile", out, target)
		var log bytes.Buffer
		cmd.Stdout, cmd.Stderr = &log, &log
		if err := cmd.Run(); err != nil {
			t.Fatalf("testssl %s: %v\n%s", target, err, log.String())
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		var findings []struct {
			ID      string `json:"id"`
			Finding string `json:"finding"`
		}
		if err := json.Unmarshal(b, &findings); err != nil {
			t.Fatalf("testssl JSON: %v", err)
		}
		got := map[string]string{}
		for _, f := range findings {
			got[f.ID] = f.Finding
		}
		for _, v := range ts.Versions {
			if !strings.HasPrefix(got[v], "offered") {
				t.Errorf("port %d: testssl says %s %q, truth says offered", ts.Port, v, got[v])
			}
		}
		for _, v := range append([]string{"SSLv2", "SSLv3"}, ts.NotOffered...) {
			if !strings.HasPrefix(got[v], "not offered") {
				t.Errorf("port %d: testssl says %s %q, truth says not offered", ts.Port, v, got[v])
			}
		}
	}
}

// servedCertificate fetches the certificate with openssl s_client (the reference client).
func servedCertificate(t *testing.T, addr netip.Addr, port int) *x509.Certificate {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "openssl", "s_client", "-connect", net.JoinHostPort(addr.String(), strconv.Itoa(port)),
		"-cipher", "DEFAULT:@SECLEVEL=0", "-showcerts")
	cmd.Stdin = strings.NewReader("")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("openssl s_client: %v\n%s", err, out)
	}
	block, _ := pem.Decode(out[bytes.Index(out, []byte("-----BEGIN CERTIFICATE-----")):])
	if block == nil {
		t.Fatalf("no certificate from %s:%d:\n%s", addr, port, out)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// checkServedKey compares the key and certificate the device serves with the truth.
func checkServedKey(t *testing.T, l *Lab) {
	requireTool(t, "openssl")
	for _, ts := range l.Truth.TLS {
		c := servedCertificate(t, l.LAN, ts.Port)
		if got := spkiSHA256(c); got != ts.SPKISHA256 {
			t.Errorf("port %d: served SPKI SHA-256 %s, truth %s", ts.Port, got, ts.SPKISHA256)
		}
		if !c.NotAfter.Equal(ts.NotAfter) {
			t.Errorf("port %d: served certificate expires %s, truth %s", ts.Port, c.NotAfter, ts.NotAfter)
		}
	}
}

// checkFirmwareKey runs the firmware analysis on the device's image and checks that it finds the
// key the device serves, under the same fingerprint.
func checkFirmwareKey(t *testing.T, l *Lab) {
	fw := l.Truth.Firmware
	if fw == nil {
		t.Fatal("no firmware in the truth")
	}
	data, err := os.ReadFile(fw.Image)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := firmware.Analyze(t.Context(), filepath.Base(fw.Image), data, firmware.Options{Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	var inFirmware []string
	for _, ts := range l.Truth.TLS {
		if ts.InFirmware {
			inFirmware = append(inFirmware, ts.SPKISHA256)
		}
	}
	if len(inFirmware) == 0 {
		t.Fatal("the truth names no key that sits in the firmware")
	}
	for _, spki := range inFirmware {
		found := false
		for _, w := range rep.Weaknesses {
			if w.Rule == "private-key" && strings.HasSuffix(w.Path, fw.KeyPath) && strings.Contains(w.Evidence, spki) {
				found = true
			}
		}
		if !found {
			t.Errorf("the firmware analysis does not report the key %s at %s; weaknesses: %+v", spki, fw.KeyPath, rep.Weaknesses)
		}
	}
}

// checkHTTPCredentials tries the truth's HTTP logins with curl.
func checkHTTPCredentials(t *testing.T, l *Lab) {
	requireTool(t, "curl")
	for _, c := range l.Truth.Credentials {
		if c.Service != "http-basic" {
			continue
		}
		scheme := "http"
		if c.TLS {
			scheme = "https"
		}
		url := scheme + "://" + net.JoinHostPort(l.LAN.String(), strconv.Itoa(c.Port)) + c.Path
		// -k: the device's certificate is self-signed; --ciphers: it offers only weak ones.
		out, err := exec.CommandContext(t.Context(), "curl", "-sk", "--ciphers", "DEFAULT:@SECLEVEL=0", "-o", "/dev/null",
			"-w", "%{http_code}", "-u", c.User+":"+c.Password, url).Output()
		if err != nil {
			t.Fatalf("curl %s: %v", url, err)
		}
		code := string(out)
		if c.Works && code != "200" {
			t.Errorf("%s as %s: status %s, truth says the login works", url, c.User, code)
		}
		if !c.Works && code != "401" {
			t.Errorf("%s as %s: status %s, truth says the login fails", url, c.User, code)
		}
	}
}

// checkTelnet logs in to the telnet service with each of the truth's credentials.
func checkTelnet(t *testing.T, l *Lab) {
	for _, c := range l.Truth.Credentials {
		if c.Service != "telnet" {
			continue
		}
		if dialogue, ok := telnetLogin(t, l, c); !ok {
			t.Errorf("telnet %s/%s (works=%v): unexpected dialogue %q", c.User, c.Password, c.Works, dialogue)
		}
	}
}

// telnetLogin tries one credential in a new connection and reports whether the device did what
// the credential's Works says: a shell that runs a command, or "Login incorrect". The exchange
// is plain bytes: busybox telnetd opens with option negotiation the client may leave unanswered.
func telnetLogin(t *testing.T, l *Lab, c Credential) ([]byte, bool) {
	conn, err := net.DialTimeout("tcp", net.JoinHostPort(l.LAN.String(), strconv.Itoa(c.Port)), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	var seen []byte
	expect := func(s string) bool {
		buf := make([]byte, 512)
		for !bytes.Contains(seen, []byte(s)) {
			n, err := conn.Read(buf)
			if err != nil {
				return false
			}
			seen = append(seen, buf[:n]...)
		}
		return true
	}
	if !expect("login: ") {
		return seen, false
	}
	conn.Write([]byte(c.User + "\r\n"))
	if !expect("Password: ") {
		return seen, false
	}
	conn.Write([]byte(c.Password + "\r\n"))
	if !c.Works {
		return seen, expect("Login incorrect")
	}
	if !expect("# ") {
		return seen, false
	}
	conn.Write([]byte("echo lab-$((6*7))\r\n"))
	return seen, expect("lab-42")
}

// checkNoLimit proves the truth's "no brute-force limit": after a run of wrong passwords in
// quick succession the right one still works, on every login the truth calls unlimited.
func checkNoLimit(t *testing.T, l *Lab) {
	const wrong = 12
	for _, b := range l.Truth.BruteForce {
		if b.Limited {
			continue
		}
		var good *Credential
		for i, c := range l.Truth.Credentials {
			if c.Service == b.Service && c.Port == b.Port && c.Works {
				good = &l.Truth.Credentials[i]
			}
		}
		if good == nil {
			t.Fatalf("no working credential for %s/%d", b.Service, b.Port)
		}
		bad := *good
		bad.Password, bad.Works = good.Password+"-wrong", false
		for range wrong {
			switch b.Service {
			case "telnet":
				if d, ok := telnetLogin(t, l, bad); !ok {
					t.Fatalf("telnet with a wrong password: %q", d)
				}
			case "http-basic":
				page := AdminPage{Port: b.Port, Path: b.Path, TLS: good.TLS}
				if got := adminGet(t, l, page, &bad).StatusCode; got != 401 {
					t.Fatalf("%d%s with a wrong password: status %d", b.Port, b.Path, got)
				}
			}
		}
		switch b.Service {
		case "telnet":
			if d, ok := telnetLogin(t, l, *good); !ok {
				t.Errorf("telnet after %d wrong passwords: the right one fails: %q", wrong, d)
			}
		case "http-basic":
			page := AdminPage{Port: b.Port, Path: b.Path, TLS: good.TLS}
			if got := adminGet(t, l, page, good).StatusCode; got != 200 {
				t.Errorf("%d%s after %d wrong passwords: the right one gets status %d", b.Port, b.Path, wrong, got)
			}
		}
	}
}

// TestCloseLeavesNothing starts a lab, closes it and looks for anything left: namespaces, links
// of the root namespace, daemon processes, the lab directory.
func TestCloseLeavesNothing(t *testing.T) {
	skipUnlessAvailable(t, Mirai)
	l, err := Launch(t.Context(), Mirai, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, p := range l.procs {
		pids = append(pids, p.cmd.Process.Pid)
	}
	if len(pids) == 0 {
		t.Fatal("the lab started no daemon")
	}
	topo, dir := l.topo, l.Dir
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	checkGone(t, topo, dir, pids)
}

func checkGone(t *testing.T, topo *topology, dir string, pids []int) {
	t.Helper()
	for _, ns := range []string{topo.dutNS, topo.wanNS} {
		if _, err := os.Stat("/run/netns/" + ns); err == nil {
			t.Errorf("namespace %s still exists", ns)
		}
	}
	for _, link := range []string{topo.rootLAN, topo.rootWAN} {
		if _, err := net.InterfaceByName(link); err == nil {
			t.Errorf("link %s still exists", link)
		}
	}
	for _, pid := range pids {
		if processAlive(pid) {
			t.Errorf("daemon process %d still runs", pid)
		}
	}
	if dir != "" {
		if _, err := os.Stat(dir); err == nil {
			t.Errorf("lab directory %s still exists", dir)
		}
	}
	// The tester's addresses went with the links. (Whether the address block is free is not
	// asked: another process's lab may already have taken it.)
}

// TestSweepRemovesOrphans leaves a lab behind as a killed process would (namespaces named after
// a process that no longer exists, a daemon still running in one) and checks that the next
// allocation removes it.
func TestSweepRemovesOrphans(t *testing.T) {
	skipUnlessAvailable(t, Mirai)
	// A process id that is free now: a child that has exited and been reaped.
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	pid := dead.Process.Pid
	if processAlive(pid) {
		t.Skipf("pid %d was reused at once", pid)
	}
	ns := nsPrefix + strconv.Itoa(pid) + "-0rphan-dut"
	if err := run(t.Context(), "ip", "netns", "add", ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = run(t.Context(), "ip", "netns", "del", ns) })
	sleeper := exec.Command("ip", "netns", "exec", ns, "sleep", "600")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { sleeper.Wait(); close(done) }()
	// Sweep only once the process has entered the namespace, as a daemon of a real lab has.
	in := false
	for deadline := time.Now().Add(10 * time.Second); !in && time.Now().Before(deadline); {
		out, _ := exec.Command("ip", "netns", "pids", ns).Output()
		in = slices.Contains(strings.Fields(string(out)), strconv.Itoa(sleeper.Process.Pid))
		if !in {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if !in {
		sleeper.Process.Kill()
		t.Fatal("the process never entered the namespace")
	}

	topo, err := setUp(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := topo.tearDown(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat("/run/netns/" + ns); err == nil {
		t.Errorf("orphaned namespace %s survived the sweep", ns)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Errorf("the daemon in the orphaned namespace still runs")
		sleeper.Process.Kill()
	}
	checkGone(t, topo, "", nil)
}

// TestFailedStartLeavesNothing makes a daemon fail (it exits without opening its socket) next
// to one that works, and checks that the start returns an error naming it and that Close removes
// everything.
func TestFailedStartLeavesNothing(t *testing.T) {
	skipUnlessAvailable(t, Mirai)
	topo, err := setUp(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	l := &Lab{Profile: Mirai, Dir: t.TempDir(), topo: topo, log: slog.New(slog.DiscardHandler), DUTNamespace: topo.dutNS}
	ds := []daemon{
		{name: "first", ns: topo.dutNS, argv: []string{"busybox", "httpd", "-f", "-p", "8080", "-h", l.Dir}, listens: sockets("tcp", 8080)},
		{name: "second", ns: topo.dutNS, argv: []string{"sh", "-c", "echo cannot start >&2; exit 3"}, listens: sockets("tcp", 8081)},
	}
	err = l.startAll(t.Context(), ds, 10*time.Second)
	var pids []int
	for _, p := range l.procs {
		pids = append(pids, p.cmd.Process.Pid)
	}
	cerr := l.Close()
	if err == nil || !strings.Contains(err.Error(), "second") {
		t.Errorf("start error = %v, want one naming the daemon that failed", err)
	}
	if cerr != nil {
		t.Errorf("Close: %v", cerr)
	}
	checkGone(t, topo, "", pids)
}

// TestOpenFromServices checks that the open ports of each side follow from the services:
// sorted, unique, and empty (not nil) where nothing is open.
func TestOpenFromServices(t *testing.T) {
	svcs := []Service{
		{Name: "a", Proto: "tcp", Port: 80, Sides: []Side{LAN, WAN}},
		{Name: "b", Proto: "tcp", Port: 22, Sides: []Side{LAN}},
		{Name: "c", Proto: "udp", Port: 53, Sides: []Side{LAN, WAN6}},
	}
	open := openFromServices(svcs)
	want := map[Side]Ports{
		LAN:  {TCP: []int{22, 80}, UDP: []int{53}},
		WAN:  {TCP: []int{80}, UDP: []int{}},
		WAN6: {TCP: []int{}, UDP: []int{53}},
	}
	for _, s := range Sides {
		if !slices.Equal(open[s].TCP, want[s].TCP) || !slices.Equal(open[s].UDP, want[s].UDP) {
			t.Errorf("%s: got %+v, want %+v", s, open[s], want[s])
		}
	}
}
