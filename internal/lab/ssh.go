package lab

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// SSHService is what an SSH server offers before authentication.
type SSHService struct {
	Address        string   `json:"address"`
	Version        string   `json:"version"` // the identification string
	Kex            []string `json:"kex"`
	HostKeyAlgs    []string `json:"hostKeyAlgorithms"`
	Ciphers        []string `json:"ciphers"` // client to server
	MACs           []string `json:"macs"`
	Weak           []string `json:"weak,omitempty"` // algorithms offered that are broken or deprecated
	HostKey        string   `json:"hostKey,omitempty"`
	HostKeySHA256  string   `json:"hostKeyFingerprint,omitempty"` // as OpenSSH prints it
	HostKeySPKI    string   `json:"hostKeySpkiSha256,omitempty"`
	PasswordAuth   bool     `json:"passwordAuth"` // the server lets a client try a password
	AuthMethods    string   `json:"authMethods,omitempty"`
	InFirmware     bool     `json:"hostKeyInFirmware"`
	FirmwareKeyRef string   `json:"firmwareKeyRef,omitempty"`
}

// KexInit is the algorithm negotiation message of an SSH server (RFC 4253 §7.1).
type KexInit struct {
	Kex, HostKey, CiphersCS, CiphersSC, MACsCS, MACsSC, CompCS, CompSC, LangCS, LangSC []string
	FirstKexFollows                                                                    bool
}

// Limits of the SSH reader: an identification line is at most 255 bytes (RFC 4253 §4.2), and a
// KEXINIT packet of a real server is a few kilobytes.
const (
	maxIdentLines = 32
	maxSSHPacket  = 35000
	maxNameList   = 8192
)

// ReadSSHIdent reads the server's identification line, skipping the lines a server may send
// before it.
func ReadSSHIdent(r *bufio.Reader) (string, error) {
	for range maxIdentLines {
		line, err := readLine(r, 256)
		if err != nil {
			return "", fmt.Errorf("ssh identification: %w", err)
		}
		if strings.HasPrefix(line, "SSH-") {
			return line, nil
		}
	}
	return "", errors.New("ssh identification: no SSH- line among the first 32 lines")
}

func readLine(r *bufio.Reader, max int) (string, error) {
	var b []byte
	for len(b) <= max {
		c, err := r.ReadByte()
		if err != nil {
			return "", err
		}
		if c == '\n' {
			return strings.TrimRight(string(b), "\r"), nil
		}
		b = append(b, c)
	}
	return "", fmt.Errorf("line longer than %d bytes", max)
}

// ReadSSHPacket reads one unencrypted binary packet (RFC 4253 §6) and returns its payload.
func ReadSSHPacket(r io.Reader) ([]byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, fmt.Errorf("ssh packet header: %w", err)
	}
	length := binary.BigEndian.Uint32(hdr[:4])
	pad := int(hdr[4])
	if length < 5 || length > maxSSHPacket {
		return nil, fmt.Errorf("ssh packet length %d outside 5..%d", length, maxSSHPacket)
	}
	if pad < 4 || pad >= int(length) {
		return nil, fmt.Errorf("ssh packet padding %d invalid for length %d", pad, length)
	}
	body := make([]byte, length-1)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, fmt.Errorf("ssh packet body: %w", err)
	}
	return body[:len(body)-pad], nil
}

