package calendar

import (
	"fmt"
	"time"
)

// Periods under Regulation (EEC, Euratom) No 1182/71, Art. 3, counted in the calendar's time
// zone and with its public holidays.
//
// Each period has two ends:
//
//   - Legal is the end the Regulation gives. Art. 3(1): the hour (for a period in hours) or
//     the day (for a period in days, weeks, months or years) in which the event occurs is not
//     counted. Art. 3(2)(a): a period in hours starts at the beginning of the next hour and ends
//     with the expiry of its last hour. Art. 3(2)(b): a period in days ends with the expiry of
//     the last hour of its last day. Art. 3(2)(c): a period in months ends with the expiry of the
//     last hour of the day of the last month that bears the same date as the day of the event,
//     or of that month's last day when it has no such date. Art. 3(3): Saturdays, Sundays and
//     public holidays are counted. Art. 3(4): a period expressed otherwise than in hours whose
//     last day is a public holiday, a Saturday or a Sunday ends with the expiry of the last hour
//     of the following working day; hour periods are never extended. Art. 3(5): any period of
//     two days or more includes at least two working days. We read "period of two days or more"
//     as a period expressed in days, weeks, months or years: a period expressed in hours is a
//     count of hours, which Art. 3(2)(a) ends at its last hour and Art. 3(4) leaves unextended,
//     and moving a 72-hour period by whole working days would contradict both.
//
//   - Earliest is the earliest end any reading gives: the minimum of the legal end and of the
//     period counted from the exact instant of the event (n × 60 minutes; n × 24 hours; the same
//     local time n calendar days or months later, on the month's last day when it has no such
//     date), never extended. A manufacturer acting by Earliest is on time under every reading.
//
// The end of a day, "the expiry of the last hour" (24:00), is the instant the next day begins
// in the calendar's zone: the period ends at that instant, and an act done at any instant up
// to it, the last second of the day included, is within the period. Callers compare with
// !act.After(end). Printed in RFC 3339, which has no 24:00, it reads as 00:00 of the next day.
//
// Hours are units of elapsed time: a clock change does not make a 24-hour period 23 or 25
// hours long. Days and months are the calendar's: a day that has 23 or 25 hours is one day.

// Period is the end of a legal period.
type Period struct {
	Legal    time.Time // the end under Reg. 1182/71 (the instant the period expires)
	Earliest time.Time // the earliest end of any reading; never after Legal
	// LastDay is the last day of a period in days or months after any extension; zero for hours.
	LastDay time.Time
	// Note says how Legal was reached, naming the articles applied.
	Note string
}

// Hours counts a period of n hours from the event at t (Art. 3(1), 3(2)(a)).
func (c *Calendar) Hours(t time.Time, n int) Period {
	lt := t.In(c.loc)
	// The hour of the event, in the calendar's local hours (whose boundaries are whole hours
	// of UTC in every Member State, but need not be everywhere).
	hourStart := t.Add(-time.Duration(lt.Minute())*time.Minute - time.Duration(lt.Second())*time.Second - time.Duration(lt.Nanosecond()))
	legal := hourStart.Add(time.Duration(n+1) * time.Hour)
	exact := t.Add(time.Duration(n) * time.Hour)
	return Period{
		Legal:    legal,
		Earliest: earliest(legal, exact),
		Note: fmt.Sprintf("%d hours from %s: the hour of the event is not counted (Reg. 1182/71 Art. 3(1)); the period starts at %s and ends with the expiry of its last hour, %s (Art. 3(2)(a))",
			n, lt.Format("2006-01-02 15:04 MST"), hourStart.Add(time.Hour).In(c.loc).Format("15:04"), c.FormatEnd(legal)),
	}
}

// Days counts a period of n days from the event at t (Art. 3(1), 3(2)(b), 3(4), 3(5)).
func (c *Calendar) Days(t time.Time, n int) Period {
	lt := t.In(c.loc)
	y, m, d := lt.Date()
	first := civil(y, m, d+1) // Art. 3(1): the day of the event is not counted
	last := civil(y, m, d+n)
	p := c.close(first, last, fmt.Sprintf("%d days from %s: the day of the event is not counted (Reg. 1182/71 Art. 3(1)); the last day is %s (Art. 3(2)(b))",
		n, lt.Format("Mon 2 Jan 2006 15:04 MST"), last.Format("Mon 2 Jan 2006")))
	sameTime := time.Date(y, m, d+n, lt.Hour(), lt.Minute(), lt.Second(), lt.Nanosecond(), c.loc)
	p.Earliest = earliest(p.Legal, t.Add(time.Duration(n)*24*time.Hour), sameTime)
	return p
}

