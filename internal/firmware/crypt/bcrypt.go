package crypt

import (
	"errors"

	"golang.org/x/crypto/bcrypt"
)

// bcryptCost checks the version and returns the cost of a bcrypt hash, "$2b$10$" followed by
// 22 characters of salt and 31 of checksum.
func bcryptCost(h string) (int, error) {
	if len(h) < 4 || h[3] != '$' {
		return 0, errorf(SchemeBcrypt, 2, "version", ErrUnsupported, "only $2a$, $2b$ and $2y$ are implemented")
	}
	switch h[2] {
	case 'a', 'b', 'y':
	case 'x':
		return 0, errorf(SchemeBcrypt, 2, "version", ErrUnsupported, "$2x$ (the pre-2011 sign-extension bug) is not implemented")
	default:
		return 0, errorf(SchemeBcrypt, 2, "version", ErrUnsupported, "only $2a$, $2b$ and $2y$ are implemented")
	}
	if len(h) != 60 {
		return 0, errorf(SchemeBcrypt, -1, "length", ErrMalformed, "%d characters, want 60", len(h))
	}
	if h[6] != '$' || h[4] < '0' || h[4] > '9' || h[5] < '0' || h[5] > '9' {
		return 0, errorf(SchemeBcrypt, 4, "cost", ErrMalformed, "want two digits and '$'")
	}
	c := int(h[4]-'0')*10 + int(h[5]-'0')
	if c < bcrypt.MinCost {
		return 0, errorf(SchemeBcrypt, 4, "cost", ErrMalformed, "cost %d below the minimum %d", c, bcrypt.MinCost)
	}
	if c > MaxBcryptCost {
		return 0, errorf(SchemeBcrypt, 4, "cost", ErrCost, "cost %d, more than the %d allowed", c, MaxBcryptCost)
	}
	if !allB64(h[7:]) {
		return 0, errorf(SchemeBcrypt, 7, "salt", ErrMalformed, "character outside ./0-9A-Za-z")
	}
	return c, nil
}

func bcryptVerify(h, pw string) (bool, error) {
	if _, err := bcryptCost(h); err != nil {
		return false, err
	}
	// bcrypt uses at most 72 bytes of the password, as crypt(3) does; x/crypto only refuses
	// longer ones when hashing.
	err := bcrypt.CompareHashAndPassword([]byte(h), []byte(pw[:min(len(pw), 72)]))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return false, nil
	}
	return false, errorf(SchemeBcrypt, -1, "hash", ErrMalformed, "%v", err)
}
