package csaf

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/siegel-oss/siegel/internal/vex"
)

// acceptedInfo names the informative tests (CSAF 6.3) whose findings Siegel's documents may
// have: 6.3.3 (missing CVE: a vulnerability known only by a GHSA or other id has none) and 6.3.4
// (missing CWE: the vulnerability database Siegel matches against records no CWE). Every other
// informative finding fails the test. 6.3.6 and 6.3.7 resolve URLs over the network and 6.3.8
// runs hunspell; validate.mjs runs them only with --network and where hunspell is installed.
const acceptedInfo = "--accept-info=informativeTest_6_3_3,informativeTest_6_3_4"

// TestIndependentValidator checks Siegel's CSAF output — an advisory and a csaf_vex document —
// with BSI's csaf-validator-lib, run by node from tools/csaf-validate: the strict schema, the
// mandatory tests (section 6.1), the recommended tests (6.2: any warning fails) and the
// informative tests (6.3: any finding but those acceptedInfo names fails). Without node or the
// installed library the test skips, unless SIEGEL_TEST_CSAF_VALIDATOR_REQUIRED is set (CI
// installs both and sets it).
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
	const cvss = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
	vexDoc := &vex.Document{ID: "ACME-VEX-7", Author: "ACME Networks GmbH", Timestamp: now, Statements: []vex.Statement{
		{Vulnerability: "CVE-2026-1001", Product: "pkg:generic/acme/homerouter-x1@4.2.0", Components: []string{"pkg:pypi/example-lib@2.3.0"},
			Status: vex.NotAffected, Justification: "vulnerable_code_not_in_execute_path", Timestamp: now},
		{Vulnerability: "CVE-2026-2002", Aliases: []string{"GHSA-wdrn-2222-yyyy", "CVE-2026-2003"}, Product: "pkg:generic/acme/homerouter-x1@4.2.0",
			Components: []string{"pkg:golang/example.com/web@v1.9.1"}, Status: vex.Affected, Action: "Update to 4.2.1.", Timestamp: now, CVSS: cvss, Score: 9.8},
		{Vulnerability: "GHSA-wdrn-3333-zzzz", Product: "pkg:generic/acme/homerouter-x1@4.2.1", Status: vex.Fixed, Timestamp: now, CVSS: cvss, Score: 9.8},
		{Vulnerability: "CVE-2026-4004", Product: "pkg:generic/acme/homerouter-x1@4.2.1", Status: vex.UnderInvestigation, Timestamp: now, CVSS: "CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", Score: 1.8},
	}}
	csafVEX, err := vexDoc.Encode(vex.CSAF, vex.Publisher{Name: "ACME Networks GmbH", Namespace: "https://acme.example",
		CanonicalURL: "https://siegel.acme.example/api/v1/releases/7/vex/acme-vex-7.json"})
	if err != nil {
		t.Fatal(err)
	}
	files := []string{filepath.Join(tmp, "advisory.json"), filepath.Join(tmp, "vex.json")}
	os.WriteFile(files[0], advisory, 0o644)
	os.WriteFile(files[1], csafVEX, 0o644)
	validate := func(files ...string) ([]byte, error) {
		return exec.Command(node, append([]string{filepath.Join(dir, "validate.mjs"), "--fail-on-info", acceptedInfo}, files...)...).CombinedOutput()
	}
	out, err := validate(files...)
	if err != nil || strings.Count(string(out), ": valid") != 2 || strings.Contains(string(out), "warning ") {
		t.Fatalf("csaf-validator-lib: %v\n%s", err, out)
	}
	t.Logf("csaf-validator-lib:\n%s", out)
	// The validator is not a rubber stamp: a document with a product id it never defines fails a
	// mandatory test, one without its canonical URL a recommended one (6.2.11), and one that
	// scores a fixed product another (6.2.19).
	broken := map[string]string{
		"undefined-product-id": strings.Replace(string(advisory), `"CSAFPID-0001"`, `"CSAFPID-9999"`, 1),
		"no-canonical-url":     strings.Replace(string(advisory), `"category": "self"`, `"category": "external"`, 1),
		"fixed-product-scored": strings.Replace(string(advisory), `"products": [`, `"products": ["CSAFPID-0004", `, 1),
	}
	var brokenFiles []string
	for name, doc := range broken {
		f := filepath.Join(tmp, name+".json")
		os.WriteFile(f, []byte(doc), 0o644)
		brokenFiles = append(brokenFiles, f)
	}
	out, err = validate(brokenFiles...)
	for _, f := range brokenFiles {
		if err == nil || !strings.Contains(string(out), f+": INVALID") {
			t.Errorf("%s passed:\n%s", filepath.Base(f), out)
		}
	}
}
