package unpack

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"slices"
	"strconv"
	"time"

	"github.com/klauspost/compress/zlib"

	lzo "github.com/anchore/go-lzo"
	"github.com/ulikunitz/xz/lzma"
)

// JFFS2 (Linux fs/jffs2, include/uapi/linux/jffs2.h) is a log of nodes with no superblock: the
// file system is whatever the newest valid nodes say. The reader scans every node, as the kernel
// does at mount, and keeps the newest version of each inode range and each directory entry.
//
// Decisions, made to match the kernel where it has one:
//   - A node whose header, node or data CRC is wrong is skipped, not fatal. So is a node with a
//     compression this reader does not implement (rubin, dynrubin) or whose data fails to
//     decompress; the range it covered reads as zeros.
//   - An inode that no live directory entry names was deleted (its nodes linger until garbage
//     collection) and is left out.
//   - Live directory entries whose directory cannot be reached from the root (its entry was lost,
//     or directories form a loop) are kept under "lost+found/ino-N/", N being that directory's
//     inode number, so that no file content is silently dropped.
//   - The second and later names of a hard-linked file are regular entries whose Link is the
//     first name's path; they share its Data.
//   - The image ends at its last valid node plus the erased (0xff) flash after it. Scanning stops
//     after jffs2MaxJunk bytes that are neither nodes nor erased flash, so a different image that
//     follows is not read as part of this one.

var jffs2Format = Format{
	Name:   "jffs2",
	Magics: []Magic{{Offset: 0, Bytes: "\x85\x19"}, {Offset: 0, Bytes: "\x19\x85"}},
	Kind:   FileSystem,
	Unpack: unpackJFFS2,
}

const (
	jffs2Accurate    = 0x2000
	jffs2Dirent      = 0xe001
	jffs2Inode       = 0xe002
	jffs2HeaderLen   = 12
	jffs2DirentLen   = 40
	jffs2InodeLen    = 68
	jffs2MaxJunk     = 1 << 20
	jffs2MaxNodeData = 64 << 10 // a data node holds at most one page; 64 KiB is the largest page size

	jffs2ComprNone  = 0
	jffs2ComprZero  = 1
	jffs2ComprRtime = 2
	jffs2ComprZlib  = 6
	jffs2ComprLZO   = 7
	jffs2ComprLZMA  = 8
)

type jffs2Node struct {
	pos     int // of the node header in the image
	version uint32
	mode    uint32
	uid     uint16
	gid     uint16
	isize   uint32
	mtime   uint32
	offset  uint32
	dsize   uint32
	compr   byte
	data    []byte // compressed, aliasing the image
}

type jffs2Dent struct {
	pino, ino, version uint32
	name               string
}

// jffs2CRC is the kernel's crc32(0, p, len): the reflected IEEE polynomial with neither the initial
// nor the final inversion.
func jffs2CRC(p []byte) uint32 { return ^crc32.Update(^uint32(0), crc32.IEEETable, p) }

