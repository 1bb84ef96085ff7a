package cli

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/firmware"
	"github.com/siegel-oss/siegel/internal/lab"
)

var labFormats = []string{"text", "json", "sarif"}

func labCommand() *Command {
	return &Command{
		Name:    "lab",
		Summary: "test a device under test on a lab network: services, logins, TLS, SSH, exposure",
		Example: `siegel lab run --allow 192.168.1.0/24 --target 192.168.1.1`,
		Sub:     []*Command{labRunCommand()},
	}
}

func labRunCommand() *Command {
	var allow, wan, udpPorts stringList
	var target, ports, format, failOn, fwFile, credFile string
	var updListen, updFiles, updImage, updVersions, updCert, updKey string
	var updTLS bool
	var updWatch time.Duration
	var rate float64
	var timeout, connect, lockWatch time.Duration
	var concurrency, maxLogins, bruteForce int
	var noDefaults bool
	return &Command{
		Name:    "run",
		Summary: "probe a device under test and report what it shows on the wire",
		Help: `Runs network tests against a device under test from the host Siegel runs on, and turns what it
sees into evidence for ETSI EN 303 645, BSI TR-03148 and CRA Annex I requirements.

Safety: --allow is required and has no default. Every target, and every address a target name
resolves to, must lie inside an --allow range, or the run is refused; no probe goes anywhere
else. --rate bounds the probes per second (all kinds together), --timeout bounds the run, and
every probe is logged (at debug level to standard error) and kept in the transcript of the JSON
output, whose SHA-256 the report cites.

What runs:
  services     TCP connect scan of the 1,000 most common ports (nmap's frequency order;
               --ports all or a list), identification by banner, TLS handshake and HTTP request
               (SSH and telnet banners, HTTP Server header); UDP: DNS (version.bind, and whether
               it recurses), SNMP (sysDescr with public and private), NTP, SSDP, mDNS, TFTP, NAT-PMP.
  credentials  telnet, SSH passwords, HTTP basic and form logins with the default list (the
               Mirai botnet's pairs and vendor defaults; those the firmware analysis verified
               come first), at most --max-logins per service; then --brute-force wrong logins in
               a row measure whether the device slows down or locks, and for how long.
  crypto       TLS 1.0 to 1.3 each alone, the suites Go can offer, the certificate (self-signed,
               validity, key, SPKI SHA-256 compared with the keys the firmware analysis found);
               SSH key exchange, host key, cipher and MAC algorithms, host key fingerprint.
  exposure     with --wan-target (IPv4 and/or IPv6): what answers on the WAN side, open
               resolver, SNMP default community, UPnP; IPv6 inbound default deny.
  admin        configuration pages without and with a login; cookie flags.
  updates      with --update-listen: the lab is the device's update server (point the device's
               update URL, or the vendor's update name, at this host). It serves the vendor's
               genuine update files (--update-files, a copy of the vendor's server; --update-image
               the image's URL path) and watches: does the device check on its own, over TLS
               1.2+ from a server it authenticates (the first TLS connection gets a certificate
               it cannot trust; --update-cert/--update-key is the identity it does trust), and
               does it refuse an image altered by one byte, then install the genuine one? What
               it installed is read from the version (--update-versions CURRENT,NEXT) its next
               check reports in the query string or User-Agent. Only the device's addresses
               get an answer; the run waits for the device at most --update-watch.

--firmware takes the JSON of 'siegel firmware scan --format json' of the same release: its
embedded keys, inventory and verified default passwords. --fail-on takes check ids (see the
report) or "any"; a failed check among them exits 3.

What Go's TLS client cannot offer (SSL 2/3, suites outside Go) is not tested, and the report
says so. DHCP is not probed.`,
		Example: `siegel lab run --allow 192.168.1.0/24 --allow 198.51.100.0/24 --target 192.168.1.1 --wan-target 198.51.100.2
siegel lab run --allow 10.0.0.0/24 --target 10.0.0.1 --firmware fw.json --format json > run.json
siegel lab run --allow 10.0.0.1 --target 10.0.0.1 --fail-on default-credentials,telnet,brute-force`,
		Flags: func(fs *flag.FlagSet) {
			fs.Var(&allow, "allow", "CIDR range probes may go to (repeatable; required, no default)")
			fs.StringVar(&target, "target", "", "the device's LAN address or name")
			fs.Var(&wan, "wan-target", "the device's WAN address, IPv4 or IPv6 (repeatable)")
			fs.StringVar(&ports, "ports", "top", "TCP ports: top (the 1,000 most common), all, or a list such as 22,80,8000-8100")
			fs.Var(&udpPorts, "udp-port", "UDP port of a service, as NAME=PORT (dns, ntp, snmp, ssdp, mdns, tftp, natpmp, dhcp, and dhcp-client for the local port answers come to; repeatable)")
			fs.Float64Var(&rate, "rate", lab.DefaultRate, "most probes per second")
			fs.DurationVar(&timeout, "timeout", lab.DefaultTimeout, "longest time the run may take")
			fs.DurationVar(&connect, "connect-timeout", lab.DefaultConnect, "longest wait for one connection or UDP answer")
			fs.IntVar(&concurrency, "concurrency", lab.DefaultConcurrency, "parallel connections of the port scan")
			fs.StringVar(&credFile, "credentials", "", "extra credentials to try first: a file of user<TAB>password lines")
			fs.BoolVar(&noDefaults, "no-default-credentials", false, "do not try the built-in default and Mirai credentials")
			fs.IntVar(&maxLogins, "max-logins", lab.DefaultMaxLogins, "most credentials tried per login service")
			fs.IntVar(&bruteForce, "brute-force", lab.DefaultBruteForce, "wrong logins in a row that measure brute-force protection (0: do not measure)")
			fs.DurationVar(&lockWatch, "lockout-watch", lab.DefaultLockWatch, "how long a lock is watched for its release")
			fs.StringVar(&fwFile, "firmware", "", "firmware analysis of the same release (siegel firmware scan --format json)")
			fs.StringVar(&format, "format", "text", "output: "+strings.Join(labFormats, ", "))
			fs.StringVar(&updListen, "update-listen", "", "act as the device's update server at this host:port of the lab host")
			fs.BoolVar(&updTLS, "update-tls", false, "serve the updates over HTTPS")
			fs.StringVar(&updFiles, "update-files", "", "directory mirroring the vendor's update server (the genuine files, served by path)")
			fs.StringVar(&updImage, "update-image", "", "URL path of the update image among --update-files (the file the lab alters)")
			fs.StringVar(&updVersions, "update-versions", "", "the device's version and the update's, as CURRENT,NEXT")
			fs.StringVar(&updCert, "update-cert", "", "PEM certificate of the update server identity the device trusts (with --update-key)")
			fs.StringVar(&updKey, "update-key", "", "PEM private key of --update-cert")
			fs.DurationVar(&updWatch, "update-watch", lab.DefaultUpdateWatch, "longest wait for the device's update checks, from the start of the run")
			fs.StringVar(&failOn, "fail-on", "", "exit 3 when one of these checks fails (comma-separated check ids, or any)")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 {
				return usagef("lab run takes no arguments; name the device with --target")
			}
			if len(allow) == 0 {
				return usagef("--allow is required: name the lab network range the device sits in (there is no default)")
			}
			if target == "" {
				return usagef("--target is required: the device's LAN address")
			}
			if !slices.Contains(labFormats, format) {
				return usagef("--format must be one of %s, not %q", strings.Join(labFormats, ", "), format)
			}
			var fail []string
			if failOn != "" {
				fail = strings.Split(failOn, ",")
			}
			for _, f := range fail {
				if f != "any" && !slices.Contains(lab.CheckIDs(), f) {
					return usagef("--fail-on: %q is not a check (%s, or any)", f, strings.Join(lab.CheckIDs(), ", "))
				}
			}
			scope, err := lab.ParseScope(allow)
			if err != nil {
				return usagef("%v", err)
			}
			tcp, err := parsePorts(ports)
			if err != nil {
				return usagef("--ports: %v", err)
			}
			udp := map[string]int{}
			for _, u := range udpPorts {
				name, p, ok := strings.Cut(u, "=")
				n, err := strconv.Atoi(p)
				if !ok || err != nil || n < 1 || n > 65535 {
					return usagef("--udp-port %q: want NAME=PORT", u)
				}
				udp[name] = n
			}
			cfg := lab.Config{Target: target, WANTargets: wan, Scope: scope, Rate: rate, Timeout: timeout, ConnectTimeout: connect,
				Concurrency: concurrency, TCPPorts: tcp, UDPPorts: udp, MaxLogins: maxLogins, BruteForceAttempts: bruteForce,
				LockoutWatch: lockWatch, Log: env.Log, Now: env.Now}
			if fwFile != "" {
				f, err := os.Open(fwFile)
				if err != nil {
					return fmt.Errorf("lab run: --firmware: %w", err)
				}
				cfg.Firmware, err = lab.ReadFirmwareFacts(f, fwFile)
				f.Close()
				if err != nil {
					return fmt.Errorf("lab run: --firmware: %w", err)
				}
				cfg.Credentials = append(cfg.Credentials, cfg.Firmware.Credentials...)
			}
			if updListen != "" {
				if cfg.Update, err = labUpdateServer(updListen, updTLS, updFiles, updImage, updVersions, updCert, updKey, updWatch); err != nil {
					return err
				}
			} else if updFiles != "" || updImage != "" || updVersions != "" || updCert != "" || updTLS {
				return usagef("the --update-* flags need --update-listen (the address the device's update requests come to)")
			}
			if credFile != "" {
				extra, err := readCredentialFile(credFile)
				if err != nil {
					return err
				}
				cfg.Credentials = append(cfg.Credentials, extra...)
			}
			if !noDefaults {
				for _, d := range firmware.DefaultCredentials() {
					cfg.Credentials = append(cfg.Credentials, lab.Credential{User: d.User, Password: d.Password, Source: d.Source})
				}
			}
			cfg.Credentials = dedupCredentials(cfg.Credentials)
			res, err := lab.Run(ctx, cfg)
			if err != nil {
				return fmt.Errorf("lab run: %w", err)
			}
			switch format {
			case "json":
				enc := json.NewEncoder(env.Stdout)
				enc.SetIndent("", "  ")
				err = enc.Encode(res)
			case "sarif":
				err = writeLabSARIF(env.Stdout, res)
			default:
				err = lab.WriteText(env.Stdout, res)
			}
			if err != nil {
				return err
			}
			var hit []string
			for _, c := range res.Failed() {
				if slices.Contains(fail, "any") || slices.Contains(fail, c.ID) {
					hit = append(hit, c.ID)
				}
			}
			if len(hit) > 0 {
				return fmt.Errorf("%w: failed checks %s (--fail-on %s)", ErrPolicy, strings.Join(hit, ", "), failOn)
			}
			return nil
		},
	}
}

