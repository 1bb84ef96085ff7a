package server

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/siegel-oss/siegel/internal/server/api"
	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/store"
	"github.com/siegel-oss/siegel/internal/vulndb"
	"github.com/siegel-oss/siegel/internal/vulndb/vulndbtest"
)

// TestReleasePagePaged: a release with 166 findings is shown 50 at a time, sorted in the
// database by the column chosen, with links to the other pages that keep the order.
func TestReleasePagePaged(t *testing.T) {
	e := newEnv(t)
	var prod app.ProductView
	e.do("POST", "/api/v1/products", "acme-admin", "application/json", jsonBody(map[string]string{"name": "Gateway", "category": "router"}), &prod)
	rel := e.addRelease(prod.ID, "1.0", "")
	var fs []store.Finding
	for i := range 166 {
		id := fmt.Sprintf("CVE-2026-%04d", 1000+i)
		data := fmt.Sprintf(`{"id":%q,"package":{"name":"zlib","version":"1.2.13","purl":"pkg:generic/zlib@1.2.13"},"severity":"MEDIUM","score":%d}`, id, i%10)
		fs = append(fs, store.Finding{Vulnerability: id, PURL: "pkg:generic/zlib@1.2.13", Severity: "MEDIUM", Score: float64(i % 10), Data: []byte(data)})
	}
	if _, err := e.st.ApplyFindings(t.Context(), rel.ID, nil, fs, nil); err != nil {
		t.Fatal(err)
	}
	b := e.loggedIn(t, "psirt@acme.example", "psirt")
	ids := regexp.MustCompile(`/findings/(CVE-2026-\d{4})\?`)
	seen := map[string]bool{}
	path := "/releases/" + itoa(rel.ID) + "?sort=id"
	pages := 0
	for path != "" {
		code, page, _ := b.get(path)
		if code != 200 {
			t.Fatalf("%s: %d", path, code)
		}
		pages++
		got := ids.FindAllStringSubmatch(page, -1)
		if len(got) > 50 {
			t.Fatalf("page %d shows %d findings", pages, len(got))
		}
		for i, m := range got {
			if seen[m[1]] {
				t.Errorf("%s shown twice", m[1])
			}
			seen[m[1]] = true
			if i > 0 && got[i-1][1] > m[1] {
				t.Errorf("sort=id: %s before %s", got[i-1][1], m[1])
			}
		}
		if pages == 1 && (!strings.Contains(text(t, page), "Findings 1–50 of 166") || !strings.Contains(page, `href="/releases/`+itoa(rel.ID)+`?reverse=true&amp;sort=id#findings"`)) {
			t.Errorf("first page: %s", text(t, page))
		}
		next := regexp.MustCompile(`<a href="([^"]+)" rel="next">`).FindStringSubmatch(page)
		path = ""
		if next != nil {
			path = strings.ReplaceAll(next[1], "&amp;", "&")
			if !strings.Contains(path, "sort=id") {
				t.Errorf("next page loses the order: %s", path)
			}
		}
	}
	if pages != 4 || len(seen) != 166 {
		t.Errorf("%d pages, %d findings seen", pages, len(seen))
	}
	if code, _, _ := b.get("/releases/" + itoa(rel.ID) + "?sort=nonsense"); code != 200 {
		t.Errorf("unknown sort on the page: %d", code)
	}
}

