package csaf

import (
	"strings"
	"testing"

	"github.com/siegel-oss/siegel/internal/csaf/csaftest"
	"github.com/siegel-oss/siegel/internal/vex"
)

// TestIndependentValidator checks Siegel's CSAF output — an advisory and a csaf_vex document —
// with BSI's csaf-validator-lib (csaftest): the strict schema and the mandatory, recommended
// and informative tests.
func TestIndependentValidator(t *testing.T) {
	val := csaftest.New(t)
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
	valid, out := val.Check(t, map[string][]byte{"advisory.json": advisory, "vex.json": csafVEX})
	if !valid["advisory.json"] || !valid["vex.json"] || strings.Contains(out, "warning ") {
		t.Fatalf("csaf-validator-lib:\n%s", out)
	}
	t.Logf("csaf-validator-lib:\n%s", out)
	// The validator is not a rubber stamp: a document with a product id it never defines fails a
	// mandatory test, one without its canonical URL a recommended one (6.2.11), and one that
	// scores a fixed product another (6.2.19).
	broken := map[string][]byte{
		"undefined-product-id.json": []byte(strings.Replace(string(advisory), `"CSAFPID-0001"`, `"CSAFPID-9999"`, 1)),
		"no-canonical-url.json":     []byte(strings.Replace(string(advisory), `"category": "self"`, `"category": "external"`, 1)),
		"fixed-product-scored.json": []byte(strings.Replace(string(advisory), `"products": [`, `"products": ["CSAFPID-0004", `, 1)),
	}
	valid, out = val.Check(t, broken)
	for name := range broken {
		if valid[name] {
			t.Errorf("%s passed:\n%s", name, out)
		}
	}
}
