package cra

import (
	"fmt"

	"github.com/siegel-oss/siegel/internal/calendar"
)

// Calendar returns the calendar legal periods are counted in for the establishment: its Member
// State's time zone and public holidays (with the region's), or UTC without holidays when no
// Member State is set.
func (e Establishment) Calendar() (*calendar.Calendar, error) {
	if e.MemberState == "" {
		return calendar.UTC(), nil
	}
	var regions []string
	if e.Region != "" {
		regions = []string{e.Region}
	}
	cal, err := calendar.ForState(e.MemberState, regions...)
	if err != nil {
		return nil, fmt.Errorf("Member State of main establishment: %w", err)
	}
	return cal, nil
}

// CheckEstablishment says whether a Member State (and region) has a calendar Siegel can count in.
func CheckEstablishment(e Establishment) error {
	_, err := e.Calendar()
	return err
}

// establishmentCalendar is the calendar legal periods are counted in for an organisation, with
// its description (NoMemberState without a Member State).
func establishmentCalendar(e Establishment) (*calendar.Calendar, string, error) {
	cal, err := e.Calendar()
	if err != nil {
		return nil, "", err
	}
	if cal.State() == "" {
		return cal, NoMemberState, nil
	}
	return cal, cal.Describe(), nil
}
