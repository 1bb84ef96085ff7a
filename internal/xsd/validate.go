package xsd

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Problem is one way an instance breaks its schema.
type Problem struct {
	Line, Column int    // position of the element (or text) at fault, 1-based
	Path         string // element path such as /bom/components/component[2]/hashes/hash[1]
	Message      string
}

func (p Problem) String() string {
	return fmt.Sprintf("%d:%d: %s: %s", p.Line, p.Column, p.Path, p.Message)
}

// Limits bound what Validate accepts from an untrusted instance.
type Limits struct {
	MaxDepth    int // deepest element nesting; 0 means 128
	MaxProblems int // problems reported before validation stops; 0 means 100
}

// ErrNotXML is wrapped by the error Validate returns when the instance is not well-formed XML
// (or breaks a limit) and cannot be validated.
var ErrNotXML = errors.New("not well-formed XML")

// frame is an open element of the instance. Frames are reused from one element to the next at
// the same depth, so that a large document costs no allocation per element for them.
type frame struct {
	name    xml.Name
	parent  *frame
	index   int // position among the parent's children of the same name, from 1
	decl    *elemDecl
	typ     *complexType // nil for a simple-typed element
	simple  *simpleType
	state   *dstate
	skip    bool // contents not assessed (skip or lax wildcard without a declaration)
	lax     bool // children that have a global declaration are assessed
	text    []byte
	kids    []kidCount // occurrences of each child name, for paths
	line    int
	col     int
	textErr bool
}

type kidCount struct {
	local string
	n     int
}

// path is the element path of f, such as /bom/components[1]/component[2]; it is built only for
// problems.
func (f *frame) path() string {
	if f.parent == nil {
		return "/" + f.name.Local
	}
	return f.parent.path() + "/" + f.name.Local + "[" + strconv.Itoa(f.index) + "]"
}

type scope struct {
	id    *identity
	depth int // depth of the element that owns the constraint
	seen  map[string]int
	path  string
}

type validator struct {
	set      *Set
	dec      *xml.Decoder
	limits   Limits
	problems []Problem
	stack    []*frame
	frames   []*frame // frames[d] is reused for every element at depth d
	names    []xml.Name
	scopes   []*scope
}

// Validate reads one XML document from r and checks it against the set. It returns the problems
// found (none for a valid document), or an error wrapping ErrNotXML when the document is not
// well-formed. The root element must match one of the set's global element declarations.
func (s *Set) Validate(r io.Reader, limits Limits) ([]Problem, error) {
	if limits.MaxDepth <= 0 {
		limits.MaxDepth = 128
	}
	if limits.MaxProblems <= 0 {
		limits.MaxProblems = 100
	}
	v := &validator{set: s, dec: xml.NewDecoder(r), limits: limits}
	v.dec.Strict = true
	root := false
	for len(v.problems) < limits.MaxProblems {
		tok, err := v.dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			line, col := v.dec.InputPos()
			return v.problems, fmt.Errorf("%w: line %d, column %d: %v", ErrNotXML, line, col, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(v.stack) >= limits.MaxDepth {
				line, col := v.dec.InputPos()
				return v.problems, fmt.Errorf("%w: line %d, column %d: elements nest deeper than %d levels", ErrNotXML, line, col, limits.MaxDepth)
			}
			if len(v.stack) == 0 {
				if root {
					v.report(nil, "more than one root element")
				}
				root = true
			}
			v.start(t)
		case xml.EndElement:
			v.end()
		case xml.CharData:
			v.chars(t)
		case xml.Directive:
			if bytes.Contains(t, []byte("DOCTYPE")) || bytes.Contains(t, []byte("ENTITY")) {
				line, col := v.dec.InputPos()
				return v.problems, fmt.Errorf("%w: line %d, column %d: document type declarations are refused", ErrNotXML, line, col)
			}
		}
	}
	if !root && len(v.problems) == 0 {
		return nil, fmt.Errorf("%w: no root element", ErrNotXML)
	}
	return v.problems, nil
}

func (v *validator) report(f *frame, format string, args ...any) {
	if len(v.problems) >= v.limits.MaxProblems {
		return
	}
	p := Problem{Message: fmt.Sprintf(format, args...)}
	if f != nil {
		p.Line, p.Column, p.Path = f.line, f.col, f.path()
	} else {
		p.Line, p.Column = v.dec.InputPos()
	}
	v.problems = append(v.problems, p)
}

