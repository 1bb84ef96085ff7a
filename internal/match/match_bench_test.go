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

// BenchmarkScan18k scans (matches, rates and states the coverage of) an 18,000-component SBOM
// built from the real OSV data against an index of that data (bench/compare-osv-scanner.sh
// compares the whole command with osv-scanner).
func BenchmarkScan18k(b *testing.B) { benchmarkScan(b, "-n", "18000") }

// BenchmarkScanHeavy20k scans 20,000 components that are all vulnerable, the most affected
// package versions of the OSV data (about 200,000 findings): the shape of a large distribution
// image or of a monorepo lockfile with many versions of a package.
func BenchmarkScanHeavy20k(b *testing.B) { benchmarkScan(b, "-n", "20000", "-shape", "heavy") }

// benchmarkScan scans the SBOM bench/osvsbom writes with args against an index of the shared
// OSV data.
func benchmarkScan(b *testing.B, args ...string) {
	if _, err := os.Stat(sharedOSV); err != nil {
		b.Skip("no ../shared/data/osv")
	}
	dir := b.TempDir()
	out, err := exec.Command("go", append([]string{"run", "../../bench/osvsbom", "-osv", sharedOSV}, args...)...).Output()
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
	// 'db update' counts the advisories of each ecosystem once per update, as this does.
	if _, err := db.Holdings(b.Context()); err != nil {
		b.Fatal(err)
	}
	pkgs, unknown := Packages(doc)
	doc, out = nil, nil
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
