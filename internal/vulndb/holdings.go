package vulndb

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	gojson "github.com/goccy/go-json"
)

// Holdings is what the database holds, for saying what a scan checked against what: the
// advisories naming packages of each ecosystem, and the latest import of each source.
type Holdings struct {
	// Advisories counts, per base ecosystem ("Debian", not "Debian:12"), the advisories (not
	// withdrawn) that name a package of it.
	Advisories map[string]int `json:"advisories"`
	Imports    []Snapshot     `json:"imports"` // the latest snapshot of each source, by source
}

// Kinds of feed a snapshot can be of, in the order they are reported.
var FeedKinds = []string{"osv", "kev", "epss", "euvd"}

// Latest returns the latest import of a kind of feed and whether there is one; for OSV, whose
// sources are imported one ecosystem at a time, the oldest of the latest imports of its sources
// (the age of the database is that of its stalest part).
func (h *Holdings) Latest(kind string) (Snapshot, bool) {
	var out Snapshot
	found := false
	for _, s := range h.Imports {
		if s.Kind != kind {
			continue
		}
		if !found || (kind == "osv" && s.Taken.Before(out.Taken)) || (kind != "osv" && s.Taken.After(out.Taken)) {
			out, found = s, true
		}
	}
	return out, found
}

// Import returns the latest import of one source ("osv:Go", "kev") and whether there is one.
func (h *Holdings) Import(source string) (Snapshot, bool) {
	i, ok := slices.BinarySearchFunc(h.Imports, source, func(s Snapshot, t string) int { return strings.Compare(s.Source, t) })
	if !ok {
		return Snapshot{}, false
	}
	return h.Imports[i], true
}

// Holdings reports what the database holds. Counting the advisories of each ecosystem reads the
// whole affected index, so the counts are computed once per state of the database — by
// 'db update', else by the first reader that needs them — and kept beside the data, keyed by the
// newest snapshot; later readers read a handful of rows.
func (db *DB) Holdings(ctx context.Context) (*Holdings, error) {
	h := &Holdings{Advisories: map[string]int{}}
	var err error
	if h.Imports, err = db.latestSnapshots(ctx); err != nil {
		return nil, err
	}
	newest, err := db.newestSnapshot(ctx)
	if err != nil {
		return nil, err
	}
	counted := false
	crows, err := db.sql.QueryContext(ctx, db.rebind(`SELECT ecosystem, advisories FROM ecosystem_count WHERE snapshot = ?`), newest)
	if err != nil {
		return nil, fmt.Errorf("read vulnerability database: %w", err)
	}
	defer crows.Close()
	for crows.Next() {
		var eco string
		var n int
		if err := crows.Scan(&eco, &n); err != nil {
			return nil, fmt.Errorf("read vulnerability database: %w", err)
		}
		counted = true
		if eco != "" { // the empty ecosystem marks an empty database's counts as computed
			h.Advisories[eco] = n
		}
	}
	if err := crows.Err(); err != nil {
		return nil, fmt.Errorf("read vulnerability database: %w", err)
	}
	if counted {
		return h, nil
	}
	if err := db.countEcosystems(ctx, newest, h.Advisories); err != nil {
		return nil, err
	}
	return h, nil
}

