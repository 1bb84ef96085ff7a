package xsd

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
)

// testSchema exercises each construct the validator supports. It is written for these tests;
// the published schemas Siegel embeds are exercised by the sbom package's tests.
const testSchema = `<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:t="urn:test" xmlns:o="urn:other"
           xmlns:vc="http://www.w3.org/2007/XMLSchema-versioning"
           targetNamespace="urn:test" elementFormDefault="qualified">
  <xs:import namespace="urn:other"/>
  <xs:simpleType name="colour">
    <xs:restriction base="xs:token">
      <xs:enumeration value="red"/>
      <xs:enumeration value="green"/>
    </xs:restriction>
  </xs:simpleType>
  <xs:simpleType name="price">
    <xs:restriction base="xs:decimal">
      <xs:minExclusive value="0"/>
      <xs:maxInclusive value="1000"/>
      <xs:totalDigits value="6"/>
      <xs:fractionDigits value="2"/>
    </xs:restriction>
  </xs:simpleType>
  <xs:simpleType name="code">
    <xs:restriction base="xs:string">
      <xs:pattern value="[A-Z]{2}-[0-9]+"/>
      <xs:pattern value="\$[0-9]+"/>
      <xs:maxLength value="8"/>
    </xs:restriction>
  </xs:simpleType>
  <xs:simpleType name="codeOrNumber">
    <xs:union memberTypes="t:code xs:positiveInteger"/>
  </xs:simpleType>
  <xs:simpleType name="shortCode">
    <xs:restriction base="t:codeOrNumber">
      <xs:enumeration value="AB-1"/>
      <xs:enumeration value="7"/>
    </xs:restriction>
  </xs:simpleType>
  <xs:simpleType name="sizes">
    <xs:list itemType="xs:integer"/>
  </xs:simpleType>
  <xs:simpleType name="twoSizes">
    <xs:restriction base="t:sizes">
      <xs:length value="2"/>
    </xs:restriction>
  </xs:simpleType>
  <xs:complexType name="measure">
    <xs:simpleContent>
      <xs:extension base="xs:decimal">
        <xs:attribute name="unit" type="xs:token" use="required"/>
      </xs:extension>
    </xs:simpleContent>
  </xs:complexType>
  <xs:complexType name="smallMeasure">
    <xs:simpleContent>
      <xs:restriction base="t:measure">
        <xs:maxInclusive value="10"/>
      </xs:restriction>
    </xs:simpleContent>
  </xs:complexType>
  <xs:attributeGroup name="common">
    <xs:attribute name="id" type="xs:token"/>
  </xs:attributeGroup>
  <xs:complexType name="item">
    <xs:sequence>
      <xs:element name="name" type="xs:string"/>
      <xs:choice minOccurs="0">
        <xs:element name="colour" type="t:colour"/>
        <xs:element name="paint" type="xs:string" maxOccurs="2"/>
      </xs:choice>
      <xs:element name="tag" type="xs:NCName" minOccurs="0" maxOccurs="3"/>
      <xs:element name="price" type="t:price" minOccurs="0"/>
      <xs:element name="code" type="t:codeOrNumber" minOccurs="0"/>
      <xs:element name="short" type="t:shortCode" minOccurs="0"/>
      <xs:element name="sizes" type="t:twoSizes" minOccurs="0"/>
      <xs:element name="weight" type="t:smallMeasure" minOccurs="0"/>
      <xs:element name="made" type="xs:dateTime" minOccurs="0"/>
      <xs:element name="note" minOccurs="0">
        <xs:complexType mixed="true">
          <xs:sequence><xs:element name="b" type="xs:string" minOccurs="0" maxOccurs="unbounded"/></xs:sequence>
        </xs:complexType>
      </xs:element>
      <xs:element name="dims" minOccurs="0">
        <xs:complexType>
          <xs:all>
            <xs:element name="w" type="xs:integer"/>
            <xs:element name="h" type="xs:integer"/>
            <xs:element name="d" type="xs:integer" minOccurs="0"/>
          </xs:all>
        </xs:complexType>
      </xs:element>
      <xs:element name="blob" minOccurs="0"/>
      <xs:any namespace="##other" processContents="lax" minOccurs="0" maxOccurs="unbounded"/>
    </xs:sequence>
    <xs:attributeGroup ref="t:common"/>
    <xs:attribute name="kind" type="xs:string" fixed="stock"/>
    <xs:attribute name="legacy" type="xs:string" use="prohibited"/>
    <xs:attribute name="count" type="xs:nonNegativeInteger" use="required"/>
    <xs:anyAttribute namespace="##other" processContents="lax"/>
  </xs:complexType>
  <xs:element name="shop">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="item" type="t:item" minOccurs="1" maxOccurs="unbounded"/>
        <xs:element name="strict" minOccurs="0">
          <xs:complexType><xs:sequence><xs:any namespace="urn:other" processContents="strict"/></xs:sequence></xs:complexType>
        </xs:element>
        <xs:element name="skipped" minOccurs="0">
          <xs:complexType><xs:sequence><xs:any processContents="skip" maxOccurs="unbounded"/></xs:sequence></xs:complexType>
        </xs:element>
      </xs:sequence>
      <xs:assert vc:minVersion="1.1" test="count(t:item) lt 100"/>
    </xs:complexType>
    <xs:unique name="item-id">
      <xs:selector xpath="t:item"/>
      <xs:field xpath="@id"/>
    </xs:unique>
    <xs:key name="any-tagged">
      <xs:selector xpath=".//t:tagged"/>
      <xs:field xpath="@key"/>
    </xs:key>
  </xs:element>
</xs:schema>`

