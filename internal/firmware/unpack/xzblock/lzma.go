package xzblock

import (
	"encoding/binary"
	"errors"
)

const (
	numStates    = 12
	posStatesMax = 1 << 4
	lenStates    = 4
	endPosModel  = 14  // first distance slot whose low bits are not modelled individually
	fullDistance = 128 // distances below this have all their bits modelled
	probInit     = 1024
	literalCoder = 0x300
	endMarker    = 0xFFFFFFFF
)

type lenProbs struct {
	choice, choice2 uint16
	low             [posStatesMax][8]uint16
	mid             [posStatesMax][8]uint16
	high            [256]uint16
}

// probs holds every adaptive probability but the literal coders, whose number depends on lc+lp.
type probs struct {
	isMatch    [numStates * posStatesMax]uint16
	isRep      [numStates]uint16
	isRepG0    [numStates]uint16
	isRepG1    [numStates]uint16
	isRepG2    [numStates]uint16
	isRep0Long [numStates * posStatesMax]uint16
	posSlot    [lenStates][64]uint16
	posSpecial [1 + fullDistance - endPosModel]uint16
	align      [16]uint16
	matchLen   lenProbs
	repLen     lenProbs
}

// lzmaState is what an LZMA decoder carries from one LZMA2 chunk to the next.
type lzmaState struct {
	p          probs
	lit        []uint16 // literalCoder probabilities per literal state, 1<<(lc+lp) of them
	lc, lp, pb uint32
	state      uint32
	rep        [4]uint32
}

// setProps installs lc, lp and pb from their packed byte and resets the state; false when the
// byte is out of range.
func (s *lzmaState) setProps(b byte, maxLcLp uint32) bool {
	if b >= 9*5*5 {
		return false
	}
	lc, lp, pb := uint32(b)%9, uint32(b)/9%5, uint32(b)/45
	if lc+lp > maxLcLp {
		return false
	}
	s.lc, s.lp, s.pb = lc, lp, pb
	n := literalCoder << (lc + lp)
	if cap(s.lit) < n {
		s.lit = make([]uint16, n)
	}
	s.lit = s.lit[:n]
	s.reset()
	return true
}

// reset starts the probabilities and the match history afresh (an LZMA2 state reset).
func (s *lzmaState) reset() {
	s.state = 0
	s.rep = [4]uint32{}
	p := &s.p
	for i := range p.isMatch {
		p.isMatch[i] = probInit
	}
	for i := range p.isRep {
		p.isRep[i], p.isRepG0[i], p.isRepG1[i], p.isRepG2[i] = probInit, probInit, probInit, probInit
	}
	for i := range p.isRep0Long {
		p.isRep0Long[i] = probInit
	}
	for i := range p.posSlot {
		for j := range p.posSlot[i] {
			p.posSlot[i][j] = probInit
		}
	}
	for i := range p.posSpecial {
		p.posSpecial[i] = probInit
	}
	for i := range p.align {
		p.align[i] = probInit
	}
	for _, l := range []*lenProbs{&p.matchLen, &p.repLen} {
		l.choice, l.choice2 = probInit, probInit
		for i := range l.low {
			for j := range l.low[i] {
				l.low[i][j], l.mid[i][j] = probInit, probInit
			}
		}
		for i := range l.high {
			l.high[i] = probInit
		}
	}
	for i := range s.lit {
		s.lit[i] = probInit
	}
}

// length decodes a match length minus 2 (0..271).
func (r rc) length(l *lenProbs, posState uint32, in []byte) (rc, uint32) {
	var b, v uint32
	r, b = r.norm(in).bit(&l.choice)
	if b == 0 {
		return r.tree3(&l.low[posState&(posStatesMax-1)], in)
	}
	r, b = r.norm(in).bit(&l.choice2)
	if b == 0 {
		r, v = r.tree3(&l.mid[posState&(posStatesMax-1)], in)
		return r, v + 8
	}
	r, v = r.tree(l.high[:], 8, in)
	return r, v + 16
}

