package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/siegel-oss/siegel/internal/portfolio"
	"github.com/siegel-oss/siegel/internal/server/app"
)

// portfolioEnv: six manufacturers (ACME, Globex and Maker 3-6), each with one router release
// whose SBOM holds example-lib 2.3.0 (named by CVE-2026-1001 in the fixtures); the releases
// of ACME and three others (four manufacturers, below k = 5) also hold pkg:npm/acme-secret.
func portfolioEnv(t *testing.T) (*env, map[string]int64) {
	e := newEnv(t)
	rels := map[string]int64{}
	for i, org := range []string{"ACME", "Globex", "Maker 3", "Maker 4", "Maker 5", "Maker 6"} {
		who := strings.ToLower(strings.ReplaceAll(org, " ", "")) + "-admin"
		if _, ok := e.tokens[who]; !ok {
			o, err := e.st.CreateOrganization(t.Context(), org, "small", false)
			if err != nil {
				t.Fatal(err)
			}
			secret, _, err := e.st.CreateToken(t.Context(), o.ID, "admin", who)
			if err != nil {
				t.Fatal(err)
			}
			e.tokens[who] = secret
		}
		var prod app.ProductView
		if code := e.do("POST", "/api/v1/products", who, "application/json", jsonBody(map[string]string{"name": "Router " + org, "category": "router"}), &prod); code != 201 {
			t.Fatalf("product of %s: %d", org, code)
		}
		var rel app.ReleaseView
		if code := e.do("POST", "/api/v1/products/"+itoa(prod.ID)+"/releases", who, "application/json",
			jsonBody(map[string]any{"version": "1.0", "supportEnd": "2031-12", "devicesOnMarket": (i + 1) * 1000}), &rel); code != 201 || rel.DevicesOnMarket == nil || *rel.DevicesOnMarket != int64((i+1)*1000) {
			t.Fatalf("release of %s: %d %+v", org, code, rel)
		}
		extra := ""
		if i < 4 {
			extra = `,{"bom-ref":"secret","type":"library","name":"acme-secret","version":"1.0.0","purl":"pkg:npm/acme-secret@1.0.0"}`
		}
		doc := strings.Replace(uploadCDX, `"components":[`, `"components":[`+strings.TrimPrefix(extra, ",")+map[bool]string{true: ",", false: ""}[extra != ""], 1)
		if code := e.do("POST", "/api/v1/releases/"+itoa(rel.ID)+"/sboms", who, "application/json", []byte(doc), nil); code != 201 {
			t.Fatalf("upload of %s: %d", org, code)
		}
		rels[org] = rel.ID
	}
	e.drain()
	return e, rels
}

