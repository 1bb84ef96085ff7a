package unpack

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io/fs"
	"strconv"
	"strings"
)

// UBI (Linux drivers/mtd/ubi, include/uapi/mtd/ubi-media.h) spreads volumes over the physical
// erase blocks (PEBs) of a flash chip. Each PEB starts with an erase-counter header ("UBI#") and,
// when it holds data, a volume-identifier header ("UBI!") naming the volume and the logical erase
// block (LEB) it holds. The volume table lives in the two LEBs of the layout volume.
//
// The reader reassembles each volume from its LEBs into one regular file named after the volume,
// so that the file system inside (UBIFS, squashfs) is found in turn. Where a LEB was written more
// than once (wear levelling, an interrupted copy), the copy with the highest sequence number
// wins, unless it is a copy whose data CRC fails. Unmapped LEBs of a dynamic volume read as 0xff,
// as from erased flash. A PEB whose headers fail their CRC is skipped; a PEB that is neither UBI
// nor erased ends the image.

var ubiFormat = Format{
	Name:   "ubi",
	Magics: []Magic{{Offset: 0, Bytes: "UBI#"}},
	Kind:   Container,
	Unpack: unpackUBI,
}

const (
	ubiHeaderLen    = 64
	ubiLayoutVolume = 0x7fffefff
	ubiVtblRecLen   = 172
	ubiMaxVolumes   = 128
	ubiMaxPEB       = 16 << 20
)

type ubiEC struct {
	vidOff, dataOff, imageSeq uint32
}

type ubiLEB struct {
	peb       int
	sqnum     uint64
	dataSize  uint32
	dataCRC   uint32
	copyFlag  bool
	static    bool
	usedEBs   uint32
	available bool
}

// ubiCRC is UBI's crc32(UBI_CRC32_INIT, p, len): the IEEE CRC without the final inversion.
func ubiCRC(p []byte) uint32 { return ^crc32.ChecksumIEEE(p) }

func ubiParseEC(h []byte) (ubiEC, bool) {
	if len(h) < ubiHeaderLen || string(h[:4]) != "UBI#" || ubiCRC(h[:60]) != binary.BigEndian.Uint32(h[60:]) {
		return ubiEC{}, false
	}
	return ubiEC{
		vidOff:   binary.BigEndian.Uint32(h[16:]),
		dataOff:  binary.BigEndian.Uint32(h[20:]),
		imageSeq: binary.BigEndian.Uint32(h[24:]),
	}, true
}

