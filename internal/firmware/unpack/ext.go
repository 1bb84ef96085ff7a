package unpack

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"
)

// ext2, ext3 and ext4 share one on-disk layout, read here from the kernel's documentation
// (Documentation/filesystems/ext4/). The journal is ignored: an image is read as it was last
// written, which for firmware (built once by mke2fs or genext2fs) is complete.
var extFormat = Format{Name: "ext", Magics: []Magic{{Offset: 0x438, Bytes: "\x53\xef"}}, Kind: FileSystem, Unpack: unpackExt}

const (
	extSuperOff = 1024 // the superblock sits 1024 bytes into the image whatever the block size

	extIncompatCompression = 0x1
	extIncompatFiletype    = 0x2
	extIncompatJournalDev  = 0x8
	extIncompatMetaBG      = 0x10
	extIncompat64Bit       = 0x80
	// Everything ext4 defines that leaves files readable without extra work here: recover,
	// meta_bg, extents, 64bit, mmp, flex_bg, ea_inode, dirdata, csum_seed, largedir,
	// inline_data, encrypt, casefold.
	extIncompatKnown = 0x2 | 0x4 | 0x10 | 0x40 | 0x80 | 0x100 | 0x200 | 0x400 | 0x1000 | 0x2000 | 0x4000 | 0x8000 | 0x10000 | 0x20000

	extROCompatSparseSuper = 0x1
	extCompatSparseSuper2  = 0x200

	extFlagEncrypt    = 0x800
	extFlagExtents    = 0x80000
	extFlagInlineData = 0x10000000

	extRootIno      = 2
	extMaxDirDepth  = 1024 // deeper than any real image; stops runaway recursion on a crafted one
	extMaxExtDepth  = 5    // the kernel's EXT4_MAX_EXTENT_DEPTH
	extExtentMagic  = 0xf30a
	extXattrMagic   = 0xea020000
	extInlineRegion = 60 // bytes of i_block
)

type extFS struct {
	data      []byte // exactly the image: blocks*bs bytes
	b         *Budget
	t         *Tree
	bs        uint64
	blocks    uint64
	firstData uint64
	inodes    uint32
	ipg       uint32
	isz       uint32
	incompat  uint32
	itable    []uint64 // inode table block of each group
	dirBytes  uint64   // directory content read so far; bounded by the image size
	seenDirs  map[uint32]bool
	hardLinks map[uint32]*Entry // regular files with several links, by inode, as first added
}

// extInode is one on-disk inode, kept raw: its fields are read where they are needed.
type extInode struct {
	num   uint32
	off   int64  // where it sits in the image
	raw   []byte // s_inode_size bytes
	mode  uint16
	flags uint32
	size  uint64
}

func extU16(b []byte, off int) uint16 { return binary.LittleEndian.Uint16(b[off:]) }
func extU32(b []byte, off int) uint32 { return binary.LittleEndian.Uint32(b[off:]) }

func (x *extFS) errf(off int64, rule, msg string, args ...any) error {
	return Errorf("ext", off, rule, msg, args...)
}

func unpackExt(data []byte, b *Budget) (*Tree, int64, error) {
	x, err := newExtFS(data, b)
	if err != nil {
		return nil, 0, err
	}
	root, err := x.inode(extRootIno)
	if err != nil {
		return nil, 0, err
	}
	if root.mode&0xf000 != 0x4000 {
		return nil, 0, x.errf(root.off, "root inode", "inode 2 is not a directory (mode %#o)", root.mode)
	}
	if err := x.walkDir(root, "", 0); err != nil {
		return nil, 0, err
	}
	return x.t, int64(len(x.data)), nil
}

