// Package store keeps Siegel's records — organizations, products, releases and the SBOMs
// uploaded for them — in SQLite (embedded, the default) or PostgreSQL (installs that outgrow one
// machine). One implementation speaks to both through database/sql; what differs between the two
// dialects is confined to the migrations and to placeholder syntax.
package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver "pgx"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Errors callers branch on; driver errors are mapped to them.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("already exists")
)

// Dialect names the database flavour.
type Dialect string

// Dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

//go:embed migrations
var migrations embed.FS

// DB is an open store.
type DB struct {
	sql     *sql.DB
	dialect Dialect
	now     func() time.Time
	// upperHashes keeps the ledger's stored hashes of complete subtrees of 1,024 entries and
	// more, as read from committed data: the log is append-only, so they never change, and
	// every proof and root needs a few of them.
	upperHashes sync.Map // int64 stored hash index -> tlog.Hash
	upperCount  atomic.Int64
	subjectTop  subjectTop // the ledger's subject map near its root, for appends
	// readers, on SQLite, is a pool of query-only connections for hot read paths (device
	// polls, and the reads of the portfolio, product and release pages and of sessions) that
	// need not wait for the one writer connection; nil on PostgreSQL.
	readers *sql.DB
}

// OpenSQLite opens (creating if needed) the store in dir/siegel.sqlite: a busy timeout (set
// first, so that switching a new file to WAL waits for another process doing the same instead
// of failing), WAL mode and foreign keys on, and one writer connection (SQLite serializes writers anyway; one
// connection makes that explicit and avoids busy errors between our own connections).
func OpenSQLite(ctx context.Context, dir string, now func() time.Time) (*DB, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	path := filepath.Join(dir, "siegel.sqlite")
	dsn := "file:" + (&url.URL{Path: filepath.ToSlash(path)}).EscapedPath() +
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=cache_size(-262144)&_pragma=mmap_size(1073741824)&_time_format=sqlite"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	// Switching a new file to WAL takes a lock that SQLite does not wait for even with a busy
	// timeout: a process that opens the store while another does the same gets SQLITE_BUSY at
	// once. Connecting again shortly after succeeds.
	for deadline := time.Now().Add(10 * time.Second); ; {
		err := db.PingContext(ctx)
		if err == nil || !strings.Contains(err.Error(), "SQLITE_BUSY") || time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(20 * time.Millisecond):
		}
	}
	st, err := open(ctx, db, SQLite, now)
	if err != nil {
		return nil, err
	}
	return st, st.openReaders(path)
}

// OpenPostgres opens the store in the PostgreSQL database at dsn (postgres://...).
func OpenPostgres(ctx context.Context, dsn string, now func() time.Time) (*DB, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, err
	}
	// Up to 16 idle connections stay open for a minute. The pool's default of two makes every
	// request beyond the second of several at once open a connection — a new server process,
	// its authentication and empty catalog caches — and close it afterwards: with eight clients
	// on the release page, about one connection per page.
	db.SetMaxIdleConns(16)
	db.SetConnMaxIdleTime(time.Minute)
	return open(ctx, db, Postgres, now)
}

