package label

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/siegel-oss/siegel/internal/testtool"
)

func TestKeyRoundTrip(t *testing.T) {
	priv, pub, err := NewKey(bytes.NewReader(bytes.Repeat([]byte{7}, 64)))
	if err != nil {
		t.Fatal(err)
	}
	key, err := ParsePrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParsePublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Equal(key.Public()) {
		t.Error("public key does not match the private key")
	}
	if !bytes.HasPrefix(pub, []byte("-----BEGIN PUBLIC KEY-----\n")) || !bytes.HasPrefix(priv, []byte("-----BEGIN PRIVATE KEY-----\n")) {
		t.Errorf("PEM types:\n%s%s", pub, priv)
	}
}

func TestParsePublicKeyForms(t *testing.T) {
	pub := testKey(3).Public().(ed25519.PublicKey)
	der, _ := x509.MarshalPKIXPublicKey(pub)
	pemKey, _ := MarshalPublicKey(pub)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), bytes.NewReader(bytes.Repeat([]byte{1}, 128)))
	ecDER, _ := x509.MarshalPKIXPublicKey(&ec.PublicKey)

	tests := []struct {
		name string
		in   []byte
		ok   bool
	}{
		{"pem", pemKey, true},
		{"pem with space", append(append([]byte("\n  "), pemKey...), "\n\n"...), true},
		{"raw base64", []byte(EncodePublicKey(pub) + "\n"), true},
		{"raw base64url", []byte(base64.RawURLEncoding.EncodeToString(pub)), true},
		{"pkix base64", []byte(base64.StdEncoding.EncodeToString(der)), true},
		{"empty", nil, false},
		{"short raw", []byte(base64.StdEncoding.EncodeToString(pub[:31])), false},
		{"not base64", []byte("ssh-ed25519 AAAA"), false},
		{"wrong pem type", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), false},
		{"broken pem", []byte("-----BEGIN PUBLIC KEY-----\nAAAA"), false},
		{"two pem blocks", append(append([]byte{}, pemKey...), pemKey...), false},
		{"ecdsa", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: ecDER}), false},
		{"huge", bytes.Repeat([]byte("A"), maxKeyBytes+1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePublicKey(tt.in)
			if !tt.ok {
				if !errors.Is(err, ErrBadKey) {
					t.Errorf("ParsePublicKey = %v, %v; want ErrBadKey", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(pub) {
				t.Error("wrong key")
			}
		})
	}
}

func TestKeyIDIsPKIXHash(t *testing.T) {
	// An Ed25519 SubjectPublicKeyInfo is a fixed 12-byte prefix and the raw key (RFC 8410).
	pub := testKey(4).Public().(ed25519.PublicKey)
	der := append([]byte{0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00}, pub...)
	sum := sha256.Sum256(der)
	if got, want := KeyID(pub), hex.EncodeToString(sum[:]); got != want {
		t.Errorf("KeyID = %s, want %s", got, want)
	}
	if got := KeyID(pub[:31]); got != "" {
		t.Errorf("KeyID of a short key = %q, want empty", got)
	}
}

// TestOpenSSLInterop checks keys and signatures against an independent implementation: OpenSSL
// makes the key, Siegel reads it and signs, and OpenSSL verifies the signature over PAE.
func TestOpenSSLInterop(t *testing.T) {
	openssl := testtool.Path(t, "openssl")
	dir := t.TempDir()
	run := func(args ...string) []byte {
		t.Helper()
		out, err := exec.CommandContext(t.Context(), openssl, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("openssl %v: %v\n%s", args, err, out)
		}
		return out
	}
	privPath, pubPath := filepath.Join(dir, "key.pem"), filepath.Join(dir, "pub.pem")
	run("genpkey", "-algorithm", "ed25519", "-out", privPath)
	run("pkey", "-in", privPath, "-pubout", "-out", pubPath)
	privPEM, _ := os.ReadFile(privPath)
	pubPEM, _ := os.ReadFile(pubPath)
	key, err := ParsePrivateKey(privPEM)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ParsePublicKey(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	env, err := Sign(sampleStatement(), key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(env, pub); err != nil {
		t.Fatal(err)
	}
	var e envelope
	if err := json.Unmarshal(env, &e); err != nil {
		t.Fatal(err)
	}
	payload, _ := base64.StdEncoding.DecodeString(e.Payload)
	sig, _ := base64.StdEncoding.DecodeString(e.Signatures[0].Sig)
	paePath, sigPath := filepath.Join(dir, "pae"), filepath.Join(dir, "sig")
	os.WriteFile(paePath, PAE(PayloadType, payload), 0o600)
	os.WriteFile(sigPath, sig, 0o600)
	run("pkeyutl", "-verify", "-pubin", "-inkey", pubPath, "-rawin", "-in", paePath, "-sigfile", sigPath)

	// The key id is the SHA-256 of the DER that OpenSSL writes.
	derPath := filepath.Join(dir, "pub.der")
	run("pkey", "-pubin", "-in", pubPath, "-outform", "DER", "-out", derPath)
	dgst := strings.Fields(string(run("dgst", "-sha256", "-r", derPath)))
	if len(dgst) == 0 || dgst[0] != KeyID(pub) {
		t.Errorf("openssl dgst %v, KeyID %s", dgst, KeyID(pub))
	}
}