// labUpdateServer reads the --update-* flags.
func labUpdateServer(listen string, useTLS bool, dir, image, versions, certFile, keyFile string, watch time.Duration) (*lab.UpdateServer, error) {
	if _, _, err := net.SplitHostPort(listen); err != nil {
		return nil, usagef("--update-listen %q: want host:port", listen)
	}
	cur, next, ok := strings.Cut(versions, ",")
	if !ok || cur == "" || next == "" || cur == next {
		return nil, usagef("--update-versions %q: want the device's version and the update's, as CURRENT,NEXT", versions)
	}
	if dir == "" || image == "" {
		return nil, usagef("--update-files and --update-image are required with --update-listen")
	}
	if (certFile == "") != (keyFile == "") {
		return nil, usagef("--update-cert and --update-key go together")
	}
	if certFile != "" && !useTLS {
		return nil, usagef("--update-cert needs --update-tls")
	}
	files, err := lab.LoadUpdateFiles(dir)
	if err != nil {
		return nil, fmt.Errorf("lab run: --update-files: %w", err)
	}
	if !strings.HasPrefix(image, "/") {
		image = "/" + image
	}
	if _, ok := files[image]; !ok {
		return nil, usagef("--update-image %q is not a file of --update-files %s", image, dir)
	}
	u := &lab.UpdateServer{Listen: listen, TLS: useTLS, Files: files, Image: image, Current: cur, Next: next, Watch: watch}
	if certFile != "" {
		c, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("lab run: --update-cert: %w", err)
		}
		u.Certificate = &c
	}
	return u, nil
}

