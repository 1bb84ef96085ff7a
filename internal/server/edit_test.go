package server

import (
	"net/url"
	"strings"
	"testing"

	"github.com/siegel-oss/siegel/internal/server/api"
	"github.com/siegel-oss/siegel/internal/server/app"
)

// addRelease creates a release of prod through the API with an SBOM, and matches it.
func (e *env) addRelease(prod int64, version, sbom string) app.ReleaseView {
	e.t.Helper()
	var rel app.ReleaseView
	if code := e.do("POST", "/api/v1/products/"+itoa(prod)+"/releases", "acme-admin", "application/json",
		jsonBody(map[string]string{"version": version, "placedOnMarket": "2026-03-01", "supportEnd": "2031-12"}), &rel); code != 201 {
		e.t.Fatalf("create release %s: %d", version, code)
	}
	if sbom != "" {
		if code := e.do("POST", "/api/v1/releases/"+itoa(rel.ID)+"/sboms", "acme-admin", "application/json", []byte(sbom), nil); code != 201 {
			e.t.Fatalf("upload SBOM: %d", code)
		}
	}
	e.drain()
	return rel
}

type findingsPage struct {
	Items []app.FindingView `json:"items"`
	Total int               `json:"total"`
}

// TestCorrectionsAPI: products and releases are corrected with a reason (none: 400), the support
// period is checked as on creation, and an SBOM removed or replaced takes its findings with it
// once the release is matched again.
func TestCorrectionsAPI(t *testing.T) {
	e := newEnv(t)
	var prod app.ProductView
	e.do("POST", "/api/v1/products", "acme-admin", "application/json", jsonBody(map[string]string{"name": "HomeRoutr", "category": "router"}), &prod)
	if code := e.do("PUT", "/api/v1/products/"+itoa(prod.ID), "acme-admin", "application/json", jsonBody(map[string]string{"name": "HomeRouter"}), nil); code != 400 {
		t.Errorf("correction without a reason: %d, want 400", code)
	}
	if code := e.do("PUT", "/api/v1/products/"+itoa(prod.ID), "acme-ro", "application/json", jsonBody(map[string]string{"name": "HomeRouter", "reason": "typo"}), nil); code != 403 {
		t.Errorf("read-only token corrects: %d", code)
	}
	if code := e.do("PUT", "/api/v1/products/"+itoa(prod.ID), "globex-admin", "application/json", jsonBody(map[string]string{"name": "HomeRouter", "reason": "typo"}), nil); code != 404 {
		t.Errorf("another organization corrects: %d", code)
	}
	if code := e.do("PUT", "/api/v1/products/"+itoa(prod.ID), "acme-admin", "application/json", jsonBody(map[string]string{"craClass": "very-critical", "reason": "x"}), nil); code != 400 {
		t.Errorf("bad CRA class: %d", code)
	}
	var got app.ProductView
	if code := e.do("PUT", "/api/v1/products/"+itoa(prod.ID), "acme-admin", "application/json", jsonBody(map[string]string{"name": "HomeRouter", "craClass": "important-i", "reason": "typo in the name"}), &got); code != 200 ||
		got.Name != "HomeRouter" || got.CRAClass != "important-i" || got.Category != "router" {
		t.Errorf("correct product: %d %+v", code, got)
	}

	rel := e.addRelease(prod.ID, "4.2.0", uploadCDX)
	var fs findingsPage
	e.do("GET", "/api/v1/releases/"+itoa(rel.ID)+"/findings", "acme-admin", "", nil, &fs)
	if fs.Total == 0 {
		t.Fatal("no findings to follow")
	}
	// A support period under five years without its reasons is refused, as on creation.
	if code, body := e.raw("PUT", "/api/v1/releases/"+itoa(rel.ID), "acme-admin", "application/json", jsonBody(map[string]string{"supportEnd": "2028-01", "reason": "shorter"})); code != 400 || !strings.Contains(string(body), "13(8)") {
		t.Errorf("short support period: %d %s", code, body)
	}
	var rj app.ReleaseView
	if code := e.do("PUT", "/api/v1/releases/"+itoa(rel.ID), "acme-admin", "application/json", jsonBody(map[string]string{"supportEnd": "2034-06", "reason": "support end mistyped"}), &rj); code != 200 ||
		rj.SupportEnd != "2034-06" || rj.Version != "4.2.0" || rj.PlacedOnMarket != "2026-03-01" || !rj.Support.OK || !strings.HasPrefix(rj.Support.Length, "8 years") {
		t.Errorf("correct release: %d %+v", code, rj)
	}
	var audit struct {
		Items []struct{ Action, Detail string } `json:"items"`
	}
	e.do("GET", "/api/v1/audit", "acme-admin", "", nil, &audit)
	if a := audit.Items[0]; a.Action != "release.edit" || a.Detail != `supportEnd "2031-12" -> "2034-06" — reason: support end mistyped` {
		t.Errorf("audit: %+v", audit.Items[0])
	}

	// Replace the SBOM by one without the vulnerable library: its findings are resolved.
	var sboms struct {
		Items []api.SBOMJSON `json:"items"`
	}
	e.do("GET", "/api/v1/releases/"+itoa(rel.ID)+"/sboms", "acme-admin", "", nil, &sboms)
	if len(sboms.Items) != 1 {
		t.Fatalf("SBOMs: %+v", sboms)
	}
	clean := strings.Replace(uploadCDX, `"version":"2.3.0","purl":"pkg:pypi/example-lib@2.3.0"`, `"version":"2.4.1","purl":"pkg:pypi/example-lib@2.4.1"`, 1)
	path := "/api/v1/releases/" + itoa(rel.ID) + "/sboms/" + itoa(sboms.Items[0].ID)
	if code := e.do("PUT", path, "acme-admin", "application/json", []byte(clean), nil); code != 400 && code != 422 {
		t.Errorf("replace without a reason: %d", code)
	}
	if code, body := e.raw("PUT", path+"?reason="+url.QueryEscape("rebuilt with example-lib 2.4.1"), "acme-admin", "application/json", []byte(clean)); code != 201 {
		t.Fatalf("replace: %d %s", code, body)
	}
	e.drain()
	var after findingsPage
	e.do("GET", "/api/v1/releases/"+itoa(rel.ID)+"/findings", "acme-admin", "", nil, &after)
	for _, f := range after.Items {
		if f.Package.PURL == "pkg:pypi/example-lib@2.3.0" {
			t.Errorf("finding of the replaced SBOM still in force: %s", f.ID)
		}
	}
	if after.Total >= fs.Total {
		t.Errorf("findings after the replacement: %d, before %d", after.Total, fs.Total)
	}
	// Remove the remaining SBOM: no component, no finding in force.
	e.do("GET", "/api/v1/releases/"+itoa(rel.ID)+"/sboms", "acme-admin", "", nil, &sboms)
	if code := e.do("POST", "/api/v1/releases/"+itoa(rel.ID)+"/sboms/"+itoa(sboms.Items[0].ID)+"/remove", "acme-admin", "application/json", jsonBody(map[string]string{"reason": ""}), nil); code != 400 {
		t.Errorf("remove without a reason: %d", code)
	}
	if code := e.do("POST", "/api/v1/releases/"+itoa(rel.ID)+"/sboms/"+itoa(sboms.Items[0].ID)+"/remove", "acme-admin", "application/json", jsonBody(map[string]string{"reason": "wrong product"}), nil); code != 200 {
		t.Errorf("remove: %d", code)
	}
	e.drain()
	e.do("GET", "/api/v1/releases/"+itoa(rel.ID)+"/findings", "acme-admin", "", nil, &after)
	if after.Total != 0 {
		t.Errorf("%d findings in force after every SBOM was removed", after.Total)
	}
}

