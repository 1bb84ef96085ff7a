package cra

import (
	"bufio"
	"os"
	"strings"
	"testing"
	"time"
)

func parseTime(t *testing.T, s string) time.Time {
	t.Helper()
	if s == "-" {
		return time.Time{}
	}
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestDeadlinesGolden runs the clock rules against cases written from the legal text.
func TestDeadlinesGolden(t *testing.T) {
	f, err := os.Open("testdata/deadlines.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cal := Calendar{Holidays: map[string]bool{"2026-12-25": true, "2026-12-26": true}}
	sc := bufio.NewScanner(f)
	n := 0
	for line := 1; sc.Scan(); line++ {
		if strings.HasPrefix(sc.Text(), "#") || strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		c := strings.Split(sc.Text(), "\t")
		if len(c) != 8 {
			t.Fatalf("line %d: %d fields", line, len(c))
		}
		n++
		ds, err := Deadlines(Facts{Type: c[0], Aware: parseTime(t, c[1]), FixAvailable: parseTime(t, c[2]), NotificationSubmitted: parseTime(t, c[3])}, cal)
		if err != nil {
			t.Fatalf("line %d: %v", line, err)
		}
		var got *Deadline
		for i := range ds {
			if ds[i].Stage == c[4] {
				got = &ds[i]
			}
		}
		if got == nil {
			t.Fatalf("line %d: no stage %s", line, c[4])
		}
		if c[5] == "pending" {
			if got.Pending == "" {
				t.Errorf("line %d (%s): want pending, got %v", line, c[7], got.Legal)
			}
			continue
		}
		legal, cons := parseTime(t, c[5]), parseTime(t, c[6])
		if !got.Legal.Equal(legal) || !got.Conservative.Equal(cons) {
			t.Errorf("line %d (%s): got legal %s conservative %s, want %s %s", line, c[7],
				got.Legal.Format(time.RFC3339), got.Conservative.Format(time.RFC3339), c[5], c[6])
		}
		if got.Conservative.After(got.Legal) {
			t.Errorf("line %d: the conservative deadline is later than the legal one", line)
		}
	}
	if n < 15 {
		t.Fatalf("only %d golden cases read", n)
	}
}

func TestDeadlinesErrors(t *testing.T) {
	if _, err := Deadlines(Facts{Type: Exploited}, Calendar{}); err == nil {
		t.Error("no awareness time accepted")
	}
	if _, err := Deadlines(Facts{Type: "breach", Aware: time.Now()}, Calendar{}); err == nil {
		t.Error("unknown type accepted")
	}
	if !FineExemption("micro") || !FineExemption("small") || FineExemption("medium") {
		t.Error("Art. 64(10) covers micro and small enterprises only")
	}
}

func TestSupportMonths(t *testing.T) {
	since := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		pom, end string
		want     int
	}{
		{"2026-01-05", "2030-12", 60}, // January 2026 to December 2030: five years
		{"2026-01-05", "2030-11", 59},
		{"", "2031-10", 60}, // not on the market yet: counted from now
		{"2027-02-28", "2027-02", 1},
	} {
		got, err := SupportMonths(tc.pom, since, tc.end)
		if err != nil || got != tc.want {
			t.Errorf("%s to %s: %d %v, want %d", tc.pom, tc.end, got, err, tc.want)
		}
	}
	if _, err := SupportMonths("", since, "2031"); err == nil {
		t.Error("bad support end accepted")
	}
}