// distance decodes a match distance minus 1; lenState is min(length-2, 3).
func (r rc) distance(p *probs, lenState uint32, in []byte) (rc, uint32) {
	r, slot := r.tree6(&p.posSlot[lenState&3], in)
	if slot < 4 {
		return r, slot
	}
	n := slot>>1 - 1
	dist := (2 | slot&1) << n
	var v uint32
	if slot < endPosModel {
		r, v = r.reverse(p.posSpecial[dist-slot:], n, in)
		return r, dist + v
	}
	r, v = r.direct(n-4, in)
	dist += v << 4
	r, v = r.reverse4(&p.align, in)
	return r, dist + v
}

var (
	errDistance    = errors.New("match distance reaches before the start of the dictionary")
	errPastEnd     = errors.New("match runs past the end of the output")
	errUnexpMarker = errors.New("unexpected end-of-payload marker")
)

// literal decodes the literal at dst[pos]; false if the matched byte lies outside the dictionary.
// It is apart from run to keep run's live variables within the registers.
func (s *lzmaState) literal(r rc, dst []byte, pos, dictStart int, state, rep0 uint32, in []byte) (rc, bool) {
	prev := uint32(0)
	if pos > dictStart {
		prev = uint32(dst[pos-1])
	}
	lc := s.lc // up to 8 in .lzma data
	base := ((uint32(pos)&(1<<s.lp-1))<<lc + prev>>(8-lc)) * literalCoder
	if int(base)+literalCoder > len(s.lit) {
		return r, false // unreachable with lit sized by setProps
	}
	probs := (*[literalCoder]uint16)(s.lit[base : base+literalCoder])
	var b uint32
	sym := uint32(1)
	if state >= 7 {
		// After a match, the bits are predicted from those of the byte at the match distance
		// until one differs.
		mi := pos - int(rep0) - 1
		if mi < dictStart {
			return r, false
		}
		match := uint32(dst[mi])
		off := uint32(0x100)
		for sym < 0x100 {
			match <<= 1
			mb := match & off
			r, b = r.norm(in).bitTree(&probs[off+mb+sym])
			sym = sym<<1 | b
			off &= mb ^ (b - 1)
		}
	} else {
		// Unrolled: the loop's compare and jump would sit between dependent bits.
		r, b = r.norm(in).bitTree(&probs[1])
		sym = 2 | b
		r, b = r.norm(in).bitTree(&probs[sym])
		sym = sym<<1 | b
		r, b = r.norm(in).bitTree(&probs[sym])
		sym = sym<<1 | b
		r, b = r.norm(in).bitTree(&probs[sym])
		sym = sym<<1 | b
		r, b = r.norm(in).bitTree(&probs[sym&0xff])
		sym = sym<<1 | b
		r, b = r.norm(in).bitTree(&probs[sym&0xff])
		sym = sym<<1 | b
		r, b = r.norm(in).bitTree(&probs[sym&0xff])
		sym = sym<<1 | b
		r, b = r.norm(in).bitTree(&probs[sym&0xff])
		sym = sym<<1 | b
	}
	dst[pos] = byte(sym)
	return r, true
}