// newExtFS validates the superblock and reads the group descriptors. The magic is only two
// bytes, so every field the reader relies on is checked before anything else is read.
func newExtFS(data []byte, b *Budget) (*extFS, error) {
	if len(data) < extSuperOff+1024 {
		return nil, Errorf("ext", int64(len(data)), "superblock", "image ends before the superblock does (%d bytes)", len(data))
	}
	sb := data[extSuperOff : extSuperOff+1024]
	bad := func(field int, msg string, args ...any) error {
		return Errorf("ext", int64(extSuperOff+field), "superblock", msg, args...)
	}
	if extU16(sb, 0x38) != 0xef53 {
		return nil, bad(0x38, "magic %#04x is not 0xef53", extU16(sb, 0x38))
	}
	rev := extU32(sb, 0x4c)
	if rev > 1 {
		return nil, bad(0x4c, "revision %d unknown", rev)
	}
	logBS := extU32(sb, 0x18)
	if logBS > 6 {
		return nil, bad(0x18, "block size 1024<<%d above 64 KiB", logBS)
	}
	x := &extFS{b: b, bs: 1024 << logBS, seenDirs: map[uint32]bool{}, hardLinks: map[uint32]*Entry{}}
	x.incompat = extU32(sb, 0x60)
	if rev == 0 {
		x.incompat = 0
	}
	switch {
	case x.incompat&extIncompatCompression != 0:
		return nil, bad(0x60, "compressed ext2 (e2compr) is not supported")
	case x.incompat&extIncompatJournalDev != 0:
		return nil, bad(0x60, "an external journal device holds no files")
	case x.incompat&^extIncompatKnown != 0:
		return nil, bad(0x60, "unknown incompatible features %#x", x.incompat&^extIncompatKnown)
	}
	x.blocks = uint64(extU32(sb, 0x04))
	if x.incompat&extIncompat64Bit != 0 {
		x.blocks |= uint64(extU32(sb, 0x150)) << 32
	}
	x.firstData = uint64(extU32(sb, 0x14))
	if x.firstData > 1 || x.firstData == 1 && x.bs != 1024 {
		return nil, bad(0x14, "first data block %d does not fit block size %d", x.firstData, x.bs)
	}
	if x.blocks <= x.firstData+2 || x.blocks > uint64(len(data))/x.bs {
		return nil, bad(0x04, "%d blocks of %d bytes do not fit the %d bytes given", x.blocks, x.bs, len(data))
	}
	x.data = data[:x.blocks*x.bs]
	bpg := uint64(extU32(sb, 0x20))
	if bpg == 0 || bpg > 8*x.bs || bpg%8 != 0 {
		return nil, bad(0x20, "%d blocks per group (at most %d, a multiple of 8)", bpg, 8*x.bs)
	}
	x.ipg = extU32(sb, 0x28)
	if x.ipg == 0 || uint64(x.ipg) > 8*x.bs {
		return nil, bad(0x28, "%d inodes per group (at most %d)", x.ipg, 8*x.bs)
	}
	groups := (x.blocks - x.firstData + bpg - 1) / bpg
	x.inodes = extU32(sb, 0x00)
	if uint64(x.inodes) != groups*uint64(x.ipg) {
		return nil, bad(0x00, "%d inodes, but %d groups of %d", x.inodes, groups, x.ipg)
	}
	x.isz = 128
	if rev == 1 {
		x.isz = uint32(extU16(sb, 0x58))
		if x.isz < 128 || x.isz&(x.isz-1) != 0 || uint64(x.isz) > x.bs {
			return nil, bad(0x58, "inode size %d (a power of two from 128 to the block size)", x.isz)
		}
	}
	descSize := uint64(32)
	if x.incompat&extIncompat64Bit != 0 {
		descSize = uint64(extU16(sb, 0xfe))
		if descSize < 64 || descSize > 1024 || descSize&(descSize-1) != 0 {
			return nil, bad(0xfe, "group descriptor size %d (a power of two from 64 to 1024)", descSize)
		}
	}
	// Group descriptors follow the superblock's block; with meta_bg, those past s_first_meta_bg
	// blocks sit at the start of each meta group instead.
	perBlock := x.bs / descSize
	descBlocks := (groups + perBlock - 1) / perBlock
	firstMeta := descBlocks
	if x.incompat&extIncompatMetaBG != 0 {
		firstMeta = min(uint64(extU32(sb, 0x104)), descBlocks)
	}
	compat, roCompat := extU32(sb, 0x5c), extU32(sb, 0x64)
	backups := [2]uint64{uint64(extU32(sb, 0x24c)), uint64(extU32(sb, 0x250))}
	hasSuper := func(g uint64) bool {
		switch {
		case g == 0:
			return true
		case compat&extCompatSparseSuper2 != 0:
			return g == backups[0] || g == backups[1]
		case g == 1 || roCompat&extROCompatSparseSuper == 0:
			return true
		case g%2 == 0:
			return false
		}
		for _, base := range []uint64{3, 5, 7} {
			n := base
			for n < g {
				n *= base
			}
			if n == g {
				return true
			}
		}
		return false
	}
	x.itable = make([]uint64, groups)
	for i := range descBlocks {
		blk := x.firstData + 1 + i
		if i >= firstMeta {
			g := i * perBlock
			blk = x.firstData + g*bpg
			if hasSuper(g) {
				blk++
			}
		}
		if blk >= x.blocks {
			return nil, bad(0x104, "group descriptor block %d lies beyond the image's %d blocks", blk, x.blocks)
		}
		for j := range perBlock {
			g := i*perBlock + j
			if g >= groups {
				break
			}
			off := blk*x.bs + j*descSize
			d := x.data[off : off+descSize]
			tbl := uint64(extU32(d, 0x08))
			if descSize >= 64 {
				tbl |= uint64(extU32(d, 0x28)) << 32
			}
			end := tbl + (uint64(x.ipg)*uint64(x.isz)+x.bs-1)/x.bs
			if tbl <= x.firstData || end > x.blocks || end < tbl {
				return nil, Errorf("ext", int64(off+0x08), "group descriptor", "group %d's inode table at block %d does not fit the image's %d blocks", g, tbl, x.blocks)
			}
			x.itable[g] = tbl
		}
	}
	x.t = NewTree("ext", b)
	return x, nil
}