// TestFindingPageDetails: the finding page shows the advisory's summary, details, references and
// CWE ids from the vulnerability database, and the source of the severity; comments are added on
// it (an empty one is refused on the page).
func TestFindingPageDetails(t *testing.T) {
	// The fixture's GHSA record, with the details, references and CWE ids GitHub publishes.
	src := t.TempDir()
	entries, _ := os.ReadDir(filepath.Join(vulndbtest.Dir(), "osv"))
	for _, en := range entries {
		data, err := os.ReadFile(filepath.Join(vulndbtest.Dir(), "osv", en.Name()))
		if err != nil || en.IsDir() {
			continue
		}
		if en.Name() == "GHSA-aaaa-1111-xxxx.json" {
			data = []byte(strings.Replace(string(data), `"summary":`, `"details": "Archive members named with ../ are written outside the target directory.",
 "references": [{"type": "ADVISORY", "url": "https://github.com/advisories/GHSA-aaaa-1111-xxxx"}, {"type": "FIX", "url": "https://example.org/examplelib/commit/1"}],
 "database_specific": {"cwe_ids": ["CWE-22"]},
 "summary":`, 1))
		}
		os.WriteFile(filepath.Join(src, en.Name()), data, 0o644)
	}
	vdir := t.TempDir()
	db, err := vulndb.Open(t.Context(), vdir, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ImportOSVPath(t.Context(), src, vulndbtest.Now, nil); err != nil {
		t.Fatal(err)
	}
	db.Close()
	e := newEnv(t, func(c *Config) { c.VulnDB = vdir })
	var prod app.ProductView
	e.do("POST", "/api/v1/products", "acme-admin", "application/json", jsonBody(map[string]string{"name": "HomeRouter", "category": "router"}), &prod)
	rel := e.addRelease(prod.ID, "4.2.0", uploadCDX)
	b := e.loggedIn(t, "psirt@acme.example", "psirt")
	findingPath := "/releases/" + itoa(rel.ID) + "/findings/CVE-2026-1001?purl=" + url.QueryEscape("pkg:pypi/example-lib@2.3.0")
	code, page, _ := b.get(findingPath)
	pt := text(t, page)
	for _, want := range []string{"Path traversal in examplelib archive extraction", "Archive members named with ../ are written outside the target directory.",
		"CWE-22", "ADVISORY: https://github.com/advisories/GHSA-aaaa-1111-xxxx", "FIX: https://example.org/examplelib/commit/1", "severity from CVSS_V3"} {
		if !strings.Contains(pt, want) {
			t.Errorf("finding page lacks %q (%d):\n%s", want, code, pt)
		}
	}
	var det api.AdvisoryDetailsJSON
	if code := e.do("GET", "/api/v1/vulnerabilities/GHSA-aaaa-1111-xxxx", "acme-ro", "", nil, &det); code != 200 || len(det.CWEs) != 1 || len(det.References) != 2 {
		t.Errorf("advisory details API: %d %+v", code, det)
	}
	commentPath := "/releases/" + itoa(rel.ID) + "/findings/CVE-2026-1001/comments"
	code, page, _ = b.post(commentPath, url.Values{"purl": {"pkg:pypi/example-lib@2.3.0"}, "body": {"   "}})
	if code != http.StatusBadRequest || !strings.Contains(text(t, page), "Comment not saved: the comment is empty") {
		t.Errorf("empty comment: %d %s", code, text(t, page))
	}
	if code, _, _ = b.post(commentPath, url.Values{"purl": {"pkg:pypi/example-lib@2.3.0"}, "body": {"Extraction is only used on signed bundles."}}); code != http.StatusSeeOther {
		t.Errorf("comment: %d", code)
	}
	if _, page, _ = b.get(findingPath); !strings.Contains(text(t, page), "psirt@acme.example, 2026-11-22 12:00 UTC Extraction is only used on signed bundles.") {
		t.Errorf("comment not shown: %s", text(t, page))
	}
}

// TestWebCorrections: the product and release correction pages, SBOM removal and the search page.
func TestWebCorrections(t *testing.T) {
	e := newEnv(t)
	var prod app.ProductView
	e.do("POST", "/api/v1/products", "acme-admin", "application/json", jsonBody(map[string]string{"name": "HomeRoutr", "category": "router"}), &prod)
	rel := e.addRelease(prod.ID, "4.2.0", uploadCDX)
	ro := e.loggedIn(t, "auditor@acme.example", "read-only")
	if code, _, _ := ro.post("/products/"+itoa(prod.ID)+"/edit", url.Values{"name": {"X"}, "reason": {"x"}}); code != http.StatusForbidden {
		t.Errorf("read-only user corrects a product: %d", code)
	}
	b := e.loggedIn(t, "psirt@acme.example", "psirt")
	code, page, _ := b.post("/products/"+itoa(prod.ID)+"/edit", url.Values{"name": {"HomeRouter"}, "category": {"router"}, "craClass": {"important-i"}})
	if code != http.StatusBadRequest || !strings.Contains(text(t, page), "a correction needs a reason") || !strings.Contains(page, `value="HomeRouter"`) {
		t.Errorf("correction without a reason: %d %s", code, text(t, page))
	}
	if code, _, _ := b.post("/products/"+itoa(prod.ID)+"/edit", url.Values{"name": {"HomeRouter"}, "category": {"router"}, "craClass": {"important-i"}, "reason": {"typo"}}); code != http.StatusSeeOther {
		t.Errorf("correct product: %d", code)
	}
	if _, page, _ := b.get("/products/" + itoa(prod.ID)); !strings.Contains(text(t, page), "HomeRouter") || !strings.Contains(text(t, page), "CRA class important-i") {
		t.Errorf("product page after the correction: %s", text(t, page))
	}
	_, page, _ = b.get("/releases/" + itoa(rel.ID) + "/edit")
	m := regexp.MustCompile(`/sboms/(\d+)/remove`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no SBOM to remove on %s", text(t, page))
	}
	if code, page, _ := b.post("/releases/"+itoa(rel.ID)+"/sboms/"+m[1]+"/remove", url.Values{}); code != http.StatusBadRequest || !strings.Contains(text(t, page), "needs a reason") {
		t.Errorf("removal without a reason: %d", code)
	}
	if code, _, _ := b.post("/releases/"+itoa(rel.ID)+"/sboms/"+m[1]+"/remove", url.Values{"reason": {"wrong file"}}); code != http.StatusSeeOther {
		t.Errorf("removal: %d", code)
	}
	e.drain()
	if _, page, _ := b.get("/releases/" + itoa(rel.ID)); !strings.Contains(text(t, page), "No SBOM uploaded yet") {
		t.Errorf("release page after the removal: %s", text(t, page))
	}
	if _, page, _ := b.get("/search?q=CVE-2026-1001"); !strings.Contains(text(t, page), "1 finding of CVE-2026-1001") {
		t.Errorf("search page: %s", text(t, page))
	}
	// The release itself, entered by mistake, is removed.
	if code, _, _ := b.post("/releases/"+itoa(rel.ID)+"/remove", url.Values{}); code != http.StatusBadRequest {
		t.Errorf("release removal without a reason: %d", code)
	}
	code, _, h := b.post("/releases/"+itoa(rel.ID)+"/remove", url.Values{"reason": {"entered under the wrong product"}})
	if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/products/"+itoa(prod.ID)) {
		t.Errorf("release removal: %d %s", code, h.Get("Location"))
	}
	if code, _, _ := b.get("/releases/" + itoa(rel.ID)); code != http.StatusNotFound {
		t.Errorf("removed release page: %d", code)
	}
}
