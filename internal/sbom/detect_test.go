package sbom

import (
	"errors"
	"testing"
)

func TestDetect(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Format
	}{
		{"cyclonedx json", `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[]}`, CycloneDXJSON},
		{"cyclonedx json key order", "\ufeff {\n \"specVersion\": \"1.4\", \"components\": [{\"bomFormat\": 1}]}", CycloneDXJSON},
		{"cyclonedx xml", `<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.5" version="1"/>`, CycloneDXXML},
		{"spdx json", `{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT"}`, SPDXJSON},
		{"spdx json nested keys ignored", `{"x":{"bomFormat":"CycloneDX"},"spdxVersion":"SPDX-2.2"}`, SPDXJSON},
		{"spdx tag-value", "# comment\n\nSPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\n", SPDXTagValue},
		{"spdx 3", `{"@context":"https://spdx.org/rdf/3.0.1/spdx-context.jsonld","@graph":[]}`, SPDX3JSONLD},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Detect([]byte(tt.in))
			if err != nil || got != tt.want {
				t.Fatalf("Detect = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestDetectRejects(t *testing.T) {
	for name, in := range map[string]string{
		"empty":       "  \n",
		"other json":  `{"name":"left-pad","version":"1.0.0"}`,
		"other xml":   `<project><modelVersion>4.0.0</modelVersion></project>`,
		"spdx rdf":    `<rdf:RDF xmlns:spdx="http://spdx.org/rdf/terms#"/>`,
		"json-ld":     `{"@context":"https://schema.org","@graph":[]}`,
		"plain text":  "hello world\n",
		"nested only": `{"a":{"spdxVersion":"SPDX-2.3"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			if f, err := Detect([]byte(in)); err == nil {
				t.Fatalf("Detect accepted %q as %s", in, f)
			}
		})
	}
	if _, err := Detect([]byte(`{"a":1}`)); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("unknown JSON: err = %v, want ErrUnknownFormat", err)
	}
}

func FuzzDetect(f *testing.F) {
	f.Add([]byte(`{"bomFormat":"CycloneDX"}`))
	f.Add([]byte("SPDXVersion: SPDX-2.3\n"))
	f.Add([]byte(`{"@context":"https://spdx.org/rdf/3.0.1/spdx-context.jsonld"`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = Detect(data)
	})
}
