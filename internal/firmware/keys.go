package firmware

import (
	"bytes"
	"crypto"
	"crypto/dsa" //nolint:staticcheck // firmware still ships DSA keys, and they must be read to be reported
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"path"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/siegel-oss/siegel/internal/firmware/unpack"
)

// keysRequirements are the clauses a private key shipped in an image breaks: a critical
// security parameter hard-coded and shared by every device.
var keysRequirements = []string{
	"ETSI EN 303 645 5.4-3",
	"ETSI EN 303 645 5.4-4",
	"CRA Annex I Part I (2)(e)",
	"CRA Annex I Part I (2)(f)",
}

// foundKey is a private key located in a file.
type foundKey struct {
	offset    int64
	line      int
	format    string // "PEM RSA PRIVATE KEY", "DER PKCS#8", "Dropbear", ...
	key       any    // the parsed private key, nil when encrypted
	pub       crypto.PublicKey
	encrypted bool
	raw       []byte // the encoded key, hashed for evidence when there is no public key
}

// CheckKeys reports private keys shipped in the image: PEM blocks (PKCS#1, SEC 1, PKCS#8,
// OpenSSH, DSA), DER-encoded PKCS#1, PKCS#8 and SEC 1 keys anywhere in any file (binaries
// included), and Dropbear host keys. A key counts only once it parses; its public key's
// SHA-256 fingerprints are given so the same key can be recognised across images.
func CheckKeys(t *unpack.Tree) []Weakness {
	var out []Weakness
	for _, e := range t.Entries() {
		if !e.Mode.IsRegular() || len(e.Data) == 0 {
			continue
		}
		var keys []foundKey
		if k, ok := dropbearKey(e.Data); ok {
			keys = append(keys, k)
		} else {
			keys = append(keys, pemKeys(e.Data)...)
			keys = append(keys, derKeys(e.Data)...)
		}
		for _, k := range keys {
			out = append(out, keyWeakness(e.Path, k))
		}
	}
	return out
}

func keyWeakness(p string, k foundKey) Weakness {
	base := path.Base(p)
	id := "private-key"
	what := "private key"
	switch {
	case k.format == "Dropbear" || strings.HasPrefix(base, "dropbear_") && strings.HasSuffix(base, "_host_key"):
		id, what = "dropbear-host-key", "Dropbear SSH host key"
	case strings.HasPrefix(base, "ssh_host_") && strings.HasSuffix(base, "_key"):
		id, what = "ssh-host-key", "SSH host key"
	}
	w := Weakness{
		Rule:         "private-key",
		ID:           id,
		Severity:     "high",
		Path:         p,
		Line:         k.line,
		Offset:       k.offset,
		Requirements: slices.Clone(keysRequirements),
	}
	desc := describeKey(k.key, k.pub)
	if k.encrypted {
		w.ID = "encrypted-private-key"
		w.Severity = "medium"
		w.Message = fmt.Sprintf("An encrypted %s (%s) ships in the image. The passphrase that unlocks it has to ship with the device too, so it protects little: every device carries the same key, and keys must be generated on each device instead.", what, k.format)
	} else {
		w.Message = fmt.Sprintf("A %s %s (%s) ships in the image, so every device carries the same key: anyone who extracts it from one device or from a downloaded update can impersonate every device and read or alter the traffic it protects. Generate keys on each device at first boot.", desc, what, k.format)
		if weak := weakKey(k.key, k.pub); weak != "" {
			w.Message += " " + weak
		}
	}
	w.Evidence = strings.TrimSpace(desc + " " + keyFingerprints(k.pub))
	if k.pub == nil {
		sum := sha256.Sum256(k.raw)
		w.Evidence = "encoded key SHA-256 " + hex.EncodeToString(sum[:])
	}
	return w
}

