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

// TestReleasePageComponentsEscaped: the component table, written apart from the template engine,
// shows names, versions and purls as text: markup in them is never markup on the page.
func TestReleasePageComponentsEscaped(t *testing.T) {
	e := newEnv(t)
	rel := e.newProductRelease("HomeRouter", "1.0")
	hostile := store.Component{Ref: "x", Name: `<script>alert("x")</script>`, Version: `1.0'&"`, PURL: `pkg:npm/%3Cb%3E@1.0+<i>`, Direct: true}
	if _, err := e.st.AddSBOM(t.Context(), rel, store.SBOMContent{Format: "cyclonedx-json", SHA256: "aa", Components: []store.Component{hostile}}); err != nil {
		t.Fatal(err)
	}
	b := e.loggedIn(t, "psirt@acme.example", "psirt")
	code, page, _ := b.get("/releases/" + itoa(rel))
	if code != http.StatusOK {
		t.Fatalf("release page: %d", code)
	}
	for _, raw := range []string{"<script>alert", "<i>", `1.0'&"`} {
		if strings.Contains(page, raw) {
			t.Errorf("the page holds %q unescaped", raw)
		}
	}
	want := `<tr><td>&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;</td><td>1.0&#39;&amp;&#34;</td><td class="muted">pkg:npm/%3Cb%3E@1.0+&lt;i&gt;</td><td>yes</td></tr>`
	if !strings.Contains(page, want) {
		t.Errorf("component row missing; want %s", want)
	}
}
