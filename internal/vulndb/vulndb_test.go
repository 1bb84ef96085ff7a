package vulndb_test

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/siegel-oss/siegel/internal/vulndb"
	"github.com/siegel-oss/siegel/internal/vulndb/vulndbtest"
)

var now = vulndbtest.Now

func ids(rs []*vulndb.Record) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

func TestImportDirectoryAndLookup(t *testing.T) {
	vulndbtest.EachBackend(t, func(t *testing.T, b vulndbtest.Backend) {
		db, err := vulndb.Open(t.Context(), b.Loc(t), true)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		res, err := db.ImportOSVPath(t.Context(), "testdata/osv", now, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 1 || res[0].Snapshot.Records != 8 || res[0].Snapshot.Skipped != 2 {
			t.Fatalf("import result %+v", res)
		}
		var problems []string
		for _, p := range res[0].Problems {
			problems = append(problems, filepath.Base(strings.SplitN(p.Record, "!", 2)[0])+": "+p.Err)
		}
		for _, want := range []string{"broken-record.json", "not-json.json"} {
			if !strings.Contains(strings.Join(problems, "\n"), want) {
				t.Errorf("problem for %s not reported: %v", want, problems)
			}
		}
		if !strings.Contains(strings.Join(problems, "\n"), `range type "DATE"`) || !strings.Contains(strings.Join(problems, "\n"), "not-json.json:2:1") {
			t.Errorf("problems do not name the rule and position: %v", problems)
		}
		for _, tc := range []struct {
			eco, name string
			want      []string
		}{
			// PEP 503: Example_Lib, example-lib and example.lib are one name; the withdrawn
			// GHSA-wdrn-2222-yyyy is left out.
			{"PyPI", "example.lib", []string{"GHSA-aaaa-1111-xxxx", "PYSEC-2026-77"}},
			{"PyPI", "examplelib", nil},
			{"Go", "example.com/web", []string{"GO-2026-4001"}},
			{"Go", "stdlib", []string{"GO-2026-4001"}},
			{"AlmaLinux", "openssl-libs", []string{"ALSA-2026:1234"}},
			{"npm", "@acme/deepmerge-x", []string{"GHSA-last-3333-zzzz"}},
			{"crates.io", "nothing", nil},
		} {
			got, err := db.Lookup(t.Context(), vulndb.PackageKey(tc.eco, tc.name))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, ids(got)); diff != "" {
				t.Errorf("Lookup(%s, %s) (-want +got):\n%s", tc.eco, tc.name, diff)
			}
		}
		st, err := db.Status(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if st.Advisories != 7 || st.Withdrawn != 1 {
			t.Errorf("status %+v", st)
		}
	})
}

// TestImportZipLayout builds an osv.dev bucket layout (<Ecosystem>/all.zip) and imports it;
// a second import without one record removes that record.
func TestImportZipLayout(t *testing.T) {
	vulndbtest.EachBackend(t, func(t *testing.T, b vulndbtest.Backend) {
		dir := t.TempDir()
		writeZip := func(eco string, files ...string) {
			p := filepath.Join(dir, eco, "all.zip")
			os.MkdirAll(filepath.Dir(p), 0o755)
			var buf bytes.Buffer
			zw := zip.NewWriter(&buf)
			for _, f := range files {
				data, err := os.ReadFile(filepath.Join("testdata/osv", f))
				if err != nil {
					t.Fatal(err)
				}
				w, _ := zw.Create("../../escape/" + f) // names are labels only; nothing is written out
				w.Write(data)
			}
			zw.Close()
			os.WriteFile(p, buf.Bytes(), 0o644)
		}
		writeZip("PyPI", "GHSA-aaaa-1111-xxxx.json", "PYSEC-2026-77.json", "broken-record.json")
		writeZip("Go", "GO-2026-4001.json")
		db, err := vulndb.Open(t.Context(), b.Loc(t), true)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		res, err := db.ImportOSVPath(t.Context(), dir, now, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, r := range res {
			got[r.Snapshot.Source] = r.Snapshot.Records
		}
		if diff := cmp.Diff(map[string]int{"osv:Go": 1, "osv:PyPI": 2}, got); diff != "" {
			t.Errorf("records per source (-want +got):\n%s", diff)
		}
		if _, err := os.Stat(filepath.Join(dir, "..", "escape")); err == nil {
			t.Error("an archive entry was written outside")
		}
		writeZip("PyPI", "GHSA-aaaa-1111-xxxx.json")
		if _, err := db.ImportOSVPath(t.Context(), dir, now, nil); err != nil {
			t.Fatal(err)
		}
		recs, _ := db.Lookup(t.Context(), vulndb.PackageKey("PyPI", "example-lib"))
		if len(recs) != 1 {
			t.Errorf("PYSEC-2026-77 should be gone after a re-import without it, GHSA-aaaa stays: %v", ids(recs))
		}
		recs, _ = db.Lookup(t.Context(), vulndb.PackageKey("Go", "stdlib"))
		if len(recs) != 1 {
			t.Errorf("the Go source must be untouched by the PyPI import: %v", ids(recs))
		}
	})
}

// feeds reads what the feeds say about one id, failing the test on an error.
func feeds(t *testing.T, db *vulndb.DB, id string) *vulndb.Feeds {
	t.Helper()
	f, err := db.Feeds(t.Context(), []string{id})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestKEVAndEPSS(t *testing.T) {
	vulndbtest.EachBackend(t, func(t *testing.T, b vulndbtest.Backend) {
		db := vulndbtest.OpenAt(t, b.Loc(t))
		e, ok := feeds(t, db, "CVE-2026-2002").KEV["CVE-2026-2002"]
		if !ok || e.DateAdded != "2026-09-15" || e.DueDate != "2026-10-06" || e.Ransomware != "Known" {
			t.Errorf("KEV %+v %v", e, ok)
		}
		if _, ok := feeds(t, db, "CVE-2026-1001").KEV["CVE-2026-1001"]; ok {
			t.Error("CVE-2026-1001 is not in the KEV fixture")
		}
		s, ok := feeds(t, db, "CVE-2026-1001").EPSS["CVE-2026-1001"]
		if !ok || s.Score != 0.421 || s.Percentile != 0.97 || !strings.HasPrefix(s.Date, "2026-11-01") {
			t.Errorf("EPSS %+v %v", s, ok)
		}
		// The live EPSS feed is gzipped.
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write([]byte("#model_version:v2025.03.14,score_date:2026-11-02T00:00:00+0000\ncve,epss,percentile\nCVE-2026-1001,0.5,0.98\nnot-a-cve,2,3\n"))
		zw.Close()
		res, err := db.ImportEPSS(t.Context(), "epss.csv.gz", &gz, now)
		if err != nil || res.Snapshot.Records != 1 || res.Snapshot.Skipped != 1 {
			t.Fatalf("gzipped EPSS: %+v %v", res, err)
		}
		if s := feeds(t, db, "CVE-2026-1001").EPSS["CVE-2026-1001"]; s.Score != 0.5 {
			t.Errorf("EPSS not replaced: %+v", s)
		}
	})
}

func TestFeedErrors(t *testing.T) {
	vulndbtest.EachBackend(t, func(t *testing.T, b vulndbtest.Backend) {
		db := vulndbtest.OpenAt(t, b.Loc(t))
		for _, tc := range []struct {
			name, data, want string
			kev              bool
		}{
			{"kev.json", `{"vulnerabilities": [}`, "kev.json:1:", true},
			{"kev.json", `{"title": "not kev"}`, "not a KEV catalogue", true},
			{"epss.csv", "cve,score\nCVE-1,1\n", "epss.csv:1", false},
		} {
			var err error
			if tc.kev {
				_, err = db.ImportKEV(t.Context(), tc.name, strings.NewReader(tc.data), now)
			} else {
				_, err = db.ImportEPSS(t.Context(), tc.name, strings.NewReader(tc.data), now)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		}
		// A failed import leaves the previous data in place.
		if _, ok := feeds(t, db, "CVE-2026-2002").KEV["CVE-2026-2002"]; !ok {
			t.Error("KEV data lost by a failed import")
		}
	})
}

func FuzzParseRecord(f *testing.F) {
	for _, dir := range []string{"testdata/osv", "testdata/osv-unreadable"} {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			data, _ := os.ReadFile(filepath.Join(dir, e.Name()))
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := vulndb.ParseRecord("fuzz.json", data)
		if err == nil && r.ID == "" {
			t.Fatal("accepted a record without id")
		}
		if err != nil {
			return
		}
		// A record is kept without a field only when matching does not need it.
		for _, u := range r.Unusable {
			last := u.Pointer[strings.LastIndex(u.Pointer, "/")+1:]
			if u.Pointer == "/id" || u.Pointer == "/affected" || (strings.HasPrefix(u.Pointer, "/affected/") &&
				(last == "package" || last == "ranges" || last == "versions")) {
				t.Fatalf("kept the record without %s, which matching needs", u.Pointer)
			}
		}
	})
}

func TestEUVD(t *testing.T) {
	vulndbtest.EachBackend(t, func(t *testing.T, b vulndbtest.Backend) {
		db := vulndbtest.OpenAt(t, b.Loc(t))
		es := feeds(t, db, "GHSA-last-3333-zzzz").EUVD["GHSA-last-3333-zzzz"]
		if len(es) != 1 || es[0].ID != "EUVD-2026-10001" || !es[0].Exploited || es[0].BaseScore != 9.3 {
			t.Errorf("EUVD by GHSA alias: %+v", es)
		}
		es = feeds(t, db, "CVE-2026-1001").EUVD["CVE-2026-1001"]
		if len(es) != 1 || es[0].Exploited {
			t.Errorf("EUVD from search is not exploited: %+v", es)
		}
		// A later search response does not take back what the exploited list said.
		res, err := db.ImportEUVD(t.Context(), "again.json", strings.NewReader(`{"items": [{"id": "EUVD-2026-10001", "aliases": "CVE-2026-5005\n"}]}`), false, now)
		if err != nil || res.Snapshot.Records != 1 {
			t.Fatal(res, err)
		}
		es = feeds(t, db, "CVE-2026-5005").EUVD["CVE-2026-5005"]
		if len(es) != 1 || !es[0].Exploited {
			t.Errorf("exploited flag lost: %+v", es)
		}
		if _, err := db.ImportEUVD(t.Context(), "x.json", strings.NewReader(`{"total": 0}`), false, now); err == nil || !strings.Contains(err.Error(), "not an EUVD response") {
			t.Errorf("got %v", err)
		}
		st, _ := db.Status(t.Context())
		if st.EUVD != 2 {
			t.Errorf("status EUVD %d", st.EUVD)
		}
	})
}

func TestIncrementalUpdate(t *testing.T) {
	vulndbtest.EachBackend(t, func(t *testing.T, b vulndbtest.Backend) {
		db := importedPyPI(t, b)
		since, err := db.Latest(t.Context(), "osv:PyPI")
		if err != nil || !since.Equal(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("latest %v %v", since, err)
		}
		csv := "2026-07-01T00:00:00Z,PYSEC-2026-77\n2026-06-30T12:00:00Z,PYSEC-2026-90\n2026-06-29T00:00:00Z,BROKEN-2\n2026-03-02T00:00:00Z,GHSA-aaaa-1111-xxxx\n2020-01-01T00:00:00Z,OLD-1\n"
		changed, err := vulndb.ParseModifiedIDs("modified_id.csv", strings.NewReader(csv), since)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, c := range changed {
			ids = append(ids, c.ID)
		}
		if diff := cmp.Diff([]string{"PYSEC-2026-77", "PYSEC-2026-90", "BROKEN-2"}, ids); diff != "" {
			t.Fatalf("changed since the last update (-want +got):\n%s", diff)
		}
		records := map[string]string{
			// PYSEC-2026-77 now names another package: the old index entry must go.
			"PYSEC-2026-77": `{"id": "PYSEC-2026-77", "modified": "2026-07-01T00:00:00Z", "affected": [{"package": {"ecosystem": "PyPI", "name": "other-lib"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]}`,
			"PYSEC-2026-90": `{"id": "PYSEC-2026-90", "modified": "2026-06-30T12:00:00Z", "affected": [{"package": {"ecosystem": "PyPI", "name": "example-lib"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "9"}]}]}]}`,
			"BROKEN-2":      `{"id": "BROKEN-2"`,
		}
		res, err := db.UpdateOSV(t.Context(), "osv:PyPI", changed, func(id string) ([]byte, error) { return []byte(records[id]), nil }, now)
		if err != nil {
			t.Fatal(err)
		}
		if res.Snapshot.Records != 2 || res.Snapshot.Skipped != 1 || res.Snapshot.Kind != "osv-incremental" {
			t.Errorf("result %+v", res.Snapshot)
		}
		for name, want := range map[string][]string{
			"example-lib": {"GHSA-aaaa-1111-xxxx", "PYSEC-2026-90"},
			"other-lib":   {"PYSEC-2026-77"},
		} {
			got, err := db.Lookup(t.Context(), vulndb.PackageKey("PyPI", name))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, ids2(got)); diff != "" {
				t.Errorf("%s after the update (-want +got):\n%s", name, diff)
			}
		}
		if _, err := vulndb.ParseModifiedIDs("m.csv", strings.NewReader("2026-07-01T00:00:00Z\n"), since); err == nil || !strings.Contains(err.Error(), "m.csv:1:1") {
			t.Errorf("got %v", err)
		}
		// A time that cannot be read still names a record to fetch.
		if got, err := vulndb.ParseModifiedIDs("m.csv", strings.NewReader("yesterday,X\n"), since); err != nil || len(got) != 1 || got[0].ID != "X" || !got[0].Modified.IsZero() {
			t.Errorf("got %v, %v", got, err)
		}
		if _, err := vulndb.ParseModifiedIDs("m.csv", strings.NewReader("2026-07-01T00:00:00Z,../../etc/passwd\n"), since); err == nil {
			t.Error("an id with a path accepted")
		}
	})
}

// importedPyPI returns a database that imported two PyPI records from an osv.dev layout.
func importedPyPI(t *testing.T, b vulndbtest.Backend) *vulndb.DB {
	t.Helper()
	dir := t.TempDir()
	writeZipLayout(t, dir, "PyPI", "GHSA-aaaa-1111-xxxx.json", "PYSEC-2026-77.json")
	db, err := vulndb.Open(t.Context(), b.Loc(t), true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.ImportOSVPath(t.Context(), dir, now, nil); err != nil {
		t.Fatal(err)
	}
	return db
}

func ids2(rs []*vulndb.Record) []string { return ids(rs) }

// writeZipLayout writes <dir>/<eco>/all.zip holding the named fixtures.
func writeZipLayout(t *testing.T, dir, eco string, files ...string) {
	t.Helper()
	p := filepath.Join(dir, eco, "all.zip")
	os.MkdirAll(filepath.Dir(p), 0o755)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join("testdata/osv", f))
		if err != nil {
			t.Fatal(err)
		}
		w, _ := zw.Create(f)
		w.Write(data)
	}
	zw.Close()
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkIncremental1000 applies 1,000 changed records to an index of 20,000 (target: under
// 2 s).
func BenchmarkIncremental1000(b *testing.B) {
	dir := b.TempDir()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	rec := func(i int, modified string) []byte {
		return []byte(fmt.Sprintf(`{"id": "BENCH-%d", "modified": %q, "aliases": ["CVE-2026-%d"], "affected": [{"package": {"ecosystem": "PyPI", "name": "pkg-%d"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.%d"}]}]}]}`, i, modified, i, i%5000, i))
	}
	for i := range 20000 {
		w, _ := zw.Create(fmt.Sprintf("BENCH-%d.json", i))
		w.Write(rec(i, "2026-01-01T00:00:00Z"))
	}
	zw.Close()
	os.MkdirAll(filepath.Join(dir, "PyPI"), 0o755)
	os.WriteFile(filepath.Join(dir, "PyPI", "all.zip"), buf.Bytes(), 0o644)
	var changed []vulndb.Changed
	for i := range 1000 {
		changed = append(changed, vulndb.Changed{ID: fmt.Sprintf("BENCH-%d", i*20), Modified: now})
	}
	fetch := func(id string) ([]byte, error) {
		var i int
		fmt.Sscanf(id, "BENCH-%d", &i)
		return rec(i, "2026-07-01T00:00:00Z"), nil
	}
	for b.Loop() {
		b.StopTimer()
		db, err := vulndb.Open(b.Context(), b.TempDir(), true)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := db.ImportOSVPath(b.Context(), dir, now, nil); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := db.UpdateOSV(b.Context(), "osv:PyPI", changed, fetch, now); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		db.Close()
		b.StartTimer()
	}
}

// fuzzFeed runs one feed importer over fuzzed input: no panic, errors positioned as *input.Error
// or reported per record, and a failed import leaves what was there.
func fuzzFeed(f *testing.F, seeds []string, imp func(db *vulndb.DB, data []byte) error) {
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err == nil {
			f.Add(data)
		}
	}
	db, err := vulndb.Open(f.Context(), f.TempDir(), true)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = imp(db, data)
	})
}

