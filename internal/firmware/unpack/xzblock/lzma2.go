package xzblock

import "fmt"

// lzma2 decodes the LZMA2 chunks that start at src[off] into dst[pos:], the block's output
// starting at pos. It returns the end of the output and the offset just past the end-of-data
// control byte.
func (d *Decoder) lzma2(dst []byte, pos int, src []byte, off int) (int, int, error) {
	s := &d.lzma
	needDictReset, needProps := true, true
	dictStart := pos
	for {
		if off >= len(src) {
			return pos, off, errAt(off, "LZMA2 data truncated", nil)
		}
		c := src[off]
		if c == 0 {
			return pos, off + 1, nil
		}
		if c > 2 && c < 0x80 {
			return pos, off, errAt(off, fmt.Sprintf("invalid LZMA2 chunk control 0x%02x", c), nil)
		}
		if c >= 0xE0 || c == 1 {
			needProps, needDictReset = true, false
			dictStart = pos
		} else if needDictReset {
			return pos, off, errAt(off, fmt.Sprintf("LZMA2 chunk control 0x%02x without the dictionary reset the first chunk needs", c), nil)
		}
		if c < 0x80 { // 1 or 2: an uncompressed chunk
			if off+3 > len(src) {
				return pos, off, errAt(off, "LZMA2 chunk header truncated", nil)
			}
			n := int(src[off+1])<<8 | int(src[off+2]) + 1
			off += 3
			if n > len(dst)-pos {
				return pos, off, errAt(off, "uncompressed LZMA2 chunk", ErrTooBig)
			}
			if n > len(src)-off {
				return pos, off, errAt(len(src), "uncompressed LZMA2 chunk truncated", nil)
			}
			copy(dst[pos:], src[off:off+n])
			pos += n
			off += n
			continue
		}
		hdr := 5
		if c >= 0xC0 {
			hdr = 6
		}
		if off+hdr > len(src) {
			return pos, off, errAt(off, "LZMA2 chunk header truncated", nil)
		}
		usize := int(c&0x1F)<<16 | int(src[off+1])<<8 | int(src[off+2]) + 1
		csize := int(src[off+3])<<8 | int(src[off+4]) + 1
		switch {
		case c >= 0xC0:
			if !s.setProps(src[off+5], 4) {
				return pos, off, errAt(off+5, fmt.Sprintf("invalid LZMA properties 0x%02x (lc+lp at most 4, pb at most 4)", src[off+5]), nil)
			}
			needProps = false
		case needProps:
			return pos, off, errAt(off, fmt.Sprintf("LZMA2 chunk control 0x%02x without the properties a chunk after a dictionary reset needs", c), nil)
		case c >= 0xA0:
			s.reset()
		}
		off += hdr
		if usize > len(dst)-pos {
			return pos, off, errAt(off, "LZMA2 chunk", ErrTooBig)
		}
		if csize > len(src)-off {
			return pos, off, errAt(len(src), "LZMA2 chunk truncated", nil)
		}
		in := src[off : off+csize]
		r, ok := newRC(in)
		if !ok {
			return pos, off, errAt(off, "invalid range coder start in LZMA2 chunk", nil)
		}
		var err error
		r, pos, _, err = s.run(dst, dictStart, pos, pos+usize, in, r, false)
		if err != nil {
			return pos, off, errAt(off+min(int(r.ip), csize), "LZMA2 chunk", err)
		}
		// The encoder's flush leaves the range coder as if normalized after the last bit.
		r = r.norm(in)
		if int(r.ip) > csize {
			return pos, off, errAt(off+csize, "LZMA2 chunk needs more compressed bytes than its header states", nil)
		}
		if int(r.ip) != csize || r.code != 0 {
			return pos, off, errAt(off+int(r.ip), "LZMA2 chunk ends before its stated compressed size", nil)
		}
		off += csize
	}
}
