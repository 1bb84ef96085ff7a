package vulndb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // pure-Go SQLite driver "sqlite"
)

// DB is the vulnerability index: one SQLite file in WAL mode (the default), so scans read while
// an update writes, or a schema of a PostgreSQL database that several servers share (see
// postgres.go). Every update is one transaction: a reader sees the old data or the new, never half.
type DB struct {
	sql  *sql.DB
	path string
	pg   bool // PostgreSQL rather than SQLite

	mu    sync.Mutex
	read  *sql.Tx              // the read transaction lookups use: one snapshot for a whole scan
	stmts map[string]*sql.Stmt // statements prepared in read, by their text
	kev   map[string]Exploitation
	seen  int64 // the newest snapshot when the caches were filled (see Refresh)
}

// ErrNoDatabase is returned by Open in read-only mode when no index exists yet.
var ErrNoDatabase = errors.New("no vulnerability database; run 'siegel db update' first")

const schemaSQLite = `
CREATE TABLE IF NOT EXISTS advisory (
	id        TEXT PRIMARY KEY,
	source    TEXT NOT NULL,
	modified  TEXT NOT NULL,
	withdrawn INTEGER NOT NULL,
	record    BLOB NOT NULL, -- the record as imported (compact JSON)
	match     BLOB NOT NULL  -- what matching reads: the record without details and references
);
CREATE INDEX IF NOT EXISTS advisory_source ON advisory(source);
CREATE INDEX IF NOT EXISTS advisory_withdrawn ON advisory(withdrawn);
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
CREATE TABLE IF NOT EXISTS euvd (
	id              TEXT PRIMARY KEY,
	aliases         TEXT NOT NULL,
	exploited       INTEGER NOT NULL,
	exploited_since TEXT NOT NULL,
	base_score      REAL NOT NULL,
	vector          TEXT NOT NULL,
	updated         TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS euvd_alias (
	alias TEXT NOT NULL,
	euvd  TEXT NOT NULL,
	PRIMARY KEY (alias, euvd)
) WITHOUT ROWID;
-- Packages whose findings an import changed and that have not been matched again yet: written in
-- the import's transaction, cleared once the re-matching is queued, so a crash in between loses
-- nothing. pending_all holds one row when everything must be matched again.
CREATE TABLE IF NOT EXISTS pending_change (
	ecosystem TEXT NOT NULL,
	name      TEXT NOT NULL,
	PRIMARY KEY (ecosystem, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pending_all (
	id INTEGER PRIMARY KEY CHECK (id = 1)
);
-- What the latest import of each source could not take whole: records skipped (kept = 0) and
-- records kept with fields that could not be read (kept = 1), so that neither is lost from view
-- once the import's log has scrolled past.
CREATE TABLE IF NOT EXISTS import_problem (
	source TEXT NOT NULL,
	record TEXT NOT NULL,
	error  TEXT NOT NULL,
	kept   INTEGER NOT NULL,
	PRIMARY KEY (source, record)
) WITHOUT ROWID;
-- Where each feed was last loaded from and the date its data states (KEV's dateReleased, EPSS's
-- score date); the OSV date is the newest record's modification time.
CREATE TABLE IF NOT EXISTS feed_origin (
	feed   TEXT PRIMARY KEY,
	origin TEXT NOT NULL,
	dated  TEXT NOT NULL,
	taken  TEXT NOT NULL
);
-- Advisories per ecosystem, counted once per state of the database (see Holdings): snapshot is
-- the newest snapshot when they were counted.
CREATE TABLE IF NOT EXISTS ecosystem_count (
	snapshot   INTEGER NOT NULL,
	ecosystem  TEXT NOT NULL,
	advisories INTEGER NOT NULL,
	PRIMARY KEY (snapshot, ecosystem)
) WITHOUT ROWID;
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

// Open opens (and with create, creates) the index at loc: a directory, which holds the SQLite
// file, or a postgres:// URL, whose database holds the index in the schema vulndb. Without
// create, a missing index is ErrNoDatabase.
func Open(ctx context.Context, loc string, create bool) (*DB, error) {
	if IsPostgres(loc) {
		return openPostgres(ctx, loc, create)
	}
	dir := loc
	path := File(dir)
	if !create {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("%w (looked in %s)", ErrNoDatabase, dir)
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	return openSQLite(ctx, path, create)
}

// File is the SQLite file of the database kept in directory dir.
func File(dir string) string { return filepath.Join(dir, "vulndb.sqlite") }

// openSQLite opens (and with create, creates) the SQLite index file at path.
func openSQLite(ctx context.Context, path string, create bool) (*DB, error) {
	dsn := "file:" + (&url.URL{Path: filepath.ToSlash(path)}).EscapedPath() +
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"
	if !create {
		// Matching reads each package's rows once, in key order: beyond the B-trees' upper pages
		// SQLite's own page cache (2 MB per connection by default) only duplicates the operating
		// system's. A small one keeps a scan's memory down at no measurable cost in time.
		dsn += "&_pragma=cache_size(" + strconv.Itoa(-readCacheKiB) + ")"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open vulnerability database: %w", err)
	}
	if _, err := db.ExecContext(ctx, schemaSQLite); err != nil {
		db.Close()
		return nil, fmt.Errorf("open vulnerability database %s: %w", path, err)
	}
	return &DB{sql: db, path: path}, nil
}

// Close closes the index.
func (db *DB) Close() error {
	db.mu.Lock()
	db.endRead()
	db.mu.Unlock()
	return db.sql.Close()
}

// Refresh makes a long-lived handle see the latest data: when an update committed since the
// handle last looked, its read snapshot and caches are dropped (and refilled on the next lookup).
// It reports whether anything changed.
func (db *DB) Refresh(ctx context.Context) (bool, error) {
	newest, err := db.newestSnapshot(ctx)
	if err != nil {
		return false, err
	}
	db.mu.Lock()
	changed := newest != db.seen
	db.seen = newest
	db.mu.Unlock()
	if changed {
		db.invalidate()
	}
	return changed, nil
}

// Idle says that no scan reads the handle for now. On PostgreSQL it ends the read transaction,
// which would otherwise hold back the removal of old row versions in the whole database while a
// server waits for work; the next lookup starts another. SQLite's costs nothing to keep, and
// keeping it keeps its prepared statements.
func (db *DB) Idle() {
	if !db.pg {
		return
	}
	db.mu.Lock()
	db.endRead()
	db.mu.Unlock()
}

// Path is the index file (for PostgreSQL, the database's URL without its password).
func (db *DB) Path() string { return db.path }

// readCacheKiB is SQLite's page cache per connection of a handle opened for reading.
const readCacheKiB = 256

// rawBlock is the size of the blocks LookupBatchRaw copies records into.
const rawBlock = 16 << 10

// LookupBatchSize is how many packages LookupBatchRaw reads with one statement.
const LookupBatchSize = 64

// lookupSQL reads the records that name any of n packages: for each (ecosystem, name) pair, a
// seek on affected's primary key, then one on advisory's per record, so neither table is read
// whole. CROSS JOIN fixes that order of the loops; "+" keeps the withdrawn index out of it.
func lookupSQL(n int) string {
	var b strings.Builder
	b.WriteString("WITH k(e, n) AS (VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?)")
	}
	b.WriteString(`) SELECT f.ecosystem, f.name, a.id, a.match FROM k
	CROSS JOIN affected f ON f.ecosystem = k.e AND f.name = k.n
	CROSS JOIN advisory a ON a.id = f.advisory
	WHERE +a.withdrawn = 0`)
	return b.String()
}

// Lookup returns the records (not withdrawn) that name the package in any affected entry, in id
// order. Nothing is read ahead: a lookup seeks the package in the index and reads its records,
// so opening the database and matching a few packages costs a few page reads.
func (db *DB) Lookup(ctx context.Context, k Key) ([]*Record, error) {
	raw, err := db.LookupBatchRaw(ctx, []Key{k})
	if err != nil {
		return nil, err
	}
	var out []*Record
	for _, rr := range raw[0] {
		r, err := DecodeRecord(rr)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// RawRecord is a stored record as LookupBatchRaw returns it: its id and its matching form (the
// record without details and references), not yet decoded.
type RawRecord struct {
	ID   string
	Data []byte
}

// DecodeRecord decodes a record that LookupBatchRaw returned.
func DecodeRecord(rr RawRecord) (*Record, error) {
	r := new(Record)
	if err := unmarshalRecord(rr.Data, r); err != nil {
		return nil, fmt.Errorf("stored record %s is corrupt: %w", rr.ID, err)
	}
	return r, nil
}

// LookupBatchRaw is Lookup for many packages, with one statement per LookupBatchSize of them,
// and without decoding the records, so that a caller can decode them on other goroutines while
// the next batch is read: recs[i] holds the records of keys[i], in id order; a key asked twice
// gets the same slice.
func (db *DB) LookupBatchRaw(ctx context.Context, keys []Key) ([][]RawRecord, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.read == nil {
		if err := db.beginRead(); err != nil {
			return nil, err
		}
	}
	out := make([][]RawRecord, len(keys))
	for i := 0; i < len(keys); i += LookupBatchSize {
		j := min(i+LookupBatchSize, len(keys))
		if err := db.lookupBatch(ctx, keys[i:j], out[i:j]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// lookupBatch fills out[i] with the records of keys[i]. Called with db.mu held.
func (db *DB) lookupBatch(ctx context.Context, keys []Key, out [][]RawRecord) error {
	// Keys by ecosystem and name joined with a NUL, so that a row's key columns can be looked up
	// without allocating. A key asked twice is asked of the database once: its rows would come
	// twice otherwise.
	at := make(map[string]int, len(keys))
	args := make([]any, 0, 2*len(keys))
	for i, k := range keys {
		if _, dup := at[k.Ecosystem+"\x00"+k.Name]; !dup {
			at[k.Ecosystem+"\x00"+k.Name] = i
			args = append(args, k.Ecosystem, k.Name)
		}
	}
	query := lookupSQL(len(args) / 2)
	if db.pg {
		query, args = pgLookupSQL, pgLookupArgs(args)
	}
	st, err := db.stmt(query)
	if err != nil {
		return err
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return fmt.Errorf("look up packages: %w", err)
	}
	defer rows.Close()
	var eco, name, id, blob sql.RawBytes
	var key, block []byte
	for rows.Next() {
		if err := rows.Scan(&eco, &name, &id, &blob); err != nil {
			return fmt.Errorf("look up packages: %w", err)
		}
		key = append(append(append(key[:0], eco...), 0), name...)
		i, ok := at[string(key)]
		if !ok {
			return fmt.Errorf("look up packages: the database returned %s/%s, which was not asked for", eco, name)
		}
		// The rows' data is copied into blocks of rawBlock bytes rather than one allocation each.
		if len(blob) > cap(block)-len(block) {
			block = make([]byte, 0, max(rawBlock, len(blob)))
		}
		start := len(block)
		block = append(block, blob...)
		out[i] = append(out[i], RawRecord{ID: string(id), Data: block[start:len(block):len(block)]})
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("look up packages: %w", err)
	}
	for i, k := range keys {
		if first := at[k.Ecosystem+"\x00"+k.Name]; first != i {
			out[i] = out[first] // asked twice: the rows came once
		} else {
			slices.SortFunc(out[i], func(a, b RawRecord) int { return strings.Compare(a.ID, b.ID) })
		}
	}
	return nil
}

// beginRead opens the read transaction lookups use: every lookup of a scan sees the same
// snapshot even while an update commits, and SQLite does not take its shared-memory locks again
// for each statement. Called with db.mu held.
func (db *DB) beginRead() error {
	opts := &sql.TxOptions{ReadOnly: true}
	if db.pg {
		// PostgreSQL's default (read committed) takes a snapshot per statement: a scan must
		// not see half of its lookups before an update and half after it.
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := db.sql.BeginTx(context.Background(), opts)
	if err != nil {
		return fmt.Errorf("read vulnerability database: %w", err)
	}
	db.read, db.stmts = tx, map[string]*sql.Stmt{}
	return nil
}

// stmt returns the statement for query, prepared once in the read transaction, which must be
// open. Called with db.mu held.
func (db *DB) stmt(query string) (*sql.Stmt, error) {
	if st := db.stmts[query]; st != nil {
		return st, nil
	}
	st, err := db.read.PrepareContext(context.Background(), db.rebind(query))
	if err != nil {
		return nil, fmt.Errorf("read vulnerability database: %w", err)
	}
	db.stmts[query] = st
	return st, nil
}

// endRead ends the read transaction, if any. Called with db.mu held.
func (db *DB) endRead() {
	if db.read != nil {
		for _, st := range db.stmts {
			st.Close()
		}
		db.read.Rollback()
		db.read, db.stmts = nil, nil
	}
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

// Snapshot records one update of one source.
type Snapshot struct {
	Source  string    `json:"source"`
	Kind    string    `json:"kind"` // osv, kev, epss
	Taken   time.Time `json:"taken"`
	Records int       `json:"records"`
	Skipped int       `json:"skipped"` // malformed records reported and left out
	Digest  string    `json:"digest"`  // sha256 of the input as read
}

// Status summarizes the index: the latest snapshot per source, row counts, each feed with its
// date and count (or missing), and what the latest imports could not take whole.
type Status struct {
	Path       string     `json:"path"`
	Advisories int        `json:"advisories"`
	Withdrawn  int        `json:"withdrawn"`
	Packages   int        `json:"packages"`
	KEV        int        `json:"kev"`
	EUVD       int        `json:"euvd"`
	EPSS       int        `json:"epss"`
	Feeds      []Feed     `json:"feeds"`
	Snapshots  []Snapshot `json:"snapshots"`
	// Skipped counts the records the latest imports left out, Kept those imported without fields
	// that could not be read; Problems lists them (the first MaxListedProblems).
	Skipped  int       `json:"skippedRecords"`
	Kept     int       `json:"keptWithUnusableFields"`
	Problems []Problem `json:"problems"`
}

// MaxListedProblems bounds the problems Status lists; the counts are always complete.
const MaxListedProblems = 500

// Feed names of Status.Feeds, in the order listed.
const (
	FeedOSV  = "OSV"
	FeedKEV  = "CISA KEV"
	FeedEPSS = "FIRST EPSS"
	FeedEUVD = "ENISA EUVD"
)

// Feed is one feed of the index: what it holds and where and when it came from. A feed never
// loaded is Missing: what depends on it (exploited vulnerabilities from KEV and EUVD, EPSS
// scores, any finding at all from OSV) is then not known, which is not the same as absent.
type Feed struct {
	Name    string    `json:"name"`
	Missing bool      `json:"missing"`
	Records int       `json:"records"`
	Dated   string    `json:"dated,omitempty"`  // the date the data states
	Origin  string    `json:"origin,omitempty"` // the file, folder or URL last loaded
	Updated time.Time `json:"updated,omitzero"` // when it was last loaded
}

// feedOf maps a snapshot kind to its feed.
var feedOf = map[string]string{"osv": FeedOSV, kindIncremental: FeedOSV, "kev": FeedKEV, "epss": FeedEPSS, "euvd": FeedEUVD}

// noteFeed records where a feed was loaded from and the date its data states.
func (db *DB) noteFeed(ctx context.Context, tx *sql.Tx, feed, origin, dated string, taken time.Time) error {
	_, err := tx.ExecContext(ctx, db.rebind(`INSERT INTO feed_origin (feed, origin, dated, taken) VALUES (?, ?, ?, ?)
		ON CONFLICT (feed) DO UPDATE SET origin = excluded.origin, dated = excluded.dated, taken = excluded.taken`),
		feed, origin, dated, taken.UTC().Format(time.RFC3339))
	return err
}

// newestSnapshot is the id of the latest import of any source (0 for an empty database): it
// changes whenever an update commits.
func (db *DB) newestSnapshot(ctx context.Context) (int64, error) {
	var newest int64
	if err := db.sql.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM snapshot`).Scan(&newest); err != nil {
		return 0, fmt.Errorf("read vulnerability database: %w", err)
	}
	return newest, nil
}

