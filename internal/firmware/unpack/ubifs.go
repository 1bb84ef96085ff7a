package unpack

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"time"

	"github.com/klauspost/compress/flate"

	lzo "github.com/anchore/go-lzo"
	"github.com/klauspost/compress/zstd"
)

// UBIFS (Linux fs/ubifs, fs/ubifs/ubifs-media.h) lives in a UBI volume: an array of LEBs. LEB 0
// holds the superblock, LEBs 1 and 2 the master node, whose newest copy points at the root of
// the index, a B+tree whose leaves are the inode, directory entry and data nodes. The reader
// walks the whole index from that root, then replays the journal. All fields are little-endian.
//
// Decisions:
//   - The superblock and a master node must be valid; so must the root index node. Anything else
//     that fails its CRC (a deeper index node, a leaf) is skipped with what it holds, as the
//     kernel fails only the lookups that touch it: the files it held are missing, or read as
//     zeros where a data block was lost.
//   - An index node reached twice (a loop, or a shared subtree) is an error: a real index is a tree.
//   - The journal (nodes written since the last commit) is replayed over the index, as at mount;
//     see ubifs_journal.go.
//   - Paths, hard links and unreachable entries are handled as for JFFS2 (see flashPaths).

var ubifsFormat = Format{
	Name:   "ubifs",
	Magics: []Magic{{Offset: 0, Bytes: "\x31\x18\x10\x06"}},
	Kind:   FileSystem,
	Unpack: unpackUBIFS,
}

const (
	ubifsMagic     = 0x06101831
	ubifsChLen     = 24
	ubifsBlockSize = 4096
	ubifsMaxLevels = 512

	ubifsInoNode  = 0
	ubifsDataNode = 1
	ubifsDentNode = 2
	ubifsSBNode   = 6
	ubifsMstNode  = 7
	ubifsIdxNode  = 9

	ubifsComprNone = 0
	ubifsComprLZO  = 1
	ubifsComprZlib = 2
	ubifsComprZstd = 3
)

type ubifsIno struct {
	node []byte
	mode uint32
	size uint64
}

type ubifsBlock struct {
	block uint32
	size  uint32
	compr uint16
	data  []byte
}

type ubifs struct {
	data    []byte
	leb     int
	lebCnt  int
	b       *Budget
	leaves  map[uint32]map[ubifsKey]ubifsLeaf // by inode number: the newest node of each key
	inodes  map[uint64]ubifsIno
	dents   []flashDirent
	blocks  map[uint64][]ubifsBlock
	visited map[int64]bool
	zstd    *zstd.Decoder
	flate   io.ReadCloser
	br      bytes.Reader
	page    [ubifsBlockSize]byte
}

