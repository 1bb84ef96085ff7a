package lab

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"slices"
	"time"
)

// TLSService is what one TLS port offers.
type TLSService struct {
	Address string `json:"address"`
	// Versions maps each version tried (TLS 1.0 to 1.3, each alone) to whether the server
	// completed a handshake with it.
	Versions map[string]bool `json:"versions"`
	// Ciphers lists, per version up to TLS 1.2, the suites of Go's list the server accepted
	// when offered alone; for TLS 1.3 the suite it chose.
	Ciphers     map[string][]string `json:"ciphers"`
	WeakCiphers []string            `json:"weakCiphers,omitempty"`
	Certificate *Certificate        `json:"certificate,omitempty"`
}

// Certificate is the server's leaf certificate.
type Certificate struct {
	Subject    string    `json:"subject"`
	Issuer     string    `json:"issuer"`
	SelfSigned bool      `json:"selfSigned"`
	NotBefore  time.Time `json:"notBefore"`
	NotAfter   time.Time `json:"notAfter"`
	Expired    bool      `json:"expired"`
	KeyType    string    `json:"keyType"`
	KeyBits    int       `json:"keyBits"`
	WeakKey    bool      `json:"weakKey"`
	SPKISHA256 string    `json:"spkiSha256"`
	// InFirmware: the same public key is one the firmware analysis found embedded in the image.
	InFirmware     bool   `json:"inFirmware"`
	FirmwareKeyRef string `json:"firmwareKeyRef,omitempty"`
}

var tlsVersions = []struct {
	v    uint16
	name string
}{{tls.VersionTLS10, "TLS 1.0"}, {tls.VersionTLS11, "TLS 1.1"}, {tls.VersionTLS12, "TLS 1.2"}, {tls.VersionTLS13, "TLS 1.3"}}

// TLSNotTested says what Go's TLS client cannot offer, so a run never claims to have checked it.
const TLSNotTested = "TLS: SSL 2.0 and SSL 3.0, and cipher suites outside Go's implementation (CBC-SHA384, DHE, CCM, CAMELLIA, ARIA, NULL, anonymous and export suites), cannot be offered by Go's TLS client and were not tested; a server that accepts only those is reported as not speaking that version"

// handshake completes one TLS handshake with the versions and suites given.
func (e *engine) handshake(ctx context.Context, addr, probe string, minV, maxV uint16, suites []uint16) (*tls.ConnectionState, time.Time, error) {
	c, err := e.p.connect(ctx, probe, addr, e.cfg.ConnectTimeout)
	if err != nil {
		return nil, time.Time{}, err
	}
	defer c.Close()
	start, t0 := e.p.now(), time.Now()
	// The device's certificate is examined, not trusted: verification is off on purpose.
	cfg := &tls.Config{InsecureSkipVerify: true, MinVersion: minV, MaxVersion: maxV, CipherSuites: suites} //nolint:gosec
	tc := tls.Client(c, cfg)
	hctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err = tc.HandshakeContext(hctx)
	outcome := "handshake"
	if err != nil {
		outcome = "no handshake: " + err.Error()
		e.p.session(probe, addr, start, time.Since(t0), tlsOffer(minV, maxV, suites), "", outcome)
		return nil, start, err
	}
	st := tc.ConnectionState()
	e.p.session(probe, addr, start, time.Since(t0), tlsOffer(minV, maxV, suites), tls.VersionName(st.Version)+" "+tls.CipherSuiteName(st.CipherSuite), outcome)
	return &st, start, nil
}

func tlsOffer(minV, maxV uint16, suites []uint16) string {
	s := tls.VersionName(minV) + ".." + tls.VersionName(maxV)
	if len(suites) == 1 {
		s += " " + tls.CipherSuiteName(suites[0])
	}
	return s
}

// tlsProbe tries each version alone and, up to TLS 1.2, each suite Go knows alone.
func (e *engine) tlsProbe(ctx context.Context, addr string, now time.Time) *TLSService {
	out := &TLSService{Address: addr, Versions: map[string]bool{}, Ciphers: map[string][]string{}}
	all := append(tls.CipherSuites(), tls.InsecureCipherSuites()...)
	var leaf *x509.Certificate
	for _, v := range tlsVersions {
		st, _, err := e.handshake(ctx, addr, "tls-version", v.v, v.v, nil)
		out.Versions[v.name] = err == nil
		if err != nil {
			continue
		}
		if leaf == nil && len(st.PeerCertificates) > 0 {
			leaf = st.PeerCertificates[0]
		}
		if v.v == tls.VersionTLS13 {
			out.Ciphers[v.name] = []string{tls.CipherSuiteName(st.CipherSuite)}
			continue
		}
		for _, cs := range all {
			if !slices.Contains(cs.SupportedVersions, v.v) {
				continue
			}
			if _, _, err := e.handshake(ctx, addr, "tls-cipher", v.v, v.v, []uint16{cs.ID}); err == nil {
				out.Ciphers[v.name] = append(out.Ciphers[v.name], cs.Name)
				if cs.Insecure && !slices.Contains(out.WeakCiphers, cs.Name) {
					out.WeakCiphers = append(out.WeakCiphers, cs.Name)
				}
			}
		}
	}
	if leaf != nil {
		out.Certificate = e.describeCert(leaf, now)
	}
	return out
}

func (e *engine) describeCert(c *x509.Certificate, now time.Time) *Certificate {
	cert := &Certificate{Subject: c.Subject.String(), Issuer: c.Issuer.String(), NotBefore: c.NotBefore, NotAfter: c.NotAfter,
		Expired: now.After(c.NotAfter) || now.Before(c.NotBefore)}
	cert.SelfSigned = bytesEqual(c.RawSubject, c.RawIssuer) && c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		cert.KeyType, cert.KeyBits = "RSA", k.N.BitLen()
		cert.WeakKey = cert.KeyBits < 2048
	case *ecdsa.PublicKey:
		cert.KeyType, cert.KeyBits = "ECDSA "+k.Curve.Params().Name, k.Curve.Params().BitSize
		cert.WeakKey = cert.KeyBits < 256
	case ed25519.PublicKey:
		cert.KeyType, cert.KeyBits = "Ed25519", 256
	default:
		cert.KeyType = fmt.Sprintf("%T", k)
	}
	cert.SPKISHA256 = spkiSHA256(c.PublicKey)
	if ref, ok := e.cfg.Firmware.keyKnown(cert.SPKISHA256, ""); ok {
		cert.InFirmware, cert.FirmwareKeyRef = true, ref
	}
	return cert
}

// spkiSHA256 is the SHA-256 of the public key as DER SubjectPublicKeyInfo, in hex.
func spkiSHA256(pub any) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return ""
	}
	s := sha256.Sum256(der)
	return hex.EncodeToString(s[:])
}

func bytesEqual(a, b []byte) bool { return string(a) == string(b) }
