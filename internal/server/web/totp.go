package web

import (
	"crypto/subtle"
	"net/url"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TOTP parameters (RFC 6238 with the defaults every authenticator app reads from an otpauth
// URI): HMAC-SHA1, six digits, 30-second steps, one step of clock drift either way.
const (
	totpPeriod = 30
	totpSkew   = 1
	totpIssuer = "Siegel"
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// newTOTPSecret makes a fresh 160-bit secret for account, base32 encoded.
func newTOTPSecret(account string) (string, error) {
	k, err := totp.Generate(totp.GenerateOpts{Issuer: totpIssuer, AccountName: account, Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return "", err
	}
	return k.Secret(), nil
}

// totpURI is the otpauth URI an authenticator app enrols a secret from.
func totpURI(account, secret string) string {
	v := url.Values{}
	v.Set("secret", secret)
	v.Set("issuer", totpIssuer)
	v.Set("period", "30")
	v.Set("algorithm", "SHA1")
	v.Set("digits", "6")
	return (&url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + totpIssuer + ":" + account, RawQuery: v.Encode()}).String()
}

// totpChecker returns the check the store applies to a code: the time step (of the clock now)
// the code belongs to, within totpSkew steps, so that each step is accepted only once.
func totpChecker(now func() time.Time) func(secret, code string) (int64, bool) {
	return func(secret, code string) (int64, bool) {
		if len(code) != 6 {
			return 0, false
		}
		t := now()
		for d := -totpSkew; d <= totpSkew; d++ {
			at := t.Add(time.Duration(d*totpPeriod) * time.Second)
			want, err := totp.GenerateCodeCustom(secret, at, totpOpts)
			if err != nil {
				return 0, false
			}
			if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
				return at.Unix() / totpPeriod, true
			}
		}
		return 0, false
	}
}
