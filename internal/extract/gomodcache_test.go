package extract

import (
	"archive/zip"
	"crypto/sha512"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/mod/sumdb/dirhash"

	"github.com/siegel-oss/siegel/internal/purl"
	"github.com/siegel-oss/siegel/internal/sbom"
)

// writeCachedModule writes a module version into a module cache laid out as the go command
// lays it out, and returns the zip's bytes and its h1: checksum.
func writeCachedModule(t *testing.T, cache, path, version, gomod string) ([]byte, string) {
	t.Helper()
	dir := filepath.Join(cache, "cache", "download", filepath.FromSlash(path), "@v")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	zipPath := filepath.Join(dir, version+".zip")
	f, err := os.Create(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for name, body := range map[string]string{"go.mod": gomod, "lib.go": "package lib\n", "LICENSE": mitText} {
		w, _ := zw.Create(path + "@" + version + "/" + name)
		w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.WriteFile(filepath.Join(dir, version+".mod"), []byte(gomod), 0o644); err != nil {
		t.Fatal(err)
	}
	h1, err := dirhash.HashZip(zipPath, dirhash.Hash1)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(zipPath)
	return data, h1
}

func goModule(path, version, sum string) sbom.Component {
	p := purl.Golang(path, version)
	return sbom.Component{Ref: p, PURL: p, Name: path, Version: version, Properties: []sbom.Property{{Name: PropGoSum, Value: sum}}}
}

// TestGoModuleCacheEnrich describes Go modules by their zips in a module cache: the zip whose
// checksum is go.sum's gives the filename, SHA-512 hash and properties TR-03183-2 5.2.2 asks
// for, and the module's requirements; a zip that does not match go.sum, or a module not in the
// cache, gives nothing.
func TestGoModuleCacheEnrich(t *testing.T) {
	cache := t.TempDir()
	libZip, libSum := writeCachedModule(t, cache, "example.com/lib", "v1.2.0", "module example.com/lib\n\nrequire example.com/dep v0.3.0\n")
	_, depSum := writeCachedModule(t, cache, "example.com/dep", "v0.3.0", "module example.com/dep\n\nrequire example.com/gone v1.0.0\n")
	_, _ = writeCachedModule(t, cache, "example.com/tampered", "v1.0.0", "module example.com/tampered\n")
	doc := &sbom.Document{Components: []sbom.Component{
		goModule("example.com/lib", "v1.2.0", libSum),
		goModule("example.com/dep", "v0.3.0", depSum),
		goModule("example.com/tampered", "v1.0.0", "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="),
		goModule("example.com/absent", "v1.0.0", "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="),
	}}
	res := GoModuleCache{Dir: cache}.Enrich(doc)
	if res.Enriched != 2 || len(res.Skipped) != 2 {
		t.Fatalf("result %+v", res)
	}
	sum := sha512.Sum512(libZip)
	lib := doc.Components[0]
	if diff := cmp.Diff([]sbom.Hash{{Algorithm: sbom.SHA512, Value: hex.EncodeToString(sum[:])}}, lib.Hashes); diff != "" {
		t.Errorf("hashes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"v1.2.0.zip"}, lib.Files); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]sbom.License{{Expression: "MIT", Kind: sbom.LicenseDeclared}}, lib.Licenses); diff != "" {
		t.Errorf("licences (-want +got):\n%s", diff)
	}
	if lib.AuthorContact != "https://example.com/lib" {
		t.Errorf("creator %q", lib.AuthorContact)
	}
	wantDeps := []sbom.Dependency{
		{Ref: doc.Components[0].Ref, DependsOn: []string{doc.Components[1].Ref}, Completeness: sbom.CompletenessComplete},
		{Ref: doc.Components[1].Ref, Completeness: sbom.CompletenessIncomplete}, // requires a module the document lacks
	}
	if diff := cmp.Diff(wantDeps, doc.Dependencies); diff != "" {
		t.Errorf("dependencies (-want +got):\n%s", diff)
	}
	r := sbom.CheckTR03183(doc)
	for _, g := range r.Components {
		switch g.Name {
		case "example.com/lib":
			// The distribution licence is the manufacturer's to state (--licenses-as-declared).
			if diff := cmp.Diff([]string{sbom.FieldLicence}, g.Missing); diff != "" {
				t.Errorf("lib still lacks (-want +got):\n%s", diff)
			}
		}
	}
	for _, i := range []int{2, 3} {
		if c := doc.Components[i]; len(c.Hashes) != 0 || len(c.Files) != 0 || c.AuthorContact != "" {
			t.Errorf("%s described from a zip that is not its own: %+v", c.Name, c)
		}
	}
}
