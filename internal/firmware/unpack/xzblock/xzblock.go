// Package xzblock decodes a whole .xz stream, or legacy .lzma (lzma_alone) data, in one call into
// a caller's buffer, as squashfs stores its xz and lzma blocks.
//
// Knowing that all of the output fits in dst lets the decoder use dst itself as the dictionary:
// matches copy from earlier bytes of dst, with no circular buffer and no copy out of it, which is
// what makes it faster than a streaming decoder. Every malformed input is reported as an *Error
// giving the byte offset in src where decoding failed.
package xzblock

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"hash/crc64"
	"math"
	"sync"
)

// ErrTooBig says the data decodes to more than len(dst) bytes.
var ErrTooBig = errors.New("decoded data exceeds the destination buffer")

// ErrDictTooLarge says the stream declares a dictionary above the decoder's maximum.
var ErrDictTooLarge = errors.New("dictionary larger than allowed")

// Error is a malformed input: what was wrong, and at which byte offset of src.
type Error struct {
	Offset int
	What   string
	Err    error // ErrTooBig, ErrDictTooLarge, or a detail of the LZMA data; may be nil
}

// Error formats the error with its offset.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("xz: byte %d: %s: %v", e.Offset, e.What, e.Err)
	}
	return fmt.Sprintf("xz: byte %d: %s", e.Offset, e.What)
}

// Unwrap returns the underlying error, so errors.Is finds ErrTooBig and ErrDictTooLarge.
func (e *Error) Unwrap() error { return e.Err }

func errAt(off int, what string, err error) error {
	return &Error{Offset: off, What: what, Err: err}
}

// Decoder decodes .xz and .lzma data, keeping its probability tables between calls so a
// decoder reused for many blocks allocates nothing. It is not safe for concurrent use.
type Decoder struct {
	maxDict uint32
	lzma    lzmaState
	records []indexRecord
}

// NewDecoder returns a decoder that rejects data declaring a dictionary above maxDict bytes.
// Output never needs more memory than dst, whatever the dictionary, but a declared size far above
// what the data's producer uses (squashfs: the block size) marks the data as forged.
func NewDecoder(maxDict int64) *Decoder {
	return &Decoder{maxDict: uint32(min(max(maxDict, 0), math.MaxUint32))}
}

var pool = sync.Pool{New: func() any { return NewDecoder(math.MaxUint32) }}

// Decode decodes the .xz stream src into dst and returns the number of bytes written. Any
// dictionary size is accepted; use a Decoder to bound it.
func Decode(dst, src []byte) (int, error) {
	d := pool.Get().(*Decoder)
	defer pool.Put(d)
	return d.Decode(dst, src)
}

// DecodeLZMA decodes the lzma_alone data src (13-byte header, then LZMA) into dst and returns
// the number of bytes written. Any dictionary size is accepted; use a Decoder to bound it.
func DecodeLZMA(dst, src []byte) (int, error) {
	d := pool.Get().(*Decoder)
	defer pool.Put(d)
	return d.DecodeLZMA(dst, src)
}

var (
	xzMagic     = []byte{0xFD, '7', 'z', 'X', 'Z', 0}
	footerMagic = []byte{'Y', 'Z'}
	crc64Table  = crc64.MakeTable(crc64.ECMA)
)

const (
	checkNone   = 0
	checkCRC32  = 1
	checkCRC64  = 4
	checkSHA256 = 10
)

type indexRecord struct{ unpadded, uncompressed uint64 }