func open(ctx context.Context, db *sql.DB, d Dialect, now func() time.Time) (*DB, error) {
	if now == nil {
		now = time.Now
	}
	s := &DB{sql: db, dialect: d, now: func() time.Time { return now().UTC().Truncate(time.Microsecond) }}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s store: %w", d, err)
	}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := s.backfillBasePURL(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the store.
func (s *DB) Close() error {
	if s.readers != nil {
		s.readers.Close()
	}
	return s.sql.Close()
}

// Dialect reports the database flavour.
func (s *DB) Dialect() Dialect { return s.dialect }

// migrate applies, in order and each in its own transaction, the migrations of the dialect that
// have not been applied yet. Several servers starting at once on one PostgreSQL serialize on an
// advisory lock.
func (s *DB) migrate(ctx context.Context) error {
	dir := "migrations/" + string(s.dialect)
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	conn, err := s.sql.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if s.dialect == Postgres {
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(7201911)`); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		defer conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock(7201911)`)
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migration (name TEXT PRIMARY KEY)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, name := range names {
		if err := s.migrateOne(ctx, conn, dir, name); err != nil {
			return err
		}
	}
	return nil
}

// migrateOne applies one migration unless it was applied, checking and applying in one
// transaction. On SQLite that transaction takes the write lock at once (BEGIN IMMEDIATE): two
// servers starting together on one file would otherwise both find a migration missing and apply
// it twice.
func (s *DB) migrateOne(ctx context.Context, conn *sql.Conn, dir, name string) error {
	body, err := fs.ReadFile(migrations, dir+"/"+name)
	if err != nil {
		return err
	}
	exec := func(q string, args ...any) error {
		_, err := conn.ExecContext(ctx, q, args...)
		return err
	}
	if err := exec(map[Dialect]string{SQLite: "BEGIN IMMEDIATE", Postgres: "BEGIN"}[s.dialect]); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			conn.ExecContext(context.Background(), "ROLLBACK")
		}
	}()
	var n int
	if err := conn.QueryRowContext(ctx, s.rebind(`SELECT count(*) FROM schema_migration WHERE name = ?`), name).Scan(&n); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if n == 0 {
		if err := exec(string(body)); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
		if err := exec(s.rebind(`INSERT INTO schema_migration (name) VALUES (?)`), name); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	if err := exec("COMMIT"); err != nil {
		return fmt.Errorf("migration %s: %w", name, err)
	}
	committed = true
	return nil
}

// rebind turns the ? placeholders Siegel's SQL is written with into PostgreSQL's $1, $2, ...
func (s *DB) rebind(q string) string {
	if s.dialect != Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// mapError turns driver errors into the store's sentinels, keeping the driver error for logs.
func mapError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505":
			return fmt.Errorf("%w: %s", ErrConflict, pe.Detail)
		case "23503":
			return fmt.Errorf("%w: %s", ErrNotFound, pe.Detail)
		}
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: %v", ErrConflict, err)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return fmt.Errorf("%w: %v", ErrNotFound, err)
		}
	}
	return err
}

// inTx runs fn in a transaction: committed when fn returns nil, rolled back otherwise. Public
// store methods own their transaction.
func (s *DB) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.sql.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return mapError(err)
	}
	return mapError(tx.Commit())
}

// Ping checks that the database answers.
func (s *DB) Ping(ctx context.Context) error { return s.sql.PingContext(ctx) }

// Backup writes a consistent copy of a SQLite store to dst while the store stays in use (VACUUM
// INTO reads one snapshot). PostgreSQL installs back up with pg_dump instead.
func (s *DB) Backup(ctx context.Context, dst string) error {
	if s.dialect != SQLite {
		return fmt.Errorf("backup: the store is PostgreSQL; back it up with pg_dump (for example: pg_dump -Fc -f siegel.dump DBNAME)")
	}
	if _, err := os.Stat(dst); err == nil {
		return fmt.Errorf("backup: %s exists; choose a new file name", dst)
	}
	if _, err := s.sql.ExecContext(ctx, `VACUUM INTO ?`, dst); err != nil {
		return fmt.Errorf("backup to %s: %w", dst, err)
	}
	return nil
}

// RestoreSQLite replaces the SQLite store in dir with the backup at src, after checking that the
// backup is a Siegel store. The server must not be running.
func RestoreSQLite(ctx context.Context, dir, src string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	check, err := sql.Open("sqlite", "file:"+(&url.URL{Path: filepath.ToSlash(src)}).EscapedPath()+"?mode=ro")
	if err != nil {
		return err
	}
	var n int
	err = check.QueryRowContext(ctx, `SELECT count(*) FROM schema_migration`).Scan(&n)
	check.Close()
	if err != nil || n == 0 {
		return fmt.Errorf("restore: %s is not a Siegel store backup", src)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	target := filepath.Join(dir, "siegel.sqlite")
	tmp, err := os.CreateTemp(dir, ".restore-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	tmp.Close()
	os.Remove(target + "-wal")
	os.Remove(target + "-shm")
	return os.Rename(tmp.Name(), target)
}

// SchemaDigest identifies the migrations of a dialect, names and contents: a store kept from an
// earlier run (a benchmark's seeded one, say) is only reused while it is the same.
func SchemaDigest(d Dialect) (string, error) {
	dir := "migrations/" + string(d)
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, e := range entries {
		body, err := fs.ReadFile(migrations, dir+"/"+e.Name())
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s %d\n", e.Name(), len(body))
		h.Write(body)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
