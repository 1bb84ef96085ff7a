package labnet

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/siegel-oss/siegel/internal/firmware/crypt"
	"github.com/siegel-oss/siegel/internal/firmware/fwtest"
)

// firmwareKeyPath is where the Mirai-era router's firmware keeps the web server's key.
const firmwareKeyPath = "etc/ssl/private/httpd.key"

// writeMiraiFirmware writes the firmware of the Mirai-era router twice, as a root file system
// under dir/firmware/rootfs and as a newc cpio image (an initramfs) dir/firmware/mirai-router.cpio,
// so the firmware analysis can examine the same release the lab runs. It holds what the running
// device uses: the TLS key and certificate nginx serves, the telnet password (as an MD5-crypt
// hash in /etc/shadow), the web password, the SNMP community, and the real busybox and dnsmasq
// binaries that run in the lab.
func writeMiraiFirmware(dir string, id *tlsIdentity) (*Firmware, error) {
	shadowHash, err := crypt.Hash("$1$mrouter$", miraiTelnetPass)
	if err != nil {
		return nil, fmt.Errorf("labnet: firmware shadow: %w", err)
	}
	files := map[string]string{
		"etc/passwd":               "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
		"etc/shadow":               miraiTelnetUser + ":" + shadowHash + ":17000:0:99999:7:::\nnobody:*:17000:0:99999:7:::\n",
		"etc/group":                "root:x:0:\nnogroup:x:65534:\n",
		firmwareKeyPath:            string(id.keyPEM),
		"etc/ssl/certs/httpd.crt":  string(id.certPEM),
		"etc/httpd.conf":           "/:" + miraiWebUser + ":" + miraiWebPass + "\n",
		"etc/snmp/snmpd.conf":      "rocommunity public default\nsysName mirai-router\n",
		"etc/dnsmasq.conf":         "interface=lan0\ninterface=wan0\n",
		"etc/miniupnpd.conf":       "ext_ifname=wan0\nlistening_ip=lan0\nlistening_ip=wan0\nenable_upnp=yes\nsecure_mode=no\n",
		"etc/init.d/rcS":           "#!/bin/sh\ntelnetd -l /bin/login\nhttpd -h /www -c /etc/httpd.conf\nsnmpd -c /etc/snmp/snmpd.conf\ndnsmasq -C /etc/dnsmasq.conf\nminiupnpd -f /etc/miniupnpd.conf\nnginx\n",
		"etc/inittab":              "::sysinit:/etc/init.d/rcS\n::respawn:/sbin/getty -L ttyS0 115200 vt100\n",
		"etc/openwrt_release":      "DISTRIB_ID='MR'\nDISTRIB_RELEASE='1.0.3'\nDISTRIB_DESCRIPTION='Mirai-era router 1.0.3'\n",
		"www/index.html":           miraiIndex,
		"usr/share/udhcpc/.keep":   "",
		"etc/ssl/private/.keep":    "",
		"etc/nginx/nginx.conf.old": "ssl_protocols TLSv1 TLSv1.1 TLSv1.2;\n",
	}
	modes := map[string]int{"etc/init.d/rcS": 0o100755}
	for _, bin := range []struct{ host, fw string }{{"/bin/busybox", "bin/busybox"}, {"/usr/sbin/dnsmasq", "usr/sbin/dnsmasq"}} {
		b, err := os.ReadFile(bin.host)
		if err != nil {
			return nil, fmt.Errorf("labnet: firmware binary: %w", err)
		}
		files[bin.fw] = string(b)
		modes[bin.fw] = 0o100755
	}
	return writeFirmware(dir, "mirai-router.cpio", files, modes, "/"+firmwareKeyPath)
}

// hardenedInit is the hardened router's start script: what must differ from device to device
// (the SSH host key, the web password) is made on the device at first start, never shipped.
const hardenedInit = `#!/bin/sh
[ -f /etc/ssh/ssh_host_ed25519_key ] || ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key
[ -f /etc/nginx/htpasswd ] || /sbin/first-boot-password > /etc/nginx/htpasswd
nft -f /etc/nftables.conf
dnsmasq -C /etc/dnsmasq.conf
/usr/sbin/sshd
nginx
`

// writeHardenedFirmware writes the hardened router's firmware like writeMiraiFirmware: its
// configuration (SSH with keys only, the login limit, the WAN firewall), no credential and no
// private key (both are made on the device at first start), and the real OpenSSH, dnsmasq and
// nginx binaries the lab runs.
func writeHardenedFirmware(dir string, sshd, nginx, dnsmasq, ruleset string) (*Firmware, error) {
	files := map[string]string{
		"etc/passwd":            "root:x:0:0:root:/root:/bin/sh\nsshd:x:100:65534::/run/sshd:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
		"etc/shadow":            "root:*:20000:0:99999:7:::\nsshd:*:20000:0:99999:7:::\nnobody:*:20000:0:99999:7:::\n",
		"etc/group":             "root:x:0:\nnogroup:x:65534:\n",
		"etc/ssh/sshd_config":   sshd,
		"etc/nginx/nginx.conf":  nginx,
		"etc/dnsmasq.conf":      dnsmasq,
		"etc/nftables.conf":     ruleset,
		"etc/init.d/rcS":        hardenedInit,
		"etc/inittab":           "::sysinit:/etc/init.d/rcS\n",
		"etc/openwrt_release":   "DISTRIB_ID='HR'\nDISTRIB_RELEASE='2.4.0'\nDISTRIB_DESCRIPTION='Hardened router 2.4.0'\n",
		"www/index.html":        "<!DOCTYPE html><title>Router</title><p>Router administration: <a href=\"/login\">log in</a></p>\n",
		"etc/ssh/.keep":         "",
		"etc/ssl/private/.keep": "",
		"root/.ssh/.keep":       "",
	}
	modes := map[string]int{"etc/init.d/rcS": 0o100755}
	for _, bin := range []struct{ host, fw string }{{"/usr/sbin/sshd", "usr/sbin/sshd"}, {"/usr/sbin/dnsmasq", "usr/sbin/dnsmasq"}, {"/usr/sbin/nginx", "usr/sbin/nginx"}} {
		b, err := os.ReadFile(bin.host)
		if err != nil {
			return nil, fmt.Errorf("labnet: firmware binary: %w", err)
		}
		files[bin.fw] = string(b)
		modes[bin.fw] = 0o100755
	}
	return writeFirmware(dir, "hardened-router.cpio", files, modes, "")
}

// writeFirmware writes files as a root file system under dir/firmware/rootfs and as the newc
// cpio image dir/firmware/NAME.
func writeFirmware(dir, imageName string, files map[string]string, modes map[string]int, keyPath string) (*Firmware, error) {
	root := filepath.Join(dir, "firmware", "rootfs")
	for name, body := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, fmt.Errorf("labnet: firmware: %w", err)
		}
		mode := os.FileMode(0o644)
		if m, ok := modes[name]; ok {
			mode = os.FileMode(m & 0o777)
		} else if name == "etc/shadow" || name == firmwareKeyPath {
			mode = 0o600
		}
		if err := os.WriteFile(p, []byte(body), mode); err != nil {
			return nil, fmt.Errorf("labnet: firmware: %w", err)
		}
	}
	image := filepath.Join(dir, "firmware", imageName)
	if err := os.WriteFile(image, fwtest.CPIO(files, modes), 0o644); err != nil {
		return nil, fmt.Errorf("labnet: firmware image: %w", err)
	}
	return &Firmware{Image: image, Root: root, KeyPath: keyPath}, nil
}
