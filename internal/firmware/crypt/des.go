package crypt

import (
	"math/bits"
	"strings"
)

// DES as specified in FIPS 46-3, with the one change crypt(3) makes: a 12-bit (traditional) or
// 24-bit (BSDi) salt swaps bit i of the expansion's output with bit i+24 for every salt bit i that
// is set. crypto/des cannot be told to do that, hence this implementation. Tables number bits from
// 1, most significant first, as the standard does.

var desIP = [64]byte{
	58, 50, 42, 34, 26, 18, 10, 2, 60, 52, 44, 36, 28, 20, 12, 4,
	62, 54, 46, 38, 30, 22, 14, 6, 64, 56, 48, 40, 32, 24, 16, 8,
	57, 49, 41, 33, 25, 17, 9, 1, 59, 51, 43, 35, 27, 19, 11, 3,
	61, 53, 45, 37, 29, 21, 13, 5, 63, 55, 47, 39, 31, 23, 15, 7,
}

var desP = [32]byte{
	16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10,
	2, 8, 24, 14, 32, 27, 3, 9, 19, 13, 30, 6, 22, 11, 4, 25,
}

var desPC1 = [56]byte{
	57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18,
	10, 2, 59, 51, 43, 35, 27, 19, 11, 3, 60, 52, 44, 36,
	63, 55, 47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30, 22,
	14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 28, 20, 12, 4,
}

var desPC2 = [48]byte{
	14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10,
	23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2,
	41, 52, 31, 37, 47, 55, 30, 40, 51, 45, 33, 48,
	44, 49, 39, 56, 34, 53, 46, 42, 50, 36, 29, 32,
}

var desShifts = [16]byte{1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1}

var desS = [8][64]byte{
	{14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7,
		0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5, 3, 8,
		4, 1, 14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5, 0,
		15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14, 10, 0, 6, 13},
	{15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10,
		3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9, 11, 5,
		0, 14, 7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2, 15,
		13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12, 0, 5, 14, 9},
	{10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8,
		13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11, 15, 1,
		13, 6, 4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14, 7,
		1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3, 11, 5, 2, 12},
	{7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15,
		13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10, 14, 9,
		10, 6, 9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8, 4,
		3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11, 12, 7, 2, 14},
	{2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9,
		14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9, 8, 6,
		4, 2, 1, 11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0, 14,
		11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9, 10, 4, 5, 3},
	{12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11,
		10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11, 3, 8,
		9, 14, 15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11, 6,
		4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7, 6, 0, 8, 13},
	{4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1,
		13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15, 8, 6,
		1, 4, 11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9, 2,
		6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15, 14, 2, 3, 12},
	{13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7,
		1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14, 9, 2,
		7, 11, 4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5, 8,
		2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0, 3, 5, 6, 11},
}

// desFP is the inverse of desIP; desSP[i][v] is S-box i applied to the six bits v, its four output
// bits put in place and then through P, so that a round's f is eight lookups ORed together.
var (
	desFP [64]byte
	desSP [8][64]uint32
)

func init() {
	for i, p := range desIP {
		desFP[p-1] = byte(i + 1)
	}
	for i := range 8 {
		for v := range 64 {
			row := (v>>4)&2 | v&1
			col := (v >> 1) & 0xf
			s := uint64(desS[i][row*16+col]) << (28 - 4*i)
			desSP[i][v] = uint32(permute(s, desP[:], 32))
		}
	}
}

// permute returns the bits of in (an inBits-wide value) picked by table, first entry in the most
// significant output bit.
func permute(in uint64, table []byte, inBits int) uint64 {
	var out uint64
	for _, p := range table {
		out = out<<1 | (in>>(inBits-int(p)))&1
	}
	return out
}

// desSchedule returns the sixteen 48-bit round keys of a 64-bit key (parity bits ignored).
func desSchedule(key uint64) [16]uint64 {
	var ks [16]uint64
	cd := permute(key, desPC1[:], 64)
	c, d := uint32(cd>>28), uint32(cd&0x0fffffff)
	for i, s := range desShifts {
		c = (c<<s | c>>(28-s)) & 0x0fffffff
		d = (d<<s | d>>(28-s)) & 0x0fffffff
		ks[i] = permute(uint64(c)<<28|uint64(d), desPC2[:], 56)
	}
	return ks
}

// saltMask turns a crypt salt into the mask of the low 24 expansion bits to swap with the high
// 24: salt bit i (least significant first) selects expansion bit i+1 (counted from the most
// significant, as in the standard) and with it bit i+25.
func saltMask(salt uint32) uint64 {
	var m uint64
	for i := range 24 {
		if salt>>i&1 != 0 {
			m |= 1 << (23 - i)
		}
	}
	return m
}

