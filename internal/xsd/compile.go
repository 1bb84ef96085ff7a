package xsd

import (
	"encoding/xml"
	"fmt"
	"io/fs"
	"math/big"
	"sort"
	"strconv"
	"strings"
)

// Set is a compiled set of schemas: the global element declarations an instance's root may
// match, with everything they reach. A Set is safe for concurrent use.
type Set struct {
	elements map[xml.Name]*elemDecl
}

// elemDecl is an element declaration.
type elemDecl struct {
	name    xml.Name
	simple  *simpleType  // simple type, or nil
	complex *complexType // complex type, or nil (with simple nil too: xs:anyType)
	fixed   *string
	idc     []*identity
}

// complexType is a complex type definition.
type complexType struct {
	name     string
	attrs    map[xml.Name]*attrUse
	required []*attrUse
	anyAttr  *wildcard
	simple   *simpleType // simple content, or nil
	content  *automaton  // element content, or nil for empty (or simple) content
	mixed    bool
	anyType  bool
}

type attrUse struct {
	name       xml.Name
	reqIndex   int // position in complexType.required, -1 when optional
	typ        *simpleType
	required   bool
	prohibited bool
	fixed      *string
}

// wildcard is xs:any or xs:anyAttribute: which namespaces it admits and how what it admits is
// checked ("strict", "lax" or "skip").
type wildcard struct {
	any     bool            // ##any
	not     map[string]bool // ##other: every namespace but these (the target namespace and "no namespace")
	allowed map[string]bool // an explicit list (## local as "")
	process string
}

func (w *wildcard) admits(ns string) bool {
	switch {
	case w.any:
		return true
	case w.not != nil:
		return !w.not[ns]
	}
	return w.allowed[ns]
}

// compiler holds the parsed schema documents and what was compiled of them.
type compiler struct {
	docs       map[string][]*schemaDoc // by target namespace
	types      map[xml.Name]*node      // global simple and complex type definitions
	elems      map[xml.Name]*node
	attrGroups map[xml.Name]*node
	groups     map[xml.Name]*node
	attrs      map[xml.Name]*node
	builtin    map[string]*simpleType
	simple     map[xml.Name]*simpleType
	complex    map[xml.Name]*complexType
	elemDecls  map[xml.Name]*elemDecl
}

// Compile reads the schema documents files from fsys and compiles them into a Set. Every
// namespace a document imports must be the target namespace of one of the files given: schema
// locations are not followed, so that validation never reaches the network.
func Compile(fsys fs.FS, files ...string) (*Set, error) {
	c := &compiler{docs: map[string][]*schemaDoc{}, types: map[xml.Name]*node{}, elems: map[xml.Name]*node{},
		attrGroups: map[xml.Name]*node{}, groups: map[xml.Name]*node{}, attrs: map[xml.Name]*node{},
		builtin: builtins(), simple: map[xml.Name]*simpleType{}, complex: map[xml.Name]*complexType{},
		elemDecls: map[xml.Name]*elemDecl{}}
	for _, f := range files {
		d, err := parseSchemaDoc(fsys, f)
		if err != nil {
			return nil, err
		}
		c.docs[d.target] = append(c.docs[d.target], d)
	}
	for _, ds := range c.docs {
		for _, d := range ds {
			for _, ns := range d.imports {
				if _, ok := c.docs[ns]; !ok && ns != nsXML {
					return nil, fmt.Errorf("%s imports namespace %q, which none of the schema documents given defines", d.file, ns)
				}
			}
			if err := c.collect(d); err != nil {
				return nil, err
			}
		}
	}
	set := &Set{elements: map[xml.Name]*elemDecl{}}
	for q := range c.elems {
		e, err := c.globalElement(q)
		if err != nil {
			return nil, err
		}
		set.elements[q] = e
	}
	// Compile every named type too, so that a broken schema fails here and not on the first
	// document that happens to use the broken part.
	for q := range c.types {
		if _, _, err := c.typeByName(q, c.types[q]); err != nil {
			return nil, err
		}
	}
	return set, nil
}

