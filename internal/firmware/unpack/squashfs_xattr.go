package unpack

import (
	"encoding/binary"
	"fmt"
)

// SquashFS 4.0 extended attributes. An extended inode holds an index into the xattr id table;
// the id table's entry locates the attribute list in the xattr metadata and counts its entries.
// Each entry is a 16-bit type (the name's prefix, and a flag for a value stored out of line), a
// 16-bit name length, the name without its prefix, then the value as a 32-bit length and the
// bytes — or, out of line, an 8-byte reference to where that length and the bytes are. The table
// is found through the superblock's xattr_id_table_start: a 16-byte header (the start of the
// attribute metadata, the number of ids) followed by the index of the id table's blocks.

const (
	sqXattrOOL      = 0x100
	sqMaxXattrs     = 1024     // attributes of one inode; Linux's listxattr buffer holds fewer
	sqMaxXattrName  = 255      // XATTR_NAME_MAX
	sqMaxXattrValue = 64 << 10 // XATTR_SIZE_MAX
)

var sqXattrPrefixes = [...]string{"user.", "trusted.", "security."}

type sqXattrTable struct {
	start int64  // where the attribute metadata begins
	ids   uint32 // entries in the id table
}

// xattrTable reads the header of the xattr id table.
func (s *sqfs) xattrTable() (*sqXattrTable, error) {
	if s.xattrTab != nil {
		return s.xattrTab, nil
	}
	at := int64(s.sb.xattrStart)
	if s.sb.xattrStart == sqNoTable {
		return nil, Errorf("squashfs", 56, "xattr table", "an inode has extended attributes but the image has no xattr table")
	}
	if at < sqSuperSize || at+16 > s.end {
		return nil, Errorf("squashfs", 56, "xattr table", "header at %d outside the image's %d bytes", at, s.end)
	}
	t := &sqXattrTable{start: int64(binary.LittleEndian.Uint64(s.data[at:])), ids: binary.LittleEndian.Uint32(s.data[at+8:])}
	if t.start < sqSuperSize || t.start >= at {
		return nil, Errorf("squashfs", at, "xattr table", "attribute metadata at %d not between the superblock and the table at %d", t.start, at)
	}
	s.xattrTab = t
	return t, nil
}

// xattrs reads the extended attributes of xattr id i, named by the inode of p at offset at.
func (s *sqfs) xattrs(i uint32, at int64, p string) (map[string]string, error) {
	t, err := s.xattrTable()
	if err != nil {
		return nil, err
	}
	idTab := int64(s.sb.xattrStart) + 16
	b, err := s.tableEntry("xattr id table", idTab, int(t.ids), int(i), 16)
	if err != nil {
		return nil, fmt.Errorf("extended attributes of %q (inode at %d): %w", p, at, err)
	}
	le := binary.LittleEndian
	ref, count := le.Uint64(b), le.Uint32(b[8:])
	if count == 0 || count > sqMaxXattrs {
		return nil, Errorf("squashfs", at, "xattr id", "%q: %d attributes (1 to %d)", p, count, sqMaxXattrs)
	}
	r, err := s.xattrReader(t, ref, p)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, count)
	for range count {
		h, err := r.read(4)
		if err != nil {
			return nil, fmt.Errorf("extended attributes of %q: %w", p, err)
		}
		typ, nameLen := le.Uint16(h), int(le.Uint16(h[2:]))
		prefix := int(typ &^ sqXattrOOL)
		if prefix >= len(sqXattrPrefixes) {
			return nil, Errorf("squashfs", r.off, "xattr entry", "%q: unknown name prefix %d", p, prefix)
		}
		if nameLen == 0 || nameLen > sqMaxXattrName {
			return nil, Errorf("squashfs", r.off, "xattr entry", "%q: name of %d bytes (1 to %d)", p, nameLen, sqMaxXattrName)
		}
		nb, err := r.read(nameLen)
		if err != nil {
			return nil, fmt.Errorf("extended attributes of %q: %w", p, err)
		}
		name := sqXattrPrefixes[prefix] + string(nb)
		vr := r
		if typ&sqXattrOOL != 0 {
			// The inline value is an 8-byte reference to where the value is kept.
			if n, err := r.u32(); err != nil || n != 8 {
				return nil, Errorf("squashfs", r.off, "xattr entry", "%q %s: out-of-line reference of %d bytes, want 8 (%v)", p, name, n, err)
			}
			vref, err := r.u64()
			if err != nil {
				return nil, fmt.Errorf("extended attributes of %q: %w", p, err)
			}
			if vr, err = s.xattrReader(t, vref, p); err != nil {
				return nil, err
			}
		}
		n, err := vr.u32()
		if err != nil {
			return nil, fmt.Errorf("extended attributes of %q: %w", p, err)
		}
		if n > sqMaxXattrValue {
			return nil, Errorf("squashfs", vr.off, "xattr value", "%q %s: %d bytes (at most %d)", p, name, n, sqMaxXattrValue)
		}
		v, err := vr.read(int(n))
		if err != nil {
			return nil, fmt.Errorf("extended attributes of %q: %w", p, err)
		}
		out[name] = string(v)
	}
	return out, nil
}

// xattrReader starts reading the attribute metadata at reference ref (block offset from the
// metadata's start << 16 | byte offset in the block).
func (s *sqfs) xattrReader(t *sqXattrTable, ref uint64, p string) (*sqMetaReader, error) {
	blk, pos := int64(ref>>16), int(ref&0xffff)
	limit := int64(s.sb.xattrStart)
	if blk >= limit-t.start || pos >= sqMetaSize {
		return nil, Errorf("squashfs", limit, "xattr reference", "%q: block %d offset %d outside the attribute metadata", p, blk, pos)
	}
	r, err := s.metaReader(t.start+blk, pos, limit)
	if err != nil {
		return nil, fmt.Errorf("extended attributes of %q: %w", p, err)
	}
	return r, nil
}
