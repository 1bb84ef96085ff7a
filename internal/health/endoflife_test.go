package health

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/siegel-oss/siegel/internal/input"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func readFixtureProduct(t *testing.T, name string) Product {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "eol", "products", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := ParseProduct(f.Name(), f)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestParseProduct(t *testing.T) {
	got := readFixtureProduct(t, "widgetdb.md")
	want := Product{
		Name:     "widgetdb",
		Title:    "WidgetDB",
		PURLs:    []string{"pkg:deb/debian/widgetdb", "pkg:npm/widgetdb", "pkg:golang/example.com/widgetdb"},
		CPEs:     []string{"cpe:2.3:a:widgetco:widgetdb"},
		Repology: []string{"widgetdb"},
		Cycles: []Cycle{
			{Name: "3.10", ReleaseDate: day("2025-03-01"), EOAS: Support{Date: day("2027-03-01"), Known: true},
				EOL: Support{Date: day("2030-03-01"), Known: true}, Latest: "3.10.2", LatestDate: day("2025-09-01")},
			{Name: "3.1", ReleaseDate: day("2022-03-01"), EOAS: Support{Ended: true, Known: true},
				EOL: Support{Date: day("2026-06-30"), Known: true}, LTS: true, Latest: "3.1.9", LatestDate: day("2024-01-01")},
			{Name: "3", ReleaseDate: day("2021-01-01"), EOL: Support{Ended: true, Known: true}, Latest: "3.0.4"},
			{Name: "2.7", ReleaseDate: day("2015-01-01"), EOL: Support{Date: day("2020-01-01"), Known: true}},
		},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("product (-want +got):\n%s", d)
	}
}

func TestParseProductErrors(t *testing.T) {
	tests := []struct {
		name, text, rule string
		line             int
	}{
		{"no front matter", "# title\n", "front matter", 1},
		{"unclosed", "---\ntitle: x\n", "front matter", 1},
		{"bad date", "---\ntitle: x\nreleases:\n  - releaseCycle: \"1\"\n    eol: 2024-13-45\n---\n", "eol", 5},
		{"bad bool", "---\nreleases:\n  - releaseCycle: \"1\"\n    eoas: maybe\n---\n", "eoas", 4},
		{"no cycle", "---\nreleases:\n  - eol: true\n---\n", "releases", 3},
		{"releases not a list", "---\nreleases: 3\n---\n", "releases", 2},
		{"yaml syntax", "---\ntitle: [x\nother: 1\n---\n", "yaml", 0},
		{"alias", "---\na: &x [1]\nreleases: *x\n---\n", "alias", 3},
		{"deep", "---\nx: " + strings.Repeat("[", 40) + strings.Repeat("]", 40) + "\n---\n", "depth limit", 2},
		{"too big", "---\n" + strings.Repeat("#", maxProductBytes) + "\n---\n", "size limit", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseProduct("p.md", strings.NewReader(tt.text))
			var ie *input.Error
			if !errors.As(err, &ie) {
				t.Fatalf("error %v, want an *input.Error", err)
			}
			if ie.File != "p.md" || ie.Rule != tt.rule || (tt.line != 0 && ie.Line != tt.line) {
				t.Errorf("error %q: file %q rule %q line %d, want rule %q line %d", err, ie.File, ie.Rule, ie.Line, tt.rule, tt.line)
			}
		})
	}
}

func TestCycleFor(t *testing.T) {
	p := readFixtureProduct(t, "widgetdb.md")
	os := readFixtureProduct(t, "plainos.md")
	tests := []struct {
		p       Product
		version string
		want    string // "" for no cycle
	}{
		{p, "3.10.2", "3.10"},
		{p, "3.10", "3.10"},
		{p, "3.1.9", "3.1"},
		{p, "3.1", "3.1"},
		{p, "3.100.1", "3"}, // neither 3.10 nor 3.1 covers 3.100
		{p, "3.2.0", "3"},
		{p, "3", "3"},
		{p, "2.7.18", "2.7"},
		{p, "2.70", ""},
		{p, "1:3.10.1-2+deb12u1", "3.10"}, // Debian epoch and revision
		{p, "v3.1.4", "3.1"},              // Go-style leading v
		{p, "3.1.0-rc1", "3.1"},
		{p, "4.0.0", ""},
		{p, "", ""},
		{p, "30.1", ""},
		{os, "22.04.3", "22.04"},
		{os, "22.04", "22.04"},
		{os, "20.04.6", "20.04"},
		{os, "22.10", ""},
		{os, "bookworm", "bookworm"},
		{os, "bookwormx", ""},
	}
	for _, tt := range tests {
		cy := tt.p.cycleFor(tt.version)
		got := ""
		if cy != nil {
			got = cy.Name
		}
		if got != tt.want {
			t.Errorf("%s %q: cycle %q, want %q", tt.p.Name, tt.version, got, tt.want)
		}
	}
}

func TestImportEndOfLifeDir(t *testing.T) {
	now := day("2026-12-01")
	ps, date, err := ImportEndOfLife(t.Context(), filepath.Join("testdata", "eol"), now, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || ps[0].Name != "plainos" || ps[1].Name != "widgetdb" {
		t.Fatalf("products %v", ps)
	}
	// The newest release or latest-release date in the data: WidgetDB 3.10.2 of 2025-09-01.
	if !date.Equal(day("2025-09-01")) || !ps[0].DataDate.Equal(date) {
		t.Errorf("data date %v (product %v), want 2025-09-01", date, ps[0].DataDate)
	}
	if _, _, err := ImportEndOfLife(t.Context(), t.TempDir(), now, nil); err == nil {
		t.Error("an empty folder imported without error")
	}
}

func FuzzParseProduct(f *testing.F) {
	for _, n := range []string{"widgetdb.md", "plainos.md"} {
		b, err := os.ReadFile(filepath.Join("testdata", "eol", "products", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("---\nreleases:\n  - releaseCycle: 1\n    eol: true\n---\n"))
	f.Add([]byte("---\na: &a [*a]\n---\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseProduct("fuzz.md", strings.NewReader(string(b)))
		if err != nil {
			var ie *input.Error
			if !errors.As(err, &ie) || ie.File != "fuzz.md" {
				t.Fatalf("error %v does not name the file", err)
			}
			return
		}
		for _, c := range p.Cycles {
			if c.Name == "" {
				t.Fatal("a cycle without a name was accepted")
			}
		}
	})
}

func TestPrometheusVersion(t *testing.T) {
	for in, want := range map[string]string{"0.305.2": "3.5.2", "0.311.3": "3.11.3", "0.37.0": "2.37.0", "2.53.0": "2.53.0", "0.x.1": "0.x.1"} {
		if got := prometheusVersion(in); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}
