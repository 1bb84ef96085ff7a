// Package calendar knows the calendars legal periods are counted in: the time zone and public
// holidays of each Member State of the European Union, and the rules of Regulation (EEC,
// Euratom) No 1182/71 that count periods in hours, days and months.
//
// Reg. 1182/71 Art. 2(1) takes public holidays to be the days designated as such in the Member
// State where an act is to be done; CRA Art. 14(7) sends a manufacturer's notifications to the
// CSIRT of its Member State of main establishment. So a manufacturer's periods run in that
// State's calendar: its local time (IANA zone, with its clock changes) and its public holidays.
// The holidays are data (holidays.yaml), each State with the source it was taken from.
package calendar

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // the zones work on a machine without a zoneinfo database
)

// Calendar is the calendar of one Member State (with any regions chosen), or UTC with no
// public holidays. It is immutable and safe for concurrent use.
type Calendar struct {
	state   string // ISO 3166-1 alpha-2; "" for UTC
	name    string
	regions []string // region codes, e.g. DE-BY
	rnames  []string
	loc     *time.Location
	zone    string
	sources []string
	rules   []rule
	extra   []Holiday // added with WithHolidays
	whose   string
	years   *sync.Map // year -> map[time.Time]string, the holidays of a year by day
}

var utc = &Calendar{loc: time.UTC, zone: "UTC", years: new(sync.Map)}

// UTC returns the calendar with no public holidays that counts in UTC: only Saturdays and
// Sundays are not working days.
func UTC() *Calendar { return utc }

// ForState returns the calendar of the Member State cc (ISO 3166-1 alpha-2, any case; "EL", the
// code EU institutions use for Greece, is accepted too), with the regional public holidays of
// the regions named (e.g. "DE-BY" or "BY"; a region may also set its own time zone, e.g. ES-CN).
func ForState(cc string, regions ...string) (*Calendar, error) {
	d, err := loaded()
	if err != nil {
		return nil, err
	}
	code := strings.ToUpper(strings.TrimSpace(cc))
	if code == "EL" {
		code = "GR"
	}
	st, ok := d.States[code]
	if !ok {
		return nil, fmt.Errorf("member state %q: want the ISO 3166-1 alpha-2 code of an EU Member State, one of %s", cc, strings.Join(d.codes(), ", "))
	}
	c := &Calendar{state: code, name: st.Name, zone: st.Zone, loc: st.loc, sources: []string{st.Source}, rules: slices.Clone(st.Holidays), years: new(sync.Map)}
	for _, r := range regions {
		rc := strings.ToUpper(strings.TrimSpace(r))
		if rc == "" {
			continue
		}
		if !strings.HasPrefix(rc, code+"-") {
			rc = code + "-" + rc
		}
		reg, ok := st.Regions[rc]
		if !ok {
			valid := "none: its public holidays are national"
			if len(st.Regions) > 0 {
				valid = strings.Join(sortedKeys(st.Regions), ", ")
			}
			return nil, fmt.Errorf("region %q of %s: choose one of %s", r, code, valid)
		}
		if slices.Contains(c.regions, rc) {
			continue
		}
		c.regions = append(c.regions, rc)
		c.rnames = append(c.rnames, reg.Name)
		c.rules = append(c.rules, reg.Holidays...)
		if reg.Source != "" {
			c.sources = append(c.sources, reg.Source)
		}
		if reg.Zone != "" {
			c.zone, c.loc = reg.Zone, reg.loc
		}
	}
	return c, nil
}

// States lists the codes of the Member States that have a calendar, sorted.
func States() []string {
	d, err := loaded()
	if err != nil {
		return nil
	}
	return d.codes()
}

// Regions lists the region codes of a Member State that have public holidays of their own.
func Regions(cc string) []string {
	d, err := loaded()
	if err != nil {
		return nil
	}
	code := strings.ToUpper(cc)
	if code == "EL" {
		code = "GR"
	}
	return sortedKeys(d.States[code].Regions)
}

// Location is the time zone days are counted in.
func (c *Calendar) Location() *time.Location { return c.loc }

// State is the Member State's ISO 3166-1 alpha-2 code, "" for UTC.
func (c *Calendar) State() string { return c.state }

// Regions are the regions whose public holidays the calendar includes.
func (c *Calendar) Regions() []string { return slices.Clone(c.regions) }

