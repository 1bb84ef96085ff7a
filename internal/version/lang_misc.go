package version

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// gemRules orders RubyGems versions as Gem::Version does: segments are runs of digits or of
// letters; a letter segment makes a prerelease and sorts before any number; trailing zeros of the
// numeric part and of the prerelease part are ignored; "-" stands for ".pre.".
type gemRules struct{}

func (gemRules) Ecosystem() string { return "RubyGems" }

var gemPattern = regexp.MustCompile(`^[0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`)

type gemSegment struct {
	num   string // digits without leading zeros ("" is 0)
	str   string
	isStr bool
}

type gemV struct {
	raw  string
	segs []gemSegment
}

func (v *gemV) String() string { return v.raw }

func (gemRules) Parse(s string) (Version, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		t = "0"
	}
	if !gemPattern.MatchString(t) {
		return nil, fmt.Errorf("RubyGems version %q is malformed", s)
	}
	t = strings.ReplaceAll(t, "-", ".pre.")
	var segs []gemSegment
	for i := 0; i < len(t); {
		j := i
		switch {
		case asciiDigit(t[i]):
			for j < len(t) && asciiDigit(t[j]) {
				j++
			}
			segs = append(segs, gemSegment{num: strings.TrimLeft(t[i:j], "0")})
		case asciiAlpha(t[i]):
			for j < len(t) && asciiAlpha(t[j]) {
				j++
			}
			segs = append(segs, gemSegment{str: t[i:j], isStr: true})
		default:
			j++
		}
		i = j
	}
	// Canonical segments: drop trailing zeros from the numeric part and from the rest.
	split := len(segs)
	for k, sg := range segs {
		if sg.isStr {
			split = k
			break
		}
	}
	trim := func(p []gemSegment) []gemSegment {
		for len(p) > 0 && !p[len(p)-1].isStr && p[len(p)-1].num == "" {
			p = p[:len(p)-1]
		}
		return p
	}
	canon := append(trim(append([]gemSegment(nil), segs[:split]...)), trim(append([]gemSegment(nil), segs[split:]...))...)
	return &gemV{raw: s, segs: canon}, nil
}

func (v *gemV) Compare(other Version) int {
	o := other.(*gemV)
	zero := gemSegment{}
	for i := 0; i < len(v.segs) || i < len(o.segs); i++ {
		a, b := zero, zero
		if i < len(v.segs) {
			a = v.segs[i]
		}
		if i < len(o.segs) {
			b = o.segs[i]
		}
		switch {
		case a.isStr && b.isStr:
			if r := strings.Compare(a.str, b.str); r != 0 {
				return r
			}
		case a.isStr:
			return -1
		case b.isStr:
			return 1
		default:
			if r := cmpDigits(a.num, b.num); r != 0 {
				return r
			}
		}
	}
	return 0
}

// nugetRules orders NuGet versions as NuGet.Versioning does: up to four numeric parts (missing
// parts are 0, so 1.0 == 1.0.0.0), then release labels compared as SemVer 2.0 prerelease
// identifiers but case-insensitively; metadata after '+' is ignored.
type nugetRules struct{}

func (nugetRules) Ecosystem() string { return "NuGet" }

type nugetV struct {
	raw    string
	nums   [4]string
	labels []string // lower-cased
}

func (v *nugetV) String() string { return v.raw }

func (nugetRules) Parse(s string) (Version, error) {
	t := strings.TrimSpace(s)
	if i := strings.IndexByte(t, '+'); i >= 0 {
		if _, err := semVerIdents(t[i+1:], false); err != nil {
			return nil, fmt.Errorf("NuGet version %q: metadata: %w", s, err)
		}
		t = t[:i]
	}
	v := &nugetV{raw: s}
	if i := strings.IndexByte(t, '-'); i >= 0 {
		ids, err := semVerIdents(t[i+1:], false)
		if err != nil {
			return nil, fmt.Errorf("NuGet version %q: release label: %w", s, err)
		}
		for _, id := range ids {
			v.labels = append(v.labels, strings.ToLower(id))
		}
		t = t[:i]
	}
	parts := strings.Split(t, ".")
	if len(parts) < 1 || len(parts) > 4 {
		return nil, fmt.Errorf("NuGet version %q: want 1 to 4 numeric parts", s)
	}
	for i, p := range parts {
		if !allDigits(p) || len(p) > 10 {
			return nil, fmt.Errorf("NuGet version %q: %q is not a number", s, p)
		}
		v.nums[i] = strings.TrimLeft(p, "0")
	}
	return v, nil
}

func (v *nugetV) Compare(other Version) int {
	o := other.(*nugetV)
	for i := range v.nums {
		if r := cmpDigits(v.nums[i], o.nums[i]); r != 0 {
			return r
		}
	}
	switch {
	case len(v.labels) == 0 && len(o.labels) > 0:
		return 1
	case len(v.labels) > 0 && len(o.labels) == 0:
		return -1
	}
	return cmpIdents(v.labels, o.labels)
}

// composerRules orders Packagist versions as Composer does: the version is normalized by
// Composer's rules (optional "v", up to four numeric parts, a stability suffix) and the
// normalized forms are compared with PHP's version_compare. Branch names (dev-main) have no order.
type composerRules struct{}

func (composerRules) Ecosystem() string { return "Packagist" }

var composerPattern = regexp.MustCompile(`(?i)^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.(\d+))?` +
	`(?:[._-]?(?:(stable|beta|b|rc|alpha|a|patch|pl|p)((?:[.-]?\d+)*))?)?(?:[.-]?(dev))?$`)