func unpackJFFS2(data []byte, b *Budget) (*Tree, int64, error) {
	if len(data) < jffs2HeaderLen {
		return nil, 0, Errorf("jffs2", 0, "node header", "image of %d bytes is shorter than a node header", len(data))
	}
	var bo binary.ByteOrder
	switch {
	case data[0] == 0x85 && data[1] == 0x19:
		bo = binary.LittleEndian
	case data[0] == 0x19 && data[1] == 0x85:
		bo = binary.BigEndian
	default:
		return nil, 0, Errorf("jffs2", 0, "node magic", "want 0x1985, have %#02x%02x", data[0], data[1])
	}
	if _, ok := jffs2Header(data, 0, bo); !ok {
		return nil, 0, Errorf("jffs2", 0, "node header CRC", "the first node's header is not valid")
	}
	magic := data[:2]

	inodes := map[uint32][]jffs2Node{}
	dents := map[string]jffs2Dent{} // by parent inode and name; newest version wins
	end, junk := 0, 0
	for pos, n := 0, 0; pos+jffs2HeaderLen <= len(data); n++ {
		if n%4096 == 0 {
			if err := b.Err(); err != nil {
				return nil, 0, err
			}
		}
		if binary.LittleEndian.Uint32(data[pos:]) == 0xffffffff {
			q := pos + 4
			for q < len(data) && data[q] == 0xff {
				q++
			}
			pos = (q + 3) &^ 3
			continue
		}
		if totlen, ok := jffs2Header(data, pos, bo); ok {
			node := data[pos : pos+totlen]
			typ := bo.Uint16(node[2:])
			if typ&jffs2Accurate != 0 { // a cleared bit marks an obsolete node
				switch typ {
				case jffs2Dirent:
					if d, ok := jffs2ParseDirent(node, bo); ok {
						key := strconv.FormatUint(uint64(d.pino), 10) + "/" + d.name
						if old, ok := dents[key]; !ok || d.version >= old.version {
							dents[key] = d
						}
					}
				case jffs2Inode:
					if in, ino, ok := jffs2ParseInode(node, pos, bo); ok {
						inodes[ino] = append(inodes[ino], in)
					}
				}
			}
			pos += totlen
			end, junk = pos, 0
			pos = (pos + 3) &^ 3
			continue
		}
		// Not a node: jump to the next aligned magic, counting what is neither node nor erased.
		next := len(data)
		for from := pos + 1; from < len(data); {
			i := bytes.Index(data[from:], magic)
			if i < 0 {
				break
			}
			if (from+i)%4 == 0 {
				next = from + i
				break
			}
			from += i + 1
		}
		for _, c := range data[pos:next] {
			if c != 0xff {
				junk++
			}
		}
		if junk > jffs2MaxJunk {
			break
		}
		pos = next
	}
	for end < len(data) && data[end] == 0xff {
		end++
	}

	live := make([]flashDirent, 0, len(dents))
	for _, d := range dents {
		if d.ino != 0 {
			live = append(live, flashDirent{parent: uint64(d.pino), name: d.name, ino: uint64(d.ino)})
		}
	}
	isDir := func(ino uint64) bool {
		nodes := inodes[uint32(ino)]
		return len(nodes) > 0 && jffs2Latest(nodes).mode&0o170000 == 0o040000
	}
	t := NewTree("jffs2", b)
	dec := &jffs2Decoder{}
	err := flashTree(t, flashPaths(1, live, isDir), func(path string, ino uint64) (Entry, error) {
		nodes := inodes[uint32(ino)]
		if len(nodes) == 0 {
			return Entry{}, errFlashSkip
		}
		return jffs2Entry(path, nodes, bo, dec, b)
	})
	if err != nil {
		return nil, 0, err
	}
	return t, int64(end), nil
}

// jffs2Header checks the node header at pos and returns the node's length.
func jffs2Header(data []byte, pos int, bo binary.ByteOrder) (int, bool) {
	h := data[pos : pos+jffs2HeaderLen]
	if bo.Uint16(h) != 0x1985 {
		return 0, false
	}
	// Marking a node obsolete clears its accurate bit on the flash; the CRC was computed with it set.
	var buf [8]byte
	copy(buf[:], h)
	bo.PutUint16(buf[2:], bo.Uint16(h[2:])|jffs2Accurate)
	if jffs2CRC(buf[:]) != bo.Uint32(h[8:]) {
		return 0, false
	}
	totlen := bo.Uint32(h[4:])
	if totlen < jffs2HeaderLen || uint64(totlen) > uint64(len(data)-pos) {
		return 0, false
	}
	return int(totlen), true
}

func jffs2ParseDirent(node []byte, bo binary.ByteOrder) (jffs2Dent, bool) {
	if len(node) < jffs2DirentLen || jffs2CRC(node[:32]) != bo.Uint32(node[32:]) {
		return jffs2Dent{}, false
	}
	nsize := int(node[28])
	if jffs2DirentLen+nsize > len(node) {
		return jffs2Dent{}, false
	}
	name := node[jffs2DirentLen : jffs2DirentLen+nsize]
	if jffs2CRC(name) != bo.Uint32(node[36:]) {
		return jffs2Dent{}, false
	}
	return jffs2Dent{pino: bo.Uint32(node[12:]), version: bo.Uint32(node[16:]), ino: bo.Uint32(node[20:]), name: string(name)}, true
}