func unpackUBIFS(data []byte, b *Budget) (*Tree, int64, error) {
	if len(data) < 4096 {
		return nil, 0, Errorf("ubifs", 0, "superblock", "image of %d bytes is shorter than a superblock node", len(data))
	}
	sb, err := ubifsCheckNode(data, 0, len(data))
	if err != nil {
		return nil, 0, Errorf("ubifs", 0, "superblock node", "%v", err)
	}
	if sb[20] != ubifsSBNode || len(sb) < 128 {
		return nil, 0, Errorf("ubifs", 20, "superblock node", "node type %d of %d bytes, want a superblock", sb[20], len(sb))
	}
	if sb[27] != 0 {
		return nil, 0, Errorf("ubifs", 27, "key format", "format %d, only the simple format (0) exists", sb[27])
	}
	leb := binary.LittleEndian.Uint32(sb[36:])
	lebCnt := binary.LittleEndian.Uint32(sb[40:])
	if leb < 4096 || leb > 16<<20 || leb%8 != 0 {
		return nil, 0, Errorf("ubifs", 36, "LEB size", "%d bytes", leb)
	}
	if lebCnt < 3 {
		return nil, 0, Errorf("ubifs", 40, "LEB count", "%d LEBs, want at least the superblock and two master LEBs", lebCnt)
	}
	fsys := &ubifs{
		data:    data,
		leb:     int(leb),
		lebCnt:  int(lebCnt),
		b:       b,
		leaves:  map[uint32]map[ubifsKey]ubifsLeaf{},
		inodes:  map[uint64]ubifsIno{},
		blocks:  map[uint64][]ubifsBlock{},
		visited: map[int64]bool{},
	}
	defer func() {
		if fsys.zstd != nil {
			fsys.zstd.Close()
		}
	}()
	end := min(int64(len(data)), int64(lebCnt)*int64(leb))

	mst, mstOff := fsys.master()
	if mst == nil {
		return nil, 0, Errorf("ubifs", int64(leb), "master node", "no valid master node in LEBs 1 and 2")
	}
	rootLnum := binary.LittleEndian.Uint32(mst[48:])
	rootOffs := binary.LittleEndian.Uint32(mst[52:])
	rootLen := binary.LittleEndian.Uint32(mst[56:])
	root, off, err := fsys.node(rootLnum, rootOffs, rootLen)
	if err != nil || root[20] != ubifsIdxNode {
		if err == nil {
			err = fmt.Errorf("node type %d, want an index node", root[20])
		}
		return nil, 0, Errorf("ubifs", mstOff+48, "index root", "LEB %d offset %d: %v", rootLnum, rootOffs, err)
	}
	fsys.visited[off] = true
	if err := fsys.walk(root, off, ubifsMaxLevels); err != nil {
		return nil, 0, err
	}
	if err := fsys.replay(sb, mst); err != nil {
		return nil, 0, err
	}
	fsys.collect()

	t := NewTree("ubifs", b)
	isDir := func(inum uint64) bool {
		ino, ok := fsys.inodes[inum]
		return ok && ino.mode&0o170000 == 0o040000
	}
	err = flashTree(t, flashPaths(1, fsys.dents, isDir), func(path string, inum uint64) (Entry, error) {
		ino, ok := fsys.inodes[inum]
		if !ok {
			return Entry{}, errFlashSkip
		}
		return fsys.entry(path, inum, ino)
	})
	if err != nil {
		return nil, 0, err
	}
	return t, end, nil
}

// ubifsCheckNode checks the common header of the node at off (magic, length, CRC) and returns
// the node. limit bounds where the node may end.
func ubifsCheckNode(data []byte, off, limit int) ([]byte, error) {
	limit = min(limit, len(data))
	if off < 0 || off+ubifsChLen > limit {
		return nil, errors.New("node header passes the end of its LEB or of the image")
	}
	h := data[off:]
	if binary.LittleEndian.Uint32(h) != ubifsMagic {
		return nil, fmt.Errorf("magic %#08x, want %#08x", binary.LittleEndian.Uint32(h), ubifsMagic)
	}
	n := binary.LittleEndian.Uint32(h[16:])
	if n < ubifsChLen || uint64(off)+uint64(n) > uint64(limit) {
		return nil, fmt.Errorf("node length %d passes the end of its LEB or of the image", n)
	}
	node := h[:n]
	if ubiCRC(node[8:]) != binary.LittleEndian.Uint32(node[4:]) {
		return nil, errors.New("CRC mismatch")
	}
	return node, nil
}

// node reads the node a branch or the master node points at, checking that it lies in its LEB
// and has the length the pointer gives.
func (u *ubifs) node(lnum, offs, length uint32) ([]byte, int64, error) {
	if uint64(lnum) >= uint64(u.lebCnt) || uint64(offs)+uint64(length) > uint64(u.leb) || offs%8 != 0 {
		return nil, 0, fmt.Errorf("LEB %d offset %d length %d lies outside the volume", lnum, offs, length)
	}
	off := int64(lnum)*int64(u.leb) + int64(offs)
	if off >= int64(len(u.data)) {
		return nil, off, fmt.Errorf("LEB %d offset %d lies past the image's end", lnum, offs)
	}
	node, err := ubifsCheckNode(u.data, int(off), int(int64(lnum+1)*int64(u.leb)))
	if err != nil {
		return nil, off, err
	}
	if len(node) != int(length) {
		return nil, off, fmt.Errorf("node of %d bytes where %d were expected", len(node), length)
	}
	return node, off, nil
}

