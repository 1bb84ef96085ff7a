package health

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// snapshotDir is the endoflife.date snapshot the end-to-end tests and benchmarks read; set
// SIEGEL_EOL_SNAPSHOT to use another. Tests that need it are skipped when it is absent.
func snapshotDir(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv("SIEGEL_EOL_SNAPSHOT")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "data", "endoflife")
	}
	if _, err := os.Stat(filepath.Join(dir, "products")); err != nil {
		tb.Skipf("no endoflife.date snapshot at %s (set SIEGEL_EOL_SNAPSHOT): %v", dir, err)
	}
	return dir
}

func TestImportSnapshot(t *testing.T) {
	dir := snapshotDir(t)
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	ps, date, err := ImportEndOfLife(t.Context(), dir, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) < 400 {
		t.Errorf("read %d products, want the snapshot's 464", len(ps))
	}
	if date.IsZero() || date.After(now) {
		t.Errorf("data date %v", date)
	}
	cycles, withID := 0, 0
	for _, p := range ps {
		cycles += len(p.Cycles)
		if len(p.PURLs)+len(p.CPEs) > 0 {
			withID++
		}
	}
	t.Logf("%d products (%d with purl or CPE identifiers), %d release cycles, data date %s", len(ps), withID, cycles, date.Format(time.DateOnly))
}

// benchComponents builds n components: every tenth from a product identifier of the snapshot
// with one of its cycles' versions, the others Go, npm, PyPI and Debian packages no product
// covers, half of them with registry status.
func benchComponents(ps []Product, n int) ([]Component, []*Package) {
	var covered []Component
	for _, p := range ps {
		for _, u := range p.PURLs {
			for _, c := range p.Cycles {
				v := c.Latest
				if v == "" {
					v = c.Name + ".1"
				}
				covered = append(covered, Component{PURL: u + "@" + v})
			}
		}
	}
	types := []string{"pkg:golang/example.com/mod", "pkg:npm/pkg", "pkg:pypi/dist", "pkg:deb/debian/lib"}
	var cs []Component
	var pkgs []*Package
	for i := range n {
		if i%10 == 0 && len(covered) > 0 {
			cs = append(cs, covered[(i/10)%len(covered)])
			continue
		}
		base := types[i%len(types)] + strconv.Itoa(i)
		cs = append(cs, Component{PURL: base + "@1." + strconv.Itoa(i%20) + ".0",
			Properties: map[string]string{"siegel:source-package": "lib" + strconv.Itoa(i)}})
		if i%2 == 0 {
			pkgs = append(pkgs, &Package{PURL: base, Source: SourceNPM, LastRelease: time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC),
				Versions: map[string]VersionStatus{"1.3.0": {Deprecated: "old"}}})
		}
	}
	return cs, pkgs
}

// BenchmarkAssess20k is a full health pass (end of life, registry status, memory safety) over a
// 20,000-component SBOM with the endoflife.date snapshot loaded.
func BenchmarkAssess20k(b *testing.B) {
	dir := snapshotDir(b)
	ps, _, err := ImportEndOfLife(b.Context(), dir, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), nil)
	if err != nil {
		b.Fatal(err)
	}
	cs, pkgs := benchComponents(ps, 20_000)
	d := &Data{Products: ps}
	d.AddPackages(pkgs)
	d.Index()
	opt := Options{Now: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), SupportEnd: time.Date(2031, 12, 31, 0, 0, 0, 0, time.UTC)}
	var rep Report
	for b.Loop() {
		rep = d.Assess(cs, opt)
	}
	b.ReportMetric(float64(len(rep.Results)), "components")
	b.ReportMetric(float64(len(rep.Results)-rep.Counts[Unknown]), "covered")
}
