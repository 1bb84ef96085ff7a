package portfolio

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/siegel-oss/siegel/internal/store"
)

// Seeding millions of occurrences takes minutes, so a seeded store is kept between runs: a
// SQLite file under SIEGEL_BENCH_CACHE (default the temporary directory's
// siegel-bench-portfolio), a PostgreSQL database named siegel_bench_<key>. The key hashes the
// shape, the seed's version and the store's migrations, so a changed schema or seed is seeded
// anew; a seed is published (renamed) only once complete. Remove the directory or drop the
// databases to reclaim the space.

// seedVersion changes whenever seed generates different rows.
const seedVersion = "2"

// seedKey identifies a seeded store of dialect and shape s under the current migrations.
func seedKey(b *testing.B, dialect string, s shape) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s %s %+v\n", seedVersion, dialect, s)
	dir := filepath.Join("..", "store", "migrations", dialect)
	entries, err := os.ReadDir(dir)
	if err != nil {
		b.Fatalf("read the migrations for the seed's key: %v", err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			b.Fatal(err)
		}
		fmt.Fprintf(h, "%s %d\n", e.Name(), len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// seeder streams the rows of one table.
type seeder interface {
	rows(table string, cols []string, n int, row func(i int) []any) error
}

// sqliteSeeder inserts in one transaction, many rows per prepared statement.
type sqliteSeeder struct{ tx *sql.Tx }

func (s sqliteSeeder) rows(table string, cols []string, n int, row func(int) []any) error {
	per := max(1, 30000/len(cols))
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",") + ")"
	stmt := func(m int) (*sql.Stmt, error) {
		return s.tx.Prepare("INSERT INTO " + table + " (" + strings.Join(cols, ",") + ") VALUES " + strings.TrimSuffix(strings.Repeat(one+",", m), ","))
	}
	full, err := stmt(min(per, n))
	if err != nil {
		return fmt.Errorf("seed %s: %w", table, err)
	}
	defer full.Close()
	args := make([]any, 0, per*len(cols))
	for i := 0; i < n; i += per {
		m := min(per, n-i)
		args = args[:0]
		for j := range m {
			args = append(args, row(i+j)...)
		}
		st := full
		if m < min(per, n) {
			if st, err = stmt(m); err != nil {
				return fmt.Errorf("seed %s: %w", table, err)
			}
			defer st.Close()
		}
		if _, err := st.Exec(args...); err != nil {
			return fmt.Errorf("seed %s: %w", table, err)
		}
	}
	return nil
}

// pgSeeder copies rows with COPY FROM (pgx CopyFrom).
type pgSeeder struct {
	ctx context.Context
	tx  pgx.Tx
}

func (s pgSeeder) rows(table string, cols []string, n int, row func(int) []any) error {
	i := 0
	_, err := s.tx.CopyFrom(s.ctx, pgx.Identifier{table}, cols, pgx.CopyFromFunc(func() ([]any, error) {
		if i == n {
			return nil, nil
		}
		i++
		return row(i - 1), nil
	}))
	if err != nil {
		return fmt.Errorf("seed %s: %w", table, err)
	}
	if slices.Contains(cols, "id") {
		_, err = s.tx.Exec(s.ctx, fmt.Sprintf("SELECT setval(pg_get_serial_sequence('%s', 'id'), (SELECT max(id) FROM %s))", table, table))
	}
	return err
}

// benchDSN is the PostgreSQL database the benchmark uses.
var benchDSN string

// backendPIDs lists the server processes of the benchmark database's sessions.
func backendPIDs(b *testing.B, _ *store.DB) []int {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, benchDSN)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	var pids []int
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			b.Fatal(err)
		}
		pids = append(pids, pid)
	}
	b.Logf("PostgreSQL backends measured: %v", pids)
	return pids
}

