package vulndb

import (
	"archive/zip"
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/input"
)

// Limits on what an import reads: an archive or feed is untrusted input.
const (
	maxRecordBytes  = 16 << 20  // one OSV record
	maxArchiveBytes = 4 << 30   // one all.zip, uncompressed in total
	maxFeedBytes    = 512 << 20 // KEV JSON, EPSS CSV (uncompressed)
)

// Problem is a record an import could not take whole: skipped, or (Kept) imported without the
// fields it names.
type Problem struct {
	Source string `json:"source,omitempty"`
	Record string `json:"record"` // the record's id when it could be read, else its file and position
	Err    string `json:"error"`
	Kept   bool   `json:"kept,omitempty"`
}

// recordName names a record in problems: its id when the bytes yield one, else the file name
// without ".json" (osv.dev names each file after its record).
func recordName(name string, data []byte) string {
	var v struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(data, &v) == nil && v.ID != "" {
		return v.ID
	}
	if _, entry, ok := strings.Cut(name, "!"); ok {
		name = entry
	}
	return strings.TrimSuffix(path.Base(filepath.ToSlash(name)), ".json")
}

// keptProblem describes the unusable fields of a record that was kept.
func keptProblem(r *Record) Problem {
	parts := make([]string, len(r.Unusable))
	for i, u := range r.Unusable {
		parts[i] = u.Pointer + ": " + u.Err
	}
	return Problem{Record: r.ID, Err: "kept without unreadable fields: " + strings.Join(parts, "; "), Kept: true}
}

// Result is what one import did.
type Result struct {
	Snapshot Snapshot
	Problems []Problem
	// Changed lists the packages whose advisories were added, changed or removed, or whose
	// vulnerabilities became (or stopped being) known as exploited: what must be matched again.
	// ChangedAll says the change was too wide to list (a first import): match everything again.
	Changed    []Key
	ChangedAll bool
}

// recordSource yields OSV records (name, bytes) from an archive or a directory.
type recordSource func(yield func(name string, data []byte) error) error

// ImportOSVPath imports OSV records from a local path: a directory in the osv.dev bucket layout
// (<Ecosystem>/all.zip), a single all.zip, a directory of OSV JSON files, or one JSON file. Each
// ecosystem archive (or the directory) is one source: its records replace that source's records
// in one transaction, so records withdrawn or deleted upstream disappear too.
func (db *DB) ImportOSVPath(ctx context.Context, p string, now time.Time, log *slog.Logger) ([]Result, error) {
	return db.importOSVFrom(ctx, p, p, now, log)
}

// noteOSV records where the OSV records were last loaded from.
func (db *DB) noteOSV(ctx context.Context, origin string, now time.Time) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := db.noteFeed(ctx, tx, FeedOSV, origin, "", now); err != nil {
		return err
	}
	return tx.Commit()
}

func (db *DB) importOSVPath(ctx context.Context, p string, now time.Time, log *slog.Logger) ([]Result, error) {
	info, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("OSV source: %w", err)
	}
	if fi, err := os.Stat(filepath.Join(p, "osv")); err == nil && fi.IsDir() && info.IsDir() {
		p = filepath.Join(p, "osv") // a mirror folder: its OSV records are in osv/ (see Mirror)
	}
	if !info.IsDir() {
		if strings.HasSuffix(p, ".zip") {
			r, err := db.importOSVZip(ctx, "osv:"+zipSourceName(p), p, now)
			return []Result{r}, err
		}
		r, err := db.importOSV(ctx, "osv:"+p, now, fileSource(p), sha256File(p))
		return []Result{r}, err
	}
	zips, _ := filepath.Glob(filepath.Join(p, "*", "all.zip"))
	if len(zips) == 0 {
		r, err := db.importOSV(ctx, "osv:dir:"+filepath.Clean(p), now, dirSource(p), "")
		return []Result{r}, err
	}
	slices.Sort(zips)
	var out []Result
	for _, z := range zips {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		r, err := db.importOSVZip(ctx, "osv:"+zipSourceName(z), z, now)
		if err != nil {
			return out, err
		}
		if log != nil {
			log.Info("imported OSV", "source", r.Snapshot.Source, "records", r.Snapshot.Records, "skipped", r.Snapshot.Skipped)
		}
		out = append(out, r)
	}
	return out, nil
}

// zipSourceName names an archive's source by its ecosystem directory ("Go/all.zip" -> "Go").
func zipSourceName(p string) string {
	if filepath.Base(p) == "all.zip" {
		return filepath.Base(filepath.Dir(p))
	}
	return strings.TrimSuffix(filepath.Base(p), ".zip")
}