func (v *validator) start(t xml.StartElement) {
	line, col := v.dec.InputPos()
	depth := len(v.stack)
	if depth == len(v.frames) {
		v.frames = append(v.frames, &frame{})
	}
	f := v.frames[depth]
	*f = frame{name: t.Name, line: line, col: col, text: f.text[:0], kids: f.kids[:0]}
	var parent *frame
	if depth > 0 {
		parent = v.stack[depth-1]
		f.parent = parent
		f.index = parent.count(t.Name.Local)
	}
	v.names = append(v.names, t.Name)
	v.stack = append(v.stack, f)
	v.identities(t)

	switch {
	case parent == nil:
		d, ok := v.set.elements[t.Name]
		if !ok {
			v.report(f, "root element <%s> in namespace %q is not declared by the schema", t.Name.Local, t.Name.Space)
			f.skip = true
			return
		}
		v.assess(f, d, t.Attr)
	case parent.skip:
		f.skip = true
		if parent.lax {
			if d, ok := v.set.elements[t.Name]; ok {
				v.assess(f, d, t.Attr)
			} else {
				f.lax = true
			}
		}
	case parent.typ == nil || parent.typ.simple != nil:
		v.report(f, "element <%s> is not allowed: <%s> has text content only", t.Name.Local, parent.name.Local)
		f.skip = true
	case parent.typ.anyType:
		f.skip, f.lax = true, true
		if d, ok := v.set.elements[t.Name]; ok {
			f.skip, f.lax = false, false
			v.assess(f, d, t.Attr)
		}
	case parent.typ.content == nil:
		v.report(f, "element <%s> is not allowed: <%s> must be empty", t.Name.Local, parent.name.Local)
		f.skip = true
	default:
		a := parent.typ.content
		st, ok := a.step(parent.state, t.Name)
		if !ok {
			v.report(f, "element <%s>%s is not allowed here; expected %s", t.Name.Local, nsNote(t.Name, parent.name),
				expectation(a.expected(parent.state), parent.state.accept, parent.name.Local))
			f.skip = true
			return
		}
		parent.state = st.to
		switch {
		case st.elem != nil:
			v.assess(f, st.elem, t.Attr)
		case st.wild.process == "skip":
			f.skip = true
		default:
			if d, ok := v.set.elements[t.Name]; ok {
				v.assess(f, d, t.Attr)
			} else if st.wild.process == "strict" {
				v.report(f, "element <%s> in namespace %q is not declared by any schema", t.Name.Local, t.Name.Space)
				f.skip = true
			} else {
				f.skip, f.lax = true, true
			}
		}
	}
}

// count notes one more child named local and returns its position among its namesakes.
func (f *frame) count(local string) int {
	for i := range f.kids {
		if f.kids[i].local == local {
			f.kids[i].n++
			return f.kids[i].n
		}
	}
	f.kids = append(f.kids, kidCount{local, 1})
	return 1
}

func nsNote(n, parent xml.Name) string {
	if n.Space != parent.Space {
		if n.Space == "" {
			return " (in no namespace)"
		}
		return fmt.Sprintf(" (in namespace %q)", n.Space)
	}
	return ""
}

func expectation(next []string, accept bool, parent string) string {
	switch {
	case len(next) == 0:
		return "the end of <" + parent + ">"
	case accept:
		return strings.Join(next, ", ") + " or the end of <" + parent + ">"
	}
	return strings.Join(next, ", ")
}

