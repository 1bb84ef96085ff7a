package version

import (
	"errors"
	"fmt"
	"strings"
)

// rpmComparator orders RPM package versions as rpm does: [epoch:]version[-release], each part
// compared with rpmvercmp ('~' sorts before everything, '^' after the version it extends).
type rpmComparator struct{ name string }

func (c rpmComparator) Ecosystem() string { return c.name }

type rpmVersion struct {
	raw     string
	epoch   uint64
	version string
	release string
}

func (v *rpmVersion) String() string { return v.raw }

func (c rpmComparator) Parse(s string) (Version, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return nil, fmt.Errorf("%s version is empty", c.name)
	}
	if strings.ContainsAny(t, " \t\n") {
		return nil, fmt.Errorf("%s version %q: contains whitespace", c.name, s)
	}
	v := &rpmVersion{raw: s}
	if head, rest, ok := strings.Cut(t, ":"); ok {
		if head == "" || len(head) > 10 {
			return nil, fmt.Errorf("%s version %q: epoch must be a number", c.name, s)
		}
		for i := 0; i < len(head); i++ {
			if !asciiDigit(head[i]) {
				return nil, fmt.Errorf("%s version %q: epoch must be a number", c.name, s)
			}
			v.epoch = v.epoch*10 + uint64(head[i]-'0')
		}
		t = rest
	}
	v.version = t
	if i := strings.LastIndexByte(t, '-'); i >= 0 {
		v.version, v.release = t[:i], t[i+1:]
		if v.release == "" {
			return nil, fmt.Errorf("%s version %q: release after '-' is empty", c.name, s)
		}
	}
	if v.version == "" {
		return nil, fmt.Errorf("%s version %q: %w", c.name, s, errors.New("version part is empty"))
	}
	if strings.Contains(v.version, ":") {
		return nil, fmt.Errorf("%s version %q: more than one ':'", c.name, s)
	}
	return v, nil
}

func (v *rpmVersion) Compare(other Version) int {
	o := other.(*rpmVersion)
	switch {
	case v.epoch < o.epoch:
		return -1
	case v.epoch > o.epoch:
		return 1
	}
	if r := rpmvercmp(v.version, o.version); r != 0 {
		return r
	}
	return rpmvercmp(v.release, o.release)
}

// rpmvercmp compares two version (or release) strings segment by segment: runs of digits
// numerically, runs of letters as strings, a numeric segment newer than an alphabetic one; other
// characters only separate segments.
func rpmvercmp(a, b string) int {
	if a == b {
		return 0
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for i < len(a) && !asciiAlnum(a[i]) && a[i] != '~' && a[i] != '^' {
			i++
		}
		for j < len(b) && !asciiAlnum(b[j]) && b[j] != '~' && b[j] != '^' {
			j++
		}
		ai, bj := byte(0), byte(0)
		if i < len(a) {
			ai = a[i]
		}
		if j < len(b) {
			bj = b[j]
		}
		if ai == '~' || bj == '~' {
			if ai != '~' {
				return 1
			}
			if bj != '~' {
				return -1
			}
			i++
			j++
			continue
		}
		if ai == '^' || bj == '^' {
			if ai == 0 {
				return -1
			}
			if bj == 0 {
				return 1
			}
			if ai != '^' {
				return 1
			}
			if bj != '^' {
				return -1
			}
			i++
			j++
			continue
		}
		if ai == 0 || bj == 0 {
			break
		}
		si, sj := i, j
		isNum := asciiDigit(a[i])
		if isNum {
			for i < len(a) && asciiDigit(a[i]) {
				i++
			}
			for j < len(b) && asciiDigit(b[j]) {
				j++
			}
		} else {
			for i < len(a) && asciiAlpha(a[i]) {
				i++
			}
			for j < len(b) && asciiAlpha(b[j]) {
				j++
			}
		}
		if sj == j {
			// Segments of different types: the numeric one is newer.
			if isNum {
				return 1
			}
			return -1
		}
		sa, sb := a[si:i], b[sj:j]
		if isNum {
			sa, sb = strings.TrimLeft(sa, "0"), strings.TrimLeft(sb, "0")
			if len(sa) != len(sb) {
				if len(sa) > len(sb) {
					return 1
				}
				return -1
			}
		}
		if r := strings.Compare(sa, sb); r != 0 {
			return r
		}
	}
	switch {
	case i >= len(a) && j >= len(b):
		return 0
	case i >= len(a):
		return -1
	}
	return 1
}
