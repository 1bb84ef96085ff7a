package vex

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gocsaf/csaf/v3/csaf"
	"github.com/google/go-cmp/cmp"

	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/sbom"
)

var (
	t0      = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	product = "pkg:generic/acme/homerouter@4.2.0"
	pub     = Publisher{Name: "ACME Networks GmbH", Namespace: "https://acme.example"}
)

// sample has a statement of every status, with and without components, with a non-CVE primary
// id, and a not_affected statement with an impact statement only.
func sample() *Document {
	return &Document{Author: "ACME Networks GmbH", Timestamp: t0, Statements: []Statement{
		{Vulnerability: "CVE-2026-1001", Aliases: []string{"GHSA-aaaa-1111-xxxx"}, Product: product, Components: []string{"pkg:pypi/example-lib@2.3.0"},
			Status: NotAffected, Justification: "vulnerable_code_not_in_execute_path", Impact: "The archive extraction code is not built into the firmware.", Timestamp: t0.Add(-2 * time.Hour)},
		{Vulnerability: "CVE-2026-2002", Product: product, Components: []string{"pkg:golang/example.com/web@v1.9.2"},
			Status: Affected, Action: "Update the firmware to 4.2.1.", Timestamp: t0.Add(-time.Hour)},
		{Vulnerability: "CVE-2026-3003", Aliases: []string{"GHSA-wdrn-2222-yyyy"}, Product: product, Status: Fixed, Timestamp: t0},
		{Vulnerability: "CVE-2026-4004", Product: product, Components: []string{"pkg:npm/a@1.0.0", "pkg:npm/b@2.0.0"}, Status: UnderInvestigation, Timestamp: t0},
		{Vulnerability: "CVE-2026-5005", Product: product, Status: NotAffected, Impact: "Only reachable from the serial console.", Timestamp: t0.Add(-3 * time.Hour)},
		{Vulnerability: "CVE-2026-6006", Product: product, Status: Affected, Timestamp: t0.Add(-4 * time.Hour)},
	}}
}

func normalize(d *Document) []Statement {
	out := slices.Clone(d.Statements)
	for i := range out {
		slices.Sort(out[i].Components)
	}
	slices.SortFunc(out, func(a, b Statement) int {
		return strings.Compare(a.Vulnerability+string(a.Status), b.Vulnerability+string(b.Status))
	})
	return out
}