func jffs2ParseInode(node []byte, pos int, bo binary.ByteOrder) (jffs2Node, uint32, bool) {
	if len(node) < jffs2InodeLen || jffs2CRC(node[:60]) != bo.Uint32(node[64:]) {
		return jffs2Node{}, 0, false
	}
	csize := bo.Uint32(node[48:])
	if uint64(csize) > uint64(len(node)-jffs2InodeLen) {
		return jffs2Node{}, 0, false
	}
	d := node[jffs2InodeLen : jffs2InodeLen+int(csize)]
	if csize > 0 && jffs2CRC(d) != bo.Uint32(node[60:]) {
		return jffs2Node{}, 0, false
	}
	return jffs2Node{
		pos:     pos,
		version: bo.Uint32(node[16:]),
		mode:    bo.Uint32(node[20:]),
		uid:     bo.Uint16(node[24:]),
		gid:     bo.Uint16(node[26:]),
		isize:   bo.Uint32(node[28:]),
		mtime:   bo.Uint32(node[36:]),
		offset:  bo.Uint32(node[44:]),
		dsize:   bo.Uint32(node[52:]),
		compr:   node[56],
		data:    d,
	}, bo.Uint32(node[12:]), true
}

// jffs2Latest is the node with the highest version; among equals, the one found last.
func jffs2Latest(nodes []jffs2Node) jffs2Node {
	best := nodes[0]
	for _, n := range nodes[1:] {
		if n.version >= best.version {
			best = n
		}
	}
	return best
}

func jffs2Entry(p string, nodes []jffs2Node, bo binary.ByteOrder, dec *jffs2Decoder, b *Budget) (Entry, error) {
	latest := jffs2Latest(nodes)
	e := Entry{
		Path:    p,
		Mode:    flashMode(latest.mode),
		UID:     uint32(latest.uid),
		GID:     uint32(latest.gid),
		ModTime: time.Unix(int64(latest.mtime), 0).UTC(),
		Offset:  -1,
	}
	switch {
	case e.Mode.IsRegular():
		size := int64(latest.isize)
		if size > b.Remaining() {
			return Entry{}, fmt.Errorf("%w: file %q of %d bytes exceeds the %d bytes left", ErrLimit, p, size, b.Remaining())
		}
		out := make([]byte, size)
		// Applying nodes oldest first lets each newer node overwrite the range it covers.
		order := slices.Clone(nodes)
		slices.SortStableFunc(order, func(x, y jffs2Node) int { return int(int64(x.version) - int64(y.version)) })
		for _, n := range order {
			if n.dsize == 0 || int64(n.offset) >= size {
				continue
			}
			dst := out[n.offset:min(size, int64(n.offset)+int64(n.dsize))]
			if n.compr == jffs2ComprZero {
				clear(dst)
				continue
			}
			page := dst
			if len(dst) != int(n.dsize) {
				page = dec.page(n.dsize)
			}
			if dec.decompress(n, page) != nil {
				clear(dst) // as a CRC failure: the range reads as zeros
				continue
			}
			copy(dst, page)
		}
		if len(nodes) == 1 && latest.compr == jffs2ComprNone && latest.offset == 0 && latest.dsize == latest.isize {
			e.Offset = int64(latest.pos + jffs2InodeLen)
		}
		e.Data = out
	case e.Mode&fs.ModeSymlink != 0:
		target, err := jffs2Decompress(latest)
		if err != nil {
			return Entry{}, errFlashSkip // as a bad node: the kernel could not read the link either
		}
		e.Link = string(target)
	case e.Mode&fs.ModeDevice != 0:
		dev, err := jffs2Decompress(latest)
		if err != nil {
			return Entry{}, errFlashSkip
		}
		switch len(dev) {
		case 2: // old_encode_dev: major<<8 | minor
			e.Dev = uint64(bo.Uint16(dev))
		case 4: // new_encode_dev
			e.Dev = uint64(bo.Uint32(dev))
		default:
			return Entry{}, errFlashSkip
		}
	}
	return e, nil
}