const otherSchema = `<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:other" elementFormDefault="qualified">
  <xs:element name="stamp" type="xs:date"/>
</xs:schema>`

func testSet(t testing.TB) *Set {
	t.Helper()
	fsys := fstest.MapFS{"shop.xsd": {Data: []byte(testSchema)}, "other.xsd": {Data: []byte(otherSchema)}}
	s, err := Compile(fsys, "shop.xsd", "other.xsd")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func shop(items string) string {
	return `<shop xmlns="urn:test" xmlns:o="urn:other">` + items + `</shop>`
}

func TestValidate(t *testing.T) {
	s := testSet(t)
	tests := []struct {
		name string
		doc  string
		want []string // substrings of the problems, in order; none for a valid document
	}{
		{"minimal", shop(`<item count="0"><name>a</name></item>`), nil},
		{"full", shop(`<item count="3" id="x1" kind="stock" o:audit="ok"><name>a</name><paint>blue</paint><paint>white</paint>
			<tag>t1</tag><tag>t2</tag><price>999.99</price><code>AB-12</code><sizes> 3  4 </sizes>
			<weight unit="kg">9.5</weight><made>2024-02-29T23:59:59+01:00</made><note>text <b>bold</b> more</note>
			<dims><h>2</h><w>1</w></dims><blob><anything at="all">x</anything></blob><o:stamp>2024-01-31</o:stamp><o:unknown/></item>`), nil},
		{"enumeration collapses whitespace of a token", shop(`<item count="1"><name>a</name><colour>  red </colour></item>`), nil},
		{"dollar is literal in a pattern", shop(`<item count="1"><name>a</name><code>$12</code></item>`), nil},
		{"union falls through to integer", shop(`<item count="1"><name>a</name><code>42</code></item>`), nil},
		{"restricted union", shop(`<item count="1"><name>a</name><short>7</short></item>`), nil},
		{"restricted union keeps its facets", shop(`<item count="1"><name>a</name><short>AB-2</short></item>`), []string{`"AB-2" is not one of "AB-1", "7"`}},
		{"skip wildcard", shop(`<item count="1"><name>a</name></item><skipped><x:y xmlns:x="urn:z" q="1"><deep/></x:y><t:item xmlns:t="urn:test"/></skipped>`), nil},
		{"xsi attributes", `<shop xmlns="urn:test" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="urn:test shop.xsd"><item count="1"><name>a</name></item></shop>`, nil},

		{"missing required element", shop(`<item count="1"></item>`), []string{"<item> is incomplete: expected <name>"}},
		{"no item at all", shop(``), []string{"<shop> is incomplete: expected <item>"}},
		{"order", shop(`<item count="1"><tag>t</tag><name>a</name></item>`), []string{"element <tag> is not allowed here; expected <name>"}},
		{"choice takes one branch", shop(`<item count="1"><name>a</name><colour>red</colour><paint>x</paint></item>`), []string{"element <paint> is not allowed here"}},
		{"maxOccurs", shop(`<item count="1"><name>a</name><tag>a</tag><tag>b</tag><tag>c</tag><tag>d</tag></item>`), []string{"element <tag> is not allowed here"}},
		{"all: missing member", shop(`<item count="1"><name>a</name><dims><w>1</w></dims></item>`), []string{"<dims> is incomplete: expected <h>"}},
		{"all: repeated member", shop(`<item count="1"><name>a</name><dims><w>1</w><w>2</w><h>1</h></dims></item>`), []string{"element <w> is not allowed here"}},
		{"element of the target namespace is not ##other", shop(`<item count="1"><name>a</name><extra/></item>`), []string{"element <extra> is not allowed here"}},
		{"unqualified element is not ##other", shop(`<item count="1"><name>a</name><extra xmlns=""/></item>`), []string{"element <extra> (in no namespace) is not allowed here"}},
		{"lax wildcard checks what it knows", shop(`<item count="1"><name>a</name><o:stamp>2024-02-30</o:stamp></item>`), []string{`"2024-02-30" is not a valid date`}},
		{"strict wildcard needs a declaration", shop(`<item count="1"><name>a</name></item><strict><o:nothing/></strict>`), []string{"is not declared by any schema"}},
		{"enumeration", shop(`<item count="1"><name>a</name><colour>blue</colour></item>`), []string{`"blue" is not one of "red", "green"`}},
		{"pattern", shop(`<item count="1"><name>a</name><code>ab-12</code></item>`), []string{"none of the union's member types"}},
		{"maxLength", shop(`<item count="1"><name>a</name><code>AB-123456</code></item>`), []string{"none of the union's member types"}},
		{"minExclusive", shop(`<item count="1"><name>a</name><price>0</price></item>`), []string{"0 must be above 0"}},
		{"maxInclusive", shop(`<item count="1"><name>a</name><price>1000.01</price></item>`), []string{"above the maximum 1000"}},
		{"fractionDigits", shop(`<item count="1"><name>a</name><price>1.234</price></item>`), []string{"more than 2 fraction digits"}},
		{"list length", shop(`<item count="1"><name>a</name><sizes>1 2 3</sizes></item>`), []string{"has length 3, must be 2"}},
		{"list item type", shop(`<item count="1"><name>a</name><sizes>1 x</sizes></item>`), []string{`"x" is not a valid integer`}},
		{"simple content restriction", shop(`<item count="1"><name>a</name><weight unit="kg">11</weight></item>`), []string{"11 is above the maximum 10"}},
		{"simple content attribute", shop(`<item count="1"><name>a</name><weight>1</weight></item>`), []string{"required attribute unit is missing"}},
		{"no elements in simple content", shop(`<item count="1"><name>a<b/></name></item>`), []string{"element <b> is not allowed: <name> has text content only"}},
		{"dateTime", shop(`<item count="1"><name>a</name><made>2023-02-29T10:00:00Z</made></item>`), []string{"is not a valid dateTime"}},
		{"text in element-only content", shop(`<item count="1">stray<name>a</name></item>`), []string{`text "stray" is not allowed in <item>`}},
		{"required attribute", shop(`<item><name>a</name></item>`), []string{"required attribute count is missing from <item>"}},
		{"attribute type", shop(`<item count="-1"><name>a</name></item>`), []string{"attribute count: -1 is below the minimum 0"}},
		{"fixed attribute", shop(`<item count="1" kind="sale"><name>a</name></item>`), []string{`attribute kind must be "stock"`}},
		{"prohibited attribute", shop(`<item count="1" legacy="y"><name>a</name></item>`), []string{"attribute legacy is prohibited"}},
		{"undeclared unqualified attribute", shop(`<item count="1" colour="red"><name>a</name></item>`), []string{"attribute colour is not allowed on <item>"}},
		{"unique", shop(`<item count="1" id="x"><name>a</name></item><item count="1" id="x"><name>b</name></item><item count="1"><name>c</name></item>`),
			[]string{`value "x" breaks "item-id"`}},
		{"key requires its field", shop(`<item count="1"><name>a</name><blob><tagged xmlns="urn:test"/></blob></item>`), []string{`lacks a field of key "any-tagged"`}},
		{"key must be unique", shop(`<item count="1"><name>a</name><blob><tagged key="1"/><tagged key="1"/></blob></item>`), []string{`value "1" breaks "any-tagged"`}},
		{"undeclared root", `<store xmlns="urn:test"/>`, []string{"root element <store>"}},
		{"text after the root", shop(`<item count="1"><name>a</name></item>`) + "trailing", []string{"text outside the root element"}},
		{"wrong namespace root", `<shop xmlns="urn:tested"/>`, []string{"root element <shop>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Validate(strings.NewReader(tt.doc), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d problems %v, want %d %q", len(got), got, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i].Message, w) {
					t.Errorf("problem %d = %q, want it to contain %q", i, got[i].Message, w)
				}
			}
		})
	}
}