func unpackUBI(data []byte, b *Budget) (*Tree, int64, error) {
	ec, ok := ubiParseEC(data)
	if !ok {
		return nil, 0, Errorf("ubi", 0, "erase counter header", "missing \"UBI#\" magic or CRC mismatch")
	}
	if ec.vidOff < ubiHeaderLen || ec.vidOff%8 != 0 || ec.dataOff < ec.vidOff+ubiHeaderLen || ec.dataOff > ubiMaxPEB {
		return nil, 0, Errorf("ubi", 16, "header offsets", "VID header at %d, data at %d", ec.vidOff, ec.dataOff)
	}
	peb := ubiPEBSize(data, ec)
	if peb <= 0 {
		return nil, 0, Errorf("ubi", 0, "PEB size", "no second erase counter header past the data offset %d", ec.dataOff)
	}

	// Walk the PEBs: the image ends before the first one that is neither UBI nor erased.
	lebs := map[uint32]map[uint32]ubiLEB{} // volume ID -> LEB number -> newest copy
	npeb, end := 0, 0
	for i := 0; i*peb+ubiHeaderLen <= len(data); i++ {
		if i%256 == 0 {
			if err := b.Err(); err != nil {
				return nil, 0, err
			}
		}
		off := i * peb
		blk := data[off:min(len(data), off+peb)]
		if string(blk[:4]) != "UBI#" {
			if !ubiErased(blk) {
				break
			}
			npeb = i + 1
			continue
		}
		e, ok := ubiParseEC(blk)
		if ok && ec.imageSeq != 0 && e.imageSeq != 0 && e.imageSeq != ec.imageSeq {
			break // another UBI image begins here
		}
		npeb, end = i+1, off+len(blk)
		if !ok || e.vidOff != ec.vidOff || e.dataOff != ec.dataOff {
			continue
		}
		vo := int(ec.vidOff)
		if vo+ubiHeaderLen > len(blk) {
			continue
		}
		vid := blk[vo : vo+ubiHeaderLen]
		if string(vid[:4]) != "UBI!" || ubiCRC(vid[:60]) != binary.BigEndian.Uint32(vid[60:]) {
			continue
		}
		volID, lnum := binary.BigEndian.Uint32(vid[8:]), binary.BigEndian.Uint32(vid[12:])
		l := ubiLEB{
			peb:      i,
			sqnum:    binary.BigEndian.Uint64(vid[40:]),
			dataSize: binary.BigEndian.Uint32(vid[20:]),
			dataCRC:  binary.BigEndian.Uint32(vid[32:]),
			copyFlag: vid[6] != 0,
			static:   vid[5] == 2,
			usedEBs:  binary.BigEndian.Uint32(vid[24:]),
		}
		if l.copyFlag && !ubiDataOK(blk, ec, l) {
			continue // an interrupted copy: the older copy of this LEB holds
		}
		m := lebs[volID]
		if m == nil {
			m = map[uint32]ubiLEB{}
			lebs[volID] = m
		}
		if old, ok := m[lnum]; !ok || l.sqnum > old.sqnum {
			m[lnum] = l
		}
	}
	lebSize := peb - int(ec.dataOff)

	vtbl, err := ubiVolumeTable(data, peb, ec, lebSize, lebs[ubiLayoutVolume])
	if err != nil {
		return nil, 0, err
	}
	t := NewTree("ubi", b)
	used := map[string]bool{}
	for id, rec := range vtbl {
		if rec.reservedPEBs == 0 {
			continue
		}
		name := strings.ReplaceAll(rec.name, "/", "_")
		if p, err := CleanPath(name); err != nil || p != name || used[name] {
			name = "vol-" + strconv.Itoa(id)
		}
		used[name] = true
		vol, err := ubiVolume(data, peb, ec, lebSize, rec, lebs[uint32(id)], npeb, b)
		if err != nil {
			return nil, 0, err
		}
		if err := t.Add(Entry{Path: name, Mode: ubiVolumeMode, Data: vol, Offset: -1}); err != nil {
			return nil, 0, err
		}
	}
	return t, int64(end), nil
}

// ubiPEBSize finds the erase block size: the distance to the next valid erase counter header.
// Erased PEBs between them would make it a multiple, so the smallest power of two that holds a
// header is preferred; one whose header is damaged still counts when the next ones are sound.
func ubiPEBSize(data []byte, ec ubiEC) int {
	for p := 1 << 12; p <= ubiMaxPEB && p+ubiHeaderLen <= len(data); p <<= 1 {
		if p <= int(ec.dataOff) || string(data[p:p+4]) != "UBI#" {
			continue
		}
		for k := 1; k <= 3 && k*p+ubiHeaderLen <= len(data); k++ {
			if _, ok := ubiParseEC(data[k*p:]); ok {
				return p
			}
		}
	}
	for from := int(ec.dataOff) + 1; from < len(data) && from <= ubiMaxPEB; {
		i := bytes.Index(data[from:], []byte("UBI#"))
		if i < 0 {
			return 0
		}
		if _, ok := ubiParseEC(data[from+i:]); ok {
			return from + i
		}
		from += i + 1
	}
	if len(data) > int(ec.dataOff) && len(data) <= ubiMaxPEB {
		return len(data) // a single PEB
	}
	return 0
}

func ubiErased(blk []byte) bool {
	for _, c := range blk {
		if c != 0xff {
			return false
		}
	}
	return true
}

// ubiLEBData is the stored part of a LEB: data_size bytes for static volumes and copies, the
// whole LEB (less the volume's alignment padding) otherwise.
func ubiLEBData(data []byte, peb int, ec ubiEC, lebSize int, l ubiLEB) []byte {
	start := l.peb*peb + int(ec.dataOff)
	n := lebSize
	if l.static || l.copyFlag {
		n = min(n, int(l.dataSize))
	}
	if start >= len(data) {
		return nil
	}
	return data[start:min(len(data), start+n)]
}

func ubiDataOK(blk []byte, ec ubiEC, l ubiLEB) bool {
	start := int(ec.dataOff)
	if uint64(start)+uint64(l.dataSize) > uint64(len(blk)) {
		return false
	}
	return ubiCRC(blk[start:start+int(l.dataSize)]) == l.dataCRC
}

