package app

import (
	"strings"
	"testing"
	"time"
)

// FuzzParseExpiry: any text gives a time or an error, never a panic; a date ends at the last
// second of its day (UTC).
func FuzzParseExpiry(f *testing.F) {
	for _, s := range []string{"", "2027-01-31", "2027-01-31T10:00:00Z", "2027-02-30", "someday", " 2027-01-31 ", "2027-01-31T10:00:00+99:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseExpiry(s)
		if err != nil {
			if got != nil {
				t.Errorf("%q: a time and an error", s)
			}
			return
		}
		if got == nil {
			return
		}
		if d, derr := time.Parse(time.DateOnly, strings.TrimSpace(s)); derr == nil && !got.Equal(d.Add(24*time.Hour-time.Second)) {
			t.Errorf("%q: %v, want the end of the day", s, got)
		}
	})
}
