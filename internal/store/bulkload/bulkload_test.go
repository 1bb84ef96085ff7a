package bulkload

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/siegel-oss/siegel/internal/store"
	"github.com/siegel-oss/siegel/internal/store/pgtest"
)

var clock = func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) }

// fill loads one organization, two products, three releases with an SBOM of two components each.
func fill(l Loader) error {
	now := clock()
	for _, t := range []struct {
		table string
		cols  []string
		n     int
		row   func(int) []any
	}{
		{"organization", []string{"id", "name", "size_class", "authority", "created_at"}, 1, func(int) []any { return []any{1, "ACME", "large", false, now} }},
		{"product", []string{"id", "organization", "name", "category", "cra_class", "created_at"}, 2, func(i int) []any { return []any{i + 1, 1, "p" + string(rune('a'+i)), "router", "default", now} }},
		{"release", []string{"id", "product", "version", "support_end", "created_at"}, 3, func(i int) []any { return []any{i + 1, i%2 + 1, "1." + string(rune('0'+i)), "2031-12", now} }},
		{"sbom", []string{"id", "release", "format", "sha256", "components", "uploaded_at"}, 3, func(i int) []any { return []any{i + 1, i + 1, "cyclonedx-json", "sha" + string(rune('0'+i)), 2, now} }},
		{"component", []string{"sbom", "release", "ref", "name", "version", "purl", "direct", "ecosystem", "lookup", "match_version", "vcs_commit", "base_purl"}, 6, func(i int) []any {
			name := "lib" + string(rune('a'+i%2))
			return []any{i/2 + 1, i/2 + 1, name, name, "1.0", "pkg:npm/" + name + "@1.0", true, "npm", name, "1.0", "", "pkg:npm/" + name}
		}},
	} {
		if err := l.Rows(t.table, t.cols, t.n, t.row); err != nil {
			return err
		}
	}
	return nil
}

// TestLoad: a loaded store has the rows, the component indexes of a store migrated the usual
// way (dropped for the load, built again), and id sequences past the loaded ids.
func TestLoad(t *testing.T) {
	ctx := t.Context()
	check := func(t *testing.T, st *store.DB, indexes func() []string, fresh []string) {
		t.Helper()
		comps, err := st.ReleaseComponents(ctx, 2)
		if err != nil || len(comps) != 2 || comps[0].PURL != "pkg:npm/liba@1.0" {
			t.Fatalf("components of release 2: %+v, %v", comps, err)
		}
		if diff := cmp.Diff(fresh, indexes()); diff != "" {
			t.Errorf("component indexes after the load differ from a migrated store's (-migrated +loaded):\n%s", diff)
		}
		p, err := st.CreateProduct(ctx, 1, "new", "router", "default")
		if err != nil || p.ID != 3 {
			t.Errorf("a product created after the load: %+v, %v; want id 3", p, err)
		}
	}
	t.Run("sqlite", func(t *testing.T) {
		indexes := func(dir string) []string {
			db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "siegel.sqlite"))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			return column(t, db, `SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'component' AND sql IS NOT NULL ORDER BY name`)
		}
		plain := t.TempDir()
		st, err := store.OpenSQLite(ctx, plain, clock)
		if err != nil {
			t.Fatal(err)
		}
		st.Close()
		fresh := indexes(plain)
		t.Setenv("SIEGEL_BENCH_CACHE", t.TempDir())
		dir, rep, err := KeptSQLite(ctx, "k", clock, fill)
		if err != nil || rep == nil || rep.Built != len(fresh) {
			t.Fatalf("first load: %v, %v; want a report of %d indexes built", rep, err, len(fresh))
		}
		if again, rep, err := KeptSQLite(ctx, "k", clock, func(Loader) error { t.Fatal("loaded again"); return nil }); err != nil || rep != nil || again != dir {
			t.Errorf("second call: %s, %v, %v; want the kept %s", again, rep, err, dir)
		}
		st, err = store.OpenSQLite(ctx, dir, clock)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		check(t, st, func() []string { return indexes(dir) }, fresh)
	})
	t.Run("postgres", func(t *testing.T) {
		indexes := func(dsn string) []string {
			db, err := sql.Open("pgx", dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			return column(t, db, `SELECT indexdef FROM pg_indexes WHERE tablename = 'component' AND schemaname = 'public' ORDER BY indexname`)
		}
		plain := pgtest.Database(t)
		st, err := store.OpenPostgres(ctx, plain, clock)
		if err != nil {
			t.Fatal(err)
		}
		st.Close()
		fresh := indexes(plain)
		dsn := pgtest.Database(t)
		rep, err := Postgres(ctx, dsn, clock, fill)
		if err != nil || rep.Built == 0 {
			t.Fatalf("load: %v, %v", rep, err)
		}
		st, err = store.OpenPostgres(ctx, dsn, clock)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		check(t, st, func() []string { return indexes(dsn) }, fresh)
	})
}

func column(t *testing.T, db *sql.DB, q string) []string {
	rows, err := db.QueryContext(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return slices.Clip(out)
}
