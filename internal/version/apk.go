package version

import (
	"errors"
	"fmt"
)

// apkComparator orders Alpine (and Wolfi, Chainguard) package versions as apk-tools does:
// numbers separated by dots, an optional letter, suffixes (_alpha, _beta, _pre and _rc before the
// release; _cvs, _svn, _git, _hg and _p after it), each with an optional number, and -rN.
type apkComparator struct{ name string }

func (c apkComparator) Ecosystem() string { return c.name }

// Token kinds, in the order apk-tools gives them; the order matters when two versions run out of
// equal tokens at different kinds.
const (
	apkInvalid int8 = iota - 1
	apkDigitOrZero
	apkDigit
	apkLetter
	apkSuffix
	apkSuffixNo
	apkRevisionNo
	apkEnd
)

var (
	apkPreSuffixes  = [...]string{"alpha", "beta", "pre", "rc"}
	apkPostSuffixes = [...]string{"cvs", "svn", "git", "hg", "p"}
)

// apkVersion holds the token stream: kinds[i] is the kind under which vals[i] was read, and
// kinds[len(vals)] is apkEnd.
type apkVersion struct {
	raw   string
	kinds []int8
	vals  []int64
}

func (v *apkVersion) String() string { return v.raw }

func (c apkComparator) Parse(s string) (Version, error) {
	if s == "" {
		return nil, fmt.Errorf("%s version is empty", c.name)
	}
	if !asciiDigit(s[0]) {
		return nil, fmt.Errorf("%s version %q: must start with a digit", c.name, s)
	}
	v := &apkVersion{raw: s, kinds: []int8{apkDigit}}
	kind, rest := apkDigit, s
	for kind != apkEnd {
		val, next, r, err := apkToken(kind, rest)
		if err != nil {
			return nil, fmt.Errorf("%s version %q: %w at byte %d", c.name, s, err, len(s)-len(rest))
		}
		v.vals = append(v.vals, val)
		v.kinds = append(v.kinds, next)
		kind, rest = next, r
	}
	return v, nil
}

// apkToken reads one token of the given kind from s and returns its value, the kind of the next
// token and the rest of s. It follows apk-tools' tokenizer, including its quirks (after a run of
// leading zeros the remaining digits are a token of their own).
func apkToken(kind int8, s string) (val int64, next int8, rest string, err error) {
	if s == "" {
		return 0, apkEnd, s, nil
	}
	i := 0
	next = apkInvalid
	switch kind {
	case apkDigitOrZero:
		if s[0] == '0' {
			// Leading zeros are read as a fraction: 1.01 sorts before 1.1, and 1.001 before
			// 1.01. The zeros after the first are counted and consumed; the rest is a number.
			for i+1 < len(s) && s[i+1] == '0' {
				i++
			}
			val, next = -int64(i), apkDigit
			break
		}
		fallthrough
	case apkDigit, apkSuffixNo, apkRevisionNo:
		for i < len(s) && asciiDigit(s[i]) {
			if val < 1<<58 {
				val = val*10 + int64(s[i]-'0')
			}
			i++
		}
	case apkLetter:
		val, i = int64(s[0]), 1
	case apkSuffix:
		found := false
		for n, suf := range apkPreSuffixes {
			if len(s) >= len(suf) && s[:len(suf)] == suf {
				val, i, found = int64(n-len(apkPreSuffixes)), len(suf), true
				break
			}
		}
		for n, suf := range apkPostSuffixes {
			if !found && len(s) >= len(suf) && s[:len(suf)] == suf {
				val, i, found = int64(n), len(suf), true
			}
		}
		if !found {
			return 0, apkInvalid, s, errors.New("unknown suffix (want _alpha, _beta, _pre, _rc, _cvs, _svn, _git, _hg or _p)")
		}
		next = apkSuffixNo
	default:
		return 0, apkInvalid, s, errors.New("invalid version syntax")
	}
	s = s[i:]
	switch {
	case s == "":
		return val, apkEnd, s, nil
	case next != apkInvalid:
		return val, next, s, nil
	}
	next, s = apkNextKind(kind, s)
	if next == apkInvalid {
		return val, next, s, errors.New("unexpected character or parts out of order")
	}
	return val, next, s, nil
}

// apkNextKind decides the kind of the token at the start of s (non-empty), which follows a token
// of kind prev, consuming a separator ('.', '_', "-r") when there is one.
func apkNextKind(prev int8, s string) (int8, string) {
	n := apkInvalid
	switch {
	case (prev == apkDigit || prev == apkDigitOrZero) && s[0] >= 'a' && s[0] <= 'z':
		n = apkLetter
	case prev == apkLetter && asciiDigit(s[0]):
		n = apkDigit
	case prev == apkSuffix && asciiDigit(s[0]):
		n = apkSuffixNo
	default:
		switch s[0] {
		case '.':
			n = apkDigitOrZero
		case '_':
			n = apkSuffix
		case '-':
			if len(s) > 1 && s[1] == 'r' {
				n = apkRevisionNo
				s = s[1:]
			}
		}
		s = s[1:]
	}
	// Kinds only move forward, but for the cycles a version may repeat: another dot-number after a
	// number, another suffix after a suffix number, a number after a letter.
	if n < prev && !(n == apkDigitOrZero && prev == apkDigit) && !(n == apkSuffix && prev == apkSuffixNo) && !(n == apkDigit && prev == apkLetter) {
		n = apkInvalid
	}
	return n, s
}

func (v *apkVersion) Compare(other Version) int {
	o := other.(*apkVersion)
	at, bt := apkDigit, apkDigit
	var av, bv int64
	i := 0
	for at == bt && at != apkEnd && av == bv {
		av, bv = v.vals[i], o.vals[i]
		i++
		at, bt = v.kinds[i], o.kinds[i]
	}
	switch {
	case av < bv:
		return -1
	case av > bv:
		return 1
	case at == bt:
		return 0
	}
	// Equal so far; the longer version is greater unless what follows is a pre-release suffix.
	if at == apkSuffix && v.vals[i] < 0 {
		return -1
	}
	if bt == apkSuffix && o.vals[i] < 0 {
		return 1
	}
	if at > bt {
		return -1
	}
	return 1
}
