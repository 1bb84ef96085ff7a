package unpack

import (
	"encoding/binary"
	"fmt"
)

// SquashFS 4.0 metadata: inodes, directories and the lookup tables live in "metadata blocks" of
// at most 8 KiB, each preceded by a 16-bit little-endian header whose bit 15 says the block is
// stored uncompressed and whose low 15 bits give its length on disk.

const (
	sqMetaSize       = 8192
	sqMetaUncompFlag = 0x8000
)

// sqMetaBlock is one decoded metadata block.
type sqMetaBlock struct {
	data []byte
	next int64 // absolute offset of the block that follows it
}

// metaBlock decodes (once) the metadata block at absolute offset off, which must lie before limit.
func (s *sqfs) metaBlock(off, limit int64) (*sqMetaBlock, error) {
	if mb, ok := s.meta[off]; ok {
		return mb, nil
	}
	if off < 0 || off+2 > limit {
		return nil, Errorf("squashfs", off, "metadata block", "offset outside its table (ends at %d)", limit)
	}
	h := binary.LittleEndian.Uint16(s.data[off:])
	size := int64(h &^ sqMetaUncompFlag)
	if size == 0 || size > sqMetaSize {
		return nil, Errorf("squashfs", off, "metadata block", "stored length %d not in 1..%d", size, sqMetaSize)
	}
	if off+2+size > limit {
		return nil, Errorf("squashfs", off, "metadata block", "%d bytes run past the table's end at %d", size, limit)
	}
	src := s.data[off+2 : off+2+size]
	var out []byte
	if h&sqMetaUncompFlag != 0 {
		out = src
	} else {
		if err := s.reserve(sqMetaSize); err != nil {
			return nil, err
		}
		buf := make([]byte, sqMetaSize)
		n, err := s.dec.decompress(buf, src)
		if err != nil {
			return nil, Errorf("squashfs", off, "metadata block", "%s: %v", s.compName, err)
		}
		out = buf[:n]
	}
	if len(out) == 0 {
		return nil, Errorf("squashfs", off, "metadata block", "empty")
	}
	mb := &sqMetaBlock{data: out, next: off + 2 + size}
	s.meta[off] = mb
	return mb, nil
}

// sqMetaReader reads a byte stream that runs on across consecutive metadata blocks.
type sqMetaReader struct {
	s       *sqfs
	limit   int64 // end of the table
	off     int64 // absolute offset of the current block
	blk     *sqMetaBlock
	pos     int
	scratch []byte
}

// metaReader starts reading at byte pos of the metadata block at absolute offset off.
func (s *sqfs) metaReader(off int64, pos int, limit int64) (*sqMetaReader, error) {
	mb, err := s.metaBlock(off, limit)
	if err != nil {
		return nil, err
	}
	if pos >= len(mb.data) {
		return nil, Errorf("squashfs", off, "metadata reference", "offset %d beyond the block's %d bytes", pos, len(mb.data))
	}
	return &sqMetaReader{s: s, limit: limit, off: off, blk: mb, pos: pos}, nil
}

// read returns the next n bytes; the slice is valid until the next call.
func (r *sqMetaReader) read(n int) ([]byte, error) {
	if r.pos+n <= len(r.blk.data) {
		b := r.blk.data[r.pos : r.pos+n]
		r.pos += n
		return b, nil
	}
	r.scratch = r.scratch[:0]
	for len(r.scratch) < n {
		if r.pos == len(r.blk.data) {
			next := r.blk.next
			mb, err := r.s.metaBlock(next, r.limit)
			if err != nil {
				return nil, err
			}
			r.off, r.blk, r.pos = next, mb, 0
		}
		take := min(n-len(r.scratch), len(r.blk.data)-r.pos)
		r.scratch = append(r.scratch, r.blk.data[r.pos:r.pos+take]...)
		r.pos += take
	}
	return r.scratch, nil
}

func (r *sqMetaReader) u16() (uint16, error) {
	b, err := r.read(2)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint16(b), nil
}

func (r *sqMetaReader) u32() (uint32, error) {
	b, err := r.read(4)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b), nil
}

func (r *sqMetaReader) u64() (uint64, error) {
	b, err := r.read(8)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b), nil
}

// tableEntry reads entry i (of size bytes each) of a lookup table: at start lies an array of
// 64-bit offsets of the metadata blocks that hold the entries, 8 KiB of entries per block.
func (s *sqfs) tableEntry(rule string, start int64, count, i, size int) ([]byte, error) {
	if i < 0 || i >= count {
		return nil, Errorf("squashfs", start, rule, "index %d outside the table's %d entries", i, count)
	}
	perBlock := sqMetaSize / size
	ptrOff := start + int64(i/perBlock)*8
	if start < 0 || ptrOff+8 > s.end {
		return nil, Errorf("squashfs", start, rule, "index array runs past the image's end at %d", s.end)
	}
	blk := int64(binary.LittleEndian.Uint64(s.data[ptrOff:]))
	if blk < sqSuperSize || blk >= start {
		return nil, Errorf("squashfs", ptrOff, rule, "metadata block offset %d not between the superblock and the table at %d", blk, start)
	}
	mb, err := s.metaBlock(blk, start)
	if err != nil {
		return nil, err
	}
	pos := (i % perBlock) * size
	if pos+size > len(mb.data) {
		return nil, Errorf("squashfs", blk, rule, "entry %d beyond the block's %d bytes", i, len(mb.data))
	}
	return mb.data[pos : pos+size], nil
}

// id returns the uid or gid at index i of the id table.
func (s *sqfs) id(i uint16, at int64) (uint32, error) {
	b, err := s.tableEntry("id table", int64(s.sb.idTableStart), int(s.sb.idCount), int(i), 4)
	if err != nil {
		return 0, fmt.Errorf("inode at %d: %w", at, err)
	}
	return binary.LittleEndian.Uint32(b), nil
}

// sqFragment is a fragment table entry: where a block of file tails lies.
type sqFragment struct {
	start uint64
	size  uint32 // as a data block size word
}

func (s *sqfs) fragment(i uint32) (sqFragment, error) {
	if s.sb.flags&sqNoFragments != 0 && s.sb.fragCount == 0 {
		return sqFragment{}, Errorf("squashfs", int64(s.sb.fragTableStart), "fragment table", "file refers to fragment %d but the image has none", i)
	}
	b, err := s.tableEntry("fragment table", int64(s.sb.fragTableStart), int(s.sb.fragCount), int(i), 16)
	if err != nil {
		return sqFragment{}, err
	}
	return sqFragment{start: binary.LittleEndian.Uint64(b), size: binary.LittleEndian.Uint32(b[8:])}, nil
}
