package sbom

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/siegel-oss/siegel/internal/input"
)

// specDocumentRule says which check must refuse an invalid test document: the schema (JSON
// schema or XSD) for rules the schemas state, the reader for rules they cannot state.
func specDocumentRule(name string) string {
	switch {
	case strings.Contains(name, "dependency-dangling"):
		return "reader" // refLinkType is a string to the schemas; that it names a bom-ref is prose
	case strings.Contains(name, "duplicate-bom-ref") && strings.HasSuffix(name, ".json"):
		return "reader" // the JSON schemas cannot state uniqueness; the XSDs do (xs:unique)
	}
	return "schema"
}

// TestCycloneDXSpecDocuments gives every test document under testdata/cyclonedx-spec the verdict
// its name states: valid-* documents are read and pass the schema check of their spec version,
// invalid-* documents are refused, by the check their rule belongs to. The documents cover, per
// spec version 1.2 to 1.6 in JSON and XML, the rules of the published schemas: services and
// dependencies on services (SaaSBOM), licence choice (licences or one expression), licence id
// versus name and their counts, SPDX licence ids, SWID tags, properties, hashes, enumerations,
// required attributes, serial numbers, timestamps, extension namespaces, bom-ref uniqueness,
// external reference types, compositions (1.3+), vulnerability ratings (1.4+), lifecycles and
// evidence (1.5+), attestations with XML signatures (1.6). tools/cyclonedx-spec-docs/gen.py
// writes them.
func TestCycloneDXSpecDocuments(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "cyclonedx-spec", "*", "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 320 {
		t.Fatalf("found %d test documents, want the full set", len(files))
	}
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(filepath.Base(filepath.Dir(file))+"/"+name, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			want := strings.HasPrefix(name, "valid-")
			_, readErr := Decode(name, data, input.Limits{})
			f, err := Detect(data)
			if err != nil {
				t.Fatal(err)
			}
			problems, schemaErr := CheckSchema(data, f)
			if schemaErr != nil {
				t.Fatalf("schema check failed: %v", schemaErr)
			}
			got := readErr == nil && len(problems) == 0
			if got != want {
				t.Fatalf("valid = %v, want %v; read: %v; schema problems: %v", got, want, readErr, problems)
			}
			if want {
				return
			}
			switch specDocumentRule(name) {
			case "schema":
				if len(problems) == 0 {
					t.Errorf("the schema check accepted it (the reader refused it: %v)", readErr)
				}
			case "reader":
				if readErr == nil {
					t.Errorf("the reader accepted it")
				}
			}
		})
	}
}

// FuzzCheckSchemaCycloneDXXML validates arbitrary documents against the CycloneDX XSDs, seeded
// with the specification test documents: problems or an error, never a panic.
func FuzzCheckSchemaCycloneDXXML(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "cyclonedx-spec", "*", "*.xml"))
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		problems, err := CheckSchema(data, CycloneDXXML)
		if err == nil && len(problems) > maxSchemaProblems {
			t.Fatalf("%d problems beyond the limit", len(problems))
		}
	})
}
