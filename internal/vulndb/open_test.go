package vulndb

import "testing"

// TestReadHandleCache checks that a handle opened for reading keeps SQLite's page cache small,
// and that one opened to write (imports) keeps SQLite's default.
func TestReadHandleCache(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		create bool
		want   int
	}{{true, -2000}, {false, -readCacheKiB}} {
		db, err := Open(t.Context(), dir, tc.create)
		if err != nil {
			t.Fatal(err)
		}
		var got int
		if err := db.sql.QueryRowContext(t.Context(), "PRAGMA cache_size").Scan(&got); err != nil {
			t.Fatal(err)
		}
		db.Close()
		if got != tc.want {
			t.Errorf("Open(create=%v): cache_size %d, want %d", tc.create, got, tc.want)
		}
	}
}