func TestValidatePositions(t *testing.T) {
	doc := "<shop xmlns=\"urn:test\">\n  <item count=\"1\">\n    <name>a</name>\n    <price>abc</price>\n  </item>\n</shop>"
	got, err := testSet(t).Validate(strings.NewReader(doc), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Line != 4 || got[0].Path != "/shop/item[1]/price[1]" {
		t.Fatalf("got %+v, want one problem at line 4, /shop/item[1]/price[1]", got)
	}
}

func TestValidateRefuses(t *testing.T) {
	s := testSet(t)
	for name, doc := range map[string]string{
		"not well-formed": `<shop xmlns="urn:test"><item></shop>`,
		"empty":           ``,
		"doctype":         `<!DOCTYPE shop [<!ENTITY a "b">]><shop xmlns="urn:test"/>`,
		"too deep":        shop(strings.Repeat("<blob>", 200) + strings.Repeat("</blob>", 200)),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := s.Validate(strings.NewReader(doc), Limits{}); !errors.Is(err, ErrNotXML) {
				t.Fatalf("err = %v, want ErrNotXML", err)
			}
		})
	}
}

func TestValidateStopsAtMaxProblems(t *testing.T) {
	doc := shop(strings.Repeat(`<item count="x"><name>a</name></item>`, 50))
	got, err := testSet(t).Validate(strings.NewReader(doc), Limits{MaxProblems: 7})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 7 {
		t.Fatalf("got %d problems, want 7", len(got))
	}
}