func sha256File(p string) string {
	f, err := os.Open(p)
	if err != nil {
		return ""
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return ""
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (db *DB) importOSVZip(ctx context.Context, source, p string, now time.Time) (Result, error) {
	zr, err := zip.OpenReader(p)
	if err != nil {
		return Result{}, &input.Error{File: p, Rule: "zip", Err: err}
	}
	defer zr.Close()
	src := func(yield func(string, []byte) error) error {
		var total uint64
		for _, f := range zr.File {
			if f.FileInfo().IsDir() || !strings.HasSuffix(f.Name, ".json") {
				continue
			}
			// Entries are read into memory only, never written out, so their names cannot escape
			// anything; sizes are bounded both as declared and as actually read.
			if f.UncompressedSize64 > maxRecordBytes {
				if err := yield(f.Name, nil); err != nil {
					return err
				}
				continue
			}
			if total += f.UncompressedSize64; total > maxArchiveBytes {
				return &input.Error{File: p, Rule: "size limit", Err: fmt.Errorf("archive expands beyond %d bytes", int64(maxArchiveBytes))}
			}
			rc, err := f.Open()
			if err != nil {
				return &input.Error{File: p + "!" + f.Name, Rule: "zip", Err: err}
			}
			data, err := io.ReadAll(io.LimitReader(rc, maxRecordBytes+1))
			rc.Close()
			if err != nil {
				return &input.Error{File: p + "!" + f.Name, Rule: "zip", Err: err}
			}
			if err := yield(path.Base(f.Name), data); err != nil {
				return err
			}
		}
		return nil
	}
	return db.importOSV(ctx, source, now, src, sha256File(p))
}

func fileSource(p string) recordSource {
	return func(yield func(string, []byte) error) error {
		data, err := input.ReadAll(p, mustOpen(p), input.Limits{MaxBytes: maxRecordBytes})
		if err != nil {
			return err
		}
		return yield(p, data)
	}
}

func mustOpen(p string) io.Reader {
	f, err := os.Open(p)
	if err != nil {
		return errReader{err}
	}
	return f
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func dirSource(dir string) recordSource {
	return func(yield func(string, []byte) error) error {
		return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !strings.HasSuffix(p, ".json") || d.Type()&fs.ModeSymlink != 0 {
				return nil
			}
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			data, err := io.ReadAll(io.LimitReader(f, maxRecordBytes+1))
			f.Close()
			if err != nil {
				return err
			}
			return yield(p, data)
		})
	}
}

// importOSV replaces the records of one source with what src yields, in one transaction. Records
// whose modification time and withdrawal are unchanged are left as they are; the packages of new,
// changed and removed records are reported in the result's Changed list.
func (db *DB) importOSV(ctx context.Context, source string, now time.Time, src recordSource, digest string) (Result, error) {
	tx, err := db.begin(ctx)
	if err != nil {
		return Result{}, err
	}
	defer tx.Rollback()
	type state struct {
		modified  string
		withdrawn int
	}
	old := map[string]state{}
	rows, err := tx.QueryContext(ctx, db.rebind(`SELECT id, modified, withdrawn FROM advisory WHERE source = ?`), source)
	if err != nil {
		return Result{}, fmt.Errorf("import %s: %w", source, err)
	}
	for rows.Next() {
		var id string
		var st state
		if err := rows.Scan(&id, &st.modified, &st.withdrawn); err != nil {
			rows.Close()
			return Result{}, err
		}
		old[id] = st
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Result{}, err
	}
	changes := newChangeSet()
	changes.all = len(old) == 0 // a first import: everything is new
	// elsewhere holds the ids other sources hold, when they are known: an id neither this source
	// nor another holds has nothing to remove. PostgreSQL reads them at once, saving four round
	// trips per new record; SQLite, where those statements cost microseconds, looks each up.
	var elsewhere map[string]bool
	if db.pg {
		if elsewhere, err = db.otherIDs(ctx, tx, source); err != nil {
			return Result{}, fmt.Errorf("import %s: %w", source, err)
		}
	}
	prep := func(q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var st *sql.Stmt
		st, err = tx.PrepareContext(ctx, db.rebind(q))
		return st
	}
	keysOf := prep(advisoryKeysQuery)
	delAff := prep(`DELETE FROM affected WHERE advisory = ?`)
	delAlias := prep(`DELETE FROM alias WHERE advisory = ?`)
	delAdv := prep(`DELETE FROM advisory WHERE id = ?`)
	if err != nil {
		return Result{}, err
	}
	insAdv, err := db.newSink(ctx, tx, "advisory", advisoryCols, 1, onConflictReplace)
	if err != nil {
		return Result{}, err
	}
	insAff, err := db.newSink(ctx, tx, "affected", affectedCols, 3, onConflictIgnore)
	if err != nil {
		return Result{}, err
	}
	insAlias, err := db.newSink(ctx, tx, "alias", aliasCols, 2, onConflictIgnore)
	if err != nil {
		return Result{}, err
	}
	// remove drops one advisory and its index rows, noting its packages as changed.
	remove := func(id string) error {
		if _, held := old[id]; elsewhere != nil && !held && !elsewhere[id] {
			return nil
		}
		if err := changes.addAdvisory(ctx, keysOf, id); err != nil {
			return err
		}
		for _, st := range []*sql.Stmt{delAff, delAlias, delAdv} {
			if _, err := st.ExecContext(ctx, id); err != nil {
				return err
			}
		}
		return nil
	}
	seen := make(map[string]bool, len(old))
	res := Result{Snapshot: Snapshot{Source: source, Kind: "osv", Taken: now.UTC(), Digest: digest}}
	h := sha256.New()
	err = src(func(name string, data []byte) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if data == nil || len(data) > maxRecordBytes {
			res.Problems = append(res.Problems, Problem{Record: recordName(name, nil), Err: name + ": record larger than 16 MiB"})
			return nil
		}
		h.Write(data)
		r, err := ParseRecord(name, data)
		if err != nil {
			res.Problems = append(res.Problems, Problem{Record: recordName(name, data), Err: err.Error()})
			return nil
		}
		if len(r.Unusable) > 0 {
			res.Problems = append(res.Problems, keptProblem(r))
		}
		withdrawn := 0
		if r.Withdrawn != nil && !r.Withdrawn.After(now) {
			withdrawn = 1
		}
		modified := r.Modified.UTC().Format(time.RFC3339)
		res.Snapshot.Records++
		if seen[r.ID] {
			return nil // a duplicate within the source: the first one stands
		}
		seen[r.ID] = true
		if prev, ok := old[r.ID]; ok && prev == (state{modified, withdrawn}) {
			return nil
		}
		if err := remove(r.ID); err != nil {
			return err
		}
		compact, err := json.Marshal(r)
		if err != nil {
			return err
		}
		forMatch, err := json.Marshal(r.forMatching())
		if err != nil {
			return err
		}
		if err := insAdv.add(r.ID, source, modified, withdrawn, compact, forMatch); err != nil {
			return err
		}
		for _, a := range r.Affected {
			if a.Package.Name == "" {
				continue
			}
			k := PackageKey(a.Package.Ecosystem, a.Package.Name)
			changes.add(k)
			if err := insAff.add(k.Ecosystem, k.Name, r.ID); err != nil {
				return err
			}
		}
		for _, al := range r.Aliases {
			if err := insAlias.add(al, r.ID); err != nil {
				return err
			}
		}
		return nil
	})
	for _, s := range []*sink{insAdv, insAff, insAlias} {
		if cerr := s.close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return Result{}, fmt.Errorf("import %s: %w", source, err)
	}
	for id := range old {
		if !seen[id] {
			if err := remove(id); err != nil {
				return Result{}, fmt.Errorf("import %s: %w", source, err)
			}
		}
	}
	res.Snapshot.Skipped = countSkipped(res.Problems)
	if res.Snapshot.Digest == "" {
		res.Snapshot.Digest = hex.EncodeToString(h.Sum(nil))
	}
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

// Columns of the tables imports write in bulk, as newSink takes them.
var (
	advisoryCols = []string{"id text", "source text", "modified text", "withdrawn bigint", "record bytea", "match bytea"}
	affectedCols = []string{"ecosystem text", "name text", "advisory text"}
	aliasCols    = []string{"alias text", "advisory text"}
	kevCols      = []string{"cve text", "date_added text", "due_date text", "ransomware text", "name text"}
	epssCols     = []string{"cve text", "score double precision", "percentile double precision", "scored_on text"}
	problemCols  = []string{"source text", "record text", "error text", "kept bigint"}
)

// otherIDs returns the ids of the advisories that sources other than source hold.
func (db *DB) otherIDs(ctx context.Context, tx *sql.Tx, source string) (map[string]bool, error) {
	rows, err := tx.QueryContext(ctx, db.rebind(`SELECT id FROM advisory WHERE source <> ?`), source)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ids := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids[id] = true
	}
	return ids, rows.Err()
}