// master returns the newest valid master node of LEBs 1 and 2 and its offset in the image.
func (u *ubifs) master() ([]byte, int64) {
	var best []byte
	var bestOff int64
	magic := []byte{0x31, 0x18, 0x10, 0x06}
	for lnum := 1; lnum <= 2; lnum++ {
		start := lnum * u.leb
		stop := min(len(u.data), start+u.leb)
		for pos := start; pos < stop; {
			i := bytes.Index(u.data[pos:stop], magic)
			if i < 0 {
				break
			}
			pos += i
			if (pos-start)%8 != 0 {
				pos++
				continue
			}
			node, err := ubifsCheckNode(u.data, pos, stop)
			if err != nil || node[20] != ubifsMstNode || len(node) < 64 {
				pos += 8
				continue
			}
			if best == nil || binary.LittleEndian.Uint64(node[8:]) > binary.LittleEndian.Uint64(best[8:]) {
				best, bestOff = node, int64(pos)
			}
			pos += (len(node) + 7) &^ 7
		}
	}
	return best, bestOff
}

// walk visits the children of the index node idx at image offset off. levels bounds the depth.
func (u *ubifs) walk(idx []byte, off int64, levels int) error {
	if err := u.b.Err(); err != nil {
		return err
	}
	if len(idx) < 28 {
		return Errorf("ubifs", off, "index node", "%d bytes, shorter than its header", len(idx))
	}
	count := int(binary.LittleEndian.Uint16(idx[24:]))
	level := int(binary.LittleEndian.Uint16(idx[26:]))
	if count == 0 || (len(idx)-28)%count != 0 || (len(idx)-28)/count < 20 {
		return Errorf("ubifs", off+24, "index node branches", "%d branches in %d bytes", count, len(idx)-28)
	}
	if level >= levels {
		return Errorf("ubifs", off+26, "index level", "level %d, at most %d allowed here", level, levels-1)
	}
	bsz := (len(idx) - 28) / count
	for i := range count {
		br := idx[28+i*bsz:]
		lnum := binary.LittleEndian.Uint32(br)
		offs := binary.LittleEndian.Uint32(br[4:])
		length := binary.LittleEndian.Uint32(br[8:])
		child, coff, err := u.node(lnum, offs, length)
		if err != nil {
			continue // lost with its subtree
		}
		if level > 0 {
			if u.visited[coff] {
				return Errorf("ubifs", off+28+int64(i*bsz), "index loop", "index node at LEB %d offset %d is reached twice", lnum, offs)
			}
			u.visited[coff] = true
			if child[20] != ubifsIdxNode || len(child) < 28 {
				continue
			}
			if got := int(binary.LittleEndian.Uint16(child[26:])); got != level-1 {
				return Errorf("ubifs", coff+26, "index level", "level %d under a node of level %d", got, level)
			}
			if err := u.walk(child, coff, level); err != nil {
				return err
			}
			continue
		}
		u.leaf(child)
	}
	return nil
}

// ubifsKey identifies a leaf: the second word of its key (type and name hash or block number)
// and, for directory entries, the name, as names may share a hash.
type ubifsKey struct {
	word uint32
	name string
}

type ubifsLeaf struct {
	sqnum uint64
	node  []byte
}

// leafKey reads the key of an inode, data, directory or extended-attribute entry node, checking
// that the key's type agrees with the node's.
func leafKey(n []byte) (uint32, ubifsKey, bool) {
	le := binary.LittleEndian
	if len(n) < 32 || n[20] > 3 {
		return 0, ubifsKey{}, false
	}
	inum, word := le.Uint32(n[24:]), le.Uint32(n[28:])
	if word>>29 != uint32(n[20]) {
		return 0, ubifsKey{}, false
	}
	k := ubifsKey{word: word}
	if n[20] == 2 || n[20] == 3 { // entries
		if len(n) < 56 || 56+int(le.Uint16(n[50:])) > len(n) {
			return 0, ubifsKey{}, false
		}
		k.name = string(n[56 : 56+int(le.Uint16(n[50:]))])
	}
	return inum, k, true
}

// leaf records an inode, data, directory or extended-attribute entry node under its key.
func (u *ubifs) leaf(n []byte) {
	inum, k, ok := leafKey(n)
	if !ok {
		return
	}
	m := u.leaves[inum]
	if m == nil {
		m = map[ubifsKey]ubifsLeaf{}
		u.leaves[inum] = m
	}
	m[k] = ubifsLeaf{sqnum: binary.LittleEndian.Uint64(n[8:]), node: n}
}

