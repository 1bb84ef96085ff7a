package dossier

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
)

//go:embed templates/dossier.html templates/dossier.css
var templateFS embed.FS

// page is parsed once; the template is fixed at build time, so a parse error is a programming
// error caught by every test.
var page = template.Must(template.New("dossier.html").
	Funcs(template.FuncMap{"placeholder": func() string { return Placeholder }}).
	ParseFS(templateFS, "templates/dossier.html"))

var css = func() template.CSS {
	b, err := templateFS.ReadFile("templates/dossier.css")
	if err != nil {
		panic(err)
	}
	return template.CSS(b)
}()

type htmlPage struct {
	document
	CSS template.CSS
}

// RenderHTML writes document k of the dossier as one self-contained, printable HTML page: the
// style sheet is inline, and there is no script and no external resource (the page's content
// security policy forbids both). Every value from d is escaped.
func RenderHTML(w io.Writer, d Dossier, k Kind) error {
	doc, err := build(d, k)
	if err != nil {
		return err
	}
	// Render to a buffer so a template failure never leaves half a page on w.
	var buf bytes.Buffer
	if err := page.Execute(&buf, htmlPage{document: sanitizeDoc(doc), CSS: css}); err != nil {
		return fmt.Errorf("dossier: render %s as HTML: %w", k, err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("dossier: write %s: %w", k, err)
	}
	return nil
}
