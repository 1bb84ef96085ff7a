// Package notify delivers Siegel security notifications to the outside
// world: signed JSON webhooks and plain-text e-mail over SMTP.
//
// The package performs exactly one delivery attempt per call. Scheduling of
// retries is left to the caller, which is expected to use [Permanent] to
// decide whether an error is worth retrying, [Backoff] to space the attempts
// and [MaxAttempts] to give up. Every [Event] carries a stable ID that is sent
// along with each attempt (as the Siegel-Delivery header of a webhook and in
// the Message-ID of an e-mail) so that receivers can discard duplicates.
package notify

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Event kinds understood by the package. Other kinds are delivered too, with
// a generic wording.
const (
	kindNew             = "finding.new"
	kindExploited       = "finding.exploited"
	kindSeverityChanged = "finding.severity_changed"
	kindTest            = "test"
)

// Event is one thing a PSIRT must hear about.
//
// ID and Kind are required: ID is the idempotency key of the delivery and
// must stay the same across retries of the same event.
type Event struct {
	ID               string    `json:"id"`   // unique, stable across retries (idempotency key)
	Kind             string    `json:"kind"` // "finding.new", "finding.exploited", "finding.severity_changed", "test"
	Organization     int64     `json:"organization"`
	Product          string    `json:"product"`
	Release          string    `json:"release"` // release version
	ReleaseID        int64     `json:"releaseId"`
	Vulnerability    string    `json:"vulnerability"`
	Aliases          []string  `json:"aliases,omitempty"`
	Package          string    `json:"package"` // purl
	Severity         string    `json:"severity,omitempty"`
	PreviousSeverity string    `json:"previousSeverity,omitempty"`
	Exploited        bool      `json:"exploited"`
	Summary          string    `json:"summary,omitempty"`
	Time             time.Time `json:"time"`
	URL              string    `json:"url,omitempty"` // link to the finding in the web UI, when known
}

// validate checks the fields every transport relies on. The returned error
// is permanent: the same event will never become deliverable.
func (e Event) validate() error {
	if e.ID == "" {
		return permanent(errors.New("notify: event has no ID"))
	}
	if e.Kind == "" {
		return permanent(fmt.Errorf("notify: event %q has no kind", e.ID))
	}
	if hasControl(e.ID) {
		return permanent(fmt.Errorf("notify: event ID %q contains control characters", e.ID))
	}
	if hasControl(e.Kind) {
		return permanent(fmt.Errorf("notify: event kind %q contains control characters", e.Kind))
	}
	return nil
}

// hasControl reports whether s contains an ASCII control character (which
// includes CR and LF) or DEL. Such characters must never reach a header.
func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			return true
		}
	}
	return false
}

// permanentError marks an error after which a retry cannot help.
type permanentError struct{ err error }

func (p *permanentError) Error() string { return p.err.Error() }
func (p *permanentError) Unwrap() error { return p.err }

// permanent wraps err so that [Permanent] reports true for it.
func permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// Permanent reports whether err says a retry cannot help: the receiver
// rejected the notification for good (a webhook answering 4xx other than
// 408 and 429, an SMTP server answering 5xx) or the notification or the
// transport configuration is invalid. Network errors, timeouts, context
// cancellation and server-side temporary failures are not permanent.
// Permanent(nil) is false.
func Permanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// MaxAttempts is the number of delivery attempts after which the caller
// should give up on an event.
const MaxAttempts = 12

const (
	backoffBase = 30 * time.Second
	backoffCap  = 6 * time.Hour
	jitter      = 0.2
)

// Backoff returns how long to wait before attempt n, where n is the 1-based
// count of failures so far: 30 s after the first failure, doubling with each
// further failure up to a cap of 6 h. The delay is then spread by ±20 %
// using rnd, which must return values in [0, 1) like math/rand.Float64:
// 0.5 means no jitter, 0 means -20 % and values near 1 mean +20 %. The cap
// applies before the jitter, so a wait can reach 7 h 12 min.
//
// Bad input does not panic: n < 1 is treated as 1, a nil rnd means no
// jitter and values out of [0, 1) (or NaN) are clamped. The result is never
// negative.
func Backoff(n int, rnd func() float64) time.Duration {
	if n < 1 {
		n = 1
	}
	d := backoffBase
	for i := 1; i < n && d < backoffCap; i++ {
		d *= 2
	}
	d = min(d, backoffCap)

	r := 0.5
	if rnd != nil {
		r = rnd()
	}
	switch {
	case math.IsNaN(r):
		r = 0.5
	case r < 0:
		r = 0
	case r > 1:
		r = 1
	}
	factor := 1 + jitter*(2*r-1) // in [0.8, 1.2]
	return max(time.Duration(float64(d)*factor), 0)
}
