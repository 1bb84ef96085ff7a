package labnet

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// tlsIdentity is a key and its self-signed certificate, written as PEM files.
type tlsIdentity struct {
	keyPEM, certPEM []byte
	cert            *x509.Certificate
	keyFile         string
	certFile        string
}

// newTLSIdentity makes a self-signed certificate for the host name with key, valid from
// notBefore for years, and writes key and certificate under dir as NAME.key and NAME.crt.
func newTLSIdentity(dir, name, host string, key crypto.Signer, notBefore time.Time, years int) (*tlsIdentity, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 63))
	if err != nil {
		return nil, fmt.Errorf("labnet: certificate serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: host},
		DNSNames:              []string{host},
		NotBefore:             notBefore,
		NotAfter:              notBefore.AddDate(years, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("labnet: certificate for %s: %w", host, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("labnet: certificate for %s: %w", host, err)
	}
	var keyPEM []byte
	switch k := key.(type) {
	case *rsa.PrivateKey:
		// PKCS#1, as the OpenSSL of many firmware build systems still writes it.
		keyPEM = pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
	default:
		b, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, fmt.Errorf("labnet: encode key: %w", err)
		}
		keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: b})
	}
	id := &tlsIdentity{
		keyPEM:   keyPEM,
		certPEM:  pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		cert:     cert,
		keyFile:  dir + "/" + name + ".key",
		certFile: dir + "/" + name + ".crt",
	}
	if err := os.WriteFile(id.keyFile, id.keyPEM, 0o600); err != nil {
		return nil, fmt.Errorf("labnet: write key: %w", err)
	}
	if err := os.WriteFile(id.certFile, id.certPEM, 0o644); err != nil {
		return nil, fmt.Errorf("labnet: write certificate: %w", err)
	}
	return id, nil
}

func (id *tlsIdentity) truth(port int, versions, notOffered []string, inFirmware bool) TLSService {
	sum := sha256.Sum256(id.cert.Raw)
	t := TLSService{
		Port:       port,
		Versions:   versions,
		NotOffered: notOffered,
		SPKISHA256: spkiSHA256(id.cert),
		CertSHA256: hex.EncodeToString(sum[:]),
		SelfSigned: true,
		NotAfter:   id.cert.NotAfter,
		InFirmware: inFirmware,
	}
	switch k := id.cert.PublicKey.(type) {
	case *rsa.PublicKey:
		t.KeyAlgorithm, t.KeyBits = "RSA", k.N.BitLen()
	case *ecdsa.PublicKey:
		t.KeyAlgorithm, t.KeyBits = "ECDSA", k.Curve.Params().BitSize
	}
	return t
}

func newRSAKey(bits int) (crypto.Signer, error) {
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		return nil, fmt.Errorf("labnet: RSA key: %w", err)
	}
	return k, nil
}

func newECDSAKey() (crypto.Signer, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("labnet: ECDSA key: %w", err)
	}
	return k, nil
}

// sshKeyPair makes an Ed25519 key and writes the private key in OpenSSH format to path and the
// public key to path.pub; it returns the public key.
func sshKeyPair(path, comment string) (ssh.PublicKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("labnet: SSH key: %w", err)
	}
	block, err := ssh.MarshalPrivateKey(priv, comment)
	if err != nil {
		return nil, fmt.Errorf("labnet: SSH key: %w", err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return nil, fmt.Errorf("labnet: write SSH key: %w", err)
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("labnet: SSH key: %w", err)
	}
	if err := os.WriteFile(path+".pub", ssh.MarshalAuthorizedKey(sp), 0o644); err != nil {
		return nil, fmt.Errorf("labnet: write SSH key: %w", err)
	}
	return sp, nil
}

// programVersion runs a program's version command and returns the first match of re's first
// group in its output (both streams), or "" when it cannot tell.
func programVersion(re string, name string, args ...string) string {
	out, _ := exec.Command(name, args...).CombinedOutput()
	m := regexp.MustCompile(re).FindStringSubmatch(string(out))
	if len(m) < 2 {
		return ""
	}
	return strings.TrimSpace(m[1])
}
