package cli

import (
	"archive/zip"
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
	"golang.org/x/mod/sumdb/dirhash"

	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/sbom"
)

// TestSBOMFillsTRFields writes the SBOM of a tree with the creator, licence, package URL and
// deployable file given, and validates it as TR-03183-2 complete: the SBOM's creator (5.2.1) and
// the primary component's creator, filename, SHA-512 hash, three properties and dependencies with
// their completeness (5.2.2); the creator contact also comes from SIEGEL_CREATOR_URL.
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
			// go 1.22: go.mod lists every direct requirement, so the product's list is complete.
			if len(r.Components) != 0 {
				t.Errorf("TR-03183-2 gaps: %+v", r.Components)
			}
			// The pipeline a user runs: siegel sbom ... | siegel sbom validate --fail-on incomplete -
			if code, vout, verr := invokeCLI(t, out.String(), "sbom", "validate", "--fail-on", "incomplete", "-"); code != 0 {
				t.Errorf("validate: exit %d\n%s%s", code, vout, verr)
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

// TestSBOMLicensesAsDeclared: a licence a package declares is written as declared, and as the
// distribution licence (concluded) only when --licenses-as-declared says the product passes it on
// under those terms.
func TestSBOMLicensesAsDeclared(t *testing.T) {
	tree := t.TempDir()
	lock := `{"lockfileVersion": 3, "packages": {"": {"dependencies": {"plain": "2.0.0"}},
	  "node_modules/plain": {"version": "2.0.0", "license": "BSD-3-Clause",
	    "integrity": "sha512-Q2xXnB6sPZdSS01mfMQloeUiE/GhgpCR74b3ipzudFcdlI6sY8UG/4u5T7VtpSLK9WPeQQp2ZQV4EPGPLLH8nw=="}}}`
	if err := os.WriteFile(filepath.Join(tree, "package-lock.json"), []byte(lock), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		flag bool
		want []sbom.License
	}{
		{false, []sbom.License{{Expression: "BSD-3-Clause", Kind: sbom.LicenseDeclared}}},
		{true, []sbom.License{{Expression: "BSD-3-Clause", Kind: sbom.LicenseDeclared}, {Expression: "BSD-3-Clause", Kind: sbom.LicenseConcluded}}},
	} {
		args := []string{"sbom", "--go-mod-cache", t.TempDir()}
		if tc.flag {
			args = append(args, "--licenses-as-declared")
		}
		code, out, errOut := invokeCLI(t, "", append(args, tree)...)
		if code != 0 {
			t.Fatalf("sbom: %d %s", code, errOut)
		}
		doc, err := sbom.Decode("out.cdx.json", []byte(out), input.DefaultLimits())
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range doc.Components {
			if c.Name == "plain" {
				if diff := cmp.Diff(tc.want, c.Licenses); diff != "" {
					t.Errorf("--licenses-as-declared=%v (-want +got):\n%s", tc.flag, diff)
				}
			}
		}
	}
}

// TestSBOMGoTreeCompleteFromModuleCache runs the pipeline a Go project's CI runs, on a module
// with one dependency in the module cache: siegel sbom (with the creator, the product's file,
// licence and purl, and --licenses-as-declared) piped to siegel sbom validate --fail-on
// incomplete passes, every TR-03183-2 field of the dependency coming from its verified zip.
func TestSBOMGoTreeCompleteFromModuleCache(t *testing.T) {
	cache, tree := t.TempDir(), t.TempDir()
	dir := filepath.Join(cache, "cache", "download", "example.com", "lib", "@v")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	for name, body := range map[string]string{"go.mod": "module example.com/lib\n\ngo 1.22\n", "lib.go": "package lib\n",
		"LICENSE": "Copyright 2024 Example\n\nPermission to use, copy, modify, and/or distribute this software for any\npurpose with or without fee is hereby granted.\n"} {
		w, _ := zw.Create("example.com/lib@v1.2.0/" + name)
		w.Write([]byte(body))
	}
	zw.Close()
	zipPath := filepath.Join(dir, "v1.2.0.zip")
	for name, data := range map[string][]byte{zipPath: zbuf.Bytes(), filepath.Join(dir, "v1.2.0.mod"): []byte("module example.com/lib\n\ngo 1.22\n"),
		filepath.Join(tree, "go.mod"): []byte("module example.com/app\n\ngo 1.22\n\nrequire example.com/lib v1.2.0\n")} {
		if err := os.WriteFile(name, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	h1, err := dirhash.HashZip(zipPath, dirhash.Hash1)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tree, "go.sum"), []byte("example.com/lib v1.2.0 "+h1+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	artifact := filepath.Join(t.TempDir(), "app")
	if err := os.WriteFile(artifact, []byte("\x7fELF\x02\x01\x01\x00"), 0o755); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := invokeCLI(t, "", "sbom", "--name", "app", "--version", "1.0.0", "--artifact", artifact, "--license", "MIT",
		"--purl", "pkg:golang/example.com/app@v1.0.0", "--creator-email", "psirt@acme.example", "--licenses-as-declared",
		"--go-mod-cache", cache, tree)
	if code != 0 {
		t.Fatalf("sbom: %d %s", code, errOut)
	}
	if code, vout, verr := invokeCLI(t, out, "sbom", "validate", "--fail-on", "incomplete", "--limit", "0", "-"); code != 0 {
		t.Errorf("validate: exit %d\n%s%s", code, vout, verr)
	}
	// Without --licenses-as-declared the dependency's distribution licence is nobody's statement.
	_, out, _ = invokeCLI(t, "", "sbom", "--name", "app", "--version", "1.0.0", "--artifact", artifact, "--license", "MIT",
		"--purl", "pkg:golang/example.com/app@v1.0.0", "--creator-email", "psirt@acme.example", "--go-mod-cache", cache, tree)
	if code, vout, _ := invokeCLI(t, out, "sbom", "validate", "--fail-on", "incomplete", "-"); code != ExitPolicy || !strings.Contains(vout, "example.com/lib v1.2.0: distribution licence") {
		t.Errorf("without --licenses-as-declared: exit %d\n%s", code, vout)
	}
}
