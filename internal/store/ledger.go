package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/siegel-oss/siegel/internal/ledger"
)

// hashReader reads the tree's stored hashes through q (the store or a transaction).
type hashReader struct {
	ctx context.Context
	s   *DB
	q   interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	}
	readOnly bool // q reads committed data only (not a transaction that appends)
}

// upperLevel is the lowest tree level whose stored hashes are cached (subtrees of 2^10 entries),
// and maxUpper bounds the cache (about 100 MB at most, for a log of a billion entries).
const (
	upperLevel = 10
	maxUpper   = 1 << 20
)

func (r hashReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	if len(indexes) == 0 {
		return nil, nil
	}
	out := make([]tlog.Hash, len(indexes))
	var args []any
	var missing []int
	for i, x := range indexes {
		if h, ok := r.s.upperHashes.Load(x); ok {
			out[i] = h.(tlog.Hash)
			continue
		}
		missing = append(missing, i)
		args = append(args, x)
	}
	if len(missing) == 0 {
		return out, nil
	}
	rows, err := r.q.QueryContext(r.ctx, r.s.rebind(`SELECT id, hash FROM ledger_hash WHERE id IN (`+strings.TrimSuffix(strings.Repeat("?,", len(args)), ",")+`)`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	got := map[int64]tlog.Hash{}
	for rows.Next() {
		var id int64
		var b []byte
		if err := rows.Scan(&id, &b); err != nil {
			return nil, err
		}
		if len(b) != tlog.HashSize {
			return nil, fmt.Errorf("ledger hash %d is corrupt", id)
		}
		var h tlog.Hash
		copy(h[:], b)
		got[id] = h
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, i := range missing {
		x := indexes[i]
		h, ok := got[x]
		if !ok {
			return nil, fmt.Errorf("ledger hash %d is missing", x)
		}
		out[i] = h
		// Only hashes read outside a writing transaction are committed ones.
		if level, _ := tlog.SplitStoredHashIndex(x); level >= upperLevel && r.readOnly && r.s.upperCount.Load() < maxUpper {
			if _, loaded := r.s.upperHashes.LoadOrStore(x, h); !loaded {
				r.s.upperCount.Add(1)
			}
		}
	}
	return out, nil
}

// LedgerEntry is a statement as it stands in the log.
type LedgerEntry struct {
	Index     int64
	Statement ledger.Statement
}

// appendLedger adds a statement to the log in the transaction that makes the change it records:
// the change and its record commit together or not at all. content is what the statement commits
// to (kept beside the log, revealed selectively).
func (s *DB) appendLedger(ctx context.Context, tx *sql.Tx, org int64, typ, subject string, content any) error {
	w, err := s.ledgerWriter(ctx, tx)
	if err != nil {
		return err
	}
	defer w.close()
	if err := w.append(ctx, org, typ, subject, content); err != nil {
		return err
	}
	return w.finish(ctx)
}

// ledgerAppender appends to the log within one transaction, with its statements prepared once.
type ledgerAppender struct {
	s                  *DB
	tx                 *sql.Tx
	n                  int64 // the next index
	hash, entry, store *sql.Stmt
	read               hashReader
	subjects           *subjectNodes // the subject map, covering the first n entries
	fromSize           int64         // the map as the transaction found it
	fromRoot, root     tlog.Hash     // ... and its root then and now
}

func (s *DB) ledgerWriter(ctx context.Context, tx *sql.Tx) (*ledgerAppender, error) {
	if s.dialect == Postgres {
		// One appender at a time across servers: the next index and the stored hashes depend on
		// every earlier entry.
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7201912)`); err != nil {
			return nil, err
		}
	}
	w := &ledgerAppender{s: s, tx: tx, read: hashReader{ctx: ctx, s: s, q: tx}}
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(max(idx) + 1, 0) FROM ledger_entry`).Scan(&w.n); err != nil {
		return nil, err
	}
	for _, p := range []struct {
		dst **sql.Stmt
		q   string
	}{
		{&w.hash, `INSERT INTO ledger_hash (id, hash) VALUES (?, ?)`},
		{&w.entry, `INSERT INTO ledger_entry (idx, organization, subject, leaf, subject_root) VALUES (?, ?, ?, ?, ?)`},
		{&w.store, `INSERT INTO ledger_content (idx, salt, content) VALUES (?, ?, ?)`},
	} {
		st, err := tx.PrepareContext(ctx, s.rebind(p.q))
		if err != nil {
			w.close()
			return nil, err
		}
		*p.dst = st
	}
	var err error
	if w.subjects, err = s.subjectNodes(ctx, tx); err != nil {
		w.close()
		return nil, err
	}
	covered, root, err := subjectMapState(ctx, tx)
	w.fromSize, w.fromRoot, w.root = covered, root, root
	s.subjectTop.settle(covered, root, true)
	w.subjects.top, w.subjects.size, w.subjects.root = &s.subjectTop, covered, root
	if err == nil && covered > w.n {
		err = fmt.Errorf("the subject map covers %d entries of a log of %d: %w", covered, w.n, ledger.ErrMapCorrupt)
	}
	if err == nil && covered < w.n {
		err = s.catchUpSubjects(ctx, tx, w.subjects, covered, w.n, &w.root)
	}
	if err != nil {
		w.close()
		return nil, fmt.Errorf("ledger: %w", err)
	}
	return w, nil
}

func (w *ledgerAppender) close() {
	for _, st := range []*sql.Stmt{w.hash, w.entry, w.store} {
		if st != nil {
			st.Close()
		}
	}
	if w.subjects != nil {
		w.subjects.close()
	}
}

// finish writes the subject map as it stands after the appended entries.
func (w *ledgerAppender) finish(ctx context.Context) error {
	// Recorded before the flush empties the set of nodes written; it counts only once the map is
	// seen in this state, that is once the transaction committed.
	w.s.subjectTop.written(w.subjects, w.fromSize, w.fromRoot, w.n, w.root)
	if err := w.subjects.flush(ctx, w.s, w.tx); err != nil {
		return err
	}
	if _, err := w.tx.ExecContext(ctx, w.s.rebind(`INSERT INTO ledger_subject_map (id, size, root) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET size = excluded.size, root = excluded.root`), w.n, w.root[:]); err != nil {
		return err
	}
	return nil
}

func (w *ledgerAppender) append(ctx context.Context, org int64, typ, subject string, content any) error {
	body, err := json.Marshal(content)
	if err != nil {
		return err
	}
	salt, commitment := ledger.Commit(body)
	key := ledger.SubjectKey(subject)
	prior, _, _, err := ledger.LookupSubject(w.subjects, key)
	if err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	st := ledger.Statement{Type: typ, Subject: subject, Actor: actorOf(ctx), Time: w.s.now(), Commitment: commitment, Seq: prior.Count + 1}
	if prior.Count > 0 {
		st.Prev = hex.EncodeToString(prior.LastHash[:])
	}
	leaf := st.Leaf()
	root, err := ledger.SetSubject(w.subjects, key, ledger.SubjectState{Count: st.Seq, Last: w.n, LastHash: tlog.RecordHash(leaf)})
	if err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	hashes, err := tlog.StoredHashes(w.n, leaf, w.read)
	if err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	first := tlog.StoredHashIndex(0, w.n)
	for i, h := range hashes {
		if _, err := w.hash.ExecContext(ctx, first+int64(i), h[:]); err != nil {
			return fmt.Errorf("ledger: %w", err)
		}
	}
	var orgArg any
	if org != 0 {
		orgArg = org
	}
	w.root = root
	if _, err := w.entry.ExecContext(ctx, w.n, orgArg, subject, string(leaf), root[:]); err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	if _, err := w.store.ExecContext(ctx, w.n, salt, body); err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	w.n++
	return nil
}

// ledgerKey returns the install's log origin and keys, making them the first time.
func (s *DB) ledgerKey(ctx context.Context) (origin, skey, vkey string, err error) {
	err = s.sql.QueryRowContext(ctx, `SELECT origin, signer_key, verifier_key FROM ledger_key WHERE id = 1`).Scan(&origin, &skey, &vkey)
	if err == nil {
		return origin, skey, vkey, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", "", "", mapError(err)
	}
	var b [6]byte
	rand.Read(b[:])
	origin = "siegel.ledger/" + hex.EncodeToString(b[:])
	if skey, vkey, err = ledger.NewKey(origin); err != nil {
		return "", "", "", err
	}
	if _, err := s.sql.ExecContext(ctx, s.rebind(`INSERT INTO ledger_key (id, origin, signer_key, verifier_key, created_at) VALUES (1, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`),
		origin, skey, vkey, s.now()); err != nil {
		return "", "", "", mapError(err)
	}
	err = s.sql.QueryRowContext(ctx, `SELECT origin, signer_key, verifier_key FROM ledger_key WHERE id = 1`).Scan(&origin, &skey, &vkey)
	return origin, skey, vkey, mapError(err)
}

// LedgerCheckpoint signs the log's current size and root hash; it returns the signed note, the
// checkpoint and the verifier key that checks it.
func (s *DB) LedgerCheckpoint(ctx context.Context) (string, ledger.Checkpoint, string, error) {
	return s.LedgerCheckpointAt(ctx, -1)
}

func (s *DB) checkpoint(ctx context.Context, tx *sql.Tx, origin string) (ledger.Checkpoint, error) {
	var n int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(max(idx) + 1, 0) FROM ledger_entry`).Scan(&n); err != nil {
		return ledger.Checkpoint{}, err
	}
	return s.checkpointAt(ctx, tx, origin, n)
}

// checkpointAt is the checkpoint of the log's first n entries: its tree's root and, from when
// the log has one, its subject map's root.
func (s *DB) checkpointAt(ctx context.Context, tx *sql.Tx, origin string, n int64) (ledger.Checkpoint, error) {
	root, err := tlog.TreeHash(n, hashReader{ctx: ctx, s: s, q: tx, readOnly: true})
	if err != nil {
		return ledger.Checkpoint{}, fmt.Errorf("ledger root: %w", err)
	}
	cp := ledger.Checkpoint{Origin: origin, Size: n, Root: root}
	if cp.Subjects, cp.HasSubjects, err = subjectRootAt(ctx, tx, s, n); err != nil {
		return ledger.Checkpoint{}, fmt.Errorf("ledger subject map root: %w", err)
	}
	return cp, nil
}

// LedgerBundle exports the statements about subject (exactly, or every subject under it when it
// ends with "/"), of one organization (0: any), with inclusion proofs in the tree of a fresh
// signed checkpoint and, when reveal is set, the contents and salts. For each subject whose
// statements are all in the bundle (none belongs to another organization) and the checkpoint
// has a subject map, it adds the subject proof that makes the bundle complete for it.
func (s *DB) LedgerBundle(ctx context.Context, org int64, subject string, reveal bool) (*ledger.Bundle, error) {
	origin, skey, vkey, err := s.ledgerKey(ctx)
	if err != nil {
		return nil, err
	}
	opts := &sql.TxOptions{ReadOnly: true}
	if s.dialect == Postgres {
		// The subject map's nodes change in place: read them in the snapshot of the checkpoint.
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := s.sql.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	cp, err := s.checkpoint(ctx, tx, origin)
	if err != nil {
		return nil, err
	}
	signed, err := ledger.SignCheckpoint(cp, skey)
	if err != nil {
		return nil, err
	}
	q := `SELECT e.idx, e.leaf, c.salt, c.content FROM ledger_entry e JOIN ledger_content c ON c.idx = e.idx WHERE e.subject = ?`
	args := []any{subject}
	if strings.HasSuffix(subject, "/") {
		q = `SELECT e.idx, e.leaf, c.salt, c.content FROM ledger_entry e JOIN ledger_content c ON c.idx = e.idx WHERE e.subject LIKE ? ESCAPE '\'`
		args = []any{likePrefix(subject) + "%"}
	}
	if org != 0 {
		q += ` AND e.organization = ?`
		args = append(args, org)
	}
	rows, err := tx.QueryContext(ctx, s.rebind(q+` ORDER BY e.idx`), args...)
	if err != nil {
		return nil, mapError(err)
	}
	entries := []ledger.Entry{}
	for rows.Next() {
		var e ledger.Entry
		var leaf string
		var salt, content []byte
		if err := rows.Scan(&e.Index, &leaf, &salt, &content); err != nil {
			rows.Close()
			return nil, err
		}
		if err := json.Unmarshal([]byte(leaf), &e.Statement); err != nil {
			rows.Close()
			return nil, fmt.Errorf("ledger entry %d: %w", e.Index, err)
		}
		if reveal {
			e.Salt, e.Content = salt, content
		}
		entries = append(entries, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range entries {
		p, err := tlog.ProveRecord(cp.Size, entries[i].Index, hashReader{ctx: ctx, s: s, q: tx, readOnly: true})
		if err != nil {
			return nil, fmt.Errorf("ledger proof %d: %w", entries[i].Index, err)
		}
		entries[i].Proof = p
	}
	proofs, err := s.subjectProofs(ctx, tx, cp, entries)
	if err != nil {
		return nil, err
	}
	return &ledger.Bundle{Format: ledger.BundleFormat, Subject: subject, VerifierKey: vkey, Checkpoint: signed, Entries: entries, Subjects: proofs}, nil
}

// subjectProofs proves, for each subject of entries whose statements at checkpoint cp are all
// among entries, its count and latest statement in the checkpoint's subject map.
func (s *DB) subjectProofs(ctx context.Context, tx *sql.Tx, cp ledger.Checkpoint, entries []ledger.Entry) ([]ledger.SubjectProof, error) {
	proofs := []ledger.SubjectProof{}
	if !cp.HasSubjects || len(entries) == 0 {
		return proofs, nil
	}
	covered, root, err := subjectMapState(ctx, tx)
	if err != nil || covered != cp.Size || root != cp.Subjects {
		return nil, fmt.Errorf("ledger: the subject map covers %d entries, the checkpoint %d: %w", covered, cp.Size, errors.Join(err, ledger.ErrMapCorrupt))
	}
	nodes, err := s.subjectNodes(ctx, tx)
	if err != nil {
		return nil, err
	}
	defer nodes.close()
	s.subjectTop.settle(covered, root, false)
	nodes.top, nodes.size, nodes.root = &s.subjectTop, covered, root
	count := map[string]int64{}
	last := map[string]int64{}
	for _, e := range entries {
		count[e.Statement.Subject]++
		last[e.Statement.Subject] = e.Index
	}
	for _, subject := range slices.Sorted(maps.Keys(count)) {
		st, proof, found, err := ledger.LookupSubject(nodes, ledger.SubjectKey(subject))
		if err != nil {
			return nil, fmt.Errorf("ledger subject map: %w", err)
		}
		if !found || st.Count != count[subject] || st.Last != last[subject] {
			continue // statements of another organization: this bundle proves inclusion only
		}
		if proof == nil {
			proof = []tlog.Hash{}
		}
		proofs = append(proofs, ledger.SubjectProof{Subject: subject, Count: st.Count, Last: st.Last, Proof: proof})
	}
	return proofs, nil
}

// LedgerConsistency proves that the log's current tree extends the tree of its first size entries.
func (s *DB) LedgerConsistency(ctx context.Context, size int64) (ledger.Checkpoint, []tlog.Hash, error) {
	origin, _, _, err := s.ledgerKey(ctx)
	if err != nil {
		return ledger.Checkpoint{}, nil, err
	}
	tx, err := s.sql.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return ledger.Checkpoint{}, nil, err
	}
	defer tx.Rollback()
	cp, err := s.checkpoint(ctx, tx, origin)
	if err != nil {
		return cp, nil, err
	}
	if size > cp.Size {
		return cp, nil, fmt.Errorf("the log has %d entries, fewer than %d", cp.Size, size)
	}
	p, err := tlog.ProveTree(cp.Size, size, hashReader{ctx: ctx, s: s, q: tx, readOnly: true})
	return cp, p, err
}

// LedgerItem is a statement to append by hand (an attestation, say): its type, subject and the
// content it commits to.
type LedgerItem struct {
	Organization int64
	Type         string
	Subject      string
	Content      any
}

// LedgerAppend appends statements in one transaction (batching is what makes thousands of
// appends a second possible on SQLite).
func (s *DB) LedgerAppend(ctx context.Context, items []LedgerItem) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		w, err := s.ledgerWriter(ctx, tx)
		if err != nil {
			return err
		}
		defer w.close()
		for _, it := range items {
			if it.Type == "" || !strings.Contains(it.Subject, "/") {
				return fmt.Errorf("a ledger statement needs a type and a KIND/ID subject")
			}
			if err := w.append(ctx, it.Organization, it.Type, it.Subject, it.Content); err != nil {
				return err
			}
		}
		return w.finish(ctx)
	})
}

