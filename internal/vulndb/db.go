package vulndb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	_ "modernc.org/sqlite" // pure-Go SQLite driver "sqlite"
)

// DB is the local vulnerability index: one SQLite file in WAL mode, so scans read while an update
// writes, and every update is one transaction (a reader sees the old data or the new, never half).
type DB struct {
	sql  *sql.DB
	path string

	mu    sync.Mutex
	cache map[string]*Record // parsed records by id, for repeated lookups within a scan
}

// ErrNoDatabase is returned by Open in read-only mode when no index exists yet.
var ErrNoDatabase = errors.New("no vulnerability database; run 'siegel db update' first")

const schema = `
CREATE TABLE IF NOT EXISTS advisory (
	id        TEXT PRIMARY KEY,
	source    TEXT NOT NULL,
	modified  TEXT NOT NULL,
	withdrawn INTEGER NOT NULL,
	record    BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS advisory_source ON advisory(source);
CREATE TABLE IF NOT EXISTS affected (
	ecosystem TEXT NOT NULL,
	name      TEXT NOT NULL,
	advisory  TEXT NOT NULL,
	PRIMARY KEY (ecosystem, name, advisory)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS affected_advisory ON affected(advisory);
CREATE TABLE IF NOT EXISTS alias (
	alias    TEXT NOT NULL,
	advisory TEXT NOT NULL,
	PRIMARY KEY (alias, advisory)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS alias_advisory ON alias(advisory);
CREATE TABLE IF NOT EXISTS kev (
	cve        TEXT PRIMARY KEY,
	date_added TEXT NOT NULL,
	due_date   TEXT NOT NULL,
	ransomware TEXT NOT NULL,
	name       TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS epss (
	cve        TEXT PRIMARY KEY,
	score      REAL NOT NULL,
	percentile REAL NOT NULL,
	scored_on  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS snapshot (
	id      INTEGER PRIMARY KEY,
	source  TEXT NOT NULL,
	kind    TEXT NOT NULL,
	taken   TEXT NOT NULL,
	records INTEGER NOT NULL,
	skipped INTEGER NOT NULL,
	digest  TEXT NOT NULL
);
`

// DefaultDir is the data directory when none is given: the user's cache directory.
func DefaultDir() string {
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "siegel")
	}
	return ".siegel"
}

// Open opens (and with create, creates) the index in dir.
func Open(ctx context.Context, dir string, create bool) (*DB, error) {
	path := filepath.Join(dir, "vulndb.sqlite")
	if !create {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("%w (looked in %s)", ErrNoDatabase, dir)
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	dsn := "file:" + (&url.URL{Path: filepath.ToSlash(path)}).EscapedPath() +
		"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open vulnerability database: %w", err)
	}
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("open vulnerability database %s: %w", path, err)
	}
	return &DB{sql: db, path: path, cache: map[string]*Record{}}, nil
}

// Close closes the index.
func (db *DB) Close() error { return db.sql.Close() }

// Path is the index file.
func (db *DB) Path() string { return db.path }

