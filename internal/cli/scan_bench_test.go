package cli

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// BenchmarkScanTableHeavy20k runs 'siegel scan --format table' on 20,000 components that are all
// vulnerable (bench/osvsbom -shape heavy, about 200,000 findings) against an index of the shared
// OSV data: the whole command, from reading the SBOM to the last line of the table.
func BenchmarkScanTableHeavy20k(b *testing.B) {
	const osv = "../../../shared/data/osv"
	if _, err := os.Stat(osv); err != nil {
		b.Skip("no ../shared/data/osv")
	}
	dir := b.TempDir()
	bom, err := exec.Command("go", "run", "../../bench/osvsbom", "-osv", osv, "-n", "20000", "-shape", "heavy").Output()
	if err != nil {
		b.Fatal(err)
	}
	sbomPath := filepath.Join(dir, "bom.cdx.json")
	if err := os.WriteFile(sbomPath, bom, 0o600); err != nil {
		b.Fatal(err)
	}
	db := filepath.Join(dir, "db")
	getenv := func(string) string { return "" }
	if code := Run(b.Context(), []string{"db", "update", "--db", db, "--source", osv}, nil, io.Discard, io.Discard, getenv); code != 0 {
		b.Fatalf("db update: exit %d", code)
	}
	var out countingWriter
	b.ResetTimer()
	for b.Loop() {
		out = 0
		if code := Run(b.Context(), []string{"scan", "--db", db, sbomPath}, nil, &out, io.Discard, getenv); code != 0 {
			b.Fatalf("scan: exit %d", code)
		}
	}
	b.ReportMetric(float64(out), "table-bytes")
}

// countingWriter counts what is written to it.
type countingWriter int64

func (w *countingWriter) Write(p []byte) (int, error) {
	*w += countingWriter(len(p))
	return len(p), nil
}
