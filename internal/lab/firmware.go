package lab

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// FirmwareFacts is what the firmware analysis of the same release found that a lab run can
// compare with: the public keys of the private keys embedded in the image, its components, and
// the default credentials it found.
type FirmwareFacts struct {
	Image string `json:"image"`
	// Keys maps a public key fingerprint (SPKI SHA-256 in hex, or OpenSSH "SHA256:...") to where
	// the image holds the key.
	Keys       map[string]string `json:"keys"`
	Components map[string]string `json:"components"` // lower-case name -> version
	// Credentials are the default passwords the analysis verified against the image's
	// password hashes: the first a lab run tries.
	Credentials []Credential `json:"credentials,omitempty"`
}

var (
	spkiRe   = regexp.MustCompile(`public key SHA-256 \(SPKI\) ([0-9a-f]{64})`)
	sshFPRe  = regexp.MustCompile(`SSH (SHA256:[A-Za-z0-9+/=]+)`)
	credRe   = regexp.MustCompile(`^user ("(?:[^"\\]|\\.)*"), password ("(?:[^"\\]|\\.)*")`)
	maxFWDoc = int64(256 << 20)
)

// ReadFirmwareFacts reads the JSON output of 'siegel firmware scan --format json'.
func ReadFirmwareFacts(r io.Reader, name string) (*FirmwareFacts, error) {
	var doc struct {
		Image      string `json:"image"`
		SHA256     string `json:"sha256"`
		Components []struct {
			Name    string `json:"name"`
			Version string `json:"version"`
		} `json:"components"`
		Weaknesses []struct {
			Rule     string `json:"rule"`
			Path     string `json:"path"`
			Evidence string `json:"evidence"`
		} `json:"weaknesses"`
	}
	dec := json.NewDecoder(io.LimitReader(r, maxFWDoc))
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: not a firmware analysis (siegel firmware scan --format json): %w", name, err)
	}
	if doc.SHA256 == "" && doc.Image == "" {
		return nil, fmt.Errorf("%s: no image or sha256 field: not a firmware analysis (siegel firmware scan --format json)", name)
	}
	f := &FirmwareFacts{Image: doc.Image, Keys: map[string]string{}, Components: map[string]string{}}
	if doc.SHA256 != "" {
		f.Image += " sha256:" + doc.SHA256
	}
	for _, c := range doc.Components {
		f.Components[strings.ToLower(c.Name)] = c.Version
	}
	for _, w := range doc.Weaknesses {
		if w.Rule == "weak-credentials" {
			if m := credRe.FindStringSubmatch(w.Evidence); m != nil {
				c := Credential{User: unquote(m[1]), Password: unquote(m[2]), Source: "firmware " + w.Path}
				if !slices.ContainsFunc(f.Credentials, func(x Credential) bool { return x.User == c.User && x.Password == c.Password }) {
					f.Credentials = append(f.Credentials, c)
				}
			}
		}
		if w.Rule != "private-key" {
			continue
		}
		for _, m := range spkiRe.FindAllStringSubmatch(w.Evidence, -1) {
			f.Keys[m[1]] = w.Path
		}
		for _, m := range sshFPRe.FindAllStringSubmatch(w.Evidence, -1) {
			f.Keys[m[1]] = w.Path
		}
	}
	return f, nil
}

func unquote(s string) string {
	if u, err := strconv.Unquote(s); err == nil {
		return u
	}
	return strings.Trim(s, `"`)
}

// keyKnown says whether the image holds the private key of one of the fingerprints.
func (f *FirmwareFacts) keyKnown(fps ...string) (string, bool) {
	if f == nil {
		return "", false
	}
	for _, fp := range fps {
		if p, ok := f.Keys[fp]; ok && fp != "" {
			return f.Image + ":" + p, true
		}
	}
	return "", false
}

// productNames maps what services call themselves to the names firmware inventories use.
var productNames = map[string][]string{
	"openssh": {"openssh", "openssh-server"}, "dropbear": {"dropbear", "dropbear-bin", "dropbear-run"},
	"dnsmasq": {"dnsmasq", "dnsmasq-base", "dnsmasq-full"}, "lighttpd": {"lighttpd"}, "nginx": {"nginx", "nginx-light", "nginx-core"},
	"busybox": {"busybox"}, "apache": {"apache2", "httpd"}, "uhttpd": {"uhttpd"}, "minihttpd": {"mini_httpd", "mini-httpd"},
}

// crossCheck compares a service's product and version with the firmware inventory.
func (f *FirmwareFacts) crossCheck(s Service) string {
	if f == nil || s.Product == "" {
		return ""
	}
	names := productNames[strings.ToLower(s.Product)]
	if names == nil {
		names = []string{strings.ToLower(s.Product)}
	}
	for _, n := range names {
		v, ok := f.Components[n]
		if !ok {
			continue
		}
		switch {
		case s.Version == "":
			return "in the firmware inventory as " + n + " " + v + "; the service does not show its version"
		case strings.HasPrefix(v, s.Version) || strings.Contains(v, s.Version):
			return "matches the firmware inventory: " + n + " " + v
		default:
			return "differs from the firmware inventory: the service says " + s.Version + ", the image has " + n + " " + v
		}
	}
	return "not in the firmware inventory: the device runs " + s.Product + " but the analysed image does not list it"
}
