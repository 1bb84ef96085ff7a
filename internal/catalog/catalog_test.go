package catalog

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/siegel-oss/siegel/internal/sbom"
)

func mustLoad(t testing.TB) *Catalog {
	t.Helper()
	c, err := Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

func TestLoad(t *testing.T) {
	c := mustLoad(t)
	var ids []string
	for _, s := range c.Standards {
		ids = append(ids, s.ID)
	}
	if diff := cmp.Diff([]string{"bsi-tr-03148", "bsi-tr-03183-2", "cra", "etsi-en-303-645"}, ids); diff != "" {
		t.Errorf("standards (-want +got):\n%s", diff)
	}
	if !slices.IsSortedFunc(c.Requirements, func(a, b *Requirement) int { return strings.Compare(a.ID, b.ID) }) {
		t.Error("requirements not sorted by id")
	}
	for _, r := range c.Requirements {
		if (r.Automation == AttestationOnly) != (len(r.Evaluators) == 0) {
			t.Errorf("%s: automation %s with evaluators %v", r.ID, r.Automation, r.Evaluators)
		}
		if len(strings.Fields(r.Summary)) > 80 {
			t.Errorf("%s: summary of %d words; keep it to 1-3 sentences", r.ID, len(strings.Fields(r.Summary)))
		}
	}
}

func TestCRACounts(t *testing.T) {
	c := mustLoad(t)
	count := func(prefix string) (n int) {
		for _, r := range c.Of("cra") {
			if strings.HasPrefix(r.ID, prefix) {
				n++
			}
		}
		return n
	}
	if n := count("cra/annex-i/part-i/2/"); n != 13 {
		t.Errorf("Annex I Part I point (2): %d properties, want 13 (a)-(m)", n)
	}
	for _, l := range "abcdefghijklm" {
		if c.Requirement("cra/annex-i/part-i/2/"+string(l)) == nil {
			t.Errorf("Annex I Part I (2)(%c) missing", l)
		}
	}
	if c.Requirement("cra/annex-i/part-i/1") == nil {
		t.Error("Annex I Part I (1) missing")
	}
	if n := count("cra/annex-i/part-ii/"); n != 8 {
		t.Errorf("Annex I Part II: %d requirements, want 8", n)
	}
	for _, id := range []string{"cra/art-13/8", "cra/art-13/9", "cra/art-13/13", "cra/art-13/5", "cra/art-13/6", "cra/art-14/1", "cra/art-14/2/a", "cra/art-14/2/b", "cra/art-14/2/c", "cra/art-14/3", "cra/art-14/8"} {
		if c.Requirement(id) == nil {
			t.Errorf("%s missing", id)
		}
	}
}

// etsiStatus is every provision of EN 303 645 V2.1.1 with its Annex B status.
var etsiStatus = map[string]string{
	"5.1-1": "M C (1)", "5.1-2": "M C (2)", "5.1-3": "M", "5.1-4": "M C (8)", "5.1-5": "M C (5)",
	"5.2-1": "M", "5.2-2": "R", "5.2-3": "R",
	"5.3-1": "R", "5.3-2": "M C (5)", "5.3-3": "M C (12)", "5.3-4": "R C (12)", "5.3-5": "R C (12)",
	"5.3-6": "R C (9, 12)", "5.3-7": "M C (12)", "5.3-8": "M C (12)", "5.3-9": "R C (12)",
	"5.3-10": "M C (11, 12)", "5.3-11": "R C (12)", "5.3-12": "R C (12)", "5.3-13": "M",
	"5.3-14": "R C (3, 4)", "5.3-15": "R C (3, 4)", "5.3-16": "M",
	"5.4-1": "M", "5.4-2": "M C (10)", "5.4-3": "M", "5.4-4": "M",
	"5.5-1": "M", "5.5-2": "R", "5.5-3": "R", "5.5-4": "R", "5.5-5": "M", "5.5-6": "R", "5.5-7": "M", "5.5-8": "M",
	"5.6-1": "M", "5.6-2": "M", "5.6-3": "R", "5.6-4": "M C (13)", "5.6-5": "R", "5.6-6": "R", "5.6-7": "R", "5.6-8": "R", "5.6-9": "R",
	"5.7-1": "R", "5.7-2": "R",
	"5.8-1": "R", "5.8-2": "M", "5.8-3": "M",
	"5.9-1": "R", "5.9-2": "R", "5.9-3": "R",
	"5.10-1": "R C (6)",
	"5.11-1": "M", "5.11-2": "R", "5.11-3": "R", "5.11-4": "R",
	"5.12-1": "R", "5.12-2": "R", "5.12-3": "R",
	"5.13-1": "M",
	"6-1":    "M", "6-2": "M C (7)", "6-3": "M C (7)", "6-4": "R C (6)", "6-5": "M C (6)",
	"4-1": "M",
}

func TestETSIProvisions(t *testing.T) {
	c := mustLoad(t)
	got := map[string]string{}
	for _, r := range c.Of("etsi-en-303-645") {
		got[r.Reference] = r.Status()
		if r.ID != "etsi-en-303-645/"+r.Reference {
			t.Errorf("%s: reference %q does not match the id", r.ID, r.Reference)
		}
	}
	if diff := cmp.Diff(etsiStatus, got); diff != "" {
		t.Errorf("provisions and statuses (-want +got):\n%s", diff)
	}
	if len(got) != 68 {
		t.Errorf("%d provisions, want 68", len(got))
	}
	st := c.Standards[slices.IndexFunc(c.Standards, func(s Standard) bool { return s.ID == "etsi-en-303-645" })]
	if len(st.Conditions) != 13 {
		t.Errorf("%d conditions, want 13", len(st.Conditions))
	}
}

// The TR-03183-2 field names of the catalog are those of internal/sbom's completeness report, so
// a field that report finds missing fails the right requirement.
func TestTR03183FieldsMatchSBOMReport(t *testing.T) {
	c := mustLoad(t)
	fields := map[string]bool{}
	for _, r := range c.Of("bsi-tr-03183-2") {
		if f := r.Params["field"]; f != "" {
			fields[f] = true
		}
	}
	for _, f := range []string{sbom.FieldFormat, sbom.FieldNoVulns, sbom.FieldCreator, sbom.FieldTimestamp, sbom.FieldCompCreator, sbom.FieldName, sbom.FieldVersion,
		sbom.FieldFilename, sbom.FieldDependencies, sbom.FieldLicence, sbom.FieldSHA512, sbom.FieldExecutable,
		sbom.FieldArchive, sbom.FieldStructured, sbom.FieldIdentifier} {
		if !fields[f] {
			t.Errorf("no requirement for the field %q of internal/sbom's report", f)
		}
	}
}

func TestCrossReferencesBothWays(t *testing.T) {
	c := mustLoad(t)
	links := 0
	for _, r := range c.Requirements {
		for _, to := range r.Related {
			target := c.Requirement(to)
			if target == nil {
				t.Errorf("%s -> %s does not resolve", r.ID, to)
				continue
			}
			if !slices.Contains(target.Related, r.ID) {
				t.Errorf("%s -> %s has no way back", r.ID, to)
			}
			links++
		}
	}
	if links == 0 {
		t.Fatal("no cross-references")
	}
	// The chain the catalogs are built around: a shared default password.
	for _, pair := range [][2]string{
		{"etsi-en-303-645/5.1-1", "cra/annex-i/part-i/2/d"},
		{"bsi-tr-03148/initial-password", "etsi-en-303-645/5.1-1"},
		{"bsi-tr-03183-2/complete", "cra/annex-i/part-ii/1"},
	} {
		if !slices.Contains(c.Requirement(pair[1]).Related, pair[0]) {
			t.Errorf("%s does not list %s", pair[1], pair[0])
		}
	}
}

func TestEveryEvaluatorUsed(t *testing.T) {
	c := mustLoad(t)
	used := map[string]bool{}
	for _, r := range c.Requirements {
		for _, e := range r.Evaluators {
			used[e] = true
		}
	}
	for _, name := range EvaluatorNames() {
		if !used[name] {
			t.Errorf("evaluator %s is named by no requirement", name)
		}
	}
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRejectInvalid(t *testing.T) {
	good := readTestdata(t, "valid.yaml")
	tests := []struct {
		name  string
		files map[string]string
		want  []string // substrings of the error
	}{
		{"schema: bad status", map[string]string{"bad-status.yaml": string(readTestdata(t, "bad-status.yaml"))},
			[]string{"bad-status.yaml:", "/requirements/0/status", "mandatory"}},
		{"schema: missing summary", map[string]string{"missing.yaml": strings.Replace(string(good), "    summary: A sample requirement.\n", "", 1)},
			[]string{"missing.yaml:", "/requirements/0", "summary"}},
		{"schema: evaluators on an attestation requirement", map[string]string{"x.yaml": strings.Replace(string(good), "automation: automatic", "automation: attestation", 1)},
			[]string{"x.yaml:", "/requirements/0/evaluators"}},
		{"schema: unknown field", map[string]string{"x.yaml": strings.Replace(string(good), "title: Sample\n", "title: Sample\ncolour: red\n", 1)},
			[]string{"x.yaml:3:", "/colour", "not allowed"}},
		{"unknown evaluator", map[string]string{"x.yaml": strings.Replace(string(good), "[sbom-present]", "[sbom-absent]", 1)},
			[]string{"x.yaml:", "/requirements/0/evaluators/0", `no evaluator named "sbom-absent"`}},
		{"missing evaluator parameter", map[string]string{"x.yaml": strings.Replace(string(good), "[sbom-present]", "[sbom-tr03183-field]", 1)},
			[]string{"/requirements/0/params", `"field"`}},
		{"cross-reference does not resolve", map[string]string{"x.yaml": strings.Replace(string(good), "related: [sample/two]", "related: [sample/three]", 1)},
			[]string{"x.yaml:", "/requirements/0/related/0", `"sample/three"`}},
		{"duplicate id", map[string]string{"x.yaml": strings.Replace(string(good), "id: sample/two", "id: sample/one", 1)},
			[]string{"x.yaml:", "/requirements/1/id", `"sample/one"`}},
		{"id outside its catalog", map[string]string{"x.yaml": strings.Replace(string(good), "id: sample/two", "id: other/two", 1)},
			[]string{"/requirements/1/id", "must start with"}},
		{"undefined condition", map[string]string{"x.yaml": strings.Replace(string(good), `conditions: ["1"]`, `conditions: ["2"]`, 1)},
			[]string{"/requirements/1/conditions/0", `"2"`}},
		{"same catalog twice", map[string]string{"a.yaml": string(good), "b.yaml": string(good)},
			[]string{"b.yaml:", "/catalog", "a.yaml"}},
		{"duplicate key", map[string]string{"x.yaml": strings.Replace(string(good), "title: Sample\n", "title: Sample\ntitle: Again\n", 1)},
			[]string{"x.yaml:", "appears twice"}},
		{"alias", map[string]string{"x.yaml": "catalog: &a x\ntitle: *a\n"}, []string{"x.yaml:", "aliases"}},
		{"not YAML", map[string]string{"x.yaml": "catalog: [\n"}, []string{"x.yaml:", "not valid YAML"}},
		{"schema: unverified not a boolean", map[string]string{"x.yaml": strings.Replace(string(good), "    reference: \"1\"\n", "    reference: \"1\"\n    unverified: maybe\n", 1)},
			[]string{"x.yaml:", "/requirements/0/unverified", "boolean"}},
		{"schema: empty document", map[string]string{"x.yaml": strings.Replace(string(good), "    reference: \"1\"\n", "    reference: \"1\"\n    document: \"\"\n", 1)},
			[]string{"x.yaml:", "/requirements/0/document"}},
		{"unknown product category", map[string]string{"x.yaml": strings.Replace(string(good), "categories: [any]", "categories: [smart-fridge]", 1)},
			[]string{"x.yaml:", "/applies/categories/0", `"smart-fridge"`, "smart-plug"}},
		{"catalog applying to nothing", map[string]string{"x.yaml": strings.Replace(string(good), "applies:\n  categories: [any]\n", "", 1)},
			[]string{"x.yaml:", "applies to no product"}},
		{"category naming no catalog", map[string]string{"x.yaml": string(good), "categories.yaml": "categories:\n  - {id: kettle, title: Kettle, catalogs: [tea]}\n"},
			[]string{"categories.yaml:2:", "/categories/0/catalogs/0", `no catalog "tea"`}},
		{"category listed twice", map[string]string{"x.yaml": string(good), "categories.yaml": "categories:\n  - {id: kettle, title: Kettle, catalogs: [sample]}\n  - {id: kettle, title: Kettle, catalogs: [sample]}\n"},
			[]string{"categories.yaml:3:", "/categories/1/id", "listed twice"}},
		{"category schema", map[string]string{"x.yaml": string(good), "categories.yaml": "categories:\n  - {id: Kettle, title: Kettle, catalogs: [sample]}\n"},
			[]string{"categories.yaml:", "/categories/0/id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for n, d := range tt.files {
				fsys[n] = &fstest.MapFile{Data: []byte(d)}
			}
			_, err := LoadFS(fsys, Schema())
			if err == nil {
				t.Fatal("accepted")
			}
			t.Log(err)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T %v is not a *catalog.Error", err, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
	// The untouched sample loads.
	if _, err := LoadFS(fstest.MapFS{"valid.yaml": {Data: good}}, Schema()); err != nil {
		t.Fatalf("valid sample: %v", err)
	}
}

// A schema violation names the line of the offending field.
func TestErrorLine(t *testing.T) {
	_, err := LoadFS(fstest.MapFS{"bad-status.yaml": {Data: readTestdata(t, "bad-status.yaml")}}, Schema())
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v", err)
	}
	if e.File != "bad-status.yaml" || e.Field != "/requirements/0/status" || e.Line != 12 {
		t.Errorf("got file %q field %q line %d, want bad-status.yaml /requirements/0/status 12", e.File, e.Field, e.Line)
	}
}

func FuzzParse(f *testing.F) {
	// Small seeds keep the fuzzer fast; the full catalogs are covered by TestLoad.
	cra, err := dataFS.ReadFile("data/cra.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(cra[:min(len(cra), 3000)])
	for _, n := range []string{"valid.yaml", "bad-status.yaml"} {
		b, err := os.ReadFile("testdata/" + n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("a: &x [*x]\n"))
	f.Add([]byte("catalog: x\nrequirements: [{id: 1}]\n"))
	schema := Schema()
	v, err := newValidator(schema)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fl, err := v.parse("fuzz.yaml", data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not a *catalog.Error: %v", err, err)
			}
			return
		}
		c, err := build([]*file{fl}, false)
		if err != nil {
			return
		}
		// Whatever loads can be evaluated.
		_ = Evaluate(c, Evidence{}, fixedNow)
	})
}

// The category list names real catalogs, and a router and a smart plug bring in what they should.
func TestCategories(t *testing.T) {
	c := mustLoad(t)
	want := map[string][]string{
		"router": {"etsi-en-303-645", "bsi-tr-03148"}, "smart-plug": {"etsi-en-303-645"}, "camera": {"etsi-en-303-645"},
		"smart-speaker": {"etsi-en-303-645"}, "baby-monitor": {"etsi-en-303-645"}, "smart-lock": {"etsi-en-303-645"},
		"thermostat": {"etsi-en-303-645"}, "wearable": {"etsi-en-303-645"}, "smart-consumer-device": {"etsi-en-303-645"},
	}
	for id, catalogs := range want {
		cat, ok := c.Category(id)
		if !ok {
			t.Errorf("category %s missing", id)
			continue
		}
		if diff := cmp.Diff(catalogs, cat.Catalogs); diff != "" {
			t.Errorf("%s catalogs (-want +got):\n%s", id, diff)
		}
	}
	if err := c.CheckCategory("smart plug"); err == nil || !strings.Contains(err.Error(), "smart-plug") || !strings.Contains(err.Error(), "router") {
		t.Errorf("free text accepted or the valid ones not named: %v", err)
	}
	if err := c.CheckCategory(""); err == nil || !strings.Contains(err.Error(), "no category") {
		t.Errorf("empty category: %v", err)
	}
	for _, r := range c.Of("etsi-en-303-645") {
		if !slices.Contains(r.Categories, "smart-plug") || !slices.Contains(r.Categories, "router") || slices.Contains(r.Categories, AnyCategory) {
			t.Fatalf("%s applies to %v", r.ID, r.Categories)
		}
	}
	for _, r := range c.Of("bsi-tr-03148") {
		if !slices.Equal(r.Categories, []string{"router"}) {
			t.Fatalf("%s applies to %v", r.ID, r.Categories)
		}
	}
	for _, r := range c.Of("cra") {
		if !slices.Equal(r.Categories, []string{AnyCategory}) {
			t.Fatalf("%s applies to %v", r.ID, r.Categories)
		}
	}
}

// No section reference of BSI TR-03148 was checked against the published text, so each says so;
// the areas the guideline covers are all there.
func TestTR03148Areas(t *testing.T) {
	c := mustLoad(t)
	for _, r := range c.Of("bsi-tr-03148") {
		if !r.Unverified {
			t.Errorf("%s: reference %q not marked unverified", r.ID, r.Reference)
		}
	}
	for _, id := range []string{"dns", "dhcp", "guest-wlan", "hidden-functions", "remote-configuration", "voip", "vpn", "firewall", "firewall-configuration", "factory-reset"} {
		if c.Requirement("bsi-tr-03148/"+id) == nil {
			t.Errorf("bsi-tr-03148/%s missing", id)
		}
	}
	for _, r := range c.Of("etsi-en-303-645") {
		if r.Unverified {
			t.Errorf("%s: an ETSI provision number is checked against Table B.1", r.ID)
		}
	}
}

func FuzzParseCategories(f *testing.F) {
	list, err := dataFS.ReadFile("data/categories.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(list)
	f.Add([]byte("categories:\n  - {id: kettle, title: Kettle, catalogs: [cra]}\n"))
	f.Add([]byte("categories: [{id: x}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cats, _, err := parseCategories("categories.yaml", data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not a *catalog.Error: %v", err, err)
			}
			return
		}
		for _, c := range cats {
			if c.ID == "" || len(c.Catalogs) == 0 {
				t.Fatalf("accepted %+v", c)
			}
		}
	})
}

// One catalog file parsed on its own gets its categories from the embedded list.
func TestParseOneFile(t *testing.T) {
	data, err := dataFS.ReadFile("data/etsi-en-303-645.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse("etsi-en-303-645.yaml", data, Schema())
	if err != nil {
		t.Fatal(err)
	}
	r := c.Requirement("etsi-en-303-645/4-1")
	if r == nil || !slices.Contains(r.Categories, "smart-plug") || r.Document == "" {
		t.Fatalf("4-1: %+v", r)
	}
	if _, ok := c.Category("router"); !ok {
		t.Error("the category list is not there")
	}
}
