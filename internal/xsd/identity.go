package xsd

import (
	"encoding/xml"
	"strings"
)

// identity is an xs:unique or xs:key constraint (XSD Part 1, 3.11). Selectors and fields use the
// XPath subset of 3.11.6; fields are limited to attributes of the selected element, which is all
// the schemas Siegel embeds use.
type identity struct {
	name     string
	key      bool      // xs:key: every selected element must have every field
	selector []xpath   // alternatives
	fields   [][]xpath // per field, alternatives
}

type xpath struct {
	descendant bool // starts with .//
	steps      []nameTest
	attr       *nameTest // the attribute a field names
}

type nameTest struct {
	anyName bool // * or prefix:*
	anyNS   bool // *
	name    xml.Name
}

func (t nameTest) matches(n xml.Name) bool {
	switch {
	case t.anyNS:
		return true
	case t.anyName:
		return n.Space == t.name.Space
	}
	return n == t.name
}

func compileIdentity(k *node) (*identity, error) {
	id := &identity{name: k.attr["name"], key: k.is("key")}
	for _, kk := range k.kids {
		switch {
		case kk.is("selector"):
			for _, alt := range strings.Split(kk.attr["xpath"], "|") {
				p, err := parseXPath(kk, alt, false)
				if err != nil {
					return nil, err
				}
				id.selector = append(id.selector, p)
			}
		case kk.is("field"):
			var alts []xpath
			for _, alt := range strings.Split(kk.attr["xpath"], "|") {
				p, err := parseXPath(kk, alt, true)
				if err != nil {
					return nil, err
				}
				if len(p.steps) > 0 || p.descendant || p.attr == nil {
					return nil, kk.errf("field %q: only attributes of the selected element are supported", kk.attr["xpath"])
				}
				alts = append(alts, p)
			}
			id.fields = append(id.fields, alts)
		}
	}
	if len(id.selector) == 0 || len(id.fields) == 0 {
		return nil, k.errf("identity constraint without selector or field")
	}
	return id, nil
}

func parseXPath(k *node, s string, field bool) (xpath, error) {
	var p xpath
	s = strings.Join(strings.Fields(s), "")
	if rest, ok := strings.CutPrefix(s, ".//"); ok {
		p.descendant, s = true, rest
	}
	for i, part := range strings.Split(s, "/") {
		if part == "." || part == "child::." {
			continue
		}
		if part == "" {
			return p, k.errf("xpath %q: empty step", s)
		}
		isAttr := strings.HasPrefix(part, "@") || strings.HasPrefix(part, "attribute::")
		name := strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(part, "@"), "attribute::"), "child::")
		var t nameTest
		switch {
		case name == "*":
			t.anyNS, t.anyName = true, true
		case strings.HasSuffix(name, ":*"):
			ns, ok := k.ns[strings.TrimSuffix(name, ":*")]
			if !ok {
				return p, k.errf("xpath %q: undeclared prefix", s)
			}
			t.anyName, t.name.Space = true, ns
		default:
			prefix, local, hasPrefix := strings.Cut(name, ":")
			if !hasPrefix {
				t.name.Local = prefix // unprefixed names have no namespace in XSD XPath
			} else {
				ns, ok := k.ns[prefix]
				if !ok {
					return p, k.errf("xpath %q: undeclared prefix", s)
				}
				t.name = xml.Name{Space: ns, Local: local}
			}
		}
		if isAttr {
			if !field || i != len(strings.Split(s, "/"))-1 {
				return p, k.errf("xpath %q: an attribute step may only end a field", s)
			}
			p.attr = &t
			continue
		}
		p.steps = append(p.steps, t)
	}
	return p, nil
}

// selects reports whether the element at rel (names from below the constraint's element down to
// it) is in the constraint's target node set.
func (id *identity) selects(rel []xml.Name) bool {
	for _, p := range id.selector {
		if len(rel) == 0 {
			if len(p.steps) == 0 && !p.descendant {
				return true
			}
			continue
		}
		if !p.descendant && len(rel) != len(p.steps) || p.descendant && len(rel) < len(p.steps) {
			continue
		}
		tail := rel[len(rel)-len(p.steps):]
		ok := true
		for i, t := range p.steps {
			if !t.matches(tail[i]) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// values returns the field values of a selected element, and whether every field had one.
func (id *identity) values(attrs []xml.Attr) (string, bool) {
	var b strings.Builder
	for i, alts := range id.fields {
		found := false
		for _, p := range alts {
			for _, a := range attrs {
				if a.Name.Space != "xmlns" && p.attr.matches(a.Name) {
					if i > 0 {
						b.WriteByte(0)
					}
					b.WriteString(a.Value)
					found = true
					break
				}
			}
			if found {
				break
			}
		}
		if !found {
			return "", false
		}
	}
	return b.String(), true
}
