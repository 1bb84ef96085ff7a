package sbom

import (
	"testing"

	"github.com/siegel-oss/siegel/internal/input"
)

// TestFastPathIsStrict checks that the fast JSON path refuses what encoding/json refuses: a
// document is never accepted only because the faster decoder is lenient.
func TestFastPathIsStrict(t *testing.T) {
	for _, s := range []string{
		`{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"a",}]}`,
		`{"bomFormat":"CycloneDX","specVersion":"1.6","components":[],}`,
		`{"bomFormat":"CycloneDX","specVersion":"1.6"} {}`,
		`{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":'a'}]}`,
		`{"bomFormat":"CycloneDX","specVersion":"1.6","version":01}`,
	} {
		if _, err := Decode("x.json", []byte(s), input.Limits{}); err == nil {
			t.Errorf("accepted malformed JSON %q", s)
		}
	}
}
