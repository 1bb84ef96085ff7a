package crypt

import (
	"crypto/sha256"
	"crypto/sha512"
	"hash"
	"strings"
)

// SHA-crypt as specified by Ulrich Drepper ("Unix crypt using SHA-256 and SHA-512"):
// "$5$" or "$6$", an optional "rounds=N$" (default 5,000, clamped to 1,000..999,999,999), a salt
// of at most 16 characters, "$" and the checksum.

const (
	shaRoundsDefault = 5000
	shaRoundsMin     = 1000
	shaSaltMax       = 16
)

// Output orders: each triple of digest bytes becomes four characters; the last group is shorter.
var (
	sha256Order = [][3]int{{0, 10, 20}, {21, 1, 11}, {12, 22, 2}, {3, 13, 23}, {24, 4, 14},
		{15, 25, 5}, {6, 16, 26}, {27, 7, 17}, {18, 28, 8}, {9, 19, 29}}
	sha512Order = [][3]int{{0, 21, 42}, {22, 43, 1}, {44, 2, 23}, {3, 24, 45}, {25, 46, 4},
		{47, 5, 26}, {6, 27, 48}, {28, 49, 7}, {50, 8, 29}, {9, 30, 51}, {31, 52, 10},
		{53, 11, 32}, {12, 33, 54}, {34, 55, 13}, {56, 14, 35}, {15, 36, 57}, {37, 58, 16},
		{59, 17, 38}, {18, 39, 60}, {40, 61, 19}, {62, 20, 41}}
)

// parseSHA returns the effective rounds, the length of the hash's prefix up to and including the
// "$" after the salt, and the salt.
func parseSHA(scheme, h string) (rounds, prefix int, salt string, err error) {
	pos := 3
	rounds = shaRoundsDefault
	if r, ok := strings.CutPrefix(h[pos:], "rounds="); ok {
		end := strings.IndexByte(r, '$')
		if end <= 0 {
			return 0, 0, "", errorf(scheme, pos+7, "rounds", ErrMalformed, "no number ended by '$'")
		}
		n := 0
		for i := range end {
			c := r[i]
			if c < '0' || c > '9' {
				return 0, 0, "", errorf(scheme, pos+7+i, "rounds", ErrMalformed, "%q is not a digit", c)
			}
			if n <= MaxSHARounds {
				n = n*10 + int(c-'0')
			}
		}
		if n > MaxSHARounds {
			return 0, 0, "", errorf(scheme, pos+7, "rounds", ErrCost, "rounds=%s, more than the %d allowed", r[:end], MaxSHARounds)
		}
		rounds = max(n, shaRoundsMin)
		pos += 7 + end + 1
	}
	end := strings.IndexByte(h[pos:], '$')
	if end < 0 {
		return 0, 0, "", errorf(scheme, len(h), "salt", ErrMalformed, "no '$' after the salt")
	}
	if end > shaSaltMax {
		return 0, 0, "", errorf(scheme, pos, "salt", ErrMalformed, "%d characters, at most %d", end, shaSaltMax)
	}
	return rounds, pos + end + 1, h[pos : pos+end], nil
}

func shaCrypt(scheme, h, pw string) (sum, want string, err error) {
	rounds, prefix, salt, err := parseSHA(scheme, h)
	if err != nil {
		return "", "", err
	}
	newHash, order, tail, sumLen := sha256.New, sha256Order, 2, 43
	if scheme == SchemeSHA512 {
		newHash, order, tail, sumLen = sha512.New, sha512Order, 1, 86
	}
	if got := len(h) - prefix; got != sumLen {
		return "", "", errorf(scheme, prefix, "checksum", ErrMalformed, "%d characters, want %d", got, sumLen)
	}
	d := shaDigest(newHash, []byte(pw), []byte(salt), rounds)
	out := []byte(h[:prefix])
	for _, g := range order {
		out = b64From24(out, uint32(d[g[0]])<<16|uint32(d[g[1]])<<8|uint32(d[g[2]]), 4)
	}
	if tail == 2 { // SHA-256: bytes 31 and 30 in three characters
		out = b64From24(out, uint32(d[31])<<8|uint32(d[30]), 3)
	} else { // SHA-512: byte 63 in two characters
		out = b64From24(out, uint32(d[63]), 2)
	}
	return string(out), h, nil
}

// shaDigest is steps 1 to 21 of Drepper's specification.
func shaDigest(newHash func() hash.Hash, pw, salt []byte, rounds int) []byte {
	h := newHash()
	size := h.Size()

	// Digest B: password, salt, password.
	h.Write(pw)
	h.Write(salt)
	h.Write(pw)
	b := h.Sum(nil)

	// Digest A: password, salt, B stretched to the password's length, then B or the password for
	// each bit of that length, least significant first.
	h.Reset()
	h.Write(pw)
	h.Write(salt)
	n := len(pw)
	for ; n > size; n -= size {
		h.Write(b)
	}
	h.Write(b[:n])
	for n = len(pw); n > 0; n >>= 1 {
		if n&1 != 0 {
			h.Write(b)
		} else {
			h.Write(pw)
		}
	}
	a := h.Sum(nil)

	// P: digest of the password repeated once per byte, stretched to the password's length.
	h.Reset()
	for range len(pw) {
		h.Write(pw)
	}
	p := stretch(h.Sum(nil), len(pw))

	// S: digest of the salt repeated 16+A[0] times, stretched to the salt's length.
	h.Reset()
	for range 16 + int(a[0]) {
		h.Write(salt)
	}
	s := stretch(h.Sum(nil), len(salt))

	c := a
	for i := range rounds {
		h.Reset()
		if i&1 != 0 {
			h.Write(p)
		} else {
			h.Write(c)
		}
		if i%3 != 0 {
			h.Write(s)
		}
		if i%7 != 0 {
			h.Write(p)
		}
		if i&1 != 0 {
			h.Write(c)
		} else {
			h.Write(p)
		}
		c = h.Sum(c[:0])
	}
	return c
}

// stretch repeats d until it is n bytes long.
func stretch(d []byte, n int) []byte {
	out := make([]byte, 0, n)
	for len(out) < n {
		out = append(out, d[:min(len(d), n-len(out))]...)
	}
	return out
}
