package server

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/siegel-oss/siegel/internal/csaf/csaftest"
	"github.com/siegel-oss/siegel/internal/server/api"
	"github.com/siegel-oss/siegel/internal/server/app"
)

// assessed is the publisher's CVSS assessment of CVE-2026-2002, whose OSV record has none.
const assessed = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"

// fixedCDX is uploadCDX one version of example.com/web later: v1.9.3 is outside the range
// GO-2026-4001 (CVE-2026-2002) affects (introduced 0, fixed 1.9.3).
var fixedCDX = strings.ReplaceAll(uploadCDX, "v1.9.2", "v1.9.3")

// releaseWithSBOM creates a product (name given) or uses prod, adds a release to it and uploads
// an SBOM of it.
func (e *env) releaseWithSBOM(prod *app.ProductView, release map[string]string, sbom string) app.ReleaseView {
	e.t.Helper()
	if prod.ID == 0 {
		e.do("POST", "/api/v1/products", "acme-admin", "application/json", jsonBody(map[string]string{"name": prod.Name}), prod)
	}
	var rel app.ReleaseView
	e.do("POST", "/api/v1/products/"+itoa(prod.ID)+"/releases", "acme-admin", "application/json", jsonBody(release), &rel)
	e.do("POST", "/api/v1/releases/"+itoa(rel.ID)+"/sboms", "acme-admin", "application/json", []byte(sbom), nil)
	return rel
}

// partII4 evaluates a release against the CRA catalog and returns the verdict of Annex I
// Part II (4): fixed vulnerabilities are disclosed.
func (e *env) partII4(rel int64) app.VerdictView {
	e.t.Helper()
	var ev app.EvaluationView
	if code := e.do("GET", "/api/v1/releases/"+itoa(rel)+"/conformity?standard=cra", "acme-admin", "", nil, &ev); code != 200 {
		e.t.Fatalf("conformity %d", code)
	}
	for _, v := range ev.Verdicts {
		if v.Requirement == "cra/annex-i/part-ii/4" {
			return v
		}
	}
	e.t.Fatalf("no verdict on Annex I Part II (4) in %+v", ev.Verdicts)
	return app.VerdictView{}
}

