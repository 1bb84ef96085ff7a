package store

import (
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/siegel-oss/siegel/internal/ledger"
)

// The appenders' shared nodes take what a transaction wrote only once the map is seen in the
// state it left: a transaction rolled back leaves them as they were.
func TestSubjectTop(t *testing.T) {
	var top subjectTop
	r0, r1, r2 := tlog.Hash{}, tlog.Hash{1}, tlog.Hash{2}
	root := ledger.MapPath([32]byte{}, 0)
	top.settle(0, r0, true)
	top.add(0, r0, root, topNode{}) // read in the transaction: empty
	written := func(from int64, fromRoot tlog.Hash, to int64, root tlog.Hash, h byte) {
		n := &subjectNodes{cache: map[string]ledger.MapNode{}, dirty: map[string]bool{}}
		n.Put(ledger.MapPath([32]byte{}, 0), ledger.MapNode{Hash: tlog.Hash{h}})
		n.Put(ledger.MapPath([32]byte{}, 20), ledger.MapNode{Hash: tlog.Hash{h}}) // too deep to share
		top.written(n, from, fromRoot, to, root)
	}
	written(0, r0, 1, r1, 1)
	// Rolled back: the map is still at (0, r0).
	top.settle(0, r0, true)
	if n, ok := top.get(0, r0, root); !ok || n.ok || len(top.nodes) != 1 {
		t.Fatalf("after a rollback: %+v %v", n, ok)
	}
	written(0, r0, 1, r1, 1)
	// A reader still on the earlier state finds nothing kept for it once a reader saw the commit.
	top.settle(1, r1, false)
	if n, ok := top.get(1, r1, root); !ok || !n.ok || n.n.Hash != (tlog.Hash{1}) || len(top.nodes) != 1 {
		t.Fatalf("after a commit: %+v %v", n, ok)
	}
	if _, ok := top.get(0, r0, root); ok {
		t.Fatal("a reader of the earlier state got a node of the later one")
	}
	// Another server moved the map on: nothing kept is trusted.
	written(1, r1, 2, r2, 2)
	top.settle(3, tlog.Hash{3}, true)
	if _, ok := top.get(3, tlog.Hash{3}, root); ok || len(top.nodes) != 0 {
		t.Fatal("after another writer: nodes kept")
	}
}
