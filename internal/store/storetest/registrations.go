package storetest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/siegel-oss/siegel/internal/store"
)

// testRegistrations: a product registered with an authority, the market record the Art. 58(1)
// checklist reads (an unrecorded fact stays nil), the exploited components an Art. 60 sweep
// counts, and the state a witness keeps of a log.
func testRegistrations(t *testing.T, s *store.DB) {
	ctx := t.Context()
	acme := must(s.CreateOrganization(ctx, "ACME", "small", false))
	globex := must(s.CreateOrganization(ctx, "Globex", "large", false))
	bsi := must(s.CreateOrganization(ctx, "BSI", "large", true))
	prod := must(s.CreateProduct(ctx, acme.ID, "R", "router", "default"))
	rel := must(s.CreateRelease(ctx, prod.ID, "1", "2026-01-05", "2031-01"))

	if _, err := s.RegisterProduct(ctx, acme.ID, prod.ID, globex.ID, "t"); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("registered with a manufacturer: %v", err)
	}
	if _, err := s.RegisterProduct(ctx, globex.ID, prod.ID, bsi.ID, "t"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another's product: %v", err)
	}
	if ok := must(s.Registered(ctx, bsi.ID, prod.ID)); ok {
		t.Error("registered before registering")
	}
	r := must(s.RegisterProduct(ctx, acme.ID, prod.ID, bsi.ID, "token:1:admin"))
	if r.AuthorityName != "BSI" || r.ProductName != "R" {
		t.Errorf("registration %+v", r)
	}
	if _, err := s.RegisterProduct(ctx, acme.ID, prod.ID, bsi.ID, "t"); !errors.Is(err, store.ErrConflict) {
		t.Errorf("twice: %v", err)
	}
	if regs := must(s.Registrations(ctx, bsi.ID, 0)); len(regs) != 1 || regs[0].Product != prod.ID || regs[0].Organization != acme.ID {
		t.Errorf("by authority: %+v", regs)
	}
	if regs := must(s.Registrations(ctx, 0, globex.ID)); len(regs) != 0 {
		t.Errorf("Globex's: %+v", regs)
	}
	if ok := must(s.Registered(ctx, bsi.ID, prod.ID)); !ok {
		t.Error("not registered")
	}

	m := must(s.MarketRecordOf(ctx, rel.ID))
	if m.CEMarking != nil || m.Declaration != nil || m.TechnicalDocs != nil {
		t.Errorf("never declared: %+v", m)
	}
	yes, no := true, false
	if err := s.SetMarketRecord(ctx, store.MarketRecord{Release: rel.ID, CEMarking: &yes, TechnicalDocs: &no, NotifiedBody: "0123", DisclosureContact: "psirt@acme.example"}); err != nil {
		t.Fatal(err)
	}
	m = must(s.MarketRecordOf(ctx, rel.ID))
	if m.CEMarking == nil || !*m.CEMarking || m.Declaration != nil || m.TechnicalDocs == nil || *m.TechnicalDocs || m.NotifiedBody != "0123" {
		t.Errorf("declared: %+v", m)
	}
	if err := s.SetMarketRecord(ctx, store.MarketRecord{Release: rel.ID, NotifiedBody: "12"}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("a three-digit number: %v", err)
	}

	a := store.Finding{Vulnerability: "CVE-1", PURL: "pkg:npm/a@1", Severity: "HIGH", Score: 7.5, Data: []byte(`{}`), Exploited: true}
	b := store.Finding{Vulnerability: "CVE-2", PURL: "pkg:npm/b@2", Severity: "HIGH", Score: 7.5, Data: []byte(`{}`), Exploited: true}
	c := store.Finding{Vulnerability: "CVE-3", PURL: "pkg:npm/c@1", Severity: "LOW", Score: 2, Data: []byte(`{}`)}
	noEvent := func(store.FindingChange) store.Event {
		return store.Event{ID: store.NewEventID(), Payload: []byte(`{}`)}
	}
	must(s.ApplyFindings(ctx, rel.ID, nil, []store.Finding{a, b, c}, noEvent))
	must(s.SetVEX(ctx, store.VEX{Release: rel.ID, Vulnerability: "CVE-2", PURL: "pkg:npm/b@2", Status: "not_affected", Justification: "vulnerable_code_not_in_execute_path", Author: "psirt"}))
	if got := fmt.Sprint(must(s.ExploitedComponents(ctx, rel.ID))); got != "[pkg:npm/a]" {
		t.Errorf("exploited components %s: want a only (b is not affected, c not exploited)", got)
	}

	w := store.WitnessedLog{Witness: "bsi.example", Origin: "siegel.ledger/1", Organization: acme.ID, LogKey: "k", Size: 3, Note: "n3"}
	if _, err := s.WitnessedLogByOrigin(ctx, w.Witness, w.Origin); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("before: %v", err)
	}
	if err := s.AdvanceWitnessedLog(ctx, w); err != nil {
		t.Fatal(err)
	}
	w.Size, w.Note = 7, "n7"
	if err := s.AdvanceWitnessedLog(ctx, w); err != nil {
		t.Fatal(err)
	}
	back := w
	back.Size = 5
	if err := s.AdvanceWitnessedLog(ctx, back); !errors.Is(err, store.ErrConflict) {
		t.Errorf("backwards: %v", err)
	}
	rekey := w
	rekey.LogKey = "other"
	if err := s.AdvanceWitnessedLog(ctx, rekey); !errors.Is(err, store.ErrConflict) {
		t.Errorf("another key: %v", err)
	}
	if err := s.RefuseWitnessedLog(ctx, w.Witness, w.Origin, "rewritten"); err != nil {
		t.Fatal(err)
	}
	got := must(s.WitnessedLogOfOrganization(ctx, "bsi.example", acme.ID))
	if got.Size != 7 || got.Note != "n7" || got.Refusal != "rewritten" || got.RefusedAt.IsZero() {
		t.Errorf("state %+v", got)
	}
	if logs := must(s.WitnessedLogs(ctx, "bsi.example")); len(logs) != 1 {
		t.Errorf("logs %+v", logs)
	}
}
