package calendar

import (
	"testing"
	"time"
)

// TestEaster checks both computi against the published tables of Easter Sunday (Western: the
// Gregorian tables of the Roman Missal; Orthodox: the tables of the Orthodox churches, given here
// as Gregorian dates).
func TestEaster(t *testing.T) {
	for _, tc := range []struct {
		year              int
		western, orthodox string
	}{
		{2024, "2024-03-31", "2024-05-05"},
		{2025, "2025-04-20", "2025-04-20"},
		{2026, "2026-04-05", "2026-04-12"},
		{2027, "2027-03-28", "2027-05-02"},
		{2028, "2028-04-16", "2028-04-16"},
		{2029, "2029-04-01", "2029-04-08"},
		{2030, "2030-04-21", "2030-04-28"},
		{2031, "2031-04-13", "2031-04-13"},
		{2032, "2032-03-28", "2032-05-02"},
		{2033, "2033-04-17", "2033-04-24"},
		{2034, "2034-04-09", "2034-04-09"},
		{2035, "2035-03-25", "2035-04-29"},
	} {
		if got := WesternEaster(tc.year).Format(time.DateOnly); got != tc.western {
			t.Errorf("Western Easter %d: %s, want %s", tc.year, got, tc.western)
		}
		if got := OrthodoxEaster(tc.year).Format(time.DateOnly); got != tc.orthodox {
			t.Errorf("Orthodox Easter %d: %s, want %s", tc.year, got, tc.orthodox)
		}
	}
}
