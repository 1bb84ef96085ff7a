package csaf

import (
	"bytes"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// Signer signs documents with the provider's OpenPGP key (CSAF requirement 19: every document
// has a detached .asc signature; requirement 20: the public key is published).
type Signer struct {
	entity *openpgp.Entity
}

// NewKey makes an Ed25519 OpenPGP key for the publisher and returns it ASCII-armored.
func NewKey(name, email string, now time.Time) (string, error) {
	cfg := &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, Time: func() time.Time { return now }}
	e, err := openpgp.NewEntity(name, "CSAF signing key", email, cfg)
	if err != nil {
		return "", fmt.Errorf("make OpenPGP key: %w", err)
	}
	var buf bytes.Buffer
	w, err := armor.Encode(&buf, openpgp.PrivateKeyType, nil)
	if err != nil {
		return "", err
	}
	if err := e.SerializePrivate(w, cfg); err != nil {
		return "", err
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// LoadSigner reads an ASCII-armored private key.
func LoadSigner(armored string) (*Signer, error) {
	list, err := openpgp.ReadArmoredKeyRing(strings.NewReader(armored))
	if err != nil {
		return nil, fmt.Errorf("read OpenPGP key: %w", err)
	}
	if len(list) != 1 || list[0].PrivateKey == nil {
		return nil, fmt.Errorf("want exactly one private OpenPGP key")
	}
	return &Signer{entity: list[0]}, nil
}

// Fingerprint is the key's fingerprint in upper-case hex.
func (s *Signer) Fingerprint() string {
	return strings.ToUpper(hex.EncodeToString(s.entity.PrimaryKey.Fingerprint))
}

// PublicKey returns the public key, ASCII-armored.
func (s *Signer) PublicKey() (string, error) {
	var buf bytes.Buffer
	w, err := armor.Encode(&buf, openpgp.PublicKeyType, nil)
	if err != nil {
		return "", err
	}
	if err := s.entity.Serialize(w); err != nil {
		return "", err
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// Sign returns an ASCII-armored detached signature of data.
func (s *Signer) Sign(data []byte) (string, error) {
	var buf bytes.Buffer
	if err := openpgp.ArmoredDetachSign(&buf, s.entity, bytes.NewReader(data), nil); err != nil {
		return "", fmt.Errorf("sign: %w", err)
	}
	return buf.String(), nil
}

// Verify checks an armored detached signature against an armored public key.
func Verify(publicKey string, data []byte, signature string) error {
	ring, err := openpgp.ReadArmoredKeyRing(strings.NewReader(publicKey))
	if err != nil {
		return err
	}
	_, err = openpgp.CheckArmoredDetachedSignature(ring, bytes.NewReader(data), strings.NewReader(signature), nil)
	return err
}

// SHA512File is the content of a document's .sha512 file: the hash and the file name, as
// sha512sum writes them.
func SHA512File(data []byte, name string) string {
	sum := sha512.Sum512(data)
	return hex.EncodeToString(sum[:]) + "  " + name + "\n"
}
