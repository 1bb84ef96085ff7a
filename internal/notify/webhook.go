package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// HTTP headers set on every webhook request.
const (
	headerEvent     = "Siegel-Event"
	headerDelivery  = "Siegel-Delivery"
	headerSignature = "Siegel-Signature"
)

// defaultTimeout bounds a whole webhook request when Webhook.Client is nil.
const defaultTimeout = 10 * time.Second

// defaultClient is used when Webhook.Client is nil: it reaches public addresses only.
var defaultClient = AddressPolicy{}.Client(defaultTimeout)

// noRedirect makes an http.Client return 3xx responses instead of following
// them: a redirected POST would lose its body (or be replayed to a host the
// user never configured).
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Webhook posts events as JSON.
//
// Each request is signed with HMAC-SHA256 so that the receiver can check
// with [Verify] that it comes from Siegel and has not been replayed. An empty
// Secret still produces a signature header, but one that anybody can forge,
// and [Verify] refuses to check against an empty secret.
type Webhook struct {
	URL    string       // http or https URL the events are POSTed to
	Secret []byte       // HMAC-SHA256 key
	Client *http.Client // nil: a client with a 10 s timeout that reaches public addresses only (AddressPolicy)
}

// client returns the HTTP client to use: Client, or the default one, in
// both cases configured never to follow redirects. A caller-supplied client
// is copied, not modified.
func (w Webhook) client() *http.Client {
	if w.Client == nil {
		return defaultClient
	}
	c := *w.Client
	c.CheckRedirect = noRedirect
	return &c
}

// Deliver POSTs the event once. The body is the JSON encoding of e; the
// request carries the headers
//
//	Content-Type: application/json
//	Siegel-Event: <e.Kind>
//	Siegel-Delivery: <e.ID>
//	Siegel-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + body>
//
// A 2xx answer is success; anything else, including a redirect (which is
// never followed), returns an error. A 4xx answer other than 408 and 429
// returns an error for which [Permanent] is true, as does an invalid URL or
// event; network errors, 5xx, 408 and 429 answers are temporary. The
// request is bound to ctx.
//
// Error messages name the host of the webhook but never its full URL, which
// often embeds a token.
func (w Webhook) Deliver(ctx context.Context, e Event) error {
	if err := e.validate(); err != nil {
		return err
	}
	u, err := url.Parse(w.URL)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // do not repeat the URL
		}
		return permanent(fmt.Errorf("notify: invalid webhook URL: %w", err))
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return permanent(fmt.Errorf("notify: invalid webhook URL: need an absolute http or https URL, have scheme %q", u.Scheme))
	}

	body, err := json.Marshal(e)
	if err != nil {
		return permanent(fmt.Errorf("notify: encoding event %s: %w", e.ID, err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return permanent(fmt.Errorf("notify: webhook to %s: building request: %w", u.Host, err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Siegel-Webhook/1")
	req.Header.Set(headerEvent, e.Kind)
	req.Header.Set(headerDelivery, e.ID)
	req.Header.Set(headerSignature, signatureHeader(w.Secret, time.Now(), body))

	resp, err := w.client().Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the URL, which may hold a token
		}
		if errors.Is(err, ErrAddressRefused) {
			return permanent(fmt.Errorf("notify: webhook to %s for event %s: %w", u.Host, e.ID, err))
		}
		return fmt.Errorf("notify: webhook to %s for event %s: %w", u.Host, e.ID, err)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	// Drain a bounded amount so that the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))

	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return nil
	}
	err = fmt.Errorf("notify: webhook to %s for event %s: answered %s%s",
		u.Host, e.ID, resp.Status, quoteSnippet(snippet))
	if resp.StatusCode >= 400 && resp.StatusCode <= 499 &&
		resp.StatusCode != http.StatusRequestTimeout && resp.StatusCode != http.StatusTooManyRequests {
		return permanent(err)
	}
	return err
}

// quoteSnippet renders the start of an error response for an error message:
// on one line, without control characters, and short.
func quoteSnippet(b []byte) string {
	s := strings.TrimSpace(strings.ToValidUTF8(string(b), "\uFFFD"))
	if s == "" {
		return ""
	}
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	return replyMarker + strconv.Quote(truncate(s, 200))
}

// signatureHeader returns the Siegel-Signature header value for body sent
// at time now.
func signatureHeader(secret []byte, now time.Time, body []byte) string {
	t := strconv.FormatInt(now.Unix(), 10)
	return "t=" + t + ",v1=" + hex.EncodeToString(sign(secret, t, body))
}

// sign returns HMAC-SHA256(secret, t + "." + body).
func sign(secret []byte, t string, body []byte) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(t))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return mac.Sum(nil)
}