// LedgerProof proves that entry index is in the tree of the log's first size entries.
func (s *DB) LedgerProof(ctx context.Context, index, size int64) ([]tlog.Hash, error) {
	p, err := tlog.ProveRecord(size, index, hashReader{ctx: ctx, s: s, q: s.sql, readOnly: true})
	if err != nil {
		return nil, fmt.Errorf("ledger proof of %d in %d: %w", index, size, err)
	}
	return p, nil
}

// LedgerCheckpointAt signs the checkpoint of the log's first size entries (the tree as it was
// then; -1 for the whole log as it is); it also returns the log's verifier key.
func (s *DB) LedgerCheckpointAt(ctx context.Context, size int64) (string, ledger.Checkpoint, string, error) {
	origin, skey, vkey, err := s.ledgerKey(ctx)
	if err != nil {
		return "", ledger.Checkpoint{}, "", err
	}
	tx, err := s.sql.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return "", ledger.Checkpoint{}, "", err
	}
	defer tx.Rollback()
	cur, err := s.checkpoint(ctx, tx, origin)
	if err != nil {
		return "", ledger.Checkpoint{}, "", err
	}
	cp := cur
	if size != -1 {
		if size < 0 || size > cur.Size {
			return "", ledger.Checkpoint{}, "", fmt.Errorf("%w: the log has %d entries, not %d", ErrNotFound, cur.Size, size)
		}
		if cp, err = s.checkpointAt(ctx, tx, origin, size); err != nil {
			return "", ledger.Checkpoint{}, "", err
		}
	}
	signed, err := ledger.SignCheckpoint(cp, skey)
	return signed, cp, vkey, err
}