func FuzzKEV(f *testing.F) {
	fuzzFeed(f, []string{"testdata/feeds/kev.json"}, func(db *vulndb.DB, data []byte) error {
		_, err := db.ImportKEV(context.Background(), "kev.json", bytes.NewReader(data), now)
		return err
	})
}

func FuzzEPSS(f *testing.F) {
	fuzzFeed(f, []string{"testdata/feeds/epss.csv"}, func(db *vulndb.DB, data []byte) error {
		_, err := db.ImportEPSS(context.Background(), "epss.csv", bytes.NewReader(data), now)
		return err
	})
}

func FuzzEUVD(f *testing.F) {
	fuzzFeed(f, []string{"testdata/feeds/euvd-exploited.json", "testdata/feeds/euvd-search.json"}, func(db *vulndb.DB, data []byte) error {
		_, err := db.ImportEUVD(context.Background(), "euvd.json", bytes.NewReader(data), true, now)
		return err
	})
}

func FuzzModifiedIDs(f *testing.F) {
	f.Add([]byte("2026-07-01T00:00:00Z,PYSEC-2026-77\n2026-06-30T12:00:00.123Z,GHSA-x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cs, err := vulndb.ParseModifiedIDs("m.csv", bytes.NewReader(data), time.Time{})
		if err != nil {
			return
		}
		for _, c := range cs {
			if c.ID == "" || strings.ContainsAny(c.ID, "/\\") {
				t.Fatalf("accepted id %q", c.ID)
			}
		}
	})
}