// run decodes LZMA symbols into dst[pos:end] from in, the dictionary being dst[dictStart:pos].
// It stops at end, or, when marker is set, at an end-of-payload marker, reporting which.
func (s *lzmaState) run(dst []byte, dictStart, pos, end int, in []byte, r rc, marker bool) (rc, int, bool, error) {
	if end > len(dst) || pos < dictStart || dictStart < 0 {
		return r, pos, false, errPastEnd
	}
	// Only the variables every symbol needs are locals; the older match distances rep[1:]
	// stay in s.
	state, rep0 := s.state, s.rep[0]
	var b, n uint32
	var ok bool
	for pos < end {
		posState := uint32(pos) & (1<<s.pb - 1)
		r, b = r.norm(in).bit(&s.p.isMatch[state<<4|posState])
		if b == 0 {
			if r, ok = s.literal(r, dst, pos, dictStart, state, rep0, in); !ok {
				s.state, s.rep[0] = state, rep0
				return r, pos, false, errDistance
			}
			pos++
			switch {
			case state < 4:
				state = 0
			case state < 10:
				state -= 3
			default:
				state -= 6
			}
			continue
		}
		r, b = r.norm(in).bit(&s.p.isRep[state])
		if b == 0 {
			r, n = r.length(&s.p.matchLen, posState, in)
			if state < 7 {
				state = 7
			} else {
				state = 10
			}
			s.rep[3], s.rep[2], s.rep[1] = s.rep[2], s.rep[1], rep0
			r, rep0 = r.distance(&s.p, min(n, 3), in)
			if rep0 == endMarker {
				s.state, s.rep[0] = state, rep0
				if marker {
					return r, pos, true, nil
				}
				return r, pos, false, errUnexpMarker
			}
		} else {
			r, b = r.norm(in).bit(&s.p.isRepG0[state])
			if b == 0 {
				r, b = r.norm(in).bit(&s.p.isRep0Long[state<<4|posState])
				if b == 0 {
					if state < 7 {
						state = 9
					} else {
						state = 11
					}
					if uint(rep0) >= uint(pos-dictStart) {
						break
					}
					dst[pos] = dst[pos-int(rep0)-1]
					pos++
					continue
				}
			} else {
				r, rep0 = s.olderRep(r, state, rep0, in)
			}
			r, n = r.length(&s.p.repLen, posState, in)
			if state < 7 {
				state = 8
			} else {
				state = 11
			}
		}
		if uint(rep0) >= uint(pos-dictStart) {
			break
		}
		length := int(n) + 2
		if length > end-pos {
			s.state, s.rep[0] = state, rep0
			return r, pos, false, errPastEnd
		}
		pos = copyMatch(dst, pos, end, int(rep0)+1, length)
	}
	s.state, s.rep[0] = state, rep0
	if pos < end {
		return r, pos, false, errDistance
	}
	return r, pos, false, nil
}

// olderRep decodes which of rep1..rep3 a repeated match uses and moves it to the front.
func (s *lzmaState) olderRep(r rc, state, rep0 uint32, in []byte) (rc, uint32) {
	var b, dist uint32
	r, b = r.norm(in).bit(&s.p.isRepG1[state])
	if b == 0 {
		dist = s.rep[1]
	} else {
		r, b = r.norm(in).bit(&s.p.isRepG2[state])
		if b == 0 {
			dist = s.rep[2]
		} else {
			dist = s.rep[3]
			s.rep[3] = s.rep[2]
		}
		s.rep[2] = s.rep[1]
	}
	s.rep[1] = rep0
	return r, dist
}

// copyMatch appends length bytes from dist bytes back, which the caller has checked lie within
// dst[:end] and the dictionary, and returns the new position.
func copyMatch(dst []byte, pos, end, dist, length int) int {
	from := pos - dist
	if length <= 16 && dist >= 8 && end-pos >= 16 {
		// Most matches are a few bytes long: two word copies beat a call to memmove. They may
		// write up to 16 bytes, all before end, which later symbols overwrite; with dist >= 8
		// the second word reads bytes the first wrote just as a byte-wise copy would.
		binary.LittleEndian.PutUint64(dst[pos:], binary.LittleEndian.Uint64(dst[from:]))
		binary.LittleEndian.PutUint64(dst[pos+8:], binary.LittleEndian.Uint64(dst[from+8:]))
		return pos + length
	}
	if length <= dist {
		copy(dst[pos:pos+length], dst[from:from+length])
		return pos + length
	}
	// The match overlaps its own output; each copy doubles what can be taken at once.
	for length > 0 {
		k := copy(dst[pos:pos+length], dst[from:pos])
		pos += k
		length -= k
	}
	return pos
}