// Decode decodes the .xz stream src into dst and returns the number of bytes written. The stream
// may hold any number of blocks, each with a filter chain of BCJ filters and LZMA2, and may be
// followed by stream padding but not by another stream. On error the count says how far
// decoding got; those bytes are not verified.
func (d *Decoder) Decode(dst, src []byte) (int, error) {
	if len(src) < 12 {
		return 0, errAt(len(src), "stream header truncated", nil)
	}
	if !bytes.Equal(src[:6], xzMagic) {
		return 0, errAt(0, "not an xz stream", nil)
	}
	flags := src[6:8]
	if flags[0] != 0 || flags[1] > 0x0F {
		return 0, errAt(6, fmt.Sprintf("unsupported stream flags 0x%02x%02x", flags[0], flags[1]), nil)
	}
	if crc32.ChecksumIEEE(flags) != binary.LittleEndian.Uint32(src[8:12]) {
		return 0, errAt(8, "stream header CRC32 mismatch", nil)
	}
	check := flags[1]
	var checkSize int
	switch check {
	case checkNone:
	case checkCRC32:
		checkSize = 4
	case checkCRC64:
		checkSize = 8
	case checkSHA256:
		checkSize = 32
	default:
		return 0, errAt(7, fmt.Sprintf("unsupported check type %d", check), nil)
	}

	off, pos := 12, 0
	d.records = d.records[:0]
	for {
		if off >= len(src) {
			return pos, errAt(off, "stream truncated before its index", nil)
		}
		if src[off] == 0 {
			break
		}
		outStart := pos
		var unpadded int
		var err error
		if off, pos, unpadded, err = d.block(dst, pos, src, off, check, checkSize); err != nil {
			return pos, err
		}
		d.records = append(d.records, indexRecord{uint64(unpadded), uint64(pos - outStart)})
	}

	indexStart := off
	if err := d.index(src, &off); err != nil {
		return pos, err
	}
	indexSize := off - indexStart

	if len(src)-off < 12 {
		return pos, errAt(len(src), "stream footer truncated", nil)
	}
	foot := src[off : off+12]
	if crc32.ChecksumIEEE(foot[4:10]) != binary.LittleEndian.Uint32(foot[:4]) {
		return pos, errAt(off, "stream footer CRC32 mismatch", nil)
	}
	if backward := (int64(binary.LittleEndian.Uint32(foot[4:8])) + 1) * 4; backward != int64(indexSize) {
		return pos, errAt(off+4, fmt.Sprintf("stream footer gives an index of %d bytes, not %d", backward, indexSize), nil)
	}
	if !bytes.Equal(foot[8:10], flags) {
		return pos, errAt(off+8, "stream footer flags differ from the header's", nil)
	}
	if !bytes.Equal(foot[10:], footerMagic) {
		return pos, errAt(off+10, "bad stream footer magic", nil)
	}
	off += 12
	// Stream padding: zero bytes in groups of four; anything else would be a second stream,
	// which a squashfs block never holds.
	for i := off; i < len(src); i++ {
		if src[i] != 0 {
			return pos, errAt(i, "data after the end of the stream", nil)
		}
	}
	if (len(src)-off)%4 != 0 {
		return pos, errAt(off, "stream padding not a multiple of four bytes", nil)
	}
	return pos, nil
}

// filter is one entry of a block's filter chain.
type filter struct {
	id    uint64
	props []byte
	off   int // offset of the entry in src, for errors
}

const filterLZMA2 = 0x21

