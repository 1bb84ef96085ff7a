package authority

import (
	"strings"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/calendar"
	"github.com/siegel-oss/siegel/internal/cra"
)

func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// A manufacturer established in Germany becomes aware of an actively exploited vulnerability on
// Thursday 1 October 2026 at 10:30 CEST. Worked by hand: a period in hours starts with the next
// whole hour (Reg. 1182/71 Art. 3(1)), 11:00, so 24 hours end on Friday 2 October at 11:00 and 72
// hours on Sunday 4 October at 11:00; periods in hours are not extended past a Sunday (Art. 3(4)
// covers periods expressed otherwise than in hours).
func TestTimelinessGolden(t *testing.T) {
	rec := cra.Record{Facts: cra.Facts{Type: cra.Exploited, Aware: at(t, "2026-10-01T10:30:00+02:00")}}
	de := cra.Establishment{MemberState: "DE"}
	cases := []struct {
		name      string
		m         Manufacturer
		submitted map[string]time.Time
		now       string
		want      map[string]Stage // Outcome, Late, Exempt and a substring of Fine (in Article)
	}{
		{
			name:      "small firm: early warning at the last second, notification overdue",
			m:         Manufacturer{Name: "small", SizeClass: Small, Establishment: de},
			submitted: map[string]time.Time{cra.EarlyWarning: at(t, "2026-10-02T11:00:00+02:00")},
			now:       "2026-10-05T12:00:00+02:00",
			want: map[string]Stage{
				cra.EarlyWarning: {Outcome: Met},
				// 4 Oct 11:00 to 5 Oct 12:00 is 25 hours.
				cra.Notification: {Outcome: Overdue, Late: 25 * time.Hour, Article: "Art. 64(2)"},
				cra.FinalReport:  {Outcome: NotRunning},
			},
		},
		{
			name:      "small firm: early warning one second late is exempt under Art. 64(10)(a)",
			m:         Manufacturer{Name: "small", SizeClass: Small, Establishment: de},
			submitted: map[string]time.Time{cra.EarlyWarning: at(t, "2026-10-02T11:00:01+02:00"), cra.Notification: at(t, "2026-10-03T09:00:00+02:00")},
			now:       "2026-10-05T12:00:00+02:00",
			want: map[string]Stage{
				cra.EarlyWarning: {Outcome: Missed, Late: time.Minute, Exempt: true, Article: "64(10)(a)"},
				cra.Notification: {Outcome: Met},
			},
		},
		{
			name:      "large firm: the same miss can be fined",
			m:         Manufacturer{Name: "large", SizeClass: Large, Establishment: de},
			submitted: map[string]time.Time{cra.EarlyWarning: at(t, "2026-10-02T13:10:00+02:00")},
			now:       "2026-10-03T12:00:00+02:00",
			want: map[string]Stage{
				cra.EarlyWarning: {Outcome: Missed, Late: 130 * time.Minute, Article: "Art. 64(2)"},
				cra.Notification: {Outcome: Open},
			},
		},
		{
			name: "steward: every miss exempt under Art. 64(10)(b)",
			m:    Manufacturer{Name: "steward", Steward: true, Establishment: de},
			now:  "2026-10-06T00:00:00+02:00",
			want: map[string]Stage{
				cra.EarlyWarning: {Outcome: Overdue, Late: 85 * time.Hour, Exempt: true, Article: "64(10)(b)"},
				cra.Notification: {Outcome: Overdue, Late: 37 * time.Hour, Exempt: true, Article: "64(10)(b)"},
			},
		},
		{
			name: "size class not stated: the exemption is not assumed",
			m:    Manufacturer{Name: "unknown", Establishment: de},
			now:  "2026-10-02T11:00:30+02:00",
			want: map[string]Stage{
				cra.EarlyWarning: {Outcome: Overdue, Late: time.Minute, Article: "size class not stated"},
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stages, _, err := Timeliness(c.m, rec, c.submitted, at(t, c.now))
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]Stage{}
			for _, s := range stages {
				got[s.Stage] = s
			}
			for stage, w := range c.want {
				g := got[stage]
				if g.Outcome != w.Outcome || g.Late != w.Late || g.Exempt != w.Exempt || !strings.Contains(g.Fine, w.Article) {
					t.Errorf("%s: %s late %v exempt %v fine %q; want %s late %v exempt %v fine naming %q",
						stage, g.Outcome, g.Late, g.Exempt, g.Fine, w.Outcome, w.Late, w.Exempt, w.Article)
				}
			}
			if ew := got[cra.EarlyWarning]; !ew.Deadline.Equal(at(t, "2026-10-02T11:00:00+02:00")) {
				t.Errorf("early warning due %v, want 2026-10-02T11:00+02:00", ew.Deadline)
			}
			if n := got[cra.Notification]; !n.Deadline.Equal(at(t, "2026-10-04T11:00:00+02:00")) {
				t.Errorf("notification due %v, want 2026-10-04T11:00+02:00", n.Deadline)
			}
		})
	}
}