// TestReadersDuringUpdate scans (through a second handle, as a second process would) while
// imports run: every lookup succeeds and sees a whole import, never half of one.
func TestReadersDuringUpdate(t *testing.T) {
	vulndbtest.EachBackend(t, func(t *testing.T, b vulndbtest.Backend) {
		dir := b.Loc(t)
		writer, err := vulndb.Open(t.Context(), dir, true)
		if err != nil {
			t.Fatal(err)
		}
		defer writer.Close()
		if _, err := writer.ImportOSVPath(t.Context(), "testdata/osv", now, nil); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			for range 15 {
				if _, err := writer.ImportOSVPath(context.Background(), "testdata/osv", now, nil); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
		for i := 0; ; i++ {
			reader, err := vulndb.Open(t.Context(), dir, false)
			if err != nil {
				t.Fatal(err)
			}
			recs, err := reader.Lookup(t.Context(), vulndb.PackageKey("PyPI", "example-lib"))
			reader.Close()
			if err != nil {
				t.Fatalf("lookup %d during an update: %v", i, err)
			}
			if got := ids(recs); len(got) != 2 {
				t.Fatalf("lookup %d saw %v: half an import", i, got)
			}
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
				if i == 0 {
					t.Log("the updates finished before a second lookup")
				}
				return
			default:
			}
		}
	})
}

