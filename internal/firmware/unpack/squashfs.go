package unpack

import (
	"encoding/binary"
	"fmt"
	"io/fs"
	"math/bits"
	"strings"
	"time"
)

// SquashFS 4.0 as written by mksquashfs and read by Linux (fs/squashfs), little-endian. The
// layout: a 96-byte superblock, optional compressor options, the data blocks and fragment
// blocks, then the inode table, the directory table and the lookup tables (fragments, export, ids,
// xattrs). Every offset in the image is checked against the image's size before use.

var squashfsFormat = Format{
	Name: "squashfs",
	Magics: []Magic{
		{Offset: 0, Bytes: "hsqs"}, // little-endian, all versions
		{Offset: 0, Bytes: "sqsh"}, // big-endian (versions before 4): recognised, refused with a reason
	},
	Kind:   FileSystem,
	Unpack: unpackSquashfs,
}

const (
	sqSuperSize = 96
	sqNoTable   = ^uint64(0)
	sqNoXattr   = ^uint32(0)

	sqNoFragments = 0x0010

	sqDataUncompFlag = 1 << 24
	sqNoFragment     = ^uint32(0)

	sqMaxName     = 256  // SQUASHFS_NAME_LEN
	sqMaxDirCount = 256  // entries under one directory header
	sqMaxLink     = 4096 // PATH_MAX
	sqMaxPath     = 16 << 10
)

// Inode types.
const (
	sqDir = 1 + iota
	sqFile
	sqSymlink
	sqBlkDev
	sqChrDev
	sqFifo
	sqSocket
	sqLDir
	sqLFile
	sqLSymlink
	sqLBlkDev
	sqLChrDev
	sqLFifo
	sqLSocket
)

type sqSuperblock struct {
	inodeCount     uint32
	mtime          uint32
	blockSize      uint32
	fragCount      uint32
	compression    uint16
	blockLog       uint16
	flags          uint16
	idCount        uint16
	major, minor   uint16
	rootInode      uint64
	bytesUsed      uint64
	idTableStart   uint64
	xattrStart     uint64
	inodeStart     uint64
	dirStart       uint64
	fragTableStart uint64
	exportStart    uint64
}

// sqfs is the state of one unpacking.
type sqfs struct {
	data     []byte // the image, cut at bytes_used
	end      int64
	sb       sqSuperblock
	b        *Budget
	compName string
	dec      sqDecompressor // for metadata, on the walking goroutine
	meta     map[int64]*sqMetaBlock
	held     int64 // bytes of decompressed data held in memory, checked against the budget
	maxFiles int

	xattrTab *sqXattrTable // read on first use

	nodes    []sqNode
	files    map[uint64]*sqFileData // by inode reference, to find hard links
	frags    map[uint32]*sqFragSlot
	dirsSeen map[uint64]bool
}

// sqNode is one entry found by walking the directories, its content still to be read.
type sqNode struct {
	e    Entry
	file *sqFileData
}

func unpackSquashfs(data []byte, b *Budget) (*Tree, int64, error) {
	s, err := openSquashfs(data, b)
	if err != nil {
		return nil, 0, err
	}
	defer closeSqDecompressor(s.dec)
	if err := s.walk(); err != nil {
		return nil, 0, err
	}
	if err := s.readData(); err != nil {
		return nil, 0, err
	}
	t := NewTree("squashfs", b)
	for i := range s.nodes {
		n := &s.nodes[i]
		if n.file != nil {
			n.e.Data = n.file.data
		}
		if err := t.Add(n.e); err != nil {
			return nil, 0, err
		}
	}
	return t, int64(s.sb.bytesUsed), nil
}

