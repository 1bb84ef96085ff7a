package match

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/siegel-oss/siegel/internal/sbom"
	"github.com/siegel-oss/siegel/internal/vulndb"
)

// ratingRecords are OSV records, one per source of a severity, written as each database
// publishes them. Each names its own package, so that each gives one finding.
var ratingRecords = map[string]string{
	// No severity of its own: a Bitnami record of the same CVE has a CVSS v3.1 vector.
	"GO-2026-9001": `{"id":"GO-2026-9001","modified":"2026-01-01T00:00:00Z","aliases":["CVE-2026-9001"],
		"affected":[{"package":{"ecosystem":"Go","name":"example.com/alias"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"2.0.0"}]}]}]}`,
	"BIT-thing-2026-9001": `{"id":"BIT-thing-2026-9001","modified":"2026-01-01T00:00:00Z","aliases":["CVE-2026-9001"],
		"affected":[{"package":{"ecosystem":"Bitnami","name":"thing"},"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}],
		"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"2.0.0"}]}]}]}`,
	// No severity anywhere in the database: EUVD's base score (fixture below).
	"GO-2026-9002": `{"id":"GO-2026-9002","modified":"2026-01-01T00:00:00Z","aliases":["CVE-2026-9002"],
		"affected":[{"package":{"ecosystem":"Go","name":"example.com/euvd"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"2.0.0"}]}]}]}`,
	// The Debian security tracker's urgency, per affected entry.
	"DEBIAN-CVE-2026-9003": `{"id":"DEBIAN-CVE-2026-9003","modified":"2026-01-01T00:00:00Z",
		"affected":[{"package":{"ecosystem":"Debian:12","name":"libfoo"},"ecosystem_specific":{"urgency":"medium"},
		"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.2-3"}]}]}]}`,
	// Ubuntu's priority, as a severity of type Ubuntu.
	"UBUNTU-CVE-2026-9004": `{"id":"UBUNTU-CVE-2026-9004","modified":"2026-01-01T00:00:00Z","severity":[{"type":"Ubuntu","score":"high"}],
		"affected":[{"package":{"ecosystem":"Ubuntu:22.04:LTS","name":"libbar"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.0-1"}]}]}]}`,
	// The GitHub Advisory Database's rating, without a vector.
	"GHSA-9005-aaaa-bbbb": `{"id":"GHSA-9005-aaaa-bbbb","modified":"2026-01-01T00:00:00Z","database_specific":{"severity":"MODERATE"},
		"affected":[{"package":{"ecosystem":"npm","name":"left-padder"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.0.1"}]}]}]}`,
	// A CVSS v2 vector only: NVD's example vector scores 7.5.
	"PYSEC-2026-9006": `{"id":"PYSEC-2026-9006","modified":"2026-01-01T00:00:00Z","severity":[{"type":"CVSS_V2","score":"AV:N/AC:L/Au:N/C:P/I:P/A:P"}],
		"affected":[{"package":{"ecosystem":"PyPI","name":"oldlib"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.1"}]}]}]}`,
	// RustSec's vector, in the affected entry's database_specific.
	"RUSTSEC-2026-9007": `{"id":"RUSTSEC-2026-9007","modified":"2026-01-01T00:00:00Z",
		"affected":[{"package":{"ecosystem":"crates.io","name":"rusty"},"database_specific":{"cvss":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H","informational":null},
		"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"0.2.0"}]}]}]}`,
	// A Red Hat-family erratum: the rating leads the summary.
	"ALSA-2026:9008": `{"id":"ALSA-2026:9008","modified":"2026-01-01T00:00:00Z","summary":"Important: libbaz security update",
		"affected":[{"package":{"ecosystem":"AlmaLinux:9","name":"libbaz"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.0-2.el9"}]}]}]}`,
	// Nothing rates it.
	"GO-2026-9009": `{"id":"GO-2026-9009","modified":"2026-01-01T00:00:00Z",
		"affected":[{"package":{"ecosystem":"Go","name":"example.com/unrated"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"2.0.0"}]}]}]}`,
}

// ratingEUVD is an EUVD search response that scores CVE-2026-9002.
const ratingEUVD = `{"items":[{"id":"EUVD-2026-99002","dateUpdated":"Mar 2, 2026, 8:00:00 AM","baseScore":9.8,"baseScoreVersion":"3.1",
	"baseScoreVector":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H","aliases":"CVE-2026-9002\n"}],"total":1}`

