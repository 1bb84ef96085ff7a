package ledger

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Witness cosignatures, after C2SP tlog-cosignature (cosignature/v1): a witness that has checked
// a checkpoint is consistent with every one it saw before signs
//
//	"cosignature/v1\ntime <unix seconds>\n" + the checkpoint's body
//
// with Ed25519 and appends the signature to the checkpoint note as a line
// "— <witness name> <base64(key hash[4] || time[8, big endian] || signature[64])>". The key hash
// is the first 4 bytes of SHA-256(name || "\n" || 0x04 || public key), 0x04 naming the algorithm.
// A checkpoint carried with the cosignatures of witnesses one trusts cannot show one history to
// some and another to others without a witness noticing.

const cosignatureAlg = 0x04

// Witness is a witness's public key, parsed from its verifier key
// "<name>+<key hash, 8 hex>+<base64(0x04 || public key)>".
type Witness struct {
	Name string
	Hash [4]byte
	Key  ed25519.PublicKey
}

func witnessHash(name string, pub ed25519.PublicKey) (h [4]byte) {
	sum := sha256.Sum256(append(append([]byte(name+"\n"), cosignatureAlg), pub...))
	copy(h[:], sum[:4])
	return h
}

// NewWitnessKey makes a witness key named name: the private key (PEM-free, "PRIVATE+WITNESS+"
// followed by the verifier key and the base64 seed) and the verifier key to give to logs and
// to those who check cosignatures.
func NewWitnessKey(name string) (skey, vkey string, err error) {
	if name == "" || strings.ContainsAny(name, "+ \t\n") {
		return "", "", fmt.Errorf("witness name %q: want a non-empty name without '+' or spaces", name)
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", "", err
	}
	vkey = witnessVKey(name, pub)
	return "PRIVATE+WITNESS+" + vkey + "+" + base64.StdEncoding.EncodeToString(priv.Seed()), vkey, nil
}

func witnessVKey(name string, pub ed25519.PublicKey) string {
	h := witnessHash(name, pub)
	return name + "+" + hex.EncodeToString(h[:]) + "+" + base64.StdEncoding.EncodeToString(append([]byte{cosignatureAlg}, pub...))
}

// ParseWitness reads a witness verifier key.
func ParseWitness(vkey string) (Witness, error) {
	parts := strings.SplitN(strings.TrimSpace(vkey), "+", 3) // base64 may hold '+' too
	if len(parts) != 3 || parts[0] == "" {
		return Witness{}, fmt.Errorf("witness key %q: want NAME+HASH+KEY", vkey)
	}
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) != 1+ed25519.PublicKeySize || raw[0] != cosignatureAlg {
		return Witness{}, fmt.Errorf("witness key %q: the key is not base64 of 0x04 and a 32-byte Ed25519 key", parts[0])
	}
	w := Witness{Name: parts[0], Key: ed25519.PublicKey(raw[1:])}
	w.Hash = witnessHash(w.Name, w.Key)
	if hex.EncodeToString(w.Hash[:]) != parts[1] {
		return Witness{}, fmt.Errorf("witness key %q: the key hash %s does not match the key", parts[0], parts[1])
	}
	return w, nil
}

// VKey is the witness's verifier key.
func (w Witness) VKey() string { return witnessVKey(w.Name, w.Key) }

func parseWitnessSigner(skey string) (Witness, ed25519.PrivateKey, error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(skey), "PRIVATE+WITNESS+")
	parts := strings.SplitN(rest, "+", 3)
	// The key is base64 of 33 bytes, 44 characters; the seed follows after a '+'.
	if !ok || len(parts) != 3 || len(parts[2]) < 46 || parts[2][44] != '+' {
		return Witness{}, nil, errors.New("witness private key: want PRIVATE+WITNESS+NAME+HASH+KEY+SEED (from 'siegel ledger witness-key')")
	}
	w, err := ParseWitness(parts[0] + "+" + parts[1] + "+" + parts[2][:44])
	if err != nil {
		return Witness{}, nil, err
	}
	seed, err := base64.StdEncoding.DecodeString(parts[2][45:])
	if err != nil || len(seed) != ed25519.SeedSize {
		return Witness{}, nil, errors.New("witness private key: bad seed")
	}
	priv := ed25519.NewKeyFromSeed(seed)
	if !bytes.Equal(priv.Public().(ed25519.PublicKey), w.Key) {
		return Witness{}, nil, errors.New("witness private key: the seed does not belong to the key it names")
	}
	return w, priv, nil
}

func cosignedMessage(c Checkpoint, t uint64) []byte {
	return []byte("cosignature/v1\ntime " + strconv.FormatUint(t, 10) + "\n" + c.Text())
}

// Cosign returns the cosignature line of the witness (its private key skey) for checkpoint c,
// at time t. The witness must have checked c against what it saw before (see CheckConsistency).
func Cosign(c Checkpoint, skey string, t time.Time) (string, error) {
	w, priv, err := parseWitnessSigner(skey)
	if err != nil {
		return "", err
	}
	ts := uint64(t.Unix())
	sig := ed25519.Sign(priv, cosignedMessage(c, ts))
	blob := make([]byte, 0, 4+8+ed25519.SignatureSize)
	blob = append(blob, w.Hash[:]...)
	blob = binary.BigEndian.AppendUint64(blob, ts)
	blob = append(blob, sig...)
	return "— " + w.Name + " " + base64.StdEncoding.EncodeToString(blob) + "\n", nil
}

// ErrNoCosignature is returned when a note carries no valid cosignature of a required witness.
var ErrNoCosignature = errors.New("no valid cosignature")

// VerifyCosignatures checks, in a signed checkpoint note (as the log serves it, with cosignature
// lines appended), the cosignature of each witness; it returns when each cosigned. A witness
// whose line is missing or does not verify fails with ErrNoCosignature, naming it. Lines of
// other keys (the log's own signature, other witnesses) are left alone.
func VerifyCosignatures(signed string, c Checkpoint, witnesses []Witness) (map[string]time.Time, error) {
	_, sigs, ok := strings.Cut(signed, "\n\n")
	if !ok {
		return nil, errors.New("checkpoint note: no signature lines")
	}
	out := map[string]time.Time{}
	for _, w := range witnesses {
		found := false
		for _, line := range strings.Split(sigs, "\n") {
			rest, ok := strings.CutPrefix(line, "— "+w.Name+" ")
			if !ok {
				continue
			}
			blob, err := base64.StdEncoding.DecodeString(rest)
			if err != nil || len(blob) != 4+8+ed25519.SignatureSize || !bytes.Equal(blob[:4], w.Hash[:]) {
				continue // another key of the same name, or not a cosignature
			}
			ts := binary.BigEndian.Uint64(blob[4:12])
			if ed25519.Verify(w.Key, cosignedMessage(c, ts), blob[12:]) {
				out[w.Name] = time.Unix(int64(ts), 0).UTC()
				found = true
				break
			}
		}
		if !found {
			return out, fmt.Errorf("%w of witness %s on the checkpoint of size %d", ErrNoCosignature, w.Name, c.Size)
		}
	}
	return out, nil
}

// CosignatureLines returns the signature lines of a note that are not the log's own (those
// named origin), for a log to store what witnesses added.
func CosignatureLines(signed, origin string) []string {
	_, sigs, ok := strings.Cut(signed, "\n\n")
	if !ok {
		return nil
	}
	var out []string
	for _, line := range strings.Split(sigs, "\n") {
		if strings.HasPrefix(line, "— ") && !strings.HasPrefix(line, "— "+origin+" ") {
			out = append(out, line+"\n")
		}
	}
	return out
}
