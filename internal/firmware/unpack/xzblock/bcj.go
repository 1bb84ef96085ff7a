package xzblock

import (
	"encoding/binary"
	"fmt"
)

// Branch/call/jump filter ids. Each rewrites the relative target addresses of one instruction
// set's branches as absolute ones before compression, so repeated calls to a function compress
// alike; decoding turns them back. Data decodes whole into dst, so a filter runs once over a
// block's output, and the tail too short to hold an instruction stays as it is, as at the end of
// a stream.
const (
	filterDelta    = 0x03
	filterX86      = 0x04
	filterPowerPC  = 0x05
	filterIA64     = 0x06
	filterARM      = 0x07
	filterARMThumb = 0x08
	filterSPARC    = 0x09
	filterARM64    = 0x0A
	filterRISCV    = 0x0B
)

// checkBCJ verifies that a non-final filter is a supported BCJ filter with valid properties: none,
// or a 32-bit start offset aligned to the filter's instruction size.
func checkBCJ(f filter) error {
	var align uint32
	switch f.id {
	case filterX86:
		align = 1
	case filterPowerPC, filterARM, filterSPARC:
		align = 4
	case filterARMThumb:
		align = 2
	case filterIA64:
		align = 16
	case filterDelta:
		return errAt(f.off, "unsupported filter: delta", nil)
	case filterARM64, filterRISCV:
		return errAt(f.off, fmt.Sprintf("unsupported BCJ filter 0x%02x", f.id), nil)
	default:
		return errAt(f.off, fmt.Sprintf("unknown filter 0x%x", f.id), nil)
	}
	switch len(f.props) {
	case 0:
	case 4:
		if binary.LittleEndian.Uint32(f.props)%align != 0 {
			return errAt(f.off, "BCJ start offset not aligned to the instruction size", nil)
		}
	default:
		return errAt(f.off, "invalid BCJ filter properties", nil)
	}
	return nil
}

// runBCJ undoes the BCJ filter f (validated by checkBCJ) over b.
func runBCJ(f filter, b []byte) {
	var start uint32
	if len(f.props) == 4 {
		start = binary.LittleEndian.Uint32(f.props)
	}
	switch f.id {
	case filterX86:
		x86(b, start)
	case filterPowerPC:
		powerPC(b, start)
	case filterIA64:
		ia64(b, start)
	case filterARM:
		arm(b, start)
	case filterARMThumb:
		armThumb(b, start)
	case filterSPARC:
		sparc(b, start)
	}
}

// x86 converts the 32-bit operands of E8 (call) and E9 (jmp) back to relative. An operand whose
// top byte is neither 00 nor FF is not a plausible near target and was left alone by the encoder;
// prevMask remembers which of the previous bytes were E8/E9 candidates, since the encoder
// skipped operands overlapping those as well.
func x86(b []byte, start uint32) {
	if len(b) < 5 {
		return
	}
	plausible := func(c byte) bool { return c == 0 || c == 0xFF }
	allowed := [8]bool{true, true, true, false, true, false, false, false}
	bitNumber := [8]uint32{0, 1, 2, 2, 3, 3, 3, 3}
	var prevMask uint32
	prevPos := -5
	for i := 0; i <= len(b)-5; {
		if b[i]&0xFE != 0xE8 {
			i++
			continue
		}
		if gap := i - prevPos; gap > 5 {
			prevMask = 0
		} else {
			for range gap {
				prevMask = (prevMask & 0x77) << 1
			}
		}
		prevPos = i
		top := b[i+4]
		if !plausible(top) || !allowed[(prevMask>>1)&7] || prevMask>>1 >= 0x10 {
			i++
			prevMask |= 1
			if plausible(top) {
				prevMask |= 0x10
			}
			continue
		}
		src := binary.LittleEndian.Uint32(b[i+1:])
		var dest uint32
		for {
			dest = src - (start + uint32(i) + 5)
			if prevMask == 0 {
				break
			}
			k := bitNumber[(prevMask>>1)&7]
			if !plausible(byte(dest >> (24 - k*8))) {
				break
			}
			src = dest ^ (1<<(32-k*8) - 1)
		}
		dest &= 0x01FFFFFF
		if dest&0x01000000 != 0 {
			dest |= 0xFF000000
		}
		binary.LittleEndian.PutUint32(b[i+1:], dest)
		i += 5
		prevMask = 0
	}
}

