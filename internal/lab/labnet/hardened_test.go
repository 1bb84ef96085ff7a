package labnet

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// TestHardened checks the hardened router's ground truth against the reference tools.
func TestHardened(t *testing.T) {
	t.Parallel()
	l := Start(t, Hardened)
	checkReferenceTools(t, l)
	t.Run("ssh", func(t *testing.T) { checkSSH(t, l) })
	// The pages behind the login limit are checked by TestHardenedLogin, in a lab of their own.
	t.Run("admin", func(t *testing.T) { checkAdmin(t, l, func(p AdminPage) bool { return !limited(l, p) }) })
	t.Run("dns", func(t *testing.T) { checkDNS(t, l) })
	t.Run("upnp", func(t *testing.T) { checkUPnP(t, l) })
	t.Run("dhcp", func(t *testing.T) { checkDHCP(t, l) })
	t.Run("update", func(t *testing.T) { checkUpdate(t, l) })
}

// checkSSH logs in with the OpenSSH client: the key works, a password is not even asked for,
// and ssh-keyscan sees the host key the truth names.
func checkSSH(t *testing.T, l *Lab) {
	requireTool(t, "ssh")
	requireTool(t, "ssh-keyscan")
	s := l.Truth.SSH
	host := l.LAN.String()
	common := []string{"-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "ConnectTimeout=10", "-F", "/dev/null", "-p", strconv.Itoa(s.Port)}
	for _, c := range l.Truth.Credentials {
		if c.Service != "ssh" {
			continue
		}
		args := append([]string{}, common...)
		if c.KeyFile != "" {
			args = append(args, "-i", c.KeyFile, "-o", "IdentitiesOnly=yes", "-o", "PreferredAuthentications=publickey")
		} else {
			// BatchMode cannot type a password; what matters is that the server does not offer
			// password authentication at all, which the refusal names.
			args = append(args, "-o", "PreferredAuthentications=password,keyboard-interactive", "-o", "PubkeyAuthentication=no")
		}
		args = append(args, c.User+"@"+host)
		out, err := exec.CommandContext(t.Context(), "ssh", args...).CombinedOutput()
		switch {
		case c.Works && (err != nil || !strings.Contains(string(out), "router-login-ok")):
			t.Errorf("ssh %s with %s: %v\n%s", c.User, c.KeyFile, err, out)
		case !c.Works && err == nil:
			t.Errorf("ssh %s with a password: logged in, truth says it fails", c.User)
		case !c.Works && !strings.Contains(string(out), "Permission denied (publickey)"):
			t.Errorf("ssh %s with a password: %s, want the server to offer only publickey", c.User, out)
		}
	}
	scan, err := exec.CommandContext(t.Context(), "ssh-keyscan", "-T", "10", "-t", "ed25519", "-p", strconv.Itoa(s.Port), host).Output()
	if err != nil {
		t.Fatalf("ssh-keyscan: %v", err)
	}
	fp := exec.CommandContext(t.Context(), "ssh-keygen", "-l", "-E", "sha256", "-f", "-")
	fp.Stdin = strings.NewReader(string(scan))
	out, err := fp.Output()
	if err != nil {
		t.Fatalf("ssh-keygen -l: %v", err)
	}
	if !strings.Contains(string(out), s.HostKey) {
		t.Errorf("ssh-keyscan sees %q, truth host key %s", out, s.HostKey)
	}
	if !strings.HasPrefix(s.Banner, "SSH-2.0-OpenSSH_") {
		t.Errorf("banner %q", s.Banner)
	}
}

// TestHardenedLogin walks through the login's attempt budget in a lab of its own (every
// request to the administration pages spends it): the pages refuse a request without
// credentials, the right password works and sets the session cookie with the truth's flags, a
// wrong one is refused, and once the budget is spent the limit answers even the right password.
func TestHardenedLogin(t *testing.T) {
	l := Start(t, Hardened)
	var good, bad Credential
	for _, c := range l.Truth.Credentials {
		if c.Service == "http-basic" && c.Works {
			good = c
		} else if c.Service == "http-basic" {
			bad = c
		}
	}
	var bf BruteForce
	for _, b := range l.Truth.BruteForce {
		if b.Service == "http-basic" && b.Path == good.Path {
			bf = b
		}
	}
	if good.User == "" || bad.User == "" || !bf.Limited {
		t.Fatalf("truth lacks the login: %+v %+v %+v", good, bad, bf)
	}
	var statuses, want []int
	for _, p := range l.Truth.Admin {
		if limited(l, p) {
			resp := adminGet(t, l, p, nil)
			statuses, want = append(statuses, resp.StatusCode), append(want, p.Status)
		}
	}
	var login AdminPage
	for _, p := range l.Truth.Admin {
		if p.Port == good.Port && p.Path == good.Path {
			login = p
		}
	}
	resp := adminGet(t, l, login, &good)
	statuses, want = append(statuses, resp.StatusCode), append(want, 200)
	checkCookie(t, resp, login.Cookie)
	for len(want) < bf.Attempts {
		statuses, want = append(statuses, adminGet(t, l, login, &bad).StatusCode), append(want, 401)
	}
	statuses, want = append(statuses, adminGet(t, l, login, &bad).StatusCode), append(want, bf.Status)
	statuses, want = append(statuses, adminGet(t, l, login, &good).StatusCode), append(want, bf.Status)
	if !equalInts(statuses, want) {
		t.Errorf("statuses of %d requests: %v, want %v (without credentials, the right password, wrong ones, then the limit)", len(want), statuses, want)
	}
}

// limited reports whether the page sits behind the login limit.
func limited(l *Lab, p AdminPage) bool {
	for _, b := range l.Truth.BruteForce {
		if b.Limited && b.Port == p.Port {
			return true
		}
	}
	return false
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
