package vulndb_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/siegel-oss/siegel/internal/vulndb"
	"github.com/siegel-oss/siegel/internal/vulndb/vulndbtest"
)

// TestImportKeepsRecordsWithUnreadableFields imports records whose fields matching does not need
// cannot be read (PYSEC-2024-55's "modified" of "1-01-01T00:00:00Z" as osv.dev serves it, a
// published time that is no time, references and severity of the wrong shape): each is kept,
// found by lookup, and listed with the field marked unusable. Records that cannot be matched (no
// id, affected ranges that are not a list) are skipped, counted, and listed by id.
func TestImportKeepsRecordsWithUnreadableFields(t *testing.T) {
	vulndbtest.EachBackend(t, func(t *testing.T, b vulndbtest.Backend) {
		db, err := vulndb.Open(t.Context(), b.Loc(t), true)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		res, err := db.ImportOSVPath(t.Context(), "testdata/osv-unreadable", now, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := res[0].Snapshot; got.Records != 2 || got.Skipped != 2 {
			t.Errorf("snapshot: %d records, %d skipped; want 2 and 2", got.Records, got.Skipped)
		}
		for _, tc := range []struct{ eco, name, want string }{
			{"PyPI", "cipherbcrypt", "PYSEC-2024-55"},
			{"npm", "odd-lib", "GHSA-odd1-4444-wwww"}, // an unreadable withdrawn time leaves it in force
		} {
			got, err := db.Lookup(t.Context(), vulndb.PackageKey(tc.eco, tc.name))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{tc.want}, ids(got)); diff != "" {
				t.Errorf("Lookup(%s) (-want +got):\n%s", tc.name, diff)
			}
			if len(got) == 1 && len(got[0].Unusable) == 0 {
				t.Errorf("%s: unusable fields not marked on the record", tc.want)
			}
		}
		st, err := db.Status(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if st.Skipped != 2 || st.Kept != 2 {
			t.Errorf("status: %d skipped, %d kept; want 2 and 2", st.Skipped, st.Kept)
		}
		type row struct {
			Record string
			Kept   bool
			Says   string
		}
		var got []row
		for _, p := range st.Problems {
			got = append(got, row{p.Record, p.Kept, p.Err})
		}
		want := []struct {
			record string
			kept   bool
			says   []string
		}{
			{"GHSA-bad2-5555-vvvv", false, []string{"/affected/0/ranges"}},
			{"no-id", false, []string{"/id", "no id"}},
			{"GHSA-odd1-4444-wwww", true, []string{"/published", "/withdrawn", "/references", "/severity", "/affected/0/database_specific"}},
			{"PYSEC-2024-55", true, []string{"/modified", "1-01-01T00:00:00Z"}},
		}
		if len(got) != len(want) {
			t.Fatalf("problems listed: %+v", got)
		}
		for i, w := range want {
			if got[i].Record != w.record || got[i].Kept != w.kept {
				t.Errorf("problem %d = %s (kept %v), want %s (kept %v)", i, got[i].Record, got[i].Kept, w.record, w.kept)
			}
			for _, s := range w.says {
				if !strings.Contains(got[i].Says, s) {
					t.Errorf("problem for %s does not name %q: %s", w.record, s, got[i].Says)
				}
			}
		}
	})
}

// TestIncrementalKeepsRecordsWithUnreadableFields runs the same records through the incremental
// path: a modified_id.csv line whose time cannot be read still names a record to fetch, the
// record is kept, and a record skipped before that now reads is taken off the problem list.
func TestIncrementalKeepsRecordsWithUnreadableFields(t *testing.T) {
	vulndbtest.EachBackend(t, func(t *testing.T, b vulndbtest.Backend) {
		db := importedPyPI(t, b)
		since, err := db.Latest(t.Context(), "osv:PyPI")
		if err != nil {
			t.Fatal(err)
		}
		csv := "2026-07-02T00:00:00Z,GHSA-bad2-5555-vvvv\n1-01-01T00:00:00Z,PYSEC-2024-55\n2026-01-01T00:00:00Z,OLD-1\n"
		changed, err := vulndb.ParseModifiedIDs("PyPI/modified_id.csv", strings.NewReader(csv), since)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range changed {
			got = append(got, c.ID)
		}
		if diff := cmp.Diff([]string{"GHSA-bad2-5555-vvvv", "PYSEC-2024-55"}, got); diff != "" {
			t.Fatalf("changed (-want +got):\n%s", diff)
		}
		fetch := func(id string) ([]byte, error) {
			return os.ReadFile(filepath.Join("testdata/osv-unreadable", id+".json"))
		}
		res, err := db.UpdateOSV(t.Context(), "osv:PyPI", changed, fetch, now)
		if err != nil {
			t.Fatal(err)
		}
		if res.Snapshot.Records != 1 || res.Snapshot.Skipped != 1 {
			t.Errorf("snapshot %+v; want 1 record, 1 skipped", res.Snapshot)
		}
		if rs, err := db.Lookup(t.Context(), vulndb.PackageKey("PyPI", "cipherbcrypt")); err != nil || len(rs) != 1 {
			t.Fatalf("PYSEC-2024-55 not imported: %v %v", ids(rs), err)
		}
		st, err := db.Status(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if st.Skipped != 1 || st.Kept != 1 {
			t.Fatalf("status: %d skipped, %d kept; want 1 and 1", st.Skipped, st.Kept)
		}
		// The record is fixed upstream: the next incremental update clears its problem.
		fixed := []byte(`{"id": "GHSA-bad2-5555-vvvv", "modified": "2026-07-03T00:00:00Z", "affected": [{"package": {"ecosystem": "npm", "name": "bad-lib"}, "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}]}]}`)
		if _, err := db.UpdateOSV(t.Context(), "osv:PyPI", []vulndb.Changed{{ID: "GHSA-bad2-5555-vvvv"}}, func(string) ([]byte, error) { return fixed, nil }, now); err != nil {
			t.Fatal(err)
		}
		if st, err = db.Status(t.Context()); err != nil || st.Skipped != 0 || st.Kept != 1 {
			t.Errorf("after the fix: %+v, %v; want 0 skipped, 1 kept", st, err)
		}
	})
}
