package label

import (
	"crypto/ed25519"
	"testing"
	"time"
)

// BenchmarkVerify measures checking one signed statement, what a public page or the CLI does.
func BenchmarkVerify(b *testing.B) {
	key := testKey(1)
	env, err := Sign(sampleStatement(), key)
	if err != nil {
		b.Fatal(err)
	}
	pub := key.Public().(ed25519.PublicKey)
	b.SetBytes(int64(len(env)))
	for b.Loop() {
		if _, err := Verify(env, pub); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecide measures one status decision with every kind of evidence present.
func BenchmarkDecide(b *testing.B) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	c := Checks{
		Plausible: true, SupportEnd: "2031-12",
		Exploited: []Exploited{{ID: "CVE-2026-1", KnownSince: now.AddDate(0, 0, -20)}},
		Deadlines: []Deadline{{Case: "1", Stage: "early-warning", Due: now.Add(-time.Hour)}},
	}
	for b.Loop() {
		Decide(Valid, c, now, 14*24*time.Hour)
	}
}

func BenchmarkQRSVG(b *testing.B) {
	for b.Loop() {
		if _, err := QRSVG(qrURLs[0]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkQRPNG(b *testing.B) {
	for b.Loop() {
		if _, err := QRPNG(qrURLs[0], 512); err != nil {
			b.Fatal(err)
		}
	}
}
