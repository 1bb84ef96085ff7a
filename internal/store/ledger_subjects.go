package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"sync"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/siegel-oss/siegel/internal/ledger"
)

// subjectNodes reads the subject map's stored nodes through a transaction (ledger.MapNodes),
// keeping what it read and what was put; flush writes the nodes put.
type subjectNodes struct {
	ctx   context.Context
	get   *sql.Stmt
	cache map[string]ledger.MapNode
	none  map[string]bool // paths read and found empty
	dirty map[string]bool
	// top, when set, holds the nodes near the root shared between transactions, valid for the
	// map as of (size, root), the map the transaction found.
	top  *subjectTop
	size int64
	root tlog.Hash
}

// topDepth bounds the depth of the nodes kept between transactions: at most 2^17 nodes (a few
// MB), the part of every path that appends and proofs share.
const topDepth = 16

// topNode is a node near the root as committed, or (ok false) an empty position.
type topNode struct {
	n  ledger.MapNode
	ok bool
}

// subjectTop keeps the subject map's nodes near the root between transactions, for the map as
// of (size, root). pending holds what the last append transaction wrote, taking the map from
// (fromSize, fromRoot) to (pendingSize, pendingRoot); it is taken in once the map is seen in that
// state, that is once the transaction committed.
type subjectTop struct {
	mu                    sync.RWMutex
	size                  int64
	root                  tlog.Hash
	nodes                 map[string]topNode
	pending               map[string]topNode
	fromSize, pendingSize int64
	fromRoot, pendingRoot tlog.Hash
	pendingSet            bool
}

// settle takes in the pending nodes if the map is now as they left it; a writer (reset) also
// starts afresh when the nodes kept are of another state than the one it found.
func (t *subjectTop) settle(size int64, root tlog.Hash, reset bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.pendingSet && t.pendingSize == size && t.pendingRoot == root {
		if t.nodes == nil || t.size != t.fromSize || t.root != t.fromRoot {
			t.nodes = map[string]topNode{}
		}
		maps.Copy(t.nodes, t.pending)
		t.size, t.root = size, root
		t.pending, t.pendingSet = nil, false
	}
	if reset {
		t.pending, t.pendingSet = nil, false
		if t.nodes == nil || t.size != size || t.root != root {
			t.nodes, t.size, t.root = map[string]topNode{}, size, root
		}
	}
}

func (t *subjectTop) get(size int64, root tlog.Hash, path string) (topNode, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.nodes == nil || t.size != size || t.root != root {
		return topNode{}, false
	}
	n, ok := t.nodes[path]
	return n, ok
}

func (t *subjectTop) add(size int64, root tlog.Hash, path string, n topNode) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.nodes != nil && t.size == size && t.root == root {
		t.nodes[path] = n
	}
}

// written records what an append transaction wrote, taking the map from (fromSize, fromRoot)
// to (size, root).
func (t *subjectTop) written(n *subjectNodes, fromSize int64, fromRoot tlog.Hash, size int64, root tlog.Hash) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pending = map[string]topNode{}
	for path := range n.dirty {
		if isTop(path) {
			t.pending[path] = topNode{n.cache[path], true}
		}
	}
	t.fromSize, t.fromRoot, t.pendingSize, t.pendingRoot, t.pendingSet = fromSize, fromRoot, size, root, true
}

func isTop(path string) bool { return int(path[0])<<8|int(path[1]) <= topDepth }

func (s *DB) subjectNodes(ctx context.Context, tx *sql.Tx) (*subjectNodes, error) {
	st, err := tx.PrepareContext(ctx, s.rebind(`SELECT hash, leaf FROM ledger_subject_node WHERE path = ?`))
	if err != nil {
		return nil, err
	}
	return &subjectNodes{ctx: ctx, get: st, cache: map[string]ledger.MapNode{}, none: map[string]bool{}, dirty: map[string]bool{}}, nil
}

func (n *subjectNodes) close() { n.get.Close() }

// Get implements ledger.MapNodes.
func (n *subjectNodes) Get(path string) (ledger.MapNode, bool, error) {
	if m, ok := n.cache[path]; ok {
		return m, true, nil
	}
	if n.none[path] {
		return ledger.MapNode{}, false, nil
	}
	if n.top == nil || !isTop(path) {
		return n.read(path)
	}
	if t, ok := n.top.get(n.size, n.root, path); ok {
		return t.n, t.ok, nil
	}
	m, ok, err := n.read(path)
	if err == nil {
		n.top.add(n.size, n.root, path, topNode{m, ok})
	}
	return m, ok, err
}

