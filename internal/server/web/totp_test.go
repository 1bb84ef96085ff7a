package web

import (
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

// TestTOTPRFC6238 checks the code computation against the SHA-1 test vectors of RFC 6238
// Appendix B (eight digits; the secret is the ASCII string "12345678901234567890"), and the
// checker on their six-digit truncation, which is what authenticator apps show.
func TestTOTPRFC6238(t *testing.T) {
	const secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" // base32 of "12345678901234567890"
	for _, v := range []struct {
		unix int64
		code string
	}{
		{59, "94287082"}, {1111111109, "07081804"}, {1111111111, "14050471"},
		{1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"},
	} {
		at := time.Unix(v.unix, 0).UTC()
		opts := totpOpts
		opts.Digits = 8
		got, err := totp.GenerateCodeCustom(secret, at, opts)
		if err != nil || got != v.code {
			t.Errorf("T=%d: %s %v, want %s", v.unix, got, err, v.code)
		}
		step, ok := totpChecker(func() time.Time { return at })(secret, v.code[2:])
		if !ok || step != v.unix/30 {
			t.Errorf("T=%d: checker %d %v", v.unix, step, ok)
		}
		if _, ok := totpChecker(func() time.Time { return at.Add(90 * time.Second) })(secret, v.code[2:]); ok {
			t.Errorf("T=%d: a code three steps old was accepted", v.unix)
		}
	}
}
