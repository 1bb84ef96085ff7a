package sbom_test

import (
	"bytes"
	"testing"

	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/sbom"
	"github.com/siegel-oss/siegel/internal/sbom/sbomtest"
)

// BenchmarkReadCycloneDX50k reads a 50,000-component CycloneDX 1.6 JSON SBOM (target: under 1 s
// and 300 MB peak on 2 cores; bench/sbom-read.sh measures the peak of the whole command).
func BenchmarkReadCycloneDX50k(b *testing.B) { benchmarkRead(b, sbom.CycloneDXJSON, 50000) }

// BenchmarkReadSPDX50k is the same inventory as SPDX 2.3 JSON.
func BenchmarkReadSPDX50k(b *testing.B) { benchmarkRead(b, sbom.SPDXJSON, 50000) }

// BenchmarkReadCycloneDXXML50k is the same inventory as CycloneDX XML.
func BenchmarkReadCycloneDXXML50k(b *testing.B) { benchmarkRead(b, sbom.CycloneDXXML, 50000) }

func benchmarkRead(b *testing.B, f sbom.Format, n int) {
	var buf bytes.Buffer
	if err := sbom.Write(&buf, sbomtest.Synthetic(n), f); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		doc, err := sbom.Decode("big", data, input.Limits{})
		if err != nil {
			b.Fatal(err)
		}
		if len(doc.Components) != n+1 {
			b.Fatalf("read %d components, want %d", len(doc.Components), n+1)
		}
	}
}

// BenchmarkWriteCycloneDX50k writes the 50,000-component inventory as CycloneDX JSON.
func BenchmarkWriteCycloneDX50k(b *testing.B) {
	doc := sbomtest.Synthetic(50000)
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := sbom.Write(&buf, doc, sbom.CycloneDXJSON); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
}

// BenchmarkCheckSchemaCycloneDXXML50k validates the 50,000-component CycloneDX XML document of
// BenchmarkReadCycloneDXXML50k against the published bom-1.6.xsd: what `siegel sbom validate`
// adds to reading it.
func BenchmarkCheckSchemaCycloneDXXML50k(b *testing.B) {
	var buf bytes.Buffer
	if err := sbom.Write(&buf, sbomtest.Synthetic(50000), sbom.CycloneDXXML); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	if _, err := sbom.CheckSchema(data, sbom.CycloneDXXML); err != nil { // compiles the schema once
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		problems, err := sbom.CheckSchema(data, sbom.CycloneDXXML)
		if err != nil || len(problems) > 0 {
			b.Fatalf("err %v, problems %v", err, problems)
		}
	}
}
