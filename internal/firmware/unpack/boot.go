package unpack

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"strings"
	"time"
)

// Boot containers: U-Boot legacy images (uImage), U-Boot FIT images (a flattened device tree
// with an /images node) and Broadcom TRX. Each yields its payloads as files; the driver searches
// them for kernels, compressed streams and file systems.

var (
	uimageFormat = Format{Name: "uimage", Magics: []Magic{{0, "\x27\x05\x19\x56"}}, Kind: Container, Unpack: unpackUImage}
	fitFormat    = Format{Name: "fit", Magics: []Magic{{0, "\xd0\x0d\xfe\xed"}}, Kind: Container, Unpack: unpackFIT}
	trxFormat    = Format{Name: "trx", Magics: []Magic{{0, "HDR0"}}, Kind: Container, Unpack: unpackTRX}
)

var uimageCompression = map[byte]string{0: "none", 1: "gzip", 2: "bzip2", 3: "lzma", 4: "lzo", 5: "lz4", 6: "zstd"}

const uimageHeader = 64

func unpackUImage(data []byte, b *Budget) (*Tree, int64, error) {
	if len(data) < uimageHeader {
		return nil, 0, Errorf("uimage", 0, "header", "truncated: %d bytes", len(data))
	}
	be := binary.BigEndian
	hdr := bytes.Clone(data[:uimageHeader])
	want := be.Uint32(hdr[4:8])
	clear(hdr[4:8])
	if got := crc32.ChecksumIEEE(hdr); got != want {
		return nil, 0, Errorf("uimage", 4, "header checksum", "CRC32 is %08x, header says %08x", got, want)
	}
	size := int64(be.Uint32(data[12:16]))
	if uimageHeader+size > int64(len(data)) {
		return nil, 0, Errorf("uimage", 12, "data size", "%d bytes of data do not fit in the %d bytes left", size, len(data)-uimageHeader)
	}
	payload := data[uimageHeader : uimageHeader+size]
	if got := crc32.ChecksumIEEE(payload); got != be.Uint32(data[24:28]) {
		return nil, 0, Errorf("uimage", 24, "data checksum", "CRC32 of the data is %08x, header says %08x", got, be.Uint32(data[24:28]))
	}
	name := sanitizeName(strings.TrimRight(string(data[32:64]), "\x00"))
	if name == "" || !printable(name) {
		name = "image"
	}
	comp := uimageCompression[data[31]]
	mtime := time.Unix(int64(be.Uint32(data[8:12])), 0).UTC()
	t := NewTree("uimage", b)
	parts := [][]byte{payload}
	if data[30] == 4 { // IH_TYPE_MULTI: a zero-terminated list of sizes, then the images, 4-byte aligned
		parts = nil
		var sizes []uint32
		off := 0
		for {
			if off+4 > len(payload) {
				return nil, 0, Errorf("uimage", int64(uimageHeader+off), "multi-file size list", "runs past the data")
			}
			s := be.Uint32(payload[off:])
			off += 4
			if s == 0 {
				break
			}
			sizes = append(sizes, s)
		}
		for i, s := range sizes {
			if uint64(off)+uint64(s) > uint64(len(payload)) {
				return nil, 0, Errorf("uimage", int64(uimageHeader+off), "multi-file image", "image %d of %d bytes runs past the data", i, s)
			}
			parts = append(parts, payload[off:off+int(s)])
			off = alignUp(off+int(s), 4)
		}
	}
	for i, p := range parts {
		pname := name
		if len(parts) > 1 {
			pname = fmt.Sprintf("%s.%d", name, i)
		}
		off := int64(uimageHeader)
		if len(parts) > 1 {
			off = -1
		}
		if err := addPayload(t, pname, comp, p, off, mtime, b); err != nil {
			return nil, 0, err
		}
	}
	return t, uimageHeader + size, nil
}

