package sbom

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

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
	read := func(name string) *Document {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		d, err := Decode(name, data, input.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	complete := read("testdata/tr03183/complete-1.6.cdx.json")
	if r := CheckTR03183(complete); !r.Complete() {
		t.Errorf("complete fixture reported incomplete: %+v", r)
	}
	// Each field removed on its own is reported, for that component only.
	mutations := map[string]func(d *Document){
		FieldCreator:      func(d *Document) { d.Creators = nil },
		FieldTimestamp:    func(d *Document) { d.Created = time.Time{} },
		FieldCompCreator:  func(d *Document) { d.Components[1].Supplier = "" },
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
			if diff := gocmp.Diff(want, r.Components); diff != "" || len(r.Document) != 0 {
				t.Errorf("(-want +got):\n%s document %v", diff, r.Document)
			}
		})
	}
}
