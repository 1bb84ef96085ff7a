package server

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/authority"
	"github.com/siegel-oss/siegel/internal/cra"
	"github.com/siegel-oss/siegel/internal/server/app"
)

// Three manufacturers of different size classes, each late or not with its early warning: the
// authority sees who reported late and who is exempt from a fine (CRA Art. 64(10)(a)).
func TestAuthorityTimeliness(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) // the store's clock: submissions happen then
	e := newEnv(t, func(c *Config) { c.Now = func() time.Time { return now } })
	ctx := t.Context()
	// Aware at 11:00 CET: the 24 hours end at 12:00 CET (11:00 UTC) on the 22nd, an hour before
	// the submission.
	aware := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	// The authority sees the manufacturers that registered a product with it.
	bsi, err := e.st.OrganizationByName(ctx, "BSI")
	if err != nil {
		t.Fatal(err)
	}
	register := func(org int64) {
		t.Helper()
		p, err := e.st.CreateProduct(ctx, org, "Router", "router", "default")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.st.RegisterProduct(ctx, org, p.ID, bsi.ID, "test"); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range []struct{ name, size string }{{"Tiny", "micro"}, {"Mega", "large"}} {
		o, err := e.st.CreateOrganization(ctx, m.name, m.size, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.st.SetEstablishment(ctx, o.ID, "DE", "", false); err != nil {
			t.Fatal(err)
		}
		register(o.ID)
		c, err := e.st.OpenIncident(ctx, o.ID, 0, "intrusion at "+m.name, aware)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.st.SubmitStage(ctx, c.ID, cra.EarlyWarning, []byte(`{}`), "SRP-"+m.name, "psirt@"+m.name); err != nil {
			t.Fatal(err)
		}
	}
	globex, err := e.st.OrganizationByName(ctx, "Globex")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.OpenIncident(ctx, globex.ID, 0, "phishing", now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	register(globex.ID)
	// A manufacturer that registered nothing with BSI stays out of its view.
	hidden, err := e.st.CreateOrganization(ctx, "Hidden", "large", false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.OpenIncident(ctx, hidden.ID, 0, "unseen", aware); err != nil {
		t.Fatal(err)
	}

	if code := e.do("GET", "/api/v1/authority/timeliness", "acme-admin", "", nil, nil); code != 403 {
		t.Errorf("a manufacturer reading the authority's view: %d", code)
	}
	var got struct {
		Manufacturers []authority.ManufacturerReport `json:"manufacturers"`
	}
	if code := e.do("GET", "/api/v1/authority/timeliness", "bsi", "", nil, &got); code != 200 {
		t.Fatalf("timeliness %d", code)
	}
	by := map[string]authority.ManufacturerReport{}
	for _, m := range got.Manufacturers {
		by[m.Name] = m
	}
	if _, ok := by["BSI"]; ok {
		t.Error("the authority is listed as a manufacturer")
	}
	if _, ok := by["Hidden"]; ok {
		t.Error("a manufacturer that registered nothing with the authority is listed")
	}
	ew := func(name string) authority.Stage {
		m := by[name]
		if len(m.Cases) != 1 || len(m.Cases[0].Stages) == 0 {
			t.Fatalf("%s: %+v", name, m)
		}
		return m.Cases[0].Stages[0]
	}
	if s := ew("Tiny"); s.Outcome != authority.Missed || s.LateMinutes != 60 || !s.Exempt || !strings.Contains(s.Fine, "64(10)(a)") {
		t.Errorf("micro manufacturer, late early warning: %+v", s)
	}
	if s := ew("Mega"); s.Outcome != authority.Missed || s.LateMinutes != 60 || s.Exempt || !strings.Contains(s.Fine, "Art. 64(2)") {
		t.Errorf("large manufacturer, late early warning: %+v", s)
	}
	if s := ew("Globex"); s.Outcome != authority.Open {
		t.Errorf("medium manufacturer, warning not yet due: %+v", s)
	}
	if by["Mega"].Summary.Fineable != 1 || by["Tiny"].Summary.Exempt != 1 || by["Tiny"].Summary.Fineable != 0 {
		t.Errorf("summaries: Mega %+v, Tiny %+v", by["Mega"].Summary, by["Tiny"].Summary)
	}

	var est authority.Estimate
	if code := e.do("POST", "/api/v1/authority/fine-estimate", "bsi", "application/json",
		[]byte(`{"provisions":["Art. 14(4)(a)"],"sizeClass":"micro","turnover":1500000}`), &est); code != 200 || est.Maximum != 0 || est.Lines[0].Exempt == "" {
		t.Errorf("fine estimate, micro firm's late warning: %d %+v", code, est)
	}
	if code := e.do("POST", "/api/v1/authority/fine-estimate", "bsi", "application/json", []byte(`{"provisions":["Article 14"]}`), nil); code != 400 {
		t.Errorf("a provision that does not parse: %d", code)
	}
	if code := e.do("POST", "/api/v1/authority/fine-estimate", "acme-admin", "application/json", []byte(`{"provisions":["Annex I"]}`), nil); code != 403 {
		t.Errorf("a manufacturer estimating fines: %d", code)
	}
}

// An authority opens an Art. 54 procedure about a product, sets a period for corrective action,
// takes provisional measures, and the three-month objection window runs in its calendar; a step
// out of order is refused, and another authority or a manufacturer sees nothing of it.
func TestAuthorityProcedure(t *testing.T) {
	var clock atomic.Pointer[time.Time]
	set := func(v time.Time) { clock.Store(&v) }
	set(time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC))
	e := newEnv(t, func(c *Config) { c.Now = func() time.Time { return *clock.Load() } })
	bsi, err := e.st.OrganizationByName(t.Context(), "BSI")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.SetEstablishment(t.Context(), bsi.ID, "DE", "", false); err != nil {
		t.Fatal(err)
	}
	var prod app.ProductView
	e.do("POST", "/api/v1/products", "acme-admin", "application/json", jsonBody(map[string]string{"name": "HomeRouter", "category": "router", "craClass": "important-i"}), &prod)
	// A procedure is about a product registered with the authority.
	if code := e.do("POST", "/api/v1/authority/procedures", "bsi", "application/json", jsonBody(map[string]any{"kind": "art54", "product": prod.ID, "title": "x"}), nil); code != 404 {
		t.Errorf("a procedure about an unregistered product: %d", code)
	}
	if code := e.do("POST", "/api/v1/products/"+itoa(prod.ID)+"/registrations", "acme-admin", "application/json", jsonBody(map[string]int64{"authority": bsi.ID}), nil); code != 201 {
		t.Fatalf("register: %d", code)
	}

	if code := e.do("POST", "/api/v1/authority/procedures", "acme-admin", "application/json", jsonBody(map[string]any{"kind": "art54", "product": prod.ID, "title": "x"}), nil); code != 403 {
		t.Errorf("a manufacturer opening a procedure: %d", code)
	}
	if code := e.do("POST", "/api/v1/authority/procedures", "bsi", "application/json", jsonBody(map[string]any{"kind": "art99", "product": prod.ID, "title": "x"}), nil); code != 400 {
		t.Errorf("an unknown kind: %d", code)
	}
	var pr app.ProcedureJSON
	if code := e.do("POST", "/api/v1/authority/procedures", "bsi", "application/json",
		jsonBody(map[string]any{"kind": "art54", "product": prod.ID, "title": "telnet open with default credentials"}), &pr); code != 201 || pr.State != "evaluating" {
		t.Fatalf("open %d %+v", code, pr)
	}
	path := "/api/v1/authority/procedures/" + itoa(pr.ID)
	if code := e.do("POST", path+"/events", "bsi", "application/json", jsonBody(map[string]any{"action": "provisional-measures", "reason": "sale prohibited"}), nil); code != 409 {
		t.Errorf("measures before a finding: %d", code)
	}
	due := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	if code := e.do("POST", path+"/events", "bsi", "application/json", jsonBody(map[string]any{"action": "non-compliant", "due": due, "reason": "Annex I Part I(2)(d)"}), &pr); code != 200 ||
		pr.State != "corrective-action" || len(pr.Clocks) != 1 || !pr.Clocks[0].Ends.Equal(due) {
		t.Fatalf("finding %d %+v", code, pr)
	}
	set(time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC))
	if code := e.do("POST", path+"/events", "bsi", "application/json", jsonBody(map[string]any{"action": "provisional-measures", "reason": "sale prohibited"}), &pr); code != 200 ||
		pr.State != "provisional-measures" || len(pr.Clocks) != 2 || !pr.Clocks[1].Ends.Equal(time.Date(2027, 3, 2, 0, 0, 0, 0, time.FixedZone("CET", 3600))) {
		t.Fatalf("measures %d %+v", code, pr)
	}
	set(time.Date(2027, 3, 2, 0, 0, 1, 0, time.UTC))
	if code := e.do("GET", path, "bsi", "", nil, &pr); code != 200 || pr.State != "deemed-justified" {
		t.Errorf("after the objection window: %d %+v", code, pr)
	}
	if code := e.do("GET", path, "globex-admin", "", nil, nil); code != 403 {
		t.Errorf("a manufacturer reading a procedure: %d", code)
	}
	var list struct{ Items []app.ProcedureJSON }
	if code := e.do("GET", "/api/v1/authority/procedures", "bsi", "", nil, &list); code != 200 || len(list.Items) != 1 || len(list.Items[0].Events) != 3 {
		t.Errorf("list %d %+v", code, list)
	}
	// Every step is in the authority's ledger.
	b, err := e.st.LedgerBundle(t.Context(), bsi.ID, "procedure/"+itoa(pr.ID), false)
	if err != nil || len(b.Entries) != 3 {
		t.Fatalf("ledger statements about the procedure: %v", err)
	}
}