// addPayload adds a container's payload, decompressed when the container declares a compression
// this package reads; otherwise the raw bytes, which the driver then searches.
func addPayload(t *Tree, name, comp string, p []byte, off int64, mtime time.Time, b *Budget) error {
	if comp != "" && comp != "none" {
		if out, err := decompress(comp, p, b); err == nil {
			p, off = out, -1
		} else if isLimit(err) {
			return err
		} else {
			name += "." + comp
		}
	}
	if err := t.Add(Entry{Path: name, Mode: 0o644, Data: p, Offset: off, ModTime: mtime}); err != nil {
		return addError(t.Format, off, err)
	}
	return nil
}

func printable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// FIT images are device trees: https://github.com/devicetree-org/devicetree-specification
// (flattened format, chapter 5) with the U-Boot FIT conventions (an /images node whose children
// carry "data", or "data-offset"/"data-position" with "data-size" for external data).
const (
	fdtBeginNode = 1
	fdtEndNode   = 2
	fdtProp      = 3
	fdtNop       = 4
	fdtEnd       = 9
)

type fdtNode struct {
	name     string
	props    map[string][]byte
	children []*fdtNode
}

func (n *fdtNode) child(name string) *fdtNode {
	for _, c := range n.children {
		if c.name == name {
			return c
		}
	}
	return nil
}

func parseFDT(data []byte) (*fdtNode, int64, error) {
	be := binary.BigEndian
	if len(data) < 40 {
		return nil, 0, Errorf("fit", 0, "header", "truncated")
	}
	total := int64(be.Uint32(data[4:]))
	offStruct, offStrings := int64(be.Uint32(data[8:])), int64(be.Uint32(data[12:]))
	sizeStrings, sizeStruct := int64(be.Uint32(data[32:])), int64(be.Uint32(data[36:]))
	if total > int64(len(data)) || total < 40 {
		return nil, 0, Errorf("fit", 4, "total size", "%d bytes, the image has %d", total, len(data))
	}
	if offStruct+sizeStruct > total || offStrings+sizeStrings > total || offStruct < 40 || offStrings < 40 {
		return nil, 0, Errorf("fit", 8, "block offsets", "structure or strings block outside the tree")
	}
	strs := data[offStrings : offStrings+sizeStrings]
	st := data[offStruct : offStruct+sizeStruct]
	pos := 0
	u32 := func() (uint32, error) {
		if pos+4 > len(st) {
			return 0, Errorf("fit", offStruct+int64(pos), "structure block", "ends early")
		}
		v := be.Uint32(st[pos:])
		pos += 4
		return v, nil
	}
	var stack []*fdtNode
	var root *fdtNode
	for nodes := 0; ; nodes++ {
		if nodes > 1_000_000 {
			return nil, 0, Errorf("fit", offStruct, "structure block", "too many tokens")
		}
		tok, err := u32()
		if err != nil {
			return nil, 0, err
		}
		switch tok {
		case fdtBeginNode:
			end := bytes.IndexByte(st[pos:], 0)
			if end < 0 {
				return nil, 0, Errorf("fit", offStruct+int64(pos), "node name", "not terminated")
			}
			n := &fdtNode{name: string(st[pos : pos+end]), props: map[string][]byte{}}
			pos = alignUp(pos+end+1, 4)
			if len(stack) > 64 {
				return nil, 0, Errorf("fit", offStruct+int64(pos), "nesting", "deeper than 64 nodes")
			}
			if len(stack) == 0 {
				if root != nil {
					return nil, 0, Errorf("fit", offStruct+int64(pos), "structure block", "second root node")
				}
				root = n
			} else {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			}
			stack = append(stack, n)
		case fdtEndNode:
			if len(stack) == 0 {
				return nil, 0, Errorf("fit", offStruct+int64(pos), "structure block", "unbalanced end of node")
			}
			stack = stack[:len(stack)-1]
		case fdtProp:
			l, err := u32()
			if err != nil {
				return nil, 0, err
			}
			nameoff, err := u32()
			if err != nil {
				return nil, 0, err
			}
			if len(stack) == 0 || int64(l) > int64(len(st)-pos) || int64(nameoff) >= int64(len(strs)) {
				return nil, 0, Errorf("fit", offStruct+int64(pos), "property", "outside a node or its block")
			}
			ne := bytes.IndexByte(strs[nameoff:], 0)
			if ne < 0 {
				return nil, 0, Errorf("fit", offStrings+int64(nameoff), "property name", "not terminated")
			}
			stack[len(stack)-1].props[string(strs[nameoff:int(nameoff)+ne])] = st[pos : pos+int(l)]
			pos = alignUp(pos+int(l), 4)
		case fdtNop:
		case fdtEnd:
			if root == nil || len(stack) != 0 {
				return nil, 0, Errorf("fit", offStruct+int64(pos), "structure block", "ends inside a node")
			}
			return root, total, nil
		default:
			return nil, 0, Errorf("fit", offStruct+int64(pos-4), "structure block", "unknown token %d", tok)
		}
	}
}

