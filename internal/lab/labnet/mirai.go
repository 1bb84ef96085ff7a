package labnet

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// The Mirai-era router's factory credentials. Both pairs are on the list the Mirai botnet tried
// (root/admin for telnet, admin/admin for the web interface).
const (
	miraiTelnetUser = "root"
	miraiTelnetPass = "admin"
	miraiWebUser    = "admin"
	miraiWebPass    = "admin"
)

// miraiLogin is the login program busybox telnetd runs for each connection (-l): it asks for a
// user name and a password, accepts only the factory pair, allows three tries per connection
// with no delay (no brute-force limit: a new connection starts over), and on success starts a
// shell. The shell runs as nobody (util-linux setpriv), so the lab's "device" never hands out the
// machine's root account: the commands a scanner sends after logging in work, with no harm.
const miraiLogin = `#!/bin/busybox sh
tries=0
while [ "$tries" -lt 3 ]; do
	printf 'mirai-router login: '
	read -r user || exit 1
	printf 'Password: '
	stty -echo 2>/dev/null
	read -r pass || exit 1
	stty echo 2>/dev/null
	printf '\n'
	user=$(printf '%s' "$user" | tr -d '\r')
	pass=$(printf '%s' "$pass" | tr -d '\r')
	if [ "$user" = "@USER@" ] && [ "$pass" = "@PASS@" ]; then
		printf '\n\nBusyBox v1.35.0 built-in shell (ash)\n\n'
		cd /
		exec @SETPRIV@ --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
			busybox env -i PS1='# ' PATH=/bin:/usr/bin:/sbin:/usr/sbin HOME=/ busybox sh -i
	fi
	printf 'Login incorrect\n'
	tries=$((tries + 1))
done
exit 1
`

const miraiIndex = `<!DOCTYPE html>
<html><head><title>Router administration</title></head>
<body><h1>Router administration</h1>
<form method="post" action="/cgi-bin/apply"><p>WAN remote management: <input name="remote" value="on"></p>
<p>Administrator password: <input name="password" type="password"></p><p><button>Apply</button></p></form>
</body></html>
`

