package match

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/siegel-oss/siegel/internal/extract"
	"github.com/siegel-oss/siegel/internal/sbom"
	"github.com/siegel-oss/siegel/internal/vulndb/vulndbtest"
)

func comp(purl, version string, props ...sbom.Property) sbom.Component {
	return sbom.Component{Ref: purl, Name: purl, Version: version, PURL: purl, Properties: props}
}

// line renders a finding compactly for comparison.
func line(f *Finding) string {
	s := f.ID + " " + f.Package.Ecosystem + "/" + f.Package.Lookup + "@" + f.Package.Version + " " + f.Severity +
		" fixed=" + strings.Join(f.Fixed, ",") + " records=" + strings.Join(f.Records, ",")
	if kev := f.KEV(); kev != nil {
		s += " KEV=" + kev.DateAdded
	}
	if f.EPSSScore() != nil {
		s += " EPSS"
	}
	return s
}

func TestMatch(t *testing.T) {
	db := vulndbtest.Open(t)
	doc := &sbom.Document{Components: []sbom.Component{
		comp("pkg:pypi/example-lib@2.3.0", "2.3.0"),         // both records, merged into one finding
		comp("pkg:pypi/example-lib@3.0.5", "3.0.5"),         // second window of the GHSA record only
		comp("pkg:pypi/example-lib@2.4.1", "2.4.1"),         // fixed
		comp("pkg:golang/example.com/web@v1.9.2", "v1.9.2"), // exploited: listed first
		comp("pkg:golang/stdlib@v1.22.3", "v1.22.3"),
		comp("pkg:golang/stdlib@v1.23.0", "v1.23.0"),
		comp("pkg:cargo/tinybuf@0.3.4", "0.3.4"), // a GIT range before the SEMVER one must not hide it (osv-scanner misses these)
		comp("pkg:rpm/almalinux/openssl-libs@3.0.7-27.el9?arch=x86_64&distro=almalinux-9.4&epoch=1", "1:3.0.7-27.el9"),
		comp("pkg:rpm/almalinux/openssl-libs@3.0.7-28.el9_4?arch=x86_64&distro=almalinux-9.4&epoch=1", "1:3.0.7-28.el9_4"),
		comp("pkg:npm/%40acme/deepmerge-x@1.4.2", "1.4.2"), // last_affected is inclusive
		comp("pkg:npm/%40acme/deepmerge-x@1.4.3", "1.4.3"),
		// Go module paths with capitals: purls spell them in lower case, records as published.
		// osv-scanner compares them case-sensitively and misses this one (bench/osvcompare).
		comp("pkg:golang/github.com/example/mixedcase@v1.1.0", "v1.1.0"),
		{Ref: "no-purl", Name: "vendored-thing", Version: "1.0"},
	}}
	pkgs, unknown := Packages(doc)
	findings, err := Match(t.Context(), db, pkgs)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range findings {
		got = append(got, line(f))
	}
	want := []string{
		"CVE-2026-2002 Go/example.com/web@v1.9.2 UNKNOWN fixed=1.9.3 records=GO-2026-4001 KEV=2026-09-15 EPSS",
		"CVE-2026-1001 PyPI/example-lib@2.3.0 CRITICAL fixed=2.4.1,3.1.2 records=GHSA-aaaa-1111-xxxx,PYSEC-2026-77 EPSS",
		"CVE-2026-1001 PyPI/example-lib@3.0.5 CRITICAL fixed=3.1.2 records=GHSA-aaaa-1111-xxxx EPSS",
		"CVE-2026-5005 npm/@acme/deepmerge-x@1.4.2 CRITICAL fixed= records=GHSA-last-3333-zzzz",
		"RUSTSEC-2026-0010 crates.io/tinybuf@0.3.4 HIGH fixed=0.3.9 records=RUSTSEC-2026-0010",
		"CVE-2026-2002 Go/stdlib@v1.22.3 UNKNOWN fixed=1.22.5 records=GO-2026-4001 KEV=2026-09-15 EPSS",
		"CVE-2026-3003 AlmaLinux:9/openssl-libs@1:3.0.7-27.el9 UNKNOWN fixed=1:3.0.7-28.el9_4 records=ALSA-2026:1234",
		"GO-2026-4002 Go/github.com/example/mixedcase@v1.1.0 UNKNOWN fixed=1.2.0 records=GO-2026-4002",
	}
	// Exploited findings come first: stdlib's (KEV) and deepmerge-x's (EUVD) too.
	want = []string{want[3], want[0], want[5], want[1], want[2], want[4], want[6], want[7]}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	// deepmerge-x's vulnerability is not in KEV but on EUVD's exploited list: it is exploited.
	dm := &Finding{}
	for _, f := range findings {
		if f.ID == "CVE-2026-5005" {
			dm = f
		}
	}
	if !dm.IsExploited() || dm.KEV() != nil || len(dm.EUVDEntries()) != 1 || dm.EUVDEntries()[0].ID != "EUVD-2026-10001" {
		t.Errorf("EUVD exploitation not attached: %+v", dm)
	}
	if len(unknown) != 1 || unknown[0].Ref != "no-purl" {
		t.Errorf("unmatched %v", unknown)
	}
	if f := findings[3]; f.Score != 9.8 || !strings.HasPrefix(f.Vector, "CVSS:3.1/") || f.EPSSScore().Score != 0.421 {
		t.Errorf("severity/EPSS of %s: %v %q %+v", f.ID, f.Score, f.Vector, f.EPSSScore())
	}
	if e := findings[3].EUVDEntries(); len(e) != 1 || e[0].ID != "EUVD-2026-10002" || e[0].Exploited || findings[3].IsExploited() {
		t.Errorf("EUVD entry of %s: %+v", findings[3].ID, e)
	}
	if diff := cmp.Diff([]string{"GHSA-aaaa-1111-xxxx", "PYSEC-2026-77"}, findings[3].Aliases); diff != "" {
		t.Errorf("aliases (-want +got):\n%s", diff)
	}
}

