package lab

import (
	"fmt"
	"slices"
	"strings"
)

// Results of a check.
const (
	Pass      = "pass"
	Fail      = "fail"
	NotTested = "not-tested"
)

// Check is one conclusion of a run, with the catalog requirements it is evidence for.
type Check struct {
	ID           string   `json:"id"`
	Title        string   `json:"title"`
	Result       string   `json:"result"`
	Detail       string   `json:"detail"`
	Requirements []string `json:"requirements"`
}

// CheckRequirements maps each check to the catalog requirements it bears on (ids as
// internal/catalog names them). The catalogs name the checks back through the lab-check
// evaluator; a test keeps the two in step.
var CheckRequirements = map[string][]string{
	"default-credentials":    {"etsi-en-303-645/5.1-1", "bsi-tr-03148/initial-password", "bsi-tr-03148/default-configuration", "cra/annex-i/part-i/2/a", "cra/annex-i/part-i/2/d"},
	"brute-force":            {"etsi-en-303-645/5.1-5", "bsi-tr-03148/brute-force", "cra/annex-i/part-i/2/d"},
	"telnet":                 {"etsi-en-303-645/5.6-1", "bsi-tr-03148/lan-services", "bsi-tr-03148/default-configuration", "cra/annex-i/part-i/2/a", "cra/annex-i/part-i/2/j"},
	"debug-services":         {"etsi-en-303-645/5.6-1", "etsi-en-303-645/5.6-4", "bsi-tr-03148/lan-services"},
	"cleartext-login":        {"etsi-en-303-645/5.1-3", "etsi-en-303-645/5.5-1", "etsi-en-303-645/5.5-7", "bsi-tr-03148/web-interface"},
	"tls":                    {"etsi-en-303-645/5.1-3", "etsi-en-303-645/5.5-1", "etsi-en-303-645/5.5-7", "bsi-tr-03148/web-interface"},
	"ssh-crypto":             {"etsi-en-303-645/5.5-1"},
	"shared-key":             {"bsi-tr-03148/device-keys"},
	"disclosure":             {"etsi-en-303-645/5.6-2"},
	"snmp-default-community": {"etsi-en-303-645/5.6-2", "bsi-tr-03148/lan-services", "cra/annex-i/part-i/2/d"},
	"admin-auth":             {"etsi-en-303-645/5.5-5", "bsi-tr-03148/authentication", "cra/annex-i/part-i/2/d"},
	"cookie-flags":           {"bsi-tr-03148/web-interface"},
	"wan-services":           {"bsi-tr-03148/wan-services", "cra/annex-i/part-i/2/j"},
	"wan-admin":              {"bsi-tr-03148/remote-configuration", "bsi-tr-03148/wan-services"},
	"open-resolver":          {"bsi-tr-03148/dns"},
	"upnp-wan":               {"bsi-tr-03148/wan-services"},
	"ipv6-inbound":           {"bsi-tr-03148/firewall"},
	"dhcp-wan":               {"bsi-tr-03148/dhcp"},
	"input-validation":       {"etsi-en-303-645/5.13-1", "bsi-tr-03148/web-interface"},
	"password-change":        {"etsi-en-303-645/5.1-4", "bsi-tr-03148/password-policy"},
	"update-check":           {"etsi-en-303-645/5.3-5", "bsi-tr-03148/update-function"},
	"update-auto":            {"etsi-en-303-645/5.3-3", "etsi-en-303-645/5.3-4", "bsi-tr-03148/update-function", "cra/annex-i/part-i/2/c"},
	"update-channel":         {"etsi-en-303-645/5.3-2", "etsi-en-303-645/5.3-7"},
	"update-authenticity":    {"etsi-en-303-645/5.3-2", "etsi-en-303-645/5.3-7", "etsi-en-303-645/5.3-9", "etsi-en-303-645/5.3-10", "bsi-tr-03148/update-integrity", "cra/annex-i/part-i/2/f"},
}

