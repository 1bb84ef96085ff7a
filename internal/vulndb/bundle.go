package vulndb

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
)

// Export writes a self-contained copy of the index to dst — one SQLite file, consistent even
// while an update runs (VACUUM INTO reads one snapshot) — for machines without network.
func (db *DB) Export(ctx context.Context, dst string) error {
	if _, err := os.Stat(dst); err == nil {
		return fmt.Errorf("export: %s exists; choose a new file name", dst)
	}
	if _, err := db.sql.ExecContext(ctx, `VACUUM INTO ?`, dst); err != nil {
		return fmt.Errorf("export to %s: %w", dst, err)
	}
	return nil
}

// Import replaces the index in dir with the bundle at src after checking that it is one: the
// bundle is copied beside the index and renamed over it, so readers see the old or the new index.
func Import(ctx context.Context, dir, src string) (*Status, error) {
	probe, err := sql.Open("sqlite", "file:"+(&url.URL{Path: filepath.ToSlash(src)}).EscapedPath()+"?mode=ro")
	if err != nil {
		return nil, err
	}
	b := &DB{sql: probe, path: src}
	st, err := b.Status(ctx)
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
	target := filepath.Join(dir, "vulndb.sqlite")
	// Stale WAL files of the old index would be replayed onto the new one.
	os.Remove(target + "-wal")
	os.Remove(target + "-shm")
	if err := os.Rename(tmp.Name(), target); err != nil {
		return nil, err
	}
	st.Path = target
	return st, nil
}
