package labnet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// daemon is one real program the device runs, in the foreground, inside a namespace.
type daemon struct {
	name    string   // short name, also of its log file
	ns      string   // namespace it runs in
	argv    []string // program and arguments; argv[0] is a path or a name on PATH
	env     []string // added to a minimal environment
	listens []socket // sockets it must have opened before the lab counts as started
}

// socket is a listening socket as ss(8) shows it: "tcp" or "udp" and a port.
type socket struct {
	proto string
	port  int
}

func (s socket) String() string { return s.proto + "/" + strconv.Itoa(s.port) }

// process is a started daemon.
type process struct {
	d    daemon
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error
}

// startDaemon starts d with "ip netns exec", its output going to dir/NAME.log. The process gets
// its own process group (so it and its children are stopped together) and SIGKILL when the
// process that started it dies, so a killed test leaves no daemon behind.
func startDaemon(dir string, d daemon) (*process, error) {
	logPath := filepath.Join(dir, d.name+".log")
	lf, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("labnet: %s log: %w", d.name, err)
	}
	defer lf.Close()
	args := append([]string{"netns", "exec", d.ns}, d.argv...)
	cmd := exec.Command("ip", args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=" + dir, "LANG=C"}, d.env...)
	cmd.Stdout = lf
	cmd.Stderr = lf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("labnet: start %s (%s): %w", d.name, strings.Join(d.argv, " "), err)
	}
	p := &process{d: d, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// logTail is the end of the daemon's log, for error messages.
func (p *process) logTail() string {
	b, _ := os.ReadFile(p.log)
	if len(b) > 1500 {
		b = b[len(b)-1500:]
	}
	return strings.TrimSpace(string(b))
}

// stop sends SIGTERM to the daemon's process group and SIGKILL after a grace period.
func (p *process) stop() {
	if p.exited() {
		return
	}
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(3 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
	// Children that left the group (none of ours do) are caught by killNamespace.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
}

// listening returns the TCP and UDP sockets open for listening in the namespace, read with ss(8).
func listening(ctx context.Context, ns string) (map[socket]bool, error) {
	cmd := exec.CommandContext(ctx, "ip", "netns", "exec", ns, "ss", "-Hlntu")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("labnet: ss in %s: %w: %s", ns, err, strings.TrimSpace(errOut.String()))
	}
	got := map[socket]bool{}
	for line := range strings.Lines(out.String()) {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		local := f[4]
		i := strings.LastIndexByte(local, ':')
		if i < 0 {
			continue
		}
		port, err := strconv.Atoi(local[i+1:])
		if err != nil {
			continue
		}
		got[socket{proto: f[0], port: port}] = true
	}
	return got, nil
}

// waitReady waits until every daemon has opened its sockets, failing early (with the daemon's
// log) when one exits, and after timeout otherwise.
func waitReady(ctx context.Context, procs []*process, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		var missing []string
		byNS := map[string]map[socket]bool{}
		for _, p := range procs {
			if p.exited() {
				return fmt.Errorf("labnet: %s exited during start (%v): %s", p.d.name, p.err, p.logTail())
			}
			got, ok := byNS[p.d.ns]
			if !ok {
				var err error
				got, err = listening(ctx, p.d.ns)
				if err != nil {
					return err
				}
				byNS[p.d.ns] = got
			}
			for _, s := range p.d.listens {
				if !got[s] {
					missing = append(missing, p.d.name+" "+s.String())
				}
			}
		}
		if len(missing) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			slices.Sort(missing)
			var logs []string
			for _, p := range procs {
				logs = append(logs, p.d.name+": "+p.logTail())
			}
			return fmt.Errorf("labnet: not listening after %s: %s\n%s", timeout, strings.Join(missing, ", "), strings.Join(logs, "\n"))
		}
		select {
		case <-ctx.Done():
			return errors.Join(ctx.Err(), fmt.Errorf("labnet: waiting for %s", strings.Join(missing, ", ")))
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// writeFiles writes files (relative names) under dir, creating directories; the names in
// executable get mode 0755, the rest 0644.
func writeFiles(dir string, files map[string]string, executable ...string) error {
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("labnet: %w", err)
		}
		mode := os.FileMode(0o644)
		if slices.Contains(executable, name) {
			mode = 0o755
		}
		if err := os.WriteFile(p, []byte(body), mode); err != nil {
			return fmt.Errorf("labnet: write %s: %w", name, err)
		}
	}
	return nil
}

// The daemons both profiles share. Their configuration files are written by the profile.

// upstreamDaemon is the resolver of the WAN segment (upstream.conf).
func upstreamDaemon(l *Lab) daemon {
	return daemon{name: "upstream-dns", ns: l.WANNamespace, argv: []string{"dnsmasq", "-k", "-C", filepath.Join(l.Dir, "upstream.conf")},
		listens: []socket{{"udp", 53}, {"tcp", 53}}}
}

// dnsmasqDaemon is the device's DNS forwarder (dnsmasq.conf).
func dnsmasqDaemon(l *Lab) daemon {
	return daemon{name: "dnsmasq", ns: l.DUTNamespace, argv: []string{"dnsmasq", "-k", "-C", filepath.Join(l.Dir, "dnsmasq.conf")},
		listens: []socket{{"udp", 53}, {"tcp", 53}, {"udp", 67}}}
}

// nginxDaemon is the device's web server (nginx.conf), listening on the TCP ports.
func nginxDaemon(l *Lab, env []string, ports ...int) daemon {
	return daemon{name: "nginx", ns: l.DUTNamespace, env: env, listens: sockets("tcp", ports...),
		argv: []string{"nginx", "-p", l.Dir, "-c", filepath.Join(l.Dir, "nginx.conf"), "-e", filepath.Join(l.Dir, "nginx-error.log")}}
}

func dnsmasqVersion() string {
	return programVersion(`Dnsmasq version (\S+)`, "dnsmasq", "--version")
}

// dnsService is the device's DNS over one transport.
func dnsService(proto string, sides []Side, version string) Service {
	return Service{Name: "domain", Proto: proto, Port: 53, Sides: sides, Product: "dnsmasq", Version: version, VersionShown: true, Package: "dnsmasq-base"}
}

// dhcpService is the device's DHCP server (dnsmasq, IPv4 only).
func dhcpService(sides []Side, version string) Service {
	return Service{Name: "dhcps", Proto: "udp", Port: 67, Sides: sides, Product: "dnsmasq", Version: version, Package: "dnsmasq-base"}
}

// dhcpTruth is what the device's DHCP server tells a client on a side (deviceDnsmasq): the
// device is server, router and DNS server of the segment.
func dhcpTruth(l *Lab, side Side) *DHCP {
	own := l.Address(side)
	return &DHCP{ServerID: own.String(), SubnetMask: "255.255.255.0", Router: own.String(), DNS: own.String(), Domain: "lan"}
}