// A release that ships the fixed version of a vulnerable package has no finding of its own, yet
// it fixed the vulnerability: the advisory lists it as fixed with a vendor_fix naming it and its
// date (CSAF 3.2.3.12), the release carries its CRA Art. 13(9) keep-available date, and Annex I
// Part II (4) fails until an advisory disclosing the fix is published.
func TestAdvisoryNamesTheFixingRelease(t *testing.T) {
	const base = "https://siegel.acme.example"
	e := newEnv(t, func(c *Config) { c.BaseURL = base })
	prod := app.ProductView{Name: "HomeRouter"}
	old := e.releaseWithSBOM(&prod, map[string]string{"version": "4.2.0", "placedOnMarket": "2026-03-02", "supportEnd": "2031-12"}, uploadCDX)
	fixed := e.releaseWithSBOM(&prod, map[string]string{"version": "4.3.0", "placedOnMarket": "2026-10-05", "supportEnd": "2031-12"}, fixedCDX)
	e.drain()

	// Before: the fix is not disclosed.
	if v := e.partII4(fixed.ID); v.Result != "fail" || !strings.Contains(v.Reason, "CVE-2026-2002") {
		t.Errorf("Part II (4) before the advisory: %s %q", v.Result, v.Reason)
	}
	if v := e.partII4(old.ID); v.Result != "pass" {
		t.Errorf("Part II (4) of the affected release: %s %q", v.Result, v.Reason)
	}

	// The database has no CVSS v3 vector for it: the publisher states the severity (Part II (4)).
	code, body := e.raw("POST", "/api/v1/products/"+itoa(prod.ID)+"/advisories", "acme-admin", "application/json", jsonBody(map[string]string{"vulnerability": "CVE-2026-2002"}))
	if code != http.StatusUnprocessableEntity || !strings.Contains(string(body), "give your assessment as a CVSS:3.1 vector") {
		t.Errorf("publish without a severity: %d %s", code, body)
	}
	code, body = e.raw("POST", "/api/v1/products/"+itoa(prod.ID)+"/advisories", "acme-admin", "application/json", jsonBody(map[string]string{"vulnerability": "CVE-2026-2002", "cvss": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"}))
	if code != http.StatusUnprocessableEntity || !strings.Contains(string(body), "CSAF 2.0 takes CVSS v3.0 or v3.1") {
		t.Errorf("publish with a CVSS v4 vector: %d %s", code, body)
	}
	var adv api.AdvisoryJSON
	if code := e.do("POST", "/api/v1/products/"+itoa(prod.ID)+"/advisories", "acme-admin", "application/json",
		jsonBody(map[string]string{"vulnerability": "CVE-2026-2002", "cvss": assessed}), &adv); code != 201 {
		t.Fatalf("publish %d", code)
	}
	resp, err := http.Get(e.srv.URL + "/.well-known/csaf/white/2026/acme-sa-2026-0001.json")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("advisory: %v %v", err, resp)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var doc struct {
		Document struct {
			Notes      []struct{ Category, Title, Text string }
			References []struct{ Category, URL string }
		}
		Vulnerabilities []struct {
			ProductStatus map[string][]string `json:"product_status"`
			Remediations  []struct {
				Category, Details, Date string
				ProductIDs              []string `json:"product_ids"`
			}
			Scores []struct{ Products []string }
		}
	}
	if err := json.Unmarshal(data, &doc); err != nil || len(doc.Vulnerabilities) != 1 {
		t.Fatalf("advisory %v: %s", err, data)
	}
	v := doc.Vulnerabilities[0]
	// CSAFPID-0001 is 4.2.0, CSAFPID-0002 is 4.3.0 (oldest first).
	if got := v.ProductStatus; len(got["known_affected"]) != 1 || got["known_affected"][0] != "CSAFPID-0001" || len(got["fixed"]) != 1 || got["fixed"][0] != "CSAFPID-0002" {
		t.Errorf("product status %v", got)
	}
	if len(v.Remediations) != 1 || v.Remediations[0].Category != "vendor_fix" || v.Remediations[0].ProductIDs[0] != "CSAFPID-0001" ||
		v.Remediations[0].Details != "Update to HomeRouter 4.3.0 (released 2026-10-05) or later: it fixes the vulnerability." || v.Remediations[0].Date != "2026-10-05T00:00:00Z" {
		t.Errorf("remediations %+v", v.Remediations)
	}
	if strings.Contains(string(data), "No fix is available") {
		t.Errorf("the advisory says there is no fix: %s", data)
	}
	for _, s := range v.Scores {
		if strings.Contains(strings.Join(s.Products, ","), "CSAFPID-0002") {
			t.Errorf("the fixed release is scored (CSAF 6.2.19): %+v", v.Scores)
		}
	}
	if r := doc.Document.References; len(r) != 1 || r[0].Category != "self" || r[0].URL != base+"/.well-known/csaf/white/2026/acme-sa-2026-0001.json" {
		t.Errorf("canonical URL %+v", r)
	}
	// CRA Art. 13(9): ten years after 2026-10-05 is later than the support end 2031-12.
	if !strings.Contains(string(data), "HomeRouter 4.3.0 (released 2026-10-05) is a security update: it remains available to users until at least 2036-10-05") {
		t.Errorf("no keep-available note: %+v", doc.Document.Notes)
	}

	// What the server wrote passes BSI's validator: the advisory, and the CSAF VEX of both releases,
	// where the affected one scores the vulnerability with the advisory's assessment (6.2.3).
	if code := e.do("PUT", "/api/v1/releases/"+itoa(old.ID)+"/findings/CVE-2026-2002/vex", "acme-admin", "application/json",
		jsonBody(map[string]string{"purl": "pkg:golang/example.com/web@v1.9.2", "status": "affected", "action": "Update to 4.3.0."}), nil); code != 200 {
		t.Fatalf("triage %d", code)
	}
	files := map[string][]byte{"advisory.json": data}
	for _, rel := range []app.ReleaseView{old, fixed} {
		code, vexDoc := e.raw("GET", "/api/v1/releases/"+itoa(rel.ID)+"/vex?format=csaf", "acme-admin", "", nil)
		if code != 200 {
			t.Fatalf("CSAF VEX of %s: %d %s", rel.Version, code, vexDoc)
		}
		files["vex-"+rel.Version+".json"] = vexDoc
	}
	if !strings.Contains(string(files["vex-4.2.0.json"]), assessed) {
		t.Errorf("the CSAF VEX of the affected release has no score: %s", files["vex-4.2.0.json"])
	}
	csaftest.New(t).Valid(t, files)

	var got app.ReleaseView
	if e.do("GET", "/api/v1/releases/"+itoa(fixed.ID), "acme-admin", "", nil, &got); got.KeepAvailableUntil != "2036-10-05" {
		t.Errorf("API: the fixing release's keep-available date %q", got.KeepAvailableUntil)
	}

	// After: the published advisory discloses the fix.
	if v := e.partII4(fixed.ID); v.Result != "pass" {
		t.Errorf("Part II (4) after the advisory: %s %q", v.Result, v.Reason)
	}

	acme, _ := e.st.OrganizationByName(t.Context(), "ACME")
	e.st.CreateUser(t.Context(), acme.ID, "psirt@acme.example", "correct horse battery", "psirt")
	b := e.browser(t)
	b.post("/login", url.Values{"email": {"psirt@acme.example"}, "password": {"correct horse battery"}})
	_, page, _ := b.get("/releases/" + itoa(fixed.ID))
	if pt := text(t, page); !strings.Contains(pt, "Security update: fixes CVE-2026-2002. It must remain available to users until at least 2036-10-05") {
		t.Errorf("release page: %s", pt)
	}
	if _, page, _ = b.get("/releases/" + itoa(old.ID)); strings.Contains(text(t, page), "Security update") {
		t.Errorf("the affected release shown as a security update")
	}
	_, page, _ = b.get("/advisories/" + itoa(adv.ID))
	if pt := text(t, page); !strings.Contains(pt, "Update to HomeRouter 4.3.0 (released 2026-10-05) or later") ||
		!strings.Contains(pt, "remains available to users until at least 2036-10-05") || !strings.Contains(pt, "actively exploited") {
		t.Errorf("advisory page: %s", pt)
	}
}

// Without a configured public address the server neither publishes an advisory nor serves the
// provider: a canonical URL taken from the request's Host header would be the client's choice.
func TestAdvisoryNeedsBaseURL(t *testing.T) {
	e := newEnv(t)
	prod := app.ProductView{Name: "HomeRouter"}
	rel := e.releaseWithSBOM(&prod, map[string]string{"version": "4.2.0", "supportEnd": "2031-12"}, uploadCDX)
	e.drain()
	code, body := e.raw("POST", "/api/v1/products/"+itoa(prod.ID)+"/advisories", "acme-admin", "application/json", jsonBody(map[string]string{"vulnerability": "CVE-2026-2002"}))
	if code != http.StatusServiceUnavailable || !strings.Contains(string(body), "--base-url") {
		t.Errorf("publish without a base URL: %d %s", code, body)
	}
	req, _ := http.NewRequest("GET", e.srv.URL+"/.well-known/csaf/provider-metadata.json", nil)
	req.Host = "attacker.example"
	req.Header.Set("X-Forwarded-Proto", "https")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || strings.Contains(string(data), "attacker.example") || !strings.Contains(string(data), "--base-url") {
		t.Errorf("provider metadata without a base URL: %d %s", resp.StatusCode, data)
	}
	code, body = e.raw("GET", "/api/v1/releases/"+itoa(rel.ID)+"/vex?format=csaf", "acme-admin", "", nil)
	if code == 200 || !strings.Contains(string(body), "--base-url") {
		t.Errorf("CSAF VEX without a base URL: %d %s", code, body)
	}
}