// configureMirai writes the Mirai-era router's configuration and returns its daemons. Every
// daemon binds the wildcard address and there is no firewall, so everything answers on every
// side, as on the devices Mirai took over.
func (l *Lab) configureMirai(ctx context.Context) ([]daemon, error) {
	dir := l.Dir
	ns := l.DUTNamespace
	www := filepath.Join(dir, "www")
	if err := os.MkdirAll(www, 0o755); err != nil {
		return nil, fmt.Errorf("labnet: %w", err)
	}
	key, err := newRSAKey(1024)
	if err != nil {
		return nil, err
	}
	// A certificate made when the firmware was built, valid for ten years, as such devices ship.
	id, err := newTLSIdentity(dir, "httpd", "mirai-router.lan", key, time.Date(2016, 5, 1, 0, 0, 0, 0, time.UTC), 10)
	if err != nil {
		return nil, err
	}
	// An absolute path: busybox sh would otherwise run its own setpriv applet, which cannot
	// change user.
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		return nil, fmt.Errorf("labnet: %w", err)
	}
	login := strings.NewReplacer("@USER@", miraiTelnetUser, "@PASS@", miraiTelnetPass, "@SETPRIV@", setpriv).Replace(miraiLogin)
	files := map[string]string{
		"login.sh":         login,
		"issue":            "Mirai-era router MR-1 (firmware 1.0.3)\n",
		"www/index.html":   miraiIndex,
		"httpd.conf":       "/:" + miraiWebUser + ":" + miraiWebPass + "\n",
		"nginx.htpasswd":   miraiWebUser + ":{PLAIN}" + miraiWebPass + "\n",
		"nginx.conf":       miraiNginx(dir, id),
		"snmpd.conf":       "rocommunity public default\nrocommunity6 public default\nsysName mirai-router\nsysLocation lab\nsysContact admin@mirai-router.lan\n",
		"dnsmasq.conf":     deviceDnsmasq(dir, l, "lan0", "wan0"),
		"upstream.conf":    upstreamDnsmasq(dir, l),
		"miniupnpd.conf":   miraiUPnP(dir),
		"openssl-lab.cnf":  "# empty: the daemons get OpenSSL's built-in defaults, not the host's policy\n",
		"snmp/.keep":       "",
		"nginx-tmp/.keep":  "",
		"upnp.leases":      "",
		"dnsmasq.leases":   "",
		"nginx-access.log": "",
	}
	if err := writeFiles(dir, files, "login.sh"); err != nil {
		return nil, err
	}
	fw, err := writeMiraiFirmware(dir, id)
	if err != nil {
		return nil, err
	}

	busyboxVersion := programVersion(`BusyBox v(\S+)`, "busybox")
	nginxVersion := programVersion(`nginx/(\S+)`, "nginx", "-v")
	dnsmasqVersion := dnsmasqVersion()
	snmpVersion := programVersion(`NET-SNMP version:\s*(\S+)`, "snmpd", "-v")
	upnpVersion := programVersion(`miniupnpd (\S+)`, "miniupnpd", "--version")
	all := []Side{LAN, WAN, WAN6}
	svcs := []Service{
		{Name: "telnet", Proto: "tcp", Port: 23, Sides: all, Product: "BusyBox telnetd", Version: busyboxVersion, Package: "busybox-static"},
		dnsService("tcp", all, dnsmasqVersion),
		dnsService("udp", all, dnsmasqVersion),
		{Name: "http", Proto: "tcp", Port: 80, Sides: all, Product: "BusyBox httpd", Version: busyboxVersion, Package: "busybox-static"},
		dhcpService([]Side{LAN, WAN}, dnsmasqVersion),
		{Name: "snmp", Proto: "udp", Port: 161, Sides: all, Product: "net-snmp", Version: snmpVersion, Package: "snmpd"},
		{Name: "https", Proto: "tcp", Port: 443, Sides: all, Product: "nginx", Version: nginxVersion, VersionShown: true, Package: "nginx"},
		{VersionShown: true, Name: "ssdp", Proto: "udp", Port: 1900, Sides: all, Product: "miniupnpd", Version: upnpVersion, Package: "miniupnpd-nftables"},
		{VersionShown: true, Name: "upnp", Proto: "tcp", Port: 5000, Sides: all, Product: "miniupnpd", Version: upnpVersion, Package: "miniupnpd-nftables"},
		{Name: "nat-pmp", Proto: "udp", Port: 5351, Sides: all, Product: "miniupnpd", Version: upnpVersion, Package: "miniupnpd-nftables"},
	}
	tlsTruth := id.truth(443, []string{"TLS1", "TLS1_1", "TLS1_2"}, []string{"TLS1_3"}, true)
	l.Truth = Truth{
		Profile:  Mirai,
		Open:     openFromServices(svcs),
		Services: svcs,
		Credentials: []Credential{
			{Service: "telnet", Port: 23, User: miraiTelnetUser, Password: miraiTelnetPass, Works: true, Default: true},
			{Service: "telnet", Port: 23, User: "root", Password: "xc3511", Works: false, Default: true},
			{Service: "http-basic", Port: 80, Path: "/", User: miraiWebUser, Password: miraiWebPass, Works: true, Default: true},
			{Service: "http-basic", Port: 80, Path: "/", User: "admin", Password: "password", Works: false, Default: true},
			{Service: "http-basic", Port: 443, Path: "/", TLS: true, User: miraiWebUser, Password: miraiWebPass, Works: true, Default: true},
		},
		TLS: []TLSService{tlsTruth},
		Admin: []AdminPage{
			{Port: 80, Path: "/", AuthRequired: true, Status: 401},
			{Port: 443, Path: "/", TLS: true, AuthRequired: true, Status: 401},
		},
		BruteForce: []BruteForce{
			{Service: "telnet", Port: 23, Limited: false},
			{Service: "http-basic", Port: 80, Path: "/", Limited: false},
			{Service: "http-basic", Port: 443, Path: "/", Limited: false},
		},
		OpenResolver:  &Resolver{Name: "www.example.com", Answer: upstreamAnswer(l), VersionBind: "dnsmasq-" + dnsmasqVersion},
		SNMPCommunity: "public",
		UPnPOnWAN:     true,
		PasswordForm:  "/",
		DHCP:          map[Side]*DHCP{LAN: dhcpTruth(l, LAN), WAN: dhcpTruth(l, WAN)},
		Firmware:      fw,
	}

	updater, upd, err := l.configureUpdate("mr1", false)
	if err != nil {
		return nil, err
	}
	l.Truth.Update = upd

	tcp := func(ports ...int) []socket { return sockets("tcp", ports...) }
	udp := func(ports ...int) []socket { return sockets("udp", ports...) }
	opensslEnv := []string{"OPENSSL_CONF=" + filepath.Join(dir, "openssl-lab.cnf")}
	return []daemon{
		upstreamDaemon(l),
		{name: "telnetd", ns: ns, argv: []string{"busybox", "telnetd", "-F", "-p", "23", "-f", filepath.Join(dir, "issue"), "-l", filepath.Join(dir, "login.sh")}, listens: tcp(23)},
		{name: "httpd", ns: ns, argv: []string{"busybox", "httpd", "-f", "-p", "80", "-h", www, "-c", filepath.Join(dir, "httpd.conf")}, listens: tcp(80)},
		nginxDaemon(l, opensslEnv, 443),
		{name: "snmpd", ns: ns, argv: []string{"snmpd", "-f", "-Lo", "-C", "-I", "-smux", "-c", filepath.Join(dir, "snmpd.conf"), "-p", filepath.Join(dir, "snmpd.pid"), "udp:161,udp6:161"},
			env: []string{"SNMP_PERSISTENT_DIR=" + filepath.Join(dir, "snmp"), "MIBS="}, listens: udp(161)},
		dnsmasqDaemon(l),
		{name: "miniupnpd", ns: ns, argv: []string{"miniupnpd", "-d", "-f", filepath.Join(dir, "miniupnpd.conf"), "-P", filepath.Join(dir, "miniupnpd.pid")}, listens: append(udp(1900, 5351), tcp(5000)...)},
		updater,
	}, nil
}