// latestSnapshots is the latest import of each source, ordered by source.
func (db *DB) latestSnapshots(ctx context.Context) ([]Snapshot, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT source, kind, taken, records, skipped, digest FROM snapshot s
		WHERE id = (SELECT max(id) FROM snapshot t WHERE t.source = s.source) ORDER BY source`)
	if err != nil {
		return nil, fmt.Errorf("read vulnerability database: %w", err)
	}
	defer rows.Close()
	var out []Snapshot
	for rows.Next() {
		var s Snapshot
		var taken string
		if err := rows.Scan(&s.Source, &s.Kind, &taken, &s.Records, &s.Skipped, &s.Digest); err != nil {
			return nil, fmt.Errorf("read vulnerability database: %w", err)
		}
		s.Taken, _ = time.Parse(time.RFC3339, taken)
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read vulnerability database: %w", err)
	}
	return out, nil
}

// Status reports what the index holds.
func (db *DB) Status(ctx context.Context) (*Status, error) {
	st := &Status{Path: db.path, Problems: []Problem{}}
	var newest *string
	for _, q := range []struct {
		sql string
		dst any
	}{
		{`SELECT count(*) FROM advisory WHERE withdrawn = 0`, &st.Advisories},
		{`SELECT count(*) FROM advisory WHERE withdrawn = 1`, &st.Withdrawn},
		{`SELECT count(*) FROM (SELECT DISTINCT ecosystem, name FROM affected) AS p`, &st.Packages},
		{`SELECT count(*) FROM kev`, &st.KEV},
		{`SELECT count(*) FROM euvd`, &st.EUVD},
		{`SELECT count(*) FROM epss`, &st.EPSS},
		{`SELECT count(*) FROM import_problem WHERE kept = 0`, &st.Skipped},
		{`SELECT count(*) FROM import_problem WHERE kept = 1`, &st.Kept},
		{`SELECT max(modified) FROM advisory`, &newest},
	} {
		if err := db.sql.QueryRowContext(ctx, q.sql).Scan(q.dst); err != nil {
			return nil, err
		}
	}
	var err error
	if st.Snapshots, err = db.latestSnapshots(ctx); err != nil {
		return nil, err
	}
	if err := db.feedStatus(ctx, st, newest); err != nil {
		return nil, err
	}
	prow, err := db.sql.QueryContext(ctx, db.rebind(`SELECT source, record, error, kept FROM import_problem ORDER BY kept, source, record LIMIT ?`), MaxListedProblems)
	if err != nil {
		return nil, err
	}
	defer prow.Close()
	for prow.Next() {
		var p Problem
		if err := prow.Scan(&p.Source, &p.Record, &p.Err, &p.Kept); err != nil {
			return nil, err
		}
		st.Problems = append(st.Problems, p)
	}
	return st, prow.Err()
}

// feedStatus fills st.Feeds from the counts, the snapshots and the recorded origins.
func (db *DB) feedStatus(ctx context.Context, st *Status, newestOSV *string) error {
	feeds := []Feed{{Name: FeedOSV, Records: st.Advisories + st.Withdrawn}, {Name: FeedKEV, Records: st.KEV},
		{Name: FeedEPSS, Records: st.EPSS}, {Name: FeedEUVD, Records: st.EUVD}}
	byName := map[string]*Feed{}
	for i := range feeds {
		byName[feeds[i].Name] = &feeds[i]
	}
	loaded := map[string]bool{}
	for _, s := range st.Snapshots {
		f := byName[feedOf[s.Kind]]
		if f == nil {
			continue
		}
		loaded[f.Name] = true
		if s.Taken.After(f.Updated) {
			f.Updated = s.Taken
		}
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT feed, origin, dated FROM feed_origin`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var name, origin, dated string
		if err := rows.Scan(&name, &origin, &dated); err != nil {
			return err
		}
		if f := byName[name]; f != nil {
			f.Origin, f.Dated = origin, dated
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if newestOSV != nil {
		byName[FeedOSV].Dated = *newestOSV
	}
	for i := range feeds {
		feeds[i].Missing = !loaded[feeds[i].Name] && feeds[i].Records == 0
	}
	st.Feeds = feeds
	return nil
}