var checkTitles = map[string]string{
	"default-credentials":    "No login with default or Mirai credentials",
	"brute-force":            "Logins slow down or lock after repeated failures",
	"telnet":                 "No telnet service",
	"debug-services":         "No unauthenticated debug or file services (telnet, TFTP)",
	"cleartext-login":        "No login over an unencrypted channel",
	"tls":                    "TLS 1.2 or later only, no weak suites, sound certificate",
	"ssh-crypto":             "SSH offers no broken or deprecated algorithms",
	"shared-key":             "TLS and SSH keys are not the ones shipped in the firmware image",
	"disclosure":             "No version or system details without authentication",
	"snmp-default-community": "SNMP does not answer the default communities",
	"admin-auth":             "Configuration pages only after authentication",
	"cookie-flags":           "Session cookies carry Secure, HttpOnly and SameSite",
	"wan-services":           "Nothing answers on the WAN side",
	"wan-admin":              "No administration (web, telnet, SSH) from the WAN side",
	"open-resolver":          "DNS does not recurse for the WAN side",
	"upnp-wan":               "UPnP and NAT-PMP do not answer on the WAN side",
	"ipv6-inbound":           "IPv6: inbound connections denied by default",
	"dhcp-wan":               "No DHCP server answers on the WAN side",
	"input-validation":       "The web interface withstands crafted input (path traversal, markup, overlong and malformed requests)",
	"password-change":        "The configuration interface offers a way to change the password",
	"update-check":           "The device checks for updates on its own",
	"update-auto":            "The device applies an update without a user step",
	"update-channel":         "Updates come over TLS 1.2 or later from a server the device authenticates",
	"update-authenticity":    "The device refuses an altered update and installs the genuine one",
}