// countEcosystems counts the advisories of each ecosystem and keeps the counts under snapshot
// newest. Keeping them is best effort: a database on read-only storage is counted each time.
func (db *DB) countEcosystems(ctx context.Context, newest int64, into map[string]int) error {
	rows, err := db.sql.QueryContext(ctx, `SELECT f.ecosystem, count(DISTINCT f.advisory) FROM affected f
		JOIN advisory a ON a.id = f.advisory WHERE a.withdrawn = 0 GROUP BY f.ecosystem`)
	if err != nil {
		return fmt.Errorf("count advisories: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var eco string
		var n int
		if err := rows.Scan(&eco, &n); err != nil {
			return fmt.Errorf("count advisories: %w", err)
		}
		into[eco] = n
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("count advisories: %w", err)
	}
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return nil
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM ecosystem_count`); err != nil {
		return nil
	}
	insert := func(eco string, n int) error {
		_, err := tx.ExecContext(ctx, db.rebind(`INSERT INTO ecosystem_count (snapshot, ecosystem, advisories) VALUES (?, ?, ?)`), newest, eco, n)
		return err
	}
	if err := insert("", 0); err != nil {
		return nil
	}
	for eco, n := range into {
		if err := insert(eco, n); err != nil {
			return nil
		}
	}
	tx.Commit()
	return nil
}

// Related returns, for each of ids, the ids of the records that are it or list it among their
// aliases (withdrawn ones included: RecordsByID leaves them out). Only indexes are read: a
// caller reads the records it needs with RecordsByID. ids is sorted in place.
func (db *DB) Related(ctx context.Context, ids []string) (map[string][]string, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	ids, err := db.readIDs(ids)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	err = db.inBatches(ctx, ids, func(in string, args []any) error {
		return db.query(ctx, `SELECT id, id FROM advisory WHERE id IN `+in+` UNION ALL SELECT alias, advisory FROM alias WHERE alias IN `+in,
			append(args, args...), func(rows *sql.Rows) error {
				var id, rec sql.RawBytes
				if err := rows.Scan(&id, &rec); err != nil {
					return err
				}
				// The key is the id asked for, not a copy of the row's.
				i := sort.Search(len(ids), func(i int) bool { return ids[i] >= string(id) })
				if i == len(ids) || ids[i] != string(id) {
					return fmt.Errorf("the database returned %s, which was not asked for", id)
				}
				out[ids[i]] = append(out[ids[i]], string(rec))
				return nil
			})
	})
	if err != nil {
		return nil, fmt.Errorf("read related records: %w", err)
	}
	return out, nil
}

// RecordsByID returns the records of ids (not withdrawn, in their matching form), in id order.
// ids is sorted in place.
func (db *DB) RecordsByID(ctx context.Context, ids []string) ([]RawRecord, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	ids, err := db.readIDs(ids)
	if err != nil {
		return nil, err
	}
	var out []RawRecord
	var block []byte
	err = db.inBatches(ctx, ids, func(in string, args []any) error {
		return db.query(ctx, `SELECT id, match FROM advisory WHERE id IN `+in+` AND +withdrawn = 0`, args, func(rows *sql.Rows) error {
			var id string
			var blob sql.RawBytes
			if err := rows.Scan(&id, &blob); err != nil {
				return err
			}
			if len(blob) > cap(block)-len(block) {
				block = make([]byte, 0, max(rawBlock, len(blob)))
			}
			start := len(block)
			block = append(block, blob...)
			out = append(out, RawRecord{ID: id, Data: block[start:len(block):len(block)]})
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read records: %w", err)
	}
	slices.SortFunc(out, func(a, b RawRecord) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// readIDs opens the read transaction if it is not, and sorts ids and drops repeats. Called with
// db.mu held.
func (db *DB) readIDs(ids []string) ([]string, error) {
	if db.read == nil {
		if err := db.beginRead(); err != nil {
			return nil, err
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

// inBatches calls run with "(?,?,...)" and the arguments for feedBatch ids at a time.
func (db *DB) inBatches(ctx context.Context, ids []string, run func(in string, args []any) error) error {
	for len(ids) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(len(ids), feedBatch)
		args := make([]any, n)
		for i, id := range ids[:n] {
			args[i] = id
		}
		if err := run("(?"+strings.Repeat(",?", n-1)+")", args); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

// ratingRecord is the part of a stored record that rates its severity.
type ratingRecord struct {
	ID               string         `json:"id"`
	Aliases          []string       `json:"aliases"`
	Summary          string         `json:"summary"`
	Severity         []Severity     `json:"severity"`
	DatabaseSpecific map[string]any `json:"database_specific"`
	Affected         []struct {
		Package           Package        `json:"package"`
		Severity          []Severity     `json:"severity"`
		EcosystemSpecific map[string]any `json:"ecosystem_specific"`
		DatabaseSpecific  map[string]any `json:"database_specific"`
	} `json:"affected"`
}

// DecodeRating decodes what a record RecordsByID returned says of severity — its ids, summary,
// severities and the rating fields of its affected entries — without its ranges and versions,
// which make up most of a record and which rating does not read.
func DecodeRating(rr RawRecord) (*Record, error) {
	var rr2 ratingRecord
	if err := gojson.Unmarshal(rr.Data, &rr2); err != nil {
		if err := json.Unmarshal(rr.Data, &rr2); err != nil {
			return nil, fmt.Errorf("stored record %s is corrupt: %w", rr.ID, err)
		}
	}
	r := &Record{ID: rr2.ID, Aliases: rr2.Aliases, Summary: rr2.Summary, Severity: rr2.Severity, DatabaseSpecific: rr2.DatabaseSpecific,
		Affected: make([]Affected, len(rr2.Affected))}
	for i, a := range rr2.Affected {
		r.Affected[i] = Affected{Package: a.Package, Severity: a.Severity, EcosystemSpecific: a.EcosystemSpecific, DatabaseSpecific: a.DatabaseSpecific}
	}
	return r, nil
}
