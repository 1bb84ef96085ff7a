package health

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/sbom"
)

func TestClassifyMemory(t *testing.T) {
	fw := map[string]string{PropExtractor: FirmwareSignatureExtractor}
	tests := []struct {
		name string
		c    Component
		want MemorySafety
	}{
		{"go", Component{PURL: "pkg:golang/golang.org/x/text@v0.3.0"}, MemorySafe},
		{"go with cgo", Component{PURL: "pkg:golang/example.com/app@v1.0.0", Properties: map[string]string{PropNative: "cgo"}}, NotMemorySafe},
		{"rust", Component{PURL: "pkg:cargo/serde@1.0.0"}, MemorySafe},
		{"rust -sys crate", Component{PURL: "pkg:cargo/openssl-sys@0.9.0"}, NotMemorySafe},
		{"npm", Component{PURL: "pkg:npm/lodash@4.17.21"}, MemorySafe},
		{"pypi", Component{PURL: "pkg:pypi/requests@2.31.0"}, MemorySafe},
		{"maven", Component{PURL: "pkg:maven/org.apache.commons/commons-text@1.10.0"}, MemorySafe},
		{"conan", Component{PURL: "pkg:conan/zlib@1.3"}, NotMemorySafe},
		{"firmware signature", Component{Name: "busybox", Version: "1.36.1", PURL: "pkg:generic/busybox@1.36.1", Properties: fw}, NotMemorySafe},
		{"debian package", Component{PURL: "pkg:deb/debian/openssl@3.0.15-1"}, MemoryUnknown},
		{"no purl", Component{Name: "x"}, MemoryUnknown},
		{"native marker false", Component{PURL: "pkg:npm/a@1", Properties: map[string]string{PropNative: "false"}}, MemorySafe},
	}
	for _, tt := range tests {
		got, reason := ClassifyMemory(tt.c)
		if got != tt.want || reason == "" {
			t.Errorf("%s: %s (%q), want %s", tt.name, got, reason, tt.want)
		}
	}
}

func TestFromSBOMNativeMarkers(t *testing.T) {
	doc := &sbom.Document{
		Components: []sbom.Component{
			{Ref: "a", Name: "bcrypt", Version: "5.1.1", PURL: "pkg:npm/bcrypt@5.1.1"},
			{Ref: "b", Name: "node-gyp-build", Version: "4.8.0", PURL: "pkg:npm/node-gyp-build@4.8.0"},
			{Ref: "c", Name: "lodash", Version: "4.17.21", PURL: "pkg:npm/lodash@4.17.21"},
			{Ref: "d", Name: "numpy", Version: "1.26.4", PURL: "pkg:pypi/numpy@1.26.4",
				Files: []string{"numpy/core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so"}},
			{Ref: "e", Name: "six", Version: "1.16.0", PURL: "pkg:pypi/six@1.16.0", Files: []string{"six.py"}},
			{Ref: "f", Name: "example.com/app", Version: "v1.0.0", PURL: "pkg:golang/example.com/app@v1.0.0",
				Properties: []sbom.Property{{Name: "CGO_ENABLED", Value: "1"}, {Name: "siegel:size", Value: "2048"}}},
		},
		Dependencies: []sbom.Dependency{{Ref: "a", DependsOn: []string{"b"}}, {Ref: "c", DependsOn: []string{}}},
	}
	cs := FromSBOM(doc)
	want := map[string]MemorySafety{"a": NotMemorySafe, "b": MemorySafe, "c": MemorySafe, "d": NotMemorySafe, "e": MemorySafe, "f": NotMemorySafe}
	for _, c := range cs {
		if got, reason := ClassifyMemory(c); got != want[c.Ref] {
			t.Errorf("%s: %s (%s), want %s", c.Name, got, reason, want[c.Ref])
		}
	}
	if cs[5].Size != 2048 {
		t.Errorf("size %d, want 2048 from siegel:size", cs[5].Size)
	}
}

func FuzzRegistryParsers(f *testing.F) {
	for _, p := range []string{"npm/request.json", "npm/@babel/core.json", "crates/openssl-sys.json",
		"crates-index/se/rd/serde_derive", "pypi/nose.json", "pypi/old-widget.json",
		"go/github.com/klauspost/compress/@v/v1.20.4.mod", "go/github.com/golang/protobuf/@v/v1.5.4.info"} {
		b, err := os.ReadFile(filepath.Join("testdata", "registry", filepath.FromSlash(p)))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, parse := range []func(string, []byte) (*Package, error){ParseNPM, ParseCrate, ParsePyPI,
			func(n string, b []byte) (*Package, error) { return ParseGoMod(n, b, day("2024-01-01")) }} {
			p, err := parse("fuzz.json", b)
			if err != nil {
				var ie *input.Error
				if !errors.As(err, &ie) || ie.File != "fuzz.json" {
					t.Fatalf("error %v does not name the file", err)
				}
				continue
			}
			if p == nil || p.PURL == "" {
				t.Fatalf("accepted without a package URL: %+v", p)
			}
		}
		_, _, _ = ParseGoInfo("fuzz.json", b)
	})
}
