package cra

import (
	"fmt"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/calendar"
)

// IntermediateReport is the optional stage a CSIRT may ask for (Art. 14(6)): an intermediate
// report on relevant status updates, due when the CSIRT says.
const IntermediateReport = "intermediate-report"

// ReportingStages lists every stage a case can have, in the order they are submitted.
var ReportingStages = []string{EarlyWarning, Notification, IntermediateReport, FinalReport}

// ApplicationDay is the day Art. 14 applies from (Art. 71(2)): 11 September 2026. By Reg.
// 1182/71 Art. 4(2) a date of application takes effect at the start of that day, counted in the
// calendar of the Member State of main establishment.
var ApplicationDay = time.Date(2026, time.September, 11, 0, 0, 0, 0, time.UTC)

// BeforeApplication is what a case shows whose awareness precedes the application date: no
// Art. 14 deadline runs from it.
const BeforeApplication = "aware before the reporting obligations applied (CRA Art. 71(2): Art. 14 applies from 11 September 2026): no Art. 14 deadline runs from this awareness"

// NoMemberState is shown wherever deadlines are shown for an organisation without a Member State
// of main establishment.
const NoMemberState = "counted in UTC, no public holidays: set the Member State of main establishment"

// Establishment is an organisation's Member State of main establishment (ISO 3166-1 alpha-2) and,
// where the State has regional public holidays, the region whose holidays apply. Its CSIRT
// designated as coordinator receives the reports (Art. 14(7)), and legal periods run in its
// calendar.
type Establishment struct {
	MemberState string
	Region      string
}

// Record is what a case's clocks run from.
type Record struct {
	Facts
	// IntermediateRequested is when the CSIRT asked for an intermediate report (Art. 14(6)), zero
	// when it did not; IntermediateDue is the date it set, zero when it set none.
	IntermediateRequested time.Time
	IntermediateDue       time.Time
	Establishment         Establishment
}

// Clock is a case's deadlines as counted for its organisation.
type Clock struct {
	Deadlines []Deadline
	// Calendar says whose calendar the periods are counted in, or NoMemberState.
	Calendar string
	// Location is the time zone deadlines are shown in.
	Location *time.Location
	// BeforeApplication is set, with no deadlines, when awareness precedes Art. 14's application.
	BeforeApplication bool
	cal               *calendar.Calendar
}

// FormatEnd writes a deadline as people read it in the calendar it was counted in: local time,
// and a period that expires with a day as that day's 24:00 (Reg. 1182/71 Art. 3(2)), e.g.
// "Mon 28 Dec 2026 24:00 CET". Pages that name the calendar once for all stages use it.
func (c Clock) FormatEnd(t time.Time) string { return c.calendar().FormatEnd(t) }

// FormatEndTagged is FormatEnd followed by the code of the calendar, for text that stands
// alone (alerts, a label's reason): "Mon 28 Dec 2026 24:00 CET (DE)", or "(UTC, no Member
// State)" when none is set.
func (c Clock) FormatEndTagged(t time.Time) string {
	cal := c.calendar()
	code := cal.State()
	if rs := cal.Regions(); len(rs) > 0 {
		code = strings.Join(rs, "+")
	}
	if code == "" {
		code = "UTC, no Member State"
	}
	return cal.FormatEnd(t) + " (" + code + ")"
}

func (c Clock) calendar() *calendar.Calendar {
	if c.cal == nil {
		return calendar.UTC()
	}
	return c.cal
}

// CaseClock computes a case's deadlines in the calendar of the organisation's Member State of
// main establishment. It is the one place the platform (server, monitor, labels, CLI) counts them.
func CaseClock(r Record) (Clock, error) {
	cal, desc, err := establishmentCalendar(r.Establishment)
	if err != nil {
		return Clock{}, err
	}
	loc := cal.Location()
	c := Clock{Calendar: desc, Location: loc, cal: cal}
	if r.Aware.IsZero() {
		return c, fmt.Errorf("the moment of awareness is required: every Art. 14 deadline runs from it")
	}
	y, m, d := ApplicationDay.Date()
	if r.Aware.Before(time.Date(y, m, d, 0, 0, 0, 0, loc)) {
		c.BeforeApplication = true
		return c, nil
	}
	ds, err := Deadlines(r.Facts, cal)
	if err != nil {
		return c, err
	}
	for _, d := range ds {
		if d.Stage == FinalReport && !r.IntermediateRequested.IsZero() {
			c.Deadlines = append(c.Deadlines, intermediate(r))
		}
		c.Deadlines = append(c.Deadlines, d)
	}
	return c, nil
}

func intermediate(r Record) Deadline {
	d := Deadline{Stage: IntermediateReport,
		Basis: "Art. 14(6): on request of the CSIRT designated as coordinator, requested " + r.IntermediateRequested.UTC().Format(time.RFC3339)}
	d.Provision = d.Basis
	if r.IntermediateDue.IsZero() {
		d.Pending = "the CSIRT set no date: submit it as the request asks"
	} else {
		d.Legal, d.Conservative = r.IntermediateDue, r.IntermediateDue
	}
	return d
}

// OnTime reports whether an act at submitted meets a deadline. A deadline is the instant the
// period expires (a day ends at 24:00, the instant the next one begins, Reg. 1182/71 Art. 3(2)),
// so every instant up to it is on time, the last second of the day to its last nanosecond
// included. Comparing whole seconds or dates instead would put 23:59:59.5 after a deadline at
// 23:59:59, or any time on the last day after a deadline at its midnight.
func OnTime(submitted, deadline time.Time) bool {
	return !submitted.After(deadline)
}

// Fines says what Art. 64(10) spares an organisation: open-source software stewards are not
// fined for any infringement ((b)); micro and small enterprises are not fined for a missed
// 24-hour early warning ((a)). The deadlines apply all the same.
func Fines(sizeClass string, steward bool) string {
	switch {
	case steward:
		return "Art. 64(10)(b): as an open-source software steward, the organisation is not fined for any infringement of the CRA; the deadlines still apply."
	case FineExemption(sizeClass):
		return "Art. 64(10)(a): as a micro or small enterprise, the manufacturer is not fined for missing the 24-hour early warning; the deadline still applies."
	}
	return ""
}

// CSIRTCoordinator names the recipient of reports for a Member State of main establishment
// (Art. 14(7)): its CSIRT designated as coordinator, through the single reporting platform
// (Art. 16). It is "" when no Member State is set.
func CSIRTCoordinator(memberState string) string {
	if memberState == "" {
		return ""
	}
	return "CSIRT designated as coordinator of " + memberState + " (CRA Art. 14(7)), via the single reporting platform"
}

// NoRecipient is shown for a submission whose recipient was not recorded.
const NoRecipient = "recipient not recorded: name the CSIRT, or set the Member State of main establishment (CRA Art. 14(7))"