// parsePorts reads "top", "all" or a list of ports and ranges.
func parsePorts(s string) ([]int, error) {
	switch s {
	case "top", "":
		return nil, nil
	case "all":
		out := make([]int, 65535)
		for i := range out {
			out[i] = i + 1
		}
		return out, nil
	}
	var out []int
	seen := map[int]bool{}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, err := strconv.Atoi(lo)
		b := a
		if err == nil && isRange {
			b, err = strconv.Atoi(hi)
		}
		if err != nil || a < 1 || b > 65535 || a > b {
			return nil, fmt.Errorf("%q is not a port or range (1-65535)", part)
		}
		for p := a; p <= b; p++ {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out, nil
}

func readCredentialFile(name string) ([]lab.Credential, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("lab run: --credentials: %w", err)
	}
	var out []lab.Credential
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		u, p, ok := strings.Cut(line, "\t")
		if !ok || u == "" {
			return nil, fmt.Errorf("lab run: --credentials %s line %d: want user<TAB>password", name, i+1)
		}
		p, _, _ = strings.Cut(p, "\t")
		out = append(out, lab.Credential{User: u, Password: p, Source: name})
	}
	return out, nil
}

func dedupCredentials(cs []lab.Credential) []lab.Credential {
	seen := map[string]bool{}
	var out []lab.Credential
	for _, c := range cs {
		k := c.User + "\x00" + c.Password
		if !seen[k] {
			seen[k] = true
			out = append(out, c)
		}
	}
	return out
}

