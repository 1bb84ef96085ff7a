package portfolio

import (
	"fmt"
	"slices"
	"strings"

	"github.com/siegel-oss/siegel/internal/version"
)

// Range is a version range in the notation of the purl specification's "vers" (version range
// specifier): "vers:npm/>=1.2.0|<2.0.0", or only its constraints, ">=1.2.0|<2.0.0" (commas are
// accepted as separators too). Comparators are =, !=, <, <=, > and >=; a version alone means =,
// and "*" every version. Versions are compared under the rules of the component's ecosystem
// (internal/version).
type Range struct {
	Scheme      string // the vers scheme ("npm"), "" when only constraints were given
	constraints []constraint
	any         bool
}

type constraint struct {
	op, version string
}

// maxRangeBytes bounds a range expression: it comes from a query string.
const maxRangeBytes = 4096

// ParseRange reads a range expression. The error says which constraint breaks which rule.
func ParseRange(s string) (*Range, error) {
	s = strings.TrimSpace(s)
	if len(s) > maxRangeBytes {
		return nil, fmt.Errorf("version range: longer than %d bytes", maxRangeBytes)
	}
	r := &Range{}
	if rest, ok := strings.CutPrefix(s, "vers:"); ok {
		scheme, cons, ok := strings.Cut(rest, "/")
		if !ok || scheme == "" {
			return nil, fmt.Errorf("version range %q: a vers range is vers:SCHEME/CONSTRAINTS", s)
		}
		r.Scheme, s = strings.ToLower(scheme), cons
	}
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("version range: no constraint; give one such as >=1.0.0|<2.0.0")
	}
	for i, part := range strings.FieldsFunc(s, func(c rune) bool { return c == '|' || c == ',' }) {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if part == "*" {
			r.any = true
			continue
		}
		op := "="
		for _, o := range []string{">=", "<=", "!=", ">", "<", "="} {
			if v, ok := strings.CutPrefix(part, o); ok {
				op, part = o, strings.TrimSpace(v)
				break
			}
		}
		if part == "" || strings.ContainsAny(part, "<>=!* ") {
			return nil, fmt.Errorf("version range: constraint %d %q: want a comparator (=, !=, <, <=, >, >=) and one version", i+1, part)
		}
		r.constraints = append(r.constraints, constraint{op, part})
	}
	if r.any && len(r.constraints) > 0 {
		return nil, fmt.Errorf("version range: * stands alone; it cannot be combined with other constraints")
	}
	return r, nil
}

// String returns the range as given (normalized).
func (r *Range) String() string {
	var parts []string
	if r.any {
		parts = []string{"*"}
	}
	for _, c := range r.constraints {
		parts = append(parts, c.op+c.version)
	}
	s := strings.Join(parts, "|")
	if r.Scheme != "" {
		return "vers:" + r.Scheme + "/" + s
	}
	return s
}

// Contains reports whether v lies in the range under comparator c. The rule is the vers
// specification's: v is excluded by a matching !=, included by a matching =; otherwise the range
// constraints (<, <=, >, >=), sorted by version, form intervals — a lower bound with the upper
// bound that follows it, an upper bound first or a lower bound last open to that side — and v is
// in the range when it lies in one of them. A version or constraint that does not parse in the
// ecosystem is an error: the caller reports the version as not evaluated, never as outside.
func (r *Range) Contains(c version.Comparator, v string) (bool, error) {
	if r.any {
		return true, nil
	}
	pv, err := c.Parse(v)
	if err != nil {
		return false, err
	}
	type bound struct {
		op string
		v  version.Version
	}
	var bounds []bound
	for _, k := range r.constraints {
		kv, err := c.Parse(k.version)
		if err != nil {
			return false, fmt.Errorf("constraint %s%s: %w", k.op, k.version, err)
		}
		cmp := pv.Compare(kv)
		switch k.op {
		case "!=":
			if cmp == 0 {
				return false, nil
			}
		case "=":
			if cmp == 0 {
				return true, nil
			}
		default:
			bounds = append(bounds, bound{k.op, kv})
		}
	}
	if len(bounds) == 0 {
		// Only = and != constraints: = lists the versions, != alone excludes from all.
		return !slices.ContainsFunc(r.constraints, func(k constraint) bool { return k.op == "=" }), nil
	}
	slices.SortStableFunc(bounds, func(a, b bound) int { return a.v.Compare(b.v) })
	satisfies := func(b bound) bool {
		cmp := pv.Compare(b.v)
		switch b.op {
		case "<":
			return cmp < 0
		case "<=":
			return cmp <= 0
		case ">":
			return cmp > 0
		default: // >=
			return cmp >= 0
		}
	}
	lower := func(b bound) bool { return b.op == ">" || b.op == ">=" }
	for i := 0; i < len(bounds); i++ {
		b := bounds[i]
		if !lower(b) {
			// An upper bound not preceded by a lower one is open below.
			if (i == 0 || !lower(bounds[i-1])) && satisfies(b) {
				return true, nil
			}
			continue
		}
		if i+1 < len(bounds) && !lower(bounds[i+1]) {
			if satisfies(b) && satisfies(bounds[i+1]) {
				return true, nil
			}
			i++
			continue
		}
		// A lower bound without an upper one after it is open above.
		if satisfies(b) {
			return true, nil
		}
	}
	return false, nil
}