// block decodes the block at src[off] into dst[pos:], verifying its header, padding and check.
// It returns the offsets past the block in src and dst, and the block's unpadded size (all
// but its padding) that the index records.
func (d *Decoder) block(dst []byte, pos int, src []byte, off int, check byte, checkSize int) (int, int, int, error) {
	hsize := (int(src[off]) + 1) * 4
	if hsize > len(src)-off {
		return off, pos, 0, errAt(off, "block header truncated", nil)
	}
	h := src[off : off+hsize-4]
	if crc32.ChecksumIEEE(h) != binary.LittleEndian.Uint32(src[off+hsize-4:]) {
		return off, pos, 0, errAt(off+hsize-4, "block header CRC32 mismatch", nil)
	}
	bflags := h[1]
	if bflags&0x3C != 0 {
		return off, pos, 0, errAt(off+1, fmt.Sprintf("reserved block flags set (0x%02x)", bflags), nil)
	}
	p := 2
	var csize, usize uint64
	var ok bool
	if bflags&0x40 != 0 {
		if csize, p, ok = vli(h, p); !ok || csize == 0 {
			return off, pos, 0, errAt(off+p, "invalid compressed size in block header", nil)
		}
	}
	if bflags&0x80 != 0 {
		if usize, p, ok = vli(h, p); !ok {
			return off, pos, 0, errAt(off+p, "invalid uncompressed size in block header", nil)
		}
	}
	var chain [4]filter
	nf := int(bflags&3) + 1
	for i := range nf {
		f := &chain[i]
		f.off = off + p
		var n uint64
		if f.id, p, ok = vli(h, p); !ok {
			return off, pos, 0, errAt(off+p, "invalid filter id in block header", nil)
		}
		if n, p, ok = vli(h, p); !ok || n > uint64(len(h)-p) {
			return off, pos, 0, errAt(off+p, "invalid filter properties size in block header", nil)
		}
		f.props = h[p : p+int(n)]
		p += int(n)
	}
	for i := p; i < len(h); i++ {
		if h[i] != 0 {
			return off, pos, 0, errAt(off+i, "nonzero block header padding", nil)
		}
	}
	for i, f := range chain[:nf] {
		last := i == nf-1
		if last != (f.id == filterLZMA2) {
			if last {
				return off, pos, 0, errAt(f.off, fmt.Sprintf("filter chain ends in filter 0x%x, not LZMA2", f.id), nil)
			}
			return off, pos, 0, errAt(f.off, "LZMA2 filter before the end of the filter chain", nil)
		}
		if last {
			if err := d.checkLZMA2Props(f); err != nil {
				return off, pos, 0, err
			}
		} else if err := checkBCJ(f); err != nil {
			return off, pos, 0, err
		}
	}

	dataStart := off + hsize
	outStart := pos
	pos, off, err := d.lzma2(dst, pos, src, dataStart)
	if err != nil {
		return off, pos, 0, err
	}
	unpadded := hsize + (off - dataStart) + checkSize
	if bflags&0x40 != 0 && uint64(off-dataStart) != csize {
		return off, pos, 0, errAt(dataStart, fmt.Sprintf("block holds %d compressed bytes, its header says %d", off-dataStart, csize), nil)
	}
	if bflags&0x80 != 0 && uint64(pos-outStart) != usize {
		return off, pos, 0, errAt(dataStart, fmt.Sprintf("block decodes to %d bytes, its header says %d", pos-outStart, usize), nil)
	}
	out := dst[outStart:pos]
	for i := nf - 2; i >= 0; i-- {
		runBCJ(chain[i], out)
	}
	for off&3 != 0 {
		if off >= len(src) {
			return off, pos, 0, errAt(off, "block padding truncated", nil)
		}
		if src[off] != 0 {
			return off, pos, 0, errAt(off, "nonzero block padding", nil)
		}
		off++
	}
	if checkSize > len(src)-off {
		return off, pos, 0, errAt(len(src), "block check truncated", nil)
	}
	if !checkMatches(check, out, src[off:off+checkSize]) {
		return off, pos, 0, errAt(off, "block check mismatch", nil)
	}
	return off + checkSize, pos, unpadded, nil
}

func (d *Decoder) checkLZMA2Props(f filter) error {
	if len(f.props) != 1 || f.props[0] > 40 {
		return errAt(f.off, "invalid LZMA2 filter properties", nil)
	}
	b := f.props[0]
	dict := uint32(math.MaxUint32)
	if b < 40 {
		dict = (2 | uint32(b)&1) << (b/2 + 11)
	}
	if dict > d.maxDict {
		return errAt(f.off, fmt.Sprintf("LZMA2 dictionary of %d bytes, above the maximum %d", dict, d.maxDict), ErrDictTooLarge)
	}
	return nil
}

func checkMatches(check byte, data, want []byte) bool {
	switch check {
	case checkCRC32:
		return crc32.ChecksumIEEE(data) == binary.LittleEndian.Uint32(want)
	case checkCRC64:
		return crc64.Checksum(data, crc64Table) == binary.LittleEndian.Uint64(want)
	case checkSHA256:
		sum := sha256.Sum256(data)
		return bytes.Equal(sum[:], want)
	}
	return true
}

// index verifies the index at src[*off] against the blocks decoded, advancing *off past it.
func (d *Decoder) index(src []byte, off *int) error {
	start := *off
	p := start + 1 // past the index indicator
	n, p, ok := vli(src, p)
	if !ok {
		return errAt(p, "invalid record count in index", nil)
	}
	if n != uint64(len(d.records)) {
		return errAt(start+1, fmt.Sprintf("index lists %d blocks, the stream has %d", n, len(d.records)), nil)
	}
	for _, rec := range d.records {
		var unpadded, usize uint64
		at := p
		if unpadded, p, ok = vli(src, p); !ok {
			return errAt(p, "invalid unpadded size in index", nil)
		}
		if usize, p, ok = vli(src, p); !ok {
			return errAt(p, "invalid uncompressed size in index", nil)
		}
		if unpadded != rec.unpadded || usize != rec.uncompressed {
			return errAt(at, "index record differs from its block", nil)
		}
	}
	for ; (p-start)&3 != 0; p++ {
		if p >= len(src) {
			return errAt(p, "index truncated", nil)
		}
		if src[p] != 0 {
			return errAt(p, "nonzero index padding", nil)
		}
	}
	if len(src)-p < 4 {
		return errAt(len(src), "index CRC32 truncated", nil)
	}
	if crc32.ChecksumIEEE(src[start:p]) != binary.LittleEndian.Uint32(src[p:]) {
		return errAt(p, "index CRC32 mismatch", nil)
	}
	*off = p + 4
	return nil
}

