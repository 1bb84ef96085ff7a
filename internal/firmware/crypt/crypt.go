// Package crypt checks passwords against Unix crypt(3) hashes as found in /etc/shadow and
// /etc/passwd of firmware images: traditional and BSDi extended DES crypt, MD5-crypt, SHA-256-crypt
// and SHA-512-crypt, and bcrypt.
//
// Hashes come from untrusted images, so every parser checks bounds and every scheme with a work
// factor is capped: an image cannot make a check spend more than about a second per hash.
package crypt

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
)

// Limits on the work factor of a hash that Verify accepts. Images are untrusted: a hash with
// rounds=999999999 would otherwise take many minutes to check for every candidate password.
const (
	MaxSHARounds  = 1_000_000 // rounds= of SHA-256-crypt and SHA-512-crypt
	MaxBcryptCost = 14        // log2 of bcrypt's iteration count
	MaxBSDiRounds = 1_000_000 // iteration count of BSDi extended DES crypt
)

// Errors that Verify wraps in an *Error; callers branch on them with errors.Is.
var (
	ErrMalformed   = errors.New("malformed hash")
	ErrUnsupported = errors.New("unsupported hash scheme")
	ErrCost        = errors.New("work factor above the limit")
)

// Error says why a hash cannot be checked, and where in the hash string.
type Error struct {
	Scheme string // as returned by Scheme
	Offset int    // byte offset in the hash string, -1 when the problem has no position
	Rule   string // what was violated, such as "salt length" or "rounds"
	Err    error  // ErrMalformed, ErrUnsupported or ErrCost
}

