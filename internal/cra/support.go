package cra

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
)

// Support-period rules (CRA Art. 13(8)). The second subparagraph asks the manufacturer to set the
// support period to the time the product is expected to be in use, considering the matters it
// lists; the third sets a floor of five years, shorter only where the product is expected to be
// in use for less time, and then no shorter than that time.
const (
	RuleFiveYears   = "Art. 13(8) third subparagraph: at least five years"
	RuleExpectedUse = "Art. 13(8) third subparagraph: under five years only for a product expected to be in use for less, and then no shorter than the expected use time"
	RuleDetermined  = "Art. 13(8) second subparagraph: the support period reflects the time the product is expected to be in use"
)

// SupportBases are the matters Art. 13(8) second subparagraph names that an expected use time
// can rest on, by the name Siegel records.
var SupportBases = map[string]string{
	"user-expectations":      "reasonable user expectations",
	"intended-purpose":       "the nature of the product, including its intended purpose",
	"union-law":              "Union law determining the lifetime of the product",
	"similar-products":       "support periods of products of similar functionality by other manufacturers",
	"operating-environment":  "the availability of the operating environment",
	"third-party-components": "support periods of integrated third-party components providing core functions",
	"guidance":               "guidance of the administrative cooperation group (ADCO) and the Commission",
}

// longUseCategories are product kinds recital (60) gives as usually in use for longer than five
// years: hardware components (motherboards, microprocessors), network devices (routers, modems,
// switches), software such as operating systems and video-editing tools, and products for
// industrial settings such as industrial control systems.
var longUseCategories = []string{"router", "modem", "switch", "motherboard", "microprocessor", "operating-system", "video-editing", "industrial-control"}

// SupportPeriod is a declared support period with the reasons for one under five years.
type SupportPeriod struct {
	// PlacedOnMarket is the day the release was placed on the market (YYYY-MM-DD); "" when it is
	// not yet, and the period is then counted from Since (a lower bound).
	PlacedOnMarket string
	Since          time.Time
	// End is the last month of support (YYYY-MM): the period ends with that month's last day.
	End string
	// ExpectedUseMonths and Basis are the structured reason for a period under five years: the
	// time the product is expected to be in use and the name (SupportBases) of what that
	// expectation rests on; Justification says it in words.
	ExpectedUseMonths int
	Basis             string
	Justification     string
	Category          string // the product's category, for recital (60)'s long-use kinds
}

// SupportVerdict is the assessment of a support period.
type SupportVerdict struct {
	OK           bool
	Start, Last  time.Time // the first day counted from and the last day of support
	FiveYearsEnd time.Time // the day five years from Start end (Reg. 1182/71 Art. 3(2)(c))
	Years        int       // the period's length in whole years, months and days
	Months       int
	Days         int
	TotalMonths  int // whole months
	Rule         string
	Reason       string
	Warnings     []string
}

// Length renders the period's length, such as "4 years 11 months".
func (v SupportVerdict) Length() string {
	var parts []string
	for _, p := range []struct {
		n    int
		unit string
	}{{v.Years, "year"}, {v.Months, "month"}, {v.Days, "day"}} {
		switch {
		case p.n == 1:
			parts = append(parts, "1 "+p.unit)
		case p.n > 1:
			parts = append(parts, fmt.Sprintf("%d %ss", p.n, p.unit))
		}
	}
	if len(parts) == 0 {
		return "0 days"
	}
	return strings.Join(parts, " ")
}

// addMonths adds n calendar months to the day d; a day the target month lacks becomes its last
// (Reg. 1182/71 Art. 3(2)(c)).
func addMonths(d time.Time, n int) time.Time {
	y, m, day := d.Date()
	first := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	return time.Date(first.Year(), first.Month(), min(day, last), 0, 0, 0, 0, time.UTC)
}

