package health

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fixtureData is the health data of the test fixtures: two products and every registry folder.
func fixtureData(t *testing.T) *Data {
	t.Helper()
	ps, date, err := ImportEndOfLife(t.Context(), filepath.Join("testdata", "eol"), day("2026-12-01"), nil)
	if err != nil {
		t.Fatal(err)
	}
	reg := Registries{GoProxy: "testdata/registry/go", NPM: "testdata/registry/npm",
		Crates: "testdata/registry/crates", PyPI: "testdata/registry/pypi"}
	pkgs, err := ImportPackages(t.Context(), reg, nil, day("2026-12-01"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := ImportPackages(t.Context(), Registries{Crates: "testdata/registry/crates-index"},
		[]string{"pkg:cargo/serde_derive"}, day("2026-12-01"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := &Data{Products: ps, Sources: map[string]time.Time{SourceEndOfLife: date}}
	d.AddPackages(append(pkgs, idx...))
	return d
}

// brief is a verdict reduced to what a table test compares.
type brief struct {
	Kind    Kind
	Source  string
	Cycle   string
	EOL     string
	Release string
	Detail  string
}

func briefs(r Result) []brief {
	var out []brief
	for _, v := range r.Verdicts {
		b := brief{Kind: v.Kind, Source: v.Source, Cycle: v.Cycle, Detail: v.Detail}
		if !v.EndOfLife.IsZero() {
			b.EOL = v.EndOfLife.Format(time.DateOnly)
		}
		if !v.ReleaseSupportEnd.IsZero() {
			b.Release = v.ReleaseSupportEnd.Format(time.DateOnly)
		}
		out = append(out, b)
	}
	return out
}

func TestCheck(t *testing.T) {
	d := fixtureData(t)
	now := day("2026-01-15")
	supportEnd := day("2031-01-01")
	const eol = SourceEndOfLife
	tests := []struct {
		name string
		c    Component
		opt  Options
		want []brief
	}{
		{"supported", Component{PURL: "pkg:npm/widgetdb@3.10.2"}, Options{Now: now},
			[]brief{{Kind: Supported, Source: eol, Cycle: "3.10", EOL: "2030-03-01"}}},
		{"mismatch", Component{PURL: "pkg:npm/widgetdb@3.10.2"}, Options{Now: now, SupportEnd: supportEnd},
			[]brief{{Kind: Mismatch, Source: eol, Cycle: "3.10", EOL: "2030-03-01", Release: "2031-01-01"}}},
		{"no mismatch when support ends first", Component{PURL: "pkg:npm/widgetdb@3.10.2"}, Options{Now: now, SupportEnd: day("2029-01-01")},
			[]brief{{Kind: Supported, Source: eol, Cycle: "3.10", EOL: "2030-03-01"}}},
		{"end of life by date", Component{PURL: "pkg:deb/debian/widgetdb@2.7.18-1?arch=amd64&distro=debian-12"}, Options{Now: now},
			[]brief{{Kind: EndOfLife, Source: eol, Cycle: "2.7", EOL: "2020-01-01", Detail: distroNote}}},
		{"by repology name of the source package", Component{PURL: "pkg:deb/debian/libwidget5@3.10.1-2",
			Properties: map[string]string{"siegel:source-package": "widgetdb"}}, Options{Now: now},
			[]brief{{Kind: Supported, Source: eol, Cycle: "3.10", EOL: "2030-03-01", Detail: distroNote}}},
		{"by repology name without version suffix", Component{PURL: "pkg:rpm/fedora/widgetdb3.1@3.1.2-1.fc40"}, Options{Now: now},
			[]brief{{Kind: Supported, Source: eol, Cycle: "3.1", EOL: "2026-06-30", Detail: distroNote}}},
		{"generic component by slug", Component{PURL: "pkg:generic/plainos@22.04.1"}, Options{Now: now},
			[]brief{{Kind: Supported, Source: eol, Cycle: "22.04", EOL: "2027-04-01"}}},
		{"language package not by distro name", Component{PURL: "pkg:cargo/widgetdb@3.10.1"}, Options{Now: now},
			[]brief{{Kind: Unknown}}},
		{"end of life passes", Component{PURL: "pkg:golang/example.com/widgetdb@v3.1.4"}, Options{Now: day("2026-06-30")},
			[]brief{{Kind: EndOfLife, Source: eol, Cycle: "3.1", EOL: "2026-06-30"}}},
		{"undated end of life", Component{PURL: "pkg:npm/widgetdb@3.0.1"}, Options{Now: now},
			[]brief{{Kind: EndOfLife, Source: eol, Cycle: "3"}}},
		{"by CPE with its version", Component{Name: "plainos", CPEs: []string{"cpe:2.3:o:plainos:plainos:20.04:*:*:*:*:*:*:*"}}, Options{Now: now},
			[]brief{{Kind: EndOfLife, Source: eol, Cycle: "20.04", EOL: "2025-05-29"}}},
		{"by CPE 2.2", Component{Name: "WidgetDB", Version: "3.10.1", CPEs: []string{"cpe:/a:widgetco:widgetdb"}}, Options{Now: now},
			[]brief{{Kind: Supported, Source: eol, Cycle: "3.10", EOL: "2030-03-01"}}},
		{"version outside every cycle", Component{PURL: "pkg:npm/widgetdb@9.0.0"}, Options{Now: now},
			[]brief{{Kind: Unknown, Source: eol, Detail: `no release cycle of widgetdb covers version "9.0.0"`}}},
		{"older than every listed cycle", Component{PURL: "pkg:npm/widgetdb@1.5.0"}, Options{Now: now},
			[]brief{{Kind: EndOfLife, Source: eol, EOL: "2020-01-01", Detail: `version "1.5.0" predates the oldest release cycle listed (2.7), whose support ended`}}},
		{"not covered", Component{PURL: "pkg:npm/left-pad@1.3.0"}, Options{Now: now},
			[]brief{{Kind: Unknown}}},
		{"no purl", Component{Name: "thing"}, Options{Now: now}, []brief{{Kind: Unknown}}},
		{"go deprecated module", Component{PURL: "pkg:golang/github.com/golang/protobuf@v1.5.3"}, Options{Now: now},
			[]brief{{Kind: Deprecated, Source: SourceGoProxy, Detail: `Use the "google.golang.org/protobuf" module instead.`}}},
		{"go retracted version", Component{PURL: "pkg:golang/github.com/klauspost/compress@v1.14.3"}, Options{Now: now},
			[]brief{{Kind: Retracted, Source: SourceGoProxy, Detail: "https://github.com/klauspost/compress/pull/503"}}},
		// The comment belongs to the line it precedes only, as the go command reads it.
		{"go retracted version without rationale", Component{PURL: "pkg:golang/github.com/klauspost/compress@v1.14.2"}, Options{Now: now},
			[]brief{{Kind: Retracted, Source: SourceGoProxy}}},
		{"go version not retracted", Component{PURL: "pkg:golang/github.com/klauspost/compress@v1.18.0"}, Options{Now: now},
			[]brief{{Kind: Supported, Source: SourceGoProxy}}},
		{"npm package deprecated", Component{PURL: "pkg:npm/request@2.88.2"}, Options{Now: now, UnmaintainedMonths: 120},
			[]brief{{Kind: Deprecated, Source: SourceNPM, Detail: "request has been deprecated, see https://github.com/request/request/issues/3142"}}},
		{"npm deprecated and unmaintained", Component{PURL: "pkg:npm/request@2.88.2"}, Options{Now: now},
			[]brief{{Kind: Deprecated, Source: SourceNPM, Detail: "request has been deprecated, see https://github.com/request/request/issues/3142"},
				{Kind: Unmaintained, Source: SourceNPM, Detail: "no release since 2020-02-11"}}},
		{"npm version deprecated", Component{PURL: "pkg:npm/%40babel/core@7.0.0-beta.1"}, Options{Now: now},
			[]brief{{Kind: Deprecated, Source: SourceNPM, Detail: "Please upgrade to a stable release"}}},
		{"npm version undeprecated", Component{PURL: "pkg:npm/%40babel/core@7.26.10"}, Options{Now: now},
			[]brief{{Kind: Supported, Source: SourceNPM}}},
		{"crate yanked with message", Component{PURL: "pkg:cargo/openssl-sys@0.9.105"}, Options{Now: now},
			[]brief{{Kind: Retracted, Source: SourceCrates, Detail: "build failure on macOS"}}},
		{"crate yanked in the index", Component{PURL: "pkg:cargo/serde_derive@1.0.171"}, Options{Now: now},
			[]brief{{Kind: Retracted, Source: SourceCrates}}},
		{"crate not yanked", Component{PURL: "pkg:cargo/serde_derive@1.0.172"}, Options{Now: now},
			[]brief{{Kind: Supported, Source: SourceCrates}}},
		{"pypi inactive and yanked", Component{PURL: "pkg:pypi/Nose@1.3.6"}, Options{Now: now},
			[]brief{{Kind: Retracted, Source: SourcePyPI, Detail: "broken sdist"}, {Kind: Unmaintained, Source: SourcePyPI, Detail: "archived by its publisher"}}},
		{"pypi project status deprecated", Component{PURL: "pkg:pypi/old_widget@1.0"}, Options{Now: now},
			[]brief{{Kind: Retracted, Source: SourcePyPI, Detail: "contains a credential"}, {Kind: Deprecated, Source: SourcePyPI, Detail: "use new-widget"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := briefs(d.Check(tt.c, tt.opt))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("verdicts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRegistryDates(t *testing.T) {
	d := fixtureData(t)
	for key, want := range map[string]string{
		"pkg:npm/@babel/core":                   "2025-03-11", // 7.99.0 has a time but no version entry
		"pkg:npm/request":                       "2020-02-11",
		"pkg:golang/github.com/golang/protobuf": "2024-03-06", // the release, not the newer release candidate
		"pkg:cargo/openssl-sys":                 "2025-02-10",
		"pkg:pypi/nose":                         "2015-06-02",
		"pkg:pypi/old-widget":                   "2024-06-01",
	} {
		p := d.Packages[key]
		if p == nil {
			t.Errorf("%s not imported; have %v", key, keys(d.Packages))
			continue
		}
		if got := p.LastRelease.Format(time.DateOnly); got != want {
			t.Errorf("%s: last release %s, want %s", key, got, want)
		}
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestAssessCounts(t *testing.T) {
	d := fixtureData(t)
	cs := []Component{
		{PURL: "pkg:npm/widgetdb@3.10.2"},
		{PURL: "pkg:npm/widgetdb@2.7.1"},
		{PURL: "pkg:npm/left-pad@1.3.0"},
		{PURL: "pkg:deb/debian/openssl@3.0.15-1"},
		{Name: "openssl", Version: "1.1.1w", Size: 1000, Properties: map[string]string{PropExtractor: FirmwareSignatureExtractor}},
		{PURL: "pkg:cargo/openssl-sys@0.9.106", Size: 10},
	}
	rep := d.Assess(cs, Options{Now: day("2026-01-15")})
	wantCounts := map[Kind]int{Supported: 2, EndOfLife: 1, Unknown: 3}
	if diff := cmp.Diff(wantCounts, rep.Counts); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	wantMem := MemoryShare{Safe: 3, NotSafe: 2, Unknown: 1, NotSafeBytes: 1010}
	if diff := cmp.Diff(wantMem, rep.Memory); diff != "" {
		t.Errorf("memory share (-want +got):\n%s", diff)
	}
	if len(rep.Results) != len(cs) {
		t.Errorf("%d results for %d components", len(rep.Results), len(cs))
	}
}

func TestSaveLoad(t *testing.T) {
	d := fixtureData(t)
	dir := t.TempDir()
	if _, err := Load(dir); err != ErrNoData {
		t.Errorf("Load of an empty folder: %v, want ErrNoData", err)
	}
	if err := d.Save(dir); err != nil {
		t.Fatal(err)
	}
	got, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	c := Component{PURL: "pkg:golang/github.com/klauspost/compress@v1.14.2"}
	opt := Options{Now: day("2026-01-15")}
	if diff := cmp.Diff(d.Check(c, opt), got.Check(c, opt)); diff != "" {
		t.Errorf("check after a round trip (-want +got):\n%s", diff)
	}
}

// TestLiveFetchers runs the live fetchers against a local HTTP server that serves the fixtures
// at the registries' real paths.
func TestLiveFetchers(t *testing.T) {
	files := map[string]string{
		"/github.com/klauspost/compress/@latest":        "testdata/registry/go/github.com/klauspost/compress/@v/v1.20.4.info",
		"/github.com/klauspost/compress/@v/v1.20.4.mod": "testdata/registry/go/github.com/klauspost/compress/@v/v1.20.4.mod",
		"/request":                   "testdata/registry/npm/request.json",
		"/@babel%2Fcore":             "testdata/registry/npm/@babel/core.json",
		"/api/v1/crates/openssl-sys": "testdata/registry/crates/openssl-sys.json",
		"/pypi/nose/json":            "testdata/registry/pypi/nose.json",
		"/simple/old-widget/":        "testdata/registry/pypi/old-widget.json",
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := files[r.URL.EscapedPath()]
		if !ok {
			http.NotFound(w, r)
			return
		}
		b, err := os.ReadFile(f)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Write(b)
	}))
	defer srv.Close()
	reg := Registries{GoProxy: srv.URL, NPM: srv.URL, Crates: srv.URL, PyPI: srv.URL}
	purls := []string{"pkg:golang/github.com/klauspost/compress@v1.14.2", "pkg:npm/request@2.88.2",
		"pkg:npm/%40babel/core@7.26.0", "pkg:cargo/openssl-sys@0.9.105", "pkg:pypi/nose@1.3.7",
		"pkg:pypi/old-widget@1.0", "pkg:npm/unknown-package@1.0.0"}
	now := day("2026-12-01")
	pkgs, err := ImportPackages(t.Context(), reg, purls, now, srv.Client(), nil)
	// old-widget has only a simple-index page; its JSON API document is missing: not found, skipped.
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range pkgs {
		if !p.DataDate.Equal(now) {
			t.Errorf("%s: data date %v, want the fetch time", p.PURL, p.DataDate)
		}
		got = append(got, p.PURL)
	}
	want := []string{"pkg:golang/github.com/klauspost/compress", "pkg:npm/request", "pkg:npm/@babel/core",
		"pkg:cargo/openssl-sys", "pkg:pypi/nose"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("fetched (-want +got):\n%s", diff)
	}
	if !strings.Contains(pkgs[0].Retractions[0].Rationale, "1114") {
		t.Errorf("retractions %v", pkgs[0].Retractions)
	}
}
