package xsd

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Whitespace handling of a simple type (XSD Part 2, 4.3.6 whiteSpace).
const (
	wsPreserve = iota
	wsReplace
	wsCollapse
)

// simpleType is a built-in type or one derived from it by restriction, union or list. Facets
// hold at the step of derivation where they are written; a value must satisfy every step.
type simpleType struct {
	name    string      // for messages; "" for anonymous types
	prim    string      // built-in primitive the lexical space comes from ("string", "decimal", ...)
	base    *simpleType // nil for primitives
	ws      int
	union   []*simpleType
	list    *simpleType
	numeric bool // compares values as numbers (decimal and the types derived from it)
	integer bool

	enums          []string
	enumSet        map[string]bool  // enums as a set, for long lists such as the SPDX licence ids
	patterns       []*regexp.Regexp // any one must match (patterns of one step are alternatives)
	patternSrc     []string
	length         int // -1 when absent
	minLen, maxLen int
	minIncl        *big.Rat
	maxIncl        *big.Rat
	minExcl        *big.Rat
	maxExcl        *big.Rat
	totalDigits    int
	fractionDigits int
}

func newDerived(base *simpleType) *simpleType {
	return &simpleType{prim: base.prim, base: base, ws: base.ws, numeric: base.numeric, integer: base.integer,
		length: -1, minLen: -1, maxLen: -1, totalDigits: -1, fractionDigits: -1}
}

func (t *simpleType) String() string {
	if t.name != "" {
		return t.name
	}
	if t.base != nil {
		return "a restriction of " + t.base.String()
	}
	return "an anonymous type"
}

// normalize applies the whitespace facet.
func normalize(v string, ws int) string {
	switch ws {
	case wsReplace:
		return strings.Map(func(r rune) rune {
			if r == '\t' || r == '\n' || r == '\r' {
				return ' '
			}
			return r
		}, v)
	case wsCollapse:
		return strings.Join(strings.Fields(v), " ")
	}
	return v
}

// validate checks a value as written in the document.
func (t *simpleType) validate(raw string) error {
	if t.union != nil {
		var errs []string
		for _, m := range t.union {
			err := m.validate(raw)
			if err == nil {
				// Facets of a restriction of the union apply to the value as a whole.
				return t.facets(normalize(raw, wsCollapse), -1)
			}
			errs = append(errs, err.Error())
		}
		return fmt.Errorf("%q is none of the union's member types (%s)", clip(raw), strings.Join(errs, "; "))
	}
	v := normalize(raw, t.ws)
	if t.list != nil {
		items := strings.Fields(v)
		for _, it := range items {
			if err := t.list.validate(it); err != nil {
				return err
			}
		}
		return t.facets(v, len(items))
	}
	if err := lexical(t.prim, v); err != nil {
		return err
	}
	return t.facets(v, -1)
}

