package server

import (
	"strings"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/authority/icsms"
	"github.com/siegel-oss/siegel/internal/cra"
	"github.com/siegel-oss/siegel/internal/server/api"
	"github.com/siegel-oss/siegel/internal/server/app"
)

// addAuthority makes a second market surveillance authority with a token named who.
func (e *env) addAuthority(name, who string) int64 {
	e.t.Helper()
	o, err := e.st.CreateOrganization(e.t.Context(), name, "large", true)
	if err != nil {
		e.t.Fatal(err)
	}
	secret, _, err := e.st.CreateToken(e.t.Context(), o.ID, "authority", who)
	if err != nil {
		e.t.Fatal(err)
	}
	e.tokens[who] = secret
	return o.ID
}

func (e *env) orgID(name string) int64 {
	e.t.Helper()
	o, err := e.st.OrganizationByName(e.t.Context(), name)
	if err != nil {
		e.t.Fatal(err)
	}
	return o.ID
}

// productWithRelease creates a product of who's organization and a release with an SBOM and a
// declared number of devices on the market.
func (e *env) productWithRelease(who, name, category, class string, devices int64) (int64, int64) {
	e.t.Helper()
	var prod app.ProductView
	if code := e.do("POST", "/api/v1/products", who, "application/json", jsonBody(map[string]string{"name": name, "category": category, "craClass": class}), &prod); code != 201 {
		e.t.Fatalf("create product %s: %d", name, code)
	}
	var rel app.ReleaseView
	if code := e.do("POST", "/api/v1/products/"+itoa(prod.ID)+"/releases", who, "application/json",
		jsonBody(map[string]any{"version": "1.0.0", "placedOnMarket": "2026-03-01", "supportEnd": "2031-12", "devicesOnMarket": devices}), &rel); code != 201 {
		e.t.Fatalf("create release: %d", code)
	}
	if code := e.do("POST", "/api/v1/releases/"+itoa(rel.ID)+"/sboms", who, "application/json", []byte(uploadCDX), nil); code != 201 {
		e.t.Fatalf("upload %d", code)
	}
	return prod.ID, rel.ID
}

type viewList struct {
	Items []app.ViewProductJSON `json:"items"`
}

