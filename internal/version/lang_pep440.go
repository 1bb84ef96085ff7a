package version

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// pep440Rules orders Python distribution versions by PEP 440 ("Version Identification and
// Dependency Specification"), including its normalization rules (1.0RC1 == 1.0rc1, 1.0-1 ==
// 1.0.post1, alpha == a) — the rules pip applies.
type pep440Rules struct{}

func (pep440Rules) Ecosystem() string { return "PyPI" }

// pep440Pattern is the permissive pattern of PEP 440's appendix B, which accepts every spelling
// the normalization rules map to a canonical version.
var pep440Pattern = regexp.MustCompile(`(?i)^\s*v?` +
	`(?:([0-9]+)!)?` + // epoch
	`([0-9]+(?:\.[0-9]+)*)` + // release
	`(?:[-_.]?(alpha|a|beta|b|preview|pre|c|rc)[-_.]?([0-9]+)?)?` + // pre-release
	`(?:-([0-9]+)|[-_.]?(post|rev|r)[-_.]?([0-9]+)?)?` + // post-release
	`(?:[-_.]?(dev)[-_.]?([0-9]+)?)?` + // development release
	`(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?` + // local version
	`\s*$`)

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
	m := pep440Pattern.FindStringSubmatch(s)
	if m == nil {
		return nil, fmt.Errorf("PyPI version %q is not a PEP 440 version", s)
	}
	num := func(d string) (uint64, error) {
		if d == "" {
			return 0, nil
		}
		n, err := strconv.ParseUint(d, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("PyPI version %q: number %s is too large", s, d)
		}
		return n, nil
	}
	v := &pep440V{raw: s, pre: preNone}
	var err error
	if v.epoch, err = num(m[1]); err != nil {
		return nil, err
	}
	for _, part := range strings.Split(m[2], ".") {
		n, err := num(part)
		if err != nil {
			return nil, err
		}
		v.release = append(v.release, n)
	}
	for len(v.release) > 1 && v.release[len(v.release)-1] == 0 {
		v.release = v.release[:len(v.release)-1]
	}
	if len(v.release) == 1 && v.release[0] == 0 {
		v.release = v.release[:0]
	}
	if m[3] != "" {
		switch strings.ToLower(m[3]) {
		case "alpha", "a":
			v.pre = preAlpha
		case "beta", "b":
			v.pre = preBeta
		default: // c, rc, pre, preview
			v.pre = preRC
		}
		if v.preN, err = num(m[4]); err != nil {
			return nil, err
		}
	}
	switch {
	case m[5] != "":
		v.hasPost = true
		if v.postN, err = num(m[5]); err != nil {
			return nil, err
		}
	case m[6] != "":
		v.hasPost = true
		if v.postN, err = num(m[7]); err != nil {
			return nil, err
		}
	}
	if m[8] != "" {
		v.hasDev = true
		if v.devN, err = num(m[9]); err != nil {
			return nil, err
		}
		if v.pre == preNone && !v.hasPost {
			v.pre = preDevOnly
		}
	}
	if m[10] != "" {
		v.hasLocal = true
		for _, seg := range strings.FieldsFunc(strings.ToLower(m[10]), func(r rune) bool { return r == '-' || r == '_' || r == '.' }) {
			if allDigits(seg) {
				n, err := num(seg)
				if err != nil {
					return nil, err
				}
				v.local = append(v.local, localSegment{num: n, isNum: true})
			} else {
				v.local = append(v.local, localSegment{str: seg})
			}
		}
	}
	if len(v.release) == 0 && m[2] == "" {
		return nil, errors.New("empty release")
	}
	return v, nil
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
