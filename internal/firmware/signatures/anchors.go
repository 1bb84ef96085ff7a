package signatures

import (
	"bytes"
	"encoding/binary"
)

// anchorSet finds every occurrence of a fixed set of literal anchors (each at least four bytes
// long) in one pass over the data. Each position's first four bytes are hashed into a small
// bitset that fits in the L1 cache; only positions whose hash is set look up the anchors that
// begin with those four bytes. Nothing in the loop depends on the previous iteration, unlike a
// multi-pattern automaton whose state table for hundreds of anchors misses the cache on
// binary data, so the scan runs at memory speed whatever the number of signatures, and the
// regular expressions only ever see small windows around anchors.
type anchorSet struct {
	anchors [][]byte
	bits    *[1 << hashBits / 64]uint64 // set for the hash of each anchor's first four bytes
	byHead  map[uint32][]int32          // anchors by their first four bytes
}

const hashBits = 16

func prefixHash(x uint32) uint32 { return (x * 0x9E3779B1) >> (32 - hashBits) }

func newAnchorSet(anchors [][]byte) *anchorSet {
	as := &anchorSet{
		anchors: anchors,
		bits:    new([1 << hashBits / 64]uint64),
		byHead:  map[uint32][]int32{},
	}
	for i, a := range anchors {
		if len(a) < minAnchor {
			panic("signatures: anchor shorter than four bytes") // Load rejects these first
		}
		x := binary.LittleEndian.Uint32(a)
		h := prefixHash(x)
		as.bits[h/64] |= 1 << (h % 64)
		as.byHead[x] = append(as.byHead[x], int32(i))
	}
	return as
}

// find calls fn with the anchor index and start offset of every occurrence, in order of start
// offset. fn returns false to stop the scan.
func (as *anchorSet) find(data []byte, fn func(anchor int, start int) bool) {
	if len(data) < minAnchor {
		return
	}
	bits := as.bits
	// x holds data[i:i+4] little-endian; it rolls one byte per step.
	x := binary.LittleEndian.Uint32(data)
	if h := prefixHash(x); bits[h/64]&(1<<(h%64)) != 0 && !as.verify(data, 0, x, fn) {
		return
	}
	for j, c := range data[4:] {
		x = x>>8 | uint32(c)<<24
		if h := prefixHash(x); bits[h/64]&(1<<(h%64)) != 0 && !as.verify(data, j+1, x, fn) {
			return
		}
	}
}

// verify reports the anchors that start at data[i:], whose first four bytes are head.
func (as *anchorSet) verify(data []byte, i int, head uint32, fn func(anchor int, start int) bool) bool {
	for _, a := range as.byHead[head] {
		if bytes.HasPrefix(data[i:], as.anchors[a]) && !fn(int(a), i) {
			return false
		}
	}
	return true
}