// Errors returned by Verify. They are wrapped with more context; test with
// errors.Is.
var (
	errNoSecret          = errors.New("notify: no webhook secret to verify with")
	errMalformedHeader   = errors.New("notify: malformed signature header")
	errSignatureMismatch = errors.New("notify: signature mismatch")
	errTimestamp         = errors.New("notify: signature timestamp outside tolerance")
)

// maxHeaderLen bounds the signature header Verify is willing to parse.
const maxHeaderLen = 4096

// Verify checks a Siegel-Signature header against body with the secret.
// It returns nil when one of the v1 signatures in header is the
// HMAC-SHA256 of "<t>." + body under secret and the timestamp t is no more
// than tolerance older or newer than now; otherwise it returns an error
// saying why. The comparison runs in constant time.
//
// The header has the form "t=<unix seconds>,v1=<hex>"; several v1 entries
// (as during a secret rotation) are accepted, as are unknown keys, which are
// ignored. An empty secret is always rejected. Body must be the request body
// exactly as received, before any decoding.
func Verify(secret, body []byte, header string, now time.Time, tolerance time.Duration) error {
	if len(secret) == 0 {
		return errNoSecret
	}
	if len(header) > maxHeaderLen {
		return fmt.Errorf("%w: longer than %d bytes", errMalformedHeader, maxHeaderLen)
	}
	var (
		ts    string
		haveT bool
		sigs  []string
	)
	for part := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return fmt.Errorf("%w: element %q is not key=value", errMalformedHeader, truncate(part, 40))
		}
		switch k {
		case "t":
			if haveT {
				return fmt.Errorf("%w: more than one timestamp", errMalformedHeader)
			}
			ts, haveT = v, true
		case "v1":
			sigs = append(sigs, v)
		}
	}
	if !haveT {
		return fmt.Errorf("%w: no timestamp", errMalformedHeader)
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || ts == "" || ts[0] < '0' || ts[0] > '9' {
		return fmt.Errorf("%w: timestamp %q is not a number of seconds", errMalformedHeader, truncate(ts, 40))
	}
	if len(sigs) == 0 {
		return fmt.Errorf("%w: no v1 signature", errMalformedHeader)
	}

	want := sign(secret, ts, body)
	matched, wellFormed := false, false
	for _, s := range sigs {
		got, err := hex.DecodeString(s)
		if err != nil || len(got) != sha256.Size {
			continue
		}
		wellFormed = true
		if hmac.Equal(got, want) {
			matched = true
		}
	}
	switch {
	case !wellFormed:
		return fmt.Errorf("%w: no v1 signature is %d hex-encoded bytes", errMalformedHeader, sha256.Size)
	case !matched:
		return errSignatureMismatch
	}

	// time.Time.Sub saturates instead of overflowing, so absurd timestamps
	// end up far outside any tolerance.
	age := now.Sub(time.Unix(unix, 0))
	if age > tolerance || age < -tolerance {
		return fmt.Errorf("%w: signed at %d, %s away from now (tolerance %s)",
			errTimestamp, unix, age.Abs().Truncate(time.Second), tolerance)
	}
	return nil
}

// truncate shortens s to at most n runes, marking the cut with an ellipsis.
func truncate(s string, n int) string {
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos] + "…"
		}
		i++
	}
	return s
}
