package unpack

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"time"

	"github.com/klauspost/compress/zlib"
)

// CramFS as Linux reads it (fs/cramfs, include/uapi/linux/cramfs_fs.h): a 64-byte superblock
// and the root inode, then directories of 12-byte inodes with their names, and files as tables
// of block pointers to zlib streams, each of one 4 KiB page. Either byte order is accepted.
var cramfsFormat = Format{
	Name: "cramfs",
	Magics: []Magic{
		{Offset: 0, Bytes: "\x45\x3d\xcd\x28"},
		{Offset: 0, Bytes: "\x28\xcd\x3d\x45"},
	},
	Kind:   FileSystem,
	Unpack: unpackCramfs,
}

const (
	cramfsMagic     = 0x28cd3d45
	cramfsSignature = "Compressed ROMFS"
	cramfsSuperSize = 64
	cramfsInodeSize = 12
	cramfsPage      = 4096 // the block size: mkfs.cramfs uses the page size, 4 KiB on every common target

	cramfsFlagVersion2 = 0x1
	// Flags Linux accepts: the low byte, holes, wrong signature, shifted root, extended pointers.
	cramfsFlagsKnown = 0xff | 0x100 | 0x200 | 0x400 | 0x800

	cramfsBlkUncompressed = 1 << 31
	cramfsBlkDirect       = 1 << 30
	cramfsBlkFlags        = cramfsBlkUncompressed | cramfsBlkDirect

	cramfsMaxDepth = 1024
)

type cramfs struct {
	data      []byte
	order     binary.ByteOrder
	b         *Budget
	t         *Tree
	seenDirs  map[uint32]bool
	content   map[[2]uint32][]byte // decoded contents by (offset, size): mkfs shares identical files
	zr        io.ReadCloser
	blockRuns int
}

type cramfsInode struct {
	mode   uint16
	uid    uint16
	size   uint32 // 24 bits; the device number for devices
	gid    uint8
	offset uint32 // of the content, in bytes (stored in 4-byte units)
	name   string
	at     int64 // where the inode sits
	next   int64 // where the following inode begins
}

func unpackCramfs(data []byte, b *Budget) (*Tree, int64, error) {
	if len(data) < cramfsSuperSize+cramfsInodeSize {
		return nil, 0, Errorf("cramfs", int64(len(data)), "superblock", "image ends before the root inode (%d bytes)", len(data))
	}
	c := &cramfs{b: b, seenDirs: map[uint32]bool{}, content: map[[2]uint32][]byte{}}
	switch {
	case binary.LittleEndian.Uint32(data) == cramfsMagic:
		c.order = binary.LittleEndian
	case binary.BigEndian.Uint32(data) == cramfsMagic:
		c.order = binary.BigEndian
	default:
		return nil, 0, Errorf("cramfs", 0, "superblock", "magic %#x is not 0x28cd3d45 in either byte order", binary.LittleEndian.Uint32(data))
	}
	if string(data[16:32]) != cramfsSignature {
		return nil, 0, Errorf("cramfs", 16, "superblock", "signature %q is not %q", data[16:32], cramfsSignature)
	}
	flags := c.order.Uint32(data[8:])
	if flags&^cramfsFlagsKnown != 0 {
		return nil, 0, Errorf("cramfs", 8, "superblock", "unknown flags %#x", flags&^cramfsFlagsKnown)
	}
	// Version 2 images record their size; version 1 images do not, and are read to data's end.
	size := int64(0)
	c.data = data
	if flags&cramfsFlagVersion2 != 0 {
		size = int64(c.order.Uint32(data[4:]))
		if size < cramfsSuperSize+cramfsInodeSize || size > int64(len(data)) {
			return nil, 0, Errorf("cramfs", 4, "superblock", "image size %d outside %d..%d", size, cramfsSuperSize+cramfsInodeSize, len(data))
		}
		c.data = data[:size]
	}
	c.t = NewTree("cramfs", b)
	root, err := c.inode(cramfsSuperSize, false)
	if err != nil {
		return nil, 0, err
	}
	if root.mode&0o170000 != 0o040000 {
		return nil, 0, Errorf("cramfs", cramfsSuperSize, "root inode", "mode %#o is not a directory", root.mode)
	}
	if err := c.walkDir(root, "", 0); err != nil {
		return nil, 0, err
	}
	return c.t, size, nil
}