// arm converts the 24-bit word offsets of BL instructions.
func arm(b []byte, start uint32) {
	for i := 0; i+4 <= len(b); i += 4 {
		if b[i+3] != 0xEB {
			continue
		}
		src := (uint32(b[i+2])<<16 | uint32(b[i+1])<<8 | uint32(b[i])) << 2
		dest := (src - (start + uint32(i) + 8)) >> 2
		b[i+2], b[i+1], b[i] = byte(dest>>16), byte(dest>>8), byte(dest)
	}
}

// armThumb converts the 22-bit halfword offsets of Thumb BL instruction pairs.
func armThumb(b []byte, start uint32) {
	for i := 0; i+4 <= len(b); i += 2 {
		if b[i+1]&0xF8 != 0xF0 || b[i+3]&0xF8 != 0xF8 {
			continue
		}
		src := (uint32(b[i+1]&7)<<19 | uint32(b[i])<<11 | uint32(b[i+3]&7)<<8 | uint32(b[i+2])) << 1
		dest := (src - (start + uint32(i) + 4)) >> 1
		b[i+1] = 0xF0 | byte(dest>>19)&7
		b[i] = byte(dest >> 11)
		b[i+3] = 0xF8 | byte(dest>>8)&7
		b[i+2] = byte(dest)
		i += 2
	}
}

// powerPC converts the 24-bit offsets of big-endian "bl" instructions (opcode 18, AA=0, LK=1).
func powerPC(b []byte, start uint32) {
	for i := 0; i+4 <= len(b); i += 4 {
		if b[i]>>2 != 0x12 || b[i+3]&3 != 1 {
			continue
		}
		src := binary.BigEndian.Uint32(b[i:]) & 0x03FFFFFC
		dest := src - (start + uint32(i))
		binary.BigEndian.PutUint32(b[i:], 0x48000000|dest&0x03FFFFFC|1)
	}
}

// sparc converts the 30-bit word offsets of "call" instructions whose offsets fit 22 bits.
func sparc(b []byte, start uint32) {
	for i := 0; i+4 <= len(b); i += 4 {
		if !(b[i] == 0x40 && b[i+1]&0xC0 == 0) && !(b[i] == 0x7F && b[i+1]&0xC0 == 0xC0) {
			continue
		}
		src := binary.BigEndian.Uint32(b[i:]) << 2
		dest := (src - (start + uint32(i))) >> 2
		dest = (0-(dest>>22)&1)<<22&0x3FFFFFFF | dest&0x3FFFFF | 0x40000000
		binary.BigEndian.PutUint32(b[i:], dest)
	}
}

// ia64 converts the 21-bit bundle offsets of branch slots in 128-bit IA-64 bundles; the
// template (low five bits) says which of the three 41-bit slots hold branch instructions.
func ia64(b []byte, start uint32) {
	branchSlots := [32]uint32{
		0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0,
		4, 4, 6, 6, 0, 0, 7, 7,
		4, 4, 0, 0, 4, 4, 0, 0,
	}
	for i := 0; i+16 <= len(b); i += 16 {
		mask := branchSlots[b[i]&0x1F]
		for slot, bitPos := uint32(0), uint32(5); slot < 3; slot, bitPos = slot+1, bitPos+41 {
			if (mask>>slot)&1 == 0 {
				continue
			}
			bytePos := i + int(bitPos>>3)
			shift := bitPos & 7
			var instr uint64
			for j := range 6 {
				instr |= uint64(b[bytePos+j]) << (8 * j)
			}
			norm := instr >> shift
			if (norm>>37)&0xF != 0x5 || (norm>>9)&0x7 != 0 {
				continue
			}
			src := uint32((norm>>13)&0xFFFFF) | uint32((norm>>36)&1)<<20
			src <<= 4
			dest := (src - (start + uint32(i))) >> 4
			norm &^= uint64(0x8FFFFF) << 13
			norm |= uint64(dest&0xFFFFF) << 13
			norm |= uint64(dest&0x100000) << (36 - 20)
			instr &= 1<<shift - 1
			instr |= norm << shift
			for j := range 6 {
				b[bytePos+j] = byte(instr >> (8 * j))
			}
		}
	}
}
