// Package cra implements the reporting duties of the Cyber Resilience Act (Regulation (EU)
// 2024/2847): the stages of an Art. 14 report and their deadlines, and the cases that track them.
//
// How periods are counted. Every period follows Regulation (EEC, Euratom) No 1182/71, which
// governs time limits in EU acts, in the calendar of the Member State where the report is due
// (CRA Art. 14(7): the CSIRT of the manufacturer's Member State of main establishment): its
// local time and its public holidays (Reg. 1182/71 Art. 2(1)). The counting lives in package
// calendar, which every front door shares:
//   - 24 and 72 hours (Art. 14(2)(a), (b), (4)(a), (b)): the hour of awareness is not counted
//     (Art. 3(1)); the period starts with the next hour and ends with the expiry of its last hour
//     (Art. 3(2)(a)); hours are never extended (Art. 3(4) covers only other periods);
//   - 14 days (Art. 14(2)(c)): the day of the event is not counted (Art. 3(1)); the period ends
//     at 24:00 of its last day (Art. 3(2)(b));
//   - one month (Art. 14(4)(c)): it ends at 24:00 of the day of the next month with the same
//     date, or of that month's last day (Art. 3(2)(c));
//   - a period in days or months whose last day is a Saturday, Sunday or public holiday ends at
//     24:00 of the next working day (Art. 3(4)), and includes at least two working days (Art. 3(5)).
//
// This is the legal deadline. Next to it Siegel shows the earliest reading, the minimum over
// every reading: the legal end; exact 24 or 72 hours from the instant of awareness; 14 × 24
// hours, or the same local time 14 days later; the same local time one month later. It is never
// later than the legal deadline, and acting by it is on time under any reading.
//
// A deadline is the instant the period expires (24:00 is the next day's 00:00 local): an act at
// any instant up to and including it is on time, so compare with !act.After(deadline).
package cra

import (
	"errors"
	"fmt"
	"time"

	"github.com/siegel-oss/siegel/internal/calendar"
)

// Case types (Art. 14(1) and (3)).
const (
	Exploited = "exploited" // an actively exploited vulnerability, Art. 14(2)
	Incident  = "incident"  // a severe incident with an impact on the product's security, Art. 14(4)
)

// Stages of a report.
const (
	EarlyWarning = "early-warning"
	Notification = "notification"
	FinalReport  = "final-report"
)

// Stages lists the stages of a report in order.
var Stages = []string{EarlyWarning, Notification, FinalReport}

// Facts are the recorded moments a case's clocks run from.
type Facts struct {
	Type  string
	Aware time.Time // the manufacturer became aware
	// FixAvailable: a corrective or mitigating measure became available (exploited vulnerability).
	FixAvailable time.Time
	// NotificationSubmitted: the incident notification was submitted (severe incident).
	NotificationSubmitted time.Time
}

// Deadline is when a stage is due; Pending says the clock has not started (the event it runs
// from has not happened), with what is missing.
type Deadline struct {
	Stage string
	// Legal is the end of the period under Reg. 1182/71 in the Member State's calendar.
	Legal time.Time
	// Conservative is the earliest reading: the minimum over every reading of the period,
	// never after Legal.
	Conservative time.Time
	Pending      string
	Basis        string // the provision, the period and the calendar it was counted in
	// Counting says how Legal was reached (Reg. 1182/71 articles, extensions).
	Counting string
}

// Deadlines computes the deadline of every stage of a report in the calendar cal (the Member
// State of the manufacturer's main establishment, or calendar.UTC() when it is not known).
func Deadlines(f Facts, cal *calendar.Calendar) ([]Deadline, error) {
	if cal == nil {
		return nil, errors.New("deadlines: a calendar is required (calendar.UTC() when the Member State is not known)")
	}
	if f.Aware.IsZero() {
		return nil, fmt.Errorf("the moment of awareness is required: every Art. 14 deadline runs from it")
	}
	counted := "; counted under Reg. 1182/71 Art. 3 in " + cal.Describe()
	stage := func(name string, p calendar.Period, basis string) Deadline {
		return Deadline{Stage: name, Legal: p.Legal, Conservative: p.Earliest, Basis: basis + counted, Counting: p.Note}
	}
	pending := func(name, why, basis string) Deadline {
		return Deadline{Stage: name, Pending: why, Basis: basis + counted}
	}
	switch f.Type {
	case Exploited:
		out := []Deadline{
			stage(EarlyWarning, cal.Hours(f.Aware, 24), "Art. 14(2)(a): within 24 hours of becoming aware"),
			stage(Notification, cal.Hours(f.Aware, 72), "Art. 14(2)(b): within 72 hours of becoming aware"),
		}
		basis := "Art. 14(2)(c): no later than 14 days after a corrective or mitigating measure is available"
		if f.FixAvailable.IsZero() {
			return append(out, pending(FinalReport, "runs once a corrective or mitigating measure is available", basis)), nil
		}
		return append(out, stage(FinalReport, cal.Days(f.FixAvailable, 14), basis)), nil
	case Incident:
		out := []Deadline{
			stage(EarlyWarning, cal.Hours(f.Aware, 24), "Art. 14(4)(a): within 24 hours of becoming aware"),
			stage(Notification, cal.Hours(f.Aware, 72), "Art. 14(4)(b): within 72 hours of becoming aware"),
		}
		basis := "Art. 14(4)(c): within one month after the incident notification was submitted"
		if f.NotificationSubmitted.IsZero() {
			return append(out, pending(FinalReport, "runs once the incident notification is submitted", basis)), nil
		}
		return append(out, stage(FinalReport, cal.Months(f.NotificationSubmitted, 1), basis)), nil
	}
	return nil, fmt.Errorf("case type %q: choose %s or %s", f.Type, Exploited, Incident)
}

// FineExemption says whether Art. 64(10) spares an enterprise of the size class from fines for a
// missed 24-hour early warning (micro and small enterprises). The deadline itself still applies.
func FineExemption(sizeClass string) bool {
	return sizeClass == "micro" || sizeClass == "small"
}