// inode decodes the inode at off, with its name when named is set (the root has none).
func (c *cramfs) inode(off int64, named bool) (*cramfsInode, error) {
	if off < 0 || off+cramfsInodeSize > int64(len(c.data)) {
		return nil, Errorf("cramfs", off, "inode", "inode runs past the image's end at %d", len(c.data))
	}
	w := c.data[off : off+cramfsInodeSize]
	in := &cramfsInode{at: off}
	var nameLen uint32
	// The inode is three words of C bit-fields, which compilers lay out from the low bits on
	// little-endian machines and from the high bits on big-endian ones.
	if c.order == binary.LittleEndian {
		w0, w1, w2 := binary.LittleEndian.Uint32(w), binary.LittleEndian.Uint32(w[4:]), binary.LittleEndian.Uint32(w[8:])
		in.mode, in.uid = uint16(w0), uint16(w0>>16)
		in.size, in.gid = w1&0xffffff, uint8(w1>>24)
		nameLen, in.offset = w2&0x3f, w2>>6
	} else {
		w0, w1, w2 := binary.BigEndian.Uint32(w), binary.BigEndian.Uint32(w[4:]), binary.BigEndian.Uint32(w[8:])
		in.mode, in.uid = uint16(w0>>16), uint16(w0)
		in.size, in.gid = w1>>8, uint8(w1)
		nameLen, in.offset = w2>>26, w2&0x3ffffff
	}
	in.offset *= 4
	nameLen *= 4
	in.next = off + cramfsInodeSize + int64(nameLen)
	if !named {
		return in, nil
	}
	if nameLen == 0 || in.next > int64(len(c.data)) {
		return nil, Errorf("cramfs", off, "inode", "name of %d bytes does not fit the image", nameLen)
	}
	name := strings.TrimRight(string(c.data[off+cramfsInodeSize:in.next]), "\x00")
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00") {
		return nil, Errorf("cramfs", off+cramfsInodeSize, "inode", "invalid name %q", name)
	}
	in.name = name
	return in, nil
}

