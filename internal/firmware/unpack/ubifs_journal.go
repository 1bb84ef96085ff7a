package unpack

import (
	"cmp"
	"encoding/binary"
	"slices"
)

// The UBIFS journal holds what was written since the last commit: the log (LEBs from 3 on, a
// ring) starts with a commit-start node and lists, in reference nodes, the "bud" LEBs the journal
// heads wrote into. Replaying it, as the kernel does at mount, applies the bud nodes over the
// index in sequence-number order: newer inodes, data and entries replace older ones, an entry
// pointing at inode 0 deletes its name, an inode with no links deletes the inode with its data,
// and a truncation node drops the blocks past the new size.
//
// The replay is lenient where the kernel recovers from power cuts: it stops at the first node that
// fails its CRC or is erased flash, in the log and in each bud. A log that does not begin with the
// commit the master node names is not replayed at all.

const (
	ubifsTrunNode = 4
	ubifsPadNode  = 5
	ubifsRefNode  = 8
	ubifsCSNode   = 10
	ubifsLogLnum  = 3
)

// scan returns the valid nodes of LEB lnum from offs on, up to the first that is not one.
func (u *ubifs) scan(lnum, offs int) [][]byte {
	var nodes [][]byte
	start, end := lnum*u.leb, min(len(u.data), (lnum+1)*u.leb)
	for pos := start + offs; pos+ubifsChLen <= end; {
		n, err := ubifsCheckNode(u.data, pos, end)
		if err != nil {
			break
		}
		pos += (len(n) + 7) &^ 7
		if n[20] == ubifsPadNode {
			if len(n) < 28 {
				break
			}
			pos += int(binary.LittleEndian.Uint32(n[24:]))
			continue
		}
		nodes = append(nodes, n)
	}
	return nodes
}

func (u *ubifs) replay(sb, mst []byte) error {
	le := binary.LittleEndian
	logLebs := int(le.Uint32(sb[56:]))
	tail := int(le.Uint32(mst[44:]))
	if logLebs < 2 || ubifsLogLnum+logLebs > u.lebCnt || tail < ubifsLogLnum || tail >= ubifsLogLnum+logLebs {
		return nil
	}
	var journal [][]byte
	buds := map[int]bool{}
	var last uint64
	lnum := tail
	for i := range logLebs {
		nodes := u.scan(lnum, 0)
		if len(nodes) == 0 {
			break
		}
		if i == 0 && (nodes[0][20] != ubifsCSNode || len(nodes[0]) < 32 || le.Uint64(nodes[0][24:]) != le.Uint64(mst[32:])) {
			return nil // the log does not start with this commit
		}
		stale := false
		for j, n := range nodes {
			sq := le.Uint64(n[8:])
			if sq < last || (n[20] == ubifsCSNode && (i > 0 || j > 0)) {
				stale = true // left over from an older pass through the log ring
				break
			}
			last = sq
			if n[20] != ubifsRefNode || len(n) < 36 {
				continue
			}
			bud, offs := int(le.Uint32(n[24:])), int(le.Uint32(n[28:]))
			if bud < ubifsLogLnum+logLebs || bud >= u.lebCnt || offs < 0 || offs >= u.leb || offs%8 != 0 || buds[bud] {
				continue
			}
			buds[bud] = true
			journal = append(journal, u.scan(bud, offs)...)
			if err := u.b.Err(); err != nil {
				return err
			}
		}
		if stale {
			break
		}
		if lnum++; lnum == ubifsLogLnum+logLebs {
			lnum = ubifsLogLnum
		}
	}
	slices.SortStableFunc(journal, func(x, y []byte) int { return cmp.Compare(le.Uint64(x[8:]), le.Uint64(y[8:])) })
	for _, n := range journal {
		switch n[20] {
		case ubifsInoNode:
			if len(n) >= 160 && le.Uint32(n[92:]) == 0 {
				delete(u.leaves, le.Uint32(n[24:]))
				continue
			}
			u.leaf(n)
		case ubifsDataNode:
			u.leaf(n)
		case ubifsDentNode, 3:
			inum, k, ok := leafKey(n)
			if !ok {
				continue
			}
			if le.Uint64(n[40:]) == 0 {
				delete(u.leaves[inum], k)
				continue
			}
			u.leaf(n)
		case ubifsTrunNode:
			if len(n) < 56 {
				continue
			}
			keep := (le.Uint64(n[48:]) + ubifsBlockSize - 1) / ubifsBlockSize
			for k := range u.leaves[le.Uint32(n[24:])] {
				if k.word>>29 == ubifsDataNode && uint64(k.word&0x1fffffff) >= keep {
					delete(u.leaves[le.Uint32(n[24:])], k)
				}
			}
		}
	}
	return nil
}
