package lab

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
)

// WriteText writes a readable report: the checks first, then what was seen, then what was not
// tested. The transcript itself is in the JSON output; the report cites its digest.
func WriteText(w io.Writer, r *Result) error {
	ew := &errWriter{w: w}
	ew.printf("Lab run against %s (%s)", r.Target, strings.Join(r.Addresses, ", "))
	if len(r.WANTargets) > 0 {
		ew.printf(", WAN %s", strings.Join(r.WANTargets, ", "))
	}
	ew.printf("\n%s to %s (%.1f s), %d probes, allowed %s\n", r.Started.Format("2006-01-02 15:04:05Z"), r.Finished.Format("15:04:05Z"), r.Seconds, len(r.Transcript), strings.Join(r.Allowed, ", "))
	ew.printf("transcript SHA-256 %s\n\n", r.TranscriptSHA256)

	counts := map[string]int{}
	for _, c := range r.Checks {
		counts[c.Result]++
	}
	ew.printf("Checks: %d failed, %d passed, %d not tested\n", counts[Fail], counts[Pass], counts[NotTested])
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	for _, c := range r.Checks {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", strings.ToUpper(c.Result), c.ID, c.Detail)
	}
	tw.Flush()

	ew.printf("\nServices (LAN side, %d TCP ports scanned)\n", r.PortsScanned)
	tw = tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	for _, s := range r.Services {
		pv := strings.TrimSpace(s.Product + " " + s.Version)
		line := fmt.Sprintf("  %d/%s\t%s\t%s\t%s", s.Port, s.Proto, s.Name, pv, oneLine(s.Banner, 60))
		if s.Detail != "" {
			line += "\t" + s.Detail
		}
		if s.Firmware != "" {
			line += "\t[" + s.Firmware + "]"
		}
		fmt.Fprintln(tw, line)
	}
	tw.Flush()
	for _, l := range r.Logins {
		ew.printf("\nLogin %s %s%s: %d tried, %d accepted, %d refused", l.Service, l.Address, l.Path, l.Tried, len(l.Accepted), l.Refused)
		for _, c := range l.Accepted {
			ew.printf("\n  ACCEPTED %s / %s (%s)", c.User, showPassword(c.Password), c.Source)
		}
		if l.Note != "" {
			ew.printf("\n  %s", l.Note)
		}
		ew.printf("\n")
	}
	for _, b := range r.BruteForce {
		ew.printf("\nBrute force %s %s: %s\n  answer times (ms):", b.Service, b.Address, b.Detail)
		for _, m := range b.Millis {
			ew.printf(" %.0f", m)
		}
		ew.printf("\n")
	}
	for _, t := range r.TLS {
		ew.printf("\nTLS %s:", t.Address)
		var vs []string
		for v, ok := range t.Versions {
			if ok {
				vs = append(vs, v)
			}
		}
		sort.Strings(vs)
		ew.printf(" offers %s\n", orNone(vs))
		for _, v := range vs {
			ew.printf("  %s: %s\n", v, strings.Join(t.Ciphers[v], ", "))
		}
		if c := t.Certificate; c != nil {
			ew.printf("  certificate %s, issuer %s, self-signed %v, valid until %s, %s %d bits, SPKI SHA-256 %s",
				c.Subject, c.Issuer, c.SelfSigned, c.NotAfter.Format("2006-01-02"), c.KeyType, c.KeyBits, c.SPKISHA256)
			if c.InFirmware {
				ew.printf(" (IN FIRMWARE: %s)", c.FirmwareKeyRef)
			}
			ew.printf("\n")
		}
	}
	for _, s := range r.SSH {
		ew.printf("\nSSH %s: %s\n  kex %s\n  host keys %s\n  ciphers %s\n  MACs %s\n  host key %s %s; authentication: %s\n",
			s.Address, s.Version, strings.Join(s.Kex, ","), strings.Join(s.HostKeyAlgs, ","), strings.Join(s.Ciphers, ","), strings.Join(s.MACs, ","), s.HostKey, s.HostKeySHA256, s.AuthMethods)
		if len(s.Weak) > 0 {
			ew.printf("  weak: %s\n", strings.Join(s.Weak, ", "))
		}
	}
	for _, a := range r.Admin {
		ew.printf("\nWeb interface %s (login: %s)\n", a.Address, a.Login)
		for _, p := range a.Pages {
			if p.Access == "absent" {
				continue
			}
			ew.printf("  %s\t%d\t%s", p.Path, p.Status, p.Access)
			if p.WithLogin != 0 {
				ew.printf("\twith login %d", p.WithLogin)
			}
			ew.printf("\n")
		}
		for _, c := range a.Cookies {
			ew.printf("  cookie %s: Secure %v, HttpOnly %v, SameSite %s\n", c.Name, c.Secure, c.HttpOnly, orNone([]string{c.SameSite}))
		}
	}
	for _, w := range r.WAN {
		ew.printf("\nWAN side %s: %d services answer\n", w.Address, len(w.Services))
		for _, s := range w.Services {
			ew.printf("  %d/%s %s %s %s\n", s.Port, s.Proto, s.Name, oneLine(s.Banner, 50), s.Detail)
		}
	}
	if u := r.Update; u != nil {
		scheme := "http"
		if u.TLS {
			scheme = "https"
		}
		ew.printf("\nUpdate server %s://%s: ", scheme, u.Listen)
		if u.Error != "" {
			ew.printf("did not run: %s\n", u.Error)
		} else {
			ew.printf("%d requests, %d checks reporting a version (%s)\n", u.Requests, u.Checks, orNone(u.Versions))
			if u.TLS {
				ew.printf("  untrusted certificate: %s %s; trusted handshake completed: %v; device offered %s\n", orNone([]string{u.Untrusted}), u.UntrustedAlert, u.TrustedOK, orNone(u.TLSVersions))
			}
			ew.printf("  altered image (SHA-256 %s): %s\n  genuine image (SHA-256 %s): %s\n", u.TamperedSHA256, u.Tampered, u.GenuineSHA256, u.Genuine)
			if u.Refused > 0 {
				ew.printf("  %d connections from outside the --allow ranges closed unanswered\n", u.Refused)
			}
		}
	}
	if len(r.NotTested) > 0 {
		ew.printf("\nNot tested\n")
		for _, n := range r.NotTested {
			ew.printf("  - %s\n", n)
		}
	}
	return ew.err
}

func orNone(s []string) string {
	if len(s) == 0 || (len(s) == 1 && s[0] == "") {
		return "none"
	}
	return strings.Join(s, ", ")
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, args ...any) { fmt.Fprintf(e, format, args...) }
