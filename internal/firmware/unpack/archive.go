package unpack

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"time"
)

var (
	tarFormat  = Format{Name: "tar", Magics: []Magic{{257, "ustar\x00"}, {257, "ustar "}}, Kind: FileSystem, Unpack: unpackTar}
	cpioFormat = Format{Name: "cpio", Magics: []Magic{{0, "070701"}, {0, "070702"}, {0, "070707"}},
		Kind: FileSystem, Unpack: unpackCpio}
)

// linuxMode turns a Linux st_mode (type, permission bits, setuid, setgid, sticky), as cpio, ext,
// CramFS, JFFS2, UBIFS and squashfs store it, into an fs.FileMode; ok is false for an unknown type.
func linuxMode(m uint32) (mode fs.FileMode, ok bool) {
	mode = fs.FileMode(m & 0o777)
	if m&0o4000 != 0 {
		mode |= fs.ModeSetuid
	}
	if m&0o2000 != 0 {
		mode |= fs.ModeSetgid
	}
	if m&0o1000 != 0 {
		mode |= fs.ModeSticky
	}
	switch m & 0o170000 {
	case 0o100000:
	case 0o040000:
		mode |= fs.ModeDir
	case 0o120000:
		mode |= fs.ModeSymlink
	case 0o020000:
		mode |= fs.ModeDevice | fs.ModeCharDevice
	case 0o060000:
		mode |= fs.ModeDevice
	case 0o010000:
		mode |= fs.ModeNamedPipe
	case 0o140000:
		mode |= fs.ModeSocket
	default:
		return mode, false
	}
	return mode, true
}

func unpackTar(data []byte, b *Budget) (*Tree, int64, error) {
	br := bytes.NewReader(data)
	tr := tar.NewReader(br)
	t := NewTree("tar", b)
	links := map[string]string{}
	for {
		if err := b.Err(); err != nil {
			return nil, 0, err
		}
		pos := int64(len(data)) - int64(br.Len())
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if t.Len() > 0 && errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, 0, Errorf("tar", pos, "header", "archive ends inside an entry")
			}
			return nil, 0, Errorf("tar", pos, "header", "%v", err)
		}
		e := Entry{Path: h.Name, UID: uint32(h.Uid), GID: uint32(h.Gid), ModTime: h.ModTime.UTC(), Offset: -1}
		perm, _ := linuxMode(0o100000 | uint32(h.Mode)&0o7777) // the type comes from the header's type flag
		switch h.Typeflag {
		case tar.TypeReg, tar.TypeRegA, tar.TypeGNUSparse:
			if h.Size > b.Remaining() {
				return nil, 0, Errorf("tar", pos, "entry size", "%s: %d bytes is more than the budget left", h.Name, h.Size)
			}
			body, err := io.ReadAll(tr)
			if err != nil {
				return nil, 0, Errorf("tar", pos, "entry data", "%s: %v", h.Name, err)
			}
			e.Mode, e.Data = perm, body
			if h.Typeflag != tar.TypeGNUSparse {
				e.Offset = pos + 512
			}
		case tar.TypeDir:
			e.Mode = perm | fs.ModeDir
		case tar.TypeSymlink:
			e.Mode, e.Link = perm|fs.ModeSymlink, h.Linkname
		case tar.TypeLink:
			links[h.Name] = h.Linkname
			continue
		case tar.TypeChar:
			e.Mode, e.Dev = perm|fs.ModeDevice|fs.ModeCharDevice, MakeDev(uint64(h.Devmajor), uint64(h.Devminor))
		case tar.TypeBlock:
			e.Mode, e.Dev = perm|fs.ModeDevice, MakeDev(uint64(h.Devmajor), uint64(h.Devminor))
		case tar.TypeFifo:
			e.Mode = perm | fs.ModeNamedPipe
		default:
			continue // PAX globals and vendor extensions carry no file
		}
		// GNU tar --xattrs and bsdtar keep extended attributes as PAX records.
		for k, v := range h.PAXRecords {
			if name, ok := strings.CutPrefix(k, "SCHILY.xattr."); ok {
				if e.Xattrs == nil {
					e.Xattrs = map[string]string{}
				}
				e.Xattrs[name] = v
			}
		}
		if err := t.Add(e); err != nil {
			return nil, 0, addError("tar", pos, err)
		}
	}
	if err := resolveHardLinks(t, links); err != nil {
		return nil, 0, err
	}
	return t, int64(len(data)) - int64(br.Len()), nil
}

// resolveHardLinks gives each hard link a copy of its target's entry (content shared, not
// copied) with Link naming the target, as the file system readers record hard links. A link to
// a missing or non-regular target is an empty file whose Link names it.
func resolveHardLinks(t *Tree, links map[string]string) error {
	for name, target := range links {
		p, err := CleanPath(target)
		if err != nil {
			return addError(t.Format, -1, err)
		}
		e := Entry{Path: name, Mode: 0o644, Offset: -1}
		if te := t.Entry(p); te != nil && te.Mode.IsRegular() {
			e = *te
			e.Path = name
		}
		e.Link = p
		if err := t.Add(e); err != nil {
			return addError(t.Format, -1, err)
		}
	}
	return nil
}

func addError(format string, off int64, err error) error {
	if errors.Is(err, ErrLimit) {
		return err
	}
	return &FormatError{Format: format, Offset: off, Rule: "entry name", Err: err}
}