// vli reads the variable-length integer at b[p], returning it and the offset past it; false
// when it is truncated, longer than nine bytes or not minimally encoded.
func vli(b []byte, p int) (uint64, int, bool) {
	var v uint64
	for i := range 9 {
		if p >= len(b) {
			return 0, p, false
		}
		c := b[p]
		p++
		v |= uint64(c&0x7F) << (7 * i)
		if c&0x80 == 0 {
			return v, p, i == 0 || c != 0
		}
	}
	return 0, p, false
}

// DecodeLZMA decodes the lzma_alone data src into dst and returns the number of bytes written.
// The header's uncompressed size, when not "unknown", must fit in dst; otherwise the data must
// end with an end-of-payload marker within len(dst) bytes.
func (d *Decoder) DecodeLZMA(dst, src []byte) (int, error) {
	if len(src) < 13 {
		return 0, errAt(len(src), "lzma header truncated", nil)
	}
	s := &d.lzma
	if !s.setProps(src[0], 8+4) {
		return 0, errAt(0, fmt.Sprintf("invalid LZMA properties 0x%02x", src[0]), nil)
	}
	if dict := binary.LittleEndian.Uint32(src[1:5]); dict > d.maxDict {
		return 0, errAt(1, fmt.Sprintf("LZMA dictionary of %d bytes, above the maximum %d", dict, d.maxDict), ErrDictTooLarge)
	}
	size := binary.LittleEndian.Uint64(src[5:13])
	known := size != math.MaxUint64
	end := len(dst)
	if known {
		if size > uint64(len(dst)) {
			return 0, errAt(5, fmt.Sprintf("lzma header size %d", size), ErrTooBig)
		}
		end = int(size)
	}
	in := src[13:]
	r, ok := newRC(in)
	if !ok {
		return 0, errAt(13, "invalid range coder start", nil)
	}
	if end == 0 && known {
		return 0, nil
	}
	r, pos, eos, err := s.run(dst, 0, 0, end, in, r, true)
	if int(r.ip) > len(in) {
		return pos, errAt(len(src), "lzma data truncated", nil)
	}
	if err != nil {
		if errors.Is(err, errPastEnd) && !known {
			err = ErrTooBig
		}
		return pos, errAt(13+int(r.ip), "lzma data", err)
	}
	if known {
		if eos {
			return pos, errAt(13+int(r.ip), fmt.Sprintf("end marker after %d of the %d bytes the header states", pos, size), nil)
		}
		return pos, nil
	}
	if !eos {
		// dst is full; the data is only complete if what follows is the end marker.
		r, eos = s.marker(r, pos, in)
		if int(r.ip) > len(in) {
			return pos, errAt(len(src), "lzma data truncated", nil)
		}
		if !eos {
			return pos, errAt(13+int(r.ip), "lzma data", ErrTooBig)
		}
	}
	if r = r.norm(in); int(r.ip) > len(in) {
		return pos, errAt(len(src), "lzma data truncated", nil)
	}
	if r.code != 0 {
		return pos, errAt(13+int(r.ip), "range coder not finished at the end marker", nil)
	}
	return pos, nil
}

// marker reports whether the next LZMA symbol is the end-of-payload marker.
func (s *lzmaState) marker(r rc, pos int, in []byte) (rc, bool) {
	posState := uint32(pos) & (1<<s.pb - 1)
	var b, n, dist uint32
	r, b = r.norm(in).bit(&s.p.isMatch[(s.state<<4 | posState)])
	if b == 0 {
		return r, false
	}
	r, b = r.norm(in).bit(&s.p.isRep[s.state])
	if b != 0 {
		return r, false
	}
	r, n = r.length(&s.p.matchLen, posState, in)
	r, dist = r.distance(&s.p, min(n, 3), in)
	return r, dist == endMarker
}
