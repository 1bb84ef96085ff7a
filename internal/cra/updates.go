package cra

import (
	"fmt"
	"time"
)

// KeepAvailableUntil is the last day a security update issued on issued must still be available
// to users: CRA Art. 13(9) keeps each security update made available during the support period
// available for at least ten years after it was issued, or for the rest of the support period
// (supportEnd, YYYY-MM, the period's last month), whichever is longer. The ten years are counted
// as Reg. (EEC, Euratom) No 1182/71 Art. 3(2)(c) counts years: they end on the day of the tenth
// year with the same date as the day of issue, or on the last day of that month when it has no
// such date (an update issued on 29 February). The result is a date (midnight UTC): the update
// stays available until that day has ended.
func KeepAvailableUntil(issued time.Time, supportEnd string) (time.Time, error) {
	y, m, d := issued.Date()
	until := time.Date(y+10, m, d, 0, 0, 0, 0, time.UTC)
	if until.Month() != m { // no such date: the month's last day
		until = time.Date(y+10, m+1, 0, 0, 0, 0, 0, time.UTC)
	}
	if supportEnd == "" {
		return until, nil
	}
	end, err := time.Parse("2006-01", supportEnd)
	if err != nil {
		return time.Time{}, fmt.Errorf("support end %q: want YYYY-MM", supportEnd)
	}
	if last := end.AddDate(0, 1, -1); last.After(until) {
		until = last
	}
	return until, nil
}