// unpackCpio reads the "new" ASCII format (070701, and 070702 with checksums) and the portable
// ASCII (odc, 070707) format, up to the TRAILER!!! entry.
func unpackCpio(data []byte, b *Budget) (*Tree, int64, error) {
	t := NewTree("cpio", b)
	type pending struct{ entries []Entry }
	byIno := map[[2]uint64]*pending{} // newc hard links: the data comes with the last of them
	off := 0
	for {
		if err := b.Err(); err != nil {
			return nil, 0, err
		}
		if off+6 > len(data) {
			return nil, 0, Errorf("cpio", int64(off), "header", "archive ends without a TRAILER!!! entry")
		}
		var (
			e                          Entry
			mode, nlink, namesize, dev uint64
			ino                        uint64
			size                       uint64
			hdr, align                 int
		)
		magic := string(data[off : off+6])
		switch magic {
		case "070701", "070702":
			hdr, align = 110, 4
			if off+hdr > len(data) {
				return nil, 0, Errorf("cpio", int64(off), "header", "truncated header")
			}
			var f [13]uint64
			for i := range f {
				v, err := strconv.ParseUint(string(data[off+6+8*i:off+14+8*i]), 16, 32)
				if err != nil {
					return nil, 0, Errorf("cpio", int64(off+6+8*i), "header field", "not hexadecimal")
				}
				f[i] = v
			}
			ino, mode, nlink, size, namesize = f[0], f[1], f[4], f[6], f[11]
			e.UID, e.GID = uint32(f[2]), uint32(f[3])
			e.ModTime = time.Unix(int64(f[5]), 0).UTC()
			dev = f[7]<<32 | f[8]
			e.Dev = MakeDev(f[9], f[10])
		case "070707":
			hdr, align = 76, 1
			if off+hdr > len(data) {
				return nil, 0, Errorf("cpio", int64(off), "header", "truncated header")
			}
			oct := func(i, n int) (uint64, error) {
				return strconv.ParseUint(string(data[off+i:off+i+n]), 8, 64)
			}
			var f [10]uint64
			widths := [10][2]int{{6, 6}, {12, 6}, {18, 6}, {24, 6}, {30, 6}, {36, 6}, {42, 6}, {48, 11}, {59, 6}, {65, 11}}
			for i, w := range widths {
				v, err := oct(w[0], w[1])
				if err != nil {
					return nil, 0, Errorf("cpio", int64(off+w[0]), "header field", "not octal")
				}
				f[i] = v
			}
			dev, ino, mode, nlink = f[0], f[1], f[2], f[5]
			e.UID, e.GID = uint32(f[3]), uint32(f[4])
			e.Dev = f[6]
			e.ModTime = time.Unix(int64(f[7]), 0).UTC()
			namesize, size = f[8], f[9]
		default:
			return nil, 0, Errorf("cpio", int64(off), "header magic", "expected 070701, 070702 or 070707")
		}
		nameStart := off + hdr
		if namesize == 0 || namesize > 4096 || uint64(nameStart)+namesize > uint64(len(data)) {
			return nil, 0, Errorf("cpio", int64(off), "name size", "%d bytes does not fit", namesize)
		}
		name := string(bytes.TrimRight(data[nameStart:nameStart+int(namesize)], "\x00"))
		dataStart := alignUp(nameStart+int(namesize)-off, align) + off
		if size > uint64(len(data)) || dataStart > len(data) || uint64(dataStart)+size > uint64(len(data)) {
			return nil, 0, Errorf("cpio", int64(off), "file size", "%s: %d bytes does not fit in the archive", name, size)
		}
		body := data[dataStart : dataStart+int(size)]
		next := alignUp(dataStart+int(size)-off, align) + off
		if name == "TRAILER!!!" {
			break
		}
		m, ok := linuxMode(uint32(mode))
		if !ok {
			return nil, 0, Errorf("cpio", int64(off), "mode", "%s: unknown file type %o", name, mode&0o170000)
		}
		e.Path, e.Mode = name, m
		switch {
		case m.IsRegular():
			e.Data, e.Offset = body, int64(dataStart)
		case m&fs.ModeSymlink != 0:
			e.Link = string(body)
		}
		if m.IsRegular() && nlink > 1 && magic != "070707" {
			key := [2]uint64{dev, ino}
			p := byIno[key]
			if p == nil {
				p = &pending{}
				byIno[key] = p
			}
			if len(body) == 0 {
				p.entries = append(p.entries, e)
				off = next
				continue
			}
			for _, pe := range p.entries {
				pe.Data, pe.Offset = body, e.Offset
				if err := t.Add(pe); err != nil {
					return nil, 0, addError("cpio", int64(off), err)
				}
			}
			p.entries = nil
		}
		if err := t.Add(e); err != nil {
			return nil, 0, addError("cpio", int64(off), err)
		}
		off = next
	}
	// Hard links whose data never came are empty files, as cpio itself leaves them.
	for _, p := range byIno {
		for _, pe := range p.entries {
			if err := t.Add(pe); err != nil {
				return nil, 0, addError("cpio", -1, err)
			}
		}
	}
	return t, int64(off), nil
}

func alignUp(n, a int) int { return (n + a - 1) / a * a }
