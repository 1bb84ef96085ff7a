package crypt

import (
	"crypto/md5"
	"strings"
)

// md5Crypt computes Poul-Henning Kamp's MD5-based crypt, "$1$salt$checksum": an initial digest
// over password, magic and salt, then 1,000 rounds that mix password, salt and the previous digest
// in an order set by the round number.
func md5Crypt(hash, pw string) (sum, want string, err error) {
	const magic = "$1$"
	rest := hash[len(magic):]
	end := strings.IndexByte(rest, '$')
	if end < 0 {
		return "", "", errorf(SchemeMD5, len(hash), "salt", ErrMalformed, "no '$' after the salt")
	}
	salt := rest[:end]
	if len(salt) > 8 {
		return "", "", errorf(SchemeMD5, len(magic), "salt", ErrMalformed, "%d characters, at most 8", len(salt))
	}
	if got := len(rest) - end - 1; got != 22 {
		return "", "", errorf(SchemeMD5, len(magic)+end+1, "checksum", ErrMalformed, "%d characters, want 22", got)
	}

	alt := md5.Sum([]byte(pw + salt + pw))
	h := md5.New()
	h.Write([]byte(pw + magic + salt))
	for n := len(pw); n > 0; n -= 16 {
		h.Write(alt[:min(n, 16)])
	}
	for i := len(pw); i > 0; i >>= 1 {
		if i&1 != 0 {
			h.Write([]byte{0})
		} else {
			h.Write([]byte{pw[0]})
		}
	}
	final := h.Sum(nil)
	for i := range 1000 {
		h.Reset()
		if i&1 != 0 {
			h.Write([]byte(pw))
		} else {
			h.Write(final)
		}
		if i%3 != 0 {
			h.Write([]byte(salt))
		}
		if i%7 != 0 {
			h.Write([]byte(pw))
		}
		if i&1 != 0 {
			h.Write(final)
		} else {
			h.Write([]byte(pw))
		}
		final = h.Sum(final[:0])
	}

	out := []byte(hash[:len(magic)+end+1])
	for _, g := range [][3]int{{0, 6, 12}, {1, 7, 13}, {2, 8, 14}, {3, 9, 15}, {4, 10, 5}} {
		out = b64From24(out, uint32(final[g[0]])<<16|uint32(final[g[1]])<<8|uint32(final[g[2]]), 4)
	}
	out = b64From24(out, uint32(final[11]), 2)
	return string(out), hash, nil
}
