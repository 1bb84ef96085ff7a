package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/vulndb"
)

// emptyVulnDB replaces the server's vulnerability database with one that holds nothing, as
// after the README's first run before any update.
func emptyVulnDB(t *testing.T) func(*Config) {
	return func(c *Config) {
		if err := os.Remove(filepath.Join(c.VulnDB, "vulndb.sqlite")); err != nil {
			t.Fatal(err)
		}
		db, err := vulndb.Open(t.Context(), c.VulnDB, true)
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
}

// TestReleaseAgainstEmptyDatabase is the regression test of a release matched against an empty
// database, which the release page called free of known vulnerabilities: the API's findings say
// that nothing was checked, the page says so beside a banner, and the portfolio does too.
func TestReleaseAgainstEmptyDatabase(t *testing.T) {
	e := newEnv(t, emptyVulnDB(t))
	var prod app.ProductView
	e.do("POST", "/api/v1/products", "acme-admin", "application/json", jsonBody(map[string]string{"name": "HomeRouter"}), &prod)
	var rel app.ReleaseView
	e.do("POST", "/api/v1/products/"+itoa(prod.ID)+"/releases", "acme-admin", "application/json", jsonBody(map[string]string{"version": "1", "supportEnd": "2031-12"}), &rel)
	r := "/api/v1/releases/" + itoa(rel.ID)
	if code := e.do("POST", r+"/sboms", "acme-admin", "application/json", []byte(uploadCDX), nil); code != 201 {
		t.Fatalf("upload %d", code)
	}
	e.drain()
	var fs struct {
		Total    int
		Coverage *struct {
			Components, Checked, NotChecked, Advisories int
			Warnings                                    []string
		}
		Summary map[string]int
	}
	if code := e.do("GET", r+"/findings", "acme-admin", "", nil, &fs); code != 200 {
		t.Fatalf("findings %d", code)
	}
	if fs.Total != 0 || fs.Coverage == nil || fs.Coverage.Components == 0 || fs.Coverage.Checked != 0 ||
		fs.Coverage.NotChecked != fs.Coverage.Components || fs.Coverage.Advisories != 0 ||
		!strings.Contains(strings.Join(fs.Coverage.Warnings, "\n"), "holds no advisories") {
		t.Errorf("findings of a release matched against nothing: %+v %+v", fs, fs.Coverage)
	}

	b := psirtBrowser(t, e)
	_, page, _ := b.get("/releases/" + itoa(rel.ID))
	pageText := text(t, page)
	if strings.Contains(pageText, "No known vulnerabilities") {
		t.Errorf("release page calls an unchecked release clean: %s", pageText)
	}
	for _, want := range []string{
		"Vulnerability database: the vulnerability database holds no advisories: nothing was checked",
		"components were not checked: no finding can be known for them",
		"Database: OSV missing · KEV missing · EPSS missing · EUVD missing",
	} {
		if !strings.Contains(pageText, want) {
			t.Errorf("release page lacks %q: %s", want, pageText)
		}
	}
	_, page, _ = b.get("/")
	if pageText := text(t, page); !strings.Contains(pageText, "1 no findings 0 of 2 components 2 not checked") {
		t.Errorf("portfolio: %s", pageText)
	}
}

// TestFindingsSayWhereTheSeverityCameFrom: the API's findings name the source of each severity,
// count the unrated ones, and state the coverage of a release matched against the fixtures.
func TestFindingsSayWhereTheSeverityCameFrom(t *testing.T) {
	e := newEnv(t)
	var prod app.ProductView
	e.do("POST", "/api/v1/products", "acme-admin", "application/json", jsonBody(map[string]string{"name": "HomeRouter"}), &prod)
	var rel app.ReleaseView
	e.do("POST", "/api/v1/products/"+itoa(prod.ID)+"/releases", "acme-admin", "application/json", jsonBody(map[string]string{"version": "1", "supportEnd": "2031-12"}), &rel)
	r := "/api/v1/releases/" + itoa(rel.ID)
	if code := e.do("POST", r+"/sboms", "acme-admin", "application/json", []byte(uploadCDX), nil); code != 201 {
		t.Fatalf("upload %d", code)
	}
	e.drain()
	var fs struct {
		Items []struct {
			ID, Severity, SeveritySource, SeverityFrom string
		}
		Coverage *struct{ Components, Checked, NotChecked, Advisories int }
		Summary  map[string]int
	}
	if code := e.do("GET", r+"/findings", "acme-admin", "", nil, &fs); code != 200 {
		t.Fatalf("findings %d", code)
	}
	got := map[string]string{}
	for _, f := range fs.Items {
		got[f.ID] = f.Severity + " " + f.SeveritySource + " " + f.SeverityFrom
	}
	if got["CVE-2026-1001"] != "CRITICAL CVSS_V3 GHSA-aaaa-1111-xxxx" || got["CVE-2026-2002"] != "UNKNOWN  " {
		t.Errorf("severities %q", got)
	}
	if fs.Summary["unrated"] != 1 || fs.Summary["critical"] != 1 || fs.Summary["total"] != 2 {
		t.Errorf("summary %v", fs.Summary)
	}
	if c := fs.Coverage; c == nil || c.Checked == 0 || c.Advisories == 0 || c.Checked+c.NotChecked != c.Components {
		t.Errorf("coverage %+v", c)
	}
}

// TestMatchingBetweenReads commits a release's matching between each two reads of its findings
// page and of the API's findings: neither may then call the release free of known
// vulnerabilities, whichever read the matching falls behind. (Read in the order list, pending,
// coverage, the list came from before the matching and the rest from after it.)
func TestMatchingBetweenReads(t *testing.T) {
	for _, step := range []string{"pending", "coverage", "findings", "portfolio", "product"} {
		t.Run(step, func(t *testing.T) {
			for _, web := range []bool{false, true} {
				if (step == "portfolio" || step == "product") && !web {
					continue
				}
				e := newEnv(t)
				prod := app.ProductView{Name: "HomeRouter"}
				rel := e.releaseWithSBOM(&prod, map[string]string{"version": "1", "supportEnd": "2031-12"}, uploadCDX)
				r := "/api/v1/releases/" + itoa(rel.ID)
				var b *browser
				if web {
					b = psirtBrowser(t, e)
				}
				matched := false
				e.server.OnRead = func(s string) {
					if s == step && !matched {
						matched = true
						e.drain()
					}
				}
				switch {
				case step == "portfolio" || step == "product":
					path := "/"
					hook := e.server.OnRead
					e.server.OnRead = nil
					if step == "product" {
						path = "/products/" + itoa(prod.ID)
						if _, page, _ := b.get(path); !strings.Contains(text(t, page), "not matched") || strings.Contains(text(t, page), "no findings") {
							t.Errorf("the product page of a release not matched yet: %s", text(t, page))
						}
					}
					e.server.OnRead = hook
					if _, page, _ := b.get(path); strings.Contains(text(t, page), "no findings") {
						t.Errorf("matching after the %s read: %s shows no findings: %s", step, path, text(t, page))
					}
				case web:
					_, page, _ := b.get("/releases/" + itoa(rel.ID))
					if pageText := text(t, page); strings.Contains(pageText, "No known vulnerabilities") || strings.Contains(pageText, "No findings among") {
						t.Errorf("matching after the %s read: the release page shows no findings: %s", step, pageText)
					}
				default:
					var fs struct {
						Total    int
						Matching bool
						Coverage *struct{ Checked int }
					}
					if code := e.do("GET", r+"/findings", "acme-admin", "", nil, &fs); code != 200 {
						t.Fatalf("findings %d", code)
					}
					if fs.Total == 0 && !fs.Matching && fs.Coverage != nil {
						t.Errorf("matching after the %s read: the API says %d components were checked and nothing found, matching done", step, fs.Coverage.Checked)
					}
				}
				if !matched {
					t.Fatalf("no read named %q", step)
				}
				e.server.OnRead = nil
				var after struct{ Total int }
				e.do("GET", r+"/findings", "acme-admin", "", nil, &after)
				if after.Total == 0 {
					t.Fatal("the fixture SBOM has no findings: the test proves nothing")
				}
			}
		})
	}
}

// TestConformityNeedsACompleteMatching: the CRA's "no known exploitable vulnerabilities"
// requirement (Annex I Part I (2)(a)) passed for a release whose SBOM was never matched, or was
// matched against a database that held nothing; a label then rested on a check that did not
// happen. It passes only once a matching with advisories and the KEV catalogue checked every
// component.
func TestConformityNeedsACompleteMatching(t *testing.T) {
	verdict := func(e *env, rel int64) (string, string) {
		t.Helper()
		var ev struct {
			Verdicts []struct{ Requirement, Result, Reason string }
		}
		if code := e.do("GET", "/api/v1/releases/"+itoa(rel)+"/conformity", "acme-admin", "", nil, &ev); code != 200 {
			t.Fatalf("conformity %d", code)
		}
		for _, v := range ev.Verdicts {
			if v.Requirement == "cra/annex-i/part-i/2/a" {
				return v.Result, v.Reason
			}
		}
		t.Fatal("no verdict for Annex I Part I (2)(a)")
		return "", ""
	}
	setUp := func(e *env) int64 {
		return e.releaseWithSBOM(&app.ProductView{Name: "HomeRouter"}, map[string]string{"version": "1", "supportEnd": "2031-12"}, uploadCDX).ID
	}

	e := newEnv(t, emptyVulnDB(t))
	rel := setUp(e)
	if res, reason := verdict(e, rel); res == "pass" || !strings.Contains(reason, "has not been matched") {
		t.Errorf("before matching: %s %q", res, reason)
	}
	e.drain()
	if res, reason := verdict(e, rel); res == "pass" || !strings.Contains(reason, "held no advisories") {
		t.Errorf("matched against an empty database: %s %q", res, reason)
	}

	e = newEnv(t)
	rel = setUp(e)
	e.drain()
	res, reason := verdict(e, rel)
	t.Logf("matched against the fixtures: %s %q", res, reason)
	if strings.Contains(reason, "has not been matched") || strings.Contains(reason, "held no advisories") {
		t.Errorf("a complete matching still counts as missing: %s %q", res, reason)
	}
}