// An authority sees a product only once its manufacturer registered it there, and then its
// scoped view: never the named components; another authority sees nothing of it, and a
// manufacturer never sees the authority's view or another manufacturer's registrations.
func TestAuthorityScopedView(t *testing.T) {
	e := newEnv(t)
	anssi := e.addAuthority("ANSSI", "anssi")
	bsi := e.orgID("BSI")
	prod, rel := e.productWithRelease("acme-admin", "HomeRouter", "router", "important-ii", 12000)
	p := "/api/v1/authority/products/" + itoa(prod)

	var list viewList
	if code := e.do("GET", "/api/v1/authority/products", "bsi", "", nil, &list); code != 200 || len(list.Items) != 0 {
		t.Fatalf("before registration: %d %+v", code, list)
	}
	if code := e.do("GET", p, "bsi", "", nil, nil); code != 404 {
		t.Errorf("an unregistered product: %d, want 404", code)
	}
	reg := func(who string, authority int64) int {
		return e.do("POST", "/api/v1/products/"+itoa(prod)+"/registrations", who, "application/json", jsonBody(map[string]int64{"authority": authority}), nil)
	}
	for _, tc := range []struct {
		who       string
		authority int64
		want      int
	}{
		{"acme-ro", bsi, 403},                  // a read-only token registers nothing
		{"globex-admin", bsi, 404},             // another manufacturer's product
		{"bsi", bsi, 404},                      // the authority cannot pull in a product it does not see
		{"acme-admin", e.orgID("Globex"), 400}, // not an authority
		{"acme-admin", 99999, 404},
		{"acme-admin", bsi, 201},
		{"acme-admin", bsi, 409},
	} {
		if code := reg(tc.who, tc.authority); code != tc.want {
			t.Errorf("%s registers with %d: %d, want %d", tc.who, tc.authority, code, tc.want)
		}
	}

	// An incident of the product with an early warning an hour late (CRA Art. 14(4)(a): 24 hours).
	ctx := t.Context()
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

	code, raw := e.raw("GET", p, "bsi", "", nil)
	if code != 200 {
		t.Fatalf("view %d %s", code, raw)
	}
	for _, name := range []string{"example-lib", "example.com/web", "pkg:pypi"} {
		if strings.Contains(string(raw), name) {
			t.Errorf("the authority's view names a component (%s) outside a case", name)
		}
	}
	var v app.ViewProductJSON
	e.do("GET", p, "bsi", "", nil, &v)
	if v.CRAClass != "important-ii" || !v.ConformityRoute.Known || v.Manufacturer.Name != "ACME" || v.Manufacturer.SizeClass != "medium" {
		t.Errorf("product: %+v", v)
	}
	if len(v.Releases) != 1 || v.Releases[0].SupportEnd != "2031-12" || v.Releases[0].DevicesOnMarket == nil || *v.Releases[0].DevicesOnMarket != 12000 {
		t.Fatalf("releases: %+v", v.Releases)
	}
	if a := v.Releases[0].Components; a.Components != 2 || a.Direct != 1 || a.Ecosystems["pypi"] != 1 || a.Ecosystems["golang"] != 1 {
		t.Errorf("component aggregate: %+v", a)
	}
	if len(v.Cases) != 1 || v.Cases[0].Submitted[cra.EarlyWarning] != time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) || !v.Cases[0].AwareAt.Equal(c.AwareAt) {
		t.Fatalf("cases: %+v", v.Cases)
	}
	if s := v.Cases[0].Stages[0]; s.Stage != cra.EarlyWarning || s.LateMinutes != 60 || s.Exempt {
		t.Errorf("early warning of a medium manufacturer an hour late (Art. 14(4)(a), fineable under Art. 64(2)): %+v", s)
	}
	if v.Ledger.Size == 0 || v.Ledger.Origin == "" {
		t.Errorf("ledger checkpoint: %+v", v.Ledger)
	}

	if code := e.do("GET", "/api/v1/authority/products", "anssi", "", nil, &list); code != 200 || len(list.Items) != 0 {
		t.Errorf("another authority sees %d products", len(list.Items))
	}
	if code := e.do("GET", p, "anssi", "", nil, nil); code != 404 {
		t.Errorf("another authority reads the registered product: %d", code)
	}
	for _, who := range []string{"acme-admin", "globex-admin"} {
		if code := e.do("GET", p, who, "", nil, nil); code != 403 {
			t.Errorf("%s reads the authority's view: %d", who, code)
		}
	}
	var regs struct {
		Items []api.RegistrationJSON `json:"items"`
	}
	if e.do("GET", "/api/v1/registrations", "globex-admin", "", nil, &regs); len(regs.Items) != 0 {
		t.Errorf("Globex sees registrations: %+v", regs.Items)
	}
	if e.do("GET", "/api/v1/registrations", "acme-admin", "", nil, &regs); len(regs.Items) != 1 || regs.Items[0].Authority != bsi {
		t.Errorf("ACME's registrations: %+v", regs.Items)
	}
	if e.do("GET", "/api/v1/registrations", "anssi", "", nil, &regs); len(regs.Items) != 0 {
		t.Errorf("ANSSI's registrations: %+v", regs.Items)
	}
	_ = anssi
	_ = rel
}

