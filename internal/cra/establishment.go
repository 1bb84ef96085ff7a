package cra

import (
	"fmt"
	"time"
)

// establishmentCalendar is the calendar legal periods are counted in for an organisation, with
// its description and the time zone deadlines are shown in.
func establishmentCalendar(e Establishment) (Calendar, string, *time.Location, error) {
	if e.MemberState == "" {
		return Calendar{}, NoMemberState, time.UTC, nil
	}
	return Calendar{}, "", nil, fmt.Errorf("member state %q: no calendar", e.MemberState)
}
