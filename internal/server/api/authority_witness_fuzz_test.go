package api

import (
	"encoding/base64"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

// FuzzDecodeProof: a pushed consistency proof is read without a panic, and every hash it yields
// is the decoding of what was sent.
func FuzzDecodeProof(f *testing.F) {
	h := make([]byte, tlog.HashSize)
	f.Add(base64.StdEncoding.EncodeToString(h), "")
	f.Add("not base64", "AAAA")
	f.Fuzz(func(t *testing.T, a, b string) {
		out, err := decodeProof([]string{a, b})
		if err != nil {
			return
		}
		for i, s := range []string{a, b} {
			raw, _ := base64.StdEncoding.DecodeString(s)
			if string(raw) != string(out[i][:]) {
				t.Errorf("proof[%d] %q decoded to %x", i, s, out[i])
			}
		}
	})
}