// facets checks v against the facets of t and of every type it derives from. items is the
// number of list items for list types (the unit their length facets count), -1 otherwise.
func (t *simpleType) facets(v string, items int) error {
	for s := t; s != nil; s = s.base {
		if len(s.enums) > 0 && !s.inEnum(v) {
			if len(s.enums) > 30 {
				return fmt.Errorf("%q is not one of the %d values of %s", clip(v), len(s.enums), s)
			}
			return fmt.Errorf("%q is not one of %s", clip(v), strings.Join(quoteAll(s.enums), ", "))
		}
		if len(s.patterns) > 0 {
			ok := false
			for _, re := range s.patterns {
				if re.MatchString(v) {
					ok = true
					break
				}
			}
			if !ok {
				return fmt.Errorf("%q does not match the pattern %s", clip(v), strings.Join(s.patternSrc, " | "))
			}
		}
		n := items
		if n < 0 {
			n = s.lengthOf(v)
		}
		switch {
		case s.length >= 0 && n != s.length:
			return fmt.Errorf("%q has length %d, must be %d", clip(v), n, s.length)
		case s.minLen >= 0 && n < s.minLen:
			return fmt.Errorf("%q has length %d, must be at least %d", clip(v), n, s.minLen)
		case s.maxLen >= 0 && n > s.maxLen:
			return fmt.Errorf("value has length %d, must be at most %d", n, s.maxLen)
		}
		if s.numeric && (s.minIncl != nil || s.maxIncl != nil || s.minExcl != nil || s.maxExcl != nil || s.totalDigits >= 0 || s.fractionDigits >= 0) {
			if err := s.numericFacets(v); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *simpleType) inEnum(v string) bool {
	if s.enumSet != nil && s.enumSet[v] {
		return true
	}
	if s.enumSet != nil && !s.numeric {
		return false
	}
	for _, e := range s.enums {
		if e == v {
			return true
		}
		if s.numeric {
			a, ok1 := new(big.Rat).SetString(e)
			b, ok2 := new(big.Rat).SetString(v)
			if ok1 && ok2 && a.Cmp(b) == 0 {
				return true
			}
		}
	}
	return false
}

// lengthOf measures a value in the unit its primitive's length facets count: characters, or
// octets for the binary types.
func (s *simpleType) lengthOf(v string) int {
	switch s.prim {
	case "hexBinary":
		return len(v) / 2
	case "base64Binary":
		b, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(v, " ", ""))
		if err != nil {
			return -1
		}
		return len(b)
	}
	return utf8.RuneCountInString(v)
}

func (s *simpleType) numericFacets(v string) error {
	x, ok := new(big.Rat).SetString(strings.TrimPrefix(v, "+"))
	if !ok {
		return fmt.Errorf("%q is not a number", clip(v))
	}
	switch {
	case s.minIncl != nil && x.Cmp(s.minIncl) < 0:
		return fmt.Errorf("%s is below the minimum %s", v, s.minIncl.RatString())
	case s.maxIncl != nil && x.Cmp(s.maxIncl) > 0:
		return fmt.Errorf("%s is above the maximum %s", v, s.maxIncl.RatString())
	case s.minExcl != nil && x.Cmp(s.minExcl) <= 0:
		return fmt.Errorf("%s must be above %s", v, s.minExcl.RatString())
	case s.maxExcl != nil && x.Cmp(s.maxExcl) >= 0:
		return fmt.Errorf("%s must be below %s", v, s.maxExcl.RatString())
	}
	if s.totalDigits >= 0 || s.fractionDigits >= 0 {
		digits := strings.TrimLeft(strings.TrimLeft(v, "+-"), "0")
		intPart, frac, _ := strings.Cut(digits, ".")
		frac = strings.TrimRight(frac, "0")
		if s.totalDigits >= 0 && len(intPart)+len(frac) > s.totalDigits {
			return fmt.Errorf("%s has more than %d digits", v, s.totalDigits)
		}
		if s.fractionDigits >= 0 && len(frac) > s.fractionDigits {
			return fmt.Errorf("%s has more than %d fraction digits", v, s.fractionDigits)
		}
	}
	return nil
}

// lexicalPatterns are the lexical spaces of the primitive types (XSD Part 2, section 3.2).
type lexicalPatterns struct {
	decimal, integer, float, dateTime, date, time, duration, gYear, hex, language, ncName, name, nmtoken, qName *regexp.Regexp
}

// patterns compiles the lexical spaces when a value is first checked, not when the program
// starts: most runs validate no XML, and the compiled patterns take half a megabyte.
var patterns = sync.OnceValue(func() *lexicalPatterns {
	return &lexicalPatterns{
		decimal:  regexp.MustCompile(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$`),
		integer:  regexp.MustCompile(`^[+-]?[0-9]+$`),
		float:    regexp.MustCompile(`^([+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?|INF|-INF|NaN)$`),
		dateTime: regexp.MustCompile(`^(-?[0-9]{4,})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})?$`),
		date:     regexp.MustCompile(`^(-?[0-9]{4,})-([0-9]{2})-([0-9]{2})(Z|[+-][0-9]{2}:[0-9]{2})?$`),
		time:     regexp.MustCompile(`^([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})?$`),
		duration: regexp.MustCompile(`^-?P(([0-9]+Y)?([0-9]+M)?([0-9]+D)?(T([0-9]+H)?([0-9]+M)?([0-9]+(\.[0-9]+)?S)?)?)$`),
		gYear:    regexp.MustCompile(`^-?[0-9]{4,}(Z|[+-][0-9]{2}:[0-9]{2})?$`),
		hex:      regexp.MustCompile(`^([0-9a-fA-F]{2})*$`),
		language: regexp.MustCompile(`^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$`),
		ncName:   regexp.MustCompile(`^[\pL_][\pL\pN._\-\p{Mn}\p{Mc}\x{B7}]*$`),
		name:     regexp.MustCompile(`^[\pL_:][\pL\pN._:\-\p{Mn}\p{Mc}\x{B7}]*$`),
		nmtoken:  regexp.MustCompile(`^[\pL\pN._:\-\p{Mn}\p{Mc}\x{B7}]+$`),
		qName:    regexp.MustCompile(`^([\pL_][\pL\pN._\-]*:)?[\pL_][\pL\pN._\-]*$`),
	}
})

var errLexical = errors.New("not in the lexical space")

// lexical checks v (already whitespace-normalized) against the lexical space of prim.
func lexical(prim, v string) error {
	re := patterns()
	bad := func(what string) error { return fmt.Errorf("%q is not a valid %s", clip(v), what) }
	switch prim {
	case "string", "normalizedString", "token", "anySimpleType", "anyURI":
		// anyURI: XSD 1.0 leaves the mapping to RFC 2396 lenient; processors accept any string
		// that can be %-escaped into a URI reference, which is every string.
		return nil
	case "boolean":
		if v != "true" && v != "false" && v != "1" && v != "0" {
			return bad("boolean (true, false, 1 or 0)")
		}
	case "decimal":
		if !re.decimal.MatchString(v) {
			return bad("decimal")
		}
	case "integer":
		if !re.integer.MatchString(v) {
			return bad("integer")
		}
	case "float", "double":
		if !re.float.MatchString(v) {
			return bad(prim)
		}
	case "dateTime":
		m := re.dateTime.FindStringSubmatch(v)
		if m == nil || !validDate(m[1], m[2], m[3]) || !validTime(m[4], m[5], m[6], m[8]) {
			return bad("dateTime (such as 2024-05-01T12:00:00Z)")
		}
	case "date":
		m := re.date.FindStringSubmatch(v)
		if m == nil || !validDate(m[1], m[2], m[3]) || !validZone(m[4]) {
			return bad("date (such as 2024-05-01)")
		}
	case "time":
		m := re.time.FindStringSubmatch(v)
		if m == nil || !validTime(m[1], m[2], m[3], m[5]) {
			return bad("time")
		}
	case "duration":
		if !re.duration.MatchString(v) || strings.HasSuffix(v, "P") || strings.HasSuffix(v, "T") {
			return bad("duration")
		}
	case "gYear":
		if !re.gYear.MatchString(v) {
			return bad("gYear")
		}
	case "hexBinary":
		if !re.hex.MatchString(v) {
			return bad("hexBinary")
		}
	case "base64Binary":
		if _, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(v, " ", "")); err != nil {
			return bad("base64Binary")
		}
	case "language":
		if !re.language.MatchString(v) {
			return bad("language tag")
		}
	case "NCName", "ID", "IDREF", "ENTITY":
		if !re.ncName.MatchString(v) {
			return bad(prim)
		}
	case "Name":
		if !re.name.MatchString(v) {
			return bad("Name")
		}
	case "NMTOKEN":
		if !re.nmtoken.MatchString(v) {
			return bad("NMTOKEN")
		}
	case "QName", "NOTATION":
		if !re.qName.MatchString(v) {
			return bad("QName")
		}
	default:
		return fmt.Errorf("%w: unknown primitive %s", errLexical, prim)
	}
	return nil
}

func validDate(y, m, d string) bool {
	year, err1 := strconv.Atoi(y)
	month, err2 := strconv.Atoi(m)
	day, err3 := strconv.Atoi(d)
	if err1 != nil || err2 != nil || err3 != nil || year == 0 || month < 1 || month > 12 || day < 1 {
		return false
	}
	days := [...]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[month-1]
	if month == 2 && (year%4 == 0 && year%100 != 0 || year%400 == 0) {
		days = 29
	}
	return day <= days
}

func validTime(h, m, s, zone string) bool {
	hh, _ := strconv.Atoi(h)
	mm, _ := strconv.Atoi(m)
	ss, _ := strconv.Atoi(s)
	if hh == 24 && mm == 0 && ss == 0 {
		return validZone(zone)
	}
	return hh < 24 && mm < 60 && ss < 60 && validZone(zone)
}

func validZone(z string) bool {
	if z == "" || z == "Z" {
		return true
	}
	hh, _ := strconv.Atoi(z[1:3])
	mm, _ := strconv.Atoi(z[4:6])
	return hh < 14 && mm < 60 || hh == 14 && mm == 0
}

// builtins are the built-in types (XSD Part 2, section 3) by local name, each with the primitive
// whose lexical space it narrows and the facets its definition adds.
func builtins() map[string]*simpleType {
	m := map[string]*simpleType{}
	prim := func(name string, ws int, numeric bool) *simpleType {
		t := &simpleType{name: "xs:" + name, prim: name, ws: ws, numeric: numeric,
			length: -1, minLen: -1, maxLen: -1, totalDigits: -1, fractionDigits: -1}
		m[name] = t
		return t
	}
	derive := func(name string, base *simpleType, f func(*simpleType)) *simpleType {
		t := newDerived(base)
		t.name = "xs:" + name
		if f != nil {
			f(t)
		}
		m[name] = t
		return t
	}
	prim("anySimpleType", wsPreserve, false)
	str := prim("string", wsPreserve, false)
	for _, p := range []string{"boolean", "float", "double", "duration", "dateTime", "time", "date",
		"gYearMonth", "gYear", "gMonthDay", "gDay", "gMonth", "hexBinary", "base64Binary", "anyURI", "QName", "NOTATION"} {
		prim(p, wsCollapse, p == "float" || p == "double")
	}
	for _, p := range []string{"gYearMonth", "gMonthDay", "gDay", "gMonth"} {
		m[p].prim = "token" // lexical checks for these rare types are left to their patterns
	}
	dec := prim("decimal", wsCollapse, true)
	ns := derive("normalizedString", str, func(t *simpleType) { t.ws = wsReplace; t.prim = "normalizedString" })
	tok := derive("token", ns, func(t *simpleType) { t.ws = wsCollapse; t.prim = "token" })
	derive("language", tok, func(t *simpleType) { t.prim = "language" })
	nm := derive("Name", tok, func(t *simpleType) { t.prim = "Name" })
	derive("NMTOKEN", tok, func(t *simpleType) { t.prim = "NMTOKEN" })
	nc := derive("NCName", nm, func(t *simpleType) { t.prim = "NCName" })
	for _, n := range []string{"ID", "IDREF", "ENTITY"} {
		derive(n, nc, nil)
	}
	in := derive("integer", dec, func(t *simpleType) { t.prim = "integer"; t.integer = true; t.fractionDigits = 0 })
	rat := func(s string) *big.Rat { r, _ := new(big.Rat).SetString(s); return r }
	npi := derive("nonPositiveInteger", in, func(t *simpleType) { t.maxIncl = rat("0") })
	derive("negativeInteger", npi, func(t *simpleType) { t.maxIncl = rat("-1") })
	nni := derive("nonNegativeInteger", in, func(t *simpleType) { t.minIncl = rat("0") })
	derive("positiveInteger", nni, func(t *simpleType) { t.minIncl = rat("1") })
	for _, r := range []struct {
		name     string
		base     *simpleType
		min, max string
	}{
		{"long", in, "-9223372036854775808", "9223372036854775807"},
		{"int", in, "-2147483648", "2147483647"},
		{"short", in, "-32768", "32767"},
		{"byte", in, "-128", "127"},
		{"unsignedLong", nni, "0", "18446744073709551615"},
		{"unsignedInt", nni, "0", "4294967295"},
		{"unsignedShort", nni, "0", "65535"},
		{"unsignedByte", nni, "0", "255"},
	} {
		derive(r.name, r.base, func(t *simpleType) { t.minIncl, t.maxIncl = rat(r.min), rat(r.max) })
	}
	for _, l := range []struct{ name, item string }{{"NMTOKENS", "NMTOKEN"}, {"IDREFS", "IDREF"}, {"ENTITIES", "ENTITY"}} {
		t := &simpleType{name: "xs:" + l.name, prim: "token", ws: wsCollapse, list: m[l.item],
			length: -1, minLen: 1, maxLen: -1, totalDigits: -1, fractionDigits: -1}
		m[l.name] = t
	}
	return m
}

// compilePattern translates an XSD regular expression (XSD Part 2, appendix F) to Go's RE2
// syntax. XSD patterns match the whole value, have no anchors (^ and $ are ordinary characters
// outside a character class), and add the escapes \i, \c (XML name characters) and character
// class subtraction, which RE2 lacks and are refused.
func compilePattern(p string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString(`^(?:`)
	inClass := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\' && i+1 < len(p):
			n := p[i+1]
			switch n {
			case 'i', 'I', 'c', 'C':
				return nil, fmt.Errorf("pattern %q: the escape \\%c is not supported", p, n)
			}
			b.WriteByte(c)
			b.WriteByte(n)
			i++
			continue
		case c == '[' && !inClass:
			inClass = true
		case c == '[' && inClass:
			return nil, fmt.Errorf("pattern %q: character class subtraction is not supported", p)
		case c == ']' && inClass:
			inClass = false
		case (c == '^' || c == '$') && !inClass:
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	b.WriteString(`)$`)
	return regexp.Compile(b.String())
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strconv.Quote(s)
	}
	return out
}

// clip shortens a value quoted in a message.
func clip(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}