// CheckSupport assesses a support period by exact calendar arithmetic from the placing-on-the-
// market day: five years from 2026-12-31 end on 2031-12-31, so a period ending with 2031-11 is
// 4 years 11 months. It returns an error for input it cannot read; a period that breaks a rule
// is a verdict that is not OK, saying which rule applied.
func CheckSupport(p SupportPeriod) (SupportVerdict, error) {
	var v SupportVerdict
	endMonth, err := time.Parse("2006-01", p.End)
	if err != nil {
		return v, fmt.Errorf("support end %q: want YYYY-MM", p.End)
	}
	v.Last = endMonth.AddDate(0, 1, -1)
	from := "placed on the market"
	if p.PlacedOnMarket != "" {
		if v.Start, err = time.Parse(time.DateOnly, p.PlacedOnMarket); err != nil {
			return v, fmt.Errorf("placed on market %q: want YYYY-MM-DD", p.PlacedOnMarket)
		}
	} else {
		y, m, d := p.Since.UTC().Date()
		v.Start, from = time.Date(y, m, d, 0, 0, 0, 0, time.UTC), "counted from today, not yet placed on the market"
	}
	v.FiveYearsEnd = addMonths(v.Start, 60)
	if v.Last.Before(v.Start) {
		v.Rule, v.Reason = RuleDetermined, fmt.Sprintf("the support period ends (%s) before the product is placed on the market (%s)", v.Last.Format(time.DateOnly), v.Start.Format(time.DateOnly))
		return v, nil
	}
	for addMonths(v.Start, v.TotalMonths+1).Compare(v.Last) <= 0 {
		v.TotalMonths++
	}
	v.Years, v.Months = v.TotalMonths/12, v.TotalMonths%12
	v.Days = int(v.Last.Sub(addMonths(v.Start, v.TotalMonths)).Hours() / 24)
	span := fmt.Sprintf("%s to %s (%s), %s", v.Start.Format(time.DateOnly), v.Last.Format(time.DateOnly), from, v.Length())

	if !v.Last.Before(v.FiveYearsEnd) {
		v.OK, v.Rule = true, RuleFiveYears
		v.Reason = "support period " + span + ": at least five years"
		if p.ExpectedUseMonths > 0 && addMonths(v.Start, p.ExpectedUseMonths).After(v.Last) {
			v.OK, v.Rule = false, RuleDetermined
			v.Reason = fmt.Sprintf("support period %s is shorter than the expected use of %d months the manufacturer recorded", span, p.ExpectedUseMonths)
			return v, nil
		}
		// The shortest period a YYYY-MM end can give: ending with the month five years end in.
		minimum := time.Date(v.FiveYearsEnd.Year(), v.FiveYearsEnd.Month()+1, 1, 0, 0, 0, 0, time.UTC)
		if longUse(p.Category) && v.Last.Before(minimum) {
			v.Warnings = append(v.Warnings, fmt.Sprintf("products of category %q are often in use for longer than five years (CRA recital (60)): the support period should reflect that longer use (Art. 13(8) second subparagraph), not stop at the five-year minimum", p.Category))
		}
		return v, nil
	}
	v.Rule = RuleExpectedUse
	if longUse(p.Category) {
		v.Warnings = append(v.Warnings, fmt.Sprintf("products of category %q are often in use for longer than five years (CRA recital (60)): a period under five years is hard to justify", p.Category))
	}
	switch {
	case p.ExpectedUseMonths <= 0 || p.Basis == "":
		v.Reason = "support period " + span + ": under five years, which needs the time the product is expected to be in use (in months) and what that expectation rests on (" + strings.Join(basisNames(), ", ") + ")"
	case SupportBases[p.Basis] == "":
		v.Reason = fmt.Sprintf("support basis %q: choose one of %s", p.Basis, strings.Join(basisNames(), ", "))
	case p.ExpectedUseMonths >= 60:
		v.Reason = fmt.Sprintf("support period %s: the product is expected to be in use for %d months, not less than five years, so the support period must be at least five years", span, p.ExpectedUseMonths)
	case addMonths(v.Start, p.ExpectedUseMonths).After(v.Last):
		v.Reason = fmt.Sprintf("support period %s is shorter than the expected use of %d months: it must correspond to the expected use time", span, p.ExpectedUseMonths)
	case letters(p.Justification) < 3:
		v.Reason = "support period " + span + ": say in words what the expected use of " + fmt.Sprint(p.ExpectedUseMonths) + " months rests on"
	default:
		v.OK = true
		v.Reason = fmt.Sprintf("support period %s: under five years, matching an expected use of %d months resting on %s: %s", span, p.ExpectedUseMonths, SupportBases[p.Basis], strings.TrimSpace(p.Justification))
	}
	return v, nil
}

func basisNames() []string {
	var out []string
	for k := range SupportBases {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func letters(s string) int {
	n := 0
	for _, r := range s {
		if unicode.IsLetter(r) {
			n++
		}
	}
	return n
}

// longUse reports whether a product category is one of recital (60)'s long-use kinds.
func longUse(category string) bool {
	words := strings.FieldsFunc(strings.ToLower(category), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	for i, w := range words {
		words[i] = strings.TrimSuffix(strings.TrimSuffix(w, "es"), "s") // routers, switches
	}
	joined := "-" + strings.Join(words, "-") + "-"
	return slices.ContainsFunc(longUseCategories, func(c string) bool { return strings.Contains(joined, "-"+c+"-") })
}
