package labnet

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Update is the device's update client and the update its vendor publishes: the client runs in
// the device's namespace and asks, every Every, the vendor's update server for the latest
// version, reporting its own in the query string (GET /MODEL/check?current=VERSION). In the lab
// that server is the tester: the client's URL points at the tester's WAN address, where the lab
// engine serves the genuine update files of Dir (and, to test the device, an altered image).
type Update struct {
	// URL is where the client fetches from; Listen is the tester's address its requests go to.
	URL    string `json:"url"`
	Listen string `json:"listen"`
	TLS    bool   `json:"tls"`
	// CertFile and KeyFile are the update server's identity, issued by the CA the device's
	// client trusts ("" when the client uses plain HTTP).
	CertFile string `json:"cert_file,omitempty"`
	KeyFile  string `json:"key_file,omitempty"`
	// Dir holds the genuine update files as the vendor's server has them: the manifest at
	// MODEL/check ("version V" and "image PATH" lines), the image and, when signed, its
	// signature at the image's path plus ".sig".
	Dir   string `json:"dir"`
	Image string `json:"image"` // URL path of the image
	// Current is the version the device runs when the lab starts, Next the update's.
	Current string        `json:"current"`
	Next    string        `json:"next"`
	Every   time.Duration `json:"every"`
	// VerifiesServer is whether the client refuses a server certificate its CA did not issue;
	// VerifiesImage whether it refuses an image whose signature does not check out. Both false
	// on the Mirai-era router, which fetches over plain HTTP and installs what it gets.
	VerifiesServer bool `json:"verifies_server"`
	VerifiesImage  bool `json:"verifies_image"`
	// AutoInstall is whether the client installs an update with no user step.
	AutoInstall bool `json:"auto_install"`
}

// updateEvery is how often the lab devices check for updates: a real router checks daily, a lab
// device often enough that one run sees several checks.
const updateEvery = 2 * time.Second

// miraiUpdateClient checks, downloads over plain HTTP and installs whatever it gets: no
// transport security, no signature. (Such routers use busybox wget; Debian's static busybox
// cannot resolve its own URLs in a namespace, so the lab device uses curl the same way.)
const miraiUpdateClient = `#!/bin/sh
# Update client of the Mirai-era router: plain HTTP, no check of what it installs.
cd @STATE@ || exit 1
get() { curl -sf --max-time 5 -o "$1" "$2"; }
while :; do
	cur=$(cat version)
	if get manifest "@URL@/mr1/check?current=$cur"; then
		new=$(sed -n 's/^version //p' manifest)
		img=$(sed -n 's/^image //p' manifest)
		if [ -n "$new" ] && [ "$new" != "$cur" ] && get image.bin "@URL@$img"; then
			cp image.bin installed.bin && echo "$new" > version
		fi
	fi
	sleep @EVERY@
done
`

// hardenedUpdateClient fetches over HTTPS (TLS 1.2 or later, the server's certificate checked
// against the vendor's update CA) and installs only an image whose ECDSA signature verifies with
// the vendor's update key.
const hardenedUpdateClient = `#!/bin/sh
# Update client of the hardened router: HTTPS with the vendor's CA, signed images only.
cd @STATE@ || exit 1
get() { curl -sf --max-time 5 --tlsv1.2 --cacert @CA@ -o "$1" "$2"; }
while :; do
	cur=$(cat version)
	if get manifest "@URL@/hr1/check?current=$cur"; then
		new=$(sed -n 's/^version //p' manifest)
		img=$(sed -n 's/^image //p' manifest)
		if [ -n "$new" ] && [ "$new" != "$cur" ] && get image.bin "@URL@$img" && get image.sig "@URL@$img.sig"; then
			if openssl dgst -sha256 -verify @KEY@ -signature image.sig image.bin >/dev/null 2>&1; then
				cp image.bin installed.bin && echo "$new" > version
			else
				echo "update $new refused: bad signature" >&2
			fi
		fi
	fi
	sleep @EVERY@
done
`

