package labnet

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"net/netip"
	"slices"
	"time"
)

// Side is where a probe comes from.
type Side string

// The sides of the device.
const (
	LAN  Side = "lan"  // the local network, IPv4
	WAN  Side = "wan"  // the internet side, IPv4
	WAN6 Side = "wan6" // the internet side, IPv6
)

// Sides lists every side.
var Sides = []Side{LAN, WAN, WAN6}

// Truth is what the device under test really does, known because the lab configured it (and,
// for versions, read from the programs it runs). The lab's own tests check it against nmap and
// testssl.sh.
type Truth struct {
	Profile Profile `json:"profile"`
	// Open maps each side to the ports that answer from there. A UDP port counts as open when a
	// daemon serves it and no firewall drops it: nmap can prove that only for the protocols it
	// has a payload for (DNS, SNMP, SSDP, NAT-PMP all are).
	Open map[Side]Ports `json:"open"`
	// Services describes every listening service.
	Services []Service `json:"services"`
	// Credentials lists logins, those that work and those that must not.
	Credentials []Credential `json:"credentials"`
	// TLS lists the TLS services.
	TLS []TLSService `json:"tls"`
	// SSH describes the SSH server, nil when there is none.
	SSH *SSHService `json:"ssh,omitempty"`
	// Admin lists the administration pages and what they answer without credentials.
	Admin []AdminPage `json:"admin"`
	// BruteForce says, per login, whether repeated attempts are limited.
	BruteForce []BruteForce `json:"brute_force"`
	// OpenResolver is the query the device answers recursively from the WAN side, nil when DNS
	// does not answer there.
	OpenResolver *Resolver `json:"open_resolver,omitempty"`
	// SNMPCommunity is the read community that works (from every side where 161/udp is open),
	// empty without SNMP.
	SNMPCommunity string `json:"snmp_community,omitempty"`
	// UPnPOnWAN is whether the UPnP IGD (SSDP and its description) answers from the WAN side.
	UPnPOnWAN bool `json:"upnp_on_wan"`
	// WANDefaultDeny is whether inbound connections from the WAN side (IPv4 and IPv6) are
	// dropped by a firewall, whatever the daemons listen on.
	WANDefaultDeny bool `json:"wan_default_deny"`
	// PasswordForm is the address path of the configuration page that, behind the login, holds
	// a form setting the administrator password ("" when there is none).
	PasswordForm string `json:"password_form,omitempty"`
	// DHCP maps each side where a DHCP server answers to what it tells a client; DHCP is IPv4,
	// so WAN6 never has one.
	DHCP map[Side]*DHCP `json:"dhcp,omitempty"`
	// Firmware is the image of the device's firmware, nil for a profile without one.
	Firmware *Firmware `json:"firmware,omitempty"`
	// Update is the device's update client and the update it expects (update.go).
	Update *Update `json:"update,omitempty"`
}

// DHCP is the configuration a DHCP server hands out on a side.
type DHCP struct {
	ServerID   string `json:"server_id"`
	SubnetMask string `json:"subnet_mask"`
	Router     string `json:"router"`
	DNS        string `json:"dns"`
	Domain     string `json:"domain"`
}

// Ports are open port numbers, ascending.
type Ports struct {
	TCP []int `json:"tcp"`
	UDP []int `json:"udp"`
}

// Service is one listening service.
type Service struct {
	Name    string `json:"name"`  // nmap's service name: telnet, http, https, domain, snmp, ssh, upnp, ssdp, nat-pmp
	Proto   string `json:"proto"` // tcp or udp
	Port    int    `json:"port"`
	Sides   []Side `json:"sides"`   // where it answers
	Product string `json:"product"` // the program: "BusyBox telnetd", "nginx", "dnsmasq", ...
	Version string `json:"version"` // its version as the program reports it
	// VersionShown is whether the service tells its version on the wire (a banner, a Server
	// header, version.bind); a hidden version is still the one above.
	VersionShown bool   `json:"version_shown"`
	Package      string `json:"package"` // the Debian package it comes from
}

// Credential is a login attempt and whether it works.
type Credential struct {
	Service  string `json:"service"` // telnet, http-basic, ssh
	Port     int    `json:"port"`
	Path     string `json:"path,omitempty"` // for HTTP
	TLS      bool   `json:"tls,omitempty"`  // HTTP over TLS
	User     string `json:"user"`
	Password string `json:"password,omitempty"`
	KeyFile  string `json:"key_file,omitempty"` // an OpenSSH private key, for SSH
	Works    bool   `json:"works"`
	// Default is whether the credential is a factory default (on a public list such as Mirai's).
	Default bool `json:"default"`
}

