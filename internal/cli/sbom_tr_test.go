package cli

import (
	"bytes"
	"context"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/sbom"
)

// TestSBOMFillsTRFields writes the SBOM of a tree with the creator, licence, package URL and
// deployable file given, and validates it: the SBOM's creator (5.2.1) and the primary
// component's creator, filename, SHA-512 hash and three properties (5.2.2) are there; the
// creator contact also comes from SIEGEL_CREATOR_URL.
func TestSBOMFillsTRFields(t *testing.T) {
	tree := t.TempDir()
	if err := os.WriteFile(filepath.Join(tree, "go.mod"), []byte("module example.com/app\n\ngo 1.22\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	artifact := filepath.Join(t.TempDir(), "app-1.0.0")
	bin := append([]byte("\x7fELF\x02\x01\x01"), bytes.Repeat([]byte{0}, 100)...)
	if err := os.WriteFile(artifact, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
	}{
		{"flags", []string{"--creator-name", "ACME", "--creator-email", "psirt@acme.example"}, nil},
		{"environment", nil, map[string]string{"SIEGEL_CREATOR_URL": "https://acme.example/psirt"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"sbom", "--name", "app", "--version", "1.0.0", "--artifact", artifact, "--license", "Apache-2.0",
				"--purl", "pkg:generic/app@1.0.0", "--go-mod-cache", t.TempDir()}, tc.args...)
			var out, errOut bytes.Buffer
			getenv := func(k string) string { return tc.env[k] }
			if code := Run(context.Background(), append(args, tree), strings.NewReader(""), &out, &errOut, getenv); code != 0 {
				t.Fatalf("sbom: %d %s", code, errOut.String())
			}
			doc, err := sbom.Decode("out.cdx.json", out.Bytes(), input.DefaultLimits())
			if err != nil {
				t.Fatal(err)
			}
			r := sbom.CheckTR03183(doc)
			if len(r.Document) != 0 {
				t.Errorf("document lacks %v", r.Document)
			}
			// What a tree cannot tell: whether the product's own dependency list is complete.
			want := []sbom.ComponentGap{{Ref: doc.Subject, Name: "app", Version: "1.0.0", Missing: []string{sbom.FieldDependencies}}}
			if diff := cmp.Diff(want, r.Components); diff != "" {
				t.Errorf("TR-03183-2 gaps (-want +got):\n%s", diff)
			}
			subject := doc.Components[doc.Index()[doc.Subject]]
			sum := sha512.Sum512(bin)
			if len(subject.Hashes) != 1 || subject.Hashes[0].Value != hex.EncodeToString(sum[:]) {
				t.Errorf("hashes %v", subject.Hashes)
			}
			props := map[string]string{}
			for _, p := range subject.Properties {
				props[p.Name] = p.Value
			}
			if props[sbom.PropBSIExecutable] != "executable" || props[sbom.PropBSIArchive] != "no archive" || props[sbom.PropBSIStructured] != "unstructured" {
				t.Errorf("properties %v", props)
			}
			var raw map[string]any
			json.Unmarshal(out.Bytes(), &raw)
			if m := raw["metadata"].(map[string]any); m["manufacturer"] == nil {
				t.Errorf("no metadata.manufacturer: %v", m)
			}
		})
	}
	if code, _, errOut := invokeCLI(t, "", "sbom", "--creator-email", "ACME PSIRT", tree); code != ExitUsage {
		t.Errorf("a creator email that is no address: exit %d %s", code, errOut)
	}
}
