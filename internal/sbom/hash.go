package sbom

// ParseHashAlgorithm maps the spellings CycloneDX ("SHA-256"), SPDX 2 ("SHA256"), SPDX 3
// ("sha256") and common tools ("sha-256", "blake2b_256") use to one HashAlgorithm.
func ParseHashAlgorithm(s string) (HashAlgorithm, bool) {
	// Normalize into a small stack buffer: upper case, without '-', '_' and spaces. This runs
	// for every hash of every component, so it must not allocate.
	var buf [16]byte
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '-' || c == '_' || c == ' ' || c == '\t':
			continue
		case c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
		}
		if n == len(buf) {
			return "", false
		}
		buf[n] = c
		n++
	}
	a, ok := hashAlgorithms[string(buf[:n])]
	return a, ok
}

var hashAlgorithms = map[string]HashAlgorithm{
	"MD5":        MD5,
	"SHA1":       SHA1,
	"SHA256":     SHA256,
	"SHA384":     SHA384,
	"SHA512":     SHA512,
	"SHA3256":    SHA3_256,
	"SHA3384":    SHA3_384,
	"SHA3512":    SHA3_512,
	"BLAKE2B256": BLAKE2b256,
	"BLAKE2B384": BLAKE2b384,
	"BLAKE2B512": BLAKE2b512,
	"BLAKE3":     BLAKE3,
}

// hexDigestLen is the length in hex digits of each algorithm's digest, for validation.
var hexDigestLen = map[HashAlgorithm]int{
	MD5: 32, SHA1: 40, SHA256: 64, SHA384: 96, SHA512: 128,
	SHA3_256: 64, SHA3_384: 96, SHA3_512: 128,
	BLAKE2b256: 64, BLAKE2b384: 96, BLAKE2b512: 128, BLAKE3: 64,
}

// ValidHashValue reports whether v is a hex digest of the right length for a. BLAKE3 output may be
// longer than 256 bits, so only its minimum length is checked.
func ValidHashValue(a HashAlgorithm, v string) bool {
	n, ok := hexDigestLen[a]
	if !ok || len(v) < n || (a != BLAKE3 && len(v) != n) {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
