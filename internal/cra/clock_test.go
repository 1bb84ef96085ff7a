package cra

import (
	"strings"
	"testing"
	"time"
)

// CRA Art. 71(2): Art. 14 applies from 11 September 2026, from the start of that day in the
// Member State's calendar (Reg. 1182/71 Art. 4(2)). Awareness before it gives no deadlines.
func TestCaseClockApplicationDate(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	for _, tc := range []struct {
		name   string
		ms     string
		aware  time.Time
		before bool
	}{
		{"the day before, UTC", "", time.Date(2026, 9, 10, 23, 59, 59, 0, time.UTC), true},
		{"the first instant, UTC", "", time.Date(2026, 9, 11, 0, 0, 0, 0, time.UTC), false},
		{"00:30 in Berlin is 22:30 UTC the day before: already applies", "DE", time.Date(2026, 9, 11, 0, 30, 0, 0, berlin), false},
		{"23:30 in Berlin on 10 Sep: not yet", "DE", time.Date(2026, 9, 10, 23, 30, 0, 0, berlin), true},
		{"a year earlier", "FR", time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := CaseClock(Record{Facts: Facts{Type: Incident, Aware: tc.aware}, Establishment: Establishment{MemberState: tc.ms}})
			if err != nil {
				t.Fatal(err)
			}
			if c.BeforeApplication != tc.before || (len(c.Deadlines) == 0) != tc.before {
				t.Errorf("Art. 71(2): before application %v with %d deadlines, want %v", c.BeforeApplication, len(c.Deadlines), tc.before)
			}
		})
	}
}

// Art. 14(6): the intermediate report is a stage only once the CSIRT asked for it, due when it
// said; it comes before the final report.
func TestCaseClockIntermediate(t *testing.T) {
	aware := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	r := Record{Facts: Facts{Type: Exploited, Aware: aware}}
	c, err := CaseClock(r)
	if err != nil || len(c.Deadlines) != 3 {
		t.Fatalf("%v %+v", err, c.Deadlines)
	}
	r.IntermediateRequested = aware.Add(48 * time.Hour)
	c, _ = CaseClock(r)
	if len(c.Deadlines) != 4 || c.Deadlines[2].Stage != IntermediateReport || c.Deadlines[2].Pending == "" || c.Deadlines[3].Stage != FinalReport {
		t.Fatalf("requested without a date: %+v", c.Deadlines)
	}
	r.IntermediateDue = aware.Add(7 * 24 * time.Hour)
	c, _ = CaseClock(r)
	if d := c.Deadlines[2]; !d.Legal.Equal(r.IntermediateDue) || d.Pending != "" || !strings.Contains(d.Basis, "Art. 14(6)") {
		t.Errorf("requested with a date: %+v", d)
	}
	if c.Calendar != NoMemberState {
		t.Errorf("calendar %q", c.Calendar)
	}
	if _, err := CaseClock(Record{Facts: Facts{Type: Exploited, Aware: aware}, Establishment: Establishment{MemberState: "XX"}}); err == nil {
		t.Error("an unknown Member State counted")
	}
}

// A period ends at 24:00, the instant the next day begins: an act in the last second of the day,
// to its last nanosecond, is on time (Reg. 1182/71 Art. 3(2)(b)); the next instant is not.
func TestOnTime(t *testing.T) {
	deadline := time.Date(2026, 12, 29, 0, 0, 0, 0, time.FixedZone("CET", 3600))
	for _, tc := range []struct {
		at time.Time
		ok bool
	}{
		{deadline.Add(-time.Second), true},
		{deadline.Add(-time.Nanosecond), true},
		{deadline.Add(-500 * time.Millisecond).UTC(), true},
		{deadline, true},
		{deadline.Add(time.Nanosecond), false},
		{deadline.Add(time.Second), false},
	} {
		if got := OnTime(tc.at, deadline); got != tc.ok {
			t.Errorf("act at %s, deadline %s: on time %v, want %v", tc.at.Format(time.RFC3339Nano), deadline.Format(time.RFC3339), got, tc.ok)
		}
	}
}

// Art. 64(10): (a) micro and small enterprises are not fined for a missed early warning; (b)
// open-source software stewards are not fined at all.
func TestFines(t *testing.T) {
	for _, tc := range []struct {
		size    string
		steward bool
		want    string
	}{
		{"micro", false, "Art. 64(10)(a)"},
		{"small", false, "Art. 64(10)(a)"},
		{"medium", false, ""},
		{"large", true, "Art. 64(10)(b)"},
		{"micro", true, "Art. 64(10)(b)"},
	} {
		got := Fines(tc.size, tc.steward)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s, steward %v: %q, want %s", tc.size, tc.steward, got, tc.want)
		}
	}
}
