package labnet

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/siegel-oss/siegel/internal/firmware/crypt"
)

// The hardened router's login limit, enforced by nginx's limit_req on the administration
// pages: per client address, one attempt per 10 seconds on average with a burst of 4 more, so 5
// attempts in quick succession pass and the 6th is refused with 429 until the budget refills.
const (
	hardenedLoginAttempts = 5
	hardenedLoginStatus   = 429
	hardenedLoginRecovery = 10 * time.Second
)

// configureHardened writes the hardened router's configuration and returns its daemons. The
// web server listens on every address, as a careless build would; the nftables firewall is what
// keeps the WAN side closed (IPv4 and IPv6), so a probe from there tests the firewall, not a
// binding.
func (l *Lab) configureHardened(ctx context.Context) ([]daemon, error) {
	dir := l.Dir
	ns := l.DUTNamespace
	key, err := newECDSAKey()
	if err != nil {
		return nil, err
	}
	id, err := newTLSIdentity(dir, "https", "router.lan", key, time.Now().Add(-time.Hour).UTC().Truncate(time.Second), 1)
	if err != nil {
		return nil, err
	}
	hostKey, err := sshKeyPair(filepath.Join(dir, "ssh_host_ed25519_key"), "router.lan")
	if err != nil {
		return nil, err
	}
	clientKey := filepath.Join(dir, "client_ed25519")
	clientPub, err := sshKeyPair(clientKey, "admin@lab")
	if err != nil {
		return nil, err
	}
	pwBytes := make([]byte, 18)
	if _, err := rand.Read(pwBytes); err != nil {
		return nil, fmt.Errorf("labnet: password: %w", err)
	}
	password := base64.RawURLEncoding.EncodeToString(pwBytes)
	salt := base64.RawURLEncoding.EncodeToString(pwBytes[:9])
	salt = strings.NewReplacer("-", ".", "_", "/").Replace(salt)
	hash, err := crypt.Hash("$6$"+salt+"$", password)
	if err != nil {
		return nil, fmt.Errorf("labnet: password hash: %w", err)
	}
	files := map[string]string{
		"www/index.html":  "<!DOCTYPE html><title>Router</title><p>Router administration: <a href=\"/login\">log in</a></p>\n",
		"www/login.html":  "<!DOCTYPE html><title>Router</title><p>Logged in.</p>\n",
		"nginx.htpasswd":  "admin:" + hash + "\n",
		"nginx.conf":      hardenedNginx(dir, id),
		"sshd_config":     hardenedSSHD(dir, l),
		"authorized_keys": string(ssh.MarshalAuthorizedKey(clientPub)),
		"dnsmasq.conf":    deviceDnsmasq(dir, l, "lan0"),
		"upstream.conf":   upstreamDnsmasq(dir, l),
		"ruleset.nft":     hardenedRuleset,
		"nginx-tmp/.keep": "",
	}
	if err := writeFiles(dir, files); err != nil {
		return nil, err
	}
	fw, err := writeHardenedFirmware(dir, files["sshd_config"], files["nginx.conf"], files["dnsmasq.conf"], files["ruleset.nft"])
	if err != nil {
		return nil, err
	}
	// The firewall is in place before any daemon listens.
	if err := run(ctx, "ip", "netns", "exec", ns, "nft", "-f", filepath.Join(dir, "ruleset.nft")); err != nil {
		return nil, fmt.Errorf("labnet: firewall: %w", err)
	}

	nginxVersion := programVersion(`nginx/(\S+)`, "nginx", "-v")
	dnsmasqVersion := dnsmasqVersion()
	lan := []Side{LAN}
	svcs := []Service{
		{Name: "ssh", Proto: "tcp", Port: 22, Sides: lan, Product: "OpenSSH", VersionShown: true, Package: "openssh-server"},
		dnsService("tcp", lan, dnsmasqVersion),
		dnsService("udp", lan, dnsmasqVersion),
		dhcpService(lan, dnsmasqVersion),
		{Name: "http", Proto: "tcp", Port: 80, Sides: lan, Product: "nginx", Version: nginxVersion, Package: "nginx"},
		{Name: "https", Proto: "tcp", Port: 443, Sides: lan, Product: "nginx", Version: nginxVersion, Package: "nginx"},
	}
	l.Truth = Truth{
		Profile:  Hardened,
		Open:     openFromServices(svcs),
		Services: svcs,
		Credentials: []Credential{
			{Service: "ssh", Port: 22, User: "root", KeyFile: clientKey, Works: true},
			{Service: "ssh", Port: 22, User: "root", Password: "admin", Works: false, Default: true},
			{Service: "http-basic", Port: 443, Path: "/login", TLS: true, User: "admin", Password: password, Works: true},
			{Service: "http-basic", Port: 443, Path: "/login", TLS: true, User: "admin", Password: "admin", Works: false, Default: true},
		},
		TLS: []TLSService{id.truth(443, []string{"TLS1_3"}, []string{"TLS1", "TLS1_1", "TLS1_2"}, false)},
		Admin: []AdminPage{
			{Port: 80, Path: "/", Status: 301},
			{Port: 443, Path: "/", TLS: true, AuthRequired: true, Status: 401},
			{Port: 443, Path: "/login", TLS: true, AuthRequired: true, Status: 401,
				Cookie: &Cookie{Name: "session", Secure: true, HTTPOnly: true, SameSite: "Strict"}},
		},
		DHCP:     map[Side]*DHCP{LAN: dhcpTruth(l, LAN)},
		Firmware: fw,
		SSH:      &SSHService{Port: 22, PasswordAuth: false, HostKey: ssh.FingerprintSHA256(hostKey), HostKeyType: hostKey.Type()},
		BruteForce: []BruteForce{{
			Service: "http-basic", Port: 443, Path: "/login", Limited: true,
			Attempts: hardenedLoginAttempts, Status: hardenedLoginStatus, Recovery: hardenedLoginRecovery,
			Mechanism: "nginx limit_req per client address (6 requests a minute, burst 4, nodelay); it counts every attempt, failed or not",
		}},
		WANDefaultDeny: true,
	}

	updater, upd, err := l.configureUpdate("hr1", true)
	if err != nil {
		return nil, err
	}
	l.Truth.Update = upd

	tcp := func(ports ...int) []socket { return sockets("tcp", ports...) }
	// sshd insists on its privilege separation directory /run/sshd. Rather than create it on
	// the host, sshd gets a private /run: "ip netns exec" already gives it a mount namespace of
	// its own whose mounts do not propagate back.
	sshd := fmt.Sprintf("mount -t tmpfs -o mode=0755 lab-run /run && mkdir -m 0755 /run/sshd && exec /usr/sbin/sshd -D -e -f %s", filepath.Join(dir, "sshd_config"))
	return []daemon{
		upstreamDaemon(l),
		{name: "sshd", ns: ns, argv: []string{"sh", "-c", sshd}, listens: tcp(22)},
		nginxDaemon(l, nil, 80, 443),
		dnsmasqDaemon(l),
		updater,
	}, nil
}

