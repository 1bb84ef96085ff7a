package dossier

import (
	"bytes"
	"testing"
)

// BenchmarkRenderPDF renders the technical documentation of a release with 150 verdicts.
func BenchmarkRenderPDF(b *testing.B) {
	d := sample()
	d.Verdicts = manyVerdicts(150)
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := RenderPDF(&buf, d, TechnicalDocumentation); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "pdf-bytes")
}

// BenchmarkRenderHTML renders the same document as HTML.
func BenchmarkRenderHTML(b *testing.B) {
	d := sample()
	d.Verdicts = manyVerdicts(150)
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := RenderHTML(&buf, d, TechnicalDocumentation); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "html-bytes")
}
