package authority

import (
	"fmt"
	"math"
	"time"

	"github.com/siegel-oss/siegel/internal/cra"
)

// Outcomes of a reporting stage as an authority judges it.
const (
	Met        = "met"         // submitted by the deadline
	Missed     = "missed"      // submitted after the deadline
	Overdue    = "overdue"     // not submitted, the deadline has passed
	Open       = "open"        // not submitted, the deadline has not passed
	NotRunning = "not running" // the event the period runs from has not happened
	NotDue     = "not due"     // awareness before Art. 14 applied (Art. 71(2))
)

// Manufacturer is what timeliness and fines depend on.
type Manufacturer struct {
	Name          string
	SizeClass     string // micro, small, medium, large; "" when not stated
	Steward       bool
	Establishment cra.Establishment
}

// Stage is one Art. 14 stage of a case, judged.
type Stage struct {
	Stage    string    `json:"stage"`
	Article  string    `json:"article,omitempty"` // "Art. 14(2)(a)"
	Deadline time.Time `json:"deadline,omitzero"` // the end of the period in the Member State's calendar; zero when not running
	// Earliest is the earliest reading of the period: met by a submission at or before it under
	// every reading.
	Earliest  time.Time `json:"earliest,omitzero"`
	Submitted time.Time `json:"submitted,omitzero"` // zero when not submitted
	Outcome   string    `json:"outcome"`
	// Late is how far past the deadline the submission came (Missed) or now is (Overdue), in
	// whole minutes rounded up: a deadline missed by a second is missed by one minute, never zero.
	Late time.Duration `json:"-"`
	// LateMinutes is Late in minutes, for JSON.
	LateMinutes int64 `json:"lateMinutes,omitempty"`
	// Fine says whether a miss can be fined: the Art. 64(2) ceiling, or the exemption of
	// Art. 64(10) that applies. Empty when the stage was met or is not yet due.
	Fine   string `json:"fine,omitempty"`
	Exempt bool   `json:"exempt,omitempty"`
}

// Timeliness judges each stage of a case at the instant now. submitted maps a stage (cra.EarlyWarning,
// cra.Notification, cra.IntermediateReport, cra.FinalReport) to when it was submitted.
func Timeliness(m Manufacturer, r cra.Record, submitted map[string]time.Time, now time.Time) ([]Stage, cra.Clock, error) {
	if err := CheckSizeClass(m.SizeClass); err != nil {
		return nil, cra.Clock{}, err
	}
	r.Establishment = m.Establishment
	clock, err := cra.CaseClock(r)
	if err != nil {
		return nil, clock, err
	}
	if clock.BeforeApplication {
		var out []Stage
		for _, s := range cra.Stages {
			out = append(out, Stage{Stage: s, Submitted: submitted[s], Outcome: NotDue})
		}
		return out, clock, nil
	}
	var out []Stage
	for _, d := range clock.Deadlines {
		s := Stage{Stage: d.Stage, Article: d.Article(), Deadline: d.Legal, Earliest: d.Conservative, Submitted: submitted[d.Stage]}
		switch {
		case d.Legal.IsZero():
			s.Outcome = NotRunning
		case !s.Submitted.IsZero() && cra.OnTime(s.Submitted, d.Legal):
			s.Outcome = Met
		case !s.Submitted.IsZero():
			s.Outcome, s.Late = Missed, lateBy(s.Submitted.Sub(d.Legal))
		case now.After(d.Legal):
			s.Outcome, s.Late = Overdue, lateBy(now.Sub(d.Legal))
		default:
			s.Outcome = Open
		}
		if s.Outcome == Missed || s.Outcome == Overdue {
			s.Fine, s.Exempt = fineFor(m, Provision(s.Article))
			s.LateMinutes = int64(s.Late / time.Minute)
		}
		out = append(out, s)
	}
	return out, clock, nil
}

func lateBy(d time.Duration) time.Duration {
	return time.Duration(math.Ceil(d.Minutes())) * time.Minute
}

// fineFor says what a missed stage exposes the manufacturer to.
func fineFor(m Manufacturer, p Provision) (string, bool) {
	o := Offender{Name: m.Name, Undertaking: true, SizeClass: m.SizeClass, Manufacturer: true, Steward: m.Steward}
	if why := exemption(o, p); why != "" {
		return why, true
	}
	t, ok, err := TierOf(p)
	if err != nil || !ok {
		// Art. 14(6) intermediate reports are Art. 14 obligations as well; an unparsable
		// article is not expected from cra.Deadline.
		t = TierEssential
	}
	s := fmt.Sprintf("%s: up to %s or %s of worldwide annual turnover, whichever is higher", t.Paragraph, t.Fixed, t.Percent())
	if m.SizeClass == "" {
		s += "; size class not stated, so whether Art. 64(10)(a) spares a missed 24-hour early warning is not known"
	}
	return s, false
}

// Summary counts a manufacturer's stages by outcome, and the misses that can be fined.
type Summary struct {
	Manufacturer string         `json:"-"`
	Counts       map[string]int `json:"counts"`
	Fineable     int            `json:"fineable"` // missed or overdue stages a fine may follow
	Exempt       int            `json:"exempt"`   // missed or overdue stages Art. 64(10) exempts
}

// Summarize counts the outcomes of the stages of all of a manufacturer's cases.
func Summarize(name string, cases [][]Stage) Summary {
	s := Summary{Manufacturer: name, Counts: map[string]int{}}
	for _, c := range cases {
		for _, st := range c {
			s.Counts[st.Outcome]++
			if st.Outcome == Missed || st.Outcome == Overdue {
				if st.Exempt {
					s.Exempt++
				} else {
					s.Fineable++
				}
			}
		}
	}
	return s
}
