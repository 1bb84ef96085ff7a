package version

import (
	"fmt"
	"strings"
)

// pep440Rules orders Python distribution versions by PEP 440 ("Version Identification and
// Dependency Specification"), including its normalization rules (1.0RC1 == 1.0rc1, 1.0-1 ==
// 1.0.post1, alpha == a) — the rules pip applies.
type pep440Rules struct{}

func (pep440Rules) Ecosystem() string { return "PyPI" }

// Pre-release phases; preNone sorts after every phase, preDevOnly (a dev release of the final
// version, 1.0.dev1) before all of them.
const (
	preDevOnly = iota
	preAlpha
	preBeta
	preRC
	preNone
)

type pep440V struct {
	raw      string
	epoch    uint64
	release  []uint64 // trailing zeros removed
	pre      int
	preN     uint64
	hasPost  bool
	postN    uint64
	hasDev   bool
	devN     uint64
	local    []localSegment
	hasLocal bool
}

type localSegment struct {
	num   uint64
	isNum bool
	str   string
}

func (v *pep440V) String() string { return v.raw }

func (pep440Rules) Parse(s string) (Version, error) {
	v, ok := parsePEP440(s)
	if !ok {
		return nil, fmt.Errorf("PyPI version %q is not a PEP 440 version", s)
	}
	if v == nil {
		return nil, fmt.Errorf("PyPI version %q: a number is too large", s)
	}
	return v, nil
}

// parsePEP440 follows the permissive grammar of PEP 440's appendix B, written out by hand: it
// runs for every version of every advisory event a scan compares. It returns ok false when s is
// not a version, and a nil version with ok true when a number overflows.
func parsePEP440(raw string) (v *pep440V, ok bool) {
	s := strings.ToLower(strings.TrimSpace(raw))
	n, i := len(s), 0
	v = &pep440V{raw: raw, pre: preNone}
	overflow := false
	digits := func() (uint64, bool) {
		start := i
		var x uint64
		for i < n && asciiDigit(s[i]) {
			d := uint64(s[i] - '0')
			if x > (1<<64-1-d)/10 {
				overflow = true
			}
			x = x*10 + d
			i++
		}
		return x, i > start
	}
	isSep := func(k int) bool { return k < n && (s[k] == '-' || s[k] == '_' || s[k] == '.') }
	// label matches one of words at k (longest listed first) and returns its length.
	label := func(k int, words ...string) (string, int) {
		for _, w := range words {
			if strings.HasPrefix(s[k:], w) {
				return w, len(w)
			}
		}
		return "", 0
	}
	// optNumber reads an optional separator and number after a label; like the pattern of
	// PEP 440's appendix B it takes the separator even when no number follows (1.0a. is 1.0a0).
	optNumber := func() uint64 {
		if isSep(i) {
			i++
		}
		x, _ := digits()
		return x
	}
	if i < n && s[i] == 'v' {
		i++
	}
	first, okd := digits()
	if !okd {
		return nil, false
	}
	if i < n && s[i] == '!' {
		v.epoch = first
		i++
		if first, okd = digits(); !okd {
			return nil, false
		}
	}
	v.release = append(v.release, first)
	for i+1 < n && s[i] == '.' && asciiDigit(s[i+1]) {
		i++
		x, _ := digits()
		v.release = append(v.release, x)
	}
	// Pre-release.
	k := i
	if isSep(k) {
		k++
	}
	if w, l := label(k, "alpha", "beta", "preview", "pre", "rc", "a", "b", "c"); l > 0 {
		i = k + l
		switch w {
		case "alpha", "a":
			v.pre = preAlpha
		case "beta", "b":
			v.pre = preBeta
		default:
			v.pre = preRC
		}
		v.preN = optNumber()
	}
	// Post-release: "-N", or [sep] post|rev|r [sep] [N].
	if i+1 < n && s[i] == '-' && asciiDigit(s[i+1]) {
		i++
		v.hasPost = true
		v.postN, _ = digits()
	} else {
		k = i
		if isSep(k) {
			k++
		}
		if _, l := label(k, "post", "rev", "r"); l > 0 {
			i = k + l
			v.hasPost = true
			v.postN = optNumber()
		}
	}
	// Development release.
	k = i
	if isSep(k) {
		k++
	}
	if _, l := label(k, "dev"); l > 0 {
		i = k + l
		v.hasDev = true
		v.devN = optNumber()
		if v.pre == preNone && !v.hasPost {
			v.pre = preDevOnly
		}
	}
	// Local version.
	if i < n && s[i] == '+' {
		i++
		start := i
		for i <= n {
			j := i
			for j < n && (asciiDigit(s[j]) || s[j] >= 'a' && s[j] <= 'z') {
				j++
			}
			if j == i {
				return nil, false // empty segment
			}
			seg := s[i:j]
			if allDigits(seg) {
				var x uint64
				for p := 0; p < len(seg); p++ {
					d := uint64(seg[p] - '0')
					if x > (1<<64-1-d)/10 {
						overflow = true
					}
					x = x*10 + d
				}
				v.local = append(v.local, localSegment{num: x, isNum: true})
			} else {
				v.local = append(v.local, localSegment{str: seg})
			}
			i = j
			if i < n && isSep(i) {
				i++
				continue
			}
			break
		}
		v.hasLocal = i > start
	}
	if i != n {
		return nil, false
	}
	if overflow {
		return nil, true
	}
	for len(v.release) > 0 && v.release[len(v.release)-1] == 0 {
		v.release = v.release[:len(v.release)-1]
	}
	return v, true
}

func cmpU(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (v *pep440V) Compare(other Version) int {
	o := other.(*pep440V)
	if r := cmpU(v.epoch, o.epoch); r != 0 {
		return r
	}
	for i := 0; i < len(v.release) || i < len(o.release); i++ {
		var a, b uint64
		if i < len(v.release) {
			a = v.release[i]
		}
		if i < len(o.release) {
			b = o.release[i]
		}
		if r := cmpU(a, b); r != 0 {
			return r
		}
	}
	if v.pre != o.pre {
		if v.pre < o.pre {
			return -1
		}
		return 1
	}
	if v.pre != preNone && v.pre != preDevOnly {
		if r := cmpU(v.preN, o.preN); r != 0 {
			return r
		}
	}
	// No post-release sorts before any post-release.
	if v.hasPost != o.hasPost {
		if o.hasPost {
			return -1
		}
		return 1
	}
	if r := cmpU(v.postN, o.postN); r != 0 {
		return r
	}
	// A development release sorts before the same version without one.
	if v.hasDev != o.hasDev {
		if v.hasDev {
			return -1
		}
		return 1
	}
	if r := cmpU(v.devN, o.devN); r != 0 {
		return r
	}
	// A local version sorts after the same public version; segments: numbers above strings.
	if v.hasLocal != o.hasLocal {
		if o.hasLocal {
			return -1
		}
		return 1
	}
	for i := 0; i < len(v.local) && i < len(o.local); i++ {
		a, b := v.local[i], o.local[i]
		switch {
		case a.isNum && b.isNum:
			if r := cmpU(a.num, b.num); r != 0 {
				return r
			}
		case a.isNum:
			return 1
		case b.isNum:
			return -1
		default:
			if r := strings.Compare(a.str, b.str); r != 0 {
				return r
			}
		}
	}
	return cmpU(uint64(len(v.local)), uint64(len(o.local)))
}
