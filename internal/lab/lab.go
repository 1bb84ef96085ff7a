// Package lab runs network tests against a device under test on a lab network and turns what
// it sees into evidence for the requirement catalogs: which services answer (TCP and the UDP
// services of routers and IoT devices) and what they say about themselves, whether default
// credentials open them, whether logins slow down or lock after failures, what TLS and SSH
// offer, what answers from the WAN side, and whether configuration pages need a login.
//
// Safety comes first: every probe goes through one prober that refuses any address outside the
// allowed ranges (there is no default range), keeps a global rate, and writes every probe to
// the transcript (and to the log); the whole run is bounded in time. The transcript's SHA-256
// is what evidence cites.
package lab

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// Schema names the version of Result's JSON form.
const Schema = "siegel-lab-run/1"

// Config is one lab run.
type Config struct {
	Target     string   // the device's LAN address (or name)
	WANTargets []string // its WAN addresses, IPv4 and IPv6 (optional)
	Scope      Scope    // required: probes go nowhere else
	Rate       float64  // probes per second, all kinds together; <= 0 means DefaultRate
	Timeout    time.Duration
	// ConnectTimeout bounds one connection attempt or one UDP wait.
	ConnectTimeout time.Duration
	Concurrency    int   // parallel TCP connects of the port scan
	TCPPorts       []int // nil: the 1,000 most common TCP ports
	// UDPPorts overrides the port of a UDP service by name (dns, ntp, snmp, ssdp, mdns, tftp, natpmp, dhcp; dhcp-client is the
	// local port DHCP answers come to).
	UDPPorts map[string]int
	// Credentials are tried on every login service, in order (vendor defaults first, then
	// the Mirai list); MaxLogins bounds the attempts per service.
	Credentials []Credential
	MaxLogins   int
	// BruteForceAttempts is how many wrong logins measure brute-force protection (0: do not
	// measure); LockoutWatch is how long a lock is watched for release.
	BruteForceAttempts int
	LockoutWatch       time.Duration
	// Firmware is what the firmware analysis of the same release found (optional).
	Firmware *FirmwareFacts
	// Update makes the lab the device's update server for the run (optional; see update.go).
	Update *UpdateServer
	Log    *slog.Logger
	Now    func() time.Time
	// Progress, when set, is told the stage the run is in (for a job's progress).
	Progress func(stage string)
	// Dial and ListenPacket replace the network functions (nil: the host's); a lab harness
	// uses them to probe from inside a network namespace.
	Dial         func(ctx context.Context, network, addr string) (net.Conn, error)
	ListenPacket func(ctx context.Context, network, addr string) (net.PacketConn, error)
}

// Defaults of a run.
const (
	DefaultRate        = 1000
	DefaultTimeout     = 5 * time.Minute
	DefaultConnect     = 1500 * time.Millisecond
	DefaultConcurrency = 128
	DefaultMaxLogins   = 12
	DefaultBruteForce  = 10
	DefaultLockWatch   = 10 * time.Second
)

// Credential is a user name and password to try.
type Credential struct {
	User     string `json:"user"`
	Password string `json:"password"`
	Source   string `json:"source"` // mirai, a vendor, firmware
}

// Result is everything one run saw.
type Result struct {
	Schema           string         `json:"schema"`
	Target           string         `json:"target"`
	Addresses        []string       `json:"addresses"`
	WANTargets       []string       `json:"wanTargets,omitempty"`
	Allowed          []string       `json:"allowed"`
	Started          time.Time      `json:"started"`
	Finished         time.Time      `json:"finished"`
	Seconds          float64        `json:"seconds"`
	PortsScanned     int            `json:"portsScanned"`
	Services         []Service      `json:"services"`
	Logins           []LoginResult  `json:"logins"`
	BruteForce       []BruteForce   `json:"bruteForce"`
	TLS              []TLSService   `json:"tls"`
	SSH              []SSHService   `json:"ssh"`
	Admin            []AdminResult  `json:"admin"`
	Input            []InputResult  `json:"input"`
	WAN              []WANSide      `json:"wan,omitempty"`
	Checks           []Check        `json:"checks"`
	NotTested        []string       `json:"notTested"`
	Transcript       []Event        `json:"transcript"`
	TranscriptSHA256 string         `json:"transcriptSha256"`
	Firmware         *FirmwareFacts `json:"firmware,omitempty"`
	Update           *UpdateResult  `json:"update,omitempty"`
}

