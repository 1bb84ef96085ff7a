// Package xsd validates XML documents against W3C XML Schema 1.0 definitions (XSD), as published
// by the standards that define them, without cgo. It compiles the schema documents it is given
// (following xs:import between them) and checks an instance as a stream: element structure
// (sequence, choice and all with minOccurs/maxOccurs), element and attribute wildcards with their
// namespace constraints and processContents, attributes (required, optional, prohibited, fixed),
// simple types (built-in types, restriction by enumeration, pattern, length, minLength,
// maxLength, min/max inclusive/exclusive, totalDigits, fractionDigits, union and list),
// simple content, mixed content, and the identity constraints xs:unique and xs:key with the
// restricted XPath subset XSD 1.0 defines for selectors and fields.
//
// Not supported, and refused when a schema uses them: xs:redefine, xs:override, xs:complexContent
// derivation, substitution groups, xs:keyref and xs:notation. XSD 1.1 assertions that a schema
// marks vc:minVersion="1.1" are skipped, as an XSD 1.0 processor does (XSD 1.1 Part 1, clause
// 4.2.2, conditional inclusion).
package xsd

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
)

// Namespaces of the schema language itself.
const (
	nsXS  = "http://www.w3.org/2001/XMLSchema"
	nsXSI = "http://www.w3.org/2001/XMLSchema-instance"
	nsVC  = "http://www.w3.org/2007/XMLSchema-versioning"
	nsXML = "http://www.w3.org/XML/1998/namespace"
)

// node is an element of a schema document with its in-scope namespace bindings, so that QName
// values (type="bom:hashType") can be resolved where they are written.
type node struct {
	file  string
	line  int
	name  xml.Name
	attr  map[string]string // unqualified attributes of the schema element
	ns    map[string]string // prefix -> namespace in scope ("" is the default namespace)
	kids  []*node
	text  string
	owner *schemaDoc
}

func (n *node) is(local string) bool { return n.name.Space == nsXS && n.name.Local == local }

func (n *node) errf(format string, args ...any) error {
	return fmt.Errorf("%s:%d: <xs:%s>: %s", n.file, n.line, n.name.Local, fmt.Sprintf(format, args...))
}

// qname resolves a QName value written in the schema document.
func (n *node) qname(v string) (xml.Name, error) {
	v = strings.TrimSpace(v)
	prefix, local, ok := strings.Cut(v, ":")
	if !ok {
		local, prefix = prefix, ""
	}
	ns, bound := n.ns[prefix]
	if !bound && prefix != "" {
		return xml.Name{}, n.errf("prefix %q of %q is not declared", prefix, v)
	}
	return xml.Name{Space: ns, Local: local}, nil
}

// schemaDoc is one parsed schema document.
type schemaDoc struct {
	file               string
	target             string
	elementQualified   bool
	attributeQualified bool
	root               *node
	imports            []string // namespaces imported
}

// maxSchemaBytes bounds one schema document; the largest CycloneDX XSD is well under 1 MiB.
const maxSchemaBytes = 16 << 20

func parseSchemaDoc(fsys fs.FS, file string) (*schemaDoc, error) {
	data, err := fs.ReadFile(fsys, file)
	if err != nil {
		return nil, err
	}
	if len(data) > maxSchemaBytes {
		return nil, fmt.Errorf("%s: schema document larger than %d bytes", file, maxSchemaBytes)
	}
	doc := &schemaDoc{file: file}
	dec := xml.NewDecoder(bytes.NewReader(data))
	var stack []*node
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			line, _ := dec.InputPos()
			n := &node{file: file, line: line, name: t.Name, attr: map[string]string{}, owner: doc}
			var parent map[string]string
			if len(stack) > 0 {
				parent = stack[len(stack)-1].ns
			}
			n.ns = parent
			copied := false
			bind := func(prefix, ns string) {
				if !copied {
					n.ns = make(map[string]string, len(parent)+1)
					for k, v := range parent {
						n.ns[k] = v
					}
					copied = true
				}
				n.ns[prefix] = ns
			}
			for _, a := range t.Attr {
				switch {
				case a.Name.Space == "xmlns":
					bind(a.Name.Local, a.Value)
				case a.Name.Space == "" && a.Name.Local == "xmlns":
					bind("", a.Value)
				case a.Name.Space == "":
					n.attr[a.Name.Local] = a.Value
				case a.Name.Space == nsVC:
					n.attr["vc:"+a.Name.Local] = a.Value
				}
			}
			if n.ns == nil {
				n.ns = map[string]string{}
			}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.kids = append(p.kids, n)
			} else {
				doc.root = n
			}
			stack = append(stack, n)
			if len(stack) > 256 {
				return nil, fmt.Errorf("%s:%d: schema nests deeper than 256 levels", file, line)
			}
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(t)
			}
		}
	}
	if doc.root == nil || !doc.root.is("schema") {
		return nil, fmt.Errorf("%s: not an XML Schema document (no xs:schema root)", file)
	}
	r := doc.root
	doc.target = r.attr["targetNamespace"]
	doc.elementQualified = r.attr["elementFormDefault"] == "qualified"
	doc.attributeQualified = r.attr["attributeFormDefault"] == "qualified"
	for _, k := range r.kids {
		if k.is("import") {
			doc.imports = append(doc.imports, k.attr["namespace"])
		}
	}
	return doc, nil
}

// skipped reports whether an XSD 1.0 processor leaves a schema element out under the conditional
// inclusion rules of XSD 1.1 Part 1 clause 4.2.2: vc:minVersion above 1.0 or vc:maxVersion at or
// below 1.0.
func skipped(n *node) bool {
	if v, ok := n.attr["vc:minVersion"]; ok {
		if f, err := strconv.ParseFloat(v, 64); err == nil && f > 1.0 {
			return true
		}
	}
	if v, ok := n.attr["vc:maxVersion"]; ok {
		if f, err := strconv.ParseFloat(v, 64); err == nil && f <= 1.0 {
			return true
		}
	}
	return false
}