func (c *compiler) collect(d *schemaDoc) error {
	for _, k := range d.root.kids {
		if k.name.Space != nsXS || skipped(k) {
			continue
		}
		q := xml.Name{Space: d.target, Local: k.attr["name"]}
		var into map[xml.Name]*node
		switch k.name.Local {
		case "simpleType", "complexType":
			into = c.types
		case "element":
			into = c.elems
		case "attributeGroup":
			into = c.attrGroups
		case "group":
			into = c.groups
		case "attribute":
			into = c.attrs
		case "import", "annotation":
			continue
		case "include", "redefine", "override", "notation":
			return k.errf("not supported")
		default:
			return k.errf("unexpected at the top level of a schema")
		}
		if _, dup := into[q]; dup {
			return k.errf("%s is defined twice", q.Local)
		}
		into[q] = k
	}
	return nil
}

// typeByName returns the compiled type a QName names: exactly one of the results is set.
func (c *compiler) typeByName(q xml.Name, from *node) (*simpleType, *complexType, error) {
	if q.Space == nsXS {
		if q.Local == "anyType" {
			return nil, &complexType{name: "xs:anyType", anyType: true}, nil
		}
		if t, ok := c.builtin[q.Local]; ok {
			return t, nil, nil
		}
		return nil, nil, from.errf("unknown built-in type xs:%s", q.Local)
	}
	if t, ok := c.simple[q]; ok {
		return t, nil, nil
	}
	if t, ok := c.complex[q]; ok {
		return nil, t, nil
	}
	def, ok := c.types[q]
	if !ok {
		return nil, nil, from.errf("type {%s}%s is not defined", q.Space, q.Local)
	}
	if def.is("simpleType") {
		t, err := c.simpleType(def, q.Local)
		if err != nil {
			return nil, nil, err
		}
		c.simple[q] = t
		return t, nil, nil
	}
	// Registered before it is filled: complex types refer to themselves (a component's
	// components are components).
	ct := &complexType{name: q.Local}
	c.complex[q] = ct
	if err := c.fillComplex(ct, def); err != nil {
		return nil, nil, err
	}
	return nil, ct, nil
}

func (c *compiler) simpleByName(q xml.Name, from *node) (*simpleType, error) {
	st, ct, err := c.typeByName(q, from)
	if err != nil {
		return nil, err
	}
	if st == nil {
		if ct.anyType {
			return c.builtin["anySimpleType"], nil
		}
		return nil, from.errf("type %s is complex where a simple type is needed", ct.name)
	}
	return st, nil
}

// simpleType compiles an xs:simpleType definition.
func (c *compiler) simpleType(def *node, name string) (*simpleType, error) {
	for _, k := range def.kids {
		if k.name.Space != nsXS || k.is("annotation") {
			continue
		}
		switch k.name.Local {
		case "restriction":
			return c.restriction(k, name)
		case "union":
			t := &simpleType{name: name, prim: "anySimpleType", length: -1, minLen: -1, maxLen: -1, totalDigits: -1, fractionDigits: -1}
			for _, m := range strings.Fields(k.attr["memberTypes"]) {
				q, err := k.qname(m)
				if err != nil {
					return nil, err
				}
				mt, err := c.simpleByName(q, k)
				if err != nil {
					return nil, err
				}
				t.union = append(t.union, mt)
			}
			for _, kk := range k.kids {
				if kk.is("simpleType") {
					mt, err := c.simpleType(kk, "")
					if err != nil {
						return nil, err
					}
					t.union = append(t.union, mt)
				}
			}
			if len(t.union) == 0 {
				return nil, k.errf("union without member types")
			}
			return t, nil
		case "list":
			var item *simpleType
			var err error
			if it := k.attr["itemType"]; it != "" {
				q, qerr := k.qname(it)
				if qerr != nil {
					return nil, qerr
				}
				item, err = c.simpleByName(q, k)
			} else {
				for _, kk := range k.kids {
					if kk.is("simpleType") {
						item, err = c.simpleType(kk, "")
					}
				}
			}
			if err != nil {
				return nil, err
			}
			if item == nil {
				return nil, k.errf("list without an item type")
			}
			return &simpleType{name: name, prim: "token", ws: wsCollapse, list: item, length: -1, minLen: -1, maxLen: -1, totalDigits: -1, fractionDigits: -1}, nil
		default:
			return nil, k.errf("not supported in a simple type")
		}
	}
	return nil, def.errf("simple type without restriction, union or list")
}

