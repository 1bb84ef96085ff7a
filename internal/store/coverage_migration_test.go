package store_test

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/siegel-oss/siegel/internal/match"
	"github.com/siegel-oss/siegel/internal/store"
	"github.com/siegel-oss/siegel/internal/store/pgtest"
	"github.com/siegel-oss/siegel/internal/store/storetest"
)

// Coverage records kept before the counts beside them existed get their counts from the records
// themselves when the store is migrated: equal to what restating each record gives.
func TestCoverageCountsMigration(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "siegel.sqlite"))
		if err != nil {
			t.Fatal(err)
		}
		fillBeforeCoverageCounts(t, db, "sqlite")
		st, err := store.OpenSQLite(t.Context(), dir, clock)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		checkCoverageCounts(t, st)
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := pgtest.Database(t)
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Fatal(err)
		}
		fillBeforeCoverageCounts(t, db, "postgres")
		st, err := store.OpenPostgres(t.Context(), dsn, clock)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		checkCoverageCounts(t, st)
	})
}

func checkCoverageCounts(t *testing.T, st *store.DB) {
	if totals, err := st.ProductCoverageTotals(t.Context(), []int64{1, 2}); err != nil || totals[1].Releases != 2 || totals[1].Checkable["npm"] != 9 {
		t.Errorf("totals after the migration: %+v, %v", totals, err)
	}
	storetest.KeptCoverage(t, st, 1, []int64{1, 2}, "after the migration")
}

// fillBeforeCoverageCounts migrates db up to the coverage counts, stores three coverage records
// in two products (ids from 1 in a new database) and closes db.
func fillBeforeCoverageCounts(t *testing.T, db *sql.DB, dialect string) {
	defer db.Close()
	exec := migrateBefore(t, db, dialect, "044")
	exec(`INSERT INTO organization (name, size_class, authority, created_at) VALUES ('ACME', 'small', FALSE, '2026-01-01 00:00:00')`)
	exec(`INSERT INTO product (organization, name, category, cra_class, created_at) VALUES (1, 'R', 'router', 'default', '2026-01-01 00:00:00'), (1, 'C', 'router', 'default', '2026-01-01 00:00:00')`)
	exec(`INSERT INTO product_summary (product, organization, name, releases) SELECT id, organization, name, 0 FROM product`)
	records := []match.Coverage{
		{Components: 20, Checked: 14, NotChecked: 6, UnknownEcosystem: 2, Ecosystems: []match.EcosystemCoverage{
			{Ecosystem: "npm", Components: 12, Checked: 9, NoVersion: 1, BadVersion: 2}, {Ecosystem: "PyPI", Components: 6, Checked: 5, NoVersion: 1}}},
		{Components: 3, NotChecked: 3, UnknownEcosystem: 3}, // no ecosystems: null in the record
		{Components: 40, Checked: 0, NotChecked: 40, Ecosystems: []match.EcosystemCoverage{{Ecosystem: "Debian", Components: 40, NoData: 40}}},
	}
	for i, c := range records {
		data, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		exec(fmt.Sprintf(`INSERT INTO release (product, version, support_end, created_at) VALUES (%d, 'v%d', '2031-12', '2026-01-01 00:00:00')`, i%2+1, i))
		exec(fmt.Sprintf(`INSERT INTO release_coverage (release, coverage, updated_at) VALUES (%d, '%s', '2026-01-01 00:00:00')`, i+1, data))
	}
}

// migrateBefore applies the migrations of dialect to db up to the one whose name starts with
// before, and returns a function that executes a statement on db.
func migrateBefore(t *testing.T, db *sql.DB, dialect, before string) func(q string) {
	files, err := filepath.Glob("migrations/" + dialect + "/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	exec := func(q string) {
		t.Helper()
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%.80s: %v", q, err)
		}
	}
	exec(`CREATE TABLE schema_migration (name TEXT PRIMARY KEY)`)
	for _, f := range files {
		if filepath.Base(f) >= before {
			break
		}
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		exec(string(body))
		exec(fmt.Sprintf(`INSERT INTO schema_migration (name) VALUES ('%s')`, filepath.Base(f)))
	}
	return exec
}