// insertSnapshot records an import and its problems. An import that replaced its source replaces
// the source's problems too; an incremental one adds to them (and has cleared those of the
// records it imported).
func (db *DB) insertSnapshot(ctx context.Context, tx *sql.Tx, res *Result) error {
	s := res.Snapshot
	if _, err := tx.ExecContext(ctx, db.rebind(`INSERT INTO snapshot (source, kind, taken, records, skipped, digest) VALUES (?, ?, ?, ?, ?, ?)`),
		s.Source, s.Kind, s.Taken.UTC().Format(time.RFC3339), s.Records, s.Skipped, s.Digest); err != nil {
		return err
	}
	if s.Kind != kindIncremental {
		if _, err := tx.ExecContext(ctx, db.rebind(`DELETE FROM import_problem WHERE source = ?`), s.Source); err != nil {
			return err
		}
	}
	ins, err := db.newSink(ctx, tx, "import_problem", problemCols, 2, onConflictReplace)
	if err != nil {
		return err
	}
	for i := range res.Problems {
		p := &res.Problems[i]
		p.Source = s.Source
		kept := 0
		if p.Kept {
			kept = 1
		}
		if err := ins.add(s.Source, p.Record, p.Err, kept); err != nil {
			ins.close()
			return err
		}
	}
	return ins.close()
}