func TestCompileRefuses(t *testing.T) {
	head := `<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:t="urn:t" targetNamespace="urn:t">`
	for name, body := range map[string]string{
		"unresolved import":     `<xs:import namespace="urn:elsewhere"/>`,
		"unknown type":          `<xs:element name="a" type="t:nothing"/>`,
		"unknown built-in":      `<xs:element name="a" type="xs:nothing"/>`,
		"undeclared prefix":     `<xs:element name="a" type="q:x"/>`,
		"complex content":       `<xs:complexType name="c"><xs:complexContent><xs:extension base="xs:anyType"/></xs:complexContent></xs:complexType>`,
		"redefine":              `<xs:redefine schemaLocation="x.xsd"/>`,
		"unsupported escape":    `<xs:simpleType name="s"><xs:restriction base="xs:string"><xs:pattern value="\i\c*"/></xs:restriction></xs:simpleType>`,
		"substitution group":    `<xs:element name="a" substitutionGroup="t:b"/><xs:element name="b"/>`,
		"bad occurrence bounds": `<xs:element name="a"><xs:complexType><xs:sequence><xs:element name="b" minOccurs="2" maxOccurs="1"/></xs:sequence></xs:complexType></xs:element>`,
		"assert without vc":     `<xs:complexType name="c"><xs:sequence/><xs:assert test="true()"/></xs:complexType>`,
		"duplicate definition":  `<xs:element name="a"/><xs:element name="a"/>`,
		"child field":           `<xs:element name="a"><xs:unique name="u"><xs:selector xpath="*"/><xs:field xpath="b"/></xs:unique></xs:element>`,
	} {
		t.Run(name, func(t *testing.T) {
			fsys := fstest.MapFS{"s.xsd": {Data: []byte(head + body + `</xs:schema>`)}}
			if _, err := Compile(fsys, "s.xsd"); err == nil {
				t.Fatal("compiled")
			}
		})
	}
}