// LedgerTreeProof proves that the tree of the first from entries is a prefix of the tree of the
// first to entries.
func (s *DB) LedgerTreeProof(ctx context.Context, from, to int64) ([]tlog.Hash, error) {
	tx, err := s.sql.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var n int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(max(idx) + 1, 0) FROM ledger_entry`).Scan(&n); err != nil {
		return nil, err
	}
	if from < 0 || from > to || to > n {
		return nil, fmt.Errorf("%w: no proof from %d to %d entries in a log of %d", ErrNotFound, from, to, n)
	}
	return tlog.ProveTree(to, from, hashReader{ctx: ctx, s: s, q: tx, readOnly: true})
}

// AddCosignature keeps a witness's cosignature line of the checkpoint of size entries (the
// caller has verified it); a witness's later line for the same size replaces the earlier.
func (s *DB) AddCosignature(ctx context.Context, size int64, witness, line string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.rebind(`DELETE FROM ledger_cosignature WHERE size = ? AND witness = ?`), size, witness); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO ledger_cosignature (size, witness, line, created_at) VALUES (?, ?, ?, ?)`), size, witness, line, s.now())
		return mapError(err)
	})
}

// Cosignatures returns the cosignature lines kept for the checkpoint of size entries, and the
// largest size any witness cosigned (0 when none did).
func (s *DB) Cosignatures(ctx context.Context, size int64) (lines []string, latest int64, err error) {
	if err := s.sql.QueryRowContext(ctx, `SELECT COALESCE(max(size), 0) FROM ledger_cosignature`).Scan(&latest); err != nil {
		return nil, 0, mapError(err)
	}
	rows, err := s.sql.QueryContext(ctx, s.rebind(`SELECT line FROM ledger_cosignature WHERE size = ? ORDER BY witness`), size)
	if err != nil {
		return nil, 0, mapError(err)
	}
	defer rows.Close()
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			return nil, 0, err
		}
		lines = append(lines, l)
	}
	return lines, latest, rows.Err()
}
