// Package vulndbtest builds vulnerability databases from the fixtures in internal/vulndb/testdata
// for the tests of the packages that read them.
package vulndbtest

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/vulndb"
)

// Now is the clock the fixture database was imported at.
var Now = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// Dir returns internal/vulndb/testdata, wherever the calling test runs.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata")
}

// Open returns a database in a temporary directory holding the OSV, KEV and EPSS fixtures.
func Open(t testing.TB) *vulndb.DB {
	t.Helper()
	db, err := vulndb.Open(t.Context(), t.TempDir(), true)
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
