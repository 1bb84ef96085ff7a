package ledger

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"time"

	"github.com/digitorus/timestamp"
)

// RFC 3161 time-stamps of checkpoints: a time-stamping authority (TSA) signs the SHA-256 of the
// signed checkpoint note together with its own clock, so that a checkpoint — and every entry
// under it — provably existed at that time, whatever the log operator's clock said.

// maxTimestampResponse bounds what is read from a TSA.
const maxTimestampResponse = 1 << 20

// RequestTimestamp asks the TSA at url for a time-stamp of the signed checkpoint note and
// returns the time-stamp token (DER), checked against roots (nil: the system's roots).
func RequestTimestamp(ctx context.Context, client *http.Client, url, signed string, roots *x509.CertPool) ([]byte, time.Time, error) {
	sum := sha256.Sum256([]byte(signed))
	nonce, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 63))
	if err != nil {
		return nil, time.Time{}, err
	}
	req, err := (&timestamp.Request{HashAlgorithm: crypto.SHA256, HashedMessage: sum[:], Certificates: true, Nonce: nonce}).Marshal()
	if err != nil {
		return nil, time.Time{}, err
	}
	hreq, err := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(req))
	if err != nil {
		return nil, time.Time{}, err
	}
	hreq.Header.Set("Content-Type", "application/timestamp-query")
	resp, err := client.Do(hreq)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("time-stamping authority: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTimestampResponse+1))
	if err != nil || len(body) > maxTimestampResponse {
		return nil, time.Time{}, fmt.Errorf("time-stamping authority: response unreadable or over %d bytes", maxTimestampResponse)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, time.Time{}, fmt.Errorf("time-stamping authority: %s", resp.Status)
	}
	ts, err := timestamp.ParseResponse(body)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("time-stamp response: %w", err)
	}
	if ts.Nonce == nil || ts.Nonce.Cmp(nonce) != 0 {
		return nil, time.Time{}, errors.New("time-stamp response: the nonce is not the request's (a replayed answer)")
	}
	at, err := VerifyTimestamp(ts.RawToken, signed, roots)
	return ts.RawToken, at, err
}

// VerifyTimestamp checks a time-stamp token (DER) for the signed checkpoint note: the TSA's
// signature, its certificate chain to roots (nil: the system's roots) for time-stamping, and
// that the stamped hash is the note's SHA-256. It returns the TSA's time.
func VerifyTimestamp(token []byte, signed string, roots *x509.CertPool) (time.Time, error) {
	if len(token) > maxTimestampResponse {
		return time.Time{}, fmt.Errorf("time-stamp token over %d bytes", maxTimestampResponse)
	}
	ts, err := parseToken(token)
	if err != nil {
		return time.Time{}, fmt.Errorf("time-stamp token: %w", err)
	}
	sum := sha256.Sum256([]byte(signed))
	if ts.HashAlgorithm != crypto.SHA256 || !bytes.Equal(ts.HashedMessage, sum[:]) {
		return time.Time{}, errors.New("time-stamp token: it stamps another document than this checkpoint")
	}
	if len(ts.Certificates) == 0 {
		return time.Time{}, errors.New("time-stamp token: no TSA certificate to check the signature with")
	}
	inter := x509.NewCertPool()
	for _, c := range ts.Certificates[1:] {
		inter.AddCert(c)
	}
	if _, err := ts.Certificates[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: ts.Time,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}}); err != nil {
		return time.Time{}, fmt.Errorf("time-stamp token: the TSA certificate is not trusted: %w", err)
	}
	return ts.Time.UTC(), nil
}

// parseToken parses a token; the ASN.1 and CMS code is not hardened against every malformed
// input, so a panic there is a malformed token.
func parseToken(token []byte) (ts *timestamp.Timestamp, err error) {
	defer func() {
		if r := recover(); r != nil {
			ts, err = nil, fmt.Errorf("malformed: %v", r)
		}
	}()
	return timestamp.Parse(token)
}