// assess starts checking f against its declaration: its type and its attributes.
func (v *validator) assess(f *frame, d *elemDecl, attrs []xml.Attr) {
	f.decl = d
	for _, id := range d.idc {
		v.scopes = append(v.scopes, &scope{id: id, depth: len(v.stack) - 1, seen: map[string]int{}, path: f.path()})
	}
	if d.simple != nil {
		f.simple = d.simple
		for _, a := range attrs {
			if !ignorableAttr(a.Name) {
				v.report(f, "attribute %s is not allowed: <%s> has a simple type", attrName(a.Name), f.name.Local)
			}
		}
		return
	}
	ct := d.complex
	f.typ = ct
	if ct.anyType {
		return
	}
	if ct.content != nil {
		f.state = ct.content.start
	}
	var seen uint64 // bit i: ct.required[i] is present (requiredBit)
	for _, a := range attrs {
		if ignorableAttr(a.Name) {
			continue
		}
		u, ok := ct.attrs[a.Name]
		switch {
		case ok && u.prohibited:
			v.report(f, "attribute %s is prohibited on <%s>", attrName(a.Name), f.name.Local)
		case ok:
			if u.reqIndex >= 0 {
				seen |= 1 << u.reqIndex
			}
			if err := u.typ.validate(a.Value); err != nil {
				v.report(f, "attribute %s: %v", attrName(a.Name), err)
			} else if u.fixed != nil && normalize(a.Value, u.typ.ws) != normalize(*u.fixed, u.typ.ws) {
				v.report(f, "attribute %s must be %q", attrName(a.Name), *u.fixed)
			}
		case ct.anyAttr != nil && ct.anyAttr.admits(a.Name.Space):
			// Wildcard attributes are not declared by the schemas Siegel embeds; lax and skip
			// leave them unchecked, strict would need a global attribute declaration.
			if ct.anyAttr.process == "strict" {
				v.report(f, "attribute %s is not declared by any schema", attrName(a.Name))
			}
		default:
			v.report(f, "attribute %s is not allowed on <%s>", attrName(a.Name), f.name.Local)
		}
	}
	for i, u := range ct.required {
		if seen&(1<<i) == 0 {
			v.report(f, "required attribute %s is missing from <%s>", attrName(u.name), f.name.Local)
		}
	}
}

// ignorableAttr reports attributes no schema declares: namespace declarations and the
// xsi attributes (XSD Part 1, 3.2.7), which Siegel does not act on.
func ignorableAttr(n xml.Name) bool {
	return n.Space == "xmlns" || n.Space == "" && n.Local == "xmlns" || n.Space == nsXSI
}

func attrName(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return "{" + n.Space + "}" + n.Local
}

func (v *validator) chars(t xml.CharData) {
	if len(v.stack) == 0 {
		if len(bytes.TrimSpace(t)) > 0 {
			v.report(nil, "text outside the root element")
		}
		return
	}
	f := v.stack[len(v.stack)-1]
	switch {
	case f.skip || f.typ != nil && f.typ.anyType:
	case f.simple != nil || f.typ != nil && (f.typ.simple != nil || f.typ.mixed):
		f.text = append(f.text, t...)
	case !f.textErr && len(bytes.TrimSpace(t)) > 0:
		f.textErr = true
		v.report(f, "text %q is not allowed in <%s>, which holds elements only", clip(strings.TrimSpace(string(t))), f.name.Local)
	}
}

func (v *validator) end() {
	n := len(v.stack)
	if n == 0 {
		return
	}
	f := v.stack[n-1]
	if !f.skip {
		v.finish(f)
	}
	// Close the identity scopes this element owns.
	for len(v.scopes) > 0 && v.scopes[len(v.scopes)-1].depth == n-1 {
		v.scopes = v.scopes[:len(v.scopes)-1]
	}
	v.stack = v.stack[:n-1]
	v.names = v.names[:n-1]
}

func (v *validator) finish(f *frame) {
	st := f.simple
	if st == nil && f.typ != nil {
		st = f.typ.simple
	}
	if st != nil {
		val := string(f.text)
		if f.decl.fixed != nil {
			if val == "" {
				val = *f.decl.fixed
			} else if normalize(val, st.ws) != normalize(*f.decl.fixed, st.ws) {
				v.report(f, "<%s> must be %q", f.name.Local, *f.decl.fixed)
			}
		}
		if err := st.validate(val); err != nil {
			v.report(f, "<%s>: %v", f.name.Local, err)
		}
		return
	}
	if f.typ != nil && f.typ.content != nil && !f.state.accept {
		v.report(f, "<%s> is incomplete: expected %s", f.name.Local, expectation(f.typ.content.expected(f.state), false, f.name.Local))
	}
}

// identities adds the element just opened to the constraints whose selector picks it.
func (v *validator) identities(t xml.StartElement) {
	for _, sc := range v.scopes {
		rel := v.names[sc.depth+1:]
		if !sc.id.selects(rel) {
			continue
		}
		f := v.stack[len(v.stack)-1]
		val, ok := sc.id.values(t.Attr)
		if !ok {
			if sc.id.key {
				v.report(f, "<%s> lacks a field of key %q", t.Name.Local, sc.id.name)
			}
			continue
		}
		if first, dup := sc.seen[val]; dup {
			v.report(f, "value %q breaks %q: it must be unique within %s and is already used on line %d", clip(strings.ReplaceAll(val, "\x00", " ")), sc.id.name, sc.path, first)
			continue
		}
		sc.seen[val] = f.line
	}
}