func (x *extFS) inode(num uint32) (*extInode, error) {
	if num == 0 || num > x.inodes {
		return nil, x.errf(-1, "inode number", "inode %d outside 1..%d", num, x.inodes)
	}
	g, i := (num-1)/x.ipg, (num-1)%x.ipg
	off := x.itable[g]*x.bs + uint64(i)*uint64(x.isz)
	raw := x.data[off : off+uint64(x.isz)] // the whole table was checked against the image
	in := &extInode{num: num, off: int64(off), raw: raw, mode: extU16(raw, 0x00), flags: extU32(raw, 0x20)}
	in.size = uint64(extU32(raw, 0x04)) | uint64(extU32(raw, 0x6c))<<32
	return in, nil
}

// extAddError reports why Tree.Add refused an entry: a limit as it is, anything else (a path
// the tree cannot hold) as a format error at the entry.
func extAddError(format string, off int64, err error) error {
	if errors.Is(err, ErrLimit) {
		return err
	}
	return &FormatError{Format: format, Offset: off, Rule: "entry name", Err: err}
}

type extDirent struct {
	name string
	ino  uint32
	off  int64
}

// walkDir adds every entry below the directory in, whose tree path is dir ("" for the root).
func (x *extFS) walkDir(in *extInode, dir string, depth int) error {
	if depth > extMaxDirDepth {
		return x.errf(in.off, "directory depth", "directories nest deeper than %d", extMaxDirDepth)
	}
	if x.seenDirs[in.num] {
		return x.errf(in.off, "directory loop", "directory inode %d is reached twice (at %q)", in.num, dir)
	}
	x.seenDirs[in.num] = true
	if in.flags&extFlagEncrypt != 0 {
		return nil // names are ciphertext
	}
	ents, err := x.readDir(in)
	if err != nil {
		return err
	}
	for _, de := range ents {
		if err := x.b.Err(); err != nil {
			return err
		}
		child, err := x.inode(de.ino)
		if err != nil {
			return x.errf(de.off, "directory entry", "%q: %v", de.name, err)
		}
		p := de.name
		if dir != "" {
			p = dir + "/" + de.name
		}
		e, err := x.entry(child, p)
		if err != nil {
			return err
		}
		if err := x.t.Add(e); err != nil {
			return extAddError("ext", de.off, err)
		}
		if e.Mode.IsDir() {
			if err := x.walkDir(child, p, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// entry builds the tree entry for inode in at path p.
func (x *extFS) entry(in *extInode, p string) (Entry, error) {
	if e := x.hardLinks[in.num]; e != nil {
		ee := *e
		ee.Path = p
		return ee, nil
	}
	mode, ok := linuxMode(uint32(in.mode))
	if !ok {
		return Entry{}, x.errf(in.off, "inode mode", "inode %d has no valid file type (mode %#o)", in.num, in.mode)
	}
	r := in.raw
	e := Entry{
		Path:    p,
		Mode:    mode,
		UID:     uint32(extU16(r, 0x02)) | uint32(extU16(r, 0x78))<<16,
		GID:     uint32(extU16(r, 0x18)) | uint32(extU16(r, 0x7a))<<16,
		ModTime: x.mtime(in),
		Offset:  -1,
	}
	switch {
	case mode.IsRegular():
		if left := x.b.Remaining(); left < 0 || in.size > uint64(left) {
			return Entry{}, fmt.Errorf("%w: ext file %q of %d bytes exceeds the %d bytes left", ErrLimit, p, in.size, x.b.Remaining())
		}
		data, off, err := x.content(in)
		if err != nil {
			return Entry{}, err
		}
		e.Data, e.Offset = data, off
		if extU16(r, 0x1a) > 1 {
			ee := e
			x.hardLinks[in.num] = &ee
		}
	case mode&fs.ModeSymlink != 0:
		if in.size == 0 || in.size >= x.bs || in.size > 4096 {
			return Entry{}, x.errf(in.off, "symbolic link", "inode %d: target of %d bytes", in.num, in.size)
		}
		var target []byte
		if in.size < extInlineRegion && in.flags&(extFlagExtents|extFlagInlineData) == 0 {
			target = r[0x28 : 0x28+in.size] // a fast symlink keeps its target in i_block
		} else {
			var err error
			if target, _, err = x.content(in); err != nil {
				return Entry{}, err
			}
		}
		e.Link = string(target)
	case mode&fs.ModeDevice != 0:
		// Devices that fit the old 8:8 encoding keep it in i_block[0]; others have Linux's new
		// encoding in i_block[1], which is the same number for small majors and minors.
		e.Dev = uint64(extU32(r, 0x28))
		if e.Dev == 0 {
			e.Dev = uint64(extU32(r, 0x2c))
		}
	}
	var err error
	if e.Xattrs, err = x.xattrs(in); err != nil {
		return Entry{}, err
	}
	if e.Mode.IsRegular() && extU16(r, 0x1a) > 1 {
		x.hardLinks[in.num].Xattrs = e.Xattrs
	}
	return e, nil
}

// extXattrPrefixes are the name prefixes by e_name_index; the two POSIX ACLs are whole names.
var extXattrPrefixes = map[byte]string{
	1: "user.", 2: "system.posix_acl_access", 3: "system.posix_acl_default", 4: "trusted.",
	6: "security.", 7: "system.", 8: "system.richacl",
}

// xattrs reads an inode's extended attributes: those in the inode after its extra fields, then
// those in the block i_file_acl names (header magic, then entries whose values are placed from
// the block's end). "system.data", the rest of an inline file's content, is content and left out.
func (x *extFS) xattrs(in *extInode) (map[string]string, error) {
	out := map[string]string{}
	keep := func(name string, value []byte, _ int) {
		if name != "system.data" {
			out[name] = string(value)
		}
	}
	area, at := x.inodeXattrArea(in) // in the inode, value offsets count from the first entry
	if err := x.eachXattr(in, area, area, at, keep); err != nil {
		return nil, err
	}
	r := in.raw
	if blk := uint64(extU32(r, 0x68)) | uint64(extU16(r, 0x76))<<32; blk != 0 {
		if blk <= x.firstData || blk >= x.blocks {
			return nil, x.errf(in.off+0x68, "xattr block", "inode %d: block %d outside %d..%d", in.num, blk, x.firstData+1, x.blocks)
		}
		b := x.data[blk*x.bs : (blk+1)*x.bs]
		if extU32(b, 0) != extXattrMagic {
			return nil, x.errf(int64(blk*x.bs), "xattr block", "inode %d: magic %#x, want %#x", in.num, extU32(b, 0), uint32(extXattrMagic))
		}
		if err := x.eachXattr(in, b[32:], b, int64(blk*x.bs)+32, keep); err != nil {
			return nil, err
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// inodeXattrArea returns the extended attribute entries kept in the inode after its extra fields
// and their image offset; nil when the inode keeps none.
func (x *extFS) inodeXattrArea(in *extInode) ([]byte, int64) {
	r := in.raw
	if x.isz <= 128 {
		return nil, 0
	}
	start := 128 + uint32(extU16(r, 0x80))
	if start+4 > x.isz || extU32(r, int(start)) != extXattrMagic {
		return nil, 0
	}
	return r[start+4 : x.isz], in.off + int64(start) + 4
}

// eachXattr calls fn with the full name, the value and the value's offset in values of every
// entry in list, up to the 4 zero bytes that end it. at is the image offset of list, for errors.
func (x *extFS) eachXattr(in *extInode, list, values []byte, at int64, fn func(name string, value []byte, voff int)) error {
	for i := 0; i+4 <= len(list) && extU32(list, i) != 0; {
		if i+16 > len(list) {
			return x.errf(at+int64(i), "xattr entry", "inode %d: entry runs past its area", in.num)
		}
		nameLen, index := int(list[i]), list[i+1]
		voff, vinode, vsize := int(extU16(list, i+2)), extU32(list, i+4), uint64(extU32(list, i+8))
		if i+16+nameLen > len(list) {
			return x.errf(at+int64(i), "xattr entry", "inode %d: name of %d bytes runs past its area", in.num, nameLen)
		}
		prefix, ok := extXattrPrefixes[index]
		if !ok {
			return x.errf(at+int64(i), "xattr entry", "inode %d: unknown name index %d", in.num, index)
		}
		name := prefix + string(list[i+16:i+16+nameLen])
		if vinode != 0 {
			return x.errf(at+int64(i), "xattr entry", "inode %d: the value of %s is kept in inode %d (ea_inode), which is not supported", in.num, name, vinode)
		}
		if uint64(voff)+vsize > uint64(len(values)) {
			return x.errf(at+int64(i), "xattr entry", "inode %d: value of %s (%d bytes at %d) runs past its area", in.num, name, vsize, voff)
		}
		fn(name, values[voff:uint64(voff)+vsize], voff)
		i += (16 + nameLen + 3) &^ 3
	}
	return nil
}

func (x *extFS) mtime(in *extInode) time.Time {
	sec := int64(int32(extU32(in.raw, 0x10)))
	var nsec int64
	if x.isz > 128 {
		if extra := uint32(extU16(in.raw, 0x80)); 128+extra >= 0x8c && 128+extra <= x.isz {
			ex := extU32(in.raw, 0x88)
			sec += int64(ex&3) << 32
			nsec = int64(ex >> 2)
		}
	}
	return time.Unix(sec, nsec).UTC()
}

// readDir lists a directory's entries other than "." and "..". Hash-tree directories are read
// linearly: their index blocks look like one empty entry spanning the block.
func (x *extFS) readDir(in *extInode) ([]extDirent, error) {
	if in.size > uint64(len(x.data)) || x.dirBytes+in.size > uint64(len(x.data)) {
		return nil, x.errf(in.off, "directory size", "directory inode %d of %d bytes: directories would outgrow the image", in.num, in.size)
	}
	x.dirBytes += in.size
	var ents []extDirent
	if in.flags&extFlagInlineData != 0 {
		head, tail, tailOff, err := x.inlineParts(in)
		if err != nil {
			return nil, err
		}
		// The first four bytes of an inline directory name its parent instead of "..".
		if ents, err = x.parseDirents(ents, head[4:], in.off+0x28+4, 0); err != nil {
			return nil, err
		}
		if in.size > extInlineRegion && len(tail) > 0 {
			n := min(uint64(len(tail)), in.size-extInlineRegion)
			return x.parseDirents(ents, tail[:n], tailOff, 0)
		}
		return ents, nil
	}
	data, start, err := x.content(in)
	if err != nil {
		return nil, err
	}
	for off := uint64(0); off < uint64(len(data)); off += x.bs {
		// A bad entry in a directory stored in pieces is reported at the directory's inode.
		base, fallback := int64(-1), in.off
		if start >= 0 {
			base = start + int64(off)
		}
		if ents, err = x.parseDirents(ents, data[off:min(off+x.bs, uint64(len(data)))], base, fallback); err != nil {
			return nil, err
		}
	}
	return ents, nil
}

// parseDirents appends the entries of one directory block; base is the block's offset in the
// image, or -1 when errors are to be reported at fallback.
func (x *extFS) parseDirents(ents []extDirent, blk []byte, base, fallback int64) ([]extDirent, error) {
	pos := 0
	at := func() int64 {
		if base < 0 {
			return fallback
		}
		return base + int64(pos)
	}
	for pos+8 <= len(blk) {
		ino := extU32(blk, pos)
		recLen := int(extU16(blk, pos+4))
		if x.bs >= 65536 && (recLen == 65535 || recLen == 0) {
			recLen = 65536
		} else if x.bs >= 65536 {
			recLen = recLen&65532 | (recLen&3)<<16
		}
		nameLen := int(blk[pos+6])
		if x.incompat&extIncompatFiletype == 0 {
			nameLen = int(extU16(blk, pos+6))
		}
		if recLen < 8 || recLen%4 != 0 || pos+recLen > len(blk) || 8+nameLen > recLen {
			return nil, x.errf(at(), "directory entry", "record length %d with a name of %d bytes at byte %d of a %d-byte block", recLen, nameLen, pos, len(blk))
		}
		name := string(blk[pos+8 : pos+8+nameLen])
		if ino != 0 && name != "." && name != ".." {
			if nameLen == 0 || strings.ContainsAny(name, "/\x00") {
				return nil, x.errf(at(), "directory entry", "invalid name %q", name)
			}
			ents = append(ents, extDirent{name: name, ino: ino, off: at()})
		}
		pos += recLen
	}
	return ents, nil
}

// content reads the bytes of a file, directory or slow symlink. The offset returned is where the
// content lies in the image when it is stored there in one piece, else -1.
func (x *extFS) content(in *extInode) ([]byte, int64, error) {
	if in.flags&extFlagInlineData != 0 {
		head, tail, _, err := x.inlineParts(in)
		if err != nil {
			return nil, -1, err
		}
		if in.size <= extInlineRegion {
			return append([]byte(nil), head[:in.size]...), in.off + 0x28, nil
		}
		if uint64(len(tail)) < in.size-extInlineRegion {
			return nil, -1, x.errf(in.off, "inline data", "inode %d: %d bytes, only %d stored", in.num, in.size, extInlineRegion+len(tail))
		}
		return append(append(make([]byte, 0, in.size), head...), tail[:in.size-extInlineRegion]...), -1, nil
	}
	w := &extWriter{x: x, buf: make([]byte, in.size), nblocks: (in.size + x.bs - 1) / x.bs, contiguous: true}
	var err error
	if in.flags&extFlagExtents != 0 {
		w.seen = map[uint64]bool{}
		err = x.extents(in.raw[0x28:0x28+extInlineRegion], in.off+0x28, -1, w)
	} else {
		err = x.blockMap(in, w)
	}
	if err != nil {
		return nil, -1, err
	}
	off := int64(-1)
	if in.size > 0 && w.contiguous && w.next >= w.nblocks {
		off = int64(w.start * x.bs)
	}
	return w.buf, off, nil
}

// inlineParts returns the 60 bytes of i_block and the value of the in-inode "system.data"
// extended attribute that continues them (nil when absent), with the value's image offset.
func (x *extFS) inlineParts(in *extInode) ([]byte, []byte, int64, error) {
	head := in.raw[0x28 : 0x28+extInlineRegion]
	area, at := x.inodeXattrArea(in)
	var tail []byte
	tailOff := int64(-1)
	err := x.eachXattr(in, area, area, at, func(name string, value []byte, voff int) {
		if name == "system.data" {
			tail, tailOff = value, at+int64(voff)
		}
	})
	if err != nil {
		return nil, nil, -1, err
	}
	return head, tail, tailOff, nil
}

// extWriter copies runs of blocks into a file's buffer and notes whether they form one piece.
type extWriter struct {
	x          *extFS
	buf        []byte
	nblocks    uint64
	seen       map[uint64]bool // extent tree blocks already read: a tree is not a graph
	contiguous bool
	start      uint64 // physical block of logical block 0
	next       uint64 // logical block after the last run
	phys       uint64 // physical block after the last run
	runs       int
}

func (w *extWriter) put(lblk, pblk, n uint64, zero bool, at int64) error {
	x := w.x
	if pblk <= x.firstData || pblk+n > x.blocks || pblk+n < pblk {
		return x.errf(at, "block pointer", "blocks %d..%d outside %d..%d", pblk, pblk+n, x.firstData+1, x.blocks)
	}
	if w.runs++; w.runs%4096 == 0 {
		if err := x.b.Err(); err != nil {
			return err
		}
	}
	if lblk >= w.nblocks {
		return nil // preallocated past the end of the file
	}
	n = min(n, w.nblocks-lblk)
	switch {
	case zero:
		w.contiguous = false
	case lblk == 0 && w.next == 0:
		w.start = pblk
	case lblk != w.next || pblk != w.phys:
		w.contiguous = false
	}
	w.next, w.phys = lblk+n, pblk+n
	if !zero {
		copy(w.buf[lblk*x.bs:], x.data[pblk*x.bs:(pblk+n)*x.bs])
	}
	return nil
}

// extents walks an extent tree node; depth is the depth its parent promised (-1 at the root).
func (x *extFS) extents(node []byte, at int64, depth int, w *extWriter) error {
	if extU16(node, 0) != extExtentMagic {
		return x.errf(at, "extent header", "magic %#04x is not 0xf30a", extU16(node, 0))
	}
	entries, maxEntries, d := int(extU16(node, 2)), int(extU16(node, 4)), int(extU16(node, 6))
	if d > extMaxExtDepth || depth >= 0 && d != depth {
		return x.errf(at, "extent header", "depth %d (expected %d, at most %d)", d, depth, extMaxExtDepth)
	}
	if entries > maxEntries || 12+12*maxEntries > len(node) {
		return x.errf(at, "extent header", "%d of %d entries do not fit %d bytes", entries, maxEntries, len(node))
	}
	for i := range entries {
		e := node[12+12*i : 24+12*i]
		eAt := at + int64(12+12*i)
		lblk := uint64(extU32(e, 0))
		if d == 0 {
			n, uninit := uint64(extU16(e, 4)), false
			if n > 32768 {
				n, uninit = n-32768, true
			}
			pblk := uint64(extU16(e, 6))<<32 | uint64(extU32(e, 8))
			if err := w.put(lblk, pblk, n, uninit, eAt); err != nil {
				return err
			}
			continue
		}
		child := uint64(extU32(e, 4)) | uint64(extU16(e, 8))<<32
		if child <= x.firstData || child >= x.blocks {
			return x.errf(eAt, "extent index", "block %d outside the image's %d blocks", child, x.blocks)
		}
		if w.seen[child] {
			return x.errf(eAt, "extent index", "block %d is reached twice", child)
		}
		w.seen[child] = true
		if lblk >= w.nblocks {
			continue
		}
		off := child * x.bs
		if err := x.extents(x.data[off:off+x.bs], int64(off), d-1, w); err != nil {
			return err
		}
	}
	return nil
}

// blockMap reads the classic ext2/ext3 map: 12 direct pointers, then single, double and triple
// indirect blocks. A zero pointer is a hole.
func (x *extFS) blockMap(in *extInode, w *extWriter) error {
	ib := in.raw[0x28 : 0x28+extInlineRegion]
	for i := range uint64(12) {
		if p := extU32(ib, int(4*i)); p != 0 {
			if err := w.put(i, uint64(p), 1, false, in.off+0x28+int64(4*i)); err != nil {
				return err
			}
		}
	}
	per := x.bs / 4
	lblk, span := uint64(12), per
	for level := 1; level <= 3 && lblk < w.nblocks; level++ {
		if p := extU32(ib, 44+4*level); p != 0 {
			if err := x.indirect(uint64(p), level, lblk, w, in.off+0x28+int64(44+4*level)); err != nil {
				return err
			}
		}
		lblk += span
		span *= per
	}
	return nil
}

func (x *extFS) indirect(blk uint64, level int, lblk uint64, w *extWriter, at int64) error {
	if blk <= x.firstData || blk >= x.blocks {
		return x.errf(at, "block pointer", "indirect block %d outside %d..%d", blk, x.firstData+1, x.blocks)
	}
	per := x.bs / 4
	span := uint64(1)
	for range level - 1 {
		span *= per
	}
	off := blk * x.bs
	ptrs := x.data[off : off+x.bs]
	for i := range per {
		l := lblk + i*span
		if l >= w.nblocks {
			break
		}
		p := uint64(extU32(ptrs, int(4*i)))
		if p == 0 {
			continue
		}
		pAt := int64(off + 4*i)
		var err error
		if level == 1 {
			err = w.put(l, p, 1, false, pAt)
		} else {
			err = x.indirect(p, level-1, l, w, pAt)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