// ratingDB imports ratingRecords and ratingEUVD into a new database.
func ratingDB(t *testing.T) *vulndb.DB {
	t.Helper()
	dir := t.TempDir()
	osv := filepath.Join(dir, "osv")
	if err := os.Mkdir(osv, 0o755); err != nil {
		t.Fatal(err)
	}
	for id, rec := range ratingRecords {
		if err := os.WriteFile(filepath.Join(osv, strings.ReplaceAll(id, ":", "_")+".json"), []byte(rec), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db, err := vulndb.Open(t.Context(), filepath.Join(dir, "db"), true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	now := time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)
	if res, err := db.ImportOSVPath(t.Context(), osv, now, nil); err != nil || res[0].Snapshot.Skipped > 0 {
		t.Fatalf("import: %v %+v", err, res)
	}
	if _, err := db.ImportEUVD(t.Context(), "euvd.json", strings.NewReader(ratingEUVD), false, now); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestSeveritySources scans one package per source of a severity: each finding is rated from
// its source, and says which source and which record or entry that was.
func TestSeveritySources(t *testing.T) {
	db := ratingDB(t)
	doc := &sbom.Document{Components: []sbom.Component{
		comp("pkg:golang/example.com/alias@v1.0.0", "v1.0.0"),
		comp("pkg:golang/example.com/euvd@v1.0.0", "v1.0.0"),
		comp("pkg:deb/debian/libfoo@1.2-1?distro=debian-12", "1.2-1"),
		comp("pkg:deb/ubuntu/libbar@1.0-1?distro=ubuntu-22.04", "1.0-1"),
		comp("pkg:npm/left-padder@1.0.0", "1.0.0"),
		comp("pkg:pypi/oldlib@1.0", "1.0"),
		comp("pkg:cargo/rusty@0.1.0", "0.1.0"),
		comp("pkg:rpm/almalinux/libbaz@1.0-1.el9?distro=almalinux-9.4", "1.0-1.el9"),
		comp("pkg:golang/example.com/unrated@v1.0.0", "v1.0.0"),
	}}
	pkgs, unknown := Packages(doc)
	res, err := Scan(t.Context(), db, pkgs, unknown, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range res.Findings {
		got[f.Records[0]] = fmt.Sprintf("%s %.1f %s / %s", f.Severity, f.Score, f.Source, f.From)
	}
	want := map[string]string{
		"GO-2026-9001":         "HIGH 7.5 alias CVSS_V3 / BIT-thing-2026-9001",
		"GO-2026-9002":         "CRITICAL 9.8 EUVD base score / EUVD-2026-99002",
		"DEBIAN-CVE-2026-9003": "MEDIUM 0.0 Debian urgency / DEBIAN-CVE-2026-9003",
		"UBUNTU-CVE-2026-9004": "HIGH 0.0 Ubuntu priority / UBUNTU-CVE-2026-9004",
		"GHSA-9005-aaaa-bbbb":  "MEDIUM 0.0 database_specific.severity / GHSA-9005-aaaa-bbbb",
		"PYSEC-2026-9006":      "HIGH 7.5 CVSS_V2 / PYSEC-2026-9006",
		"RUSTSEC-2026-9007":    "HIGH 7.5 database_specific.cvss / RUSTSEC-2026-9007",
		"ALSA-2026:9008":       "HIGH 0.0 vendor rating / ALSA-2026:9008",
		"GO-2026-9009":         "UNKNOWN 0.0  / ",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("severities (-want +got):\n%s", diff)
	}
}

// TestSeverityPrecedence checks the order between sources of one record: a CVSS v3 or v4
// vector beats a v2 one even when v2 scores higher, any vector beats a rating, and between
// ratings the highest wins.
func TestSeverityPrecedence(t *testing.T) {
	for _, tc := range []struct {
		name string
		rec  vulndb.Record
		want string
	}{
		{"v3 over a higher v2", vulndb.Record{ID: "X", Severity: []vulndb.Severity{
			{Type: "CVSS_V2", Score: "AV:N/AC:L/Au:N/C:C/I:C/A:C"},
			{Type: "CVSS_V3", Score: "CVSS:3.1/AV:N/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N"}}},
			"LOW 2.0 CVSS_V3"}, // 1.4124 impact + 0.5147 exploitability, rounded up
		{"vector over rating", vulndb.Record{ID: "X", DatabaseSpecific: map[string]any{"severity": "CRITICAL"},
			Severity: []vulndb.Severity{{Type: "CVSS_V3", Score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N"}}},
			"MEDIUM 5.3 CVSS_V3"},
		{"highest rating", vulndb.Record{ID: "X", DatabaseSpecific: map[string]any{"severity": "LOW"},
			Affected: []vulndb.Affected{{Package: vulndb.Package{Ecosystem: "Debian:12"}, EcosystemSpecific: map[string]any{"urgency": "high"}}}},
			"HIGH 0.0 Debian urgency"},
		{"highest of two v4 vectors", vulndb.Record{ID: "X", Affected: []vulndb.Affected{
			{Severity: []vulndb.Severity{{Type: "CVSS_V4", Score: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"}}},
			{Severity: []vulndb.Severity{{Type: "CVSS_V4", Score: "CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N"}}}}},
			"CRITICAL 9.3 CVSS_V4"},
		{"not a rating", vulndb.Record{ID: "X", Affected: []vulndb.Affected{{Package: vulndb.Package{Ecosystem: "Debian:12"},
			EcosystemSpecific: map[string]any{"urgency": "not yet assigned"}}}},
			"UNKNOWN 0.0 "},
		{"unparseable vector", vulndb.Record{ID: "X", Severity: []vulndb.Severity{{Type: "CVSS_V3", Score: "CVSS:3.1/AV:Q"}}},
			"UNKNOWN 0.0 "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := &Assessment{Severity: "UNKNOWN"}
			severityOf(&tc.rec, a)
			if got := fmt.Sprintf("%s %.1f %s", a.Severity, a.Score, a.Source); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