// pemKeys finds the PEM private keys in data; blocks that do not decode or parse (truncated,
// commented out line by line, placeholders) are left out.
func pemKeys(data []byte) []foundKey {
	var out []foundKey
	begin := []byte("-----BEGIN ")
	for pos := 0; pos < len(data); {
		i := bytes.Index(data[pos:], begin)
		if i < 0 {
			break
		}
		start := pos + i
		pos = start + len(begin)
		label, _, ok := bytes.Cut(data[pos:min(len(data), pos+64)], []byte("-----"))
		if !ok || !bytes.HasSuffix(label, []byte("PRIVATE KEY")) {
			continue
		}
		block, rest := pem.Decode(data[start:])
		if block == nil || block.Type != string(label) {
			continue
		}
		end := len(data) - len(rest)
		pos = end
		k := foundKey{offset: int64(start), line: bytes.Count(data[:start], []byte("\n")) + 1, format: "PEM " + block.Type, raw: block.Bytes}
		switch {
		case block.Type == "ENCRYPTED PRIVATE KEY":
			// Without the passphrase, PKCS#8's EncryptedPrivateKeyInfo structure is all that
			// can be confirmed.
			var info struct {
				Algorithm pkix.AlgorithmIdentifier
				Data      []byte
			}
			if rest, err := asn1.Unmarshal(block.Bytes, &info); err != nil || len(rest) != 0 || len(info.Data) == 0 {
				continue
			}
			k.encrypted = true
		case block.Headers["Proc-Type"] == "4,ENCRYPTED":
			if block.Headers["DEK-Info"] == "" || len(block.Bytes) == 0 {
				continue
			}
			k.encrypted = true
		default:
			key, err := ssh.ParseRawPrivateKey(data[start:end])
			var missing *ssh.PassphraseMissingError
			switch {
			case errors.As(err, &missing):
				k.encrypted = true
				if missing.PublicKey != nil {
					if cp, ok := missing.PublicKey.(ssh.CryptoPublicKey); ok {
						k.pub = cp.CryptoPublicKey()
					}
				}
			case err != nil:
				// Types the SSH package does not read, such as PKCS#8 X25519 keys.
				if block.Type != "PRIVATE KEY" {
					continue
				}
				if key, err = x509.ParsePKCS8PrivateKey(block.Bytes); err != nil {
					continue
				}
				fallthrough
			default:
				k.key = key
				k.pub = publicOf(key)
				if k.pub == nil {
					continue
				}
			}
		}
		out = append(out, k)
	}
	return out
}

// derKeys finds DER-encoded private keys: a SEQUENCE holding INTEGER 0 then an INTEGER
// (PKCS#1 RSA) or a SEQUENCE (PKCS#8), or INTEGER 1 then an OCTET STRING (SEC 1 EC). Every
// candidate is parsed and kept only if it parses as a whole.
func derKeys(data []byte) []foundKey {
	var out []foundKey
	for pos := 0; pos+4 <= len(data); {
		i := bytes.Index(data[pos:], []byte{0x02, 0x01})
		if i < 0 {
			break
		}
		at := pos + i // the version INTEGER
		pos = at + 1
		if at+4 > len(data) {
			break
		}
		ver, next := data[at+2], data[at+3]
		if !(ver == 0 && (next == 0x02 || next == 0x30) || ver == 1 && next == 0x04) {
			continue
		}
		start, n := derSequenceBefore(data, at)
		if start < 0 || n < 64 || start+n > len(data) {
			continue
		}
		der := data[start : start+n]
		var key any
		var err error
		format := ""
		switch {
		case ver == 0 && next == 0x02:
			key, err = x509.ParsePKCS1PrivateKey(der)
			format = "DER PKCS#1"
		case ver == 0:
			key, err = x509.ParsePKCS8PrivateKey(der)
			format = "DER PKCS#8"
		default:
			key, err = x509.ParseECPrivateKey(der)
			format = "DER SEC 1"
		}
		if err != nil {
			continue
		}
		pub := publicOf(key)
		if pub == nil {
			continue
		}
		out = append(out, foundKey{offset: int64(start), format: format, key: key, pub: pub, raw: der})
		pos = start + n
	}
	return out
}

// derSequenceBefore reads the SEQUENCE header that ends at data[at], returning where it
// starts and the length of the whole element, or -1.
func derSequenceBefore(data []byte, at int) (int, int) {
	switch {
	case at >= 2 && data[at-2] == 0x30 && data[at-1] < 0x80:
		return at - 2, 2 + int(data[at-1])
	case at >= 3 && data[at-3] == 0x30 && data[at-2] == 0x81 && data[at-1] >= 0x80:
		return at - 3, 3 + int(data[at-1])
	case at >= 4 && data[at-4] == 0x30 && data[at-3] == 0x82:
		n := int(data[at-2])<<8 | int(data[at-1])
		if n < 0x100 {
			return -1, 0
		}
		return at - 4, 4 + n
	}
	return -1, 0
}