// TestDebianBySourcePackage: Debian advisories name source packages, so libssl3 is looked up as
// openssl, at the source version, in the component's release.
func TestPackageOf(t *testing.T) {
	for _, tc := range []struct {
		c                            sbom.Component
		eco, lookup, version, commit string
	}{
		{comp("pkg:deb/debian/libssl3@3.0.13-1~deb12u1?arch=amd64&distro=debian-12", "3.0.13-1~deb12u1",
			sbom.Property{Name: extract.PropSourcePackage, Value: "openssl"}), "Debian:12", "openssl", "3.0.13-1~deb12u1", ""},
		{comp("pkg:deb/debian/libgcc-s1@12.2.0-14?distro=debian-12", "12.2.0-14",
			sbom.Property{Name: extract.PropSourcePackage, Value: "gcc-12"}, sbom.Property{Name: extract.PropSourceVersion, Value: "12.2.0-14+b1"}), "Debian:12", "gcc-12", "12.2.0-14+b1", ""},
		{comp("pkg:apk/alpine/busybox@1.36.1-r29?arch=x86_64&distro=3.20.3", "1.36.1-r29"), "Alpine:v3.20", "busybox", "1.36.1-r29", ""},
		{comp("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", "2.14.1"), "Maven", "org.apache.logging.log4j:log4j-core", "2.14.1", ""},
		{comp("pkg:pypi/Django@4.2", "4.2"), "PyPI", "django", "4.2", ""},
		{comp("pkg:golang/github.com/BurntSushi/toml@v1.6.0", "v1.6.0", sbom.Property{Name: extract.PropVCSRevision, Value: "abc123"}), "Go", "github.com/burntsushi/toml", "v1.6.0", "abc123"},
		{comp("pkg:nuget/Newtonsoft.Json@13.0.1", "13.0.1"), "NuGet", "newtonsoft.json", "13.0.1", ""},
	} {
		p, ok := PackageOf(tc.c)
		if !ok || p.Ecosystem != tc.eco || p.Lookup != tc.lookup || p.Version != tc.version || p.Commit != tc.commit {
			t.Errorf("PackageOf(%s) = %+v, %v; want %s %s %s %s", tc.c.PURL, p, ok, tc.eco, tc.lookup, tc.version, tc.commit)
		}
	}
	if _, ok := PackageOf(comp("pkg:generic/busybox@1.36.1", "1.36.1")); ok {
		t.Error("a generic purl has no OSV ecosystem")
	}
}

