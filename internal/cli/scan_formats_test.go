package cli

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/siegel-oss/siegel/internal/match"
	"github.com/siegel-oss/siegel/internal/sbom"
	"github.com/siegel-oss/siegel/internal/vex"
	"github.com/siegel-oss/siegel/internal/vulndb/vulndbtest"
)

var update = flag.Bool("update", false, "rewrite golden files")

// scanFixture scans a small document against the fixture database.
func scanFixture(t *testing.T) (*sbom.Document, []*match.Finding) {
	doc, res := scanFixtureResult(t)
	return doc, res.Findings
}

// scanFixtureResult is scanFixture with the coverage of the result.
func scanFixtureResult(t *testing.T) (*sbom.Document, *match.Result) {
	t.Helper()
	db := vulndbtest.Open(t)
	doc := &sbom.Document{Format: sbom.CycloneDXJSON, Name: "gateway", Subject: "gw", Serial: "urn:uuid:5a1b2c3d-0000-4000-8000-000000000001",
		Created: vulndbtest.Now,
		Components: []sbom.Component{
			{Ref: "gw", Type: "application", Name: "gateway", Version: "1.8.0", PURL: "pkg:generic/acme/gateway@1.8.0"},
			{Ref: "pkg:pypi/example-lib@2.3.0", Type: "library", Name: "example-lib", Version: "2.3.0", PURL: "pkg:pypi/example-lib@2.3.0",
				Properties: []sbom.Property{{Name: "siegel:location", Value: "requirements.txt"}}},
			{Ref: "pkg:golang/example.com/web@v1.9.2", Type: "library", Name: "example.com/web", Version: "v1.9.2", PURL: "pkg:golang/example.com/web@v1.9.2",
				Properties: []sbom.Property{{Name: "siegel:location", Value: "go.mod"}}},
			{Ref: "pkg:npm/%40acme/deepmerge-x@1.4.2", Type: "library", Name: "@acme/deepmerge-x", Version: "1.4.2", PURL: "pkg:npm/%40acme/deepmerge-x@1.4.2"},
		},
		Dependencies: []sbom.Dependency{{Ref: "gw", DependsOn: []string{"pkg:pypi/example-lib@2.3.0", "pkg:golang/example.com/web@v1.9.2", "pkg:npm/%40acme/deepmerge-x@1.4.2"}}},
	}
	pkgs, unknown := match.Packages(doc)
	res, err := match.Scan(t.Context(), db, pkgs, unknown, match.Options{Now: vulndbtest.Now})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 3 {
		t.Fatalf("%d findings, want 3: %v", len(res.Findings), res.Findings)
	}
	return doc, res
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	// The tool version is not part of what is compared.
	got = bytes.ReplaceAll(got, []byte(buildVersion()), []byte("VERSION"))
	p := filepath.Join("testdata", "golden", name)
	if *update {
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", name, diff)
	}
}

func TestScanFormatsGolden(t *testing.T) {
	doc, res := scanFixtureResult(t)
	fs := res.Findings

	var vdr bytes.Buffer
	if err := writeVDR(&vdr, doc, fs, res.Coverage); err != nil {
		t.Fatal(err)
	}
	golden(t, "scan.cdx.json", vdr.Bytes())
	problems, err := sbom.CheckSchema(vdr.Bytes(), sbom.CycloneDXJSON)
	if err != nil || len(problems) > 0 {
		t.Errorf("VDR is not schema-valid: %v %v", problems, err)
	}

	var sarif bytes.Buffer
	if err := writeSARIF(&sarif, "gateway", doc, res); err != nil {
		t.Fatal(err)
	}
	golden(t, "scan.sarif.json", sarif.Bytes())
	validateSARIF(t, sarif.Bytes())

	var ov bytes.Buffer
	if err := writeOpenVEX(&ov, doc, fs, vulndbtest.Now); err != nil {
		t.Fatal(err)
	}
	golden(t, "scan.openvex.json", ov.Bytes())
	var parsed struct {
		Context    string `json:"@context"`
		Statements []struct {
			Status   string `json:"status"`
			Products []struct {
				ID            string `json:"@id"`
				Subcomponents []struct {
					ID string `json:"@id"`
				} `json:"subcomponents"`
			} `json:"products"`
		} `json:"statements"`
	}
	if err := json.Unmarshal(ov.Bytes(), &parsed); err != nil || parsed.Context != "https://openvex.dev/ns/v0.2.0" || len(parsed.Statements) != 3 ||
		parsed.Statements[0].Products[0].ID != "pkg:generic/acme/gateway@1.8.0" || parsed.Statements[0].Status != "under_investigation" {
		t.Errorf("OpenVEX document %+v, %v", parsed, err)
	}
}