// TestTriageAPI: a decision carries to the next release with the same package version, marked
// with its origin, and can be overridden there; a suppression takes an expiry; comments are kept;
// findings sort and page through the same parameters as the release page; the portfolio search
// finds a vulnerability by an alias.
func TestTriageAPI(t *testing.T) {
	e := newEnv(t)
	var prod app.ProductView
	e.do("POST", "/api/v1/products", "acme-admin", "application/json", jsonBody(map[string]string{"name": "HomeRouter", "category": "router"}), &prod)
	r1 := e.addRelease(prod.ID, "4.2.0", uploadCDX)
	r2 := e.addRelease(prod.ID, "4.3.0", uploadCDX)
	const lib = "pkg:pypi/example-lib@2.3.0"
	vex := "/api/v1/releases/" + itoa(r1.ID) + "/findings/CVE-2026-1001/vex"
	if code, body := e.raw("PUT", vex, "acme-admin", "application/json", jsonBody(map[string]string{"purl": lib, "status": "not_affected"})); code != 400 || !strings.Contains(string(body), "justification") {
		t.Errorf("not_affected without a justification: %d %s", code, body)
	}
	if code, body := e.raw("PUT", vex, "acme-admin", "application/json", jsonBody(map[string]string{"purl": lib, "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path", "expiresAt": "someday"})); code != 400 || !strings.Contains(string(body), "YYYY-MM-DD") {
		t.Errorf("bad expiry: %d %s", code, body)
	}
	if code := e.do("PUT", vex, "acme-admin", "application/json", jsonBody(map[string]string{"purl": lib, "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"}), nil); code != 200 {
		t.Fatalf("triage: %d", code)
	}
	find := func(rel int64, q string) app.FindingView {
		var fs findingsPage
		e.do("GET", "/api/v1/releases/"+itoa(rel)+"/findings?q="+url.QueryEscape(q), "acme-admin", "", nil, &fs)
		for _, f := range fs.Items {
			if f.ID == "CVE-2026-1001" && f.Package.PURL == lib {
				return f
			}
		}
		t.Fatalf("no CVE-2026-1001 in release %d: %+v", rel, fs.Items)
		return app.FindingView{}
	}
	if f := find(r2.ID, "CVE-2026-1001"); f.VEX == nil || f.VEX.Status != "not_affected" || f.VEX.InheritedFrom != r1.ID || f.VEX.Author != "token:acme-admin" {
		t.Errorf("release 4.3.0 does not inherit the decision: %+v", f.VEX)
	}
	b := e.loggedIn(t, "psirt@acme.example", "psirt")
	_, html, _ := b.get("/releases/" + itoa(r2.ID) + "/findings/CVE-2026-1001?purl=" + url.QueryEscape(lib))
	if pt := text(t, html); !strings.Contains(pt, "Status not_affected — vulnerable_code_not_in_execute_path by token:acme-admin") || !strings.Contains(pt, "Inherited from release 4.2.0") {
		t.Errorf("finding page of 4.3.0 does not show the inherited decision: %s", pt)
	}
	if _, html, _ = b.get("/releases/" + itoa(r2.ID)); !strings.Contains(text(t, html), "not_affected inherited") {
		t.Errorf("release page of 4.3.0 does not mark the decision inherited: %s", text(t, html))
	}
	vex2 := "/api/v1/releases/" + itoa(r2.ID) + "/findings/CVE-2026-1001/vex"
	if code := e.do("PUT", vex2, "acme-admin", "application/json", jsonBody(map[string]string{"purl": lib, "status": "affected", "action": "update to 4.3.1", "expiresAt": "2027-01-31"}), nil); code != 200 {
		t.Fatalf("override: %d", code)
	}
	if f := find(r2.ID, "CVE-2026-1001"); f.VEX == nil || f.VEX.Status != "affected" || f.VEX.InheritedFrom != 0 || f.VEX.ExpiresAt == nil || f.VEX.ExpiresAt.Format("2006-01-02 15:04:05") != "2027-01-31 23:59:59" {
		t.Errorf("override: %+v", f.VEX)
	}

	// Comments.
	comments := "/api/v1/releases/" + itoa(r1.ID) + "/findings/CVE-2026-1001/comments"
	if code := e.do("POST", comments, "acme-admin", "application/json", jsonBody(map[string]string{"purl": lib, "body": " "}), nil); code != 400 {
		t.Errorf("empty comment: %d", code)
	}
	if code := e.do("POST", comments, "acme-admin", "application/json", jsonBody(map[string]string{"purl": "pkg:pypi/nothing@1", "body": "x"}), nil); code != 404 {
		t.Errorf("comment on no finding: %d", code)
	}
	if code := e.do("POST", comments, "acme-admin", "application/json", jsonBody(map[string]string{"purl": lib, "body": "The extraction code is not reachable."}), nil); code != 201 {
		t.Errorf("comment: %d", code)
	}
	var cs struct {
		Items []api.CommentJSON `json:"items"`
	}
	if code := e.do("GET", comments+"?purl="+url.QueryEscape(lib), "acme-ro", "", nil, &cs); code != 200 || len(cs.Items) != 1 || cs.Items[0].Author != "token:acme-admin" {
		t.Errorf("comments: %d %+v", code, cs)
	}

	// Sorting and paging.
	var all, page findingsPage
	e.do("GET", "/api/v1/releases/"+itoa(r1.ID)+"/findings?sort=id", "acme-admin", "", nil, &all)
	if all.Total < 2 {
		t.Fatalf("need two findings, have %d", all.Total)
	}
	for i := 1; i < len(all.Items); i++ {
		if all.Items[i-1].ID > all.Items[i].ID {
			t.Errorf("sort=id: %s before %s", all.Items[i-1].ID, all.Items[i].ID)
		}
	}
	e.do("GET", "/api/v1/releases/"+itoa(r1.ID)+"/findings?sort=id&reverse=true&limit=1&offset=0", "acme-admin", "", nil, &page)
	if len(page.Items) != 1 || page.Items[0].ID != all.Items[len(all.Items)-1].ID || page.Total != all.Total {
		t.Errorf("sort=id&reverse=true&limit=1: %+v", page)
	}
	if code := e.do("GET", "/api/v1/releases/"+itoa(r1.ID)+"/findings?sort=severity", "acme-admin", "", nil, nil); code != 400 {
		t.Errorf("unknown sort: %d", code)
	}

	// Search by an alias of the finding's id and by component.
	var res struct {
		Findings struct {
			Total int                 `json:"total"`
			Items []api.SearchHitJSON `json:"items"`
		} `json:"findings"`
		Components struct {
			Total int `json:"total"`
		} `json:"components"`
	}
	if code := e.do("GET", "/api/v1/search?q=ghsa-aaaa-1111-xxxx", "acme-admin", "", nil, &res); code != 200 || res.Findings.Total != 2 {
		t.Errorf("search by alias: %d %+v", code, res)
	}
	if code := e.do("GET", "/api/v1/search?q=example-lib", "acme-admin", "", nil, &res); code != 200 || res.Components.Total != 2 {
		t.Errorf("search by component: %d %+v", code, res)
	}
	if code := e.do("GET", "/api/v1/search?q=example-lib", "globex-admin", "", nil, &res); code != 200 || res.Components.Total != 0 {
		t.Errorf("another organization finds ACME's components: %+v", res)
	}
	if code := e.do("GET", "/api/v1/search?q=", "acme-admin", "", nil, nil); code != 400 {
		t.Errorf("empty search: %d", code)
	}
}

