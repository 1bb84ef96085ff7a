package calendar

import (
	"strings"
	"testing"
	"time"
)

func mustState(t *testing.T, cc string, regions ...string) *Calendar {
	t.Helper()
	c, err := ForState(cc, regions...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestPeriods: cases written from Reg. 1182/71 Art. 3, beyond the Art. 14 periods the cra
// golden table covers.
func TestPeriods(t *testing.T) {
	de := mustState(t, "DE")
	for _, tc := range []struct {
		name      string
		got       Period
		legal     string
		earliest  string
		noteParts []string
	}{
		// Art. 3(5): 2 days from Thu 24 Dec 2026 run over Fri 25 (holiday) and Sat 26; Art. 3(4)
		// moves the end to Mon 28, which gives one working day only, so the end is Tue 29.
		{"3(5) two working days", de.Days(at(t, "2026-12-24T10:00:00+01:00"), 2), "2026-12-30T00:00:00+01:00", "2026-12-26T10:00:00+01:00",
			[]string{"Art. 3(4)", "Art. 3(5)", "Tue 29 Dec 2026"}},
		// Art. 3(5) met without help: 2 days from Mon 7 Dec 2026 end Wed 9 Dec.
		{"two plain days", de.Days(at(t, "2026-12-07T10:00:00+01:00"), 2), "2026-12-10T00:00:00+01:00", "2026-12-09T10:00:00+01:00", nil},
		// Art. 3(2)(a) with an event on the hour: the hour 09:00-10:00 is not counted.
		{"hours on the hour", de.Hours(at(t, "2026-06-01T09:00:00+02:00"), 1), "2026-06-01T11:00:00+02:00", "2026-06-01T10:00:00+02:00",
			[]string{"Art. 3(1)", "Art. 3(2)(a)"}},
		// Art. 3(2)(c): 12 months from 29 Feb 2028 end on 28 Feb 2029, the month having no 29th;
		// a Wednesday, so no extension.
		{"a year from 29 Feb", de.Months(at(t, "2028-02-29T12:00:00+01:00"), 12), "2029-03-01T00:00:00+01:00", "2029-02-28T12:00:00+01:00",
			[]string{"no such date"}},
		// Art. 3(2)(c): one month from 31 Mar 2027 ends 30 Apr 2027, a Friday.
		{"31 Mar + 1 month", de.Months(at(t, "2027-03-31T08:00:00+02:00"), 1), "2027-05-01T00:00:00+02:00", "2027-04-30T08:00:00+02:00", nil},
	} {
		loc := de.Location()
		if got := tc.got.Legal.In(loc).Format(time.RFC3339); got != tc.legal {
			t.Errorf("%s: legal %s, want %s (%s)", tc.name, got, tc.legal, tc.got.Note)
		}
		if got := tc.got.Earliest.In(loc).Format(time.RFC3339); got != tc.earliest {
			t.Errorf("%s: earliest %s, want %s", tc.name, got, tc.earliest)
		}
		for _, p := range tc.noteParts {
			if !strings.Contains(tc.got.Note, p) {
				t.Errorf("%s: the note lacks %q: %s", tc.name, p, tc.got.Note)
			}
		}
	}
}

// TestLastSecondOnTime: a period that ends at 24:00 takes an act in the last second of the day
// (CRA Art. 14(2)(c) from a fix at 00:30 CEST on Sat 19 Sep 2026 in Germany: Mon 5 Oct, 24:00).
func TestLastSecondOnTime(t *testing.T) {
	p := mustState(t, "DE").Days(at(t, "2026-09-19T00:30:00+02:00"), 14)
	if want := at(t, "2026-10-05T22:00:00Z"); !p.Legal.Equal(want) {
		t.Fatalf("legal %s, want %s", p.Legal, want)
	}
	for _, tc := range []struct {
		act    string
		onTime bool
	}{
		{"2026-10-05T23:59:59.999+02:00", true},
		{"2026-10-05T23:59:59+02:00", true},
		{"2026-10-06T00:00:00.001+02:00", false},
	} {
		if got := !at(t, tc.act).After(p.Legal); got != tc.onTime {
			t.Errorf("act at %s: on time %v, want %v", tc.act, got, tc.onTime)
		}
	}
	if y, m, d := p.LastDay.Date(); y != 2026 || m != 10 || d != 5 {
		t.Errorf("last day %s", p.LastDay)
	}
}

func TestWithHolidays(t *testing.T) {
	c := mustState(t, "BG").WithHolidays("decree of the Council of Ministers", []Holiday{{Date: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC), Name: "day off"}})
	if name, ok := c.Holiday(2026, 12, 31); !ok || name != "day off" {
		t.Errorf("added day: %q %v", name, ok)
	}
	if _, ok := mustState(t, "BG").Holiday(2026, 12, 31); ok {
		t.Error("WithHolidays changed the State's calendar")
	}
	if d := c.Describe(); !strings.HasSuffix(d, "; plus 1 day(s) from decree of the Council of Ministers") {
		t.Errorf("Describe: %s", d)
	}
	if d := UTC().WithHolidays("holidays.txt", nil).Describe(); !strings.Contains(d, "from holidays.txt") {
		t.Errorf("UTC Describe: %s", d)
	}
}

func BenchmarkDays(b *testing.B) {
	c, _ := ForState("DE", "BY")
	t0 := time.Date(2026, 9, 19, 0, 30, 0, 0, time.UTC)
	for b.Loop() {
		c.Days(t0, 14)
	}
}

func TestFormatEnd(t *testing.T) {
	de := mustState(t, "DE")
	for _, tc := range []struct{ at, want string }{
		{"2026-10-05T22:00:00Z", "Mon 5 Oct 2026 24:00 CEST"},
		{"2026-10-25T23:00:00Z", "Sun 25 Oct 2026 24:00 CET"},
		{"2026-09-12T07:00:00Z", "Sat 12 Sep 2026 09:00 CEST"},
		{"2026-09-12T06:30:15.9Z", "Sat 12 Sep 2026 08:30:15 CEST"},
		{"2026-10-25T00:30:00Z", "Sun 25 Oct 2026 02:30 CEST"},
		{"2026-10-25T01:30:00Z", "Sun 25 Oct 2026 02:30 CET"},
		{"2026-03-29T01:00:00Z", "Sun 29 Mar 2026 03:00 CEST"},
	} {
		if got := de.FormatEnd(at(t, tc.at)); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.at, got, tc.want)
		}
	}
}