// openSeeded returns a store of the dialect seeded with shape s, seeding it unless a seeded one
// of the same key is kept from an earlier run.
func openSeeded(b *testing.B, dialect string, s shape) *store.DB {
	if os.Getenv("SIEGEL_BENCH_PORTFOLIO") == "" {
		b.Skip("set SIEGEL_BENCH_PORTFOLIO=1 to seed millions of occurrences and run this benchmark")
	}
	ctx := context.Background()
	key := seedKey(b, dialect, s)
	var st *store.DB
	var err error
	switch dialect {
	case "sqlite":
		root := os.Getenv("SIEGEL_BENCH_CACHE")
		if root == "" {
			root = filepath.Join(os.TempDir(), "siegel-bench-portfolio")
		}
		dir := filepath.Join(root, "sqlite-"+key)
		if _, err := os.Stat(filepath.Join(dir, "siegel.sqlite")); errors.Is(err, fs.ErrNotExist) {
			start := time.Now()
			seedSQLite(b, dir, s)
			b.Logf("sqlite: seeded %d releases, %d occurrences in %v into %s", s.releases(), s.releases()*s.perRelease, time.Since(start).Round(time.Second), dir)
		} else {
			b.Logf("sqlite: %d occurrences seeded earlier in %s", s.releases()*s.perRelease, dir)
		}
		if st, err = store.OpenSQLite(ctx, dir, benchClock); err != nil {
			b.Fatal(err)
		}
	case "postgres":
		admin := os.Getenv("SIEGEL_TEST_POSTGRES")
		if admin == "" {
			admin = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
		}
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			b.Skipf("no PostgreSQL at %s: %v", admin, err)
		}
		defer conn.Close(ctx)
		name := "siegel_bench_" + key
		var n int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_database WHERE datname = $1`, name).Scan(&n); err != nil {
			b.Fatal(err)
		}
		u, _ := url.Parse(admin)
		if n == 0 {
			start := time.Now()
			tmp := name + "_seeding"
			if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+tmp+" WITH (FORCE)"); err != nil {
				b.Fatal(err)
			}
			if _, err := conn.Exec(ctx, "CREATE DATABASE "+tmp); err != nil {
				b.Fatal(err)
			}
			u.Path = "/" + tmp
			seedPostgres(b, u.String(), s)
			if _, err := conn.Exec(ctx, "ALTER DATABASE "+tmp+" RENAME TO "+name); err != nil {
				b.Fatal(err)
			}
			b.Logf("postgres: seeded %d releases, %d occurrences in %v into database %s", s.releases(), s.releases()*s.perRelease, time.Since(start).Round(time.Second), name)
		} else {
			b.Logf("postgres: %d occurrences seeded earlier in database %s", s.releases()*s.perRelease, name)
		}
		u.Path = "/" + name
		benchDSN = u.String()
		if st, err = store.OpenPostgres(ctx, benchDSN, benchClock); err != nil {
			b.Fatal(err)
		}
	}
	b.Cleanup(func() { st.Close() })
	return st
}

// seedSQLite creates the store in a directory next to dir, seeds it and renames it to dir. The
// load runs without a journal and with the component table's indexes dropped, which are built
// again after it with the store's own definitions: one sort per index instead of millions of
// random inserts. No ANALYZE: the store does not run one either, so the plans measured are the
// plans a server gets.
func seedSQLite(b *testing.B, dir string, s shape) {
	ctx := context.Background()
	tmp := dir + ".seeding"
	if err := os.RemoveAll(tmp); err != nil {
		b.Fatal(err)
	}
	st, err := store.OpenSQLite(ctx, tmp, benchClock)
	if err != nil {
		b.Fatal(err)
	}
	if err := st.Close(); err != nil {
		b.Fatal(err)
	}
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(tmp, "siegel.sqlite")+
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(OFF)&_pragma=synchronous(OFF)&_pragma=cache_size(-524288)&_pragma=temp_store(MEMORY)&_time_format=sqlite")
	if err != nil {
		b.Fatal(err)
	}
	raw.SetMaxOpenConns(1)
	tx, err := raw.Begin()
	if err != nil {
		b.Fatal(err)
	}
	defs := map[string]string{}
	rows, err := tx.Query(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'component' AND sql IS NOT NULL`)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			b.Fatal(err)
		}
		defs[k] = v
	}
	rows.Close()
	for name := range defs {
		if _, err := tx.Exec("DROP INDEX " + name); err != nil {
			b.Fatal(err)
		}
	}
	t0, c0 := time.Now(), cpuTime()
	seed(b, sqliteSeeder{tx}, s)
	t1, c1 := time.Now(), cpuTime()
	for _, def := range defs {
		if _, err := tx.Exec(def); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	b.Logf("sqlite: rows loaded in %v (CPU %v), %d indexes built in %v (CPU %v)", t1.Sub(t0).Round(time.Second), (c1 - c0).Round(time.Second),
		len(defs), time.Since(t1).Round(time.Second), (cpuTime() - c1).Round(time.Second))
	if _, err := raw.Exec("PRAGMA journal_mode=WAL"); err != nil {
		b.Fatal(err)
	}
	if err := raw.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		b.Fatal(err)
	}
}

// seedPostgres migrates the database at dsn, copies the rows in with the component table's
// (non-unique) indexes dropped, builds them again and analyzes.
func seedPostgres(b *testing.B, dsn string, s shape) {
	ctx := context.Background()
	st, err := store.OpenPostgres(ctx, dsn, benchClock)
	if err != nil {
		b.Fatal(err)
	}
	st.Close()
	pc, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer pc.Close(ctx)
	for _, set := range []string{"SET maintenance_work_mem = '512MB'", "SET synchronous_commit = off"} {
		if _, err := pc.Exec(ctx, set); err != nil {
			b.Fatal(err)
		}
	}
	tx, err := pc.Begin(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defs := map[string]string{}
	rows, err := tx.Query(ctx, `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'component' AND indexdef NOT LIKE 'CREATE UNIQUE%'`)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			b.Fatal(err)
		}
		defs[name] = def
	}
	rows.Close()
	for name := range defs {
		if _, err := tx.Exec(ctx, "DROP INDEX "+name); err != nil {
			b.Fatal(err)
		}
	}
	t0, c0 := time.Now(), cpuTime()
	seed(b, pgSeeder{ctx, tx}, s)
	t1 := time.Now()
	for _, def := range defs {
		if _, err := tx.Exec(ctx, def); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		b.Fatal(err)
	}
	if _, err := pc.Exec(ctx, "VACUUM ANALYZE"); err != nil {
		b.Fatal(err)
	}
	b.Logf("postgres: rows copied in %v (client CPU %v), %d indexes built and analyzed in %v", t1.Sub(t0).Round(time.Second), (cpuTime() - c0).Round(time.Second),
		len(defs), time.Since(t1).Round(time.Second))
}