// sshBanner reads the identification string of the SSH server at addr.
func sshBanner(ctx context.Context, addr string) (string, error) {
	d := net.Dialer{Timeout: 5 * time.Second}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return "", fmt.Errorf("labnet: SSH banner: %w", err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("labnet: SSH banner: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// hardenedRuleset is the firewall: inbound default deny, with the LAN, loopback, answers to
// the router's own connections and IPv6 neighbour discovery let through. Nothing inbound from
// the WAN side passes, not even ping.
const hardenedRuleset = `flush ruleset
table inet lab_filter {
	chain input {
		type filter hook input priority filter; policy drop;
		iif "lo" accept
		iifname "lan0" accept
		ct state established,related accept
		icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, packet-too-big } accept
	}
	chain forward {
		type filter hook forward priority filter; policy drop;
		iifname "lan0" oifname "wan0" accept
		ct state established,related accept
	}
}
`

func hardenedSSHD(dir string, l *Lab) string {
	return fmt.Sprintf(`# Keys only; a forced command, so a successful login proves itself and does nothing else.
ListenAddress %[2]s:22
HostKey %[1]s/ssh_host_ed25519_key
PidFile %[1]s/sshd.pid
AuthorizedKeysFile %[1]s/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
PermitEmptyPasswords no
UsePAM no
StrictModes no
MaxAuthTries 3
AllowUsers root
ForceCommand echo router-login-ok
PermitTTY no
X11Forwarding no
AllowTcpForwarding no
AllowAgentForwarding no
PermitTunnel no
LogLevel VERBOSE
`, dir, l.LAN)
}

func hardenedNginx(dir string, id *tlsIdentity) string {
	return fmt.Sprintf(`# TLS 1.3 only; the administration pages need a login and limit the attempts.
user root;
daemon off;
worker_processes 1;
pid %[1]s/nginx.pid;
events { worker_connections 64; }
http {
	server_tokens off;
	access_log %[1]s/nginx-access.log;
	client_body_temp_path %[1]s/nginx-tmp/body;
	proxy_temp_path %[1]s/nginx-tmp/proxy;
	fastcgi_temp_path %[1]s/nginx-tmp/fastcgi;
	uwsgi_temp_path %[1]s/nginx-tmp/uwsgi;
	scgi_temp_path %[1]s/nginx-tmp/scgi;
	limit_req_zone $binary_remote_addr zone=login:1m rate=6r/m;
	server {
		listen 80;
		listen [::]:80;
		return 301 https://$host$request_uri;
	}
	server {
		listen 443 ssl;
		listen [::]:443 ssl;
		server_name router.lan;
		ssl_certificate %[2]s;
		ssl_certificate_key %[3]s;
		ssl_protocols TLSv1.3;
		add_header Strict-Transport-Security "max-age=31536000" always;
		root %[1]s/www;
		location = /login {
			limit_req zone=login burst=4 nodelay;
			limit_req_status 429;
			auth_basic "Router administration";
			auth_basic_user_file %[1]s/nginx.htpasswd;
			add_header Set-Cookie "session=$request_id; Path=/; Secure; HttpOnly; SameSite=Strict";
			try_files /login.html =404;
		}
		location / {
			limit_req zone=login burst=4 nodelay;
			limit_req_status 429;
			auth_basic "Router administration";
			auth_basic_user_file %[1]s/nginx.htpasswd;
		}
	}
}
`, dir, id.certFile, id.keyFile)
}