// countSkipped counts the problems that cost a record.
func countSkipped(ps []Problem) int {
	n := 0
	for _, p := range ps {
		if !p.Kept {
			n++
		}
	}
	return n
}

// kevCatalog is the CISA KEV JSON feed.
type kevCatalog struct {
	CatalogVersion  string `json:"catalogVersion"`
	DateReleased    string `json:"dateReleased"`
	Vulnerabilities []struct {
		CVE        string `json:"cveID"`
		Name       string `json:"vulnerabilityName"`
		DateAdded  string `json:"dateAdded"`
		DueDate    string `json:"dueDate"`
		Ransomware string `json:"knownRansomwareCampaignUse"`
	} `json:"vulnerabilities"`
}

// ImportKEV replaces the KEV table with the catalogue in r (the JSON feed).
func (db *DB) ImportKEV(ctx context.Context, name string, r io.Reader, now time.Time) (Result, error) {
	data, err := input.ReadAll(name, r, input.Limits{MaxBytes: maxFeedBytes})
	if err != nil {
		return Result{}, err
	}
	if err := input.CheckJSONDepth(name, data, 32); err != nil {
		return Result{}, err
	}
	var cat kevCatalog
	if err := json.Unmarshal(data, &cat); err != nil {
		return Result{}, input.JSONError(name, data, err)
	}
	if cat.Vulnerabilities == nil {
		return Result{}, &input.Error{File: name, Pointer: "/vulnerabilities", Rule: "KEV schema", Err: errors.New("no vulnerabilities array: not a KEV catalogue")}
	}
	sum := sha256.Sum256(data)
	res := Result{Snapshot: Snapshot{Source: "kev", Kind: "kev", Taken: now.UTC(), Digest: hex.EncodeToString(sum[:])}}
	tx, err := db.begin(ctx)
	if err != nil {
		return Result{}, err
	}
	defer tx.Rollback()
	before, err := kevSet(ctx, tx)
	if err != nil {
		return Result{}, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM kev`); err != nil {
		return Result{}, err
	}
	ins, err := db.newSink(ctx, tx, "kev", kevCols, 1, onConflictReplace)
	if err != nil {
		return Result{}, err
	}
	defer ins.close()
	for i, v := range cat.Vulnerabilities {
		if !strings.HasPrefix(v.CVE, "CVE-") {
			res.Problems = append(res.Problems, Problem{Record: fmt.Sprintf("%s#/vulnerabilities/%d", name, i), Err: fmt.Sprintf("cveID %q is not a CVE id", v.CVE)})
			continue
		}
		if _, err := time.Parse(time.DateOnly, v.DateAdded); err != nil {
			res.Problems = append(res.Problems, Problem{Record: v.CVE, Err: fmt.Sprintf("dateAdded %q is not a date", v.DateAdded)})
			continue
		}
		if err := ins.add(v.CVE, v.DateAdded, v.DueDate, v.Ransomware, v.Name); err != nil {
			return Result{}, err
		}
		res.Snapshot.Records++
	}
	if err := ins.flush(); err != nil {
		return Result{}, err
	}
	res.Snapshot.Skipped = len(res.Problems)
	if err := db.insertSnapshot(ctx, tx, &res); err != nil {
		return Result{}, err
	}
	if err := db.noteFeed(ctx, tx, FeedKEV, name, cmp.Or(cat.DateReleased, cat.CatalogVersion), now); err != nil {
		return Result{}, err
	}
	after, err := kevSet(ctx, tx)
	if err != nil {
		return Result{}, err
	}
	// The packages of CVEs that entered or left the catalogue: their findings change.
	var flipped []string
	for cve := range after {
		if !before[cve] {
			flipped = append(flipped, cve)
		}
	}
	for cve := range before {
		if !after[cve] {
			flipped = append(flipped, cve)
		}
	}
	changes := newChangeSet()
	if err := db.addCVEs(ctx, tx, changes, flipped); err != nil {
		return Result{}, err
	}
	if err := db.persistChanges(ctx, tx, changes); err != nil {
		return Result{}, err
	}
	changes.fill(&res)
	db.invalidate()
	return res, tx.Commit()
}

// kevSet returns the CVEs in the KEV table.
func kevSet(ctx context.Context, tx *sql.Tx) (map[string]bool, error) {
	rows, err := tx.QueryContext(ctx, `SELECT cve FROM kev`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m := map[string]bool{}
	for rows.Next() {
		var cve string
		if err := rows.Scan(&cve); err != nil {
			return nil, err
		}
		m[cve] = true
	}
	return m, rows.Err()
}

// ImportEPSS replaces the EPSS table with the scores in r: FIRST's CSV, gzipped or not, whose
// first line is a comment with the model version and score date, then "cve,epss,percentile".
func (db *DB) ImportEPSS(ctx context.Context, name string, r io.Reader, now time.Time) (Result, error) {
	raw, err := input.ReadAll(name, r, input.Limits{MaxBytes: maxFeedBytes})
	if err != nil {
		return Result{}, err
	}
	sum := sha256.Sum256(raw)
	data := raw
	if bytes.HasPrefix(raw, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return Result{}, &input.Error{File: name, Rule: "gzip", Err: err}
		}
		if data, err = input.ReadAll(name, zr, input.Limits{MaxBytes: maxFeedBytes}); err != nil {
			return Result{}, err
		}
	}
	scoredOn := ""
	if bytes.HasPrefix(data, []byte("#")) {
		line, _, _ := bytes.Cut(data, []byte("\n"))
		for _, f := range strings.Split(string(line[1:]), ",") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(f), "score_date:"); ok {
				scoredOn = v
			}
		}
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comment = '#'
	cr.FieldsPerRecord = 3
	header, err := cr.Read()
	if err != nil || header[0] != "cve" || header[1] != "epss" || header[2] != "percentile" {
		return Result{}, &input.Error{File: name, Line: 1, Rule: "EPSS format", Err: fmt.Errorf("want header cve,epss,percentile")}
	}
	res := Result{Snapshot: Snapshot{Source: "epss", Kind: "epss", Taken: now.UTC(), Digest: hex.EncodeToString(sum[:])}}
	tx, err := db.begin(ctx)
	if err != nil {
		return Result{}, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM epss`); err != nil {
		return Result{}, err
	}
	ins, err := db.newSink(ctx, tx, "epss", epssCols, 1, onConflictReplace)
	if err != nil {
		return Result{}, err
	}
	defer ins.close()
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			e := &input.Error{File: name, Rule: "CSV syntax", Err: err}
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				e.Line, e.Column, e.Err = pe.Line, pe.Column, pe.Err
			}
			return Result{}, e
		}
		line, _ := cr.FieldPos(0)
		score, err1 := strconv.ParseFloat(rec[1], 64)
		pct, err2 := strconv.ParseFloat(rec[2], 64)
		if err1 != nil || err2 != nil || score < 0 || score > 1 || pct < 0 || pct > 1 || !strings.HasPrefix(rec[0], "CVE-") {
			res.Problems = append(res.Problems, Problem{Record: fmt.Sprintf("%s:%d", name, line), Err: "want CVE id and two numbers between 0 and 1"})
			continue
		}
		if err := ins.add(rec[0], score, pct, scoredOn); err != nil {
			return Result{}, err
		}
		res.Snapshot.Records++
	}
	if err := ins.flush(); err != nil {
		return Result{}, err
	}
	res.Snapshot.Skipped = len(res.Problems)
	if err := db.insertSnapshot(ctx, tx, &res); err != nil {
		return Result{}, err
	}
	if err := db.noteFeed(ctx, tx, FeedEPSS, name, scoredOn, now); err != nil {
		return Result{}, err
	}
	db.invalidate()
	return res, tx.Commit()
}

// invalidate drops what was read into memory, after an import changed the tables.
func (db *DB) invalidate() {
	db.mu.Lock()
	db.kev = nil
	db.endRead()
	db.mu.Unlock()
}
