package dossier

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/siegel-oss/siegel/internal/catalog"
)

func fuzzSeeds(f *testing.F) {
	f.Add("HeimRouter", "Müller GmbH", "default password", "req-1", "2026-02-15", "2031-02", false)
	f.Add("<script>alert(1)</script>", `"><img src=x>`, "</td></tr></table>", "x)\\(", "2026-13-40", "9999-99", true)
	f.Add("日本語 🚀\x00\r\n", "\xff\xfe", strings.Repeat("W", 3000), "", "", "", false)
	f.Add("a\nb\nc", "(", ")", "\\", "0001-01-01", "0000-01", true)
}

// fuzzDossier puts the fuzzed strings into every kind of place a user controls: fields,
// paragraphs, list items and the verdict table.
func fuzzDossier(name, maker, reason, req, placed, end string) Dossier {
	d := sample()
	d.Product.Name = name
	d.Manufacturer.Name = maker
	d.Manufacturer.Address = reason
	d.Release.PlacedOnMarket = placed
	d.Release.SupportEnd = end
	d.Standards = append(d.Standards, name)
	d.Verdicts = append(d.Verdicts, catalog.Verdict{Requirement: req, Result: name, Reason: reason, Mandatory: true})
	d.Cases = append(d.Cases, Case{ID: req, Met: []string{name}})
	return d
}

// FuzzRenderHTML checks that no input makes the HTML renderer fail or panic, and that no "<"
// from the input reaches the page unescaped.
func FuzzRenderHTML(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, name, maker, reason, req, placed, end string, _ bool) {
		d := fuzzDossier(name, maker, reason, req, placed, end)
		for _, k := range []Kind{DeclarationOfConformity, TechnicalDocumentation} {
			var h bytes.Buffer
			if err := RenderHTML(&h, d, k); err != nil {
				t.Fatalf("RenderHTML(%s): %v", k, err)
			}
			for _, s := range []string{name, maker, reason, req} {
				// html/template writes every "<" of a value as "&lt;".
				if cs := clean(s); strings.Contains(cs, "<") && strings.Contains(h.String(), cs) {
					t.Fatalf("%s: input %q appears unescaped", k, s)
				}
			}
		}
	})
}

// FuzzRenderPDF checks that no input makes the PDF renderer fail or panic.
func FuzzRenderPDF(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, name, maker, reason, req, placed, end string, declaration bool) {
		d := fuzzDossier(name, maker, reason, req, placed, end)
		k := TechnicalDocumentation
		if declaration {
			k = DeclarationOfConformity
		}
		if err := RenderPDF(io.Discard, d, k); err != nil {
			t.Fatalf("RenderPDF(%s): %v", k, err)
		}
	})
}
