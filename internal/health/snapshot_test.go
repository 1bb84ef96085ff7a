package health

import (
	"os"
	"path/filepath"
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