// Run runs the tests of cfg and returns what they saw. Errors are refusals (scope, no
// target) and cancellation before anything ran; a probe that fails is an observation.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Progress == nil {
		cfg.Progress = func(string) {}
	}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return time.Now().UTC() }
	}
	if cfg.Rate <= 0 {
		cfg.Rate = DefaultRate
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = DefaultConnect
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.MaxLogins == 0 {
		cfg.MaxLogins = DefaultMaxLogins
	}
	if cfg.LockoutWatch == 0 {
		cfg.LockoutWatch = DefaultLockWatch
	}
	if cfg.Target == "" {
		return nil, fmt.Errorf("no target: name the device under test")
	}
	addrs, err := cfg.Scope.Resolve(ctx, cfg.Target)
	if err != nil {
		return nil, err
	}
	var wan []netip.Addr
	for _, w := range cfg.WANTargets {
		a, err := cfg.Scope.Resolve(ctx, w)
		if err != nil {
			return nil, fmt.Errorf("--wan-target: %w", err)
		}
		wan = append(wan, a...)
	}
	ctx, cancel := context.WithTimeoutCause(ctx, cfg.Timeout, fmt.Errorf("the run took longer than its time bound %s", cfg.Timeout))
	defer cancel()

	p := newProber(cfg.Scope, cfg.Rate, cfg.Log, cfg.Now)
	if cfg.Dial != nil {
		p.dial = cfg.Dial
	}
	if cfg.ListenPacket != nil {
		p.listenU = cfg.ListenPacket
	}
	r := &Result{Schema: Schema, Target: cfg.Target, Started: cfg.Now(), Firmware: cfg.Firmware,
		Logins: []LoginResult{}, BruteForce: []BruteForce{}, TLS: []TLSService{}, SSH: []SSHService{}, Admin: []AdminResult{}, Input: []InputResult{}}
	for _, a := range cfg.Scope {
		r.Allowed = append(r.Allowed, a.String())
	}
	for _, a := range wan {
		r.WANTargets = append(r.WANTargets, a.String())
	}
	for _, a := range addrs {
		r.Addresses = append(r.Addresses, a.String())
	}
	ports := cfg.TCPPorts
	if ports == nil {
		ports = TopTCPPorts(len(topTCPPorts))
	}
	r.PortsScanned = len(ports)
	e := &engine{cfg: cfg, p: p}
	startedAt := time.Now()
	cfg.Log.Info("lab run started", "target", cfg.Target, "addresses", r.Addresses, "wan", r.WANTargets, "tcp_ports", len(ports), "rate", cfg.Rate)

	// The update server listens from the start: the device checks on its own schedule.
	var upd *updateServer
	if cfg.Update != nil {
		if upd, err = startUpdateServer(*cfg.Update, cfg.Scope, p); err != nil {
			r.Update = &UpdateResult{Listen: cfg.Update.Listen, TLS: cfg.Update.TLS, Error: err.Error()}
			cfg.Log.Warn("update server not started", "err", err)
		} else {
			cfg.Log.Info("update server listening", "listen", cfg.Update.Listen, "tls", cfg.Update.TLS)
		}
	}

	// The LAN side: services first, then what runs on them.
	target := addrs[0]
	var wg sync.WaitGroup
	wanSides := make([]WANSide, len(wan))
	for i, a := range wan {
		wg.Go(func() { wanSides[i] = e.wanSide(ctx, a, ports) })
	}
	cfg.Progress(fmt.Sprintf("scanning %d TCP ports and the UDP services of %s (and %d WAN addresses)", len(ports), target, len(wan)))
	r.Services = e.discover(ctx, target, ports)
	cfg.Progress(fmt.Sprintf("%d services on %s: trying logins, measuring brute-force protection, TLS, SSH and the web interface", len(r.Services), target))
	e.deepen(ctx, target, r)
	cfg.Progress("waiting for the WAN side")
	wg.Wait()
	r.WAN = wanSides
	if upd != nil {
		watch := cfg.Update.Watch
		if watch <= 0 {
			watch = DefaultUpdateWatch
		}
		cfg.Progress("waiting for the device's update checks")
		upd.wait(ctx, startedAt.Add(watch))
		u := upd.stop()
		r.Update = &u
	}
	r.NotTested = append(r.NotTested, e.notTested()...)
	if err := context.Cause(ctx); err != nil && ctx.Err() != context.Canceled {
		r.NotTested = append(r.NotTested, "the run stopped early: "+err.Error()+"; what did not run is not tested")
	}
	r.Checks = evaluate(r)
	r.Finished = cfg.Now()
	r.Seconds = r.Finished.Sub(r.Started).Seconds()
	r.Transcript = p.transcript()
	slices.SortFunc(r.Transcript, func(a, b Event) int { return a.Seq - b.Seq })
	r.TranscriptSHA256 = Digest(r.Transcript)
	cfg.Log.Info("lab run finished", "seconds", r.Seconds, "probes", len(r.Transcript), "transcript_sha256", r.TranscriptSHA256)
	return r, nil
}

// TopTCPPorts returns the n most common TCP ports (n at most 1,000).
func TopTCPPorts(n int) []int {
	n = min(n, len(topTCPPorts))
	out := make([]int, n)
	for i := range n {
		out[i] = int(topTCPPorts[i])
	}
	return out
}

// engine carries one run's state.
type engine struct {
	cfg Config
	p   *prober

	mu         sync.Mutex
	gaps       []string
	dhcpProbed map[netip.Addr]bool
}

// skip records something the run could not test, and why.
func (e *engine) skip(format string, args ...any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := fmt.Sprintf(format, args...)
	if !slices.Contains(e.gaps, s) {
		e.gaps = append(e.gaps, s)
	}
}

func (e *engine) notTested() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.gaps)
}