// Every format carries every statement through a write and a read unchanged, and so does a
// chain through all three.
func TestRoundTrip(t *testing.T) {
	want := normalize(sample())
	for _, f := range Formats {
		data, err := sample().Encode(f, pub)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		got, format, err := Decode("vex."+f, data, input.Limits{})
		if err != nil {
			t.Fatalf("%s: %v\n%s", f, err, data)
		}
		if format != f {
			t.Errorf("%s detected as %s", f, format)
		}
		if diff := cmp.Diff(want, normalize(got)); diff != "" {
			t.Errorf("%s round trip (-want +got):\n%s", f, diff)
		}
		if !got.Timestamp.Equal(t0) {
			t.Errorf("%s: document time %v", f, got.Timestamp)
		}
	}
	doc := sample()
	for _, f := range []string{OpenVEX, CycloneDX, CSAF, OpenVEX, CSAF, CycloneDX} {
		data, err := doc.Encode(f, pub)
		if err != nil {
			t.Fatal(err)
		}
		if doc, _, err = Decode("chain", data, input.Limits{}); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff(want, normalize(doc)); diff != "" {
		t.Errorf("chain through all formats (-want +got):\n%s", diff)
	}
}

// The CSAF output passes the CSAF 2.0 JSON schema (as gocsaf/csaf embeds it) and the csaf_vex
// profile tests of section 6.1.27; the CycloneDX output passes the CycloneDX 1.6 schema.
func TestOutputsAreValid(t *testing.T) {
	data, err := sample().Encode(CSAF, pub)
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	json.Unmarshal(data, &doc)
	problems, err := csaf.ValidateCSAF(doc)
	if err != nil || len(problems) > 0 {
		t.Fatalf("CSAF schema: %v %v\n%s", err, problems, data)
	}
	var c csafDoc
	json.Unmarshal(data, &c)
	for i, v := range c.Vulnerabilities {
		if len(v.Notes) == 0 {
			t.Errorf("6.1.27.5: vulnerability %d without notes", i)
		}
		if v.CVE == "" && len(v.IDs) == 0 {
			t.Errorf("6.1.27.8: vulnerability %d without id", i)
		}
		for _, pid := range v.ProductStatus.KnownNotAffected {
			covered := slices.ContainsFunc(v.Flags, func(f csafFlag) bool { return slices.Contains(f.ProductIDs, pid) }) ||
				slices.ContainsFunc(v.Threats, func(th csafThreat) bool { return th.Category == "impact" && slices.Contains(th.ProductIDs, pid) })
			if !covered {
				t.Errorf("6.1.27.9: %s known_not_affected without flag or impact", pid)
			}
		}
		for _, pid := range v.ProductStatus.KnownAffected {
			if !slices.ContainsFunc(v.Remediations, func(r csafRemediation) bool { return slices.Contains(r.ProductIDs, pid) }) {
				t.Errorf("6.1.27.10: %s known_affected without remediation", pid)
			}
		}
	}
	data, err = sample().Encode(CycloneDX, pub)
	if err != nil {
		t.Fatal(err)
	}
	if ps, err := sbom.CheckSchema(data, sbom.CycloneDXJSON); err != nil || len(ps) > 0 {
		t.Errorf("CycloneDX schema: %v %v", err, ps)
	}
}

func TestDecodeRefuses(t *testing.T) {
	for name, tc := range map[string]struct{ data, want string }{
		"not VEX":      {`{"hello":1}`, "neither OpenVEX"},
		"not JSON":     {`{"@context":`, "vex.json"},
		"bad status":   {`{"@context":"https://openvex.dev/ns/v0.2.0","@id":"x","author":"a","timestamp":"2026-01-01T00:00:00Z","version":1,"statements":[{"vulnerability":{"name":"CVE-1"},"products":[{"@id":"p"}],"status":"maybe"}]}`, "status"},
		"no justif.":   {`{"@context":"https://openvex.dev/ns/v0.2.0","@id":"x","author":"a","timestamp":"2026-01-01T00:00:00Z","version":1,"statements":[{"vulnerability":{"name":"CVE-1"},"products":[{"@id":"p"}],"status":"not_affected"}]}`, "justification"},
		"csaf 2.1":     {`{"document":{"csaf_version":"2.1"}}`, "Siegel reads CSAF 2.0"},
		"csaf bad ref": {`{"document":{"csaf_version":"2.0"},"vulnerabilities":[{"cve":"CVE-2026-1","product_status":{"fixed":["P9"]}}]}`, "not defined in the product tree"},
		"too deep":     {strings.Repeat("[", 100) + strings.Repeat("]", 100), "depth"},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := Decode("vex.json", []byte(tc.data), input.Limits{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func TestLookup(t *testing.T) {
	d := sample()
	if s := d.Lookup([]string{"CVE-2026-1001"}, product, "pkg:pypi/example-lib@2.3.0"); s == nil || s.Status != NotAffected {
		t.Errorf("by id: %+v", s)
	}
	if s := d.Lookup([]string{"GHSA-aaaa-1111-xxxx"}, product, "pkg:pypi/example-lib@2.3.0?arch=x86"); s == nil {
		t.Error("by alias, qualifiers ignored: no statement")
	}
	if s := d.Lookup([]string{"CVE-2026-1001"}, product, "pkg:pypi/other@1.0"); s != nil {
		t.Errorf("another component: %+v", s)
	}
	if s := d.Lookup([]string{"CVE-2026-3003"}, "pkg:generic/acme/homerouter", "pkg:npm/x@1"); s == nil || s.Status != Fixed {
		t.Errorf("a product-wide statement, product without version: %+v", s)
	}
}

func FuzzDecode(f *testing.F) {
	for _, format := range Formats {
		data, _ := sample().Encode(format, pub)
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, _, err := Decode("fuzz", data, input.Limits{MaxBytes: 1 << 20})
		if err != nil {
			return
		}
		for _, s := range d.Statements {
			if err := s.Check(); err != nil {
				t.Fatalf("decoded an invalid statement: %v", err)
			}
		}
	})
}