// restriction compiles xs:restriction of a simple type: the base and the facets it adds.
func (c *compiler) restriction(r *node, name string) (*simpleType, error) {
	var base *simpleType
	if b := r.attr["base"]; b != "" {
		q, err := r.qname(b)
		if err != nil {
			return nil, err
		}
		if base, err = c.simpleByName(q, r); err != nil {
			return nil, err
		}
	}
	for _, k := range r.kids {
		if k.is("simpleType") {
			b, err := c.simpleType(k, "")
			if err != nil {
				return nil, err
			}
			base = b
		}
	}
	if base == nil {
		return nil, r.errf("restriction without a base type")
	}
	return c.restrict(base, r, name)
}

// restrict derives a type from base by the facets written in r.
func (c *compiler) restrict(base *simpleType, r *node, name string) (*simpleType, error) {
	t := newDerived(base)
	t.name = name
	if base.union != nil || base.list != nil {
		// Facets on a union or list restrict the whole value; keep the members.
		t.union, t.list = base.union, base.list
	}
	num := func(k *node) (*big.Rat, error) {
		v, ok := new(big.Rat).SetString(strings.TrimSpace(k.attr["value"]))
		if !ok {
			return nil, k.errf("value %q is not a number", k.attr["value"])
		}
		return v, nil
	}
	count := func(k *node) (int, error) {
		n, err := strconv.Atoi(strings.TrimSpace(k.attr["value"]))
		if err != nil || n < 0 {
			return 0, k.errf("value %q is not a non-negative integer", k.attr["value"])
		}
		return n, nil
	}
	var err error
	for _, k := range r.kids {
		if k.name.Space != nsXS || skipped(k) {
			continue
		}
		switch k.name.Local {
		case "annotation", "simpleType":
		case "enumeration":
			t.enums = append(t.enums, normalize(k.attr["value"], t.ws))
		case "pattern":
			re, perr := compilePattern(k.attr["value"])
			if perr != nil {
				return nil, k.errf("%v", perr)
			}
			t.patterns = append(t.patterns, re)
			t.patternSrc = append(t.patternSrc, k.attr["value"])
		case "length":
			t.length, err = count(k)
		case "minLength":
			t.minLen, err = count(k)
		case "maxLength":
			t.maxLen, err = count(k)
		case "totalDigits":
			t.totalDigits, err = count(k)
		case "fractionDigits":
			t.fractionDigits, err = count(k)
		case "minInclusive":
			t.minIncl, err = num(k)
		case "maxInclusive":
			t.maxIncl, err = num(k)
		case "minExclusive":
			t.minExcl, err = num(k)
		case "maxExclusive":
			t.maxExcl, err = num(k)
		case "whiteSpace":
			switch k.attr["value"] {
			case "preserve":
				t.ws = wsPreserve
			case "replace":
				t.ws = wsReplace
			case "collapse":
				t.ws = wsCollapse
			default:
				return nil, k.errf("unknown whiteSpace %q", k.attr["value"])
			}
		default:
			return nil, k.errf("facet not supported")
		}
		if err != nil {
			return nil, err
		}
	}
	if len(t.enums) > 16 {
		t.enumSet = make(map[string]bool, len(t.enums))
		for _, e := range t.enums {
			t.enumSet[e] = true
		}
	}
	if !t.numeric && (t.minIncl != nil || t.maxIncl != nil || t.minExcl != nil || t.maxExcl != nil) {
		return nil, r.errf("range facets are supported on numeric types only")
	}
	return t, nil
}

