package label

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
)

// maxKeyBytes bounds a key file; a PEM Ed25519 key has about 120.
const maxKeyBytes = 64 << 10

// KeyID identifies a public key in an envelope's keyid: the lower-case hex SHA-256 of the key's
// PKIX (SubjectPublicKeyInfo) DER encoding, as in a "PUBLIC KEY" PEM block. It is "" for a key of
// the wrong length.
func KeyID(pub ed25519.PublicKey) string {
	der, err := pkix(pub)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

func pkix(pub ed25519.PublicKey) ([]byte, error) {
	if len(pub) != ed25519.PublicKeySize {
		return nil, &Error{Kind: ErrBadKey, Offset: -1, Detail: fmt.Sprintf("public key of %d bytes, want %d", len(pub), ed25519.PublicKeySize)}
	}
	return x509.MarshalPKIXPublicKey(pub)
}

// NewKey makes an Ed25519 signing key from the randomness r (crypto/rand.Reader outside tests)
// and returns it as PEM: the private key as PKCS #8 "PRIVATE KEY", the public key as PKIX
// "PUBLIC KEY".
func NewKey(r io.Reader) (private, public []byte, err error) {
	pub, priv, err := ed25519.GenerateKey(r)
	if err != nil {
		return nil, nil, fmt.Errorf("label key: %w", err)
	}
	if private, err = MarshalPrivateKey(priv); err != nil {
		return nil, nil, err
	}
	if public, err = MarshalPublicKey(pub); err != nil {
		return nil, nil, err
	}
	return private, public, nil
}

// MarshalPublicKey returns the key as a PEM "PUBLIC KEY" block (PKIX DER).
func MarshalPublicKey(pub ed25519.PublicKey) ([]byte, error) {
	der, err := pkix(pub)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// ParsePublicKey reads an Ed25519 public key in one of these forms, surrounding white space
// ignored: a PEM "PUBLIC KEY" block (PKIX DER), or base64 (standard or URL-safe) of the raw 32
// bytes or of the PKIX DER. The error wraps ErrBadKey.
func ParsePublicKey(data []byte) (ed25519.PublicKey, error) {
	if len(data) > maxKeyBytes {
		return nil, keyError("larger than %d bytes", maxKeyBytes)
	}
	data = bytes.TrimSpace(data)
	if bytes.HasPrefix(data, []byte("-----BEGIN")) {
		block, rest := pem.Decode(data)
		switch {
		case block == nil:
			return nil, keyError("malformed PEM")
		case block.Type != "PUBLIC KEY":
			return nil, keyError("PEM block %q, want \"PUBLIC KEY\"", clip(block.Type))
		case len(bytes.TrimSpace(rest)) != 0:
			return nil, keyError("data after the PEM block")
		}
		return parsePKIX(block.Bytes)
	}
	raw, err := decodeBase64(string(data))
	if err != nil {
		return nil, keyError("neither PEM nor base64: %v", err)
	}
	if len(raw) == ed25519.PublicKeySize {
		return ed25519.PublicKey(raw), nil
	}
	return parsePKIX(raw)
}

func parsePKIX(der []byte) (ed25519.PublicKey, error) {
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, keyError("PKIX: %v", err)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, keyError("a %T, want Ed25519", k)
	}
	return pub, nil
}

// MarshalPrivateKey returns the key as a PEM "PRIVATE KEY" block (PKCS #8 DER).
func MarshalPrivateKey(key ed25519.PrivateKey) ([]byte, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, keyError("private key of %d bytes, want %d", len(key), ed25519.PrivateKeySize)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("label key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// ParsePrivateKey reads an Ed25519 private key from a PEM "PRIVATE KEY" block (PKCS #8). The
// error wraps ErrBadKey.
func ParsePrivateKey(data []byte) (ed25519.PrivateKey, error) {
	if len(data) > maxKeyBytes {
		return nil, keyError("larger than %d bytes", maxKeyBytes)
	}
	block, _ := pem.Decode(bytes.TrimSpace(data))
	switch {
	case block == nil:
		return nil, keyError("no PEM block")
	case block.Type != "PRIVATE KEY":
		return nil, keyError("PEM block %q, want \"PRIVATE KEY\"", clip(block.Type))
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, keyError("PKCS #8: %v", err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, keyError("a %T, want Ed25519", k)
	}
	return priv, nil
}

func keyError(format string, args ...any) error {
	return &Error{Kind: ErrBadKey, Offset: -1, Detail: fmt.Sprintf(format, args...)}
}

// EncodePublicKey returns the raw 32 bytes of the key in standard base64, the short form that
// ParsePublicKey also reads.
func EncodePublicKey(pub ed25519.PublicKey) string {
	return base64.StdEncoding.EncodeToString(pub)
}
