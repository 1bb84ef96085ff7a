package vulndb_test

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/siegel-oss/siegel/internal/store/pgtest"
	"github.com/siegel-oss/siegel/internal/vulndb"
	"github.com/siegel-oss/siegel/internal/vulndb/vulndbtest"
)

// TestBundleThroughPostgres carries the fixture database from SQLite to PostgreSQL as a bundle
// (what 'serve --db-source bundle.sqlite' does on PostgreSQL) and back ('siegel db export' of a
// PostgreSQL index): every step holds the same data, and imports after it number on.
func TestBundleThroughPostgres(t *testing.T) {
	src := vulndbtest.Open(t)
	bundle := filepath.Join(t.TempDir(), "bundle.sqlite")
	if err := src.Export(t.Context(), bundle); err != nil {
		t.Fatal(err)
	}
	dsn := pgtest.Database(t)
	if _, err := vulndb.Import(t.Context(), dsn, bundle); err != nil {
		t.Fatal(err)
	}
	pg, err := vulndb.Open(t.Context(), dsn, false)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	back := filepath.Join(t.TempDir(), "back")
	if err := pg.Export(t.Context(), filepath.Join(back, "vulndb.sqlite")); err == nil {
		t.Fatal("export into a missing directory succeeded")
	}
	if err := pg.Export(t.Context(), filepath.Join(t.TempDir(), "vulndb.sqlite")); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := pg.Export(t.Context(), filepath.Join(dir, "vulndb.sqlite")); err != nil {
		t.Fatal(err)
	}
	round, err := vulndb.Open(t.Context(), dir, false)
	if err != nil {
		t.Fatal(err)
	}
	defer round.Close()
	want, err := src.Status(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	keys := []vulndb.Key{vulndb.PackageKey("PyPI", "example-lib"), vulndb.PackageKey("Go", "stdlib"), vulndb.PackageKey("npm", "@acme/deepmerge-x")}
	wantRecs, err := src.LookupBatchRaw(t.Context(), keys)
	if err != nil {
		t.Fatal(err)
	}
	wantFeeds, err := src.Feeds(t.Context(), []string{"CVE-2026-2002", "CVE-2026-9999", "GHSA-aaaa-1111-xxxx"})
	if err != nil {
		t.Fatal(err)
	}
	for name, db := range map[string]*vulndb.DB{"postgres": pg, "exported from postgres": round} {
		got, err := db.Status(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(vulndb.Status{}, "Path")); diff != "" {
			t.Errorf("%s: status (-want +got):\n%s", name, diff)
		}
		recs, err := db.LookupBatchRaw(t.Context(), keys)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(wantRecs, recs); diff != "" {
			t.Errorf("%s: records (-want +got):\n%s", name, diff)
		}
		feeds, err := db.Feeds(t.Context(), []string{"CVE-2026-2002", "CVE-2026-9999", "GHSA-aaaa-1111-xxxx"})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(wantFeeds, feeds); diff != "" {
			t.Errorf("%s: feeds (-want +got):\n%s", name, diff)
		}
	}
	// The next import on PostgreSQL gets a snapshot id above the bundle's.
	res, err := pg.ImportOSVPath(t.Context(), filepath.Join(vulndbtest.Dir(), "osv"), vulndbtest.Now, nil)
	if err != nil {
		t.Fatalf("import after the bundle: %v (%+v)", err, res)
	}
	if changed, err := pg.Refresh(t.Context()); err != nil || !changed {
		t.Errorf("refresh after an import: %v %v", changed, err)
	}
}
