package dossier

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/testtool"

	"github.com/siegel-oss/siegel/internal/catalog"
)

func renderPDF(t testing.TB, d Dossier, k Kind) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := RenderPDF(&buf, d, k); err != nil {
		t.Fatalf("RenderPDF(%s): %v", k, err)
	}
	return buf.Bytes()
}

func TestPDFHeaderAndTrailer(t *testing.T) {
	for _, k := range []Kind{DeclarationOfConformity, TechnicalDocumentation} {
		b := renderPDF(t, sample(), k)
		if !bytes.HasPrefix(b, []byte("%PDF-")) {
			t.Errorf("%s: starts %q, want %%PDF-", k, b[:min(8, len(b))])
		}
		if !bytes.HasSuffix(bytes.TrimRight(b, "\r\n"), []byte("%%EOF")) {
			t.Errorf("%s: does not end with %%%%EOF", k)
		}
	}
}

func TestPDFDeterministic(t *testing.T) {
	d := sample()
	d.Verdicts = append(d.Verdicts, manyVerdicts(60)...)
	for _, k := range []Kind{DeclarationOfConformity, TechnicalDocumentation} {
		a := renderPDF(t, d, k)
		b := renderPDF(t, d, k)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two renders of the same dossier differ", k)
		}
	}
}

func TestPDFDatesFromGeneratedAt(t *testing.T) {
	d := sample()
	d.GeneratedAt = time.Date(2027, 5, 6, 7, 8, 9, 0, time.FixedZone("CEST", 2*3600))
	b := renderPDF(t, d, DeclarationOfConformity)
	for _, want := range []string{"/CreationDate (D:20270506050809)", "/ModDate (D:20270506050809)"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("PDF lacks %s", want)
		}
	}
	d.GeneratedAt = time.Time{}
	if !bytes.Equal(renderPDF(t, d, DeclarationOfConformity), renderPDF(t, d, DeclarationOfConformity)) {
		t.Error("a dossier without generated-at does not render deterministically")
	}
}

// pdfText extracts the text of a PDF with poppler's pdftotext, skipping the test when the tool
// is missing unless SIEGEL_TEST_FIRMWARE_TOOLS_REQUIRED=1 demands every external tool.
func pdfText(t *testing.T, b []byte) string {
	t.Helper()
	tool := testtool.Path(t, "pdftotext")
	in := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(in, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.CommandContext(t.Context(), tool, "-enc", "UTF-8", in, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, out)
	}
	return string(out)
}

func TestPDFTextExtractable(t *testing.T) {
	d := sample()
	for _, k := range []Kind{DeclarationOfConformity, TechnicalDocumentation} {
		got := pdfText(t, renderPDF(t, d, k))
		for _, want := range []string{"Müller GmbH", "HeimRouter", "cra-annex-i-1-2-b", "Jürgen Groß"} {
			if !strings.Contains(got, want) {
				t.Errorf("%s: extracted text lacks %q:\n%s", k, want, got)
			}
		}
	}
	got := pdfText(t, renderPDF(t, d, DeclarationOfConformity))
	if !strings.Contains(got, "Weiß & Söhne Vertretung") {
		t.Error("declaration lacks the authorised representative")
	}
	for p := 1; p <= 8; p++ {
		if want := fmt.Sprintf("Annex V, point %d", p); !strings.Contains(got, want) {
			t.Errorf("declaration lacks %q", want)
		}
	}
}

func TestPDFVerdictTableComplete(t *testing.T) {
	d := sample()
	d.Verdicts = manyVerdicts(150)
	// A reason longer than a page must continue on the next page, not be cut.
	d.Verdicts[100].Reason = strings.Repeat("very long reason text ", 700) + "ENDOFREASON"
	got := pdfText(t, renderPDF(t, d, TechnicalDocumentation))
	for _, v := range d.Verdicts {
		if !strings.Contains(got, v.Requirement) {
			t.Errorf("extracted text lacks verdict %s", v.Requirement)
		}
	}
	if !strings.Contains(got, "ENDOFREASON") {
		t.Error("the end of a page-long reason is missing")
	}
	if !strings.Contains(got, Placeholder) {
		t.Error("no placeholder in the technical documentation")
	}
}

func TestPDFHostileInput(t *testing.T) {
	d := sample()
	d.Product.Name = "<script>(x)\\) Tj ET\x00\r\n日本語 🚀"
	d.Manufacturer.Name = "M\xfcller" // Latin-1, not UTF-8: fpdf's metadata encoder panicked on it
	d.Verdicts = append(d.Verdicts, catalog.Verdict{Requirement: "x)\\(", Result: "weird\x1b[31m", Reason: strings.Repeat("W", 2000)})
	for _, k := range []Kind{DeclarationOfConformity, TechnicalDocumentation} {
		b := renderPDF(t, d, k)
		got := pdfText(t, b)
		if !strings.Contains(got, "<script>(x)\\) Tj ET") {
			t.Errorf("%s: hostile product name not printed literally:\n%s", k, got)
		}
	}
}