// Lookup returns the records (not withdrawn) that name the package in any affected entry.
func (db *DB) Lookup(ctx context.Context, k Key) ([]*Record, error) {
	rows, err := db.sql.QueryContext(ctx,
		`SELECT a.id, a.record FROM affected f JOIN advisory a ON a.id = f.advisory
		 WHERE f.ecosystem = ? AND f.name = ? AND a.withdrawn = 0 ORDER BY a.id`, k.Ecosystem, k.Name)
	if err != nil {
		return nil, fmt.Errorf("look up %s/%s: %w", k.Ecosystem, k.Name, err)
	}
	defer rows.Close()
	var out []*Record
	for rows.Next() {
		var id string
		var blob []byte
		if err := rows.Scan(&id, &blob); err != nil {
			return nil, err
		}
		db.mu.Lock()
		r, ok := db.cache[id]
		db.mu.Unlock()
		if !ok {
			r = new(Record)
			if err := json.Unmarshal(blob, r); err != nil {
				return nil, fmt.Errorf("stored record %s is corrupt: %w", id, err)
			}
			db.mu.Lock()
			db.cache[id] = r
			db.mu.Unlock()
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Exploitation is what the CISA KEV catalogue says about a CVE.
type Exploitation struct {
	CVE        string `json:"cve"`
	DateAdded  string `json:"dateAdded"`
	DueDate    string `json:"dueDate,omitempty"`
	Ransomware string `json:"knownRansomwareCampaignUse,omitempty"`
	Name       string `json:"name,omitempty"`
}

// EPSS is a FIRST EPSS score.
type EPSS struct {
	CVE        string  `json:"cve"`
	Score      float64 `json:"score"`
	Percentile float64 `json:"percentile"`
	Date       string  `json:"date,omitempty"`
}

// KEV returns the KEV entry of a CVE, or ok false.
func (db *DB) KEV(ctx context.Context, cve string) (Exploitation, bool, error) {
	var e Exploitation
	err := db.sql.QueryRowContext(ctx, `SELECT cve, date_added, due_date, ransomware, name FROM kev WHERE cve = ?`, cve).
		Scan(&e.CVE, &e.DateAdded, &e.DueDate, &e.Ransomware, &e.Name)
	if errors.Is(err, sql.ErrNoRows) {
		return e, false, nil
	}
	return e, err == nil, err
}

// Score returns the EPSS score of a CVE, or ok false.
func (db *DB) Score(ctx context.Context, cve string) (EPSS, bool, error) {
	var e EPSS
	err := db.sql.QueryRowContext(ctx, `SELECT cve, score, percentile, scored_on FROM epss WHERE cve = ?`, cve).
		Scan(&e.CVE, &e.Score, &e.Percentile, &e.Date)
	if errors.Is(err, sql.ErrNoRows) {
		return e, false, nil
	}
	return e, err == nil, err
}

// Snapshot records one update of one source.
type Snapshot struct {
	Source  string    `json:"source"`
	Kind    string    `json:"kind"` // osv, kev, epss
	Taken   time.Time `json:"taken"`
	Records int       `json:"records"`
	Skipped int       `json:"skipped"` // malformed records reported and left out
	Digest  string    `json:"digest"`  // sha256 of the input as read
}

// Status summarizes the index: the latest snapshot per source and row counts.
type Status struct {
	Path       string     `json:"path"`
	Advisories int        `json:"advisories"`
	Withdrawn  int        `json:"withdrawn"`
	Packages   int        `json:"packages"`
	KEV        int        `json:"kev"`
	EPSS       int        `json:"epss"`
	Snapshots  []Snapshot `json:"snapshots"`
}

// Status reports what the index holds.
func (db *DB) Status(ctx context.Context) (*Status, error) {
	st := &Status{Path: db.path}
	for _, q := range []struct {
		sql string
		dst *int
	}{
		{`SELECT count(*) FROM advisory WHERE withdrawn = 0`, &st.Advisories},
		{`SELECT count(*) FROM advisory WHERE withdrawn = 1`, &st.Withdrawn},
		{`SELECT count(*) FROM (SELECT DISTINCT ecosystem, name FROM affected)`, &st.Packages},
		{`SELECT count(*) FROM kev`, &st.KEV},
		{`SELECT count(*) FROM epss`, &st.EPSS},
	} {
		if err := db.sql.QueryRowContext(ctx, q.sql).Scan(q.dst); err != nil {
			return nil, err
		}
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT source, kind, taken, records, skipped, digest FROM snapshot s
		WHERE id = (SELECT max(id) FROM snapshot t WHERE t.source = s.source) ORDER BY source`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var s Snapshot
		var taken string
		if err := rows.Scan(&s.Source, &s.Kind, &taken, &s.Records, &s.Skipped, &s.Digest); err != nil {
			return nil, err
		}
		s.Taken, _ = time.Parse(time.RFC3339, taken)
		st.Snapshots = append(st.Snapshots, s)
	}
	return st, rows.Err()
}