func openSquashfs(data []byte, b *Budget) (*sqfs, error) {
	if len(data) < sqSuperSize {
		return nil, Errorf("squashfs", 0, "superblock", "image of %d bytes is shorter than the %d-byte superblock", len(data), sqSuperSize)
	}
	if string(data[:4]) == "sqsh" {
		return nil, Errorf("squashfs", 0, "superblock magic", "big-endian squashfs (version %d) is not supported", binary.BigEndian.Uint16(data[28:]))
	}
	if string(data[:4]) != "hsqs" {
		return nil, Errorf("squashfs", 0, "superblock magic", "want \"hsqs\", have %q", data[:4])
	}
	le := binary.LittleEndian
	sb := sqSuperblock{
		inodeCount: le.Uint32(data[4:]), mtime: le.Uint32(data[8:]), blockSize: le.Uint32(data[12:]),
		fragCount: le.Uint32(data[16:]), compression: le.Uint16(data[20:]), blockLog: le.Uint16(data[22:]),
		flags: le.Uint16(data[24:]), idCount: le.Uint16(data[26:]), major: le.Uint16(data[28:]),
		minor: le.Uint16(data[30:]), rootInode: le.Uint64(data[32:]), bytesUsed: le.Uint64(data[40:]),
		idTableStart: le.Uint64(data[48:]), xattrStart: le.Uint64(data[56:]), inodeStart: le.Uint64(data[64:]),
		dirStart: le.Uint64(data[72:]), fragTableStart: le.Uint64(data[80:]), exportStart: le.Uint64(data[88:]),
	}
	if sb.major != 4 || sb.minor != 0 {
		return nil, Errorf("squashfs", 28, "superblock version", "version %d.%d is not supported (only 4.0)", sb.major, sb.minor)
	}
	if sb.blockSize < 4096 || sb.blockSize > 1<<20 || bits.OnesCount32(sb.blockSize) != 1 {
		return nil, Errorf("squashfs", 12, "superblock block size", "%d is not a power of two from 4 KiB to 1 MiB", sb.blockSize)
	}
	if 1<<sb.blockLog != sb.blockSize {
		return nil, Errorf("squashfs", 22, "superblock block log", "2^%d does not match the block size %d", sb.blockLog, sb.blockSize)
	}
	if sb.bytesUsed < sqSuperSize || sb.bytesUsed > uint64(len(data)) {
		return nil, Errorf("squashfs", 40, "superblock bytes_used", "%d bytes, but the image has %d (truncated?)", sb.bytesUsed, len(data))
	}
	end := sb.bytesUsed
	if sb.inodeStart < sqSuperSize || sb.inodeStart >= sb.dirStart || sb.dirStart >= end {
		return nil, Errorf("squashfs", 64, "superblock table offsets", "inode table at %d and directory table at %d not in order within %d bytes", sb.inodeStart, sb.dirStart, end)
	}
	if sb.idTableStart <= sb.dirStart || sb.idTableStart >= end {
		return nil, Errorf("squashfs", 48, "superblock table offsets", "id table at %d not after the directory table and within %d bytes", sb.idTableStart, end)
	}
	if sb.fragCount > 0 && (sb.fragTableStart <= sb.dirStart || sb.fragTableStart >= end) {
		return nil, Errorf("squashfs", 80, "superblock table offsets", "fragment table at %d not after the directory table and within %d bytes", sb.fragTableStart, end)
	}
	name, ok := sqCompNames[sb.compression]
	if !ok {
		return nil, Errorf("squashfs", 20, "superblock compressor", "unknown compressor id %d", sb.compression)
	}
	dec, err := newSqDecompressor(sb.compression, int(sb.blockSize))
	if err != nil {
		return nil, Errorf("squashfs", 20, "superblock compressor", "%v", err)
	}
	s := &sqfs{
		data: data[:end], end: int64(end), sb: sb, b: b, compName: name, dec: dec,
		meta: map[int64]*sqMetaBlock{}, files: map[uint64]*sqFileData{},
		frags: map[uint32]*sqFragSlot{}, dirsSeen: map[uint64]bool{}, maxFiles: 1 << 62,
	}
	if b != nil {
		s.maxFiles = b.MaxFiles
	}
	return s, nil
}

// reserve accounts for n more bytes held in memory while unpacking, which may not exceed what the
// budget has left: metadata, fragment blocks and file contents together.
func (s *sqfs) reserve(n int64) error {
	s.held += n
	if rem := s.b.Remaining(); n < 0 || s.held > rem {
		return fmt.Errorf("%w: squashfs image expands beyond the %d bytes left", ErrLimit, rem)
	}
	return nil
}

// sqDirJob is a directory waiting to be listed.
type sqDirJob struct {
	path             string
	block            uint32 // start of its listing, relative to the directory table
	offset           uint16
	size             uint32 // listing length in bytes
	at               int64  // where its inode is, for errors
	inodeNum, parent uint32
}

// walk lists every directory from the root, depth first, collecting nodes.
func (s *sqfs) walk() error {
	root, err := s.inode(s.sb.rootInode, "")
	if err != nil {
		return err
	}
	if root.dir == nil {
		return Errorf("squashfs", 32, "root inode", "is not a directory")
	}
	s.dirsSeen[s.sb.rootInode] = true
	stack := []sqDirJob{*root.dir}
	for len(stack) > 0 {
		if err := s.b.Err(); err != nil {
			return err
		}
		d := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		subdirs, err := s.listDir(d)
		if err != nil {
			return err
		}
		stack = append(stack, subdirs...)
	}
	return nil
}