// validateSARIF checks a SARIF log against the OASIS SARIF 2.1.0 schema.
func validateSARIF(t *testing.T, data []byte) {
	t.Helper()
	c := jsonschema.NewCompiler()
	f, err := os.Open("testdata/schema/sarif-2.1.0-rtm.5.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddResource("sarif.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("sarif.json")
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(inst); err != nil {
		t.Errorf("SARIF output is not valid: %v", strings.ReplaceAll(err.Error(), "\n", " "))
	}
}

// TestValidateSARIFRejects shows the SARIF check can fail.
func TestValidateSARIFRejects(t *testing.T) {
	bad := []byte(`{"version": "3.0", "runs": [{"results": []}]}`)
	c := jsonschema.NewCompiler()
	f, _ := os.Open("testdata/schema/sarif-2.1.0-rtm.5.json")
	defer f.Close()
	doc, _ := jsonschema.UnmarshalJSON(f)
	c.AddResource("sarif.json", doc)
	s, err := c.Compile("sarif.json")
	if err != nil {
		t.Fatal(err)
	}
	inst, _ := jsonschema.UnmarshalJSON(bytes.NewReader(bad))
	if s.Validate(inst) == nil {
		t.Error("an invalid SARIF log passed validation")
	}
}

// scan --vex: a statement in any of the three formats marks the finding it covers (by id or
// alias, component purl, and the SBOM's subject as product); settled findings never fail the
// scan; statements about another product are ignored.
func TestScanVEX(t *testing.T) {
	for _, format := range vex.Formats {
		t.Run(format, func(t *testing.T) {
			doc, fs := scanFixture(t)
			statements := &vex.Document{Author: "ACME", Timestamp: vulndbtest.Now, Statements: []vex.Statement{
				{Vulnerability: "GHSA-aaaa-1111-xxxx", Product: "pkg:generic/acme/gateway@1.8.0", Components: []string{"pkg:pypi/example-lib@2.3.0"},
					Status: vex.NotAffected, Justification: "vulnerable_code_not_in_execute_path", Timestamp: vulndbtest.Now},
				{Vulnerability: "CVE-2026-2002", Product: "pkg:generic/acme/gateway@1.8.0", Components: []string{"pkg:golang/example.com/web@v1.9.2"},
					Status: vex.Affected, Action: "Update to 1.8.1", Timestamp: vulndbtest.Now},
			}}
			if format == vex.CSAF {
				// One document may speak of several products: this one must not apply.
				statements.Statements = append(statements.Statements, vex.Statement{Vulnerability: "CVE-2026-2002", Product: "pkg:generic/other/box@1",
					Components: []string{"pkg:golang/example.com/web@v1.9.2"}, Status: vex.Fixed, Timestamp: vulndbtest.Now})
			}
			data, err := statements.Encode(format, vex.Publisher{Name: "ACME", Namespace: "https://acme.example"})
			if err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(t.TempDir(), "gateway.vex.json")
			os.WriteFile(p, data, 0o644)
			criticalBefore := violations(fs, "critical")
			pkgs, unknown := match.Packages(doc)
			if err := applyVEX(productPURL(doc, pkgs, unknown), fs, []string{p}); err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, f := range fs {
				if f.VEX != nil {
					got[f.ID] = f.VEX.Status + " " + f.VEX.Justification + f.VEX.Action
				}
			}
			want := map[string]string{"CVE-2026-1001": "not_affected vulnerable_code_not_in_execute_path", "CVE-2026-2002": "affected Update to 1.8.1"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("VEX applied (-want +got):\n%s", diff)
			}
			if n := violations(fs, "critical"); n != criticalBefore-1 { // CVE-2026-1001 is critical, but not affected
				t.Errorf("%d violations at critical, want %d", n, criticalBefore-1)
			}
			if n := violations(fs, "any"); n != 2 {
				t.Errorf("%d violations at any, want 2 (the affected one and the untriaged one)", n)
			}
		})
	}
}

// TestResultJSONStreams checks the streaming writer against encoding/json's own indented
// encoding of the same result, with and without findings and unmatched components.
func TestResultJSONStreams(t *testing.T) {
	_, fs := scanFixture(t)
	for name, res := range map[string]match.Result{
		"findings":  {Findings: fs, Scanned: 3},
		"unmatched": {Findings: fs[:1], Unmatched: []match.Package{{Ref: "x", Name: "vendored", Version: "1.0"}}, Scanned: 4},
		"empty":     {Findings: []*match.Finding{}, Scanned: 0},
	} {
		var want, got bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			t.Fatal(err)
		}
		if err := writeResultJSON(&got, &res); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want.String(), got.String()); diff != "" {
			t.Errorf("%s: differs from encoding/json (-want +got):\n%s", name, diff)
		}
	}
}