// dropbearKey parses a Dropbear private key file: SSH wire-format strings and mpints, the key
// type first, then the public and private parts.
func dropbearKey(data []byte) (foundKey, bool) {
	r := sshReader{b: data}
	typ, ok := r.str(32)
	if !ok {
		return foundKey{}, false
	}
	k := foundKey{format: "Dropbear", raw: data}
	switch string(typ) {
	case "ssh-rsa":
		e, n, d := r.mpint(), r.mpint(), r.mpint()
		p, q := r.mpint(), r.mpint()
		if !r.ok() || e.Sign() <= 0 || !e.IsInt64() || e.Int64() > 1<<31-1 || n.BitLen() < 256 || d.Sign() <= 0 {
			return foundKey{}, false
		}
		if new(big.Int).Mul(p, q).Cmp(n) != 0 {
			return foundKey{}, false
		}
		priv := &rsa.PrivateKey{PublicKey: rsa.PublicKey{N: n, E: int(e.Int64())}, D: d, Primes: []*big.Int{p, q}}
		k.key, k.pub = priv, &priv.PublicKey
	case "ssh-dss":
		p, q, g, y, x := r.mpint(), r.mpint(), r.mpint(), r.mpint(), r.mpint()
		if !r.ok() || p.BitLen() < 256 || p.BitLen() > 8192 || q.Sign() <= 0 || g.Sign() <= 0 || x.Sign() <= 0 {
			return foundKey{}, false
		}
		if new(big.Int).Exp(g, x, p).Cmp(y) != 0 {
			return foundKey{}, false
		}
		priv := &dsa.PrivateKey{PublicKey: dsa.PublicKey{Parameters: dsa.Parameters{P: p, Q: q, G: g}, Y: y}, X: x}
		k.key, k.pub = priv, &priv.PublicKey
	case "ssh-ed25519":
		kp, ok := r.str(64)
		if !ok || len(kp) != 64 {
			return foundKey{}, false
		}
		priv := ed25519.NewKeyFromSeed(kp[:32])
		if !bytes.Equal(priv[32:], kp[32:]) {
			return foundKey{}, false
		}
		k.key, k.pub = priv, priv.Public()
	case "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521":
		curveName, _ := r.str(16)
		point, _ := r.str(200)
		d := r.mpint()
		if !r.ok() {
			return foundKey{}, false
		}
		var c ecdh.Curve
		var ec elliptic.Curve
		switch string(curveName) {
		case "nistp256":
			c, ec = ecdh.P256(), elliptic.P256()
		case "nistp384":
			c, ec = ecdh.P384(), elliptic.P384()
		case "nistp521":
			c, ec = ecdh.P521(), elliptic.P521()
		default:
			return foundKey{}, false
		}
		size := (ec.Params().BitSize + 7) / 8
		if d.Sign() <= 0 || d.BitLen() > size*8 {
			return foundKey{}, false
		}
		ek, err := c.NewPrivateKey(d.FillBytes(make([]byte, size)))
		if err != nil || !bytes.Equal(ek.PublicKey().Bytes(), point) {
			return foundKey{}, false
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(ec, point)
		if err != nil {
			return foundKey{}, false
		}
		k.key, k.pub = &ecdsa.PrivateKey{PublicKey: *pub, D: d}, pub
	default:
		return foundKey{}, false
	}
	return k, true
}

// sshReader reads SSH wire-format values (RFC 4251 section 5); after the first failure every
// read fails and ok is false.
type sshReader struct {
	b   []byte
	bad bool
}

func (r *sshReader) ok() bool { return !r.bad }

func (r *sshReader) str(max int) ([]byte, bool) {
	if r.bad || len(r.b) < 4 {
		r.bad = true
		return nil, false
	}
	n := binary.BigEndian.Uint32(r.b)
	if n > uint32(max) || int64(n) > int64(len(r.b)-4) {
		r.bad = true
		return nil, false
	}
	s := r.b[4 : 4+n]
	r.b = r.b[4+n:]
	return s, true
}

// mpint reads a non-negative multiple-precision integer.
func (r *sshReader) mpint() *big.Int {
	s, ok := r.str(2048)
	if !ok || len(s) > 0 && s[0]&0x80 != 0 {
		r.bad = true
		return new(big.Int)
	}
	return new(big.Int).SetBytes(s)
}

// publicOf returns the public half of a parsed private key.
func publicOf(key any) crypto.PublicKey {
	switch k := key.(type) {
	case *ed25519.PrivateKey:
		return k.Public()
	case interface{ Public() crypto.PublicKey }:
		return k.Public()
	case *dsa.PrivateKey:
		return &k.PublicKey
	}
	return nil
}

// describeKey names a key's algorithm and size, as in "RSA 2048-bit".
func describeKey(key any, pub crypto.PublicKey) string {
	switch p := pub.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d-bit", p.N.BitLen())
	case *ecdsa.PublicKey:
		return "ECDSA " + p.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519"
	case *dsa.PublicKey:
		return fmt.Sprintf("DSA %d-bit", p.P.BitLen())
	case *ecdh.PublicKey:
		return fmt.Sprintf("%v", p.Curve())
	}
	if key == nil {
		return ""
	}
	return fmt.Sprintf("%T", key)
}