func TestLexicalSpaces(t *testing.T) {
	b := builtins()
	tests := []struct {
		typ   string
		ok    []string
		notOK []string
	}{
		{"boolean", []string{"true", "0", " false "}, []string{"yes", "TRUE"}},
		{"integer", []string{"0", "-12", "+7"}, []string{"1.0", "", "1e3"}},
		{"positiveInteger", []string{"1", "0099"}, []string{"0", "-1"}},
		{"decimal", []string{"1.5", ".5", "-0", "3."}, []string{"1,5", "1e2", "."}},
		{"double", []string{"1e10", "-INF", "NaN", "2.5E-3"}, []string{"inf", "1e"}},
		{"dateTime", []string{"2024-02-29T00:00:00Z", "2024-05-01T12:00:00.123+02:00", "2024-05-01T24:00:00"}, []string{"2024-05-01", "2023-02-29T00:00:00Z", "2024-05-01T12:60:00Z", "2024-05-01T12:00:00+15:00"}},
		{"date", []string{"2024-12-31", "2024-01-01Z"}, []string{"2024-1-01", "2024-04-31"}},
		{"hexBinary", []string{"", "0aFF"}, []string{"abc", "zz"}},
		{"base64Binary", []string{"aGVsbG8=", "aGVs bG8="}, []string{"a===", "!"}},
		{"language", []string{"en", "de-AT"}, []string{"en_US", ""}},
		{"NCName", []string{"a-b.c", "_x"}, []string{"a:b", "1a"}},
		{"unsignedByte", []string{"255"}, []string{"256", "-1"}},
		{"NMTOKENS", []string{"a b:c"}, []string{"", "a !"}},
	}
	for _, tt := range tests {
		for _, v := range tt.ok {
			if err := b[tt.typ].validate(v); err != nil {
				t.Errorf("%s %q: %v", tt.typ, v, err)
			}
		}
		for _, v := range tt.notOK {
			if err := b[tt.typ].validate(v); err == nil {
				t.Errorf("%s %q accepted", tt.typ, v)
			}
		}
	}
}

// FuzzValidate feeds arbitrary documents to the validator: it must return problems or an
// error, never panic, and never report more problems than its limit.
func FuzzValidate(f *testing.F) {
	s := testSet(f)
	f.Add(shop(`<item count="3" id="x1"><name>a</name><paint>blue</paint><dims><h>2</h><w>1</w></dims></item>`))
	f.Add(shop(`<item count="1"><name>a<b/></name><o:stamp xmlns:o="urn:other">x</o:stamp></item>`))
	f.Add(`<shop xmlns="urn:test"><item count="1" id="a"/><item count="1" id="a"/></shop>`)
	f.Add(`<?xml version="1.0"?><!-- c --><shop xmlns="urn:test"><![CDATA[x]]></shop>`)
	f.Fuzz(func(t *testing.T, doc string) {
		got, err := s.Validate(strings.NewReader(doc), Limits{MaxProblems: 10, MaxDepth: 32})
		if len(got) > 10 {
			t.Fatalf("%d problems beyond the limit of 10", len(got))
		}
		if err != nil && !errors.Is(err, ErrNotXML) {
			t.Fatalf("error %v does not wrap ErrNotXML", err)
		}
	})
}