// The Art. 58(1) checklist is filled from what the manufacturer stored; a fact it did not
// record is never passed.
func TestAuthorityChecklist(t *testing.T) {
	e := newEnv(t)
	bsi := e.orgID("BSI")
	n := 0
	check := func(class string, record map[string]any) map[string]icsms.Check {
		t.Helper()
		n++
		prod, rel := e.productWithRelease("acme-admin", "P"+itoa(int64(n)), "router", class, 5)
		if record != nil {
			if code := e.do("PUT", "/api/v1/releases/"+itoa(rel)+"/market-record", "acme-admin", "application/json", jsonBody(record), nil); code != 200 {
				t.Fatalf("market record: %d", code)
			}
		}
		if code := e.do("POST", "/api/v1/products/"+itoa(prod)+"/registrations", "acme-admin", "application/json", jsonBody(map[string]int64{"authority": bsi}), nil); code != 201 {
			t.Fatalf("register: %d", code)
		}
		var v app.ViewProductJSON
		if code := e.do("GET", "/api/v1/authority/products/"+itoa(prod), "bsi", "", nil, &v); code != 200 {
			t.Fatalf("view %d", code)
		}
		out := map[string]icsms.Check{}
		for _, c := range v.Releases[0].Checklist {
			out[c.Item] = c
		}
		return out
	}
	const (
		ce, doc, nb, docs, support, contact = "CE marking", "EU declaration of conformity", "notified body identification number",
			"technical documentation", "technical documentation: support period", "technical documentation: vulnerability contact"
	)
	type want struct{ known, ok bool }
	for _, tc := range []struct {
		name   string
		class  string
		record map[string]any
		want   map[string]want
	}{
		// Nothing recorded: CE marking (Art. 58(1)(a)), the declaration (58(1)(c)) and the
		// documentation (58(1)(f)) are unknown, not passed; a class II product needs a notified
		// body (Art. 32(3)) and has no number; no contact (Annex I Part II(5)) is a finding.
		{"nothing recorded", "important-ii", nil, map[string]want{ce: {false, false}, doc: {false, false}, nb: {true, false}, docs: {false, false},
			support: {true, true}, contact: {true, false}}},
		// Everything recorded and in order (Art. 58(1)(a)-(f)).
		{"complete", "important-ii", map[string]any{"ceMarking": true, "declaration": true, "notifiedBody": "0123", "technicalDocs": true, "disclosureContact": "psirt@acme.example"},
			map[string]want{ce: {true, true}, doc: {true, true}, nb: {true, true}, docs: {true, true}, support: {true, true}, contact: {true, true}}},
		// A recorded "no" is a finding of Art. 58(1)(a); a null stays unknown.
		{"no CE marking", "default", map[string]any{"ceMarking": false, "declaration": nil, "technicalDocs": true, "disclosureContact": "https://acme.example/psirt"},
			map[string]want{ce: {true, false}, doc: {false, false}, nb: {true, true}, docs: {true, true}, contact: {true, true}}},
		// Class I: whether a notified body is needed depends on harmonised standards applied in
		// full (Art. 32(2)), which is not recorded: without a number the item is unknown.
		{"class I without number", "important-i", map[string]any{"ceMarking": true}, map[string]want{nb: {false, false}}},
		{"class I with number", "important-i", map[string]any{"ceMarking": true, "notifiedBody": "2345"}, map[string]want{nb: {true, true}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := check(tc.class, tc.record)
			for item, w := range tc.want {
				if c := got[item]; c.Known != w.known || c.OK != w.ok {
					t.Errorf("%s: %+v, want known %v ok %v", item, c, w.known, w.ok)
				}
			}
		})
	}
	_, rel := e.productWithRelease("acme-admin", "Bad", "router", "default", 1)
	for _, bad := range []map[string]any{{"notifiedBody": "12"}, {"disclosureContact": "call us"}, {"disclosureContact": "http://acme.example"}} {
		if code := e.do("PUT", "/api/v1/releases/"+itoa(rel)+"/market-record", "acme-admin", "application/json", jsonBody(bad), nil); code != 400 {
			t.Errorf("%v: %d, want 400", bad, code)
		}
	}
	if code := e.do("PUT", "/api/v1/releases/"+itoa(rel)+"/market-record", "globex-admin", "application/json", jsonBody(map[string]any{"ceMarking": true}), nil); code != 404 {
		t.Errorf("another manufacturer's release: %d", code)
	}
}

// The Art. 60 sweep ranks the categories of the registered products by exploited
// vulnerabilities × fan-in × devices on the market, from the stored findings.
func TestAuthoritySweep(t *testing.T) {
	e := newEnv(t)
	bsi := e.orgID("BSI")
	router, _ := e.productWithRelease("acme-admin", "HomeRouter", "router", "important-i", 1000)
	camera, _ := e.productWithRelease("globex-admin", "Cam", "camera", "default", 10)
	plug, _ := e.productWithRelease("globex-admin", "Plug", "smart-plug", "default", 500000)
	e.drain()
	var out struct {
		Ranks []struct {
			Category            string
			Score               float64
			Products, Exploited int
			Devices             int64
		} `json:"ranks"`
	}
	if code := e.do("GET", "/api/v1/authority/sweep", "bsi", "", nil, &out); code != 200 || len(out.Ranks) != 0 {
		t.Fatalf("nothing registered: %d %+v", code, out)
	}
	for _, r := range []struct {
		who  string
		prod int64
	}{{"acme-admin", router}, {"globex-admin", camera}} {
		if code := e.do("POST", "/api/v1/products/"+itoa(r.prod)+"/registrations", r.who, "application/json", jsonBody(map[string]int64{"authority": bsi}), nil); code != 201 {
			t.Fatalf("register %d", code)
		}
	}
	if code := e.do("GET", "/api/v1/authority/sweep", "bsi", "", nil, &out); code != 200 || len(out.Ranks) != 2 {
		t.Fatalf("sweep %d %+v", code, out)
	}
	// One exploited component, in both registered products: fan-in 2. The plug is not
	// registered and counts for nothing, not even in the fan-in.
	if r := out.Ranks[0]; r.Category != "router" || r.Score != 1000*2 || r.Exploited != 1 || r.Devices != 1000 {
		t.Errorf("first: %+v", r)
	}
	if r := out.Ranks[1]; r.Category != "camera" || r.Score != 10*2 || r.Exploited != 1 {
		t.Errorf("second: %+v", r)
	}
	if code := e.do("GET", "/api/v1/authority/sweep", "acme-admin", "", nil, nil); code != 403 {
		t.Errorf("a manufacturer runs a sweep: %d", code)
	}
	_ = plug
}
