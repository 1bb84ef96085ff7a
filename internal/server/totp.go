package server

// TOTP parameters (RFC 6238 with the defaults every authenticator app reads from an otpauth
// URI): HMAC-SHA1, six digits, 30-second steps, one step of clock drift either way.
const ()
