package version

import (
	"errors"
	"fmt"
	"strings"
)

// dpkgComparator orders Debian package versions as dpkg does (Debian Policy 5.6.12):
// [epoch:]upstream[-revision], where '~' sorts before everything, even the end of the string.
type dpkgComparator struct{ name string }

func (c dpkgComparator) Ecosystem() string { return c.name }

type dpkgVersion struct {
	raw      string
	epoch    uint64
	upstream string
	revision string
}

func (v *dpkgVersion) String() string { return v.raw }

func (c dpkgComparator) Parse(s string) (Version, error) {
	v, err := parseDpkg(s)
	if err != nil {
		return nil, fmt.Errorf("%s version %q: %w", c.name, s, err)
	}
	return v, nil
}

func parseDpkg(s string) (*dpkgVersion, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return nil, errors.New("version string is empty")
	}
	if strings.ContainsAny(t, " \t\n") {
		return nil, errors.New("version string has embedded spaces")
	}
	v := &dpkgVersion{raw: s}
	if head, rest, ok := strings.Cut(t, ":"); ok {
		if head == "" {
			return nil, errors.New("epoch in version is empty")
		}
		for i := 0; i < len(head); i++ {
			if head[i] < '0' || head[i] > '9' {
				return nil, errors.New("epoch in version is not number")
			}
		}
		if len(head) > 10 {
			return nil, errors.New("epoch in version is too big")
		}
		for i := 0; i < len(head); i++ {
			v.epoch = v.epoch*10 + uint64(head[i]-'0')
		}
		if v.epoch > 1<<31-1 {
			return nil, errors.New("epoch in version is too big")
		}
		if rest == "" {
			return nil, errors.New("nothing after colon in version number")
		}
		t = rest
	}
	v.upstream = t
	if i := strings.LastIndexByte(t, '-'); i >= 0 {
		v.upstream, v.revision = t[:i], t[i+1:]
		if v.revision == "" {
			return nil, errors.New("revision number is empty")
		}
	}
	if v.upstream == "" {
		return nil, errors.New("version number is empty")
	}
	for i := 0; i < len(v.upstream); i++ {
		c := v.upstream[i]
		if !asciiAlnum(c) && !strings.ContainsRune(".-+~:", rune(c)) {
			return nil, fmt.Errorf("invalid character %q in version number", c)
		}
	}
	for i := 0; i < len(v.revision); i++ {
		c := v.revision[i]
		if !asciiAlnum(c) && !strings.ContainsRune(".+~", rune(c)) {
			return nil, fmt.Errorf("invalid character %q in revision number", c)
		}
	}
	return v, nil
}

func (v *dpkgVersion) Compare(other Version) int {
	o := other.(*dpkgVersion)
	switch {
	case v.epoch < o.epoch:
		return -1
	case v.epoch > o.epoch:
		return 1
	}
	if r := dpkgVerrevcmp(v.upstream, o.upstream); r != 0 {
		return r
	}
	return dpkgVerrevcmp(v.revision, o.revision)
}

// dpkgOrder is the weight of a character in the non-digit parts: '~' below the end of the string,
// letters in ASCII order, other characters after all letters.
func dpkgOrder(c byte) int {
	switch {
	case c == '~':
		return -1
	case c >= '0' && c <= '9':
		return 0
	case c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z':
		return int(c)
	default:
		return int(c) + 256
	}
}

// dpkgVerrevcmp compares upstream versions or revisions: alternating runs of non-digits (by
// dpkgOrder) and digits (numerically). An absent revision equals "0".
func dpkgVerrevcmp(a, b string) int {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		firstDiff := 0
		for (i < len(a) && !asciiDigit(a[i])) || (j < len(b) && !asciiDigit(b[j])) {
			ac, bc := 0, 0
			if i < len(a) {
				ac = dpkgOrder(a[i])
			}
			if j < len(b) {
				bc = dpkgOrder(b[j])
			}
			if ac != bc {
				return signOf(ac - bc)
			}
			i++
			j++
		}
		for i < len(a) && a[i] == '0' {
			i++
		}
		for j < len(b) && b[j] == '0' {
			j++
		}
		for i < len(a) && asciiDigit(a[i]) && j < len(b) && asciiDigit(b[j]) {
			if firstDiff == 0 {
				firstDiff = int(a[i]) - int(b[j])
			}
			i++
			j++
		}
		if i < len(a) && asciiDigit(a[i]) {
			return 1
		}
		if j < len(b) && asciiDigit(b[j]) {
			return -1
		}
		if firstDiff != 0 {
			return signOf(firstDiff)
		}
	}
	return 0
}

func asciiDigit(c byte) bool { return c >= '0' && c <= '9' }
func asciiAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func asciiAlnum(c byte) bool { return asciiDigit(c) || asciiAlpha(c) }

func signOf(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}
