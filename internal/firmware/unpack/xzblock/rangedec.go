package xzblock

// rc is the LZMA range decoder. It is passed and returned by value so that the compiler keeps
// its three fields in registers through the hot loop; a pointer receiver would pin them in
// memory, and every bit decoded depends on the previous one, so a store-to-load round trip per
// bit would lengthen the critical path.
type rc struct {
	rng, code uint32
	ip        uint // next byte of in to read
}

// newRC starts a range decoder on in, whose first byte must be zero and next four the code.
func newRC(in []byte) (rc, bool) {
	if len(in) < 5 || in[0] != 0 {
		return rc{}, false
	}
	code := uint32(in[1])<<24 | uint32(in[2])<<16 | uint32(in[3])<<8 | uint32(in[4])
	return rc{rng: 0xFFFFFFFF, code: code, ip: 5}, true
}

// norm shifts in the next byte when the range has narrowed below 2^24, as must happen before
// every bit. It is separate from bit so that both stay within the compiler's inlining budget.
// Reading past the end of in yields zero bytes instead of a bounds check and a branch per byte;
// the caller detects the overrun afterwards, since ip then exceeds len(in).
func (r rc) norm(in []byte) rc {
	if r.rng < 1<<24 {
		var c byte
		if r.ip < uint(len(in)) {
			c = in[r.ip]
		}
		r.ip++
		r.rng <<= 8
		r.code = r.code<<8 | uint32(c)
	}
	return r
}

// bit decodes one bit under the adaptive probability *p; norm must come first.
func (r rc) bit(p *uint16) (rc, uint32) {
	prob := uint32(*p)
	bound := (r.rng >> 11) * prob
	var b uint32
	if r.code < bound {
		r.rng = bound
		prob += (2048 - prob) >> 5
	} else {
		r.rng -= bound
		r.code -= bound
		prob -= prob >> 5
		b = 1
	}
	*p = uint16(prob)
	return r, b
}

// bitTree is bit without branches, for the bits of symbols decoded through bit trees, which are
// too random for branch prediction: a mispredicted branch costs more than the arithmetic of
// both outcomes.
func (r rc) bitTree(p *uint16) (rc, uint32) {
	prob := uint32(*p)
	bound := (r.rng >> 11) * prob
	m := uint32((uint64(r.code)-uint64(bound))>>63) - 1 // all ones for a 1 bit
	r.code -= bound & m
	r.rng = bound + (r.rng-2*bound)&m
	// Moving prob 1/32 of the way towards 2048 (bit 0) or 31 (bit 1), rounding down, is
	// exactly the update of bit: prob += (2048-prob)>>5 or prob -= prob>>5.
	target := 31 + 2017&^m
	*p = uint16(int32(prob) + (int32(target)-int32(prob))>>5)
	return r, m & 1
}

// tree decodes an n-bit symbol, most significant bit first, from the bit tree p[1:1<<n].
func (r rc) tree(p []uint16, n uint32, in []byte) (rc, uint32) {
	sym := uint32(1)
	for range n {
		var b uint32
		r, b = r.norm(in).bitTree(&p[sym])
		sym = sym<<1 | b
	}
	return r, sym - 1<<n
}

// tree3 is tree for the 3-bit length symbols, unrolled.
func (r rc) tree3(p *[8]uint16, in []byte) (rc, uint32) {
	var b uint32
	sym := uint32(1)
	r, b = r.norm(in).bitTree(&p[1])
	sym = sym<<1 | b
	r, b = r.norm(in).bitTree(&p[sym])
	sym = sym<<1 | b
	r, b = r.norm(in).bitTree(&p[sym&7])
	sym = sym<<1 | b
	return r, sym - 8
}

// tree6 is tree for the 6-bit distance slots, the index masked so it needs no bounds checks.
func (r rc) tree6(p *[64]uint16, in []byte) (rc, uint32) {
	var b uint32
	sym := uint32(1)
	for range 6 {
		r, b = r.norm(in).bitTree(&p[sym&63])
		sym = sym<<1 | b
	}
	return r, sym - 64
}

// reverse decodes an n-bit symbol, least significant bit first, from the bit tree p[1:1<<n].
func (r rc) reverse(p []uint16, n uint32, in []byte) (rc, uint32) {
	m, sym := uint32(1), uint32(0)
	for i := range n {
		var b uint32
		r, b = r.norm(in).bitTree(&p[m])
		m = m<<1 | b
		sym |= b << i
	}
	return r, sym
}

// reverse4 is reverse for the four low bits of long distances, unrolled.
func (r rc) reverse4(p *[16]uint16, in []byte) (rc, uint32) {
	var b0, b1, b2, b3 uint32
	r, b0 = r.norm(in).bitTree(&p[1])
	r, b1 = r.norm(in).bitTree(&p[2|b0])
	r, b2 = r.norm(in).bitTree(&p[(4|b0<<1|b1)&15])
	r, b3 = r.norm(in).bitTree(&p[(8|b0<<2|b1<<1|b2)&15])
	return r, b3<<3 | b2<<2 | b1<<1 | b0
}

// direct decodes n bits of even probability.
func (r rc) direct(n uint32, in []byte) (rc, uint32) {
	var v uint32
	for range n {
		r = r.norm(in)
		r.rng >>= 1
		r.code -= r.rng
		t := 0 - (r.code >> 31) // all ones when the bit is 0
		r.code += r.rng & t
		v = v<<1 + t + 1
	}
	return r, v
}