// TestMatchDeterministic matches an inventory with many versions of several names again and
// again: the lookup goroutine and the two workers must not make the result depend on scheduling.
func TestMatchDeterministic(t *testing.T) {
	db := vulndbtest.Open(t)
	var comps []sbom.Component
	for i := range 40 {
		comps = append(comps,
			comp(fmt.Sprintf("pkg:pypi/example-lib@2.%d.0", i%5), fmt.Sprintf("2.%d.0", i%5)),
			comp(fmt.Sprintf("pkg:golang/stdlib@v1.2%d.0", i%4), fmt.Sprintf("v1.2%d.0", i%4)),
			comp("pkg:npm/%40acme/deepmerge-x@1.4.2", "1.4.2"),
			comp("pkg:cargo/tinybuf@0.3.4", "0.3.4"),
		)
	}
	for i := range comps {
		comps[i].Ref = fmt.Sprint("c", i) // every component its own ref: ties broken by ref
	}
	pkgs, _ := Packages(&sbom.Document{Components: comps})
	var first []string
	for run := range 20 {
		fs, err := Match(t.Context(), db, pkgs)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range fs {
			got = append(got, f.Package.Ref+" "+line(f))
		}
		if run == 0 {
			first = got
			if len(got) < 100 {
				t.Fatalf("only %d findings: the fixture no longer exercises the workers", len(got))
			}
			continue
		}
		if diff := cmp.Diff(first, got); diff != "" {
			t.Fatalf("run %d differs from the first (-first +got):\n%s", run, diff)
		}
	}
}

// TestCompactPackages checks that packing the packages' strings into one block keeps every field.
func TestCompactPackages(t *testing.T) {
	pkgs := []Package{
		{Ref: "pkg:pypi/requests@2.31.0", Name: "requests", Version: "2.31.0", PURL: "pkg:pypi/requests@2.31.0", Ecosystem: "PyPI", Lookup: "requests"},
		{Ref: "ref-1", Name: "Django", Version: "4.2", PURL: "pkg:pypi/django@4.2", Ecosystem: "PyPI", Lookup: "django", Direct: true},
		{Ref: "deb-1", Name: "libssl3", Version: "3.0.11-1~deb12u2", PURL: "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?distro=debian-12", Ecosystem: "Debian:12", Lookup: "openssl", Commit: "abc123"},
		{Ref: "", Name: "", Version: "", PURL: "", Ecosystem: "", Lookup: ""},
		{Ref: "x", Name: "x", Version: "1", PURL: "pkg:generic/x@1", Ecosystem: "Debian:12", Lookup: "x"},
	}
	want := slices.Clone(pkgs)
	got := compact([][]Package{pkgs[:2], pkgs[2:]})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("compact changed the packages (-want +got):\n%s", diff)
	}
	if &got[0] == &pkgs[0] {
		t.Error("compact returned the same slice")
	}
}

// TestEnrichNotesKeptApart: the findings of one vulnerability share what the feeds say, except
// one with notes of its own, which gets its own copy: another finding never shows its notes.
func TestEnrichNotesKeptApart(t *testing.T) {
	db := vulndbtest.Open(t)
	v := &vulnerability{Identity: Identity{ID: "CVE-2026-2002", Records: []string{"GO-2026-4001"}}, Assessment: Assessment{Severity: "UNKNOWN"}}
	p1, p2, p3 := &Package{Ref: "a"}, &Package{Ref: "b"}, &Package{Ref: "c"}
	plain := &Finding{Identity: &v.Identity, Assessment: &v.Assessment, Package: p1}
	noted := &Finding{Identity: &v.Identity, Assessment: &v.Assessment, Package: p2, Enrichment: &Enrichment{Notes: []string{"range 2 does not parse"}}}
	other := &Finding{Identity: &Identity{ID: "GHSA-none-0000-0000"}, Assessment: &Assessment{Severity: "UNKNOWN"}, Package: p3}
	if err := enrich(t.Context(), db, []*Finding{plain, noted, other}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []*Finding{plain, noted} {
		if kev := f.KEV(); kev == nil || kev.DateAdded != "2026-09-15" || f.EPSSScore() == nil {
			t.Errorf("%s: feeds not attached: %+v", f.Package.Ref, f.Enrichment)
		}
	}
	if plain.Enrichment == noted.Enrichment || len(plain.Notes) != 0 {
		t.Errorf("the notes of one finding show on another: %+v", plain.Enrichment)
	}
	if diff := cmp.Diff([]string{"range 2 does not parse"}, noted.Notes); diff != "" {
		t.Errorf("notes (-want +got):\n%s", diff)
	}
	if other.Enrichment != nil || other.KEV() != nil || other.EUVDEntries() != nil || other.EPSSScore() != nil {
		t.Errorf("a finding the feeds say nothing of has %+v", other.Enrichment)
	}
}
