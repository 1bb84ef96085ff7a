// Package web is the browser pages: their handlers (Site, whose Routes the server registers), one
// view model per page, the sign-in (password, second factor, single sign-on, login throttle), and
// their presentation: the templates and static files, embedded in the binary and parsed at
// start-up, and the frame (layout.html) that every page's view model fills. A page reaches its
// template only through Pages.Execute. What the pages share with the JSON API is in package app.
package web

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"strings"
)

//go:embed templates/*.html static/*
var files embed.FS

// Static is the static files (the style sheet and the favicon), served under /static/.
func Static() fs.FS {
	static, err := fs.Sub(files, "static")
	if err != nil {
		panic(err) // the directory is embedded above
	}
	return static
}

// pageFiles names each page's templates after the frame: its own, and those it shares with
// another page (finding_more.html: a finding's details and the findings' pager).
var pageFiles = map[string][]string{
	"account":        {"account.html"},
	"advisories":     {"advisories.html"},
	"advisory":       {"advisory.html"},
	"authority":      {"authority.html"},
	"case":           {"case.html"},
	"cases":          {"cases.html"},
	"conformity":     {"conformity.html"},
	"finding":        {"finding.html", "finding_more.html"},
	"firmware":       {"firmware.html"},
	"inventory":      {"inventory.html"},
	"invite":         {"invite.html"},
	"job":            {"job.html"},
	"label":          {"label.html"},
	"label_decision": {"label_decision.html"},
	"login":          {"login.html"},
	"notifications":  {"notifications.html"},
	"organization":   {"organization.html"},
	"portfolio":      {"portfolio.html"},
	"product":        {"product.html"},
	"product_edit":   {"edit_product.html"},
	"register":       {"register.html"},
	"release":        {"release.html", "finding_more.html"},
	"release_edit":   {"edit_release.html"},
	"rollout":        {"rollout.html"},
	"rollouts":       {"rollouts.html"},
	"search":         {"search.html"},
	"secondfactor":   {"secondfactor.html"},
	"status":         {"status.html"},
	"tokens":         {"tokens.html"},
	"users":          {"users.html"},
	"whereused":      {"whereused.html"},
}

// baseFuncs are the template functions on plain values.
var baseFuncs = template.FuncMap{
	"list":       func(v ...string) []string { return v },
	"upper":      strings.ToUpper,
	"join":       strings.Join,
	"inc":        func(i int) int { return i + 1 },
	"mul100":     func(f float64) float64 { return f * 100 },
	"components": componentRows,
	"findings":   findingRows,
	"json": func(v any) string {
		b, _ := json.MarshalIndent(v, "", "  ")
		return string(b)
	},
}

// Pages is every page's parsed templates: the frame and the page's own, one set per page.
type Pages struct {
	sets map[string]*template.Template
}

// Parse parses every page's templates. funcs are the template functions on the server's own
// types (they are added to those of this package); a template that does not parse is an error,
// so a broken page stops the server's start, not a request.
func Parse(funcs template.FuncMap) (*Pages, error) {
	all := template.FuncMap{}
	for k, f := range baseFuncs {
		all[k] = f
	}
	for k, f := range funcs {
		all[k] = f
	}
	p := &Pages{sets: map[string]*template.Template{}}
	for name, own := range pageFiles {
		paths := []string{"templates/layout.html"}
		for _, f := range own {
			paths = append(paths, "templates/"+f)
		}
		t, err := template.New(name).Funcs(all).ParseFS(files, paths...)
		if err != nil {
			return nil, fmt.Errorf("page %s: %w", name, err)
		}
		p.sets[name] = t
	}
	return p, nil
}

// Execute writes page, showing its view model v in the frame, to w. The page is executed into
// a buffer first: a template that fails writes nothing.
func (p *Pages) Execute(w io.Writer, page string, v View) error {
	t, ok := p.sets[page]
	if !ok {
		return fmt.Errorf("no page %q", page)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		return fmt.Errorf("page %s: %w", page, err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}
