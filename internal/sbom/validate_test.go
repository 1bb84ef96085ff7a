package sbom

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/siegel-oss/siegel/internal/input"
)

func TestCheckSchemaFixturesValid(t *testing.T) {
	for name, data := range fixtureDocuments(t) {
		f, err := Detect(data)
		if err != nil {
			t.Fatal(err)
		}
		problems, err := CheckSchema(data, f)
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if len(problems) > 0 {
			t.Errorf("%s: schema problems %v", name, problems)
		}
	}
}

// TestWriterOutputIsSchemaValid converts every fixture to every writable format and checks the
// result against the published schema: Siegel must never write an invalid document.
func TestWriterOutputIsSchemaValid(t *testing.T) {
	for name, data := range fixtureDocuments(t) {
		doc, err := Decode(name, data, input.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range WritableFormats {
			var buf bytes.Buffer
			if err := Write(&buf, doc, f); err != nil {
				t.Fatal(err)
			}
			problems, err := CheckSchema(buf.Bytes(), f)
			if err != nil {
				t.Errorf("%s -> %s: %v", filepath.Base(name), f, err)
			}
			if len(problems) > 0 {
				t.Errorf("%s -> %s: schema problems %v", filepath.Base(name), f, problems)
			}
		}
	}
}

func TestCheckSchemaFindsProblems(t *testing.T) {
	tests := []struct {
		name string
		f    Format
		data string
		want []SchemaProblem
	}{
		{"cdx bad component type", CycloneDXJSON,
			`{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[{"type":"gadget","name":"x"}]}`,
			[]SchemaProblem{{Pointer: "/components/0/type", Message: "value must be one of 'application', 'framework', 'library', 'container', 'platform', 'operating-system', 'device', 'device-driver', 'firmware', 'file', 'machine-learning-model', 'data', 'cryptographic-asset'"}}},
		{"cdx bad serial", CycloneDXJSON,
			`{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"serialNumber":"12345"}`,
			[]SchemaProblem{{Pointer: "/serialNumber", Message: "'12345' does not match pattern '^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'"}}},
		{"cdx 1.2 unknown licence id", CycloneDXJSON,
			`{"bomFormat":"CycloneDX","specVersion":"1.2","version":1,"components":[{"type":"library","name":"x","version":"1","licenses":[{"license":{"id":"Not-A-Licence"}}]}]}`,
			nil}, // checked below by pointer only: the enum message is long
		{"xml bad type", CycloneDXXML,
			"<bom xmlns=\"http://cyclonedx.org/schema/bom/1.6\" version=\"1\">\n<components><component type=\"gadget\"><name>x</name></component></components></bom>",
			[]SchemaProblem{{Pointer: "/bom/components[1]/component[1]", Line: 2, Message: `attribute type: "gadget" is not one of "application", "framework", "library", "container", "platform", "operating-system", "device", "device-driver", "firmware", "file", "machine-learning-model", "data", "cryptographic-asset"`}}},
		{"spdx missing fields", SPDXJSON,
			`{"spdxVersion":"SPDX-2.3","dataLicense":"MIT","SPDXID":"SPDXRef-DOCUMENT","packages":[{"SPDXID":"SPDXRef-a","name":"a"}]}`,
			[]SchemaProblem{
				{Pointer: "/dataLicense", Message: `dataLicense must be CC0-1.0, is "MIT" (SPDX 2.3 clause 6.2)`},
				{Pointer: "/name", Message: "required field name is missing (SPDX 2.3 clause 6.4)"},
				{Pointer: "/documentNamespace", Message: "required field documentNamespace is missing (SPDX 2.3 clause 6.5)"},
				{Pointer: "/creationInfo/creators", Message: "required field creators is missing (SPDX 2.3 clause 6.8)"},
				{Pointer: "/creationInfo/created", Message: "required field created is missing (SPDX 2.3 clause 6.9)"},
				{Pointer: "/packages/0/downloadLocation", Message: "required field downloadLocation is missing (SPDX 2.3 clause 7.7)"},
			}},
		{"spdx3 element without creationInfo", SPDX3JSONLD,
			`{"@context":"https://spdx.org/rdf/3.0.1/spdx-context.jsonld","@graph":[{"type":"software_Package","spdxId":"urn:a","name":"a"}]}`,
			[]SchemaProblem{{Pointer: "/@graph/0/creationInfo", Message: "software_Package element has no creationInfo"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CheckSchema([]byte(tt.data), tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == nil {
				if len(got) == 0 || !strings.Contains(got[0].Pointer, "/components/0/licenses/0") {
					t.Errorf("got %v, want a problem under /components/0/licenses/0", got)
				}
				return
			}
			if diff := gocmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckTR03183(t *testing.T) {
	read := func(name string) *Document { return readFixture(t, name) }
	complete := read("testdata/tr03183/complete-1.6.cdx.json")
	if r := CheckTR03183(complete); !r.Complete() {
		t.Errorf("complete fixture reported incomplete: %+v", r)
	}
	// Each field removed on its own is reported, for that component only.
	mutations := map[string]func(d *Document){
		FieldCreator:      func(d *Document) { d.Creators = nil },
		FieldTimestamp:    func(d *Document) { d.Created = time.Time{} },
		FieldCompCreator:  func(d *Document) { d.Components[1].AuthorContact = "" },
		FieldVersion:      func(d *Document) { d.Components[1].Version = "" },
		FieldFilename:     func(d *Document) { d.Components[1].Files = nil },
		FieldDependencies: func(d *Document) { d.Dependencies[1].Completeness = CompletenessUnknown },
		FieldLicence:      func(d *Document) { d.Components[1].Licenses[0].Kind = LicenseDeclared },
		FieldSHA512:       func(d *Document) { d.Components[1].Hashes[0].Algorithm = SHA256 },
		FieldExecutable:   func(d *Document) { d.Components[1].Properties = d.Components[1].Properties[1:] },
		FieldIdentifier:   func(d *Document) { d.Components[1].PURL = "" },
	}
	for field, mutate := range mutations {
		t.Run(field, func(t *testing.T) {
			d := read("testdata/tr03183/complete-1.6.cdx.json")
			mutate(d)
			r := CheckTR03183(d)
			if field == FieldCreator || field == FieldTimestamp {
				if diff := gocmp.Diff([]string{field}, r.Document); diff != "" || len(r.Components) != 0 {
					t.Errorf("document fields (-want +got):\n%s components %v", diff, r.Components)
				}
				return
			}
			want := []ComponentGap{{Ref: "zlib", Name: "zlib", Version: d.Components[1].Version, Missing: []string{field}}}
			if diff := gocmp.Diff(want, r.Components, cmpopts.IgnoreFields(ComponentGap{}, "Problems")); diff != "" || len(r.Document) != 0 {
				t.Errorf("(-want +got):\n%s document %v", diff, r.Document)
			}
		})
	}
}

// TestCheckTR03183Documents checks whole documents, each the complete fixture with one thing
// TR-03183-2 v2.1 does not accept (or, for the SWID and SPDX 3 documents, accepts): the field
// and the reason it names.
func TestCheckTR03183Documents(t *testing.T) {
	tests := []struct {
		file     string
		document []string // document-level fields reported
		zlib     []string // fields reported for the zlib component
		says     string   // in the problems reported
	}{
		{"complete-1.6.cdx.json", nil, nil, ""},
		{"complete-3.0.1.spdx3.json", nil, nil, ""}, // properties from software_additionalPurpose
		{"swid.cdx.json", nil, nil, ""},             // a SWID tag id is an identifier (5.2.4)
		{"creator-name-only.cdx.json", nil, []string{FieldCompCreator}, `"Mark Adler" is a name`},
		{"filename-path.cdx.json", nil, []string{FieldFilename}, `"usr/lib/libz.so.1.3.1" is a path`},
		{"licence-noassertion.cdx.json", nil, []string{FieldLicence}, "NOASSERTION"},
		{"property-values.cdx.json", nil, []string{FieldExecutable, FieldArchive, FieldStructured}, `"yes" is neither "executable" nor "non-executable"`},
		{"vulnerabilities.cdx.json", []string{FieldNoVulns}, nil, "carries 1 vulnerabilities"},
		{"version-1.5.cdx.json", []string{FieldFormat}, nil, "1.5 is older than 1.6"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			r := CheckTR03183(readFixture(t, filepath.Join("testdata", "tr03183", tt.file)))
			var zlib []string
			var problems []string
			for _, g := range r.Components {
				if g.Name == "zlib" {
					zlib = g.Missing
				} else {
					t.Errorf("%s reported: %v %v", g.Name, g.Missing, g.Problems)
				}
				problems = append(problems, g.Problems...)
			}
			problems = append(problems, r.DocumentProblems...)
			if diff := gocmp.Diff(tt.document, r.Document); diff != "" {
				t.Errorf("document fields (-want +got):\n%s", diff)
			}
			if diff := gocmp.Diff(tt.zlib, zlib); diff != "" {
				t.Errorf("zlib fields (-want +got):\n%s", diff)
			}
			if tt.says != "" && !strings.Contains(strings.Join(problems, "\n"), tt.says) {
				t.Errorf("problems do not say %q: %v", tt.says, problems)
			}
			if r.Complete() != (tt.document == nil && tt.zlib == nil) {
				t.Errorf("Complete() = %v", r.Complete())
			}
		})
	}
}
