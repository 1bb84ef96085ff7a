package storetest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/store"
)

// The Member State of main establishment, the holiday region and the steward flag are kept on
// the organization and reach its cases.
func testEstablishment(t *testing.T, s *store.DB) {
	ctx := t.Context()
	org := must(s.CreateOrganization(ctx, "ACME", "medium", false))
	if got := must(s.OrganizationByID(ctx, org.ID)); got.MemberState != "" || got.HolidayRegion != "" || got.Steward {
		t.Fatalf("a new organization has an establishment: %+v", got)
	}
	must(0, s.SetEstablishment(ctx, org.ID, "de", "BY", true))
	got := must(s.OrganizationByName(ctx, "ACME"))
	if got.MemberState != "DE" || got.HolidayRegion != "BY" || !got.Steward {
		t.Fatalf("establishment read back: %+v", got)
	}
	if err := s.SetEstablishment(ctx, org.ID, "", "BY", false); err == nil {
		t.Error("a region without a Member State accepted")
	}
	if err := s.SetEstablishment(ctx, org.ID+100, "FR", "", false); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown organization: %v", err)
	}
	inc := must(s.OpenIncident(ctx, org.ID, 0, "Outage", time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)))
	c := must(s.CaseByID(ctx, inc.ID))
	if c.MemberState != "DE" || c.HolidayRegion != "BY" || !c.Steward {
		t.Errorf("case does not carry the establishment: %+v", c)
	}

	// The structured reason for a support period under five years (CRA Art. 13(8)) is kept.
	prod := must(s.CreateProduct(ctx, org.ID, "Badge", "event-badge", "default"))
	rel := must(s.AddRelease(ctx, store.Release{Product: prod.ID, Version: "1", PlacedOnMarket: "2026-10-01", SupportEnd: "2028-10",
		SupportJustification: "a badge for two trade-fair seasons", SupportExpectedUseMonths: 24, SupportBasis: "intended-purpose"}))
	if got := must(s.Release(ctx, rel.ID)); got.SupportExpectedUseMonths != 24 || got.SupportBasis != "intended-purpose" || got.SupportJustification == "" {
		t.Errorf("support reason read back: %+v", got)
	}
	if rs := must(s.Releases(ctx, prod.ID)); len(rs) != 1 || rs[0].SupportExpectedUseMonths != 24 || rs[0].SupportBasis != "intended-purpose" {
		t.Errorf("releases: %+v", rs)
	}
}

// Art. 14 details: the intermediate report on request (14(6)), the recipient of each stage
// (14(7)), closing and reopening with a reason (each in the ledger), a fix time in the future.
func testCaseDetails(t *testing.T, s *store.DB) {
	ctx := t.Context()
	org := must(s.CreateOrganization(ctx, "ACME", "small", false))
	inc := must(s.OpenIncident(ctx, org.ID, 0, "Outage", time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)))
	id := inc.ID

	// The store's clock says 2026-11-22T12:00Z: a measure available a minute later is not yet.
	if err := s.SetFixAvailable(ctx, id, time.Date(2026, 11, 22, 12, 1, 0, 0, time.UTC)); !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), "after now") {
		t.Errorf("fix available in the future: %v", err)
	}
	must(0, s.SubmitStage(ctx, id, "early-warning", []byte(`{}`), "SRP-1", "psirt"))
	must(0, s.SetEstablishment(ctx, org.ID, "FR", "", false))
	must(0, s.SubmitStageTo(ctx, id, "notification", []byte(`{}`), "SRP-2", "psirt", "CERT-FR"))
	if err := s.SubmitStage(ctx, id, "intermediate-report", []byte(`{}`), "SRP-3", "psirt"); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("intermediate report without a request: %v", err)
	}
	req, due := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC), time.Date(2026, 11, 27, 17, 0, 0, 0, time.UTC)
	if err := s.RequestIntermediate(ctx, id, req, req.Add(-time.Hour), "psirt"); err == nil {
		t.Error("an intermediate report due before its request accepted")
	}
	must(0, s.RequestIntermediate(ctx, id, req, due, "psirt"))
	if err := s.RequestIntermediate(ctx, id, req, due, "psirt"); !errors.Is(err, store.ErrConflict) {
		t.Errorf("second request: %v", err)
	}
	must(0, s.SubmitStage(ctx, id, "intermediate-report", []byte(`{}`), "SRP-3", "psirt"))
	c := must(s.CaseByID(ctx, id))
	if !c.IntermediateRequested.Equal(req) || !c.IntermediateDue.Equal(due) || c.IntermediateRequestedBy != "psirt" {
		t.Errorf("intermediate request read back: %v %v %q", c.IntermediateRequested, c.IntermediateDue, c.IntermediateRequestedBy)
	}
	if got := fmt.Sprint(c.Stages["early-warning"].Recipient, "|", c.Stages["notification"].Recipient, "|", c.Stages["intermediate-report"].Recipient); got !=
		"|CERT-FR|CSIRT designated as coordinator of FR (CRA Art. 14(7)), via the single reporting platform" {
		t.Errorf("recipients %q", got)
	}

	if err := s.CloseCase(ctx, id, "  ", "psirt"); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("close without a reason: %v", err)
	}
	must(0, s.CloseCase(ctx, id, "triaged: the product is not affected", "psirt"))
	if c := must(s.CaseByID(ctx, id)); c.Closed.IsZero() || c.ClosedReason != "triaged: the product is not affected" {
		t.Errorf("closed case %v %q", c.Closed, c.ClosedReason)
	}
	if open := must(s.OpenCases(ctx)); len(open) != 0 {
		t.Errorf("a closed case is open: %+v", open)
	}
	if err := s.SubmitStage(ctx, id, "final-report", []byte(`{}`), "SRP-4", "psirt"); !errors.Is(err, store.ErrConflict) {
		t.Errorf("submission to a closed case: %v", err)
	}
	if err := s.CloseCase(ctx, id, "again", "psirt"); !errors.Is(err, store.ErrConflict) {
		t.Errorf("closing a closed case: %v", err)
	}
	if err := s.ReopenCase(ctx, id, "", "psirt"); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("reopen without a reason: %v", err)
	}
	must(0, s.ReopenCase(ctx, id, "the advisory was reissued", "psirt"))
	if c := must(s.CaseByID(ctx, id)); !c.Closed.IsZero() || c.ClosedReason != "" {
		t.Errorf("reopened case %v %q", c.Closed, c.ClosedReason)
	}
	b := must(s.LedgerBundle(ctx, org.ID, fmt.Sprintf("case/%d", id), false))
	var types []string
	for _, e := range b.Entries {
		types = append(types, e.Statement.Type)
	}
	if fmt.Sprint(types) != "[case-stage-submitted case-stage-submitted intermediate-report-requested case-stage-submitted case-closed case-reopened]" {
		t.Errorf("ledger %v", types)
	}
}