func propString(v []byte) string { return string(bytes.TrimRight(v, "\x00")) }

func unpackFIT(data []byte, b *Budget) (*Tree, int64, error) {
	root, total, err := parseFDT(data)
	if err != nil {
		return nil, 0, err
	}
	images := root.child("images")
	if images == nil {
		return nil, 0, Errorf("fit", 0, "images node", "a device tree without /images is not a FIT image")
	}
	be := binary.BigEndian
	t := NewTree("fit", b)
	end := total
	extBase := int64(alignUp(int(total), 4))
	for _, img := range images.children {
		var p []byte
		off := int64(-1)
		if d, ok := img.props["data"]; ok {
			p = d
		} else if s, ok := img.props["data-size"]; ok && len(s) == 4 {
			size := int64(be.Uint32(s))
			switch {
			case len(img.props["data-position"]) == 4:
				off = int64(be.Uint32(img.props["data-position"]))
			case len(img.props["data-offset"]) == 4:
				off = extBase + int64(be.Uint32(img.props["data-offset"]))
			default:
				return nil, 0, Errorf("fit", 0, "image "+img.name, "external data without a position")
			}
			if off+size > int64(len(data)) {
				return nil, 0, Errorf("fit", off, "image "+img.name, "external data of %d bytes runs past the file", size)
			}
			p = data[off : off+size]
			end = max(end, off+size)
		} else {
			continue
		}
		name := sanitizeName(img.name)
		if name == "" || !printable(name) {
			name = "image"
		}
		if err := addPayload(t, name, propString(img.props["compression"]), p, off, time.Time{}, b); err != nil {
			return nil, 0, err
		}
	}
	return t, end, nil
}

func unpackTRX(data []byte, b *Budget) (*Tree, int64, error) {
	le := binary.LittleEndian
	if len(data) < 28 {
		return nil, 0, Errorf("trx", 0, "header", "truncated")
	}
	total := int64(le.Uint32(data[4:]))
	version := le.Uint32(data[12:]) >> 16
	n := 3
	if version == 2 {
		n = 4
	} else if version != 1 {
		return nil, 0, Errorf("trx", 12, "version", "%d; TRX versions 1 and 2 exist", version)
	}
	hdr := 16 + 4*n
	if total < int64(hdr) || total > int64(len(data)) {
		return nil, 0, Errorf("trx", 4, "length", "%d bytes, the image has %d", total, len(data))
	}
	// The checksum covers everything from the flags field to the end, as CRC-32 without the final inversion.
	if got := ^crc32.ChecksumIEEE(data[12:total]); got != le.Uint32(data[8:]) {
		return nil, 0, Errorf("trx", 8, "checksum", "CRC32 is %08x, header says %08x", got, le.Uint32(data[8:]))
	}
	var offs []int64
	for i := range n {
		o := int64(le.Uint32(data[16+4*i:]))
		if o == 0 {
			continue
		}
		if o < int64(hdr) || o >= total || (len(offs) > 0 && o <= offs[len(offs)-1]) {
			return nil, 0, Errorf("trx", int64(16+4*i), "partition offset", "%d is outside the image or out of order", o)
		}
		offs = append(offs, o)
	}
	t := NewTree("trx", b)
	for i, o := range offs {
		end := total
		if i+1 < len(offs) {
			end = offs[i+1]
		}
		if err := t.Add(Entry{Path: fmt.Sprintf("part%d", i), Mode: 0o644, Data: data[o:end], Offset: o}); err != nil {
			return nil, 0, addError("trx", o, err)
		}
	}
	return t, total, nil
}