// configureUpdate writes the device's update client, its state and the vendor's genuine
// update, and returns the client as a daemon and what is true of it. signed: the hardened client
// (HTTPS, vendor CA, signed images); otherwise the Mirai-era one.
func (l *Lab) configureUpdate(model string, signed bool) (daemon, *Update, error) {
	dir := l.Dir
	tester := l.TesterWAN
	u := &Update{Dir: filepath.Join(dir, "update-server"), Image: "/" + model + "/" + strings.ToUpper(model) + "-1.0.4.bin",
		Current: "1.0.3", Next: "1.0.4", Every: updateEvery, TLS: signed, VerifiesServer: signed, VerifiesImage: signed, AutoInstall: true}
	scheme, port := "http", 80
	if signed {
		scheme, port = "https", 443
	}
	u.Listen = netip.AddrPortFrom(tester, uint16(port)).String()
	u.URL = scheme + "://" + tester.String() // the scheme's own port
	// The image: a recognisable header and enough bytes that a flipped one lands in the body.
	image := []byte(fmt.Sprintf("%s firmware %s\n", strings.ToUpper(model), u.Next))
	pad := make([]byte, 64<<10)
	if _, err := rand.Read(pad); err != nil {
		return daemon{}, nil, fmt.Errorf("labnet: update image: %w", err)
	}
	image = append(image, pad...)
	files := map[string]string{
		"update-server/" + model + "/check": fmt.Sprintf("version %s\nimage %s\n", u.Next, u.Image),
		"update-server" + u.Image:           string(image),
		"dut-update/version":                u.Current + "\n",
	}
	state := filepath.Join(dir, "dut-update")
	client := strings.NewReplacer("@STATE@", state, "@URL@", u.URL, "@EVERY@", fmt.Sprint(int(updateEvery/time.Second)))
	script := miraiUpdateClient
	if signed {
		ca, caKey, err := newUpdateCA()
		if err != nil {
			return daemon{}, nil, err
		}
		certPEM, keyPEM, err := updateServerIdentity(ca, caKey, tester)
		if err != nil {
			return daemon{}, nil, err
		}
		signKey, err := newECDSAKey()
		if err != nil {
			return daemon{}, nil, err
		}
		digest := sha256.Sum256(image)
		sig, err := ecdsa.SignASN1(rand.Reader, signKey.(*ecdsa.PrivateKey), digest[:])
		if err != nil {
			return daemon{}, nil, fmt.Errorf("labnet: sign update: %w", err)
		}
		pub, err := x509.MarshalPKIXPublicKey(signKey.Public())
		if err != nil {
			return daemon{}, nil, fmt.Errorf("labnet: update key: %w", err)
		}
		files["update-server"+u.Image+".sig"] = string(sig)
		files["update-ca.crt"] = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw}))
		files["update-signing.pub"] = string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}))
		files["update-server.crt"] = string(certPEM)
		files["update-server.key"] = string(keyPEM)
		u.CertFile, u.KeyFile = filepath.Join(dir, "update-server.crt"), filepath.Join(dir, "update-server.key")
		script = hardenedUpdateClient
		client = strings.NewReplacer("@STATE@", state, "@URL@", u.URL, "@EVERY@", fmt.Sprint(int(updateEvery/time.Second)),
			"@CA@", filepath.Join(dir, "update-ca.crt"), "@KEY@", filepath.Join(dir, "update-signing.pub"))
	}
	files["update-client.sh"] = client.Replace(script)
	if err := writeFiles(dir, files, "update-client.sh"); err != nil {
		return daemon{}, nil, err
	}
	if signed {
		if err := os.Chmod(u.KeyFile, 0o600); err != nil {
			return daemon{}, nil, fmt.Errorf("labnet: %w", err)
		}
	}
	return daemon{name: "update-client", ns: l.DUTNamespace, argv: []string{"sh", filepath.Join(dir, "update-client.sh")}}, u, nil
}

// newUpdateCA is the vendor's update CA, which the hardened client trusts for its server.
func newUpdateCA() (*x509.Certificate, *ecdsa.PrivateKey, error) {
	k, err := newECDSAKey()
	if err != nil {
		return nil, nil, err
	}
	key := k.(*ecdsa.PrivateKey)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Router vendor update CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().AddDate(1, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign,
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, nil, fmt.Errorf("labnet: update CA: %w", err)
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("labnet: update CA: %w", err)
	}
	return ca, key, nil
}

// updateServerIdentity is the update server's certificate, for the tester's address, issued by
// the update CA; PEM certificate and PKCS#8 key.
func updateServerIdentity(ca *x509.Certificate, caKey *ecdsa.PrivateKey, addr netip.Addr) ([]byte, []byte, error) {
	k, err := newECDSAKey()
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "update.router.example"},
		DNSNames:     []string{"update.router.example"},
		IPAddresses:  []net.IP{addr.AsSlice()},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().AddDate(0, 1, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, k.Public(), caKey)
	if err != nil {
		return nil, nil, fmt.Errorf("labnet: update server certificate: %w", err)
	}
	kb, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, nil, fmt.Errorf("labnet: update server key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), nil
}