// TLSService is a TLS endpoint.
type TLSService struct {
	Port int `json:"port"`
	// Versions are the offered protocol versions in testssl.sh's spelling: TLS1, TLS1_1,
	// TLS1_2, TLS1_3.
	Versions []string `json:"versions"`
	// NotOffered are the versions that must be refused (SSLv3 is never offered, and not listed).
	NotOffered []string `json:"not_offered"`
	// SPKISHA256 is the SHA-256 of the certificate's SubjectPublicKeyInfo, hex: the fingerprint
	// the firmware analysis gives for a key it finds in an image.
	SPKISHA256 string `json:"spki_sha256"`
	// CertSHA256 is the SHA-256 of the DER certificate, hex.
	CertSHA256   string    `json:"cert_sha256"`
	SelfSigned   bool      `json:"self_signed"`
	KeyAlgorithm string    `json:"key_algorithm"` // RSA, ECDSA
	KeyBits      int       `json:"key_bits"`
	NotAfter     time.Time `json:"not_after"`
	// InFirmware is whether the private key also sits in the firmware image.
	InFirmware bool `json:"in_firmware"`
}

// SSHService is the SSH server.
type SSHService struct {
	Port int `json:"port"`
	// Banner is the identification string the server sends, without CR LF.
	Banner       string `json:"banner"`
	PasswordAuth bool   `json:"password_auth"`
	// HostKey is the host key's fingerprint as OpenSSH prints it ("SHA256:...").
	HostKey     string `json:"host_key"`
	HostKeyType string `json:"host_key_type"` // ssh-ed25519
}

// AdminPage is a page of the web administration.
type AdminPage struct {
	Port int    `json:"port"`
	Path string `json:"path"`
	TLS  bool   `json:"tls,omitempty"`
	// AuthRequired is whether the page needs a login (HTTP basic authentication here).
	AuthRequired bool `json:"auth_required"`
	// Status is the HTTP status of a request without credentials (401, or 301 for a redirect
	// to HTTPS).
	Status int `json:"status"`
	// Cookie is the session cookie a successful login sets, nil when none is set.
	Cookie *Cookie `json:"cookie,omitempty"`
}

// Cookie is a cookie and its attributes.
type Cookie struct {
	Name     string `json:"name"`
	Secure   bool   `json:"secure"`
	HTTPOnly bool   `json:"http_only"`
	SameSite string `json:"same_site"` // Strict, Lax, None or empty
}

// BruteForce describes whether repeated login attempts are limited.
type BruteForce struct {
	Service string `json:"service"`
	Port    int    `json:"port"`
	Path    string `json:"path,omitempty"`
	Limited bool   `json:"limited"`
	// Attempts is how many attempts in quick succession pass before the limit answers.
	Attempts int `json:"attempts,omitempty"`
	// Status is the HTTP status of a refused attempt.
	Status int `json:"status,omitempty"`
	// Recovery is the time after which one more attempt passes.
	Recovery time.Duration `json:"recovery,omitempty"`
	// Mechanism says what enforces the limit.
	Mechanism string `json:"mechanism,omitempty"`
}

// Resolver is a recursive query the device answers.
type Resolver struct {
	Name   string     `json:"name"`   // a name outside the device's own zone
	Answer netip.Addr `json:"answer"` // the A record the upstream resolver gives
	// VersionBind is what the device answers to "version.bind" (CHAOS TXT).
	VersionBind string `json:"version_bind"`
}

// Firmware is the firmware image of the device.
type Firmware struct {
	// Image is a newc cpio archive (an initramfs) of the root file system.
	Image string `json:"image"`
	// Root is the same file system unpacked in a directory.
	Root string `json:"root"`
	// KeyPath is where the TLS private key sits in the file system, empty when the image
	// holds none.
	KeyPath string `json:"key_path"`
}

// Service returns the service on the port, if any.
func (t *Truth) Service(proto string, port int) (Service, bool) {
	for _, s := range t.Services {
		if s.Proto == proto && s.Port == port {
			return s, true
		}
	}
	return Service{}, false
}

// openFromServices derives Open from the services' sides.
func openFromServices(svcs []Service) map[Side]Ports {
	open := map[Side]Ports{}
	for _, side := range Sides {
		var p Ports
		for _, s := range svcs {
			if !slices.Contains(s.Sides, side) {
				continue
			}
			if s.Proto == "tcp" {
				p.TCP = append(p.TCP, s.Port)
			} else {
				p.UDP = append(p.UDP, s.Port)
			}
		}
		slices.Sort(p.TCP)
		p.TCP = slices.Compact(p.TCP)
		slices.Sort(p.UDP)
		p.UDP = slices.Compact(p.UDP)
		if p.TCP == nil {
			p.TCP = []int{}
		}
		if p.UDP == nil {
			p.UDP = []int{}
		}
		open[side] = p
	}
	return open
}

// spkiSHA256 is the hex SHA-256 of a certificate's SubjectPublicKeyInfo.
func spkiSHA256(c *x509.Certificate) string {
	sum := sha256.Sum256(c.RawSubjectPublicKeyInfo)
	return hex.EncodeToString(sum[:])
}
