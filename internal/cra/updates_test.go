package cra

import (
	"testing"
	"time"
)

// The cases follow CRA Art. 13(9) (ten years after issue, or the rest of the support period,
// whichever is longer) and Reg. 1182/71 Art. 3(2)(c) (a period in years ends on the same date).
func TestKeepAvailableUntil(t *testing.T) {
	for _, tc := range []struct {
		name, issued, supportEnd, want string
	}{
		{"ten years, same date", "2026-11-22", "2031-12", "2036-11-22"},
		{"support period longer", "2026-11-22", "2040-06", "2040-06-30"},
		{"support ends in the tenth year's month, later day", "2026-11-02", "2036-11", "2036-11-30"},
		{"issued on 29 February: the last day of February", "2028-02-29", "2033-02", "2038-02-28"},
		{"no support end recorded", "2027-01-31", "", "2037-01-31"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			issued, _ := time.Parse(time.DateOnly, tc.issued)
			got, err := KeepAvailableUntil(issued, tc.supportEnd)
			if err != nil || got.Format(time.DateOnly) != tc.want {
				t.Errorf("KeepAvailableUntil(%s, %q) = %s, %v; want %s", tc.issued, tc.supportEnd, got.Format(time.DateOnly), err, tc.want)
			}
		})
	}
	if _, err := KeepAvailableUntil(time.Now(), "2031"); err == nil {
		t.Error("a support end without its month accepted")
	}
}
