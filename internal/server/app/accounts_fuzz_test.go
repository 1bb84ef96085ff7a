package app

import (
	"strings"
	"testing"
	"time"
)

// FuzzTokenExpiry: any form input gives an expiry in the future within the limit, no expiry,
// or an error; never a panic.
func FuzzTokenExpiry(f *testing.F) {
	for _, seed := range [][2]string{{"", ""}, {"2026-12-01", ""}, {"", "30"}, {"2026-02-30", ""}, {"", "-1"}, {"", "99999999999999999999"}, {"x", "1"}} {
		f.Add(seed[0], seed[1])
	}
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, date, days string) {
		exp, err := TokenExpiry(now, date, days)
		if err != nil {
			if !exp.IsZero() {
				t.Errorf("an error with an expiry %v", exp)
			}
			return
		}
		if strings.TrimSpace(days) != "" && (!exp.After(now) || exp.After(now.AddDate(0, 0, MaxTokenDays+1))) {
			t.Errorf("days %q gave %v", days, exp)
		}
	})
}
