package vulndb

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// Export writes a self-contained copy of the index to dst — one SQLite file, consistent even
// while an update runs (VACUUM INTO reads one snapshot) — for machines without network.
func (db *DB) Export(ctx context.Context, dst string) error {
	if _, err := os.Stat(dst); err == nil {
		return fmt.Errorf("export: %s exists; choose a new file name", dst)
	}
	if db.pg {
		return db.exportPostgres(ctx, dst)
	}
	if _, err := db.sql.ExecContext(ctx, `VACUUM INTO ?`, dst); err != nil {
		return fmt.Errorf("export to %s: %w", dst, err)
	}
	return nil
}

// Import replaces the index in dir with the bundle at src after checking that it is one: the
// bundle is copied beside the index and renamed over it, so readers see the old or the new index.
// With a postgres:// URL for dir, the bundle's data replace the index in that database, in one
// transaction.
func Import(ctx context.Context, dir, src string) (*Status, error) {
	probe, err := sql.Open("sqlite", "file:"+(&url.URL{Path: filepath.ToSlash(src)}).EscapedPath()+"?mode=ro")
	if err != nil {
		return nil, err
	}
	b := &DB{sql: probe, path: src}
	st, err := b.Status(ctx)
	if err == nil && IsPostgres(dir) {
		st, err = importPostgres(ctx, dir, b)
		probe.Close()
		return st, err
	}
	probe.Close()
	if err != nil {
		return nil, fmt.Errorf("import %s: not a Siegel vulnerability database bundle: %w", src, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(dir, ".vulndb-import-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	target := File(dir)
	// Stale WAL files of the old index would be replayed onto the new one.
	os.Remove(target + "-wal")
	os.Remove(target + "-shm")
	if err := os.Rename(tmp.Name(), target); err != nil {
		return nil, err
	}
	st.Path = target
	return st, nil
}

// indexTables are the tables of the index, with their columns as newSink takes them and the
// number of leading columns that form each one's key: what a copy between the two backends
// carries.
var indexTables = []struct {
	name string
	cols []string
	key  int
}{
	{"advisory", advisoryCols, 1},
	{"affected", affectedCols, 3},
	{"alias", aliasCols, 2},
	{"kev", kevCols, 1},
	{"epss", epssCols, 1},
	{"euvd", []string{"id text", "aliases text", "exploited bigint", "exploited_since text", "base_score double precision", "vector text", "updated text"}, 1},
	{"euvd_alias", []string{"alias text", "euvd text"}, 2},
	{"pending_change", []string{"ecosystem text", "name text"}, 2},
	{"pending_all", []string{"id bigint"}, 1},
	{"import_problem", problemCols, 2},
	{"feed_origin", []string{"feed text", "origin text", "dated text", "taken text"}, 1},
	{"ecosystem_count", []string{"snapshot bigint", "ecosystem text", "advisories bigint"}, 2},
	{"snapshot", []string{"id bigint", "source text", "kind text", "taken text", "records bigint", "skipped bigint", "digest text"}, 1},
}

// copyIndex copies every table of the index that from reads into to's transaction tx.
func copyIndex(ctx context.Context, from interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, to *DB, tx *sql.Tx) error {
	for _, t := range indexTables {
		names := make([]string, len(t.cols))
		for i, c := range t.cols {
			names[i], _, _ = strings.Cut(c, " ")
		}
		rows, err := from.QueryContext(ctx, "SELECT "+strings.Join(names, ", ")+" FROM "+t.name)
		if err != nil {
			return fmt.Errorf("read %s: %w", t.name, err)
		}
		ins, err := to.newSink(ctx, tx, t.name, t.cols, t.key, onConflictReplace)
		if err != nil {
			rows.Close()
			return err
		}
		for rows.Next() {
			vals := make([]any, len(names))
			ptrs := make([]any, len(names))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err = rows.Scan(ptrs...); err != nil {
				break
			}
			if err = ins.add(vals...); err != nil {
				break
			}
		}
		if err == nil {
			err = rows.Err()
		}
		rows.Close()
		if cerr := ins.close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("copy %s: %w", t.name, err)
		}
	}
	return nil
}

// exportPostgres writes the index, read from one snapshot, to a new SQLite file at dst.
func (db *DB) exportPostgres(ctx context.Context, dst string) error {
	read, err := db.sql.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer read.Rollback()
	out, err := openSQLite(ctx, dst, true)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer out.Close()
	tx, err := out.begin(ctx)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer tx.Rollback()
	if err := copyIndex(ctx, read, out, tx); err != nil {
		os.Remove(dst)
		return fmt.Errorf("export to %s: %w", dst, err)
	}
	return tx.Commit()
}

// importPostgres replaces the index in the PostgreSQL database at dsn with the bundle b.
func importPostgres(ctx context.Context, dsn string, b *DB) (*Status, error) {
	db, err := openPostgres(ctx, dsn, true)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	tx, err := db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	for _, t := range indexTables {
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+t.name); err != nil {
			return nil, fmt.Errorf("import %s: %w", b.path, err)
		}
	}
	if err := copyIndex(ctx, b.sql, db, tx); err != nil {
		return nil, fmt.Errorf("import %s: %w", b.path, err)
	}
	// Snapshot ids came with the bundle: new imports number on from the highest.
	if _, err := tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('vulndb.snapshot', 'id'), (SELECT coalesce(max(id), 0) + 1 FROM snapshot), false)`); err != nil {
		return nil, fmt.Errorf("import %s: %w", b.path, err)
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return db.Status(ctx)
}