// listDir reads one directory's listing and the inodes it names.
func (s *sqfs) listDir(d sqDirJob) ([]sqDirJob, error) {
	if d.size == 0 {
		return nil, nil
	}
	dirTab := int64(s.sb.dirStart)
	r, err := s.metaReader(dirTab+int64(d.block), int(d.offset), int64(s.sb.idTableStart))
	if err != nil {
		return nil, fmt.Errorf("directory %q: %w", d.path, err)
	}
	var subdirs []sqDirJob
	left := int64(d.size)
	for left > 0 {
		if left < 12 {
			return nil, Errorf("squashfs", d.at, "directory listing", "%q: %d stray bytes at the end", d.path, left)
		}
		h, err := r.read(12)
		if err != nil {
			return nil, err
		}
		left -= 12
		count := int64(binary.LittleEndian.Uint32(h)) + 1
		start := binary.LittleEndian.Uint32(h[4:])
		if count > sqMaxDirCount {
			return nil, Errorf("squashfs", r.off, "directory header", "%q: %d entries under one header (at most %d)", d.path, count, sqMaxDirCount)
		}
		for range count {
			if left < 8 {
				return nil, Errorf("squashfs", r.off, "directory entry", "%q: listing ends inside an entry", d.path)
			}
			eh, err := r.read(8)
			if err != nil {
				return nil, err
			}
			off := binary.LittleEndian.Uint16(eh)
			nameLen := int64(binary.LittleEndian.Uint16(eh[6:])) + 1
			left -= 8
			if nameLen > sqMaxName || nameLen > left {
				return nil, Errorf("squashfs", r.off, "directory entry", "%q: name of %d bytes (at most %d, %d left in the listing)", d.path, nameLen, sqMaxName, left)
			}
			nb, err := r.read(int(nameLen))
			if err != nil {
				return nil, err
			}
			left -= nameLen
			name := string(nb)
			if name == "." || name == ".." || strings.ContainsAny(name, "/\x00") {
				return nil, Errorf("squashfs", r.off, "directory entry name", "%q in %q is not a plain file name", name, d.path)
			}
			p := name
			if d.path != "" {
				p = d.path + "/" + name
			}
			if len(p) > sqMaxPath {
				return nil, Errorf("squashfs", r.off, "directory entry", "path of %d bytes is longer than %d", len(p), sqMaxPath)
			}
			ref := uint64(start)<<16 | uint64(off)
			in, err := s.inode(ref, p)
			if err != nil {
				return nil, err
			}
			if in.dir != nil {
				if s.dirsSeen[ref] {
					return nil, Errorf("squashfs", in.dir.at, "directory loop", "%q is a directory already listed elsewhere", p)
				}
				s.dirsSeen[ref] = true
				subdirs = append(subdirs, *in.dir)
			}
			if len(s.nodes) >= s.maxFiles {
				return nil, fmt.Errorf("%w: more than %d files in a squashfs image (raise --max-files to go further)", ErrLimit, s.maxFiles)
			}
			s.nodes = append(s.nodes, sqNode{e: in.e, file: in.file})
		}
	}
	return subdirs, nil
}

// sqInode is a decoded inode.
type sqInode struct {
	e    Entry
	dir  *sqDirJob
	file *sqFileData
}

