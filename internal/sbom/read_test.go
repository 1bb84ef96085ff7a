package sbom

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/siegel-oss/siegel/internal/input"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestDecodeGolden reads every fixture and compares the normalized model with a golden file,
// so that any change in what a reader extracts is seen in review. Refresh with -update.
func TestDecodeGolden(t *testing.T) {
	for name, data := range fixtureDocuments(t) {
		t.Run(filepath.Base(name), func(t *testing.T) {
			doc, err := Decode(filepath.Base(name), data, input.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.MarshalIndent(doc, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := filepath.Join("testdata", "golden", filepath.Base(name)+".model.json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := gocmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("model differs from %s (-want +got):\n%s", golden, diff)
			}
		})
	}
}

// TestReadersAgree checks that the same inventory written in different formats by different
// fixtures yields the same facts: the SPDX 2.2 and 2.3 tag-value fixtures differ only in version.
func TestReadersAgree(t *testing.T) {
	read := func(name string) *Document { return readFixture(t, name) }
	a, b := read("testdata/spdx/agent-2.2.spdx"), read("testdata/spdx/agent-2.3.spdx")
	if diff := gocmp.Diff(essenceOf(a), essenceOf(b)); diff != "" {
		t.Errorf("SPDX 2.2 and 2.3 readings differ:\n%s", diff)
	}
	if a.SpecVersion != "2.2" || b.SpecVersion != "2.3" {
		t.Errorf("spec versions %q, %q", a.SpecVersion, b.SpecVersion)
	}
}

func TestDecodeFacts(t *testing.T) {
	data, err := os.ReadFile("testdata/cyclonedx/router-1.6.cdx.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := Decode("router", data, input.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	idx := doc.Index()
	if doc.Subject != "router-fw" || doc.Name != "homerouter-firmware" {
		t.Errorf("subject %q name %q", doc.Subject, doc.Name)
	}
	ossl := doc.Components[idx["pkg:generic/openssl@3.0.13"]]
	if ossl.Supplier != "OpenSSL Software Foundation" || ossl.Author != "The OpenSSL Project" {
		t.Errorf("openssl supplier %q author %q", ossl.Supplier, ossl.Author)
	}
	if len(ossl.Licenses) != 1 || ossl.Licenses[0] != (License{Expression: "Apache-2.0", Kind: LicenseConcluded}) {
		t.Errorf("openssl licences %v", ossl.Licenses)
	}
	if want := []string{"usr/lib/libssl.so.3"}; !slicesEqual(ossl.Files, want) {
		t.Errorf("openssl files %v, want %v", ossl.Files, want)
	}
	if z := doc.Components[idx["zlib"]]; !slicesEqual(z.Files, []string{"usr/lib/libz.so.1.3.1"}) {
		t.Errorf("zlib files from evidence: %v", z.Files)
	}
	if _, ok := idx["busybox-applet-telnetd"]; !ok {
		t.Error("nested component was not flattened")
	}
	comp := map[string]Completeness{}
	for _, d := range doc.Dependencies {
		comp[d.Ref] = d.Completeness
	}
	if comp["router-fw"] != CompletenessComplete || comp["busybox"] != CompletenessIncomplete || comp["dropbear"] != CompletenessUnknown {
		t.Errorf("completeness %v", comp)
	}
	direct := doc.Direct()
	if len(direct) != 3 || !direct["pkg:generic/openssl@3.0.13"] || !direct["busybox"] || !direct["dropbear"] {
		t.Errorf("direct dependencies %v", direct)
	}
}

func slicesEqual(a, b []string) bool { return strings.Join(a, "\x00") == strings.Join(b, "\x00") }

// TestBadInput checks that each kind of broken document gets one line naming the file, the
// position and the rule broken.
func TestBadInput(t *testing.T) {
	cdx := func(body string) string {
		return `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,` + body + `}`
	}
	tests := []struct {
		name, data string
		want       []string // substrings of the error
	}{
		{"syntax", "{\"bomFormat\":\"CycloneDX\",\n\"specVersion\":\"1.6\",\n\"components\":[{,]}", []string{"bad.json:3:", "JSON syntax"}},
		{"truncated", `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[`, []string{"bad.json:1:", "JSON syntax"}},
		{"unknown spec", `{"bomFormat":"CycloneDX","specVersion":"2.9"}`, []string{"bad.json"}},
		{"old spec", `{"bomFormat":"CycloneDX","specVersion":"1.1","components":[]}`, []string{"spec version", "1.2 to 1.7"}},
		{"duplicate bom-ref", cdx(`"components":[{"type":"library","name":"a","bom-ref":"x"},{"type":"library","name":"b","bom-ref":"x"}]`),
			[]string{"at /components/1/bom-ref", "unique bom-ref", `"x"`, "/components/0/bom-ref"}},
		{"dangling ref", cdx(`"components":[{"type":"library","name":"a","bom-ref":"a"}],"dependencies":[{"ref":"a","dependsOn":["ghost"]}]`),
			[]string{"at /dependencies/0/dependsOn/0", "dangling reference", "ghost"}},
		{"dangling from", cdx(`"dependencies":[{"ref":"nobody"}]`), []string{"at /dependencies/0/ref", "dangling reference"}},
		{"invalid purl", cdx(`"components":[{"type":"library","name":"a","purl":"pkg:/nope"}]`), []string{"at /components/0/purl", "purl"}},
		{"bad hash", cdx(`"components":[{"type":"library","name":"a","hashes":[{"alg":"SHA-256","content":"abc"}]}]`), []string{"at /components/0/hashes/0", "hash"}},
		{"wrong type", cdx(`"components":{"name":"a"}`), []string{"bad.json:1:", "schema"}},
		{"no name", cdx(`"components":[{"type":"library"}]`), []string{"/components/0/name", "no name"}},
		{"deep json", strings.Repeat("[", 10000), []string{"bad.json"}},
		{"deep cdx", cdx(`"x":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000)), []string{"depth"}},
		{"binary", "\x00\x01\x02garbage\xff", []string{"bad.json:1:1", "binary"}},
		{"xml dtd", `<?xml version="1.0"?><!DOCTYPE bom [<!ENTITY a "aaaa">]><bom xmlns="http://cyclonedx.org/schema/bom/1.6"></bom>`, []string{"bad.json:1:", "no DTD"}},
		{"xml deep", `<bom xmlns="http://cyclonedx.org/schema/bom/1.6">` + strings.Repeat("<a>", 5000), []string{"depth limit"}},
		{"xml syntax", "<bom xmlns=\"http://cyclonedx.org/schema/bom/1.6\">\n<components>\n<component></components></bom>", []string{"bad.json:3", "XML syntax"}},
		{"xml unknown ns", `<bom xmlns="http://cyclonedx.org/schema/bom/9.9"></bom>`, []string{"spec version"}},
		{"xml duplicate ref", `<bom xmlns="http://cyclonedx.org/schema/bom/1.5"><components><component type="library" bom-ref="a"><name>a</name></component><component type="library" bom-ref="a"><name>b</name></component></components></bom>`,
			[]string{"/bom/components/component[2]/@bom-ref", "unique bom-ref"}},
		{"spdx version", `{"spdxVersion":"SPDX-1.2","SPDXID":"SPDXRef-DOCUMENT"}`, []string{"at /spdxVersion", "spec version"}},
		{"spdx dangling", `{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","packages":[{"SPDXID":"SPDXRef-a","name":"a"}],"relationships":[{"spdxElementId":"SPDXRef-a","relationshipType":"DEPENDS_ON","relatedSpdxElement":"SPDXRef-b"}]}`,
			[]string{"at /relationships/0/relatedSpdxElement", "dangling reference"}},
		{"spdx purl", `{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","packages":[{"SPDXID":"SPDXRef-a","name":"a","externalRefs":[{"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl","referenceLocator":"npm/lodash"}]}]}`,
			[]string{"at /packages/0/externalRefs/0/referenceLocator", "purl"}},
		{"spdx duplicate", `{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","packages":[{"SPDXID":"SPDXRef-a","name":"a"},{"SPDXID":"SPDXRef-a","name":"b"}]}`,
			[]string{"at /packages/1/SPDXID", "unique SPDXID"}},
		{"tag-value line", "SPDXVersion: SPDX-2.3\nSPDXID: SPDXRef-DOCUMENT\nthis is not a tag\n", []string{"bad.json:3:1", "tag-value syntax"}},
		{"tag-value text", "SPDXVersion: SPDX-2.3\nPackageName: a\nPackageDescription: <text>never closed\n", []string{"bad.json:3:", "never closed"}},
		{"tag-value dangling", "SPDXVersion: SPDX-2.3\nSPDXID: SPDXRef-DOCUMENT\nPackageName: a\nSPDXID: SPDXRef-a\nRelationship: SPDXRef-a DEPENDS_ON SPDXRef-zz\n", []string{"bad.json:5", "dangling reference"}},
		{"spdx3 context", `{"@context":"https://spdx.org/rdf/3.0.1/spdx-context.jsonld","@graph":[{"type":"Relationship","from":"urn:a","to":["urn:b"],"relationshipType":"dependsOn"}]}`,
			[]string{"at /@graph/0/from", "dangling reference"}},
		{"spdx3 purl", `{"@context":"https://spdx.org/rdf/3.0.1/spdx-context.jsonld","@graph":[{"type":"software_Package","spdxId":"urn:a","name":"a","software_packageUrl":"pkg:"}]}`,
			[]string{"at /@graph/0/software_packageUrl", "purl"}},
		{"not an sbom", `{"hello":"world"}`, []string{"bad.json:1:1", "format"}},
		{"empty", ``, []string{"bad.json", "empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode("bad.json", []byte(tt.data), input.Limits{})
			if err == nil {
				t.Fatal("no error")
			}
			var ie *input.Error
			if !errors.As(err, &ie) {
				t.Errorf("error %T is not an *input.Error: %v", err, err)
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("error spans several lines: %q", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
		})
	}
}

func TestReadSizeLimit(t *testing.T) {
	big := bytes.Repeat([]byte(" "), 2048)
	_, err := Read("huge.json", bytes.NewReader(big), input.Limits{MaxBytes: 1024})
	if err == nil || !errors.Is(err, input.ErrTooLarge) || !strings.Contains(err.Error(), "huge.json") {
		t.Fatalf("got %v, want a size-limit error naming the file", err)
	}
}

// fuzzSeeds adds every fixture and a few broken documents to the corpus.
func fuzzSeeds(f *testing.F, dirs ...string) {
	for _, dir := range dirs {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if data, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil {
				f.Add(data)
			}
		}
	}
	f.Add([]byte(`{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"bom-ref":"a","name":"a","type":"library"}],"dependencies":[{"ref":"a","dependsOn":["a"]}]}`))
}

// checkDecodeError is what every fuzz target asserts: no panic, and any error is an *input.Error.
func checkDecodeError(t *testing.T, doc *Document, err error) {
	if err != nil {
		var ie *input.Error
		if !errors.As(err, &ie) {
			t.Fatalf("error %T is not an *input.Error: %v", err, err)
		}
		return
	}
	seen := map[string]bool{}
	for _, c := range doc.Components {
		if seen[c.Ref] {
			t.Fatalf("duplicate ref %q accepted", c.Ref)
		}
		seen[c.Ref] = true
	}
	for _, d := range doc.Dependencies {
		for _, to := range append([]string{d.Ref}, d.DependsOn...) {
			if !seen[to] {
				t.Fatalf("dangling ref %q accepted", to)
			}
		}
	}
}

var fuzzLimits = input.Limits{MaxBytes: 1 << 20, MaxDepth: 64}

func FuzzDecode(f *testing.F) {
	fuzzSeeds(f, "testdata/cyclonedx", "testdata/spdx", "testdata/spdx3")
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := Decode("fuzz", data, fuzzLimits)
		checkDecodeError(t, doc, err)
		checkDecodeEach(t, data, fuzzLimits, doc, err)
	})
}

// TestDecodeEach checks that streaming every fixture hands over exactly the components Decode
// lists, in Decode's order except that CycloneDX's metadata component comes last, and returns the
// same document otherwise.
func TestDecodeEach(t *testing.T) {
	for name, data := range fixtureDocuments(t) {
		t.Run(filepath.Base(name), func(t *testing.T) {
			doc, err := Decode(name, data, input.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			checkDecodeEach(t, data, input.Limits{}, doc, err)
		})
	}
	// A document whose metadata follows its components.
	data := []byte(`{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"bom-ref":"a","name":"a","type":"library"},{"bom-ref":"b","name":"b","type":"library"}],"metadata":{"component":{"bom-ref":"p","name":"p","type":"application"}},"dependencies":[{"ref":"p","dependsOn":["a"]}]}`)
	doc, err := Decode("inline", data, input.Limits{})
	if err != nil || len(doc.Components) != 3 {
		t.Fatalf("Decode: %v, %d components, want 3", err, len(doc.Components))
	}
	checkDecodeEach(t, data, input.Limits{}, doc, err)

	// When the streaming reader gives up half way (here on a panic, as on one inside goccy/go-json),
	// the document is decoded again whole, and only the components not yet handed over follow.
	var refs []string
	panicked := false
	_, err = DecodeEach("inline", data, input.Limits{}, func(c Component) error {
		if c.Ref == "b" && !panicked {
			panicked = true
			panic("decoder failure")
		}
		refs = append(refs, c.Ref)
		return nil
	})
	if err != nil || !slices.Equal(refs, []string{"a", "b", "p"}) {
		t.Fatalf("after the streaming reader failed: components %q, error %v; want a, b, p once each", refs, err)
	}
}

// checkDecodeEach compares DecodeEach with Decode's result on the same data.
func checkDecodeEach(t *testing.T, data []byte, limits input.Limits, want *Document, wantErr error) {
	t.Helper()
	var got []Component
	doc, err := DecodeEach("fuzz", data, limits, func(c Component) error {
		got = append(got, c)
		return nil
	})
	if (err == nil) != (wantErr == nil) {
		t.Fatalf("DecodeEach error %v, Decode error %v", err, wantErr)
	}
	if err != nil {
		return
	}
	// CycloneDX's metadata components, which Decode lists first, come last: got must be Decode's
	// list rotated by their number, and by none for other formats.
	wantComps := want.Components
	if want.Format == CycloneDXJSON || want.Format == CycloneDXXML {
		for k := 1; k < len(wantComps); k++ {
			if wantComps[k-1].Ref == want.Subject && len(got) == len(wantComps) && gocmp.Equal(got[len(got)-k:], wantComps[:k]) {
				wantComps = append(slices.Clone(wantComps[k:]), wantComps[:k]...)
				break
			}
		}
	}
	if diff := gocmp.Diff(wantComps, got); diff != "" {
		t.Fatalf("DecodeEach's components differ from Decode's (-want +got):\n%s", diff)
	}
	doc.Components, want = nil, ptrTo(*want)
	want.Components = nil
	if diff := gocmp.Diff(want, doc); diff != "" {
		t.Fatalf("DecodeEach's document differs from Decode's (-want +got):\n%s", diff)
	}
}

func ptrTo[T any](v T) *T { return &v }

func FuzzCycloneDXJSON(f *testing.F) {
	fuzzSeeds(f, "testdata/cyclonedx")
	f.Fuzz(func(t *testing.T, data []byte) {
		if input.CheckJSONDepth("fuzz", data, 64) != nil {
			return
		}
		doc, err := decodeCycloneDX("fuzz", data, CycloneDXJSON, fuzzLimits, nil)
		checkDecodeError(t, doc, err)
	})
}

func FuzzCycloneDXXML(f *testing.F) {
	fuzzSeeds(f, "testdata/cyclonedx")
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := decodeCycloneDX("fuzz", data, CycloneDXXML, fuzzLimits, nil)
		checkDecodeError(t, doc, err)
	})
}

func FuzzSPDXJSON(f *testing.F) {
	fuzzSeeds(f, "testdata/spdx")
	f.Fuzz(func(t *testing.T, data []byte) {
		if input.CheckJSONDepth("fuzz", data, 64) != nil {
			return
		}
		doc, err := decodeSPDXJSON("fuzz", data, fuzzLimits)
		checkDecodeError(t, doc, err)
	})
}

func FuzzSPDXTagValue(f *testing.F) {
	fuzzSeeds(f, "testdata/spdx")
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := decodeSPDXTagValue("fuzz", data, fuzzLimits)
		checkDecodeError(t, doc, err)
	})
}

func FuzzSPDX3(f *testing.F) {
	fuzzSeeds(f, "testdata/spdx3", "testdata/tr03183")
	f.Fuzz(func(t *testing.T, data []byte) {
		if input.CheckJSONDepth("fuzz", data, 64) != nil {
			return
		}
		doc, err := decodeSPDX3("fuzz", data, fuzzLimits)
		checkDecodeError(t, doc, err)
	})
}

// readFixture decodes a fixture document, failing the test when it does not read.
func readFixture(t *testing.T, name string) *Document {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Decode(name, data, input.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return d
}