// Months counts a period of n months from the event at t (Art. 3(1), 3(2)(c), 3(4), 3(5)).
// A period of n years is a period of 12n months under the same rule.
func (c *Calendar) Months(t time.Time, n int) Period {
	lt := t.In(c.loc)
	y, m, d := lt.Date()
	monthStart := civil(y, m+time.Month(n), 1)
	lastOfMonth := civil(monthStart.Year(), monthStart.Month()+1, 0).Day()
	day := min(d, lastOfMonth)
	last := civil(monthStart.Year(), monthStart.Month(), day)
	why := "the same date"
	if day != d {
		why = "no such date, so that month's last day"
	}
	p := c.close(civil(y, m, d+1), last, fmt.Sprintf("%d month(s) from %s: the day of the event is not counted (Reg. 1182/71 Art. 3(1)); the last day is %s, %s (Art. 3(2)(c))",
		n, lt.Format("Mon 2 Jan 2006 15:04 MST"), last.Format("Mon 2 Jan 2006"), why))
	sameTime := time.Date(last.Year(), last.Month(), last.Day(), lt.Hour(), lt.Minute(), lt.Second(), lt.Nanosecond(), c.loc)
	p.Earliest = earliest(p.Legal, sameTime)
	return p
}

// close applies Art. 3(4) and 3(5) to a period running over the days first..last and ends it
// with the expiry of the last hour of its last day.
func (c *Calendar) close(first, last time.Time, note string) Period {
	if !c.working(last) {
		moved := last
		for !c.working(moved) {
			moved = moved.AddDate(0, 0, 1)
		}
		note += fmt.Sprintf("; %s is %s, so the period ends with the following working day, %s (Art. 3(4))",
			last.Format("Mon 2 Jan 2006"), c.why(last), moved.Format("Mon 2 Jan 2006"))
		last = moved
	}
	if !last.Before(first.AddDate(0, 0, 1)) { // a period of two days or more
		workdays := 0
		for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
			if c.working(d) {
				workdays++
			}
		}
		if workdays < 2 {
			for workdays < 2 {
				last = last.AddDate(0, 0, 1)
				if c.working(last) {
					workdays++
				}
			}
			note += fmt.Sprintf("; it must include two working days, so it ends with %s (Art. 3(5))", last.Format("Mon 2 Jan 2006"))
		}
	}
	legal := time.Date(last.Year(), last.Month(), last.Day()+1, 0, 0, 0, 0, c.loc)
	note += fmt.Sprintf(", at %s (%s)", c.FormatEnd(legal), legal.Format(time.RFC3339))
	return Period{Legal: legal, LastDay: last, Note: note}
}

func (c *Calendar) working(d time.Time) bool { return c.IsWorkingDay(d.Date()) }

// why says why a day is not a working day.
func (c *Calendar) why(d time.Time) string {
	var s string
	switch d.Weekday() {
	case time.Saturday:
		s = "a Saturday"
	case time.Sunday:
		s = "a Sunday"
	}
	if name, ok := c.Holiday(d.Date()); ok {
		if s != "" {
			s += " and "
		}
		s += fmt.Sprintf("a public holiday in %s (%s)", c.state, name)
	}
	return s
}

// civil is a calendar day as midnight UTC, normalised (civil(2026, 9, 33) is 3 Oct).
func civil(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func earliest(legal time.Time, readings ...time.Time) time.Time {
	e := legal
	for _, r := range readings {
		if r.Before(e) {
			e = r
		}
	}
	return e
}

// FormatEnd writes the end of a period for people, in the calendar's local time: an end at
// local midnight is written as 24:00 of the day before, as the Regulation speaks of it
// ("Mon 5 Oct 2026 24:00 CEST"); any other end as its local time ("Sat 12 Sep 2026 09:00 CEST"),
// with seconds when it has any (an earliest reading counted from the instant of an event:
// "Sat 12 Sep 2026 08:30:15 CEST"). Fractions of a second are dropped, which writes an end no
// later than it is. The zone's abbreviation tells the two 02:30 of an autumn clock change apart.
func (c *Calendar) FormatEnd(end time.Time) string {
	lt := end.In(c.loc)
	switch {
	case lt.Hour() == 0 && lt.Minute() == 0 && lt.Second() == 0 && lt.Nanosecond() == 0:
		before := lt.Add(-time.Nanosecond) // the day that ends here, with the offset it ends in
		return before.Format("Mon 2 Jan 2006") + " 24:00 " + before.Format("MST")
	case lt.Second() != 0:
		return lt.Format("Mon 2 Jan 2006 15:04:05 MST")
	}
	return lt.Format("Mon 2 Jan 2006 15:04 MST")
}