// registerWith registers the products of the named manufacturers' releases with the authority
// BSI, as the manufacturers would (CRA Chapter V): an authority's where-used reads those only.
func registerWith(t *testing.T, e *env, rels map[string]int64, orgs ...string) {
	t.Helper()
	ctx := t.Context()
	bsi, err := e.st.OrganizationByName(ctx, "BSI")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range orgs {
		rel, err := e.st.Release(ctx, rels[name])
		if err != nil {
			t.Fatal(err)
		}
		o, err := e.st.OrganizationByName(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.st.RegisterProduct(ctx, o.ID, rel.Product, bsi.ID, "test"); err != nil {
			t.Fatal(err)
		}
	}
}

func TestWhereUsedAPI(t *testing.T) {
	e, rels := portfolioEnv(t)
	var res portfolio.Result
	// A manufacturer sees its own releases only; an authority those of the products registered
	// with it, of any manufacturer, and nothing of a product that was not.
	if code := e.do("GET", "/api/v1/where-used?purl="+url.QueryEscape("pkg:pypi/example-lib"), "acme-admin", "", nil, &res); code != 200 || res.Total != 1 || res.Items[0].ReleaseID != rels["ACME"] {
		t.Errorf("ACME's where-used: %d %+v", code, res)
	}
	if code := e.do("GET", "/api/v1/where-used?purl="+url.QueryEscape("pkg:pypi/example-lib@2.3.0"), "bsi", "", nil, &res); code != 200 || res.Total != 0 {
		t.Errorf("the authority's where-used before any registration: %d %+v", code, res)
	}
	registerWith(t, e, rels, "Globex", "Maker 3")
	if code := e.do("GET", "/api/v1/where-used?purl="+url.QueryEscape("pkg:pypi/example-lib@2.3.0"), "bsi", "", nil, &res); code != 200 || res.Total != 2 ||
		len(res.Items) != 2 || res.Items[0].ReleaseID != rels["Globex"] || res.Items[1].ReleaseID != rels["Maker 3"] {
		t.Errorf("the authority's where-used after two registrations: %d %+v", code, res)
	}
	if code := e.do("GET", "/api/v1/where-used?advisory=CVE-2026-1001", "bsi", "", nil, &res); code != 200 || res.Total != 2 {
		t.Errorf("the authority's advisory where-used: %d %+v", code, res)
	}
	registerWith(t, e, rels, "ACME", "Maker 4", "Maker 5", "Maker 6")
	if code := e.do("GET", "/api/v1/where-used?purl="+url.QueryEscape("pkg:pypi/example-lib@2.3.0"), "bsi", "", nil, &res); code != 200 || res.Total != 6 {
		t.Errorf("the authority's where-used: %d %+v", code, res)
	}
	// The monitor matched the uploads: the findings in force come with each occurrence.
	if len(res.Items) == 0 || len(res.Items[0].Findings) == 0 || res.Items[0].Findings[0].Vulnerability == "" {
		t.Errorf("occurrence without its findings: %+v", res.Items)
	}
	if code := e.do("GET", "/api/v1/where-used?purl="+url.QueryEscape("pkg:pypi/example-lib")+"&range="+url.QueryEscape(">=2.4.1"), "bsi", "", nil, &res); code != 200 || res.Total != 0 {
		t.Errorf("outside the range: %d %+v", code, res)
	}
	if code := e.do("GET", "/api/v1/where-used?advisory=CVE-2026-1001&limit=2", "bsi", "", nil, &res); code != 200 || res.Total != 6 || len(res.Items) != 2 || res.Items[0].FindingStatus != portfolio.FindingOpen {
		t.Errorf("advisory: %d %+v", code, res)
	}
	for _, q := range []string{"", "?purl=pkg:pypi/x&advisory=CVE-1", "?purl=pkg:pypi/x&range=%3E%3E1", "?purl=pkg:pypi/x&limit=-1", "?advisory=CVE-1999-0001"} {
		if code := e.do("GET", "/api/v1/where-used"+q, "acme-admin", "", nil, nil); code != 400 {
			t.Errorf("where-used%s: %d, want 400", q, code)
		}
	}
	if code := e.do("GET", "/api/v1/where-used?purl=pkg:pypi/x", "", "", nil, nil); code != 401 {
		t.Errorf("without a token: %d", code)
	}
}

func TestReleaseDevicesAPI(t *testing.T) {
	e, rels := portfolioEnv(t)
	path := "/api/v1/releases/" + itoa(rels["ACME"]) + "/devices"
	var rel app.ReleaseView
	if code := e.do("PUT", path, "acme-admin", "application/json", []byte(`{"devicesOnMarket":500}`), &rel); code != 200 || *rel.DevicesOnMarket != 500 {
		t.Errorf("set devices: %d %+v", code, rel)
	}
	if code := e.do("PUT", path, "acme-admin", "application/json", []byte(`{"devicesOnMarket":null}`), &rel); code != 200 || rel.DevicesOnMarket != nil {
		t.Errorf("unknown devices: %d %+v", code, rel)
	}
	if e.do("GET", "/api/v1/releases/"+itoa(rels["ACME"]), "acme-admin", "", nil, &rel); rel.DevicesOnMarket != nil {
		t.Errorf("unknown read back as %d", *rel.DevicesOnMarket)
	}
	for who, want := range map[string]int{"acme-ro": 403, "globex-admin": 404, "bsi": 404} { // an authority sees only registered products
		if code := e.do("PUT", path, who, "application/json", []byte(`{"devicesOnMarket":1}`), nil); code != want {
			t.Errorf("%s: %d, want %d", who, code, want)
		}
	}
	if code := e.do("PUT", path, "acme-admin", "application/json", []byte(`{"devicesOnMarket":-1}`), nil); code != 400 {
		t.Errorf("negative devices: %d", code)
	}
}

// The inventory is for authorities and their auditors, and a component of fewer than k
// manufacturers appears in none of its forms.
func TestInventoryAPI(t *testing.T) {
	e, _ := portfolioEnv(t)
	bsi, _ := e.st.OrganizationByName(t.Context(), "BSI")
	acme, _ := e.st.OrganizationByName(t.Context(), "ACME")
	for name, org := range map[string]int64{"bsi-auditor": bsi.ID, "acme-auditor": acme.ID} {
		secret, _, err := e.st.CreateToken(t.Context(), org, "auditor", name)
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[name] = secret
	}
	for who, want := range map[string]int{"acme-admin": 403, "acme-ro": 403, "acme-auditor": 403, "bsi": 200, "bsi-auditor": 200} {
		if code := e.do("GET", "/api/v1/inventory", who, "", nil, nil); code != want {
			t.Errorf("inventory as %s: %d, want %d", who, code, want)
		}
	}
	var inv portfolio.Inventory
	if code := e.do("GET", "/api/v1/inventory", "bsi", "", nil, &inv); code != 200 || inv.K != 5 || len(inv.Components) != 2 {
		t.Fatalf("inventory: %d %+v", code, inv)
	}
	for _, c := range inv.Components {
		if c.PURL == "pkg:pypi/example-lib" && (c.Manufacturers != 6 || c.Devices != 21000 || c.Direct != 6 || c.MemorySafety != portfolio.MemorySafe || c.Health != "unknown") {
			t.Errorf("example-lib: %+v", c)
		}
	}
	if inv.DeviceDependencies != 42000 {
		t.Errorf("device dependencies %d, want 42000 (two components in six releases of 21000 devices)", inv.DeviceDependencies)
	}
	for _, f := range []string{"json", "csv", "cyclonedx", "cyclonedx&all=true"} {
		code, body := e.raw("GET", "/api/v1/inventory?format="+f, "bsi", "", nil)
		if code != 200 || strings.Contains(string(body), "acme-secret") || !strings.Contains(string(body), "example-lib") {
			t.Errorf("%s: %d\n%s", f, code, body)
		}
	}
	// k may be raised, never lowered.
	if code := e.do("GET", "/api/v1/inventory?k=4", "bsi", "", nil, nil); code != 400 {
		t.Errorf("k lowered: %d", code)
	}
	if code := e.do("GET", "/api/v1/inventory?k=7", "bsi", "", nil, &inv); code != 200 || len(inv.Components) != 0 || inv.DeviceDependencies != 0 {
		t.Errorf("k = 7: %d %+v", code, inv)
	}
	// Where-used is not a way around k for a manufacturer: it sees its own releases only.
	var res portfolio.Result
	if e.do("GET", "/api/v1/where-used?purl=pkg:npm/acme-secret", "globex-admin", "", nil, &res); res.Total != 1 {
		t.Errorf("Globex's where-used of acme-secret: %+v", res)
	}
}

func TestPortfolioPages(t *testing.T) {
	e, rels := portfolioEnv(t)
	acme, _ := e.st.OrganizationByName(t.Context(), "ACME")
	bsi, _ := e.st.OrganizationByName(t.Context(), "BSI")
	if _, err := e.st.CreateUser(t.Context(), acme.ID, "psirt@acme.example", "correct horse battery", "psirt"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.CreateUser(t.Context(), bsi.ID, "market@bsi.example", "another long password", "authority"); err != nil {
		t.Fatal(err)
	}
	login := func(email, password string) *browser {
		b := e.browser(t)
		if code, _, _ := b.post("/login", url.Values{"email": {email}, "password": {password}}); code != http.StatusSeeOther {
			t.Fatalf("login %s: %d", email, code)
		}
		return b
	}
	b := login("psirt@acme.example", "correct horse battery")
	if _, page, _ := b.get("/"); !strings.Contains(page, `action="/where-used"`) {
		t.Error("the portfolio has no where-used search box")
	}
	code, page, _ := b.get("/where-used?purl=" + url.QueryEscape("pkg:pypi/example-lib"))
	txt := text(t, page)
	if code != 200 || !strings.Contains(txt, "1 release contains pkg:pypi/example-lib") || !strings.Contains(page, fmt.Sprintf(`href="/releases/%d"`, rels["ACME"])) ||
		strings.Contains(txt, "Globex") || !strings.Contains(txt, "Your organisation's releases are searched") {
		t.Errorf("where-used page %d:\n%s", code, txt)
	}
	if code, page, _ := b.get("/where-used?purl=pkg:pypi/x&range=%3E%3E"); code != 400 || !strings.Contains(text(t, page), "constraint") {
		t.Errorf("bad range page %d: %s", code, text(t, page))
	}
	if code, _, _ := b.get("/inventory"); code != 403 {
		t.Errorf("a manufacturer's inventory page: %d", code)
	}
	// Devices from the release page's form.
	if code, _, _ := b.post(fmt.Sprintf("/releases/%d/devices", rels["ACME"]), url.Values{"devicesOnMarket": {"750"}}); code != http.StatusSeeOther {
		t.Errorf("devices form: %d", code)
	}
	if _, page, _ := b.get(fmt.Sprintf("/releases/%d", rels["ACME"])); !strings.Contains(text(t, page), "devices on the market: 750") {
		t.Errorf("release page after the devices form:\n%s", text(t, page))
	}
	if code, _, _ := b.post(fmt.Sprintf("/releases/%d/devices", rels["ACME"]), url.Values{"devicesOnMarket": {"many"}}); code != 400 {
		t.Errorf("devices form with words: %d", code)
	}

	a := login("market@bsi.example", "another long password")
	code, page, _ = a.get("/inventory")
	txt = text(t, page)
	if code != 200 || !strings.Contains(txt, "pkg:pypi/example-lib") || strings.Contains(page, "acme-secret") || !strings.Contains(txt, "at least 5 manufacturers") {
		t.Errorf("inventory page %d:\n%s", code, txt)
	}
	code, csv, h := a.get("/inventory/export?format=csv")
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") || strings.Contains(csv, "acme-secret") || !strings.Contains(csv, "pkg:pypi/example-lib,6,6,6,") {
		t.Errorf("CSV export %d:\n%s", code, csv)
	}
	registerWith(t, e, rels, "ACME", "Globex", "Maker 3")
	if code, page, _ := a.get("/where-used?advisory=CVE-2026-1001"); code != 200 || !strings.Contains(text(t, page), "3 releases contain") ||
		!strings.Contains(text(t, page), "registered with your authority") {
		t.Errorf("the authority's advisory search %d:\n%s", code, text(t, page))
	}
}
