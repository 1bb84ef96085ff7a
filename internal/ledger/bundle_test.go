package ledger

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/siegel-oss/siegel/internal/ledger/ledgertest"
)

// memLog is a log held in memory, appended to as the store appends: statements chained per
// subject, the subject map's root after each.
type memLog struct {
	hashes   map[int64]tlog.Hash
	leaves   [][]byte
	subjects MemoryMap
	root     tlog.Hash
}

func (l *memLog) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = l.hashes[x]
	}
	return out, nil
}

func (l *memLog) append(t testing.TB, st Statement, chained bool) {
	n := int64(len(l.leaves))
	key := SubjectKey(st.Subject)
	prior, _, _, _ := LookupSubject(l.subjects, key)
	if chained {
		st.Seq = prior.Count + 1
		if prior.Count > 0 {
			st.Prev = hex.EncodeToString(prior.LastHash[:])
		}
	}
	leaf := st.Leaf()
	hs, err := tlog.StoredHashes(n, leaf, l)
	if err != nil {
		t.Fatal(err)
	}
	for i, h := range hs {
		l.hashes[tlog.StoredHashIndex(0, n)+int64(i)] = h
	}
	l.leaves = append(l.leaves, leaf)
	if l.root, err = SetSubject(l.subjects, key, SubjectState{Count: prior.Count + 1, Last: n, LastHash: tlog.RecordHash(leaf)}); err != nil {
		t.Fatal(err)
	}
}

// export makes the bundle of subject, as the store does.
func (l *memLog) export(t testing.TB, skey, vkey, subject string) *Bundle {
	n := int64(len(l.leaves))
	root, err := tlog.TreeHash(n, l)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := SignCheckpoint(Checkpoint{Origin: "siegel.test/log", Size: n, Root: root, Subjects: l.root, HasSubjects: true}, skey)
	if err != nil {
		t.Fatal(err)
	}
	b := &Bundle{Format: BundleFormat, Subject: subject, VerifierKey: vkey, Checkpoint: signed, Entries: []Entry{}, Subjects: []SubjectProof{}}
	for i, leaf := range l.leaves {
		var st Statement
		if err := json.Unmarshal(leaf, &st); err != nil {
			t.Fatal(err)
		}
		if st.Subject != subject {
			continue
		}
		p, err := tlog.ProveRecord(n, int64(i), l)
		if err != nil {
			t.Fatal(err)
		}
		b.Entries = append(b.Entries, Entry{Index: int64(i), Statement: st, Proof: p})
	}
	st, proof, _, _ := LookupSubject(l.subjects, SubjectKey(subject))
	b.Subjects = append(b.Subjects, SubjectProof{Subject: subject, Count: st.Count, Last: st.Last, Proof: append([]tlog.Hash{}, proof...)})
	return b
}

func testLog(t testing.TB, legacy int) (*Bundle, string) {
	skey, vkey, err := NewKey("siegel.test/log")
	if err != nil {
		t.Fatal(err)
	}
	l := &memLog{hashes: map[int64]tlog.Hash{}, subjects: MemoryMap{}}
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	for i, s := range []string{"release/1", "case/3", "release/1", "release/2", "release/1", "release/1", "case/3", "release/1"} {
		l.append(t, Statement{Type: VEXDecision, Subject: s, Actor: "user:a", Time: at.Add(time.Duration(i) * time.Minute), Commitment: strings.Repeat("ab", 32)}, i >= legacy)
	}
	return l.export(t, skey, vkey, "release/1"), vkey
}

func TestBundleComplete(t *testing.T) {
	for _, legacy := range []int{0, 3} {
		b, _ := testLog(t, legacy)
		r, err := Check(b)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Subjects) != 1 || r.Subjects[0] != (SubjectReport{Subject: "release/1", Statements: 5, Complete: true, Unchained: min(legacy, 2)}) {
			t.Errorf("%d legacy statements: %+v", legacy, r.Subjects)
		}
		data, _ := json.Marshal(b)
		muts, err := ledgertest.Mutations(data)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range muts {
			if b, err := DecodeBundle(bytes.NewReader(m.Data)); err == nil {
				if _, err := Check(b); err == nil {
					t.Errorf("%s: verified", m.Name)
				}
			}
		}
	}
}

// A bundle from before subject proofs still verifies and says it proves inclusion only.
func TestBundleV1(t *testing.T) {
	b, _ := testLog(t, 8)
	data, _ := json.Marshal(b)
	v1, err := ledgertest.AsV1(data)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeBundle(bytes.NewReader(v1))
	if err != nil {
		t.Fatal(err)
	}
	r, err := Check(got)
	if err != nil || r.Complete("release/1") || r.Statements != 5 || r.Format != BundleFormatV1 {
		t.Errorf("v1 bundle: %v %+v", err, r)
	}
	// A v1 bundle with the keys of v2 is neither.
	bad := strings.Replace(string(v1), `{`, `{"subjects":[],`, 1)
	if _, err := DecodeBundle(strings.NewReader(bad)); err == nil || !strings.Contains(err.Error(), `unknown key "subjects"`) {
		t.Errorf("v1 with subjects: %v", err)
	}
}

func TestDecodeBundleErrors(t *testing.T) {
	b, _ := testLog(t, 0)
	data, _ := json.Marshal(b)
	for name, tt := range map[string]struct{ from, to, want string }{
		"entries renamed":   {`"entries":`, `"Entries":`, `bundle: unknown key "Entries"`},
		"statement key":     {`"actor":`, `"actorX":`, `bundle: entries[0]: statement: unknown key "actorX"`},
		"duplicate key":     {`"index":`, `"proof":`, `bundle: entries[0]: key "proof" given twice`},
		"missing key":       {`"count":5,`, ``, `bundle: subjects[0]: missing key "count"`},
		"null entries":      {`"entries":[`, `"entries":null,"x":[`, `unknown key "x"`},
		"trailing material": {`"format":`, `"format":"x","format":`, `given twice`},
	} {
		t.Run(name, func(t *testing.T) {
			changed := strings.Replace(string(data), tt.from, tt.to, 1)
			if changed == string(data) {
				t.Fatalf("%q not in the bundle", tt.from)
			}
			if _, err := DecodeBundle(strings.NewReader(changed)); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want %q", err, tt.want)
			}
		})
	}
}

func FuzzDecodeBundle(f *testing.F) {
	b, _ := testLog(f, 3)
	data, _ := json.Marshal(b)
	f.Add(data)
	f.Add([]byte(`{"format":"siegel-ledger-bundle/v1","verifierKey":"","checkpoint":"","entries":[]}`))
	f.Add([]byte(`{"entries":[{"statement":{"seq":1}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := DecodeBundle(bytes.NewReader(data))
		if err != nil {
			return
		}
		Check(b)
		// What decodes re-encodes to what decodes the same.
		again, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		b2, err := DecodeBundle(bytes.NewReader(again))
		if err != nil {
			t.Fatalf("re-encoded bundle: %v\n%s", err, again)
		}
		if third, _ := json.Marshal(b2); !bytes.Equal(third, again) {
			t.Fatalf("round trip changed the bundle:\n%s\n%s", again, third)
		}
	})
}
