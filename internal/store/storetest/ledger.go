package storetest

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/siegel-oss/siegel/internal/ledger"
	"github.com/siegel-oss/siegel/internal/store"
	"golang.org/x/mod/sumdb/tlog"
)

// mth is the RFC 6962 Merkle tree hash, written here from the RFC (section 2.1) independently of
// the tlog package the store uses.
func mth(leaves [][]byte) [32]byte {
	switch len(leaves) {
	case 0:
		return sha256.Sum256(nil)
	case 1:
		return sha256.Sum256(append([]byte{0}, leaves[0]...))
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	l, r := mth(leaves[:k]), mth(leaves[k:])
	return sha256.Sum256(append(append([]byte{1}, l[:]...), r[:]...))
}

// inclusionRoot runs the inclusion-proof verification of RFC 9162 section 2.1.3.2, written from the
// RFC independently of tlog, and returns the root the proof leads to.
func inclusionRoot(index, size int64, leaf []byte, path []tlog.Hash) ([32]byte, bool) {
	fn, sn := index, size-1
	r := sha256.Sum256(append([]byte{0}, leaf...))
	node := func(l, r [32]byte) [32]byte { return sha256.Sum256(append(append([]byte{1}, l[:]...), r[:]...)) }
	for _, p := range path {
		if sn == 0 {
			return r, false
		}
		if fn&1 == 1 || fn == sn {
			r = node(p, r)
			if fn&1 == 0 {
				for fn&1 == 0 && fn != 0 {
					fn >>= 1
					sn >>= 1
				}
			}
		} else {
			r = node(r, p)
		}
		fn >>= 1
		sn >>= 1
	}
	return r, sn == 0
}

func testLedger(t *testing.T, s *store.DB) {
	ctx := store.WithActor(t.Context(), "user:lead@acme.example")
	org := must(s.CreateOrganization(ctx, "ACME", "small", false))
	prod := must(s.CreateProduct(ctx, org.ID, "R", "router", "default"))
	rel := must(s.CreateRelease(ctx, prod.ID, "1", "2026-01-05", "2031-01")) // support-period-declared
	other := must(s.CreateRelease(ctx, prod.ID, "2", "2026-06-05", "2031-06"))
	must(s.AddSBOM(ctx, rel.ID, store.SBOMContent{Format: "cyclonedx-json", SHA256: "aa"})) // sbom-published
	must(s.SetVEX(ctx, store.VEX{Release: rel.ID, Vulnerability: "CVE-1", PURL: "pkg:npm/a@1", Status: "affected", Action: "update", Author: "lead"}))
	_, before, _ := must3(s.LedgerCheckpoint(ctx))
	must(s.SetVEX(ctx, store.VEX{Release: other.ID, Vulnerability: "CVE-2", PURL: "pkg:npm/b@1", Status: "under_investigation", Author: "lead"}))

	b := must(s.LedgerBundle(ctx, org.ID, fmt.Sprintf("release/%d", rel.ID), true))
	var types []string
	for _, e := range b.Entries {
		types = append(types, e.Statement.Type)
	}
	if fmt.Sprint(types) != "[support-period-declared sbom-published vex-decision]" || b.Entries[0].Statement.Actor != "user:lead@acme.example" {
		t.Fatalf("bundle entries %v", b.Entries)
	}
	cp, err := ledger.Verify(b)
	if err != nil {
		t.Fatalf("an honest bundle: %v", err)
	}
	if cp.Size != 5 {
		t.Errorf("checkpoint size %d, want 5", cp.Size)
	}
	// The root is the RFC 6962 hash of all leaves, recomputed independently.
	all := must(s.LedgerBundle(ctx, 0, "release/", false))
	leaves := make([][]byte, len(all.Entries))
	for i, e := range all.Entries {
		leaves[i] = e.Statement.Leaf()
	}
	if want := mth(leaves); tlog.Hash(want) != cp.Root {
		t.Errorf("root %x, RFC 6962 gives %x", cp.Root, want)
	}
	// And every inclusion proof leads to that root under RFC 9162's own verification.
	for _, e := range all.Entries {
		if root, ok := inclusionRoot(e.Index, cp.Size, e.Statement.Leaf(), e.Proof); !ok || tlog.Hash(root) != cp.Root {
			t.Errorf("entry %d: the proof does not verify under RFC 9162", e.Index)
		}
	}
	// Every kind of tampering fails, and says where.
	data, _ := json.Marshal(b)
	for name, tamper := range map[string]func(*ledger.Bundle){
		"statement":  func(b *ledger.Bundle) { b.Entries[1].Statement.Actor = "user:someone-else" },
		"time":       func(b *ledger.Bundle) { b.Entries[2].Statement.Time = b.Entries[2].Statement.Time.Add(-1) },
		"content":    func(b *ledger.Bundle) { b.Entries[2].Content[len(b.Entries[2].Content)-2] ^= 1 },
		"proof":      func(b *ledger.Bundle) { b.Entries[0].Proof[0][0] ^= 1 },
		"index":      func(b *ledger.Bundle) { b.Entries[0].Index++ },
		"checkpoint": func(b *ledger.Bundle) { b.Checkpoint = strings.Replace(b.Checkpoint, "\n5\n", "\n4\n", 1) },
		"key":        func(b *ledger.Bundle) { _, vkey, _ := ledger.NewKey("other"); b.VerifierKey = vkey },
	} {
		var c ledger.Bundle
		json.Unmarshal(data, &c)
		tamper(&c)
		if _, err := ledger.Verify(&c); err == nil {
			t.Errorf("tampered %s: verified", name)
		} else if name == "content" && !strings.Contains(err.Error(), "entry 2") {
			t.Errorf("tampered content: %v does not name the entry", err)
		}
	}
	// The current tree extends the earlier checkpoint's; a forked one does not.
	now, proof := must2(s.LedgerConsistency(ctx, before.Size))
	if err := ledger.CheckConsistency(before, now, proof); err != nil {
		t.Errorf("consistency: %v", err)
	}
	fork := before
	fork.Root[0] ^= 1
	if err := ledger.CheckConsistency(fork, now, proof); err == nil {
		t.Error("a forked history passed")
	}
	// Another organization's bundle holds none of ACME's statements.
	if b := must(s.LedgerBundle(ctx, org.ID+999, fmt.Sprintf("release/%d", rel.ID), true)); len(b.Entries) != 0 {
		t.Errorf("another organization sees %d entries", len(b.Entries))
	}
	// The checkpoint of an earlier size is the one signed then, and proofs between any two sizes check.
	_, at, _ := must3(s.LedgerCheckpointAt(ctx, before.Size))
	if at != before {
		t.Errorf("checkpoint at %d: %+v, want %+v", before.Size, at, before)
	}
	if err := ledger.CheckConsistency(before, now, must(s.LedgerTreeProof(ctx, before.Size, now.Size))); err != nil {
		t.Errorf("tree proof: %v", err)
	}
	if _, _, _, err := s.LedgerCheckpointAt(ctx, now.Size+1); err == nil {
		t.Error("a checkpoint beyond the log")
	}
	// Cosignatures are kept per size and witness; a witness's newer line replaces its older.
	must(0, s.AddCosignature(ctx, before.Size, "w1", "— w1 AAAA\n"))
	must(0, s.AddCosignature(ctx, before.Size, "w1", "— w1 BBBB\n"))
	must(0, s.AddCosignature(ctx, before.Size, "w2", "— w2 CCCC\n"))
	lines, latest := must2(s.Cosignatures(ctx, before.Size))
	if fmt.Sprint(lines) != "[— w1 BBBB\n — w2 CCCC\n]" || latest != before.Size {
		t.Errorf("cosignatures %q, latest %d", lines, latest)
	}
}

func must3[A, B, C any](a A, b B, c C, err error) (A, B, C) {
	if err != nil {
		panic(failure{err})
	}
	return a, b, c
}
