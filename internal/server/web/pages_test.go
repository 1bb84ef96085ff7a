package web

import (
	"bytes"
	"html"
	"html/template"
	"io/fs"
	"net/url"
	"path"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/match"
	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/store"
	"github.com/siegel-oss/siegel/internal/vulndb"
)

// serverFuncs stand for the functions the server adds on its own types.
var serverFuncs = template.FuncMap{
	"categories":  func() []struct{ ID, Title string } { return nil },
	"productName": func(any, int64) string { return "" },
	"done":        func(any, int) bool { return false },
}

// TestParse: every page parses, every template file belongs to a page, and a template that
// calls a function nobody gave stops the parse with the page's name.
func TestParse(t *testing.T) {
	p, err := Parse(serverFuncs)
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{"layout.html": true}
	for _, own := range pageFiles {
		for _, f := range own {
			used[f] = true
		}
	}
	names, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if !used[path.Base(n)] {
			t.Errorf("%s belongs to no page", n)
		}
	}
	if len(p.sets) != len(pageFiles) {
		t.Errorf("%d pages parsed, want %d", len(p.sets), len(pageFiles))
	}
	if _, err := Parse(nil); err == nil || !strings.Contains(err.Error(), "page ") {
		t.Errorf("Parse without the server's functions: %v, want an error naming the page", err)
	}
}

// TestExecute: a page shows its view model in the frame; a page that fails writes nothing; an
// unknown page is an error.
func TestExecute(t *testing.T) {
	p, err := Parse(serverFuncs)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	v := &struct {
		Layout
		Notice string
		SSO    bool
	}{Layout: Layout{Title: "Sign in <now>", Error: "Wrong e-mail or password."}, Notice: "Your password is set.", SSO: true}
	if err := p.Execute(&buf, "login", v); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<title>Sign in &lt;now&gt; · Siegel</title>", `<p class="error" role="alert" id="page-error">Wrong e-mail or password.</p>`, "Your password is set.", `href="/login/oidc"`} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("the login page lacks %q:\n%s", want, buf.String())
		}
	}
	buf.Reset()
	if err := p.Execute(&buf, "case", &Layout{Title: "no case"}); err == nil || buf.Len() != 0 {
		t.Errorf("a page without its view model: err %v, %d bytes written", err, buf.Len())
	}
	if err := p.Execute(&buf, "nosuchpage", &Layout{}); err == nil {
		t.Error("an unknown page rendered")
	}
}

// TestLayoutFrame: the frame's warnings are read only for a page that has none of its own.
func TestLayoutFrame(t *testing.T) {
	reads := 0
	warn := func() []string { reads++; return []string{"stale"} }
	l := &Layout{User: &store.User{}}
	l.SetFrame(warn, "no https address")
	if !l.SignedIn() || reads != 1 || l.DBWarnings[0] != "stale" || l.NoCSAF != "no https address" {
		t.Errorf("frame %+v after %d reads", l, reads)
	}
	own := &Layout{DBWarnings: []string{}}
	own.SetFrame(warn, "")
	if reads != 1 || own.SignedIn() {
		t.Errorf("a page's own warnings were read again (%d reads)", reads)
	}
}

func TestComponentRows(t *testing.T) {
	got := componentRows([]store.Component{{Name: "<script>", Version: "1&2", PURL: `pkg:npm/"x"`, Direct: true}})
	want := template.HTML("<tr><td>&lt;script&gt;</td><td>1&amp;2</td><td class=\"muted\">pkg:npm/&#34;x&#34;</td><td>yes</td></tr>\n")
	if got != want {
		t.Errorf("componentRows = %q, want %q", got, want)
	}
}

func TestFindingRows(t *testing.T) {
	seen := time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)
	hostile := app.FindingView{
		Finding: match.Finding{
			Identity:   &match.Identity{ID: `GHSA-<x>/"1"`, Summary: `<script>alert(1)</script> & more`},
			Package:    &match.Package{Name: "<b>lib</b>", Version: `1.0"`, PURL: "pkg:npm/%40scope/lib@1.0?a=1&b=2 x"},
			Assessment: &match.Assessment{Severity: `HIGH" onmouseover="x`, Score: 7.55, Source: `<CVSS_V3>`},
			Fixed:      []string{"<1.1>", "1.2"},
			Enrichment: &match.Enrichment{Exploited: &vulndb.Exploitation{}, EPSS: &vulndb.EPSS{Score: 0.12345}},
		},
		FirstSeen: seen,
		VEX:       &app.VEXView{Status: `not_affected"><i>`, InheritedFrom: 7},
	}
	plain := app.FindingView{
		Finding: match.Finding{
			Identity:   &match.Identity{ID: "CVE-2026-1"},
			Package:    &match.Package{Name: "zlib", Version: "1.3", PURL: "pkg:generic/zlib@1.3"},
			Assessment: &match.Assessment{Severity: "UNKNOWN"},
		},
		FirstSeen: seen,
	}
	got := string(findingRows(42, []app.FindingView{hostile, plain}))
	for _, raw := range []string{"<script>", "<b>", "<i>", `" onmouseover`, "<CVSS_V3>", "<1.1>", `GHSA-<x>`} {
		if strings.Contains(got, raw) {
			t.Errorf("unescaped %q in %s", raw, got)
		}
	}
	for _, want := range []string{
		`<span class="tag exploited">exploited</span>`,
		`&lt;script&gt;alert(1)&lt;/script&gt; &amp; more`,
		`title="severity from &lt;CVSS_V3&gt;"`, ` 7.5</span>`, // one decimal, as printf "%.1f" writes it
		`<td>&lt;1.1&gt;</td>`, `<td>0.123</td>`,
		`<span class="vex not_affected&#34;&gt;&lt;i&gt;">`, `<span class="muted inherited">inherited</span>`,
		`<td class="muted">2026-11-03</td>`,
		// the second: unrated, no fix, no EPSS, untriaged
		`<span class="tag UNKNOWN" title="unrated: no source gives a severity">UNKNOWN</span>`, "<td>—</td>", "<td></td>", `<span class="muted">untriaged</span>`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in %s", want, got)
		}
	}
	if n := strings.Count(got, "<tr>"); n != 2 {
		t.Errorf("%d rows, want 2", n)
	}
	// Each link leads to its finding: the id as one path segment, the purl as the query value.
	links := regexp.MustCompile(`<a href="([^"]*)">`).FindAllStringSubmatch(got, -1)
	if len(links) != 2 {
		t.Fatalf("links %q", links)
	}
	for i, f := range []app.FindingView{hostile, plain} {
		u, err := url.Parse(html.UnescapeString(links[i][1]))
		if err != nil {
			t.Fatal(err)
		}
		want := "/releases/42/findings/" + f.ID
		if u.Path != want || u.Query().Get("purl") != f.Package.PURL || len(u.Query()) != 1 {
			t.Errorf("link %q: path %q, purl %q; want %q, %q", links[i][1], u.Path, u.Query().Get("purl"), want, f.Package.PURL)
		}
	}
}