// writeLabSARIF writes one result per failed check; the location is the device address.
func writeLabSARIF(w io.Writer, r *lab.Result) error {
	run := newSARIFRun()
	for _, id := range lab.CheckIDs() {
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{ID: "lab/" + id, ShortDescription: sarifText{Text: labTitle(r, id)},
			Properties: map[string]any{"tags": []string{"security", "lab"}, "requirements": lab.CheckRequirements[id]}})
	}
	for _, c := range r.Checks {
		if c.Result != lab.Fail {
			continue
		}
		idx := slices.Index(lab.CheckIDs(), c.ID)
		run.Results = append(run.Results, sarifResult{RuleID: "lab/" + c.ID, RuleIndex: idx, Level: "error", Message: sarifText{Text: c.Title + ": " + c.Detail},
			Locations:  []sarifLocation{{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: "tcp://" + r.Target}}}},
			Properties: map[string]any{"requirements": c.Requirements, "transcriptSha256": r.TranscriptSHA256}})
	}
	inv := sarifInvocation{ExecutionSuccessful: true}
	for _, n := range r.NotTested {
		inv.Notifications = append(inv.Notifications, sarifNotification{Level: "warning", Message: sarifText{Text: "not tested: " + n}})
	}
	for _, c := range r.Checks {
		if c.Result == lab.NotTested {
			inv.Notifications = append(inv.Notifications, sarifNotification{Level: "warning", Message: sarifText{Text: "check " + c.ID + " not tested: " + c.Detail}})
		}
	}
	run.Invocations = []sarifInvocation{inv}
	run.Properties = map[string]any{"target": r.Target, "transcriptSha256": r.TranscriptSHA256, "started": r.Started, "seconds": r.Seconds}
	return encodeSARIF(w, run)
}

func labTitle(r *lab.Result, id string) string {
	for _, c := range r.Checks {
		if c.ID == id {
			return c.Title
		}
	}
	return id
}