// fillComplex compiles an xs:complexType definition into ct.
func (c *compiler) fillComplex(ct *complexType, def *node) error {
	ct.attrs = map[xml.Name]*attrUse{}
	ct.mixed = def.attr["mixed"] == "true" || def.attr["mixed"] == "1"
	var particle *node
	for _, k := range def.kids {
		if k.name.Space != nsXS || skipped(k) {
			continue
		}
		switch k.name.Local {
		case "annotation", "assert":
			// An assertion not marked vc:minVersion="1.1" in an XSD 1.0 schema is an error
			// of the schema; the published ones mark theirs.
			if k.is("assert") {
				return k.errf("XSD 1.1 assertions are not supported")
			}
		case "sequence", "choice", "all", "group":
			particle = k
		case "attribute", "attributeGroup", "anyAttribute":
			if err := c.attribute(ct, k); err != nil {
				return err
			}
		case "simpleContent":
			if err := c.simpleContent(ct, k); err != nil {
				return err
			}
		default:
			return k.errf("not supported in a complex type")
		}
	}
	if particle != nil {
		a, err := c.buildAutomaton(particle)
		if err != nil {
			return err
		}
		ct.content = a
	}
	names := make([]xml.Name, 0, len(ct.attrs))
	for n := range ct.attrs {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return names[i].Space+" "+names[i].Local < names[j].Space+" "+names[j].Local })
	for _, n := range names {
		// A copy: attribute uses are shared with base types, and the index is this type's.
		cp := *ct.attrs[n]
		u := &cp
		ct.attrs[n] = u
		u.reqIndex = -1
		if u.required {
			if len(ct.required) == 64 {
				return def.errf("more than 64 required attributes")
			}
			u.reqIndex = len(ct.required)
			ct.required = append(ct.required, u)
		}
	}
	return nil
}

func (c *compiler) simpleContent(ct *complexType, sc *node) error {
	for _, k := range sc.kids {
		if k.name.Space != nsXS || k.is("annotation") {
			continue
		}
		if !k.is("extension") && !k.is("restriction") {
			return k.errf("not supported in simple content")
		}
		q, err := k.qname(k.attr["base"])
		if err != nil {
			return err
		}
		st, bct, err := c.typeByName(q, k)
		if err != nil {
			return err
		}
		if bct != nil {
			if bct.simple == nil {
				return k.errf("base type %s has no simple content", bct.name)
			}
			st = bct.simple
			for n, u := range bct.attrs {
				ct.attrs[n] = u
			}
			ct.anyAttr = bct.anyAttr
		}
		if k.is("restriction") {
			// Facets restricting the base's simple content.
			r := &node{file: k.file, line: k.line, name: k.name, ns: k.ns, owner: k.owner}
			for _, kk := range k.kids {
				if !kk.is("attribute") && !kk.is("attributeGroup") && !kk.is("anyAttribute") {
					r.kids = append(r.kids, kk)
				}
			}
			if st, err = c.restrict(st, r, ""); err != nil {
				return err
			}
		}
		ct.simple = st
		for _, kk := range k.kids {
			if kk.is("attribute") || kk.is("attributeGroup") || kk.is("anyAttribute") {
				if err := c.attribute(ct, kk); err != nil {
					return err
				}
			}
		}
	}
	if ct.simple == nil {
		return sc.errf("simple content without a base type")
	}
	return nil
}

// attribute adds an xs:attribute, xs:attributeGroup reference or xs:anyAttribute to ct.
func (c *compiler) attribute(ct *complexType, k *node) error {
	switch k.name.Local {
	case "anyAttribute":
		w, err := c.wildcard(k)
		if err != nil {
			return err
		}
		ct.anyAttr = w
		return nil
	case "attributeGroup":
		q, err := k.qname(k.attr["ref"])
		if err != nil {
			return err
		}
		g, ok := c.attrGroups[q]
		if !ok {
			return k.errf("attribute group %s is not defined", q.Local)
		}
		for _, kk := range g.kids {
			if kk.name.Space == nsXS && (kk.is("attribute") || kk.is("attributeGroup") || kk.is("anyAttribute")) {
				if err := c.attribute(ct, kk); err != nil {
					return err
				}
			}
		}
		return nil
	}
	u := &attrUse{}
	def := k
	if ref := k.attr["ref"]; ref != "" {
		q, err := k.qname(ref)
		if err != nil {
			return err
		}
		if q.Space == nsXML {
			u.name, u.typ = q, c.builtin["string"]
		} else {
			g, ok := c.attrs[q]
			if !ok {
				return k.errf("attribute %s is not defined", q.Local)
			}
			def = g
			u.name = q
		}
	} else {
		u.name = xml.Name{Local: k.attr["name"]}
		if k.attr["form"] == "qualified" || k.attr["form"] == "" && k.owner.attributeQualified {
			u.name.Space = k.owner.target
		}
	}
	if u.typ == nil {
		u.typ = c.builtin["anySimpleType"]
		if tn := def.attr["type"]; tn != "" {
			q, err := def.qname(tn)
			if err != nil {
				return err
			}
			if u.typ, err = c.simpleByName(q, def); err != nil {
				return err
			}
		}
		for _, kk := range def.kids {
			if kk.is("simpleType") {
				t, err := c.simpleType(kk, "")
				if err != nil {
					return err
				}
				u.typ = t
			}
		}
	}
	switch k.attr["use"] {
	case "required":
		u.required = true
	case "prohibited":
		u.prohibited = true
	}
	if f, ok := k.attr["fixed"]; ok {
		u.fixed = &f
	} else if f, ok := def.attr["fixed"]; ok {
		u.fixed = &f
	}
	ct.attrs[u.name] = u
	return nil
}

