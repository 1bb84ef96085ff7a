package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/siegel-oss/siegel/internal/match"
	"github.com/siegel-oss/siegel/internal/store"
)

// TestReleasePageFindingWithoutFeeds: a finding no feed says anything about (no KEV, EUVD or
// EPSS entry: most of them) is listed on the release page; its EPSS cell stays empty.
func TestReleasePageFindingWithoutFeeds(t *testing.T) {
	e := newEnv(t)
	rel := e.newProductRelease("HomeRouter", "1.0")
	pkg := &match.Package{Ref: "lib", Name: "example-lib", Version: "2.3.0", PURL: "pkg:pypi/example-lib@2.3.0", Ecosystem: "PyPI", Lookup: "example-lib"}
	plain, _ := json.Marshal(match.Finding{Identity: &match.Identity{ID: "CVE-2026-7001", Records: []string{"PYSEC-2026-7001"}}, Package: pkg,
		Assessment: &match.Assessment{Severity: "HIGH", Score: 7.5, Source: "CVSS_V3"}})
	if _, err := e.st.ApplyFindings(t.Context(), rel, nil, []store.Finding{{Vulnerability: "CVE-2026-7001", PURL: pkg.PURL, Severity: "HIGH", Score: 7.5, Data: plain}}, nil); err != nil {
		t.Fatal(err)
	}
	b := e.loggedIn(t, "psirt@acme.example", "psirt")
	code, page, _ := b.get("/releases/" + itoa(rel))
	if code != http.StatusOK || !strings.Contains(page, "CVE-2026-7001") {
		t.Fatalf("release page: %d, finding listed: %v", code, strings.Contains(page, "CVE-2026-7001"))
	}
}
