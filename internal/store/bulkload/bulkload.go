// Package bulkload fills an empty store with generated rows quickly, for benchmarks at a scale
// the store's own write path would take hours to reach: rows go in by multi-row inserts (SQLite)
// or COPY (PostgreSQL) in one transaction, with the component table's secondary indexes dropped
// during the load and built again after it from the store's own definitions (one sort per index
// instead of millions of random inserts). The rows are the caller's: what it leaves out (ledger
// entries, audit records) the store does not have.
//
// A loaded store can be kept between runs: Key names it by dialect, shape and schema, so a
// changed migration or generator is loaded anew. SessionPIDs and ProcessesCPU read the CPU time
// of a PostgreSQL database's server processes, which a benchmark on the same machine reports
// beside its own.
package bulkload

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/siegel-oss/siegel/internal/store"
)

// Loader streams generated rows into the tables of a store being loaded.
type Loader interface {
	// Rows adds n rows to table, the values of row i in the order of cols.
	Rows(table string, cols []string, n int, row func(i int) []any) error
}

// Report says how long a load took: the rows (wall and this process's CPU time) and the index
// builds after them.
type Report struct {
	Rows, RowsCPU, Indexes time.Duration
	Built                  int // indexes built after the load
}

func (r Report) String() string {
	return fmt.Sprintf("rows loaded in %v (CPU %v), %d indexes built in %v", r.Rows.Round(time.Second), r.RowsCPU.Round(time.Second), r.Built, r.Indexes.Round(time.Second))
}

// Key names a loaded store of dialect d and of a shape (the generator's version and parameters,
// as text) under the store's current migrations.
func Key(d store.Dialect, shape string) (string, error) {
	schema, err := store.SchemaDigest(d)
	if err != nil {
		return "", err
	}
	h := sha256.Sum256([]byte(string(d) + "\n" + shape + "\n" + schema))
	return hex.EncodeToString(h[:])[:16], nil
}

// SQLite creates a store in the directory dir (which must not exist yet) and loads it with fill.
// The load runs without a journal; the store is in WAL mode again afterwards. No ANALYZE: the
// store runs none either, so the plans a benchmark measures are those a server gets.
func SQLite(ctx context.Context, dir string, now func() time.Time, fill func(Loader) error) (Report, error) {
	st, err := store.OpenSQLite(ctx, dir, now)
	if err != nil {
		return Report{}, err
	}
	if err := st.Close(); err != nil {
		return Report{}, err
	}
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "siegel.sqlite")+
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(OFF)&_pragma=synchronous(OFF)&_pragma=cache_size(-524288)&_pragma=temp_store(MEMORY)&_time_format=sqlite")
	if err != nil {
		return Report{}, err
	}
	defer raw.Close()
	raw.SetMaxOpenConns(1)
	tx, err := raw.BeginTx(ctx, nil)
	if err != nil {
		return Report{}, err
	}
	defer tx.Rollback()
	defs, err := indexDefs(ctx, tx, `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'component' AND sql IS NOT NULL`)
	if err != nil {
		return Report{}, err
	}
	rep, err := load(defs, func(q string) error { _, err := tx.ExecContext(ctx, q); return err }, func() error { return fill(sqliteLoader{ctx, tx}) })
	if err != nil {
		return rep, err
	}
	if err := tx.Commit(); err != nil {
		return rep, err
	}
	_, err = raw.ExecContext(ctx, "PRAGMA journal_mode=WAL")
	return rep, err
}

// Postgres migrates the empty database at dsn and loads it with fill, then analyzes it, as
// autovacuum would after such a load on a server that runs it.
func Postgres(ctx context.Context, dsn string, now func() time.Time, fill func(Loader) error) (Report, error) {
	st, err := store.OpenPostgres(ctx, dsn, now)
	if err != nil {
		return Report{}, err
	}
	st.Close()
	pc, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return Report{}, err
	}
	defer pc.Close(ctx)
	for _, set := range []string{"SET maintenance_work_mem = '512MB'", "SET synchronous_commit = off"} {
		if _, err := pc.Exec(ctx, set); err != nil {
			return Report{}, err
		}
	}
	tx, err := pc.Begin(ctx)
	if err != nil {
		return Report{}, err
	}
	defer tx.Rollback(ctx)
	rows, err := tx.Query(ctx, `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'component' AND indexdef NOT LIKE 'CREATE UNIQUE%'`)
	if err != nil {
		return Report{}, err
	}
	defs := map[string]string{}
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			rows.Close()
			return Report{}, err
		}
		defs[name] = def
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Report{}, err
	}
	rep, err := load(defs, func(q string) error { _, err := tx.Exec(ctx, q); return err }, func() error { return fill(pgLoader{ctx, tx}) })
	if err != nil {
		return rep, err
	}
	if err := tx.Commit(ctx); err != nil {
		return rep, err
	}
	_, err = pc.Exec(ctx, "VACUUM ANALYZE")
	return rep, err
}

// indexDefs reads the names and definitions of indexes (SQLite).
func indexDefs(ctx context.Context, tx *sql.Tx, q string) (map[string]string, error) {
	rows, err := tx.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	defs := map[string]string{}
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			return nil, err
		}
		defs[name] = def
	}
	return defs, rows.Err()
}

