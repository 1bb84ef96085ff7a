package store_test

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/siegel-oss/siegel/internal/store"
	"github.com/siegel-oss/siegel/internal/store/pgtest"
)

// Findings kept before their aliases had a column get them from their records when the store is
// migrated, and findings written since keep them: the findings in force come with them.
func TestFindingAliasesMigration(t *testing.T) {
	open := map[string]func(t *testing.T) (*sql.DB, func() *store.DB){
		"sqlite": func(t *testing.T) (*sql.DB, func() *store.DB) {
			dir := t.TempDir()
			db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "siegel.sqlite"))
			if err != nil {
				t.Fatal(err)
			}
			return db, func() *store.DB {
				st, err := store.OpenSQLite(t.Context(), dir, clock)
				if err != nil {
					t.Fatal(err)
				}
				return st
			}
		},
		"postgres": func(t *testing.T) (*sql.DB, func() *store.DB) {
			dsn := pgtest.Database(t)
			db, err := sql.Open("pgx", dsn)
			if err != nil {
				t.Fatal(err)
			}
			return db, func() *store.DB {
				st, err := store.OpenPostgres(t.Context(), dsn, clock)
				if err != nil {
					t.Fatal(err)
				}
				return st
			}
		},
	}
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			db, migrated := open[dialect](t)
			exec := migrateBefore(t, db, dialect, "046")
			exec(`INSERT INTO organization (name, size_class, authority, created_at) VALUES ('ACME', 'small', FALSE, '2026-01-01 00:00:00')`)
			exec(`INSERT INTO product (organization, name, category, cra_class, created_at) VALUES (1, 'R', 'router', 'default', '2026-01-01 00:00:00')`)
			exec(`INSERT INTO product_summary (product, organization, name, releases) SELECT id, organization, name, 0 FROM product`)
			exec(`INSERT INTO release (product, version, support_end, created_at) VALUES (1, 'v1', '2031-12', '2026-01-01 00:00:00')`)
			for _, f := range []struct{ vuln, data string }{
				{"CVE-2026-1", `{"id":"CVE-2026-1","aliases":["GHSA-aaaa-bbbb-cccc","PYSEC-2026-1"],"summary":"\"aliases\":[\"not these\"]"}`},
				{"CVE-2026-2", `{"id":"CVE-2026-2","records":["OSV-2"]}`},
				{"CVE-2026-3", `{"id":"CVE-2026-3","aliases":null}`},
			} {
				exec(`INSERT INTO finding (release, vulnerability, purl, severity, score, exploited, data, first_seen, updated_at)
					VALUES (1, '` + f.vuln + `', 'pkg:pypi/a@1', 'HIGH', 7.5, FALSE, '` + f.data + `', '2026-01-01 00:00:00', '2026-01-01 00:00:00')`)
			}
			db.Close()
			st := migrated()
			defer st.Close()
			// A finding written after the migration, its aliases taken from its record.
			if _, err := st.ApplyFindingsBatch(t.Context(), []store.Outcome{{Release: 1, Scope: map[string]bool{"pkg:pypi/b@1": true}, Findings: []store.Finding{
				{Vulnerability: "CVE-2026-4", PURL: "pkg:pypi/b@1", Severity: "LOW", Data: []byte(`{"id":"CVE-2026-4","aliases":["GHSA-dddd-eeee-ffff"]}`)}}}}, nil); err != nil {
				t.Fatal(err)
			}
			fs, err := st.FindingsInForce(t.Context(), []int64{1})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string][]string{}
			for _, f := range fs[1] {
				got[f.Vulnerability] = f.Aliases
			}
			want := map[string][]string{"CVE-2026-1": {"GHSA-aaaa-bbbb-cccc", "PYSEC-2026-1"}, "CVE-2026-2": nil, "CVE-2026-3": nil, "CVE-2026-4": {"GHSA-dddd-eeee-ffff"}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("aliases of the findings in force (-want +got):\n%s", diff)
			}
		})
	}
}
