package ledger

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

// refSubjectRoot is the subject map's root computed from its definition, the whole set at once.
func refSubjectRoot(m map[[32]byte]SubjectState, keys [][32]byte, depth int) tlog.Hash {
	switch len(keys) {
	case 0:
		return tlog.Hash{}
	case 1:
		return subjectLeafHash(keys[0], m[keys[0]])
	}
	var left, right [][32]byte
	for _, k := range keys {
		if keyBit(k, depth) == 0 {
			left = append(left, k)
		} else {
			right = append(right, k)
		}
	}
	return subjectNodeHash(refSubjectRoot(m, left, depth+1), refSubjectRoot(m, right, depth+1))
}

func TestSubjectMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	nodes := MemoryMap{}
	want := map[[32]byte]SubjectState{}
	var keys [][32]byte
	var crafted [32]byte
	crafted[31] = 1 // parts from the zero key only at the last bit
	for i := range 600 {
		var key [32]byte
		switch {
		case i%7 == 3 && len(keys) > 0:
			key = keys[rng.IntN(len(keys))] // an update
		case i == 10:
			key = [32]byte{}
		case i == 11:
			key = crafted
		default:
			key = SubjectKey(fmt.Sprintf("release/%d", i))
		}
		if _, ok := want[key]; !ok {
			keys = append(keys, key)
		}
		st := want[key]
		st.Count++
		st.Last = int64(i)
		st.LastHash = tlog.RecordHash([]byte(fmt.Sprint(i)))
		want[key] = st
		root, err := SetSubject(nodes, key, st)
		if err != nil {
			t.Fatal(err)
		}
		if ref := refSubjectRoot(want, keys, 0); root != ref {
			t.Fatalf("after %d updates: root %x, the definition gives %x", i+1, root, ref)
		}
	}
	root := refSubjectRoot(want, keys, 0)
	for _, k := range keys {
		st, proof, found, err := LookupSubject(nodes, k)
		if err != nil || !found || st != want[k] {
			t.Fatalf("lookup %x: %v %v %+v, want %+v", k, err, found, st, want[k])
		}
		if !checkSubjectKey(root, k, st, proof) {
			t.Fatalf("proof of %x does not verify", k)
		}
		bad := st
		bad.Count--
		if checkSubjectKey(root, k, bad, proof) {
			t.Fatalf("a lower count for %x verified", k)
		}
		if len(proof) > 0 {
			proof[len(proof)-1][0] ^= 1
			if checkSubjectKey(root, k, st, proof) {
				t.Fatalf("a changed proof for %x verified", k)
			}
		}
	}
	if _, _, found, _ := LookupSubject(nodes, SubjectKey("case/none")); found {
		t.Error("a subject never set was found")
	}
	st := want[SubjectKey("release/5")]
	_, proof, _, _ := LookupSubject(nodes, SubjectKey("release/5"))
	if err := CheckSubject(root, "release/5", st, proof); err != nil {
		t.Error(err)
	}
	if err := CheckSubject(root, "release/6", st, proof); err == nil {
		t.Error("another subject's proof verified")
	}
}