func sockets(proto string, ports ...int) []socket {
	out := make([]socket, len(ports))
	for i, p := range ports {
		out[i] = socket{proto: proto, port: p}
	}
	return out
}

func miraiNginx(dir string, id *tlsIdentity) string {
	return fmt.Sprintf(`# TLS 1.0 to 1.2 with every cipher OpenSSL still has (security level 0), as an old router.
user root;
daemon off;
worker_processes 1;
pid %[1]s/nginx.pid;
events { worker_connections 64; }
http {
	access_log %[1]s/nginx-access.log;
	client_body_temp_path %[1]s/nginx-tmp/body;
	proxy_temp_path %[1]s/nginx-tmp/proxy;
	fastcgi_temp_path %[1]s/nginx-tmp/fastcgi;
	uwsgi_temp_path %[1]s/nginx-tmp/uwsgi;
	scgi_temp_path %[1]s/nginx-tmp/scgi;
	server {
		listen 443 ssl;
		listen [::]:443 ssl;
		server_name mirai-router.lan;
		ssl_certificate %[2]s;
		ssl_certificate_key %[3]s;
		ssl_protocols TLSv1 TLSv1.1 TLSv1.2;
		ssl_ciphers DEFAULT:@SECLEVEL=0;
		root %[1]s/www;
		location / {
			auth_basic "Router";
			auth_basic_user_file %[1]s/nginx.htpasswd;
		}
	}
}
`, dir, id.certFile, id.keyFile)
}

// deviceDnsmasq is the device's DNS forwarder and DHCP server, answering on the named
// interfaces: on the Mirai-era router on lan0 and wan0 (an open resolver, and a DHCP server on
// the provider's segment), on the hardened one on lan0 alone.
func deviceDnsmasq(dir string, l *Lab, ifaces ...string) string {
	var b strings.Builder
	b.WriteString("# DNS forwarder of the device, to the upstream resolver on the WAN segment, and DHCP.\n")
	for _, i := range ifaces {
		b.WriteString("interface=" + i + "\n")
		own := l.LAN
		if i == "wan0" {
			own = l.WAN
		}
		p := own.As4()
		p[3] = 100
		from := netip.AddrFrom4(p)
		p[3] = 199
		fmt.Fprintf(&b, "dhcp-range=%s,%s,255.255.255.0,1h\n", from, netip.AddrFrom4(p))
	}
	fmt.Fprintf(&b, "dhcp-leasefile=%s/dnsmasq.leases\ndomain=lan\n", dir)
	fmt.Fprintf(&b, "bind-interfaces\nno-resolv\nno-hosts\nserver=%s\naddress=/router.lan/%s\n", l.Upstream, l.LAN)
	fmt.Fprintf(&b, "pid-file=%s/dnsmasq.pid\nuser=nobody\ngroup=nogroup\nlog-facility=-\n", dir)
	return b.String()
}

// upstreamDnsmasq is the "internet" resolver on the WAN segment: it answers for example.com,
// so a recursive query through the device has a real answer to carry back.
func upstreamDnsmasq(dir string, l *Lab) string {
	return fmt.Sprintf(`listen-address=%s
bind-interfaces
no-resolv
no-hosts
address=/example.com/%s
pid-file=%s/upstream-dns.pid
user=nobody
group=nogroup
log-facility=-
`, l.Upstream, upstreamAnswer(l), dir)
}

// upstreamAnswer is the address the upstream resolver gives for example.com: one of the WAN
// segment, so nothing outside the lab is named.
func upstreamAnswer(l *Lab) netip.Addr {
	b := l.Upstream.As4()
	b[3] = 80
	return netip.AddrFrom4(b)
}

func miraiUPnP(dir string) string {
	return fmt.Sprintf(`# UPnP IGD and NAT-PMP listening on the WAN interface as well: the misconfiguration that
# exposed port mapping to the internet.
ext_ifname=wan0
listening_ip=lan0
listening_ip=wan0
http_port=5000
enable_natpmp=yes
enable_upnp=yes
secure_mode=no
system_uptime=yes
friendly_name=Mirai-era router
manufacturer_name=Siegel lab
model_name=MR-1
uuid=8f3a2c8e-6b1d-4f5e-9a0b-3c2d1e0f4a5b
lease_file=%s/upnp.leases
allow 0-65535 0.0.0.0/0 0-65535
`, dir)
}
