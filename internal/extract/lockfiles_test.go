package extract

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/siegel-oss/siegel/internal/input"
)

var update = flag.Bool("update", false, "rewrite golden files")

// render prints a Result in a stable, reviewable form: one line per component (ref, name,
// version, dev flag, hashes) and one per dependency entry.
func render(r Result) string {
	var b strings.Builder
	for _, c := range r.Components {
		fmt.Fprintf(&b, "component %s name=%q version=%q", c.Ref, c.Name, c.Version)
		if prop(c, PropDev) == "true" {
			b.WriteString(" dev")
		}
		for _, h := range c.Hashes {
			fmt.Fprintf(&b, " %s:%s", h.Algorithm, h.Value[:12])
		}
		for _, k := range []string{PropSourcePackage, PropSourceVersion} {
			if v := prop(c, k); v != "" {
				fmt.Fprintf(&b, " %s=%s", k, v)
			}
		}
		if len(c.Licenses) > 0 {
			fmt.Fprintf(&b, " licence=%s", c.Licenses[0].Expression)
		}
		b.WriteByte('\n')
	}
	for _, d := range r.Dependencies {
		from := d.Ref
		if from == RootRef {
			from = "(root)"
		}
		fmt.Fprintf(&b, "depends %s -> %s", from, strings.Join(d.DependsOn, " "))
		if d.Completeness != "" {
			fmt.Fprintf(&b, " (%s)", d.Completeness)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// TestLockfileGolden runs every extractor over its fixtures and compares the result with a
// reviewed golden file (refresh with -update, then read the diff). Each fixture must be matched
// by exactly the extractor named here.
func TestLockfileGolden(t *testing.T) {
	tests := []struct {
		file string
		ex   Extractor
	}{
		{"npm/v3/package-lock.json", lockNPM{}},
		{"npm/v1/package-lock.json", lockNPM{}},
		{"yarn/classic/yarn.lock", lockYarn{}},
		{"yarn/berry/yarn.lock", lockYarn{}},
		{"pnpm/v5/pnpm-lock.yaml", lockPnpm{}},
		{"pnpm/v6/pnpm-lock.yaml", lockPnpm{}},
		{"pnpm/v9/pnpm-lock.yaml", lockPnpm{}},
		{"python/pip/requirements.txt", pyRequirements{}},
		{"python/poetry/poetry.lock", lockPoetry{}},
		{"python/pipenv/Pipfile.lock", lockPipfile{}},
		{"python/uv/uv.lock", lockUV{}},
	}
	tests = append(tests, otherGoldenCases...)
	fsys := os.DirFS("testdata")
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			info, err := fs_Stat(fsys, tt.file)
			if err != nil {
				t.Fatal(err)
			}
			f := File{Path: tt.file, Mode: info.Mode(), Size: info.Size()}
			var matched []string
			for _, e := range Default() {
				if e.Match(f) {
					matched = append(matched, e.Name())
				}
			}
			if diff := cmp.Diff([]string{tt.ex.Name()}, matched); diff != "" {
				t.Errorf("extractors matching %s (-want +got):\n%s", tt.file, diff)
			}
			res, err := tt.ex.Extract(t.Context(), fsys, f, input.DefaultLimits())
			if err != nil {
				t.Fatal(err)
			}
			got := render(res)
			golden := filepath.Join("testdata", "golden", strings.ReplaceAll(tt.file, "/", "_")+".txt")
			if *update {
				os.MkdirAll(filepath.Dir(golden), 0o755)
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("result differs from %s (-want +got):\n%s", golden, diff)
			}
		})
	}
}

// TestLockfileErrors checks that broken lockfiles get positioned errors naming the file.
func TestLockfileErrors(t *testing.T) {
	tests := []struct {
		file, data string
		ex         Extractor
		want       string
	}{
		{"package-lock.json", "{\n  \"lockfileVersion\": 3,\n  \"packages\": {\n    \"\": [}\n}", lockNPM{}, "package-lock.json:4:"},
		{"package-lock.json", `{"lockfileVersion": 3, "packages": {"node_modules/a": {"version": 3}}}`, lockNPM{}, "package-lock.json:1:"},
		{"package-lock.json", `{"lockfileVersion": 3}`, lockNPM{}, "not a package lock"},
		{"yarn.lock", "# yarn lockfile v1\n\nlodash@^4:\n  version \"4.17.21\"\n  dependencies:\n    brokenline\n", lockYarn{}, "yarn.lock:6:"},
		{"yarn.lock", "  version \"1\"\n", lockYarn{}, "yarn.lock:1:"},
		{"yarn.lock", "__metadata:\n  version: 6\n\"a@npm:1\":\n  version: [\n", lockYarn{}, "yarn.lock:"},
		{"pnpm-lock.yaml", "lockfileVersion: '9.0'\npackages:\n  a@1: {resolution: {integrity: x}\n", lockPnpm{}, "pnpm-lock.yaml:"},
		{"pnpm-lock.yaml", "lockfileVersion: '3.0'\n", lockPnpm{}, "lockfileVersion 3.0 is not supported"},
		{"requirements.txt", "requests==2.0\n=bad==1.0\n", pyRequirements{}, "requirements.txt:2:1"},
		{"poetry.lock", "[[package]]\nname = \"a\"\nversion = \n", lockPoetry{}, "poetry.lock:3:"},
		{"Pipfile.lock", `{"default": []}`, lockPipfile{}, "Pipfile.lock:1:"},
		{"uv.lock", "version = 1\n[[package]\n", lockUV{}, "TOML syntax"},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.want, func(t *testing.T) {
			fsys := fstest.MapFS{tt.file: {Data: []byte(tt.data)}}
			_, err := tt.ex.Extract(t.Context(), fsys, File{Path: tt.file, Size: int64(len(tt.data))}, input.DefaultLimits())
			if err == nil {
				t.Fatal("no error")
			}
			if _, ok := err.(*input.Error); !ok {
				t.Errorf("error %T is not an *input.Error", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

// FuzzLockfiles feeds every fixture, mutated, to every extractor that matches its name.
func FuzzLockfiles(f *testing.F) {
	fsys := os.DirFS("testdata")
	for _, tt := range append([]string{"npm/v3/package-lock.json", "npm/v1/package-lock.json", "yarn/classic/yarn.lock", "yarn/berry/yarn.lock",
		"pnpm/v5/pnpm-lock.yaml", "pnpm/v9/pnpm-lock.yaml", "python/pip/requirements.txt", "python/poetry/poetry.lock",
		"python/pipenv/Pipfile.lock", "python/uv/uv.lock"}, otherFuzzSeeds...) {
		data, err := fs_ReadFile(fsys, tt)
		if err == nil {
			f.Add(path.Base(tt), data)
		}
	}
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		name = path.Base(name)
		if name == "." || name == "/" || name == "" {
			return
		}
		mfs := fstest.MapFS{name: {Data: data}}
		file := File{Path: name, Size: int64(len(data))}
		for _, e := range Default() {
			if !e.Match(file) {
				continue
			}
			_, err := e.Extract(t.Context(), mfs, file, input.Limits{MaxBytes: 1 << 20, MaxDepth: 64})
			checkExtractError(t, err)
		}
	})
}

var _ = bytes.MinRead
