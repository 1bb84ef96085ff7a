package extract

import (
	"bytes"
	"compress/zlib"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/siegel-oss/siegel/internal/input"
)

// A binary with a cargo-auditable section: a C program built here, with the zlib-compressed JSON
// added as ".dep-v0" by objcopy, which is how the section sits in binaries built with
// `cargo auditable build`.
func TestRustAuditable(t *testing.T) {
	for _, tool := range []string{"gcc", "objcopy"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "main.c")
	os.WriteFile(src, []byte("int main(void){return 0;}\n"), 0o644)
	bin := filepath.Join(dir, "app")
	if out, err := exec.Command("gcc", "-o", bin, src).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v %s", err, out)
	}
	deps := `{"packages":[
	  {"name":"router-agent","version":"0.3.0","source":"local","kind":"runtime","dependencies":[1,2,4],"root":true},
	  {"name":"serde","version":"1.0.197","source":"crates.io","kind":"runtime","dependencies":[3]},
	  {"name":"openssl","version":"0.10.55","source":"crates.io","kind":"runtime"},
	  {"name":"serde_derive","version":"1.0.197","source":"crates.io","kind":"runtime"},
	  {"name":"cc","version":"1.0.83","source":"crates.io","kind":"build"}
	]}`
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write([]byte(deps))
	zw.Close()
	sec := filepath.Join(dir, "dep")
	os.WriteFile(sec, z.Bytes(), 0o644)
	if out, err := exec.Command("objcopy", "--add-section", ".dep-v0="+sec, bin).CombinedOutput(); err != nil {
		t.Fatalf("objcopy: %v %s", err, out)
	}
	data, _ := os.ReadFile(bin)
	fsys := fstest.MapFS{"usr/bin/app": {Data: data, Mode: 0o755}}
	res, err := rustAuditable{}.Extract(context.Background(), fsys, File{Path: "usr/bin/app", Mode: 0o755, Size: int64(len(data))}, input.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range res.Components {
		got = append(got, c.PURL)
	}
	want := []string{"pkg:cargo/serde@1.0.197", "pkg:cargo/openssl@0.10.55", "pkg:cargo/serde_derive@1.0.197"}
	if len(got) != len(want) {
		t.Fatalf("components %v, want %v (the root crate and build-only crates are left out)", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("component %d: %s, want %s", i, got[i], want[i])
		}
	}
	var direct []string
	for _, d := range res.Dependencies {
		if d.Ref == RootRef {
			direct = d.DependsOn
		}
	}
	if len(direct) != 2 {
		t.Errorf("direct dependencies %v, want serde and openssl", direct)
	}

	// A binary without the section yields nothing; a corrupt section is an error naming it.
	exec.Command("gcc", "-o", bin+"2", src).Run()
	data2, _ := os.ReadFile(bin + "2")
	if res, err := (rustAuditable{}).Extract(context.Background(), fstest.MapFS{"a": {Data: data2, Mode: 0o755}}, File{Path: "a", Mode: 0o755, Size: int64(len(data2))}, input.DefaultLimits()); err != nil || len(res.Components) != 0 {
		t.Errorf("plain binary: %v %v", res.Components, err)
	}
	os.WriteFile(sec, []byte("not zlib"), 0o644)
	exec.Command("objcopy", "--update-section", ".dep-v0="+sec, bin).Run()
	data, _ = os.ReadFile(bin)
	if _, err := (rustAuditable{}).Extract(context.Background(), fstest.MapFS{"a": {Data: data, Mode: 0o755}}, File{Path: "a", Mode: 0o755, Size: int64(len(data))}, input.DefaultLimits()); err == nil {
		t.Error("corrupt section accepted")
	}
}
