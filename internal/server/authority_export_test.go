package server

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/authority/icsms"
	"github.com/siegel-oss/siegel/internal/cra"
	"github.com/siegel-oss/siegel/internal/ledger"
	"github.com/siegel-oss/siegel/internal/server/app"
)

// A procedure exports with its ICSMS fields, and every claim points at ledger statements of a
// bundle in the file that verifies on its own; a changed statement no longer verifies.
func TestAuthorityExportProcedure(t *testing.T) {
	e := newEnv(t)
	e.addAuthority("ANSSI", "anssi")
	ctx := t.Context()
	prod, rel := e.productWithRelease("acme-admin", "HomeRouter", "router", "important-ii", 2500)
	if code := e.do("PUT", "/api/v1/releases/"+itoa(rel)+"/market-record", "acme-admin", "application/json",
		jsonBody(map[string]any{"ceMarking": true, "declaration": false, "disclosureContact": "psirt@acme.example"}), nil); code != 200 {
		t.Fatal(code)
	}
	if code := e.do("POST", "/api/v1/products/"+itoa(prod)+"/registrations", "acme-admin", "application/json", jsonBody(map[string]int64{"authority": e.orgID("BSI")}), nil); code != 201 {
		t.Fatal(code)
	}
	acme := e.orgID("ACME")
	if err := e.st.SetEstablishment(ctx, acme, "DE", "", false); err != nil {
		t.Fatal(err)
	}
	c, err := e.st.OpenIncident(ctx, acme, prod, "intrusion", time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.SubmitStage(ctx, c.ID, cra.EarlyWarning, []byte(`{}`), "SRP-1", "psirt@acme"); err != nil {
		t.Fatal(err)
	}
	var pr app.ProcedureJSON
	if code := e.do("POST", "/api/v1/authority/procedures", "bsi", "application/json", jsonBody(map[string]any{"kind": "art58", "product": prod, "title": "no EU declaration"}), &pr); code != 201 {
		t.Fatalf("open %d", code)
	}
	step := func(body map[string]any) {
		t.Helper()
		if code := e.do("POST", "/api/v1/authority/procedures/"+itoa(pr.ID)+"/events", "bsi", "application/json", jsonBody(body), nil); code != 200 {
			t.Fatalf("%v: %d", body, code)
		}
	}
	step(map[string]any{"action": "non-compliant", "due": "2026-12-22T12:00:00Z", "reason": "the EU declaration of conformity has not been drawn up (Art. 58(1)(c))"})

	path := "/api/v1/authority/procedures/" + itoa(pr.ID) + "/export"
	if code := e.do("GET", path, "anssi", "", nil, nil); code != 404 {
		t.Errorf("another authority exports: %d", code)
	}
	if code := e.do("GET", path, "acme-admin", "", nil, nil); code != 403 {
		t.Errorf("the manufacturer exports: %d", code)
	}
	code, raw := e.raw("GET", path, "bsi", "", nil)
	if code != 200 {
		t.Fatalf("export %d %s", code, raw)
	}
	var x icsms.Export
	if err := json.Unmarshal(raw, &x); err != nil {
		t.Fatal(err)
	}
	if x.Format != icsms.Format || x.Authority != "BSI" || x.Product.Name != "HomeRouter" || x.EconomicOperator.Name != "ACME" || x.EconomicOperator.Role != "manufacturer" {
		t.Errorf("header: %+v %+v %+v", x.Format, x.Product, x.EconomicOperator)
	}
	if x.Procedure.State != "corrective-action" || len(x.Procedure.Clocks) != 1 || x.RiskAssessment.Finding == "" {
		t.Errorf("procedure %+v, risk %+v", x.Procedure, x.RiskAssessment)
	}
	// Art. 58(1)(c): the declaration recorded as not drawn up is a known failure; CE marking passes.
	checks := map[string]icsms.Check{}
	for _, c := range x.Checks {
		checks[c.Item] = c
	}
	if c := checks["EU declaration of conformity"]; !c.Known || c.OK {
		t.Errorf("declaration: %+v", c)
	}
	if c := checks["CE marking"]; !c.Known || !c.OK {
		t.Errorf("CE marking: %+v", c)
	}
	if len(x.Measures) != 1 || x.Measures[0].Basis != "Art. 58(1)" || len(x.Measures[0].Evidence.Indexes) != 1 {
		t.Fatalf("measures %+v", x.Measures)
	}
	if len(x.Reporting) != 1 || len(x.Reporting[0].Stages) == 0 || x.Reporting[0].Stages[0].LateMinutes != 60 {
		t.Errorf("reporting %+v", x.Reporting)
	}
	if d := x.RiskAssessment.DevicesOnMarket; d == nil || *d != 2500 {
		t.Errorf("devices %v", d)
	}
	// Every claim's statements are in a bundle of the file, and every bundle verifies.
	claims := []icsms.Evidence{x.Procedure.Evidence, x.Product.Evidence, x.Measures[0].Evidence, x.Reporting[0].Evidence}
	for _, v := range x.Product.Versions {
		claims = append(claims, v.Evidence)
	}
	wantTypes := map[string]string{"procedure/" + itoa(pr.ID): ledger.ProcedureEvent, "product/" + itoa(prod): ledger.ProductRegistered,
		"release/" + itoa(rel): ledger.MarketRecordDeclared, "case/" + itoa(c.ID): ledger.CaseStageSubmitted}
	for _, ev := range claims {
		b := x.Proofs[ev.Subject]
		if b == nil || len(ev.Indexes) == 0 {
			t.Errorf("claim about %s: no statements (%+v)", ev.Subject, ev)
			continue
		}
		if want, ok := wantTypes[ev.Subject]; ok && !slices.Contains(ev.Types, want) {
			t.Errorf("claim about %s: types %v, want %s", ev.Subject, ev.Types, want)
		}
		for _, i := range ev.Indexes {
			if !slices.ContainsFunc(b.Entries, func(en ledger.Entry) bool { return en.Index == i }) {
				t.Errorf("claim about %s names statement %d, not in its bundle", ev.Subject, i)
			}
		}
	}
	for subject, b := range x.Proofs {
		r, err := ledger.Check(b)
		if err != nil {
			t.Errorf("bundle %s: %v", subject, err)
			continue
		}
		if !r.Complete(subject) {
			t.Errorf("bundle %s does not prove it holds every statement about the subject", subject)
		}
	}
	// The revealed content of the finding changed after the fact: the bundle no longer verifies.
	b := x.Proofs["procedure/"+itoa(pr.ID)]
	b.Entries[1].Content = []byte(`{"action":"compliant"}`)
	if _, err := ledger.Check(b); err == nil {
		t.Error("a changed statement still verifies")
	}
}
