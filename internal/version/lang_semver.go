package version

import (
	"errors"
	"fmt"
	"strings"
)

// semVerRules parses Semantic Versioning 2.0.0 versions, with the per-ecosystem variations OSV
// ecosystems need: Go takes a version with or without its leading "v", npm tolerates a leading "v"
// and spaces, Pub orders build metadata.
type semVerRules struct {
	name string
	// goV: Go module versions start with "v" ("v1.2.3"), while OSV's Go ecosystem writes the same
	// version without it ("1.2.3", in ranges and in the versions list): both spellings are one
	// version. Nothing else is tolerated (no spaces, no "=").
	goV        bool
	allowV     bool // npm and others: a leading "v" (or "=") is tolerated
	buildOrder bool // Pub: 1.0.0+1 sorts after 1.0.0
}

func (c semVerRules) Ecosystem() string { return c.name }

// semVerV is a parsed version. Numbers are kept as digit strings without leading zeros, so any
// length compares correctly without overflow and without allocation.
type semVerV struct {
	raw                 string
	major, minor, patch string
	pre                 []string // prerelease identifiers
	build               []string
	buildOrder          bool
}

func (v *semVerV) String() string { return v.raw }

func (c semVerRules) Parse(s string) (Version, error) {
	v, err := c.parse(s)
	if err != nil {
		return nil, fmt.Errorf("%s version %q: %w", c.name, s, err)
	}
	return v, nil
}

func (c semVerRules) parse(s string) (*semVerV, error) {
	t := s
	if !c.goV {
		t = strings.TrimSpace(t)
	}
	switch {
	case c.goV:
		t = strings.TrimPrefix(t, "v")
	case c.allowV:
		t = strings.TrimPrefix(t, "v")
	}
	v := &semVerV{raw: s, buildOrder: c.buildOrder}
	if i := strings.IndexByte(t, '+'); i >= 0 {
		var err error
		if v.build, err = semVerIdents(t[i+1:], false); err != nil {
			return nil, fmt.Errorf("build metadata: %w", err)
		}
		t = t[:i]
	}
	if i := strings.IndexByte(t, '-'); i >= 0 {
		var err error
		if v.pre, err = semVerIdents(t[i+1:], true); err != nil {
			return nil, fmt.Errorf("prerelease: %w", err)
		}
		t = t[:i]
	}
	parts := strings.Split(t, ".")
	if len(parts) != 3 {
		return nil, errors.New("want MAJOR.MINOR.PATCH")
	}
	for i, p := range parts {
		if p == "" || !allDigits(p) {
			return nil, fmt.Errorf("%q is not a number", p)
		}
		if len(p) > 1 && p[0] == '0' {
			return nil, fmt.Errorf("%q has a leading zero", p)
		}
		switch i {
		case 0:
			v.major = p
		case 1:
			v.minor = p
		case 2:
			v.patch = p
		}
	}
	return v, nil
}

// semVerIdents splits dot-separated identifiers and checks them: [0-9A-Za-z-], not empty, and
// for prereleases no leading zero on numeric identifiers.
func semVerIdents(s string, pre bool) ([]string, error) {
	ids := strings.Split(s, ".")
	for _, id := range ids {
		if id == "" {
			return nil, errors.New("empty identifier")
		}
		for i := 0; i < len(id); i++ {
			if c := id[i]; !asciiAlnum(c) && c != '-' {
				return nil, fmt.Errorf("invalid character %q", c)
			}
		}
		if pre && len(id) > 1 && id[0] == '0' && allDigits(id) {
			return nil, fmt.Errorf("numeric identifier %q has a leading zero", id)
		}
	}
	return ids, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !asciiDigit(s[i]) {
			return false
		}
	}
	return len(s) > 0
}

// cmpDigits compares two strings of digits without leading zeros as numbers.
func cmpDigits(a, b string) int {
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

// cmpNumeric compares digit strings that may carry leading zeros.
func cmpNumeric(a, b string) int {
	return cmpDigits(strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0"))
}

func (v *semVerV) Compare(other Version) int {
	o := other.(*semVerV)
	for _, p := range [3][2]string{{v.major, o.major}, {v.minor, o.minor}, {v.patch, o.patch}} {
		if r := cmpDigits(p[0], p[1]); r != 0 {
			return r
		}
	}
	// A prerelease sorts before the release.
	switch {
	case len(v.pre) == 0 && len(o.pre) > 0:
		return 1
	case len(v.pre) > 0 && len(o.pre) == 0:
		return -1
	}
	if r := cmpIdents(v.pre, o.pre); r != 0 || !v.buildOrder {
		return r
	}
	switch {
	case len(v.build) == 0 && len(o.build) > 0:
		return -1
	case len(v.build) > 0 && len(o.build) == 0:
		return 1
	}
	return cmpIdents(v.build, o.build)
}

// cmpIdents compares identifier lists by SemVer rule 11: numeric identifiers numerically and
// below alphanumeric ones, alphanumeric ones in ASCII order, a shorter list first when equal.
func cmpIdents(a, b []string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		an, bn := allDigits(a[i]), allDigits(b[i])
		switch {
		case an && bn:
			if r := cmpNumeric(a[i], b[i]); r != 0 {
				return r
			}
		case an:
			return -1
		case bn:
			return 1
		default:
			if r := strings.Compare(a[i], b[i]); r != 0 {
				return r
			}
		}
	}
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return 0
}