// load drops the indexes defs, runs fill and builds them again, in the caller's transaction.
func load(defs map[string]string, exec func(string) error, fill func() error) (Report, error) {
	names := slices.Sorted(maps.Keys(defs))
	for _, name := range names {
		if err := exec("DROP INDEX " + name); err != nil {
			return Report{}, fmt.Errorf("drop index %s for the load: %w", name, err)
		}
	}
	t0, c0 := time.Now(), cpuTime()
	if err := fill(); err != nil {
		return Report{}, err
	}
	rep := Report{Rows: time.Since(t0), RowsCPU: cpuTime() - c0, Built: len(names)}
	t1 := time.Now()
	for _, name := range names {
		if err := exec(defs[name]); err != nil {
			return rep, fmt.Errorf("build index %s after the load: %w", name, err)
		}
	}
	rep.Indexes = time.Since(t1)
	return rep, nil
}

// sqliteLoader inserts in one transaction, many rows per prepared statement.
type sqliteLoader struct {
	ctx context.Context
	tx  *sql.Tx
}

func (s sqliteLoader) Rows(table string, cols []string, n int, row func(int) []any) error {
	per := max(1, 30000/len(cols))
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",") + ")"
	stmt := func(m int) (*sql.Stmt, error) {
		return s.tx.PrepareContext(s.ctx, "INSERT INTO "+table+" ("+strings.Join(cols, ",")+") VALUES "+strings.TrimSuffix(strings.Repeat(one+",", m), ","))
	}
	full, err := stmt(min(per, n))
	if err != nil {
		return fmt.Errorf("load %s: %w", table, err)
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
				return fmt.Errorf("load %s: %w", table, err)
			}
			defer st.Close()
		}
		if _, err := st.ExecContext(s.ctx, args...); err != nil {
			return fmt.Errorf("load %s: %w", table, err)
		}
	}
	return nil
}

// pgLoader copies rows with COPY FROM, and moves a table's id sequence past the ids copied.
type pgLoader struct {
	ctx context.Context
	tx  pgx.Tx
}

func (s pgLoader) Rows(table string, cols []string, n int, row func(int) []any) error {
	i := 0
	_, err := s.tx.CopyFrom(s.ctx, pgx.Identifier{table}, cols, pgx.CopyFromFunc(func() ([]any, error) {
		if i == n {
			return nil, nil
		}
		i++
		return row(i - 1), nil
	}))
	if err != nil {
		return fmt.Errorf("load %s: %w", table, err)
	}
	if slices.Contains(cols, "id") {
		if _, err = s.tx.Exec(s.ctx, fmt.Sprintf("SELECT setval(pg_get_serial_sequence('%s', 'id'), (SELECT max(id) FROM %s))", table, table)); err != nil {
			return fmt.Errorf("load %s: move the id sequence: %w", table, err)
		}
	}
	return nil
}

// cpuTime is the user and system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// KeptSQLite returns the directory of the SQLite store kept under key in Dir, loading it with fill
// first when there is none; the report is nil for a store loaded before. A store is loaded next
// to its place and moved there once complete, so an interrupted load is never taken for one.
func KeptSQLite(ctx context.Context, key string, now func() time.Time, fill func(Loader) error) (string, *Report, error) {
	dir := filepath.Join(Dir(), "sqlite-"+key)
	if _, err := os.Stat(filepath.Join(dir, "siegel.sqlite")); err == nil {
		return dir, nil, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", nil, err
	}
	tmp := dir + ".loading"
	if err := os.RemoveAll(tmp); err != nil {
		return "", nil, err
	}
	rep, err := SQLite(ctx, tmp, now, fill)
	if err != nil {
		return "", nil, err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return "", nil, err
	}
	return dir, &rep, nil
}

// KeptPostgres returns the URL of the database siegel_bench_<key> on the PostgreSQL server of
// admin (a URL of any database there), loading it with fill first when there is none; the report
// is nil for a database loaded before. It is loaded under another name and renamed once complete.
func KeptPostgres(ctx context.Context, admin, key string, now func() time.Time, fill func(Loader) error) (string, *Report, error) {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", nil, err
	}
	defer conn.Close(ctx)
	name := "siegel_bench_" + key
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_database WHERE datname = $1`, name).Scan(&n); err != nil {
		return "", nil, err
	}
	u, err := url.Parse(admin)
	if err != nil {
		return "", nil, err
	}
	var rep *Report
	if n == 0 {
		tmp := name + "_loading"
		for _, q := range []string{"DROP DATABASE IF EXISTS " + tmp + " WITH (FORCE)", "CREATE DATABASE " + tmp} {
			if _, err := conn.Exec(ctx, q); err != nil {
				return "", nil, err
			}
		}
		u.Path = "/" + tmp
		r, err := Postgres(ctx, u.String(), now, fill)
		if err != nil {
			return "", nil, err
		}
		if _, err := conn.Exec(ctx, "ALTER DATABASE "+tmp+" RENAME TO "+name); err != nil {
			return "", nil, err
		}
		rep = &r
	}
	u.Path = "/" + name
	return u.String(), rep, nil
}

// Dir is the directory kept loaded stores live under: SIEGEL_BENCH_CACHE, or the temporary
// directory's siegel-bench.
func Dir() string {
	if d := os.Getenv("SIEGEL_BENCH_CACHE"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "siegel-bench")
}