// desEncrypt enciphers block count times in a row with the round keys ks and the salt mask, the
// output of one encryption the input of the next.
func desEncrypt(block uint64, ks *[16]uint64, mask uint64, count int) uint64 {
	lr := permute(block, desIP[:], 64)
	l, r := uint32(lr>>32), uint32(lr)
	for range count {
		for _, k := range ks {
			l, r = r, l^desF(r, k, mask)
		}
		l, r = r, l
	}
	return permute(uint64(l)<<32|uint64(r), desFP[:], 64)
}

func desF(r uint32, k, mask uint64) uint32 {
	// Expansion: six-bit group i is bits 4i..4i+5 of r (numbered from 1, wrapping around).
	var e uint64
	for i := range 8 {
		e = e<<6 | uint64(bits.RotateLeft32(r, 4*i-1)>>26)
	}
	t := (e>>24 ^ e) & mask
	e ^= t | t<<24
	e ^= k
	return desSP[0][e>>42&63] | desSP[1][e>>36&63] | desSP[2][e>>30&63] | desSP[3][e>>24&63] |
		desSP[4][e>>18&63] | desSP[5][e>>12&63] | desSP[6][e>>6&63] | desSP[7][e&63]
}

// desKey packs up to eight password bytes as crypt(3) does: the seven low bits of each, shifted
// left over the parity bit; a short password is padded with zero bytes.
func desKey(pw string) uint64 {
	var k uint64
	for i := range 8 {
		var c byte
		if i < len(pw) {
			c = pw[i]
		}
		k = k<<8 | uint64(c<<1)
	}
	return k
}

// desOutput encodes a 64-bit result as eleven crypt base-64 characters, most significant bits
// first, the last character padded with two zero bits.
func desOutput(dst []byte, v uint64) []byte {
	for i := range 10 {
		dst = append(dst, b64[v>>(58-6*i)&63])
	}
	return append(dst, b64[v<<2&63])
}

// decode24 reads n crypt base-64 characters as an integer, least significant six bits first.
func decode24(s string) (uint32, bool) {
	var v uint32
	for i := len(s) - 1; i >= 0; i-- {
		d := b64Value(s[i])
		if d < 0 {
			return 0, false
		}
		v = v<<6 | uint32(d)
	}
	return v, true
}

// desCrypt computes the traditional crypt of pw with the salt of hash: 25 encryptions of a zero
// block under the first eight password characters.
func desCrypt(hash, pw string) (sum, want string, err error) {
	if len(hash) != 13 {
		return "", "", errorf(SchemeDES, -1, "length", ErrMalformed, "%d characters, want 13", len(hash))
	}
	salt, ok := decode24(hash[:2])
	if !ok {
		return "", "", errorf(SchemeDES, 0, "salt", ErrMalformed, "character outside ./0-9A-Za-z")
	}
	ks := desSchedule(desKey(pw))
	out := desEncrypt(0, &ks, saltMask(salt), 25)
	return string(desOutput([]byte(hash[:2]), out)), hash, nil
}

func bsdiCount(hash string) (int, error) {
	if len(hash) != 20 || hash[0] != '_' {
		return 0, errorf(SchemeBSDi, -1, "length", ErrMalformed, "%d characters, want 20 starting with _", len(hash))
	}
	n, ok := decode24(hash[1:5])
	if !ok {
		return 0, errorf(SchemeBSDi, 1, "count", ErrMalformed, "character outside ./0-9A-Za-z")
	}
	if n == 0 {
		return 0, errorf(SchemeBSDi, 1, "count", ErrMalformed, "zero iterations")
	}
	if n > MaxBSDiRounds {
		return 0, errorf(SchemeBSDi, 1, "count", ErrCost, "%d iterations, more than the %d allowed", n, MaxBSDiRounds)
	}
	return int(n), nil
}

// bsdiCrypt computes BSDi extended DES crypt: "_", four characters of iteration count, four of
// salt, then the result. Passwords of any length count: every further eight characters are
// folded into the key by encrypting the key with itself and XORing them in.
func bsdiCrypt(hash, pw string) (sum, want string, err error) {
	n, err := bsdiCount(hash)
	if err != nil {
		return "", "", err
	}
	salt, ok := decode24(hash[5:9])
	if !ok {
		return "", "", errorf(SchemeBSDi, 5, "salt", ErrMalformed, "character outside ./0-9A-Za-z")
	}
	key := desKey(pw)
	ks := desSchedule(key)
	for rest := pw[min(8, len(pw)):]; rest != ""; rest = rest[min(8, len(rest)):] {
		key = desEncrypt(key, &ks, 0, 1) ^ desKey(rest)
		ks = desSchedule(key)
	}
	out := desEncrypt(0, &ks, saltMask(salt), n)
	var b strings.Builder
	b.WriteString(hash[:9])
	b.Write(desOutput(nil, out))
	return b.String(), hash, nil
}