// ParseKexInit parses an SSH_MSG_KEXINIT payload. Errors name the field and byte offset.
func ParseKexInit(b []byte) (*KexInit, error) {
	if len(b) < 17 || b[0] != 20 {
		if len(b) == 0 {
			return nil, errors.New("kexinit: empty payload")
		}
		return nil, fmt.Errorf("kexinit: message type %d at offset 0, want 20 (SSH_MSG_KEXINIT) followed by a 16-byte cookie", b[0])
	}
	off := 17
	k := &KexInit{}
	fields := []*[]string{&k.Kex, &k.HostKey, &k.CiphersCS, &k.CiphersSC, &k.MACsCS, &k.MACsSC, &k.CompCS, &k.CompSC, &k.LangCS, &k.LangSC}
	names := []string{"kex_algorithms", "server_host_key_algorithms", "encryption_algorithms_client_to_server", "encryption_algorithms_server_to_client",
		"mac_algorithms_client_to_server", "mac_algorithms_server_to_client", "compression_algorithms_client_to_server",
		"compression_algorithms_server_to_client", "languages_client_to_server", "languages_server_to_client"}
	for i, f := range fields {
		if len(b)-off < 4 {
			return nil, fmt.Errorf("kexinit: %s at offset %d: truncated length", names[i], off)
		}
		n := int(binary.BigEndian.Uint32(b[off:]))
		off += 4
		if n > maxNameList || n > len(b)-off {
			return nil, fmt.Errorf("kexinit: %s at offset %d: length %d exceeds the %d bytes left (limit %d)", names[i], off-4, n, len(b)-off, maxNameList)
		}
		s := string(b[off : off+n])
		off += n
		if s != "" {
			for _, name := range strings.Split(s, ",") {
				if name == "" || strings.ContainsFunc(name, func(r rune) bool { return r <= ' ' || r > '~' }) {
					return nil, fmt.Errorf("kexinit: %s at offset %d: bad algorithm name %q", names[i], off-n, name)
				}
				*f = append(*f, name)
			}
		}
	}
	if len(b)-off < 5 {
		return nil, fmt.Errorf("kexinit: first_kex_packet_follows at offset %d: truncated", off)
	}
	k.FirstKexFollows = b[off] != 0
	return k, nil
}

// weakSSH are algorithms that are broken or deprecated (RFC 9142 for key exchange, RFC 8758
// for RC4, RFC 8332 and OpenSSH's deprecations for ssh-rsa with SHA-1 and DSA).
var weakSSH = map[string]string{
	"diffie-hellman-group1-sha1":          "kex",
	"diffie-hellman-group14-sha1":         "kex",
	"diffie-hellman-group-exchange-sha1":  "kex",
	"gss-group1-sha1-":                    "kex",
	"ssh-dss":                             "host key",
	"ssh-rsa":                             "host key (SHA-1 signatures)",
	"3des-cbc":                            "cipher",
	"blowfish-cbc":                        "cipher",
	"cast128-cbc":                         "cipher",
	"arcfour":                             "cipher",
	"arcfour128":                          "cipher",
	"arcfour256":                          "cipher",
	"des-cbc":                             "cipher",
	"none":                                "cipher",
	"hmac-md5":                            "mac",
	"hmac-md5-96":                         "mac",
	"hmac-sha1-96":                        "mac",
	"hmac-md5-etm@openssh.com":            "mac",
	"rijndael-cbc@lysator.liu.se":         "cipher",
	"diffie-hellman-group14-sha1@ssh.com": "kex",
}