type composerV struct {
	raw   string
	parts []string // PHP version_compare parts of the normalized version
}

func (v *composerV) String() string { return v.raw }

func (composerRules) Parse(s string) (Version, error) {
	t := strings.TrimSpace(s)
	if i := strings.IndexByte(t, '+'); i >= 0 {
		t = t[:i] // build metadata is dropped by Composer
	}
	if strings.HasPrefix(strings.ToLower(t), "dev-") || strings.HasSuffix(strings.ToLower(t), "-dev") && !composerPattern.MatchString(t) {
		return nil, fmt.Errorf("Packagist version %q is a branch, which has no order", s)
	}
	m := composerPattern.FindStringSubmatch(t)
	if m == nil {
		return nil, fmt.Errorf("Packagist version %q is not a version Composer can normalize", s)
	}
	norm := []string{}
	for _, n := range m[1:5] {
		if n == "" {
			n = "0"
		}
		norm = append(norm, n)
	}
	version := strings.Join(norm, ".")
	if m[5] != "" {
		stab := strings.ToLower(m[5])
		switch stab {
		case "b":
			stab = "beta"
		case "a":
			stab = "alpha"
		case "p", "pl":
			stab = "patch"
		case "rc":
			stab = "RC"
		}
		if stab != "stable" {
			version += "-" + stab + strings.TrimLeft(m[6], ".-")
		}
	}
	if m[7] != "" {
		version += "-dev"
	}
	return &composerV{raw: s, parts: phpVersionParts(version)}, nil
}

// phpVersionParts canonicalizes like PHP's version_compare: '-', '_' and '+' become '.', and a
// '.' is inserted wherever digits and non-digits meet.
func phpVersionParts(s string) []string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '-' || c == '_' || c == '+' {
			c = '.'
		}
		if i > 0 && c != '.' && b.Len() > 0 {
			prev := b.String()[b.Len()-1]
			if prev != '.' && asciiDigit(prev) != asciiDigit(c) {
				b.WriteByte('.')
			}
		}
		b.WriteByte(c)
	}
	var parts []string
	for _, p := range strings.Split(b.String(), ".") {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return parts
}

// phpSpecialOrder is version_compare's order of special forms; a number sorts between RC and pl.
func phpSpecialOrder(p string) int {
	switch {
	case strings.HasPrefix(p, "dev"):
		return 0
	case strings.HasPrefix(p, "alpha") || strings.HasPrefix(p, "a"):
		return 1
	case strings.HasPrefix(p, "beta") || strings.HasPrefix(p, "b"):
		return 2
	case strings.HasPrefix(p, "RC") || strings.HasPrefix(p, "rc"):
		return 3
	case p == "#":
		return 4
	case strings.HasPrefix(p, "pl") || strings.HasPrefix(p, "p"):
		return 5
	}
	return -1
}

func phpPartCmp(a, b string) int {
	an, bn := allDigits(a), allDigits(b)
	switch {
	case an && bn:
		return cmpNumeric(a, b)
	case an:
		return signOf(phpSpecialOrder("#") - phpSpecialOrder(b))
	case bn:
		return signOf(phpSpecialOrder(a) - phpSpecialOrder("#"))
	}
	return signOf(phpSpecialOrder(a) - phpSpecialOrder(b))
}

func (v *composerV) Compare(other Version) int {
	o := other.(*composerV)
	for i := 0; i < len(v.parts) || i < len(o.parts); i++ {
		switch {
		case i >= len(v.parts):
			if allDigits(o.parts[i]) {
				return -1
			}
			return phpPartCmp("#", o.parts[i])
		case i >= len(o.parts):
			if allDigits(v.parts[i]) {
				return 1
			}
			return phpPartCmp(v.parts[i], "#")
		}
		if r := phpPartCmp(v.parts[i], o.parts[i]); r != 0 {
			return r
		}
	}
	return 0
}

// numericListRules orders versions that are lists of non-negative integers: CRAN's
// package_version (separators '.' and '-') and Hackage's Data.Version ('.'). A list that is a
// prefix of another sorts first.
type numericListRules struct {
	name string
	seps string
}

func (c numericListRules) Ecosystem() string { return c.name }

type numericListV struct {
	raw  string
	nums []string
}

func (v *numericListV) String() string { return v.raw }

func (c numericListRules) Parse(s string) (Version, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return nil, fmt.Errorf("%s version is empty", c.name)
	}
	parts := strings.FieldsFunc(t, func(r rune) bool { return strings.ContainsRune(c.seps, r) })
	if len(parts) == 0 || strings.ContainsAny(t[:1]+t[len(t)-1:], c.seps) {
		return nil, fmt.Errorf("%s version %q: %w", c.name, s, errors.New("must be numbers separated by "+strings.Join(strings.Split(c.seps, ""), " or ")))
	}
	v := &numericListV{raw: s}
	for _, p := range parts {
		if !allDigits(p) {
			return nil, fmt.Errorf("%s version %q: %q is not a number", c.name, s, p)
		}
		v.nums = append(v.nums, strings.TrimLeft(p, "0"))
	}
	return v, nil
}

func (v *numericListV) Compare(other Version) int {
	o := other.(*numericListV)
	for i := 0; i < len(v.nums) && i < len(o.nums); i++ {
		if r := cmpDigits(v.nums[i], o.nums[i]); r != 0 {
			return r
		}
	}
	return signOf(len(v.nums) - len(o.nums))
}