type ubiVolRec struct {
	reservedPEBs uint32
	dataPad      uint32
	static       bool
	name         string
}

// ubiVolumeTable reads the first copy of the volume table whose records all pass their CRC.
func ubiVolumeTable(data []byte, peb int, ec ubiEC, lebSize int, layout map[uint32]ubiLEB) ([]ubiVolRec, error) {
	n := min(ubiMaxVolumes, lebSize/ubiVtblRecLen)
	var firstErr error
	for copyNo := range uint32(2) {
		l, ok := layout[copyNo]
		if !ok {
			continue
		}
		tbl := ubiLEBData(data, peb, ec, lebSize, l)
		off := int64(l.peb*peb) + int64(ec.dataOff)
		if len(tbl) < n*ubiVtblRecLen {
			firstErr = Errorf("ubi", off, "volume table", "LEB holds %d bytes, want %d", len(tbl), n*ubiVtblRecLen)
			continue
		}
		recs := make([]ubiVolRec, n)
		bad := false
		for i := range recs {
			r := tbl[i*ubiVtblRecLen : (i+1)*ubiVtblRecLen]
			if ubiCRC(r[:168]) != binary.BigEndian.Uint32(r[168:]) {
				if firstErr == nil {
					firstErr = Errorf("ubi", off+int64(i*ubiVtblRecLen)+168, "volume table record CRC", "record %d", i)
				}
				bad = true
				break
			}
			nameLen := int(binary.BigEndian.Uint16(r[14:]))
			if nameLen > 127 {
				nameLen = 127
			}
			recs[i] = ubiVolRec{
				reservedPEBs: binary.BigEndian.Uint32(r[0:]),
				dataPad:      binary.BigEndian.Uint32(r[8:]),
				static:       r[12] == 2,
				name:         string(r[16 : 16+nameLen]),
			}
		}
		if !bad {
			return recs, nil
		}
	}
	if firstErr == nil {
		firstErr = Errorf("ubi", 0, "volume table", "no LEB of the layout volume (ID %#x) found", ubiLayoutVolume)
	}
	return nil, firstErr
}

// ubiVolume concatenates a volume's LEBs. LEB numbers are capped by the volume's reserved PEBs
// and by the PEBs in the image, so a volume is never larger than the flash it claims to occupy.
func ubiVolume(data []byte, peb int, ec ubiEC, lebSize int, rec ubiVolRec, lebs map[uint32]ubiLEB, npeb int, b *Budget) ([]byte, error) {
	size := lebSize - int(rec.dataPad)
	if rec.dataPad >= uint32(lebSize) {
		return nil, Errorf("ubi", -1, "volume table data_pad", "padding %d leaves nothing of a %d-byte LEB", rec.dataPad, lebSize)
	}
	limit := uint64(min(uint64(rec.reservedPEBs), uint64(npeb)))
	count := uint64(0)
	for lnum, l := range lebs {
		if uint64(lnum) >= limit {
			continue
		}
		if rec.static && l.usedEBs > 0 && uint64(lnum) >= uint64(l.usedEBs) {
			continue
		}
		count = max(count, uint64(lnum)+1)
	}
	var out []byte
	if rec.static {
		// Static volumes hold data_size bytes per LEB, back to back.
		for lnum := range uint32(count) {
			l, ok := lebs[lnum]
			if !ok {
				break
			}
			d := ubiLEBData(data, peb, ec, size, l)
			if int64(len(out)+len(d)) > b.Remaining() {
				return nil, fmt.Errorf("%w: UBI volume %q expands beyond the %d bytes left", ErrLimit, rec.name, b.Remaining())
			}
			out = append(out, d...)
		}
		return out, nil
	}
	total := int64(count) * int64(size)
	if total > b.Remaining() {
		return nil, fmt.Errorf("%w: UBI volume %q of %d bytes exceeds the %d bytes left", ErrLimit, rec.name, total, b.Remaining())
	}
	out = bytes.Repeat([]byte{0xff}, int(total))
	for lnum, l := range lebs {
		if uint64(lnum) < count {
			copy(out[int64(lnum)*int64(size):], ubiLEBData(data, peb, ec, size, l))
		}
	}
	return out, nil
}

// ubiVolumeMode is the mode given to volume files.
const ubiVolumeMode fs.FileMode = 0o644
