package extract

import (
	"crypto/sha512"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/sbom"
)

// summary renders a Result compactly for comparison: "ref purl" per component and the edges.
func summary(r Result) (comps, edges []string) {
	for _, c := range r.Components {
		comps = append(comps, c.Ref+" "+c.PURL)
	}
	for _, d := range r.Dependencies {
		edges = append(edges, d.Ref+" -> "+strings.Join(d.DependsOn, " "))
	}
	return comps, edges
}

func prop(c sbom.Component, name string) string {
	for _, p := range c.Properties {
		if p.Name == name {
			return p.Value
		}
	}
	return ""
}

func TestGoMod(t *testing.T) {
	fsys := os.DirFS("testdata/go")
	f := File{Path: "app/go.mod", Mode: 0o644, Size: 1000}
	if !(goModExtractor{}).Match(f) {
		t.Fatal("go.mod not matched")
	}
	res, err := goModExtractor{}.Extract(t.Context(), fsys, f, input.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	comps, edges := summary(res)
	wantComps := []string{
		"github.com/google/uuid@v1.6.0 pkg:golang/github.com/google/uuid@v1.6.0",
		"golang.org/x/net@v0.25.0 pkg:golang/golang.org/x/net@v0.25.0",
		"github.com/acme/forked@v1.0.1-acme.2 pkg:golang/github.com/acme/forked@v1.0.1-acme.2",
		"golang.org/x/text@v0.15.0 pkg:golang/golang.org/x/text@v0.15.0",
		"golang.org/x/sys@v0.20.0 pkg:golang/golang.org/x/sys@v0.20.0",
	}
	if diff := cmp.Diff(wantComps, comps); diff != "" {
		t.Errorf("components (-want +got):\n%s", diff)
	}
	wantEdges := []string{" -> github.com/google/uuid@v1.6.0 golang.org/x/net@v0.25.0 github.com/acme/forked@v1.0.1-acme.2"}
	if diff := cmp.Diff(wantEdges, edges); diff != "" {
		t.Errorf("edges (-want +got):\n%s", diff)
	}
	if got := prop(res.Components[0], PropGoSum); got != "h1:NIvaJDMOsjHA8n1jAhLSgzrAzy1Hgr+hNrb57e+94F0=" {
		t.Errorf("go.sum checksum %q", got)
	}
	if got := prop(res.Components[2], "siegel:go-replaces"); got != "example.com/forked@v1.0.0" {
		t.Errorf("replaced module %q", got)
	}
}

func TestGoModErrors(t *testing.T) {
	for name, tc := range map[string]struct{ data, want string }{
		"syntax":      {"module x\n\nrequire (\n\tgolang.org/x/net\n)\n", "go.mod:4:"},
		"bad version": {"module x\n\nrequire golang.org/x/net 1.2.3\n", "go.mod:3:"},
	} {
		t.Run(name, func(t *testing.T) {
			fsys := fstest.MapFS{"go.mod": {Data: []byte(tc.data)}}
			_, err := goModExtractor{}.Extract(t.Context(), fsys, File{Path: "go.mod", Size: int64(len(tc.data))}, input.DefaultLimits())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestGoBinary builds Siegel's own command with the Go toolchain and reads its build
// information: the real format, produced by the real tool.
func TestGoBinary(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build a binary with")
	}
	dir := t.TempDir()
	cmd := exec.CommandContext(t.Context(), goTool, "build", "-o", filepath.Join(dir, "siegel"), "github.com/siegel-oss/siegel/cmd/siegel")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	info, err := os.Stat(filepath.Join(dir, "siegel"))
	if err != nil {
		t.Fatal(err)
	}
	f := File{Path: "siegel", Mode: info.Mode(), Size: info.Size()}
	if !(goBinaryExtractor{}).Match(f) {
		t.Fatal("binary not matched")
	}
	res, err := goBinaryExtractor{}.Extract(t.Context(), os.DirFS(dir), f, input.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]sbom.Component{}
	for _, c := range res.Components {
		byName[c.Name] = c
	}
	if m := byName["github.com/siegel-oss/siegel"]; m.Type != "application" || len(m.Files) != 1 || m.Files[0] != "siegel" {
		t.Errorf("main module %+v", m)
	}
	// The binary is the main module's deployable file (TR-03183-2 5.2.2).
	bin, _ := os.ReadFile(filepath.Join(dir, "siegel"))
	sum := sha512.Sum512(bin)
	if m := byName["github.com/siegel-oss/siegel"]; len(m.Hashes) != 1 || m.Hashes[0].Value != hex.EncodeToString(sum[:]) ||
		prop(m, sbom.PropBSIExecutable) != "executable" || prop(m, sbom.PropBSIArchive) != "no archive" || prop(m, sbom.PropBSIStructured) != "unstructured" {
		t.Errorf("main module's file not described: %+v", m)
	}
	dep := byName["github.com/CycloneDX/cyclonedx-go"]
	if dep.Version != "v0.12.0" || dep.PURL != "pkg:golang/github.com/cyclonedx/cyclonedx-go@v0.12.0" || !strings.HasPrefix(prop(dep, PropGoSum), "h1:") {
		t.Errorf("cyclonedx-go component %+v", dep)
	}
	if std := byName["stdlib"]; std.Version != goStdlibVersion(runtime.Version()) {
		t.Errorf("stdlib component %+v, want version of %s", std, runtime.Version())
	}
	if len(res.Dependencies) != 2 || res.Dependencies[0].DependsOn[0] != "main:github.com/siegel-oss/siegel" {
		t.Errorf("dependencies %v", res.Dependencies)
	}
}

func TestGoBinaryIgnoresScripts(t *testing.T) {
	fsys := fstest.MapFS{"run.sh": {Data: []byte("#!/bin/sh\n" + strings.Repeat("echo hi\n", 200)), Mode: 0o755}}
	res, err := goBinaryExtractor{}.Extract(t.Context(), fsys, File{Path: "run.sh", Mode: 0o755, Size: 1610}, input.DefaultLimits())
	if err != nil || len(res.Components) != 0 {
		t.Errorf("got %v, %v; want nothing", res, err)
	}
}

func TestGoStdlibVersion(t *testing.T) {
	for in, want := range map[string]string{"go1.22.3": "v1.22.3", "go1.22": "v1.22.0", "go1.23rc1": "v1.23rc1", "go1.21.0 X:boringcrypto": "v1.21.0", "devel": ""} {
		if got := goStdlibVersion(in); got != want {
			t.Errorf("goStdlibVersion(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzGoMod(f *testing.F) {
	data, _ := os.ReadFile("testdata/go/app/go.mod")
	f.Add(data)
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := fstest.MapFS{"go.mod": {Data: data}}
		_, err := goModExtractor{}.Extract(t.Context(), fsys, File{Path: "go.mod", Size: int64(len(data))}, input.Limits{MaxBytes: 1 << 20})
		checkExtractError(t, err)
	})
}

// checkExtractError asserts what every extractor fuzz target requires: errors are *input.Error.
func checkExtractError(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if _, ok := err.(*input.Error); !ok {
		t.Fatalf("error %T is not an *input.Error: %v", err, err)
	}
}