func (n *subjectNodes) read(path string) (ledger.MapNode, bool, error) {
	var hash, leaf []byte
	err := n.get.QueryRowContext(n.ctx, []byte(path)).Scan(&hash, &leaf)
	if errors.Is(err, sql.ErrNoRows) {
		n.none[path] = true
		return ledger.MapNode{}, false, nil
	}
	if err != nil {
		return ledger.MapNode{}, false, fmt.Errorf("ledger subject map: %w", err)
	}
	var m ledger.MapNode
	if len(hash) != tlog.HashSize || leaf != nil && len(leaf) != 80 {
		return m, false, fmt.Errorf("ledger subject map node %x: %w", path, ledger.ErrMapCorrupt)
	}
	copy(m.Hash[:], hash)
	if leaf != nil {
		m.Leaf = true
		copy(m.Key[:], leaf)
		m.State.Count = int64(binary.BigEndian.Uint64(leaf[32:]))
		m.State.Last = int64(binary.BigEndian.Uint64(leaf[40:]))
		copy(m.State.LastHash[:], leaf[48:])
	}
	n.cache[path] = m
	return m, true, nil
}

// Put implements ledger.MapNodes.
func (n *subjectNodes) Put(path string, m ledger.MapNode) {
	n.cache[path] = m
	delete(n.none, path)
	n.dirty[path] = true
}

// flush writes the nodes put since the last flush.
func (n *subjectNodes) flush(ctx context.Context, s *DB, tx *sql.Tx) error {
	if len(n.dirty) == 0 {
		return nil
	}
	st, err := tx.PrepareContext(ctx, s.rebind(`INSERT INTO ledger_subject_node (path, hash, leaf) VALUES (?, ?, ?)
		ON CONFLICT (path) DO UPDATE SET hash = excluded.hash, leaf = excluded.leaf`))
	if err != nil {
		return err
	}
	defer st.Close()
	for path := range n.dirty {
		m := n.cache[path]
		var leaf []byte
		if m.Leaf {
			leaf = make([]byte, 80)
			copy(leaf, m.Key[:])
			binary.BigEndian.PutUint64(leaf[32:], uint64(m.State.Count))
			binary.BigEndian.PutUint64(leaf[40:], uint64(m.State.Last))
			copy(leaf[48:], m.State.LastHash[:])
		}
		if _, err := st.ExecContext(ctx, []byte(path), m.Hash[:], leaf); err != nil {
			return fmt.Errorf("ledger subject map: %w", err)
		}
	}
	clear(n.dirty)
	return nil
}

// subjectMapState is how many of the log's first entries the stored subject map covers, and
// its root then.
func subjectMapState(ctx context.Context, tx *sql.Tx) (size int64, root tlog.Hash, err error) {
	var b []byte
	err = tx.QueryRowContext(ctx, `SELECT size, root FROM ledger_subject_map WHERE id = 1`).Scan(&size, &b)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, root, nil
	}
	if err == nil && len(b) != tlog.HashSize {
		err = ledger.ErrMapCorrupt
	}
	copy(root[:], b)
	return size, root, err
}

// catchUpSubjects brings the subject map from the first `from` entries to the first `to`: it
// counts the entries the map does not cover yet (a log from before the map, or entries a
// version without it appended), so that the chains and counts of later statements include them.
func (s *DB) catchUpSubjects(ctx context.Context, tx *sql.Tx, nodes *subjectNodes, from, to int64, root *tlog.Hash) error {
	type row struct {
		idx           int64
		subject, leaf string
	}
	const chunk = 10000 // read, then apply: PostgreSQL runs one query at a time on a connection
	for from < to {
		rows, err := tx.QueryContext(ctx, s.rebind(`SELECT idx, subject, leaf FROM ledger_entry WHERE idx >= ? AND idx < ? ORDER BY idx`), from, min(to, from+chunk))
		if err != nil {
			return err
		}
		var got []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.idx, &r.subject, &r.leaf); err != nil {
				rows.Close()
				return err
			}
			got = append(got, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range got {
			key := ledger.SubjectKey(r.subject)
			st, _, _, err := ledger.LookupSubject(nodes, key)
			if err != nil {
				return err
			}
			if *root, err = ledger.SetSubject(nodes, key, ledger.SubjectState{Count: st.Count + 1, Last: r.idx, LastHash: tlog.RecordHash([]byte(r.leaf))}); err != nil {
				return err
			}
		}
		from = min(to, from+chunk)
	}
	return nil
}

// subjectRootAt is the subject map's root after the log's first size entries, when the map
// existed then (ok false for sizes from before it).
func subjectRootAt(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, s *DB, size int64) (root tlog.Hash, ok bool, err error) {
	if size == 0 {
		return root, true, nil
	}
	var b []byte
	if err := q.QueryRowContext(ctx, s.rebind(`SELECT subject_root FROM ledger_entry WHERE idx = ?`), size-1).Scan(&b); err != nil {
		return root, false, err
	}
	if b == nil {
		return root, false, nil
	}
	if len(b) != tlog.HashSize {
		return root, false, fmt.Errorf("ledger entry %d: subject map root: %w", size-1, ledger.ErrMapCorrupt)
	}
	copy(root[:], b)
	return root, true, nil
}
