package vulndb

import (
	"bufio"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/input"
)

// kindIncremental is the snapshot kind of an incremental OSV update.
const kindIncremental = "osv-incremental"

// Changed is one line of an osv.dev modified_id.csv: a record and when it last changed.
type Changed struct {
	ID       string
	Modified time.Time
}

// ParseModifiedIDs reads an osv.dev modified_id.csv ("<RFC 3339 time>,<ID>" per line, newest
// first) and returns the records modified after since, in file order, and those whose time
// cannot be read (with a zero Modified).
func ParseModifiedIDs(name string, r io.Reader, since time.Time) ([]Changed, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	var out []Changed
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		ts, id, ok := strings.Cut(line, ",")
		if !ok || id == "" || strings.ContainsAny(id, "/\\") {
			return nil, &input.Error{File: name, Line: n, Column: 1, Rule: "modified_id.csv", Err: fmt.Errorf("want <time>,<id>, got %q", line)}
		}
		t, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			// A time that cannot be read ("1-01-01T00:00:00Z") says nothing about the record:
			// fetch it rather than lose it or the whole update. Its Modified stays zero.
			out = append(out, Changed{ID: id})
			continue
		}
		if !t.After(since) {
			break // newest first: everything below is older
		}
		out = append(out, Changed{ID: id, Modified: t})
	}
	if err := sc.Err(); err != nil {
		return nil, &input.Error{File: name, Rule: "read", Err: err}
	}
	return out, nil
}

// Latest returns the newest modification time among a source's records (zero when it has none):
// an incremental update asks for what changed after it.
func (db *DB) Latest(ctx context.Context, source string) (time.Time, error) {
	var s *string
	if err := db.sql.QueryRowContext(ctx, db.rebind(`SELECT max(modified) FROM advisory WHERE source = ?`), source).Scan(&s); err != nil {
		return time.Time{}, err
	}
	if s == nil {
		return time.Time{}, nil
	}
	return time.Parse(time.RFC3339, *s)
}

// UpdateOSV applies changed records to a source without replacing it: each record fetched is
// inserted or replaced (with its package index and aliases) in one transaction.
func (db *DB) UpdateOSV(ctx context.Context, source string, changed []Changed, fetch func(id string) ([]byte, error), now time.Time) (Result, error) {
	tx, err := db.begin(ctx)
	if err != nil {
		return Result{}, err
	}
	defer tx.Rollback()
	stmts := map[string]string{
		"delAff":   `DELETE FROM affected WHERE advisory = ?`,
		"delAlias": `DELETE FROM alias WHERE advisory = ?`,
		"insAdv": `INSERT INTO advisory (id, source, modified, withdrawn, record, match) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET source = excluded.source, modified = excluded.modified, withdrawn = excluded.withdrawn,
				record = excluded.record, match = excluded.match`,
		"insAff":   `INSERT INTO affected (ecosystem, name, advisory) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
		"insAlias": `INSERT INTO alias (alias, advisory) VALUES (?, ?) ON CONFLICT DO NOTHING`,
		"keysOf":   advisoryKeysQuery,
		"clear":    `DELETE FROM import_problem WHERE source = ? AND record = ?`,
	}
	st := map[string]*sql.Stmt{}
	for k, q := range stmts {
		p, err := tx.PrepareContext(ctx, db.rebind(q))
		if err != nil {
			return Result{}, err
		}
		st[k] = p
	}
	exec := func(k string, args ...any) error {
		_, err := st[k].ExecContext(ctx, args...)
		return err
	}
	res := Result{Snapshot: Snapshot{Source: source, Kind: kindIncremental, Taken: now.UTC()}}
	changes := newChangeSet()
	h := sha256.New()
	for _, c := range changed {
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		data, err := fetch(c.ID)
		if err != nil {
			res.Problems = append(res.Problems, Problem{Record: c.ID, Err: err.Error()})
			continue
		}
		h.Write(data)
		r, err := ParseRecord(c.ID+".json", data)
		if err != nil {
			res.Problems = append(res.Problems, Problem{Record: c.ID, Err: err.Error()})
			continue
		}
		if err := exec("clear", source, r.ID); err != nil {
			return Result{}, err
		}
		if len(r.Unusable) > 0 {
			res.Problems = append(res.Problems, keptProblem(r))
		}
		compact, err := json.Marshal(r)
		if err != nil {
			return Result{}, err
		}
		forMatch, err := json.Marshal(r.forMatching())
		if err != nil {
			return Result{}, err
		}
		withdrawn := 0
		if r.Withdrawn != nil && !r.Withdrawn.After(now) {
			withdrawn = 1
		}
		if err := changes.addAdvisory(ctx, st["keysOf"], r.ID); err != nil {
			return Result{}, err
		}
		for _, k := range []string{"delAff", "delAlias"} {
			if err := exec(k, r.ID); err != nil {
				return Result{}, err
			}
		}
		if err := exec("insAdv", r.ID, source, r.Modified.UTC().Format(time.RFC3339), withdrawn, compact, forMatch); err != nil {
			return Result{}, err
		}
		for _, a := range r.Affected {
			if a.Package.Name == "" {
				continue
			}
			k := PackageKey(a.Package.Ecosystem, a.Package.Name)
			changes.add(k)
			if err := exec("insAff", k.Ecosystem, k.Name, r.ID); err != nil {
				return Result{}, err
			}
		}
		for _, al := range r.Aliases {
			if err := exec("insAlias", al, r.ID); err != nil {
				return Result{}, err
			}
		}
		res.Snapshot.Records++
	}
	res.Snapshot.Skipped = countSkipped(res.Problems)
	res.Snapshot.Digest = hex.EncodeToString(h.Sum(nil))
	if err := db.insertSnapshot(ctx, tx, &res); err != nil {
		return Result{}, err
	}
	if err := db.persistChanges(ctx, tx, changes); err != nil {
		return Result{}, err
	}
	changes.fill(&res)
	db.invalidate()
	return res, tx.Commit()
}
