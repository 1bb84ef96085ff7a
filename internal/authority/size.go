// Package authority holds what a market surveillance authority or a label issuer decides by rule:
// the size class of an enterprise (Commission Recommendation 2003/361/EC), the ceiling of an
// administrative fine under the Cyber Resilience Act (Regulation (EU) 2024/2847, Art. 64), whether
// each Art. 14 reporting stage was met and whether a miss can be fined, the clocks of the Chapter V
// procedures (Art. 54, 55, 58) and the ranking of product categories for a sweep (Art. 60).
//
// Everything here is arithmetic on stated facts. An estimate is a maximum with its reasons, never
// a fine: the amount within the ceiling is the authority's decision under Art. 64(5).
package authority

import (
	"errors"
	"fmt"
	"strings"
)

// Size classes of Commission Recommendation 2003/361/EC, Annex, Art. 2.
const (
	Micro  = "micro"
	Small  = "small"
	Medium = "medium"
	Large  = "large"
)

// SizeClasses lists the classes from the smallest up.
var SizeClasses = []string{Micro, Small, Medium, Large}

// Figures are one closed accounting period of an enterprise, consolidated as Art. 6 of the
// Recommendation's Annex asks: its own data plus those of its partner enterprises (in proportion
// to the holding) and linked enterprises (in full).
type Figures struct {
	Year int
	// Staff in annual work units (Annex Art. 5): full-time staff count 1, part-time and seasonal
	// work fractions of it.
	Staff float64
	// Turnover and BalanceSheet are the annual turnover and annual balance-sheet total in euros.
	Turnover     int64
	BalanceSheet int64
}

// ceiling is one class's limit: staff below Staff, and turnover or balance sheet not above the
// two amounts (Annex Art. 2: an enterprise chooses whichever of the two financial ceilings it
// meets).
type ceiling struct {
	class    string
	staff    float64
	turnover int64
	balance  int64
	article  string
}

var ceilings = []ceiling{
	{Micro, 10, 2_000_000, 2_000_000, "Annex Art. 2(3): fewer than 10 persons, turnover or balance sheet not above EUR 2 million"},
	{Small, 50, 10_000_000, 10_000_000, "Annex Art. 2(2): fewer than 50 persons, turnover or balance sheet not above EUR 10 million"},
	{Medium, 250, 50_000_000, 43_000_000, "Annex Art. 2(1): fewer than 250 persons, turnover not above EUR 50 million or balance sheet not above EUR 43 million"},
}

// ClassOf is the class one period's figures fall in, with the provision that places it there.
func ClassOf(f Figures) (class, basis string) {
	for _, c := range ceilings {
		if f.Staff < c.staff && (f.Turnover <= c.turnover || f.BalanceSheet <= c.balance) {
			return c.class, c.article
		}
	}
	return Large, "above the medium-sized ceilings of Annex Art. 2(1)"
}

// SizeStatus is an enterprise's size class as the Recommendation counts it over time.
type SizeStatus struct {
	Class string
	// Reasons say, period by period, which class the figures fell in and whether the status moved.
	Reasons []string
}

// Classify gives the status after the last of the periods (oldest first, consecutive years).
// Under Annex Art. 4(2) a status is neither lost nor acquired until the ceilings are crossed in
// two consecutive accounting periods: the first period sets the status, and it moves only when
// two periods in a row both fall on the same side of it, to whichever of the two classes is
// nearer to it (the ceiling crossed in both).
func Classify(periods []Figures) (SizeStatus, error) {
	if len(periods) == 0 {
		return SizeStatus{}, errors.New("size class: at least one closed accounting period is needed (Recommendation 2003/361/EC, Annex Art. 4(1))")
	}
	for i, f := range periods {
		if f.Staff < 0 || f.Turnover < 0 || f.BalanceSheet < 0 {
			return SizeStatus{}, fmt.Errorf("size class: period %d (%d): staff, turnover and balance sheet cannot be negative", i+1, f.Year)
		}
		if i > 0 && f.Year != periods[i-1].Year+1 {
			return SizeStatus{}, fmt.Errorf("size class: period %d is %d after %d: give consecutive accounting periods, oldest first", i+1, f.Year, periods[i-1].Year)
		}
	}
	rank := func(c string) int {
		for i, s := range SizeClasses {
			if s == c {
				return i
			}
		}
		return -1
	}
	var s SizeStatus
	prev := -1
	for i, f := range periods {
		c, basis := ClassOf(f)
		r := rank(c)
		line := fmt.Sprintf("%d: %s (%s)", f.Year, c, basis)
		switch {
		case i == 0:
			s.Class = c
			line += "; status " + c
		case r == rank(s.Class):
			line += "; status stays " + s.Class
		case prev >= 0 && (r-rank(s.Class))*(prev-rank(s.Class)) > 0:
			// Two periods in a row on the same side: move to the nearer of the two.
			next := r
			if abs(prev-rank(s.Class)) < abs(r-rank(s.Class)) {
				next = prev
			}
			s.Class = SizeClasses[next]
			line += "; second consecutive period across the ceiling: status becomes " + s.Class + " (Annex Art. 4(2))"
		default:
			line += "; first period across the ceiling: status stays " + s.Class + " (Annex Art. 4(2))"
		}
		s.Reasons = append(s.Reasons, line)
		prev = r
	}
	return s, nil
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// CheckSizeClass accepts "" (not stated) or one of SizeClasses.
func CheckSizeClass(c string) error {
	if c == "" {
		return nil
	}
	for _, s := range SizeClasses {
		if c == s {
			return nil
		}
	}
	return fmt.Errorf("size class %q: choose one of %s (Recommendation 2003/361/EC)", c, strings.Join(SizeClasses, ", "))
}
