// Package vulndbtest builds vulnerability databases from the fixtures in internal/vulndb/testdata
// for the tests of the packages that read them.
package vulndbtest

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/store/pgtest"
	"github.com/siegel-oss/siegel/internal/vulndb"
)

// Now is the clock the fixture database was imported at.
var Now = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// Dir returns internal/vulndb/testdata, wherever the calling test runs.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata")
}

// Backend is a kind of database the index lives in.
type Backend struct {
	Name string
	// Loc returns the location of a new, empty index (what vulndb.Open takes).
	Loc func(t testing.TB) string
}

// Backends are SQLite in a temporary directory and PostgreSQL in a database of its own (see
// pgtest: the PostgreSQL case skips when no server runs, unless CI requires one).
var Backends = []Backend{
	{Name: "sqlite", Loc: func(t testing.TB) string { return t.TempDir() }},
	{Name: "postgres", Loc: func(t testing.TB) string { return pgtest.Database(t) }},
}

// EachBackend runs test once for each backend, as a subtest named after it.
func EachBackend(t *testing.T, test func(t *testing.T, b Backend)) {
	for _, b := range Backends {
		t.Run(b.Name, func(t *testing.T) { test(t, b) })
	}
}

// Open returns a database in a temporary directory holding the OSV, KEV and EPSS fixtures.
func Open(t testing.TB) *vulndb.DB {
	t.Helper()
	return OpenAt(t, t.TempDir())
}

// OpenAt is Open for the index at loc (a directory or a postgres:// URL).
func OpenAt(t testing.TB, loc string) *vulndb.DB {
	t.Helper()
	db, err := vulndb.Open(t.Context(), loc, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.ImportOSVPath(t.Context(), filepath.Join(Dir(), "osv"), Now, nil); err != nil {
		t.Fatal(err)
	}
	for _, feed := range []struct {
		name string
		imp  func(string, *os.File) error
	}{
		{"kev.json", func(n string, f *os.File) error { _, err := db.ImportKEV(t.Context(), n, f, Now); return err }},
		{"epss.csv", func(n string, f *os.File) error { _, err := db.ImportEPSS(t.Context(), n, f, Now); return err }},
		{"euvd-exploited.json", func(n string, f *os.File) error { _, err := db.ImportEUVD(t.Context(), n, f, true, Now); return err }},
		{"euvd-search.json", func(n string, f *os.File) error { _, err := db.ImportEUVD(t.Context(), n, f, false, Now); return err }},
	} {
		f, err := os.Open(filepath.Join(Dir(), "feeds", feed.name))
		if err != nil {
			t.Fatal(err)
		}
		err = feed.imp(feed.name, f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	return db
}