// Art. 71(2): Art. 14 applies from 11 September 2026, the start of that day in the Member State's
// calendar. 22:30 UTC on 10 September is already 00:30 on the 11th in Germany.
func TestTimelinessApplicationDay(t *testing.T) {
	m := Manufacturer{SizeClass: Large, Establishment: cra.Establishment{MemberState: "DE"}}
	for aware, due := range map[string]bool{"2026-09-10T23:30:00+02:00": false, "2026-09-10T22:30:00Z": true} {
		rec := cra.Record{Facts: cra.Facts{Type: cra.Exploited, Aware: at(t, aware)}}
		stages, _, err := Timeliness(m, rec, nil, at(t, "2026-12-01T00:00:00Z"))
		if err != nil {
			t.Fatal(err)
		}
		if got := stages[0].Outcome != NotDue; got != due {
			t.Errorf("aware %s: outcome %s, want due %v", aware, stages[0].Outcome, due)
		}
	}
}

func TestSummarize(t *testing.T) {
	m := Manufacturer{Name: "small", SizeClass: Small, Establishment: cra.Establishment{MemberState: "DE"}}
	rec := cra.Record{Facts: cra.Facts{Type: cra.Exploited, Aware: at(t, "2026-10-01T10:30:00+02:00")}}
	stages, _, err := Timeliness(m, rec, nil, at(t, "2026-10-10T00:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	s := Summarize(m.Name, [][]Stage{stages})
	if s.Counts[Overdue] != 2 || s.Exempt != 1 || s.Fineable != 1 {
		t.Errorf("got %+v; want 2 overdue, 1 exempt (24 h), 1 fineable (72 h)", s)
	}
}

// Art. 54(8) and 55(1): provisional measures notified on Monday 30 November 2026 in Germany.
// Three months end with the last day of February (it has no 30th, Reg. 1182/71 Art. 3(2)(c)),
// Sunday 28 February 2027, extended to the end of Monday 1 March (Art. 3(4)). Nine months end
// with Monday 30 August 2027.
func TestProcedureClocksGolden(t *testing.T) {
	cal, err := calendar.ForState("DE")
	if err != nil {
		t.Fatal(err)
	}
	p := Procedure{Kind: SignificantRisk, Product: "router", Events: []Event{
		{At: at(t, "2026-11-02T09:00:00+01:00"), Action: ActOpen},
		// The period ends with 23 November (24:00, the instant 24 November begins).
		{At: at(t, "2026-11-09T09:00:00+01:00"), Action: ActNonCompliant, Due: at(t, "2026-11-24T00:00:00+01:00")},
	}}
	s, err := p.StatusAt(cal, at(t, "2026-11-25T00:00:00+01:00"))
	if err != nil {
		t.Fatal(err)
	}
	if s.State != CorrectiveAction || !s.Clocks[0].Elapsed || !strings.Contains(s.Next, "Art. 54(5)") {
		t.Fatalf("after the period: %+v", s)
	}
	p.Events = append(p.Events, Event{At: at(t, "2026-11-30T10:00:00+01:00"), Action: ActProvisional, Reason: "sale prohibited"})
	s, err = p.StatusAt(cal, at(t, "2027-03-01T23:59:59+01:00"))
	if err != nil {
		t.Fatal(err)
	}
	if s.State != ProvisionalMeasures || !s.Clocks[1].Ends.Equal(at(t, "2027-03-02T00:00:00+01:00")) {
		t.Fatalf("within the window: state %s, window ends %v; want provisional-measures, 2027-03-02T00:00+01:00", s.State, s.Clocks[1].Ends)
	}
	s, _ = p.StatusAt(cal, at(t, "2027-03-02T00:00:01+01:00"))
	if s.State != DeemedJustified {
		t.Errorf("after the window: %s, want %s", s.State, DeemedJustified)
	}
	obj := append(p.Events[:len(p.Events):len(p.Events)], Event{At: at(t, "2027-02-15T10:00:00+01:00"), Action: ActObjection, By: "FR"})
	q := Procedure{Kind: SignificantRisk, Events: obj}
	s, err = q.StatusAt(cal, at(t, "2027-04-01T00:00:00+02:00"))
	if err != nil {
		t.Fatal(err)
	}
	if s.State != Objected || len(s.Clocks) != 3 || !s.Clocks[2].Ends.Equal(at(t, "2027-08-31T00:00:00+02:00")) {
		t.Fatalf("objected: %+v; want the Commission's clock to end 2027-08-31T00:00+02:00", s)
	}
	late := append(p.Events[:len(p.Events):len(p.Events)], Event{At: at(t, "2027-03-02T00:00:01+01:00"), Action: ActObjection})
	if _, err := (Procedure{Kind: SignificantRisk, Events: late}).StatusAt(cal, at(t, "2027-04-01T00:00:00Z")); err == nil {
		t.Error("an objection after the window: want an error")
	}
}

func TestProcedureRefusesOutOfOrder(t *testing.T) {
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	for name, evs := range map[string][]Event{
		"measures before a finding": {{At: t0, Action: ActOpen}, {At: t0, Action: ActProvisional, Reason: "x"}},
		"close without reason":      {{At: t0, Action: ActOpen}, {At: t0, Action: ActCompliant}},
		"period before finding":     {{At: t0, Action: ActOpen}, {At: t0, Action: ActNonCompliant, Due: t0}},
		"time runs backwards":       {{At: t0, Action: ActOpen}, {At: t0.Add(-time.Hour), Action: ActCompliant, Reason: "ok"}},
	} {
		if _, err := (Procedure{Kind: SignificantRisk, Events: evs}).State(); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
	f := Procedure{Kind: FormalNonCompliance, Events: []Event{{At: t0, Action: ActOpen}, {At: t0, Action: ActNonCompliant, Due: t0.Add(time.Hour)}, {At: t0.Add(2 * time.Hour), Action: ActPersists}}}
	if s, err := f.State(); err != nil || s != RestrictionMeasures {
		t.Errorf("Art. 58(2): %s, %v", s, err)
	}
}

func TestChecklistNeverPassesTheUnknown(t *testing.T) {
	yes := true
	cs := Checklist(ReleaseFacts{DeclarationDrawnUp: &yes, TechnicalDocs: &yes, NotifiedBodyRequired: true, SupportEnd: "2031-12"})
	got := map[string]Check{}
	for _, c := range cs {
		got[c.Item] = c
	}
	if c := got["CE marking"]; c.Known || c.OK {
		t.Errorf("CE marking not recorded: %+v", c)
	}
	if c := got["notified body identification number"]; c.OK {
		t.Errorf("required and missing: %+v", c)
	}
	if c := got["technical documentation"]; c.OK || !strings.Contains(c.Finding, "software bill of materials") {
		t.Errorf("no SBOM: %+v", c)
	}
	if c := got["technical documentation: vulnerability contact"]; c.OK {
		t.Errorf("no contact: %+v", c)
	}
}

func TestRankSweep(t *testing.T) {
	n := func(v int64) *int64 { return &v }
	ranks, err := RankSweep([]SweepProduct{
		{Product: "r1", Category: "router", Devices: n(100_000), Exploited: []string{"pkg:generic/busybox", "pkg:generic/dnsmasq"}},
		{Product: "r2", Category: "router", Devices: n(50_000), Exploited: []string{"pkg:generic/busybox"}},
		{Product: "c1", Category: "camera", Devices: n(400_000), Exploited: []string{"pkg:generic/busybox"}},
		{Product: "s1", Category: "smart-speaker", Exploited: []string{"pkg:generic/openssl"}},
		{Product: "t1", Category: "thermostat", Devices: n(1_000_000)},
	})
	if err != nil {
		t.Fatal(err)
	}
	// busybox is in three products: router 100k×3 + 100k×1 (dnsmasq) + 50k×3 = 550k; camera 400k×3 = 1.2M.
	want := []struct {
		cat   string
		score float64
	}{{"camera", 1_200_000}, {"router", 550_000}, {"smart-speaker", 0}, {"thermostat", 0}}
	for i, w := range want {
		if ranks[i].Category != w.cat || ranks[i].Score != w.score {
			t.Errorf("rank %d: %s %.0f, want %s %.0f", i+1, ranks[i].Category, ranks[i].Score, w.cat, w.score)
		}
	}
	if ranks[2].Undeclared != 1 {
		t.Errorf("smart-speaker: undeclared devices not counted: %+v", ranks[2])
	}
}