// TestFeedsReadPaths asks for the same ids once with fewer ids than the EPSS table has rows (read
// by id) and once with more (the table is read whole and filtered): both must give exactly what
// was asked for.
func TestFeedsReadPaths(t *testing.T) {
	vulndbtest.EachBackend(t, func(t *testing.T, b vulndbtest.Backend) {
		db := vulndbtest.OpenAt(t, b.Loc(t))
		var csv strings.Builder
		csv.WriteString("cve,epss,percentile\n")
		for i := range 300 {
			fmt.Fprintf(&csv, "CVE-2026-%d,0.%03d,0.5\n", 10000+i, i)
		}
		if _, err := db.ImportEPSS(t.Context(), "epss.csv", strings.NewReader(csv.String()), now); err != nil {
			t.Fatal(err)
		}
		asked := []string{"CVE-2026-10007", "CVE-2026-10299", "CVE-2026-99999", "GHSA-last-3333-zzzz", "CVE-2026-10007"}
		byID, err := db.Feeds(t.Context(), slices.Clone(asked))
		if err != nil {
			t.Fatal(err)
		}
		many := slices.Clone(asked)
		for i := range 400 {
			many = append(many, fmt.Sprintf("CVE-2025-%d", i)) // not in the table: it now has fewer rows than ids
		}
		whole, err := db.Feeds(t.Context(), many)
		if err != nil {
			t.Fatal(err)
		}
		for name, f := range map[string]*vulndb.Feeds{"by id": byID, "whole table": whole} {
			if len(f.EPSS) != 2 || f.EPSS["CVE-2026-10007"].Score != 0.007 || f.EPSS["CVE-2026-10299"].Score != 0.299 {
				t.Errorf("%s: EPSS %v", name, f.EPSS)
			}
			if es := f.EUVD["GHSA-last-3333-zzzz"]; len(f.EUVD) != 1 || len(es) != 1 || es[0].ID != "EUVD-2026-10001" {
				t.Errorf("%s: EUVD %v", name, f.EUVD)
			}
		}
	})
}

