// Package cra implements the reporting duties of the Cyber Resilience Act (Regulation (EU)
// 2024/2847): the stages of an Art. 14 report and their deadlines, and the cases that track them.
//
// How periods are counted. Periods in hours are counted in exact hours from the recorded moment
// of awareness. Periods in days and months follow Regulation (EEC, Euratom) No 1182/71, which
// governs time limits in EU acts:
//   - Art. 3(1): the day of the event that starts the period is not counted;
//   - Art. 3(2)(b), (c): a period in days ends with the last hour of its last day; a period in
//     months ends with the last hour of the day of the last month bearing the same date as the
//     day of the event, or of that month's last day when it has no such date;
//   - Art. 3(4): when the last day is a Saturday, Sunday or public holiday, the period ends with
//     the last hour of the following working day.
//
// This is the legal deadline. Next to it, Siegel shows a conservative one that no reading can
// put later: the same period counted from the exact moment of the event (14 × 24 hours; the same
// time of day one calendar month later, clamped to the month's end), never extended. All times
// are UTC: the recorded timestamps are UTC, and days end at midnight UTC.
package cra

import (
	"fmt"
	"time"
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
	Stage        string
	Legal        time.Time
	Conservative time.Time
	Pending      string
	Basis        string // the provision and the period
}

// Calendar says which days are not working days besides Saturdays and Sundays.
type Calendar struct {
	Holidays map[string]bool // YYYY-MM-DD
}

func (c Calendar) working(d time.Time) bool {
	if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	return !c.Holidays[d.Format(time.DateOnly)]
}

// endOfDay is the last second of d's day, UTC.
func endOfDay(d time.Time) time.Time {
	y, m, day := d.UTC().Date()
	return time.Date(y, m, day, 23, 59, 59, 0, time.UTC)
}

// extend moves a period's end off a Saturday, Sunday or holiday to the end of the next working day
// (Reg. 1182/71 Art. 3(4)).
func (c Calendar) extend(end time.Time) time.Time {
	for !c.working(end) {
		end = endOfDay(end.AddDate(0, 0, 1))
	}
	return end
}

// Days returns the deadline of a period of n days from the event at t.
func (c Calendar) Days(t time.Time, n int) (legal, conservative time.Time) {
	t = t.UTC()
	y, m, d := t.Date()
	last := time.Date(y, m, d+n, 0, 0, 0, 0, time.UTC) // the day of the event is not counted
	return c.extend(endOfDay(last)), t.Add(time.Duration(n) * 24 * time.Hour)
}

// Months returns the deadline of a period of n months from the event at t.
func (c Calendar) Months(t time.Time, n int) (legal, conservative time.Time) {
	t = t.UTC()
	y, m, d := t.Date()
	target := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	lastDay := target.AddDate(0, 1, -1).Day()
	day := min(d, lastDay) // no such date in the last month: its last day
	end := time.Date(target.Year(), target.Month(), day, 0, 0, 0, 0, time.UTC)
	cons := time.Date(target.Year(), target.Month(), day, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	return c.extend(endOfDay(end)), cons
}

// Deadlines computes the deadline of every stage of a report.
func Deadlines(f Facts, cal Calendar) ([]Deadline, error) {
	if f.Aware.IsZero() {
		return nil, fmt.Errorf("the moment of awareness is required: every Art. 14 deadline runs from it")
	}
	aware := f.Aware.UTC()
	hours := func(stage string, h int, basis string) Deadline {
		d := aware.Add(time.Duration(h) * time.Hour)
		return Deadline{Stage: stage, Legal: d, Conservative: d, Basis: basis}
	}
	switch f.Type {
	case Exploited:
		out := []Deadline{
			hours(EarlyWarning, 24, "Art. 14(2)(a): within 24 hours of becoming aware"),
			hours(Notification, 72, "Art. 14(2)(b): within 72 hours of becoming aware"),
		}
		final := Deadline{Stage: FinalReport, Basis: "Art. 14(2)(c): no later than 14 days after a corrective or mitigating measure is available"}
		if f.FixAvailable.IsZero() {
			final.Pending = "runs once a corrective or mitigating measure is available"
		} else {
			final.Legal, final.Conservative = cal.Days(f.FixAvailable, 14)
		}
		return append(out, final), nil
	case Incident:
		out := []Deadline{
			hours(EarlyWarning, 24, "Art. 14(4)(a): within 24 hours of becoming aware"),
			hours(Notification, 72, "Art. 14(4)(b): within 72 hours of becoming aware"),
		}
		final := Deadline{Stage: FinalReport, Basis: "Art. 14(4)(c): within one month after the incident notification was submitted"}
		if f.NotificationSubmitted.IsZero() {
			final.Pending = "runs once the incident notification is submitted"
		} else {
			final.Legal, final.Conservative = cal.Months(f.NotificationSubmitted, 1)
		}
		return append(out, final), nil
	}
	return nil, fmt.Errorf("case type %q: choose %s or %s", f.Type, Exploited, Incident)
}

// FineExemption says whether Art. 64(10) spares an enterprise of the size class from fines for a
// missed 24-hour early warning (micro and small enterprises). The deadline itself still applies.
func FineExemption(sizeClass string) bool {
	return sizeClass == "micro" || sizeClass == "small"
}

// MinSupportMonths is the shortest support period Art. 13(8) allows without reasons: five years,
// unless the product is expected to be in use for less time.
const MinSupportMonths = 60

// SupportMonths counts the months of a support period from the month a release was placed on
// the market (or, before that, of since) to its last month, supportEnd (YYYY-MM), both included.
func SupportMonths(placedOnMarket string, since time.Time, supportEnd string) (int, error) {
	end, err := time.Parse("2006-01", supportEnd)
	if err != nil {
		return 0, fmt.Errorf("support end %q: want YYYY-MM", supportEnd)
	}
	start := since.UTC()
	if placedOnMarket != "" {
		if start, err = time.Parse(time.DateOnly, placedOnMarket); err != nil {
			return 0, fmt.Errorf("placed on market %q: want YYYY-MM-DD", placedOnMarket)
		}
	}
	return (end.Year()-start.Year())*12 + int(end.Month()-start.Month()) + 1, nil
}
