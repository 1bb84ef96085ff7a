package vulndb_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/siegel-oss/siegel/internal/vulndb"
	"github.com/siegel-oss/siegel/internal/vulndb/vulndbtest"
)

// writeRecord writes a minimal OSV record for one package into dir.
func writeRecord(t *testing.T, dir, id, modified, eco, name string, aliases ...string) {
	t.Helper()
	al := `[]`
	if len(aliases) > 0 {
		al = `["` + strings.Join(aliases, `","`) + `"]`
	}
	rec := fmt.Sprintf(`{"id":%q,"modified":%q,"aliases":%s,"affected":[{"package":{"ecosystem":%q,"name":%q},
		"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.0"}]}]}]}`, id, modified, al, eco, name)
	if err := os.WriteFile(filepath.Join(dir, id+".json"), []byte(rec), 0o644); err != nil {
		t.Fatal(err)
	}
}

func changed(r vulndb.Result) []string {
	var out []string
	for _, k := range r.Changed {
		out = append(out, k.Ecosystem+"/"+k.Name)
	}
	return out
}

// An import reports exactly the packages whose advisories were added, changed or removed, so
// that monitoring re-matches only those; a first import reports that everything changed.
func TestImportReportsChangedPackages(t *testing.T) {
	vulndbtest.EachBackend(t, func(t *testing.T, b vulndbtest.Backend) {
		db, err := vulndb.Open(t.Context(), b.Loc(t), true)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		src := t.TempDir()
		writeRecord(t, src, "PYSEC-1", "2026-01-01T00:00:00Z", "PyPI", "Alpha_Lib")
		writeRecord(t, src, "PYSEC-2", "2026-01-01T00:00:00Z", "PyPI", "beta")
		writeRecord(t, src, "PYSEC-3", "2026-01-01T00:00:00Z", "PyPI", "gamma", "CVE-2026-9999")
		rs, err := db.ImportOSVPath(t.Context(), src, now, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !rs[0].ChangedAll {
			t.Errorf("first import: ChangedAll false, Changed %v", changed(rs[0]))
		}

		// Unchanged again: nothing to re-match.
		rs, err = db.ImportOSVPath(t.Context(), src, now, nil)
		if err != nil {
			t.Fatal(err)
		}
		if rs[0].ChangedAll || len(rs[0].Changed) != 0 || rs[0].Snapshot.Records != 3 {
			t.Errorf("unchanged import: %+v", rs[0])
		}

		// One record modified (and moved to another package), one removed, one added.
		writeRecord(t, src, "PYSEC-1", "2026-02-01T00:00:00Z", "PyPI", "delta")
		os.Remove(filepath.Join(src, "PYSEC-2.json"))
		writeRecord(t, src, "PYSEC-4", "2026-02-01T00:00:00Z", "PyPI", "epsilon")
		rs, err = db.ImportOSVPath(t.Context(), src, now, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"PyPI/alpha-lib", "PyPI/beta", "PyPI/delta", "PyPI/epsilon"}
		if diff := cmp.Diff(want, changed(rs[0])); diff != "" || rs[0].ChangedAll {
			t.Errorf("changed packages (-want +got):\n%s", diff)
		}
		if got, _ := db.Lookup(t.Context(), vulndb.PackageKey("PyPI", "beta")); len(got) != 0 {
			t.Errorf("removed record still found: %v", ids(got))
		}

		// A CVE entering the KEV catalogue changes the packages of the advisories aliasing it.
		kev, err := db.ImportKEV(t.Context(), "kev.json", strings.NewReader(`{"vulnerabilities":[
			{"cveID":"CVE-2026-9999","dateAdded":"2026-10-01","dueDate":"2026-10-22","knownRansomwareCampaignUse":"Unknown"}]}`), now)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"PyPI/gamma"}, changed(kev)); diff != "" {
			t.Errorf("KEV changes (-want +got):\n%s", diff)
		}
		kev, err = db.ImportKEV(t.Context(), "kev.json", strings.NewReader(`{"vulnerabilities":[
			{"cveID":"CVE-2026-9999","dateAdded":"2026-10-01","dueDate":"2026-10-22","knownRansomwareCampaignUse":"Unknown"}]}`), now)
		if err != nil || len(kev.Changed) != 0 {
			t.Errorf("same KEV again: %v %v", changed(kev), err)
		}

		// So does an EUVD entry newly on the exploited list.
		eu, err := db.ImportEUVD(t.Context(), "euvd.json", strings.NewReader(`[{"id":"EUVD-2026-1","aliases":"CVE-2026-9999\n","exploitedSince":"2026-11-01"}]`), true, now)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"PyPI/gamma"}, changed(eu)); diff != "" {
			t.Errorf("EUVD changes (-want +got):\n%s", diff)
		}
	})
}