// CheckIDs returns every check id, sorted.
func CheckIDs() []string {
	var ids []string
	for id := range CheckRequirements {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// evaluate draws the checks from what the run saw.
func evaluate(r *Result) []Check {
	var out []Check
	add := func(id, result, detail string) {
		out = append(out, Check{ID: id, Title: checkTitles[id], Result: result, Detail: detail, Requirements: CheckRequirements[id]})
	}
	lan := r.Services

	// Credentials.
	var accepted, unchecked []string
	tried := 0
	for _, l := range r.Logins {
		tried += l.Tried
		if l.Refused > 0 && len(l.Accepted) == 0 {
			unchecked = append(unchecked, fmt.Sprintf("%s %s refused %d of %d attempts (a login limit), so those credentials were not checked", l.Service, l.Address, l.Refused, l.Tried))
		}
		for _, c := range l.Accepted {
			accepted = append(accepted, fmt.Sprintf("%s %s: %s/%s (%s)", l.Service, l.Address, c.User, showPassword(c.Password), c.Source))
		}
	}
	switch {
	case len(accepted) > 0:
		add("default-credentials", Fail, "accepted: "+strings.Join(accepted, "; "))
	case len(r.Logins) == 0:
		add("default-credentials", Pass, "no service offered a password login (telnet, SSH with passwords, HTTP basic or form)")
	case tried == 0:
		add("default-credentials", NotTested, "login services found, but no credential was tried")
	case len(unchecked) > 0:
		add("default-credentials", NotTested, strings.Join(unchecked, "; "))
	default:
		add("default-credentials", Pass, fmt.Sprintf("%d logins with default credentials on %d services, none accepted", tried, len(r.Logins)))
	}

	// Brute force.
	var unprotected, protected []string
	for _, b := range r.BruteForce {
		line := b.Service + " " + b.Address + ": " + b.Detail
		if b.Protected {
			protected = append(protected, line)
		} else {
			unprotected = append(unprotected, line)
		}
	}
	switch {
	case len(unprotected) > 0:
		add("brute-force", Fail, strings.Join(unprotected, "; "))
	case len(r.Logins) == 0:
		add("brute-force", Pass, "no service offered a password login over the network, so there is nothing to guess")
	case len(protected) == 0:
		add("brute-force", NotTested, "login services found, but brute-force protection was not measured")
	default:
		add("brute-force", Pass, strings.Join(protected, "; "))
	}

	// Services on the LAN.
	telnets := where(lan, func(s Service) bool { return s.Name == "telnet" })
	if len(telnets) > 0 {
		add("telnet", Fail, "telnet answers at "+strings.Join(telnets, ", "))
	} else {
		add("telnet", Pass, fmt.Sprintf("no telnet among %d TCP ports scanned", r.PortsScanned))
	}
	debug := where(lan, func(s Service) bool { return s.Name == "telnet" || s.Name == "tftp" })
	if len(debug) > 0 {
		add("debug-services", Fail, "answering: "+strings.Join(debug, ", "))
	} else {
		add("debug-services", Pass, "neither telnet nor TFTP answered")
	}
	var clear []string
	for _, l := range r.Logins {
		if l.Service == "telnet" || (strings.HasPrefix(l.Service, "http") && !isTLSAddr(r, l.Address)) {
			clear = append(clear, l.Service+" "+l.Address)
		}
	}
	if len(clear) > 0 {
		add("cleartext-login", Fail, "passwords go unencrypted to "+strings.Join(clear, ", "))
	} else {
		add("cleartext-login", Pass, "no password login over an unencrypted channel")
	}

	// TLS.
	if len(r.TLS) == 0 {
		add("tls", NotTested, "no TLS service answered")
	} else {
		var bad []string
		for _, t := range r.TLS {
			for _, v := range []string{"TLS 1.0", "TLS 1.1"} {
				if t.Versions[v] {
					bad = append(bad, t.Address+" offers "+v)
				}
			}
			if len(t.WeakCiphers) > 0 {
				bad = append(bad, t.Address+" accepts "+strings.Join(t.WeakCiphers, ", "))
			}
			if !t.Versions["TLS 1.2"] && !t.Versions["TLS 1.3"] {
				bad = append(bad, t.Address+" offers neither TLS 1.2 nor 1.3")
			}
			if c := t.Certificate; c != nil {
				if c.Expired {
					bad = append(bad, t.Address+" certificate outside its validity ("+c.NotAfter.Format("2006-01-02")+")")
				}
				if c.WeakKey {
					bad = append(bad, fmt.Sprintf("%s certificate key %s %d bits", t.Address, c.KeyType, c.KeyBits))
				}
			}
		}
		if len(bad) > 0 {
			add("tls", Fail, strings.Join(bad, "; "))
		} else {
			add("tls", Pass, fmt.Sprintf("%d TLS services offer TLS 1.2 or later only, no weak suites", len(r.TLS)))
		}
	}

	// SSH.
	if len(r.SSH) == 0 {
		add("ssh-crypto", NotTested, "no SSH service answered")
	} else {
		var bad []string
		for _, s := range r.SSH {
			if len(s.Weak) > 0 {
				bad = append(bad, s.Address+": "+strings.Join(s.Weak, ", "))
			}
		}
		if len(bad) > 0 {
			add("ssh-crypto", Fail, strings.Join(bad, "; "))
		} else {
			add("ssh-crypto", Pass, "no broken or deprecated algorithm offered")
		}
	}

	// Keys shared with the firmware image.
	var shared []string
	for _, t := range r.TLS {
		if t.Certificate != nil && t.Certificate.InFirmware {
			shared = append(shared, "TLS "+t.Address+" key "+t.Certificate.SPKISHA256+" is in "+t.Certificate.FirmwareKeyRef)
		}
	}
	for _, s := range r.SSH {
		if s.InFirmware {
			shared = append(shared, "SSH "+s.Address+" host key "+s.HostKeySHA256+" is in "+s.FirmwareKeyRef)
		}
	}
	switch {
	case len(shared) > 0:
		add("shared-key", Fail, strings.Join(shared, "; "))
	case r.Firmware == nil:
		add("shared-key", NotTested, "no firmware analysis given (--firmware), so the keys were not compared")
	case len(r.TLS) == 0 && len(r.SSH) == 0:
		add("shared-key", NotTested, "no TLS or SSH service answered")
	default:
		add("shared-key", Pass, fmt.Sprintf("none of the TLS and SSH keys is among the %d keys embedded in the image", len(r.Firmware.Keys)))
	}

	// Disclosure without authentication.
	var disc []string
	for _, s := range lan {
		switch {
		case s.Name == "snmp" && s.Banner != "":
			disc = append(disc, "SNMP sysDescr: "+s.Banner)
		case s.Name == "dns" && s.Banner != "":
			disc = append(disc, "DNS version.bind: "+s.Banner)
		case (s.Name == "http" || s.Name == "https") && s.Version != "":
			disc = append(disc, "HTTP Server header: "+s.Banner)
		}
	}
	slices.Sort(disc)
	disc = slices.Compact(disc)
	if len(disc) > 0 {
		add("disclosure", Fail, strings.Join(disc, "; "))
	} else {
		add("disclosure", Pass, "no version or system description without authentication (the SSH identification string, which the protocol requires, aside)")
	}
	snmp := where(lan, func(s Service) bool { return s.Name == "snmp" && s.Detail != "" })
	if len(snmp) > 0 {
		add("snmp-default-community", Fail, "a default community (public or private) answers at "+strings.Join(snmp, ", "))
	} else {
		add("snmp-default-community", Pass, "SNMP did not answer public or private")
	}

	// Web administration.
	if len(r.Admin) == 0 {
		add("admin-auth", NotTested, "no web interface answered")
		add("cookie-flags", NotTested, "no web interface answered")
	} else {
		var open, weak []string
		cookies := 0
		for _, a := range r.Admin {
			for _, p := range a.Pages {
				if p.Access == "open" {
					open = append(open, a.Address+p.Path)
				}
			}
			for _, c := range a.Cookies {
				cookies++
				var miss []string
				if !c.Secure {
					miss = append(miss, "Secure")
				}
				if !c.HttpOnly {
					miss = append(miss, "HttpOnly")
				}
				if c.SameSite == "" || c.SameSite == "None" {
					miss = append(miss, "SameSite")
				}
				if len(miss) > 0 {
					weak = append(weak, a.Address+" cookie "+c.Name+" without "+strings.Join(miss, ", "))
				}
			}
		}
		if len(open) > 0 {
			add("admin-auth", Fail, "reachable without authentication: "+strings.Join(open, ", "))
		} else {
			add("admin-auth", Pass, fmt.Sprintf("%d web interfaces: every configuration page found asks for a login", len(r.Admin)))
		}
		switch {
		case len(weak) > 0:
			add("cookie-flags", Fail, strings.Join(weak, "; "))
		case cookies == 0:
			add("cookie-flags", NotTested, "the web interface set no cookie (no session cookie seen; a login with a working credential sets one)")
		default:
			add("cookie-flags", Pass, fmt.Sprintf("%d cookies, each Secure, HttpOnly and SameSite", cookies))
		}
	}

	// A way to change the password, seen only behind a working login; its absence on the pages
	// visited proves nothing (the form may be elsewhere), so this check never fails.
	var change, loggedIn []string
	for _, a := range r.Admin {
		if a.PasswordChange != "" {
			change = append(change, a.PasswordChange)
		}
		if a.LoggedIn {
			loggedIn = append(loggedIn, a.Address)
		}
	}
	switch {
	case len(change) > 0:
		add("password-change", Pass, "logged in with a working credential, the configuration interface offers a password form: "+strings.Join(change, "; ")+"; password strength rules are not tested")
	case len(loggedIn) > 0:
		add("password-change", NotTested, "logged in at "+strings.Join(loggedIn, ", ")+", but no form with a password field on the pages visited")
	default:
		add("password-change", NotTested, "no credential worked on a web interface, so the pages behind its login were not seen")
	}

	// Crafted input to the web interfaces.
	var inputBad, inputOK, inputMute []string
	for _, in := range r.Input {
		switch {
		case len(in.Findings) > 0:
			inputBad = append(inputBad, in.Address+": "+strings.Join(in.Findings, "; "))
		case in.Answered == 0:
			inputMute = append(inputMute, fmt.Sprintf("%s answered none of %d crafted requests (refused as too many, or dropped)", in.Address, in.Sent))
		default:
			inputOK = append(inputOK, fmt.Sprintf("%s answered %d of %d", in.Address, in.Answered, in.Sent))
		}
	}
	switch {
	case len(inputBad) > 0:
		add("input-validation", Fail, strings.Join(inputBad, " | "))
	case len(r.Input) == 0:
		add("input-validation", NotTested, "no web interface answered")
	case len(inputMute) > 0:
		add("input-validation", NotTested, strings.Join(inputMute, "; "))
	default:
		add("input-validation", Pass, "crafted requests (path traversal plain and encoded, markup in path and parameters, format strings, overlong path and header, control characters): "+
			strings.Join(inputOK, ", ")+"; no file outside the web root served, no markup echoed unescaped, still answering afterwards; input through other interfaces and authenticated forms is not covered")
	}

	// The WAN side.
	if len(r.WAN) == 0 {
		for _, id := range []string{"wan-services", "wan-admin", "open-resolver", "upnp-wan", "ipv6-inbound", "dhcp-wan"} {
			add(id, NotTested, "no WAN address given (--wan-target)")
		}
	} else {
		var any, admin, resolver, upnp, v6, dhcp, dhcpAsked []string
		has6 := false
		for _, w := range r.WAN {
			has6 = has6 || w.IPv6
			if w.DHCPProbed {
				dhcpAsked = append(dhcpAsked, w.Address)
			}
			if w.DHCP {
				dhcp = append(dhcp, w.Address)
			}
			for _, s := range w.Services {
				desc := fmt.Sprintf("%s %s/%d", s.Name, w.Address, s.Port)
				any = append(any, desc)
				if s.Name == "http" || s.Name == "https" || s.Name == "telnet" || s.Name == "ssh" {
					admin = append(admin, desc)
				}
				if w.IPv6 {
					v6 = append(v6, desc)
				}
			}
			if w.OpenResolver {
				resolver = append(resolver, w.Address)
			}
			if w.UPnP {
				upnp = append(upnp, w.Address)
			}
		}
		verdict := func(id string, hits []string, failText, passText string) {
			if len(hits) > 0 {
				add(id, Fail, failText+strings.Join(hits, ", "))
			} else {
				add(id, Pass, passText)
			}
		}
		verdict("wan-services", any, "answering on the WAN side: ", "nothing answered on the WAN side")
		verdict("wan-admin", admin, "administration reachable from the WAN side: ", "no web, telnet or SSH service on the WAN side")
		verdict("open-resolver", resolver, "recursive DNS for the WAN side at ", "DNS did not recurse for a query from the WAN side")
		verdict("upnp-wan", upnp, "UPnP (SSDP) or NAT-PMP answers on the WAN side at ", "no SSDP or NAT-PMP answer on the WAN side")
		if len(dhcp) > 0 || len(dhcpAsked) > 0 {
			verdict("dhcp-wan", dhcp, "a DHCP server answered a DHCPINFORM on the WAN side at ", "no DHCP server answered a DHCPINFORM at "+strings.Join(dhcpAsked, ", ")+" from the WAN side")
		} else {
			add("dhcp-wan", NotTested, "DHCP was not asked on an IPv4 WAN address (see what was not tested)")
		}
		if has6 {
			verdict("ipv6-inbound", v6, "inbound IPv6 connections accepted: ", "no inbound IPv6 connection accepted on the WAN address")
		} else {
			add("ipv6-inbound", NotTested, "no IPv6 WAN address given")
		}
	}
	for _, c := range updateChecks(r.Update) {
		add(c.ID, c.Result, c.Detail)
	}
	return out
}

func where(ss []Service, keep func(Service) bool) []string {
	var out []string
	for _, s := range ss {
		if keep(s) {
			out = append(out, fmt.Sprintf("%s/%d", s.Proto, s.Port))
		}
	}
	return out
}

func isTLSAddr(r *Result, addr string) bool {
	for _, t := range r.TLS {
		if t.Address == addr {
			return true
		}
	}
	return false
}

// showPassword writes an empty password so a reader sees it was empty.
func showPassword(p string) string {
	if p == "" {
		return "(empty)"
	}
	return p
}

// Failed returns the checks that failed.
func (r *Result) Failed() []Check {
	var out []Check
	for _, c := range r.Checks {
		if c.Result == Fail {
			out = append(out, c)
		}
	}
	return out
}
