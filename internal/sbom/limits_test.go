package sbom

import (
	"strings"
	"testing"

	"github.com/siegel-oss/siegel/internal/input"
)

func TestFieldLengthLimits(t *testing.T) {
	huge := strings.Repeat("a", MaxNameLen+1)
	docs := map[string]string{
		"cyclonedx": `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[{"bom-ref":"ok","type":"library","name":"ok","version":"1"},{"bom-ref":"big","type":"library","name":"` + huge + `","version":"1"}]}`,
		"spdx": `{"spdxVersion":"SPDX-2.3","dataLicense":"CC0-1.0","SPDXID":"SPDXRef-DOCUMENT","name":"x","documentNamespace":"https://example.com/x","creationInfo":{"created":"2026-01-01T00:00:00Z","creators":["Tool: t"]},
			"packages":[{"SPDXID":"SPDXRef-big","name":"` + huge + `","versionInfo":"1","downloadLocation":"NOASSERTION"}]}`,
		"version": `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[{"bom-ref":"v","type":"library","name":"v","version":"` + strings.Repeat("1", MaxVersionLen+1) + `"}]}`,
	}
	for name, doc := range docs {
		_, err := Decode("big.json", []byte(doc), input.Limits{})
		if err == nil || !strings.Contains(err.Error(), "big.json") || !strings.Contains(err.Error(), "field length") || !strings.Contains(err.Error(), "the limit is") {
			t.Errorf("%s: err = %v, want a field length error naming the file and limit", name, err)
		}
		n := 0
		_, err = DecodeEach("big.json", []byte(doc), input.Limits{}, func(Component) error { n++; return nil })
		if err == nil || !strings.Contains(err.Error(), "field length") {
			t.Errorf("%s streamed: err = %v", name, err)
		}
	}
}

// TestDuplicateKeysRefused: a CycloneDX document with two top-level components arrays means two
// different inventories to different readers; it is refused with the position of the second.
func TestDuplicateKeysRefused(t *testing.T) {
	doc := "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.6\",\"version\":1,\n" +
		"\"components\":[{\"bom-ref\":\"a\",\"type\":\"library\",\"name\":\"a\",\"version\":\"1\"}],\n" +
		"\"components\":[{\"bom-ref\":\"b\",\"type\":\"library\",\"name\":\"b\",\"version\":\"1\"}]}"
	_, err := Decode("dup.json", []byte(doc), input.Limits{})
	if err == nil || !strings.Contains(err.Error(), `dup.json:3:1: duplicate key: key "components"`) {
		t.Errorf("err = %v", err)
	}
	spdx := `{"spdxVersion":"SPDX-2.3","spdxVersion":"SPDX-2.2"}`
	if _, err := Decode("dup.spdx.json", []byte(spdx), input.Limits{}); err == nil || !strings.Contains(err.Error(), "duplicate key") {
		t.Errorf("spdx: err = %v", err)
	}
}
