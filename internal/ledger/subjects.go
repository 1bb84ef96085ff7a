package ledger

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// The subject map: an authenticated map from each subject to its state (how many statements
// about it the log holds, the index of the latest and that statement's RFC 6962 record hash).
// Its root goes into every checkpoint beside the log's root, so a bundle can prove it holds
// every statement about its subject up to the checkpoint: the log proves each statement is in
// it, the map proves how many there are and which one is the latest. Certificate Transparency
// and Rekor prove inclusion only.
//
// The map is a compact sparse Merkle tree over the 256-bit keys SHA-256(subject): a subtree
// holding no key hashes to 32 zero bytes, a subtree holding one key is that key's leaf
// (SHA-256(0x02 || key || count || latest index || latest record hash), integers as 8 bytes
// big endian), and any other subtree is SHA-256(0x03 || left || right), split on the key's next
// bit. The prefixes 0x02 and 0x03 keep its hashes apart from the log's (0x00, 0x01).

// SubjectKey is the subject map's key of a subject.
func SubjectKey(subject string) [32]byte { return sha256.Sum256([]byte(subject)) }

// SubjectState is what the subject map holds for a subject.
type SubjectState struct {
	Count    int64     // statements about the subject
	Last     int64     // log index of the latest
	LastHash tlog.Hash // its record hash (tlog.RecordHash of its leaf)
}

func subjectLeafHash(key [32]byte, st SubjectState) tlog.Hash {
	var b [1 + 32 + 8 + 8 + 32]byte
	b[0] = 0x02
	copy(b[1:], key[:])
	binary.BigEndian.PutUint64(b[33:], uint64(st.Count))
	binary.BigEndian.PutUint64(b[41:], uint64(st.Last))
	copy(b[49:], st.LastHash[:])
	return sha256.Sum256(b[:])
}

func subjectNodeHash(left, right tlog.Hash) tlog.Hash {
	var b [1 + 64]byte
	b[0] = 0x03
	copy(b[1:], left[:])
	copy(b[33:], right[:])
	return sha256.Sum256(b[:])
}

// keyBit is bit i of key, the most significant bit first.
func keyBit(key [32]byte, i int) byte { return key[i/8] >> (7 - i%8) & 1 }

// MapNode is a stored node of the subject map: a subject's leaf (Leaf set, with its key and
// state) or an inner node.
type MapNode struct {
	Hash  tlog.Hash
	Leaf  bool
	Key   [32]byte
	State SubjectState
}

// MapNodes holds the nodes of a subject map by path (see MapPath); Get reports ok false where
// the map has no node. Puts must be visible to later Gets.
type MapNodes interface {
	Get(path string) (n MapNode, ok bool, err error)
	Put(path string, n MapNode)
}

// MapPath names the node at depth (0 is the root, at most 256) on key's path: the depth as two
// bytes, then the first depth bits of key, the rest of the last byte zero.
func MapPath(key [32]byte, depth int) string {
	b := make([]byte, 2+(depth+7)/8)
	binary.BigEndian.PutUint16(b, uint16(depth))
	copy(b[2:], key[:(depth+7)/8])
	if depth%8 != 0 {
		b[len(b)-1] &= 0xff << (8 - depth%8)
	}
	return string(b)
}

// siblingPath names the node at depth d+1 that shares key's first d bits and differs in bit d.
func siblingPath(key [32]byte, d int) string {
	key[d/8] ^= 1 << (7 - d%8)
	return MapPath(key, d+1)
}

// ErrMapCorrupt reports stored nodes that do not form a subject map.
var ErrMapCorrupt = errors.New("the subject map's stored nodes are inconsistent")

// LookupSubject returns the state of the subject with key in the map and the proof of it (the
// sibling hashes from the root down); found is false when the map has no such subject.
func LookupSubject(nodes MapNodes, key [32]byte) (st SubjectState, proof []tlog.Hash, found bool, err error) {
	for d := 0; d <= 256; d++ {
		n, ok, err := nodes.Get(MapPath(key, d))
		if err != nil || !ok {
			return SubjectState{}, nil, false, err
		}
		if n.Leaf {
			if n.Key != key {
				return SubjectState{}, nil, false, nil
			}
			return n.State, proof, true, nil
		}
		if d == 256 {
			break
		}
		sib, _, err := nodes.Get(siblingPath(key, d))
		if err != nil {
			return SubjectState{}, nil, false, err
		}
		proof = append(proof, sib.Hash)
	}
	return SubjectState{}, nil, false, ErrMapCorrupt
}

// SetSubject sets the state of the subject with key and returns the map's new root.
func SetSubject(nodes MapNodes, key [32]byte, st SubjectState) (tlog.Hash, error) {
	bottom := -1
	for d := 0; d <= 256 && bottom < 0; d++ {
		n, ok, err := nodes.Get(MapPath(key, d))
		switch {
		case err != nil:
			return tlog.Hash{}, err
		case !ok || n.Leaf && n.Key == key:
			bottom = d
		case n.Leaf:
			// Another subject's leaf stands here: both go down to where their keys part.
			b := d
			for b < 256 && keyBit(key, b) == keyBit(n.Key, b) {
				b++
			}
			if b == 256 {
				return tlog.Hash{}, ErrMapCorrupt
			}
			nodes.Put(MapPath(n.Key, b+1), n)
			bottom = b + 1
		}
	}
	if bottom < 0 {
		return tlog.Hash{}, ErrMapCorrupt
	}
	h := subjectLeafHash(key, st)
	nodes.Put(MapPath(key, bottom), MapNode{Hash: h, Leaf: true, Key: key, State: st})
	for d := bottom - 1; d >= 0; d-- {
		sib, _, err := nodes.Get(siblingPath(key, d))
		if err != nil {
			return tlog.Hash{}, err
		}
		if keyBit(key, d) == 0 {
			h = subjectNodeHash(h, sib.Hash)
		} else {
			h = subjectNodeHash(sib.Hash, h)
		}
		nodes.Put(MapPath(key, d), MapNode{Hash: h})
	}
	return h, nil
}

// CheckSubject checks that the subject map with root holds st for subject, by proof.
func CheckSubject(root tlog.Hash, subject string, st SubjectState, proof []tlog.Hash) error {
	if checkSubjectKey(root, SubjectKey(subject), st, proof) {
		return nil
	}
	if len(proof) > 256 {
		return fmt.Errorf("subject map proof of %d hashes: at most 256", len(proof))
	}
	return fmt.Errorf("the checkpoint's subject map does not hold %d statements about %s with the latest at index %d", st.Count, subject, st.Last)
}

func checkSubjectKey(root tlog.Hash, key [32]byte, st SubjectState, proof []tlog.Hash) bool {
	if len(proof) > 256 {
		return false
	}
	h := subjectLeafHash(key, st)
	for d := len(proof) - 1; d >= 0; d-- {
		if keyBit(key, d) == 0 {
			h = subjectNodeHash(h, proof[d])
		} else {
			h = subjectNodeHash(proof[d], h)
		}
	}
	return h == root
}

// MemoryMap is a subject map held in memory (for tests and for building a map in one pass).
type MemoryMap map[string]MapNode

// Get implements MapNodes.
func (m MemoryMap) Get(path string) (MapNode, bool, error) {
	n, ok := m[path]
	return n, ok, nil
}

// Put implements MapNodes.
func (m MemoryMap) Put(path string, n MapNode) { m[path] = n }