// TestLookupBatchRaw checks that a batch's undecoded records decode to what a lookup of the key
// alone returns, in the same order, for every key asked (one twice, one unknown), with more keys
// than one statement reads.
func TestLookupBatchRaw(t *testing.T) {
	vulndbtest.EachBackend(t, func(t *testing.T, b vulndbtest.Backend) {
		db := vulndbtest.OpenAt(t, b.Loc(t))
		var keys []vulndb.Key
		for _, k := range [][2]string{{"PyPI", "example-lib"}, {"Go", "stdlib"}, {"npm", "nothing-here"}, {"PyPI", "example-lib"}} {
			keys = append(keys, vulndb.PackageKey(k[0], k[1]))
		}
		for range vulndb.LookupBatchSize {
			keys = append(keys, vulndb.PackageKey("Go", "stdlib"))
		}
		raw, err := db.LookupBatchRaw(t.Context(), keys)
		if err != nil {
			t.Fatal(err)
		}
		if len(raw) != len(keys) {
			t.Fatalf("%d lists for %d keys", len(raw), len(keys))
		}
		if len(raw[0]) == 0 || len(raw[1]) == 0 || len(raw[2]) != 0 {
			t.Fatalf("records per key: %d, %d, %d", len(raw[0]), len(raw[1]), len(raw[2]))
		}
		for i := range keys {
			var got []*vulndb.Record
			for _, rr := range raw[i] {
				r, err := vulndb.DecodeRecord(rr)
				if err != nil {
					t.Fatal(err)
				}
				if r.ID != rr.ID {
					t.Errorf("record %s decodes as %s", rr.ID, r.ID)
				}
				got = append(got, r)
			}
			want, err := db.Lookup(t.Context(), keys[i])
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("key %d %v (-Lookup +decoded batch):\n%s", i, keys[i], diff)
			}
		}
		if _, err := vulndb.DecodeRecord(vulndb.RawRecord{ID: "X-1", Data: []byte(`{"id":`)}); err == nil || !strings.Contains(err.Error(), "X-1") {
			t.Errorf("corrupt record: %v", err)
		}
	})
}