// collect sorts the leaves into inodes, directory entries and data blocks; extended attributes
// and malformed leaves are dropped.
func (u *ubifs) collect() {
	le := binary.LittleEndian
	for inum, m := range u.leaves {
		for _, l := range m {
			n := l.node
			switch n[20] {
			case ubifsInoNode:
				if len(n) < 160 || int(le.Uint32(n[112:])) > len(n)-160 {
					continue
				}
				u.inodes[uint64(inum)] = ubifsIno{node: n, size: le.Uint64(n[48:]), mode: le.Uint32(n[104:])}
			case ubifsDentNode:
				u.dents = append(u.dents, flashDirent{
					parent: uint64(inum),
					ino:    le.Uint64(n[40:]),
					name:   string(n[56 : 56+int(le.Uint16(n[50:]))]),
				})
			case ubifsDataNode:
				if len(n) < 48 {
					continue
				}
				u.blocks[uint64(inum)] = append(u.blocks[uint64(inum)], ubifsBlock{
					block: le.Uint32(n[28:]) & 0x1fffffff,
					size:  le.Uint32(n[40:]),
					compr: le.Uint16(n[44:]),
					data:  n[48:],
				})
			}
		}
	}
}

func (u *ubifs) entry(p string, inum uint64, ino ubifsIno) (Entry, error) {
	le := binary.LittleEndian
	n := ino.node
	e := Entry{
		Path:    p,
		Mode:    flashMode(ino.mode),
		UID:     le.Uint32(n[96:]),
		GID:     le.Uint32(n[100:]),
		ModTime: time.Unix(int64(le.Uint64(n[72:])), int64(le.Uint32(n[88:])%1e9)).UTC(),
		Offset:  -1,
	}
	extra := n[160 : 160+int(le.Uint32(n[112:]))]
	switch {
	case e.Mode.IsRegular():
		if ino.size > uint64(u.b.Remaining()) {
			return Entry{}, fmt.Errorf("%w: file %q of %d bytes exceeds the %d bytes left", ErrLimit, p, ino.size, u.b.Remaining())
		}
		out := make([]byte, ino.size)
		for _, blk := range u.blocks[inum] {
			start := uint64(blk.block) * ubifsBlockSize
			if start >= ino.size {
				continue
			}
			if blk.size > ubifsBlockSize {
				continue
			}
			dst := out[start:min(ino.size, start+uint64(blk.size))]
			page := dst
			if len(dst) != int(blk.size) {
				page = u.page[:blk.size] // the block runs past the file's end
			}
			if u.decompress(blk, page) != nil {
				clear(dst) // a lost block reads as zeros
				continue
			}
			copy(dst, page)
		}
		e.Data = out
	case e.Mode&fs.ModeSymlink != 0:
		e.Link = string(extra)
	case e.Mode&fs.ModeDevice != 0:
		var v uint64
		switch len(extra) {
		case 4:
			v = uint64(le.Uint32(extra))
		case 8:
			v = le.Uint64(extra)
		default:
			return Entry{}, errFlashSkip
		}
		e.Dev = v // stored as Linux's new_encode_dev, as Entry keeps it
	}
	return e, nil
}

// decompress fills out, of blk.size bytes, with the block's data.
func (u *ubifs) decompress(blk ubifsBlock, out []byte) error {
	switch blk.compr {
	case ubifsComprNone:
		if len(blk.data) < len(out) {
			return errors.New("short uncompressed block")
		}
		copy(out, blk.data)
	case ubifsComprLZO:
		k, err := lzo.Decompress(blk.data, out)
		if err != nil {
			return err
		}
		if k != len(out) {
			return fmt.Errorf("lzo: %d bytes, want %d", k, len(out))
		}
	case ubifsComprZlib:
		// UBIFS deflates without the zlib wrapper.
		u.br.Reset(blk.data)
		if u.flate == nil {
			u.flate = flate.NewReader(&u.br)
		} else if err := u.flate.(flate.Resetter).Reset(&u.br, nil); err != nil {
			return err
		}
		if _, err := io.ReadFull(u.flate, out); err != nil {
			return err
		}
	case ubifsComprZstd:
		if u.zstd == nil {
			d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1),
				zstd.WithDecoderMaxMemory(256<<10), zstd.WithDecodeAllCapLimit(true))
			if err != nil {
				return err
			}
			u.zstd = d
		}
		got, err := u.zstd.DecodeAll(blk.data, out[:0])
		if err != nil {
			return err
		}
		if len(got) != len(out) {
			return fmt.Errorf("zstd: %d bytes, want %d", len(got), len(out))
		}
	default:
		return fmt.Errorf("compression %d not supported", blk.compr)
	}
	return nil
}