func (c *cramfs) walkDir(dir *cramfsInode, p string, depth int) error {
	if depth > cramfsMaxDepth {
		return Errorf("cramfs", dir.at, "directory depth", "directories nest deeper than %d", cramfsMaxDepth)
	}
	if dir.size == 0 {
		return nil
	}
	if c.seenDirs[dir.offset] {
		return Errorf("cramfs", dir.at, "directory loop", "the entries at %d are listed twice (at %q)", dir.offset, p)
	}
	c.seenDirs[dir.offset] = true
	start, end := int64(dir.offset), int64(dir.offset)+int64(dir.size)
	if start < cramfsSuperSize+cramfsInodeSize || end > int64(len(c.data)) {
		return Errorf("cramfs", dir.at, "directory", "entries at %d..%d outside the image's %d bytes", start, end, len(c.data))
	}
	for off := start; off < end; {
		if err := c.b.Err(); err != nil {
			return err
		}
		in, err := c.inode(off, true)
		if err != nil {
			return err
		}
		if in.next > end {
			return Errorf("cramfs", off, "directory", "entry runs past the directory's end at %d", end)
		}
		off = in.next
		cp := in.name
		if p != "" {
			cp = p + "/" + in.name
		}
		e, err := c.entry(in, cp)
		if err != nil {
			return err
		}
		if err := c.t.Add(e); err != nil {
			return extAddError("cramfs", in.at, err)
		}
		if e.Mode.IsDir() {
			if err := c.walkDir(in, cp, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *cramfs) entry(in *cramfsInode, p string) (Entry, error) {
	mode, ok := linuxMode(uint32(in.mode)) // CramFS stores Linux's st_mode, as ext does
	if !ok {
		return Entry{}, Errorf("cramfs", in.at, "inode mode", "%q has no valid file type (mode %#o)", p, in.mode)
	}
	// CramFS keeps no times; Linux shows the epoch.
	e := Entry{Path: p, Mode: mode, UID: uint32(in.uid), GID: uint32(in.gid), ModTime: time.Unix(0, 0).UTC(), Offset: -1}
	switch {
	case mode.IsRegular():
		if int64(in.size) > c.b.Remaining() {
			return Entry{}, fmt.Errorf("%w: cramfs file %q of %d bytes exceeds the %d bytes left", ErrLimit, p, in.size, c.b.Remaining())
		}
		data, err := c.fileData(in)
		if err != nil {
			return Entry{}, err
		}
		e.Data = data
	case mode&fs.ModeSymlink != 0:
		if in.size == 0 || in.size > 4096 {
			return Entry{}, Errorf("cramfs", in.at, "symbolic link", "%q: target of %d bytes", p, in.size)
		}
		data, err := c.fileData(in)
		if err != nil {
			return Entry{}, err
		}
		e.Link = string(data)
	case mode&fs.ModeDevice != 0:
		e.Dev = uint64(in.size) // the size field holds the device number as mkfs.cramfs found it
	}
	return e, nil
}

// fileData decodes the content of a file or symbolic link: a table of one pointer per page,
// followed by the pages. Without flags a pointer gives the end of its page's zlib stream, which
// begins where the previous one ended; with the direct flag it gives the start (in 4-byte units),
// and a compressed page then opens with its 16-bit length.
func (c *cramfs) fileData(in *cramfsInode) ([]byte, error) {
	if in.size == 0 {
		return []byte{}, nil
	}
	key := [2]uint32{in.offset, in.size}
	if d, ok := c.content[key]; ok {
		return d, nil
	}
	pages := (int64(in.size) + cramfsPage - 1) / cramfsPage
	tbl := int64(in.offset)
	tblEnd := tbl + 4*pages
	if tbl < cramfsSuperSize || tblEnd > int64(len(c.data)) {
		return nil, Errorf("cramfs", in.at, "block pointers", "table of %d pointers at %d outside the image's %d bytes", pages, tbl, len(c.data))
	}
	out := make([]byte, in.size)
	for i := range pages {
		at := tbl + 4*i
		ptr := c.order.Uint32(c.data[at:])
		want := min(int64(in.size)-i*cramfsPage, cramfsPage)
		var start, length int64
		uncompressed := ptr&cramfsBlkUncompressed != 0
		if ptr&cramfsBlkDirect != 0 {
			var err error
			if start, length, err = c.directBlock(ptr, want, at); err != nil {
				return nil, err
			}
		} else {
			start = tblEnd
			if i > 0 {
				prev := c.order.Uint32(c.data[at-4:])
				if prev&cramfsBlkDirect != 0 {
					s, l, err := c.directBlock(prev, cramfsPage, at-4)
					if err != nil {
						return nil, err
					}
					start = s + l
				} else {
					start = int64(prev &^ cramfsBlkFlags)
				}
			}
			length = int64(ptr&^cramfsBlkFlags) - start
		}
		if length == 0 {
			continue // a hole
		}
		if length < 0 || start < cramfsSuperSize || start+length > int64(len(c.data)) || length > 2*cramfsPage || uncompressed && length > want {
			return nil, Errorf("cramfs", at, "block pointers", "page %d of %q at %d..%d is outside the image or too long", i, in.name, start, start+length)
		}
		dst := out[i*cramfsPage : i*cramfsPage+want]
		src := c.data[start : start+length]
		if uncompressed {
			copy(dst, src)
			continue
		}
		if err := c.inflate(dst, src, start); err != nil {
			return nil, err
		}
	}
	c.content[key] = out
	return out, nil
}

// directBlock locates a page addressed by a direct pointer found at at.
func (c *cramfs) directBlock(ptr uint32, want, at int64) (start, length int64, err error) {
	start = int64(ptr&^cramfsBlkFlags) << 2
	if ptr&cramfsBlkUncompressed != 0 {
		return start, want, nil
	}
	if start < cramfsSuperSize || start+2 > int64(len(c.data)) {
		return 0, 0, Errorf("cramfs", at, "block pointers", "direct pointer to %d outside the image", start)
	}
	return start + 2, int64(c.order.Uint16(c.data[start:])), nil
}

// inflate decompresses one page's zlib stream into dst, which it must not overflow.
func (c *cramfs) inflate(dst, src []byte, at int64) error {
	if c.blockRuns++; c.blockRuns%256 == 0 {
		if err := c.b.Err(); err != nil {
			return err
		}
	}
	var err error
	if c.zr == nil {
		c.zr, err = zlib.NewReader(bytes.NewReader(src))
	} else {
		err = c.zr.(zlib.Resetter).Reset(bytes.NewReader(src), nil)
	}
	if err != nil {
		c.zr = nil
		return Errorf("cramfs", at, "zlib block", "%v", err)
	}
	// A page that inflates to less than dst reads as zeros past its end, as in Linux.
	n := 0
	for err == nil && n < len(dst) {
		var m int
		m, err = c.zr.Read(dst[n:])
		n += m
	}
	if err == nil {
		var one [1]byte
		var m int
		if m, err = c.zr.Read(one[:]); m > 0 {
			err = fmt.Errorf("page expands beyond %d bytes", len(dst))
		}
	}
	if err == io.EOF {
		err = nil
	}
	if err != nil {
		c.zr = nil
		return Errorf("cramfs", at, "zlib block", "%v", err)
	}
	return nil
}