func (e *Error) Error() string {
	if e.Offset >= 0 {
		return fmt.Sprintf("crypt %s at byte %d: %s: %v", e.Scheme, e.Offset, e.Rule, e.Err)
	}
	return fmt.Sprintf("crypt %s: %s: %v", e.Scheme, e.Rule, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

func errorf(scheme string, off int, rule string, base error, msg string, args ...any) error {
	return &Error{Scheme: scheme, Offset: off, Rule: rule, Err: fmt.Errorf("%w: "+msg, append([]any{base}, args...)...)}
}

// Scheme names. Scheme returns one of them.
const (
	SchemeDES          = "des-crypt"
	SchemeBSDi         = "bsdi-crypt"
	SchemeMD5          = "md5-crypt"
	SchemeSHA256       = "sha256-crypt"
	SchemeSHA512       = "sha512-crypt"
	SchemeBcrypt       = "bcrypt"
	SchemeYescrypt     = "yescrypt"
	SchemeGostYescrypt = "gost-yescrypt"
	SchemeScrypt       = "scrypt"
	SchemeArgon2       = "argon2"
	SchemeSunMD5       = "sunmd5"
	SchemeNT           = "nthash"
	SchemeSHA1         = "sha1-crypt"
	SchemeUnknown      = "unknown"
)

// Scheme names the crypt(3) scheme of hash from its prefix and shape: "des-crypt", "bsdi-crypt",
// "md5-crypt", "sha256-crypt", "sha512-crypt", "bcrypt", "yescrypt", "gost-yescrypt", "scrypt",
// "argon2", "sunmd5", "nthash", "sha1-crypt", or "unknown". It returns "" for an empty string.
// It does not check that the rest of the hash is well formed; Verify does.
func Scheme(hash string) string {
	switch {
	case hash == "":
		return ""
	case strings.HasPrefix(hash, "$1$"):
		return SchemeMD5
	case strings.HasPrefix(hash, "$5$"):
		return SchemeSHA256
	case strings.HasPrefix(hash, "$6$"):
		return SchemeSHA512
	case strings.HasPrefix(hash, "$2"):
		return SchemeBcrypt
	case strings.HasPrefix(hash, "$y$"):
		return SchemeYescrypt
	case strings.HasPrefix(hash, "$gy$"):
		return SchemeGostYescrypt
	case strings.HasPrefix(hash, "$7$"):
		return SchemeScrypt
	case strings.HasPrefix(hash, "$argon2"):
		return SchemeArgon2
	case strings.HasPrefix(hash, "$md5"):
		return SchemeSunMD5
	case strings.HasPrefix(hash, "$3$"):
		return SchemeNT
	case strings.HasPrefix(hash, "$sha1$"):
		return SchemeSHA1
	case hash[0] == '_' && len(hash) == 20 && allB64(hash[1:]):
		return SchemeBSDi
	case len(hash) == 13 && allB64(hash):
		return SchemeDES
	}
	return SchemeUnknown
}

// Verify reports whether password hashes to hash. It returns an *Error wrapping ErrMalformed for
// a hash it cannot parse, ErrUnsupported for a scheme it does not implement (yescrypt,
// gost-yescrypt, scrypt "$7$", argon2, SunMD5, NT hash, NetBSD SHA-1), and ErrCost for a work
// factor above MaxSHARounds, MaxBcryptCost or MaxBSDiRounds. The final comparison takes the same
// time whatever the bytes that differ.
func Verify(hash, password string) (ok bool, err error) {
	s := Scheme(hash)
	var sum, want string
	switch s {
	case "":
		return false, errorf(s, -1, "hash", ErrMalformed, "empty hash")
	case SchemeDES:
		sum, want, err = desCrypt(hash, password)
	case SchemeBSDi:
		sum, want, err = bsdiCrypt(hash, password)
	case SchemeMD5:
		sum, want, err = md5Crypt(hash, password)
	case SchemeSHA256, SchemeSHA512:
		sum, want, err = shaCrypt(s, hash, password)
	case SchemeBcrypt:
		return bcryptVerify(hash, password)
	case SchemeUnknown:
		return false, errorf(s, 0, "prefix", ErrUnsupported, "hash %.8q... matches no known crypt(3) scheme", hash)
	default:
		return false, errorf(s, 0, "prefix", ErrUnsupported, "%s hashes are not implemented", s)
	}
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare([]byte(sum), []byte(want)) == 1, nil
}

// Work estimates what verifying one password against hash costs, in units of one SHA-512-crypt
// verification at the default 5,000 rounds (one to two milliseconds on a current server core). It is at least 1, also for
// hashes Verify refuses, so that callers can budget a batch of verifications before running it.
func Work(hash string) int {
	w := 1
	switch Scheme(hash) {
	case SchemeSHA256, SchemeSHA512:
		if r, _, _, err := parseSHA(Scheme(hash), hash); err == nil {
			w = r / 5000
		}
	case SchemeBSDi:
		if n, err := bsdiCount(hash); err == nil {
			w = n / 5000 // 5,000 DES encryptions take about as long as the unit
		}
	case SchemeBcrypt:
		if c, err := bcryptCost(hash); err == nil {
			// Cost 10 takes about 100 default SHA-512-crypt verifications; each step doubles it.
			w = 1 << (c - 3)
		}
	}
	return max(w, 1)
}

const b64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

func b64Value(c byte) int {
	switch {
	case c >= '.' && c <= '9':
		return int(c - '.')
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 12
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 38
	}
	return -1
}

func allB64(s string) bool {
	for i := range len(s) {
		if b64Value(s[i]) < 0 {
			return false
		}
	}
	return true
}

// b64From24 appends n characters encoding v, least significant six bits first, as MD5-crypt and
// SHA-crypt do.
func b64From24(dst []byte, v uint32, n int) []byte {
	for range n {
		dst = append(dst, b64[v&0x3f])
		v >>= 6
	}
	return dst
}

// Hash computes crypt(3) of password with setting, the part of a hash before its checksum:
// "ab" (DES), "_J9..salt" (BSDi), "$1$salt", "$5$rounds=N$salt" or "$6$salt". It refuses bcrypt
// (golang.org/x/crypto/bcrypt makes those) and every scheme Verify refuses. Tests use it to plant
// hashes; it never chooses a salt itself.
func Hash(setting, password string) (string, error) {
	var fake string // setting followed by a placeholder checksum of the right length
	s := Scheme(setting)
	switch {
	case strings.HasPrefix(setting, "$1$"):
		fake = strings.TrimSuffix(setting, "$") + "$" + strings.Repeat(".", 22)
	case strings.HasPrefix(setting, "$5$"):
		fake = strings.TrimSuffix(setting, "$") + "$" + strings.Repeat(".", 43)
	case strings.HasPrefix(setting, "$6$"):
		fake = strings.TrimSuffix(setting, "$") + "$" + strings.Repeat(".", 86)
	case strings.HasPrefix(setting, "_") && len(setting) >= 9:
		fake = setting[:9] + strings.Repeat(".", 11)
	case !strings.HasPrefix(setting, "$") && len(setting) >= 2:
		fake = setting[:2] + strings.Repeat(".", 11)
	default:
		return "", errorf(s, 0, "setting", ErrUnsupported, "cannot hash with setting %.12q", setting)
	}
	var sum string
	var err error
	switch Scheme(fake) {
	case SchemeDES:
		sum, _, err = desCrypt(fake, password)
	case SchemeBSDi:
		sum, _, err = bsdiCrypt(fake, password)
	case SchemeMD5:
		sum, _, err = md5Crypt(fake, password)
	case SchemeSHA256, SchemeSHA512:
		sum, _, err = shaCrypt(Scheme(fake), fake, password)
	default:
		return "", errorf(Scheme(fake), 0, "setting", ErrMalformed, "setting %.12q has characters outside ./0-9A-Za-z", setting)
	}
	return sum, err
}
