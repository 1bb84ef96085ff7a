package label

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"testing"
)

// FuzzVerify feeds envelopes to Verify under a fixed key: it must not panic, must fail with an
// *Error, and whatever it accepts must be a valid statement that signs back to a verifying
// envelope.
func FuzzVerify(f *testing.F) {
	key := testKey(1)
	pub := key.Public().(ed25519.PublicKey)
	good, err := Sign(sampleStatement(), key)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	valid := sampleStatement()
	valid.Status, valid.Reason, valid.Sequence = Valid, "", 1
	if b, err := Sign(valid, key); err == nil {
		f.Add(b)
	}
	payload, _ := json.Marshal(sampleStatement().normalize())
	unsigned := func(p []byte, sig string) []byte {
		b, _ := json.Marshal(envelope{Payload: base64.StdEncoding.EncodeToString(p), PayloadType: PayloadType, Signatures: []signature{{Sig: sig}}})
		return b
	}
	sig := base64.StdEncoding.EncodeToString(ed25519.Sign(key, PAE(PayloadType, payload)))
	f.Add(unsigned(payload, sig))
	f.Add(unsigned(payload[:len(payload)-1], sig))
	f.Add(unsigned([]byte(`{"schema":1}`), sig))
	f.Add([]byte(`{"payload":"","payloadType":"","signatures":null}`))
	f.Add([]byte(`{"payload":"e30=","payloadType":"` + PayloadType + `","signatures":[{"keyid":"x","sig":"AAAA"}]}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"payload":"\u0000"`))
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := Verify(data, pub)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T) is not an *Error", err, err)
			}
			return
		}
		if err := st.Validate(); err != nil {
			t.Fatalf("accepted an invalid statement: %v", err)
		}
		again, err := Sign(st, key)
		if err != nil {
			t.Fatalf("re-signing an accepted statement: %v", err)
		}
		if _, err := Verify(again, pub); err != nil {
			t.Fatalf("re-signed statement does not verify: %v", err)
		}
	})
}

// FuzzParseStatement feeds payloads to the statement parser that Verify runs once the signature
// holds (called directly: signing each input would make the fuzzer crawl): no panics, errors wrap
// ErrNotStatement, and what is accepted is valid.
func FuzzParseStatement(f *testing.F) {
	payload, _ := json.Marshal(sampleStatement().normalize())
	f.Add(payload)
	f.Add(payload[:len(payload)/2])
	f.Add([]byte(`{"schema":"` + SchemaV1 + `","sequence":-1}`))
	f.Add([]byte(`{"issuedAt":"2026-13-01T00:00:00Z"}`))
	f.Add([]byte(`{"verdicts":{"counts":{"fail":1e99}}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, p []byte) {
		st, err := parseStatement(p)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, ErrNotStatement) {
				t.Fatalf("refused with %v, want an *Error wrapping ErrNotStatement", err)
			}
			return
		}
		if err := st.Validate(); err != nil {
			t.Fatalf("accepted an invalid statement: %v", err)
		}
	})
}

// FuzzParseKey feeds key files to ParsePublicKey and ParsePrivateKey: no panics, errors wrap
// ErrBadKey, and keys accepted have the right length.
func FuzzParseKey(f *testing.F) {
	priv, pub, err := NewKey(zeroReader{})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(pub)
	f.Add(priv)
	f.Add([]byte(EncodePublicKey(testKey(1).Public().(ed25519.PublicKey))))
	f.Add([]byte("-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n"))
	f.Add([]byte("MCowBQYDK2VwAyEA"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		if k, err := ParsePublicKey(data); err != nil {
			if !errors.Is(err, ErrBadKey) {
				t.Fatalf("ParsePublicKey error %v does not wrap ErrBadKey", err)
			}
		} else if len(k) != ed25519.PublicKeySize {
			t.Fatalf("public key of %d bytes", len(k))
		}
		if k, err := ParsePrivateKey(data); err != nil {
			if !errors.Is(err, ErrBadKey) {
				t.Fatalf("ParsePrivateKey error %v does not wrap ErrBadKey", err)
			}
		} else if len(k) != ed25519.PrivateKeySize {
			t.Fatalf("private key of %d bytes", len(k))
		}
	})
}

// FuzzQRSVG encodes arbitrary URLs: no panics, and every SVG made holds the encoder's matrix.
func FuzzQRSVG(f *testing.F) {
	for _, u := range qrURLs {
		f.Add(u)
	}
	f.Add("")
	f.Add("\x00\xff<&>\"")
	f.Fuzz(func(t *testing.T, u string) {
		b, err := QRSVG(u)
		if err != nil {
			return
		}
		m, err := qrMatrix(u)
		if err != nil {
			t.Fatal(err)
		}
		got := matrixOfSVG(t, b)
		if len(got) != len(m) {
			t.Fatalf("SVG of %d modules, matrix of %d", len(got), len(m))
		}
		for y := range m {
			for x := range m[y] {
				if got[y][x] != m[y][x] {
					t.Fatalf("module (%d, %d) differs", x, y)
				}
			}
		}
	})
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