// TestRemoveReleaseAPI: a release entered by mistake is removed with a reason; a triaged one is
// refused with 409.
func TestRemoveReleaseAPI(t *testing.T) {
	e := newEnv(t)
	var prod app.ProductView
	e.do("POST", "/api/v1/products", "acme-admin", "application/json", jsonBody(map[string]string{"name": "HomeRouter", "category": "router"}), &prod)
	wrong := e.addRelease(prod.ID, "4.2.O", uploadCDX)
	kept := e.addRelease(prod.ID, "4.2.0", uploadCDX)
	e.do("PUT", "/api/v1/releases/"+itoa(kept.ID)+"/findings/CVE-2026-1001/vex", "acme-admin", "application/json", jsonBody(map[string]string{"purl": "pkg:pypi/example-lib@2.3.0", "status": "affected"}), nil)
	if code := e.do("POST", "/api/v1/releases/"+itoa(kept.ID)+"/remove", "acme-admin", "application/json", jsonBody(map[string]string{"reason": "x"}), nil); code != 409 {
		t.Errorf("removing a triaged release: %d, want 409", code)
	}
	if code := e.do("POST", "/api/v1/releases/"+itoa(wrong.ID)+"/remove", "acme-ro", "application/json", jsonBody(map[string]string{"reason": "x"}), nil); code != 403 {
		t.Errorf("read-only token removes: %d", code)
	}
	if code := e.do("POST", "/api/v1/releases/"+itoa(wrong.ID)+"/remove", "acme-admin", "application/json", jsonBody(map[string]string{"reason": "version mistyped"}), nil); code != 200 {
		t.Errorf("remove: %d", code)
	}
	if code := e.do("GET", "/api/v1/releases/"+itoa(wrong.ID), "acme-admin", "", nil, nil); code != 404 {
		t.Errorf("removed release still served: %d", code)
	}
	var sums struct {
		Items []app.ReleaseView `json:"items"`
	}
	e.do("GET", "/api/v1/products/"+itoa(prod.ID)+"/releases", "acme-admin", "", nil, &sums)
	if len(sums.Items) != 1 || sums.Items[0].ID != kept.ID {
		t.Errorf("releases after the removal: %+v", sums.Items)
	}
}