// inode reads the inode at reference ref (block offset in the inode table << 16 | byte offset).
func (s *sqfs) inode(ref uint64, p string) (*sqInode, error) {
	blk, pos := int64(ref>>16), int(ref&0xffff)
	inodeTab := int64(s.sb.inodeStart)
	if blk >= int64(s.sb.dirStart)-inodeTab || pos >= sqMetaSize {
		return nil, Errorf("squashfs", inodeTab, "inode reference", "%q: block %d offset %d outside the inode table", p, blk, pos)
	}
	at := inodeTab + blk
	r, err := s.metaReader(at, pos, int64(s.sb.dirStart))
	if err != nil {
		return nil, fmt.Errorf("inode of %q: %w", p, err)
	}
	h, err := r.read(16)
	if err != nil {
		return nil, fmt.Errorf("inode of %q: %w", p, err)
	}
	le := binary.LittleEndian
	typ := le.Uint16(h)
	perm := le.Uint16(h[2:])
	uid, err := s.id(le.Uint16(h[4:]), at)
	if err != nil {
		return nil, err
	}
	gid, err := s.id(le.Uint16(h[6:]), at)
	if err != nil {
		return nil, err
	}
	mtime := le.Uint32(h[8:])
	inodeNum := le.Uint32(h[12:])
	mode, _ := linuxMode(0o100000 | uint32(perm)&0o7777) // the permission bits; the type is the inode's
	in := &sqInode{e: Entry{Path: p, UID: uid, GID: gid, ModTime: time.Unix(int64(mtime), 0).UTC(), Offset: -1}}
	xattr := uint32(sqNoXattr) // extended inodes name their extended attributes
	bad := func(msg string, args ...any) error {
		return Errorf("squashfs", at, "inode", "%q (type %d): %s", p, typ, fmt.Sprintf(msg, args...))
	}
	switch typ {
	case sqDir, sqLDir:
		in.e.Mode = fs.ModeDir | mode
		d := sqDirJob{path: p, at: at, inodeNum: inodeNum}
		var fileSize uint32
		if typ == sqDir {
			b, err := r.read(16)
			if err != nil {
				return nil, err
			}
			d.block = le.Uint32(b)
			fileSize = uint32(le.Uint16(b[8:]))
			d.offset = le.Uint16(b[10:])
			d.parent = le.Uint32(b[12:])
		} else {
			b, err := r.read(24)
			if err != nil {
				return nil, err
			}
			fileSize = le.Uint32(b[4:])
			d.block = le.Uint32(b[8:])
			d.parent = le.Uint32(b[12:])
			d.offset = le.Uint16(b[18:])
			xattr = le.Uint32(b[20:])
			// The directory index that follows only speeds up lookups; a walk does not need it.
		}
		if fileSize < 3 {
			return nil, bad("directory size %d is below the 3 every directory has", fileSize)
		}
		if int64(d.block) >= int64(s.sb.idTableStart)-int64(s.sb.dirStart) || d.offset >= sqMetaSize {
			return nil, bad("listing at block %d offset %d outside the directory table", d.block, d.offset)
		}
		d.size = fileSize - 3
		in.dir = &d
	case sqFile, sqLFile:
		in.e.Mode = mode
		if f, ok := s.files[ref]; ok {
			// Another name of a file already seen: a hard link.
			in.file = f
			in.e.Link = f.path
			return in, nil
		}
		f := &sqFileData{path: p, at: at}
		if typ == sqFile {
			b, err := r.read(16)
			if err != nil {
				return nil, err
			}
			f.start = uint64(le.Uint32(b))
			f.frag = le.Uint32(b[4:])
			f.fragOff = le.Uint32(b[8:])
			f.size = uint64(le.Uint32(b[12:]))
		} else {
			b, err := r.read(40)
			if err != nil {
				return nil, err
			}
			f.start = le.Uint64(b)
			f.size = le.Uint64(b[8:])
			f.frag = le.Uint32(b[28:])
			f.fragOff = le.Uint32(b[32:])
			xattr = le.Uint32(b[36:])
		}
		if err := s.planFile(f, r); err != nil {
			return nil, err
		}
		s.files[ref] = f
		in.file = f
		if f.contiguous {
			in.e.Offset = int64(f.start)
		}
	case sqSymlink, sqLSymlink:
		in.e.Mode = fs.ModeSymlink | mode
		b, err := r.read(8)
		if err != nil {
			return nil, err
		}
		n := le.Uint32(b[4:])
		if n == 0 || n > sqMaxLink {
			return nil, bad("symlink target of %d bytes (1 to %d)", n, sqMaxLink)
		}
		t, err := r.read(int(n))
		if err != nil {
			return nil, err
		}
		in.e.Link = string(t)
		if typ == sqLSymlink {
			if xattr, err = r.u32(); err != nil {
				return nil, err
			}
		}
	case sqBlkDev, sqChrDev, sqLBlkDev, sqLChrDev:
		in.e.Mode = fs.ModeDevice | mode
		if typ == sqChrDev || typ == sqLChrDev {
			in.e.Mode |= fs.ModeCharDevice
		}
		b, err := r.read(8)
		if err != nil {
			return nil, err
		}
		in.e.Dev = uint64(le.Uint32(b[4:])) // stored as Linux's new_encode_dev, as Entry keeps it
		if typ == sqLBlkDev || typ == sqLChrDev {
			if xattr, err = r.u32(); err != nil {
				return nil, err
			}
		}
	case sqFifo, sqLFifo, sqSocket, sqLSocket:
		in.e.Mode = fs.ModeNamedPipe | mode
		if typ == sqSocket || typ == sqLSocket {
			in.e.Mode = fs.ModeSocket | mode
		}
		if typ == sqLFifo || typ == sqLSocket {
			b, err := r.read(8) // link count, xattr index
			if err != nil {
				return nil, err
			}
			xattr = le.Uint32(b[4:])
		}
	default:
		return nil, bad("unknown inode type")
	}
	if xattr != sqNoXattr {
		if in.e.Xattrs, err = s.xattrs(xattr, at, p); err != nil {
			return nil, err
		}
	}
	return in, nil
}
