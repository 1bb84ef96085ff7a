package cra

import (
	"bufio"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/calendar"
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

func calendarFor(t testing.TB, key string) *calendar.Calendar {
	t.Helper()
	if key == "UTC" {
		return calendar.UTC()
	}
	cc, region, _ := strings.Cut(key, "-")
	cal, err := calendar.ForState(cc, region)
	if err != nil {
		t.Fatal(err)
	}
	return cal
}

// TestDeadlinesGolden runs the clock rules against cases written from the legal text.
func TestDeadlinesGolden(t *testing.T) {
	f, err := os.Open("testdata/deadlines.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for line := 1; sc.Scan(); line++ {
		if strings.HasPrefix(sc.Text(), "#") || strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		c := strings.Split(sc.Text(), "\t")
		if len(c) != 9 {
			t.Fatalf("line %d: %d fields", line, len(c))
		}
		n++
		cal := calendarFor(t, c[0])
		ds, err := Deadlines(Facts{Type: c[1], Aware: parseTime(t, c[2]), FixAvailable: parseTime(t, c[3]), NotificationSubmitted: parseTime(t, c[4])}, cal)
		if err != nil {
			t.Fatalf("line %d: %v", line, err)
		}
		var got *Deadline
		for i := range ds {
			if ds[i].Stage == c[5] {
				got = &ds[i]
			}
		}
		if got == nil {
			t.Fatalf("line %d: no stage %s", line, c[5])
		}
		if !strings.Contains(got.Basis, "Reg. 1182/71") || !strings.Contains(got.Basis, cal.Describe()) {
			t.Errorf("line %d: the basis does not say how and in which calendar it was counted: %s", line, got.Basis)
		}
		if c[6] == "pending" {
			if got.Pending == "" {
				t.Errorf("line %d (%s): want pending, got %v", line, c[8], got.Legal)
			}
			continue
		}
		// The instants must agree, and printed in the State's zone they must read as written.
		legal, early := got.Legal.In(cal.Location()).Format(time.RFC3339), got.Conservative.In(cal.Location()).Format(time.RFC3339)
		if legal != c[6] || early != c[7] {
			t.Errorf("line %d (%s, %s): got legal %s earliest %s, want %s %s\n%s", line, c[0], c[8], legal, early, c[6], c[7], got.Counting)
		}
		if got.Conservative.After(got.Legal) {
			t.Errorf("line %d: the earliest reading is later than the legal one", line)
		}
	}
	if n < 40 {
		t.Fatalf("only %d golden cases read", n)
	}
}

// TestEarliestNeverAfterLegal: the earliest reading is the minimum over the readings, so it is
// never after the legal end, nor after the exact count from the instant of the event, for any
// instant from 2026 to 2035 in any Member State.
func TestEarliestNeverAfterLegal(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 1182))
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	to := time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	cals := []*calendar.Calendar{calendar.UTC()}
	for _, cc := range calendar.States() {
		cals = append(cals, calendarFor(t, cc))
	}
	for i := range 20000 {
		cal := cals[i%len(cals)]
		at := time.Unix(from+rng.Int64N(to-from), rng.Int64N(1e9)).UTC()
		for _, f := range []Facts{
			{Type: Exploited, Aware: at, FixAvailable: at},
			{Type: Incident, Aware: at, NotificationSubmitted: at},
		} {
			ds, err := Deadlines(f, cal)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range ds {
				exact := map[string]time.Duration{EarlyWarning: 24 * time.Hour, Notification: 72 * time.Hour, FinalReport: 14 * 24 * time.Hour}[d.Stage]
				if d.Conservative.After(d.Legal) || (f.Type == Exploited || d.Stage != FinalReport) && d.Conservative.After(at.Add(exact)) || !d.Conservative.After(at) {
					t.Fatalf("%s %s from %s: earliest %s, legal %s", cal.State(), d.Stage, at.In(cal.Location()).Format(time.RFC3339Nano),
						d.Conservative.Format(time.RFC3339Nano), d.Legal.Format(time.RFC3339Nano))
				}
			}
		}
	}
}

// TestSpringClockChange is the case where 14 x 24 hours from a fix late on a Wednesday before
// the switch to summer time end after the legal end (Wed 7 Apr 2027, 24:00 CEST).
func TestSpringClockChange(t *testing.T) {
	fix := time.Date(2027, 3, 24, 22, 30, 0, 0, time.UTC) // 23:30 CET
	ds, err := Deadlines(Facts{Type: Exploited, Aware: fix, FixAvailable: fix}, calendarFor(t, "DE"))
	if err != nil {
		t.Fatal(err)
	}
	final := ds[2]
	if want := time.Date(2027, 4, 7, 22, 0, 0, 0, time.UTC); !final.Legal.Equal(want) {
		t.Errorf("legal %s, want %s", final.Legal, want)
	}
	if final.Conservative.After(final.Legal) {
		t.Errorf("earliest %s is after the legal end %s", final.Conservative, final.Legal)
	}
}

func TestDeadlinesErrors(t *testing.T) {
	if _, err := Deadlines(Facts{Type: Exploited}, calendar.UTC()); err == nil {
		t.Error("no awareness time accepted")
	}
	if _, err := Deadlines(Facts{Type: "breach", Aware: time.Now()}, calendar.UTC()); err == nil {
		t.Error("unknown type accepted")
	}
	if _, err := Deadlines(Facts{Type: Exploited, Aware: time.Now()}, nil); err == nil {
		t.Error("no calendar accepted")
	}
	if !FineExemption("micro") || !FineExemption("small") || FineExemption("medium") {
		t.Error("Art. 64(10) covers micro and small enterprises only")
	}
}
