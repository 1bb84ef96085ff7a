package extract

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/sbom"
)

var timeZero time.Time

// lineExtractor is a test extractor: each line "name version [dep...]" of a *.pkgs file is a
// component; a first line "!" fails with a positioned error.
type lineExtractor struct{}

func (lineExtractor) Name() string      { return "test/lines" }
func (lineExtractor) Match(f File) bool { return strings.HasSuffix(f.Path, ".pkgs") }
func (lineExtractor) Extract(ctx context.Context, fsys fs.FS, f File, lim input.Limits) (Result, error) {
	r, err := fsys.Open(f.Path)
	if err != nil {
		return Result{}, err
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		return Result{}, err
	}
	var res Result
	root := sbom.Dependency{Ref: RootRef}
	for i, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if line == "!" {
			return Result{}, &input.Error{File: f.Path, Line: i + 1, Column: 1, Rule: "syntax", Err: errors.New("bang")}
		}
		fields := strings.Fields(line)
		ref := fields[0]
		res.Components = append(res.Components, sbom.Component{
			Ref: ref, Name: fields[0], Version: fields[1], PURL: "pkg:generic/" + fields[0] + "@" + fields[1],
			Properties: []sbom.Property{{Name: PropLocation, Value: f.Path}},
		})
		if i == 0 {
			root.DependsOn = append(root.DependsOn, ref)
		}
		if len(fields) > 2 {
			res.Dependencies = append(res.Dependencies, sbom.Dependency{Ref: ref, DependsOn: fields[2:]})
		}
	}
	res.Dependencies = append(res.Dependencies, root)
	return res, nil
}

func TestScanMergesFilesIntoOneDocument(t *testing.T) {
	fsys := fstest.MapFS{
		"a/x.pkgs":               {Data: []byte("app 1.0 lib\nlib 2.0\n")},
		"b/y.pkgs":               {Data: []byte("lib 2.0\n")},
		"node_modules/z.pkgs":    {Data: []byte("hidden 1.0\n")},
		"c/readme.txt":           {Data: []byte("not a lockfile")},
		".git/objects/refs.pkgs": {Data: []byte("hidden 9.9\n")},
	}
	inv, err := Scan(t.Context(), fsys, Options{Extractors: []Extractor{lineExtractor{}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Errors) != 0 {
		t.Fatalf("errors: %v", inv.Errors)
	}
	doc := inv.Document(Subject{Name: "demo", Version: "3"}, timeZero, nil)
	var got []string
	for _, c := range doc.Components {
		got = append(got, c.Ref)
	}
	want := []string{"siegel:subject", "pkg:generic/app@1.0", "pkg:generic/lib@2.0"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("components (-want +got):\n%s", diff)
	}
	wantDeps := []sbom.Dependency{
		{Ref: "pkg:generic/app@1.0", DependsOn: []string{"pkg:generic/lib@2.0"}},
		{Ref: "siegel:subject", DependsOn: []string{"pkg:generic/app@1.0", "pkg:generic/lib@2.0"}},
	}
	if diff := cmp.Diff(wantDeps, doc.Dependencies); diff != "" {
		t.Errorf("dependencies (-want +got):\n%s", diff)
	}
	// lib was found in two files: both locations are kept.
	lib := doc.Components[2]
	wantProps := []sbom.Property{{Name: PropLocation, Value: "a/x.pkgs"}, {Name: PropLocation, Value: "b/y.pkgs"}}
	if diff := cmp.Diff(wantProps, lib.Properties); diff != "" {
		t.Errorf("lib properties (-want +got):\n%s", diff)
	}
}

func TestScanKeepsGoingAfterABadFile(t *testing.T) {
	fsys := fstest.MapFS{
		"bad.pkgs":  {Data: []byte("!\n")},
		"good.pkgs": {Data: []byte("ok 1.0\n")},
	}
	inv, err := Scan(t.Context(), fsys, Options{Extractors: []Extractor{lineExtractor{}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Errors) != 1 || !strings.Contains(inv.Errors[0].Error(), "bad.pkgs:1:1: syntax: bang") {
		t.Fatalf("errors = %v, want one positioned error for bad.pkgs", inv.Errors)
	}
	if len(inv.Files) != 1 || inv.Files[0].File.Path != "good.pkgs" {
		t.Fatalf("files = %+v, want good.pkgs", inv.Files)
	}
}

func TestScanOnlyAndMaxFiles(t *testing.T) {
	fsys := fstest.MapFS{"a.pkgs": {Data: []byte("a 1\n")}, "b.pkgs": {Data: []byte("b 1\n")}}
	inv, err := Scan(t.Context(), fsys, Options{Extractors: []Extractor{lineExtractor{}}, Only: "b.pkgs"})
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Files) != 1 || inv.Files[0].File.Path != "b.pkgs" {
		t.Fatalf("Only: files = %+v", inv.Files)
	}
	_, err = Scan(t.Context(), fsys, Options{Extractors: []Extractor{lineExtractor{}}, MaxFiles: 1})
	if !errors.Is(err, ErrTooManyFiles) {
		t.Fatalf("MaxFiles: err = %v, want ErrTooManyFiles", err)
	}
}

func TestScanDoesNotFollowSymlinksOutOfTheRoot(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.pkgs"), []byte("secret 1.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	if err := os.Symlink(filepath.Join(outside, "secret.pkgs"), filepath.Join(root, "link.pkgs")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "linkdir")); err != nil {
		t.Fatal(err)
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	inv, err := Scan(t.Context(), r.FS(), Options{Extractors: []Extractor{lineExtractor{}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Files) != 0 || len(inv.Errors) != 0 {
		t.Fatalf("scan followed a symlink out of the root: files=%+v errors=%v", inv.Files, inv.Errors)
	}
}

func TestScanStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := Scan(ctx, fstest.MapFS{"a.pkgs": {Data: []byte("a 1\n")}}, Options{Extractors: []Extractor{lineExtractor{}}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}
