package match

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/sbom"
	"github.com/siegel-oss/siegel/internal/vulndb"
)

// sharedOSV is the real OSV subset beside the project (../shared/data/osv), absent on a fresh
// clone: benchmarks that need it skip.
const sharedOSV = "../../../shared/data/osv"

// BenchmarkScan18k matches an 18,000-component SBOM built from the real OSV data against an
// index of that data (bench/compare-osv-scanner.sh compares the whole command with osv-scanner).
func BenchmarkScan18k(b *testing.B) {
	if _, err := os.Stat(sharedOSV); err != nil {
		b.Skip("no ../shared/data/osv")
	}
	dir := b.TempDir()
	out, err := exec.Command("go", "run", "../../bench/osvsbom", "-osv", sharedOSV, "-n", "18000").Output()
	if err != nil {
		b.Fatal(err)
	}
	doc, err := sbom.Decode("bom.cdx.json", out, input.Limits{})
	if err != nil {
		b.Fatal(err)
	}
	db, err := vulndb.Open(b.Context(), filepath.Join(dir, "db"), true)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ImportOSVPath(b.Context(), sharedOSV, time.Now(), nil); err != nil {
		b.Fatal(err)
	}
	pkgs, _ := Packages(doc)
	b.ResetTimer()
	var n int
	for b.Loop() {
		fs, err := Match(b.Context(), db, pkgs)
		if err != nil {
			b.Fatal(err)
		}
		n = len(fs)
	}
	b.ReportMetric(float64(n), "findings")
}