// weakKey says why a key would be weak even if it were unique.
func weakKey(_ any, pub crypto.PublicKey) string {
	switch p := pub.(type) {
	case *rsa.PublicKey:
		if p.N.BitLen() < 2048 {
			return fmt.Sprintf("At %d bits it is also too short to be safe.", p.N.BitLen())
		}
	case *dsa.PublicKey:
		return "DSA keys are also deprecated for SSH and TLS."
	}
	return ""
}

// keyFingerprints gives the SHA-256 of the public key as SubjectPublicKeyInfo (what TLS pins
// and certificates hold) and as OpenSSH prints it, so the key can be matched in either world.
func keyFingerprints(pub crypto.PublicKey) string {
	if pub == nil {
		return ""
	}
	var parts []string
	if der, err := x509.MarshalPKIXPublicKey(pub); err == nil {
		sum := sha256.Sum256(der)
		parts = append(parts, "public key SHA-256 (SPKI) "+hex.EncodeToString(sum[:]))
	}
	if sp, err := ssh.NewPublicKey(pub); err == nil {
		parts = append(parts, "SSH "+ssh.FingerprintSHA256(sp))
	}
	return strings.Join(parts, ", ")
}

// mayHoldPrivateKey is a cheap test, for the permissions check, of whether a file holds a
// private key: its name or its first bytes say so.
func mayHoldPrivateKey(e *unpack.Entry) bool {
	base := path.Base(e.Path)
	switch {
	case strings.HasPrefix(base, "ssh_host_") && strings.HasSuffix(base, "_key"),
		strings.HasPrefix(base, "dropbear_") && strings.HasSuffix(base, "_host_key"):
		return len(e.Data) > 0
	}
	head := e.Data[:min(len(e.Data), 4096)]
	if i := bytes.Index(head, []byte("-----BEGIN ")); i >= 0 {
		label, _, ok := bytes.Cut(head[i+11:min(len(head), i+11+64)], []byte("-----"))
		return ok && bytes.HasSuffix(label, []byte("PRIVATE KEY"))
	}
	_, ok := dropbearKey(e.Data)
	return ok
}

// CheckCertificates lists the X.509 certificates embedded in the image as PEM, outside the
// system trust store (whose CA certificates are trust anchors, not the device's own): one info
// finding each, low when the certificate has expired at now. The evidence holds the subject,
// validity and public key fingerprint, so a certificate can be matched with its private key.
func CheckCertificates(t *unpack.Tree, now time.Time) []Weakness {
	var out []Weakness
	for _, e := range t.Entries() {
		if !e.Mode.IsRegular() || trustStore(e.Path) {
			continue
		}
		data := e.Data
		for pos := 0; pos < len(data); {
			i := bytes.Index(data[pos:], []byte("-----BEGIN CERTIFICATE-----"))
			if i < 0 {
				break
			}
			start := pos + i
			pos = start + 1
			block, rest := pem.Decode(data[start:])
			if block == nil || block.Type != "CERTIFICATE" {
				continue
			}
			pos = len(data) - len(rest)
			cert, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				continue
			}
			w := Weakness{
				Rule:     "certificate",
				ID:       "embedded-certificate",
				Severity: "info",
				Path:     e.Path,
				Line:     bytes.Count(data[:start], []byte("\n")) + 1,
				Offset:   int64(start),
				Message:  fmt.Sprintf("The image holds a certificate for %q, valid until %s.", cert.Subject.String(), cert.NotAfter.UTC().Format(time.DateOnly)),
				Evidence: fmt.Sprintf("subject %q issuer %q not before %s not after %s %s", cert.Subject.String(), cert.Issuer.String(),
					cert.NotBefore.UTC().Format(time.RFC3339), cert.NotAfter.UTC().Format(time.RFC3339), keyFingerprints(cert.PublicKey)),
				Requirements: []string{"CRA Annex I Part I (2)(e)"},
			}
			if now.After(cert.NotAfter) {
				w.ID, w.Severity = "expired-certificate", "low"
				w.Message = fmt.Sprintf("The image holds a certificate for %q that expired on %s: connections that check it fail, and ones that do not check it are not protected by it.", cert.Subject.String(), cert.NotAfter.UTC().Format(time.DateOnly))
			}
			out = append(out, w)
		}
	}
	return out
}

// trustStore is where systems keep their CA certificates.
func trustStore(p string) bool {
	return strings.HasPrefix(p, "etc/ssl/certs/") || strings.HasPrefix(p, "usr/share/ca-certificates/") ||
		strings.HasPrefix(p, "etc/pki/") || strings.HasSuffix(p, "ca-certificates.crt") || strings.HasSuffix(p, "ca-bundle.crt") ||
		strings.HasSuffix(p, "cacert.pem")
}
