package web

import (
	"bytes"
	"html/template"
	"io/fs"
	"path"
	"strings"
	"testing"

	"github.com/siegel-oss/siegel/internal/store"
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
	for _, want := range []string{"<title>Sign in &lt;now&gt; · Siegel</title>", `<p class="error" role="alert">Wrong e-mail or password.</p>`, "Your password is set.", `href="/login/oidc"`} {
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