// IsWorkingDay says whether the day is a working day in the sense of Reg. 1182/71 Art. 2(2):
// not a Saturday, a Sunday or a public holiday.
func (c *Calendar) IsWorkingDay(y int, m time.Month, d int) bool {
	day := time.Date(y, m, d, 12, 0, 0, 0, time.UTC)
	if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	_, ok := c.Holiday(y, m, d)
	return !ok
}

// Holiday returns the name of the public holiday on the day, if it is one.
func (c *Calendar) Holiday(y int, m time.Month, d int) (name string, ok bool) {
	day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC) // normalised, so 32 Jan is 1 Feb
	byDay, ok := c.years.Load(day.Year())
	if !ok {
		m := map[time.Time]string{}
		for _, h := range c.Holidays(day.Year()) {
			if _, dup := m[h.Date]; !dup {
				m[h.Date] = h.Name
			}
		}
		byDay, _ = c.years.LoadOrStore(day.Year(), m)
	}
	name, ok = byDay.(map[time.Time]string)[day]
	return name, ok
}

// Holiday is a public holiday in a year.
type Holiday struct {
	Date time.Time // midnight UTC of the day; only its date counts
	Name string
}

// Holidays lists the public holidays of a year in date order; on a day with two holidays both
// are listed.
func (c *Calendar) Holidays(year int) []Holiday {
	var out []Holiday
	for _, r := range c.rules {
		if d, ok := r.on(year); ok {
			out = append(out, Holiday{Date: d, Name: r.Name})
		}
	}
	// Substitute days (e.g. Bulgaria, Labour Code Art. 154(2)): a holiday that falls on a
	// Saturday or Sunday gives the first following day that is neither a weekend day nor a
	// holiday, in the order the holidays fall.
	for _, h := range c.extra {
		if h.Date.Year() == year {
			out = append(out, h)
		}
	}
	slices.SortStableFunc(out, func(a, b Holiday) int { return a.Date.Compare(b.Date) })
	taken := map[time.Time]bool{}
	for _, h := range out {
		taken[h.Date] = true
	}
	var subs []Holiday
	for _, r := range c.rules {
		if !r.Substitute {
			continue
		}
		d, ok := r.on(year)
		if !ok || (d.Weekday() != time.Saturday && d.Weekday() != time.Sunday) {
			continue
		}
		s := d.AddDate(0, 0, 1)
		for s.Weekday() == time.Saturday || s.Weekday() == time.Sunday || taken[s] {
			s = s.AddDate(0, 0, 1)
		}
		taken[s] = true
		subs = append(subs, Holiday{Date: s, Name: r.Name + " (substitute day)"})
	}
	out = append(out, subs...)
	slices.SortStableFunc(out, func(a, b Holiday) int { return a.Date.Compare(b.Date) })
	return out
}

// Describe says in one line which calendar this is and where its holidays come from.
func (c *Calendar) Describe() string {
	if c.state == "" && c.whose == "" {
		return "UTC, no public holidays (only Saturdays and Sundays are not working days)"
	}
	if c.state == "" {
		return fmt.Sprintf("UTC, public holidays: %d day(s) from %s", len(c.extra), c.whose)
	}
	code := c.state
	whose := "public holidays of " + c.name
	if len(c.regions) > 0 {
		code = strings.Join(c.regions, "+")
		whose += " and " + strings.Join(c.rnames, ", ")
	}
	d := fmt.Sprintf("%s (%s), %s, source: %s", code, c.zone, whose, strings.Join(c.sources, "; "))
	if c.whose != "" {
		d += fmt.Sprintf("; plus %d day(s) from %s", len(c.extra), c.whose)
	}
	return d
}

// WithHolidays returns a copy of the calendar with more public holidays, e.g. days a State
// declares year by year; whose says where they come from and shows in Describe. Only the date
// of each day counts.
func (c *Calendar) WithHolidays(whose string, days []Holiday) *Calendar {
	cp := *c
	cp.extra = slices.Clone(c.extra)
	for _, h := range days {
		y, m, d := h.Date.Date()
		cp.extra = append(cp.extra, Holiday{Date: time.Date(y, m, d, 0, 0, 0, 0, time.UTC), Name: h.Name})
	}
	cp.whose = whose
	cp.years = new(sync.Map)
	if c.whose != "" {
		cp.whose = c.whose + ", " + whose
	}
	return &cp
}

// Name is the Member State's English short name, "" for UTC.
func (c *Calendar) Name() string { return c.name }
