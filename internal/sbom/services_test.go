package sbom

import (
	"bytes"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/siegel-oss/siegel/internal/input"
)

// A SaaSBOM: no components, services with a nested service, and dependencies between services.
// CycloneDX dependency refs name "a component or service" (1.2 onwards), so none of them dangles.
const saasBOMJSON = `{"bomFormat":"CycloneDX","specVersion":"1.4","version":1,
 "metadata":{"component":{"type":"application","name":"shop","bom-ref":"shop"}},
 "services":[
  {"bom-ref":"api","provider":{"name":"Acme"},"name":"shop-api","version":"2","endpoints":["https://api.example.com/v2"],
   "authenticated":true,"x-trust-boundary":true,"licenses":[{"license":{"id":"MIT"}}],
   "services":[{"bom-ref":"auth","name":"auth"}]},
  {"bom-ref":"ticker","name":"stock ticker"}],
 "dependencies":[{"ref":"shop","dependsOn":["api"]},{"ref":"api","dependsOn":["auth","ticker"]}]}`

const saasBOMXML = `<?xml version="1.0"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.4" version="1">
 <metadata><component type="application" bom-ref="shop"><name>shop</name></component></metadata>
 <services>
  <service bom-ref="api"><provider><name>Acme</name></provider><name>shop-api</name><version>2</version>
   <endpoints><endpoint>https://api.example.com/v2</endpoint></endpoints>
   <authenticated>true</authenticated><x-trust-boundary>true</x-trust-boundary>
   <licenses><license><id>MIT</id></license></licenses>
   <services><service bom-ref="auth"><name>auth</name></service></services>
  </service>
  <service bom-ref="ticker"><name>stock ticker</name></service>
 </services>
 <dependencies>
  <dependency ref="shop"><dependency ref="api"/></dependency>
  <dependency ref="api"><dependency ref="auth"/><dependency ref="ticker"/></dependency>
 </dependencies>
</bom>`

func TestServicesAreFirstClass(t *testing.T) {
	yes := true
	want := []Service{
		{Ref: "api", Provider: "Acme", Name: "shop-api", Version: "2", Endpoints: []string{"https://api.example.com/v2"},
			Authenticated: &yes, CrossesTrustBoundary: &yes, Licenses: []License{{Expression: "MIT", Kind: LicenseDeclared}}},
		{Ref: "auth", Name: "auth"},
		{Ref: "ticker", Name: "stock ticker"},
	}
	wantDeps := []Dependency{{Ref: "shop", DependsOn: []string{"api"}}, {Ref: "api", DependsOn: []string{"auth", "ticker"}}}
	for name, data := range map[string]string{"saas.json": saasBOMJSON, "saas.xml": saasBOMXML} {
		t.Run(name, func(t *testing.T) {
			doc, err := Decode(name, []byte(data), input.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if d := gocmp.Diff(want, doc.Services); d != "" {
				t.Errorf("services (-want +got):\n%s", d)
			}
			if d := gocmp.Diff(wantDeps, doc.Dependencies); d != "" {
				t.Errorf("dependencies (-want +got):\n%s", d)
			}
			// Written and read again, the services and their edges survive.
			for _, f := range WritableFormats[:2] {
				var buf bytes.Buffer
				if err := Write(&buf, doc, f); err != nil {
					t.Fatal(err)
				}
				again, err := Decode("again", buf.Bytes(), input.Limits{})
				if err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				if d := gocmp.Diff(want, again.Services); d != "" {
					t.Errorf("%s: services after writing (-want +got):\n%s", f, d)
				}
				if d := gocmp.Diff(wantDeps, again.Dependencies); d != "" {
					t.Errorf("%s: dependencies after writing (-want +got):\n%s", f, d)
				}
			}
		})
	}
}

// SPDX 2.3 has no services: written as SPDX, a service becomes a package (purpose OTHER) and the
// edges to it are kept rather than dropped.
func TestServicesWrittenAsSPDX(t *testing.T) {
	doc, err := Decode("saas.json", []byte(saasBOMJSON), input.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Write(&buf, doc, SPDXJSON); err != nil {
		t.Fatal(err)
	}
	again, err := Decode("saas.spdx.json", buf.Bytes(), input.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range again.Components {
		names = append(names, c.Name)
	}
	if d := gocmp.Diff([]string{"shop", "shop-api", "auth", "stock ticker"}, names); d != "" {
		t.Errorf("packages (-want +got):\n%s", d)
	}
	edges := 0
	for _, d := range again.Dependencies {
		edges += len(d.DependsOn)
	}
	if edges != 3 {
		t.Errorf("%d edges survive, want 3: %+v", edges, again.Dependencies)
	}
	if problems, err := CheckSchema(buf.Bytes(), SPDXJSON); err != nil || len(problems) > 0 {
		t.Errorf("SPDX output: %v %v", err, problems)
	}
}

func TestServiceRefsAreUniqueWithComponents(t *testing.T) {
	data := `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,
	 "components":[{"type":"library","name":"a","bom-ref":"x"}],"services":[{"bom-ref":"x","name":"s"}]}`
	_, err := Decode("dup.json", []byte(data), input.Limits{})
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("unique bom-ref")) {
		t.Fatalf("duplicate bom-ref across a component and a service: err = %v", err)
	}
	dangling := `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,
	 "services":[{"bom-ref":"s","name":"s"}],"dependencies":[{"ref":"s","dependsOn":["ghost"]}]}`
	if _, err := Decode("dangling.json", []byte(dangling), input.Limits{}); err == nil {
		t.Fatal("a dependency on a bom-ref no component or service has was accepted")
	}
}