// sshProbe reads the server's KEXINIT and host key and finds whether password logins are offered.
func (e *engine) sshProbe(ctx context.Context, addr string) *SSHService {
	out := &SSHService{Address: addr}
	c, err := e.p.connect(ctx, "ssh-kexinit", addr, e.cfg.ConnectTimeout)
	if err != nil {
		return nil
	}
	start, t0 := e.p.now(), time.Now()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(c)
	ident, err := ReadSSHIdent(br)
	outcome := "kexinit"
	var kex *KexInit
	if err == nil {
		out.Version = ident
		_, _ = c.Write([]byte("SSH-2.0-Siegel_lab\r\n"))
		var payload []byte
		if payload, err = ReadSSHPacket(br); err == nil {
			kex, err = ParseKexInit(payload)
		}
	}
	if err != nil {
		outcome = "error: " + err.Error()
	}
	c.Close()
	e.p.session("ssh-kexinit", addr, start, time.Since(t0), "SSH-2.0-Siegel_lab", Printable([]byte(ident)), outcome)
	if kex != nil {
		out.Kex, out.HostKeyAlgs, out.Ciphers, out.MACs = kex.Kex, kex.HostKey, kex.CiphersCS, kex.MACsCS
		for _, list := range [][]string{kex.Kex, kex.HostKey, kex.CiphersCS, kex.CiphersSC, kex.MACsCS, kex.MACsSC} {
			for _, a := range list {
				if what, bad := weakSSH[a]; bad && !containsStr(out.Weak, a+" ("+what+")") {
					out.Weak = append(out.Weak, a+" ("+what+")")
				}
			}
		}
	}
	// The host key and the authentication methods come from a real handshake.
	_, methods, key := e.sshAuth(ctx, addr, "siegel-lab-probe", "", true)
	if key != nil {
		out.HostKey = key.Type()
		out.HostKeySHA256 = ssh.FingerprintSHA256(key)
		if spki := sshSPKI(key); spki != "" {
			out.HostKeySPKI = spki
		}
		if ref, ok := e.cfg.Firmware.keyKnown(out.HostKeySPKI, out.HostKeySHA256); ok {
			out.InFirmware, out.FirmwareKeyRef = true, ref
		}
	}
	out.AuthMethods = methods
	out.PasswordAuth = !strings.HasPrefix(methods, "publickey only") && (strings.Contains(methods, "password") || strings.Contains(methods, "keyboard-interactive") || strings.HasPrefix(methods, "none"))
	return out
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// sshSPKI gives the SHA-256 of the host key as SubjectPublicKeyInfo, the form the firmware
// analysis prints, when the key type has one.
func sshSPKI(k ssh.PublicKey) string {
	ck, ok := k.(ssh.CryptoPublicKey)
	if !ok {
		return ""
	}
	return spkiSHA256(ck.CryptoPublicKey())
}

// sshAuth tries one password login (or, with probe, only asks which methods the server
// offers). It returns the outcome, the methods the server named, and its host key.
func (e *engine) sshAuth(ctx context.Context, addr, user, password string, probe bool) (loginOutcome, string, ssh.PublicKey) {
	c, err := e.p.connect(ctx, "ssh-connect", addr, e.cfg.ConnectTimeout)
	if err != nil {
		return loginRefused, "", nil
	}
	defer c.Close()
	start, t0 := e.p.now(), time.Now()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	var hostKey ssh.PublicKey
	var auth []ssh.AuthMethod
	if !probe {
		auth = []ssh.AuthMethod{ssh.Password(password), ssh.KeyboardInteractive(func(_, _ string, qs []string, _ []bool) ([]string, error) {
			ans := make([]string, len(qs))
			for i := range ans {
				ans[i] = password
			}
			return ans, nil
		})}
	}
	cfg := &ssh.ClientConfig{User: user, Auth: auth, Timeout: 10 * time.Second, ClientVersion: "SSH-2.0-Siegel_lab",
		HostKeyCallback: func(_ string, _ net.Addr, k ssh.PublicKey) error { hostKey = k; return nil }}
	conn, chans, reqs, err := ssh.NewClientConn(c, addr, cfg)
	outcome := loginAccepted
	methods := ""
	switch {
	case err == nil:
		go ssh.DiscardRequests(reqs)
		go func() {
			for ch := range chans {
				_ = ch.Reject(ssh.Prohibited, "")
			}
		}()
		conn.Close()
		methods = "none accepted"
	case strings.Contains(err.Error(), "unable to authenticate"):
		outcome = loginRejected
		methods = err.Error()
	default:
		outcome = loginRefused
		methods = err.Error()
	}
	if probe {
		// The server lists its methods in its answer to "none"; x/crypto/ssh does not show the
		// list, so ask once more with a password and see whether it was tried.
		methods = e.sshMethods(ctx, addr)
	}
	what := "user " + user
	if probe {
		what = "methods"
	}
	e.p.session("ssh-auth", addr, start, time.Since(t0), what, methods, outcome.String())
	return outcome, methods, hostKey
}

// sshMethods finds which of password and keyboard-interactive the server lets a client try,
// by offering both with a random password for a user that does not exist.
func (e *engine) sshMethods(ctx context.Context, addr string) string {
	c, err := e.p.connect(ctx, "ssh-connect", addr, e.cfg.ConnectTimeout)
	if err != nil {
		return ""
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	var tried []string
	cfg := &ssh.ClientConfig{User: "siegel-lab-" + randomToken(4), Timeout: 10 * time.Second, ClientVersion: "SSH-2.0-Siegel_lab",
		HostKeyCallback: ssh.InsecureIgnoreHostKey(),
		Auth: []ssh.AuthMethod{
			ssh.PasswordCallback(func() (string, error) { tried = append(tried, "password"); return randomToken(12), nil }),
			ssh.KeyboardInteractive(func(_, _ string, qs []string, _ []bool) ([]string, error) {
				tried = append(tried, "keyboard-interactive")
				return make([]string, len(qs)), nil
			}),
		}}
	conn, _, _, err := ssh.NewClientConn(c, addr, cfg)
	if err == nil {
		conn.Close()
		return "none (a made-up user was let in)"
	}
	if len(tried) == 0 {
		return "publickey only (password and keyboard-interactive not offered)"
	}
	return strings.Join(tried, ", ")
}