// sarifLog is a whole SARIF log, which encodeSARIF writes piece by piece.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

// TestSARIFStreams checks the streaming SARIF writer against encoding/json's indented encoding
// of the same log.
func TestSARIFStreams(t *testing.T) {
	doc, fs := scanFixture(t)
	for name, findings := range map[string][]*match.Finding{"findings": fs, "none": nil} {
		run := newSARIFRun()
		addSARIFFindings(&run, "bom.json", doc, findings)
		var want, got bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetIndent("", "  ")
		if err := enc.Encode(sarifLog{Schema: "https://json.schemastore.org/sarif-2.1.0.json", Version: "2.1.0", Runs: []sarifRun{run}}); err != nil {
			t.Fatal(err)
		}
		if err := encodeSARIF(&got, run); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want.String(), got.String()); diff != "" {
			t.Errorf("%s: differs from encoding/json (-want +got):\n%s", name, diff)
		}
	}
}

// TestTableWidthsCapped checks that one long package name widens only its own row: the other
// rows keep their width and their columns, and the long name is written whole.
func TestTableWidthsCapped(t *testing.T) {
	long := "github.com/example/" + strings.Repeat("very-long-module-path/", 5) + "pkg"
	vuln := &match.Identity{ID: "GHSA-aaaa-bbbb-cccc", Records: []string{"GHSA-aaaa-bbbb-cccc"}}
	high := &match.Assessment{Severity: "HIGH", Score: 7.5}
	res := &match.Result{Scanned: 2, Findings: []*match.Finding{
		{Identity: vuln, Assessment: high, Package: &match.Package{Name: "yaml", Version: "2.0.0"}, Fixed: []string{"2.0.1"}},
		{Identity: vuln, Assessment: high, Package: &match.Package{Name: long, Version: "v1.0.0"}, Fixed: []string{"v1.0.1"}},
		{Identity: vuln, Assessment: high, Package: &match.Package{Name: "toml", Version: "0.1.0"}},
	}}
	var out bytes.Buffer
	if err := printFindings(&out, res); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(out.String(), "\n")
	header, short, longRow, short2 := lines[0], lines[1], lines[2], lines[3]
	if !strings.Contains(longRow, " "+long+"  v1.0.0") {
		t.Errorf("the long name is not written whole, followed by its version:\n%s", longRow)
	}
	// Every row's VERSION cell starts where the header's does, but for the long one.
	col := strings.Index(header, "VERSION")
	for _, row := range []string{short, short2} {
		if got := strings.Index(row, "2.0.0"); row == short && got != col {
			t.Errorf("VERSION at %d in %q, want %d (the header's)", got, row, col)
		}
		if got := strings.Index(row, "0.1.0"); row == short2 && got != col {
			t.Errorf("VERSION at %d in %q, want %d (the header's)", got, row, col)
		}
		if len(row) >= len(long) {
			t.Errorf("a short row is padded to the long name: %d bytes\n%s", len(row), row)
		}
	}
	// The cells after the long one follow it at two spaces.
	if !strings.Contains(longRow, "  v1.0.0  v1.0.1") {
		t.Errorf("the cells after the long name do not follow it at two spaces:\n%s", longRow)
	}
}
