package csaf

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/siegel-oss/siegel/internal/vex"
)

// TestIndependentValidator checks Siegel's CSAF output — an advisory and a csaf_vex document —
// with BSI's csaf-validator-lib (the strict schema and all mandatory tests of section 6.1), run
// by node from tools/csaf-validate. Without node or the installed library the test skips, unless
// SIEGEL_TEST_CSAF_VALIDATOR_REQUIRED is set (CI installs both and sets it).
func TestIndependentValidator(t *testing.T) {
	dir, _ := filepath.Abs("../../tools/csaf-validate")
	node, err := exec.LookPath("node")
	if _, serr := os.Stat(filepath.Join(dir, "node_modules", "@secvisogram", "csaf-validator-lib")); err != nil || serr != nil {
		if os.Getenv("SIEGEL_TEST_CSAF_VALIDATOR_REQUIRED") != "" {
			t.Fatalf("need node and 'npm ci --prefix tools/csaf-validate' (node: %v, library: %v)", err, serr)
		}
		t.Skip("no node or csaf-validator-lib")
	}
	tmp := t.TempDir()
	advisory, err := Build(sampleInput())
	if err != nil {
		t.Fatal(err)
	}
	vexDoc := &vex.Document{Author: "ACME Networks GmbH", Timestamp: now, Statements: []vex.Statement{
		{Vulnerability: "CVE-2026-1001", Product: "pkg:generic/acme/homerouter-x1@4.2.0", Components: []string{"pkg:pypi/example-lib@2.3.0"},
			Status: vex.NotAffected, Justification: "vulnerable_code_not_in_execute_path", Timestamp: now},
		{Vulnerability: "CVE-2026-2002", Product: "pkg:generic/acme/homerouter-x1@4.2.0", Status: vex.Affected, Action: "Update to 4.2.1.", Timestamp: now},
		{Vulnerability: "GHSA-wdrn-2222-yyyy", Product: "pkg:generic/acme/homerouter-x1@4.2.1", Status: vex.Fixed, Timestamp: now},
		{Vulnerability: "CVE-2026-4004", Product: "pkg:generic/acme/homerouter-x1@4.2.1", Status: vex.UnderInvestigation, Timestamp: now},
	}}
	csafVEX, err := vexDoc.Encode(vex.CSAF, vex.Publisher{Name: "ACME Networks GmbH", Namespace: "https://acme.example"})
	if err != nil {
		t.Fatal(err)
	}
	files := []string{filepath.Join(tmp, "advisory.json"), filepath.Join(tmp, "vex.json")}
	os.WriteFile(files[0], advisory, 0o644)
	os.WriteFile(files[1], csafVEX, 0o644)
	out, err := exec.Command(node, append([]string{filepath.Join(dir, "validate.mjs")}, files...)...).CombinedOutput()
	if err != nil || strings.Count(string(out), ": valid") != 2 {
		t.Fatalf("csaf-validator-lib: %v\n%s", err, out)
	}
	// The validator is not a rubber stamp: a document with a product id it never defines fails.
	broken := strings.Replace(string(advisory), `"CSAFPID-0001"`, `"CSAFPID-9999"`, 1)
	os.WriteFile(files[0], []byte(broken), 0o644)
	if out, err := exec.Command(node, filepath.Join(dir, "validate.mjs"), files[0]).CombinedOutput(); err == nil {
		t.Errorf("a broken advisory passed:\n%s", out)
	}
}
