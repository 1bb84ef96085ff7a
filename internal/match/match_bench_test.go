package match

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/sbom"
	"github.com/siegel-oss/siegel/internal/vulndb"
)

// sharedOSV is the real OSV subset beside the project (../shared/data/osv), absent on a fresh
// clone: benchmarks that need it skip.
const sharedOSV = "../../../shared/data/osv"

// BenchmarkScan18k scans (matches, rates and states the coverage of) an 18,000-component SBOM built from the real OSV data against an
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
	pkgs, unknown := Packages(doc)
	b.ResetTimer()
	cpu := cpuTime()
	var n, rated int
	for b.Loop() {
		res, err := Scan(b.Context(), db, pkgs, unknown, Options{Now: time.Now()})
		if err != nil {
			b.Fatal(err)
		}
		n, rated = len(res.Findings), 0
		for _, f := range res.Findings {
			if f.Rated() {
				rated++
			}
		}
	}
	// CPU time as well as wall time: on a shared machine the wall time says more of the load.
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(n), "findings")
	b.ReportMetric(100*float64(rated)/float64(max(n, 1)), "%rated")
}

// cpuTime is the user and system time the process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