// jffs2Decoder decompresses nodes, reusing its buffers and zlib state from node to node.
type jffs2Decoder struct {
	buf []byte
	zr  io.ReadCloser
	br  bytes.Reader
}

func (d *jffs2Decoder) page(n uint32) []byte {
	if int(n) > cap(d.buf) {
		d.buf = make([]byte, n)
	}
	return d.buf[:n]
}

// jffs2Decompress returns a node's data, decompressed.
func jffs2Decompress(n jffs2Node) ([]byte, error) {
	if n.dsize > jffs2MaxNodeData {
		return nil, fmt.Errorf("node expands to %d bytes, more than a page", n.dsize)
	}
	out := make([]byte, n.dsize)
	if err := (&jffs2Decoder{}).decompress(n, out); err != nil {
		return nil, err
	}
	return out, nil
}

// decompress fills out, of n.dsize bytes, with the node's data.
func (d *jffs2Decoder) decompress(n jffs2Node, out []byte) error {
	if n.dsize > jffs2MaxNodeData || len(out) != int(n.dsize) {
		return fmt.Errorf("node expands to %d bytes, more than a page", n.dsize)
	}
	switch n.compr {
	case jffs2ComprNone:
		if len(n.data) != len(out) {
			return fmt.Errorf("uncompressed node of %d bytes holds %d", n.dsize, len(n.data))
		}
		copy(out, n.data)
	case jffs2ComprZero:
		clear(out)
	case jffs2ComprRtime:
		return jffs2Rtime(n.data, out)
	case jffs2ComprZlib:
		d.br.Reset(n.data)
		if d.zr == nil {
			zr, err := zlib.NewReader(&d.br)
			if err != nil {
				return err
			}
			d.zr = zr
		} else if err := d.zr.(zlib.Resetter).Reset(&d.br, nil); err != nil {
			return err
		}
		if _, err := io.ReadFull(d.zr, out); err != nil {
			return err
		}
	case jffs2ComprLZO:
		k, err := lzo.Decompress(n.data, out)
		if err != nil {
			return err
		}
		if k != len(out) {
			return fmt.Errorf("lzo: %d bytes, want %d", k, len(out))
		}
	case jffs2ComprLZMA:
		// OpenWrt's LZMA nodes are raw streams with lc=0, lp=0, pb=0 and an 8 KiB dictionary;
		// give the decoder the header they lack.
		var hdr [lzma.HeaderLen]byte
		binary.LittleEndian.PutUint32(hdr[1:], 0x2000)
		binary.LittleEndian.PutUint64(hdr[5:], uint64(n.dsize))
		lr, err := lzma.NewReader(io.MultiReader(bytes.NewReader(hdr[:]), bytes.NewReader(n.data)))
		if err != nil {
			return err
		}
		if _, err := io.ReadFull(lr, out); err != nil {
			return err
		}
	default:
		return fmt.Errorf("compression %d not supported", n.compr)
	}
	return nil
}

// jffs2Rtime undoes JFFS2's "rtime" run-length coding: each literal byte is followed by a count
// of bytes to copy from just after that byte's previous occurrence.
func jffs2Rtime(in, out []byte) error {
	var last [256]int
	pos, o := 0, 0
	for o < len(out) {
		if pos+2 > len(in) {
			return errors.New("rtime: input ends early")
		}
		v, repeat := in[pos], int(in[pos+1])
		pos += 2
		out[o] = v
		o++
		back := last[v]
		last[v] = o
		if o+repeat > len(out) {
			return errors.New("rtime: run passes the end of the page")
		}
		for range repeat {
			out[o] = out[back]
			o++
			back++
		}
	}
	return nil
}