func (c *compiler) wildcard(k *node) (*wildcard, error) {
	w := &wildcard{process: k.attr["processContents"]}
	if w.process == "" {
		w.process = "strict"
	}
	target := k.owner.target
	switch ns := strings.TrimSpace(k.attr["namespace"]); ns {
	case "", "##any":
		w.any = true
	case "##other":
		w.not = map[string]bool{target: true, "": true}
	default:
		w.allowed = map[string]bool{}
		for _, n := range strings.Fields(ns) {
			switch n {
			case "##targetNamespace":
				w.allowed[target] = true
			case "##local":
				w.allowed[""] = true
			default:
				w.allowed[n] = true
			}
		}
	}
	return w, nil
}

// globalElement compiles a top-level element declaration.
func (c *compiler) globalElement(q xml.Name) (*elemDecl, error) {
	if e, ok := c.elemDecls[q]; ok {
		return e, nil
	}
	def, ok := c.elems[q]
	if !ok {
		return nil, fmt.Errorf("element {%s}%s is not declared", q.Space, q.Local)
	}
	e := &elemDecl{name: q}
	c.elemDecls[q] = e
	return e, c.fillElement(e, def)
}

// element compiles a local element declaration or reference inside a content model.
func (c *compiler) element(k *node) (*elemDecl, error) {
	if ref := k.attr["ref"]; ref != "" {
		q, err := k.qname(ref)
		if err != nil {
			return nil, err
		}
		if _, ok := c.elems[q]; !ok {
			return nil, k.errf("element %s is not declared", q.Local)
		}
		return c.globalElement(q)
	}
	e := &elemDecl{name: xml.Name{Local: k.attr["name"]}}
	if k.attr["form"] == "qualified" || k.attr["form"] == "" && k.owner.elementQualified {
		e.name.Space = k.owner.target
	}
	return e, c.fillElement(e, k)
}

func (c *compiler) fillElement(e *elemDecl, k *node) error {
	if k.attr["substitutionGroup"] != "" || k.attr["abstract"] == "true" {
		return k.errf("substitution groups are not supported")
	}
	if f, ok := k.attr["fixed"]; ok {
		e.fixed = &f
	}
	if tn := k.attr["type"]; tn != "" {
		q, err := k.qname(tn)
		if err != nil {
			return err
		}
		if e.simple, e.complex, err = c.typeByName(q, k); err != nil {
			return err
		}
	}
	for _, kk := range k.kids {
		if kk.name.Space != nsXS || skipped(kk) {
			continue
		}
		switch kk.name.Local {
		case "annotation":
		case "simpleType":
			t, err := c.simpleType(kk, "")
			if err != nil {
				return err
			}
			e.simple = t
		case "complexType":
			ct := &complexType{name: "anonymous type of " + e.name.Local}
			if err := c.fillComplex(ct, kk); err != nil {
				return err
			}
			e.complex = ct
		case "unique", "key":
			id, err := compileIdentity(kk)
			if err != nil {
				return err
			}
			e.idc = append(e.idc, id)
		default:
			return kk.errf("not supported in an element declaration")
		}
	}
	if e.simple == nil && e.complex == nil {
		e.complex = &complexType{name: "xs:anyType", anyType: true}
	}
	if e.fixed != nil && e.simple != nil {
		if err := e.simple.validate(*e.fixed); err != nil {
			return k.errf("fixed value: %v", err)
		}
	}
	return nil
}
