package ledger

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"strings"
	"testing"

	"github.com/siegel-oss/siegel/internal/ledger/ledgertest"
)

func TestTimestamp(t *testing.T) {
	srv, roots, _ := ledgertest.OpenSSLTSA(t)
	skey, _, err := NewKey("siegel.test/log")
	if err != nil {
		t.Fatal(err)
	}
	cp := Checkpoint{Origin: "siegel.test/log", Size: 3}
	signed, _ := SignCheckpoint(cp, skey)
	token, at, err := RequestTimestamp(t.Context(), srv.Client(), srv.URL, signed, roots)
	if err != nil {
		t.Fatal(err)
	}
	if at.IsZero() {
		t.Fatal("no time")
	}
	if again, err := VerifyTimestamp(token, signed, roots); err != nil || !again.Equal(at) {
		t.Fatalf("verify: %v %v", again, err)
	}
	// Another checkpoint, another trust anchor, or a flipped byte: refused.
	other := Checkpoint{Origin: "siegel.test/log", Size: 4}
	otherSigned, _ := SignCheckpoint(other, skey)
	if _, err := VerifyTimestamp(token, otherSigned, roots); err == nil || !strings.Contains(err.Error(), "another document") {
		t.Errorf("token for another checkpoint: %v", err)
	}
	if _, err := VerifyTimestamp(token, signed, x509.NewCertPool()); err == nil || !strings.Contains(err.Error(), "not trusted") {
		t.Errorf("untrusted TSA: %v", err)
	}
	// Flip a byte of the stamped hash (inside the signed TSTInfo), of the time, and of the
	// signature (the token's last bytes). Certificates the token carries beside the chain are
	// not signed, and a copy of the root there is never trusted: only the roots given are.
	sum := sha256.Sum256([]byte(signed))
	imprint := bytes.Index(token, sum[:])
	when := bytes.Index(token, []byte(at.Format("20060102150405")))
	if imprint < 0 || when < 0 {
		t.Fatalf("imprint at %d, time at %d", imprint, when)
	}
	for _, i := range []int{imprint + 5, when + 3, len(token) - 3} {
		bad := append([]byte(nil), token...)
		bad[i] ^= 0x01
		if _, err := VerifyTimestamp(bad, signed, roots); err == nil {
			t.Errorf("token with byte %d of %d flipped verified", i, len(token))
		}
	}
	if _, err := VerifyTimestamp([]byte("not a token"), signed, roots); err == nil {
		t.Error("junk accepted")
	}
}

func FuzzVerifyTimestamp(f *testing.F) {
	f.Add([]byte{0x30, 0x03, 0x02, 0x01, 0x00})
	f.Add([]byte("not a token"))
	f.Fuzz(func(t *testing.T, token []byte) {
		VerifyTimestamp(token, "checkpoint", x509.NewCertPool()) // must not panic
	})
}
