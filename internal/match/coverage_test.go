package match

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/siegel-oss/siegel/internal/sbom"
	"github.com/siegel-oss/siegel/internal/vulndb"
	"github.com/siegel-oss/siegel/internal/vulndb/vulndbtest"
)

// TestCoverageReasons scans one component of each kind against the fixture database: checked,
// without a version, with a version its ecosystem cannot parse, of an ecosystem the database
// holds nothing for, and without a known ecosystem. Each is counted under its ecosystem and
// listed with its reason; the feeds carry their import dates.
func TestCoverageReasons(t *testing.T) {
	db := vulndbtest.Open(t)
	doc := &sbom.Document{Components: []sbom.Component{
		comp("pkg:pypi/example-lib@2.3.0", "2.3.0"),
		comp("pkg:pypi/example-lib", ""),
		comp("pkg:pypi/example-lib@not%20a%20version", "not a version"),
		comp("pkg:pypi/unnamed-lib@1.0", "1.0"), // named by no advisory: checked all the same
		comp("pkg:maven/org.example/widget@1.0", "1.0"),
		comp("pkg:generic/openssl@1.1.1d", "1.1.1d"),
	}}
	pkgs, unknown := Packages(doc)
	res, err := Scan(t.Context(), db, pkgs, unknown, Options{Now: vulndbtest.Now.Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	c := res.Coverage
	if c.Components != 6 || c.Checked != 2 || c.NotChecked != 4 || c.UnknownEcosystem != 1 || c.Clean() {
		t.Errorf("coverage %+v", c)
	}
	wantEco := []EcosystemCoverage{
		{Ecosystem: "Maven", Advisories: 0, Components: 1, NoData: 1},
		{Ecosystem: "PyPI", Advisories: 2, Components: 4, Checked: 2, NoVersion: 1, BadVersion: 1},
	}
	if diff := cmp.Diff(wantEco, c.Ecosystems, cmpopts.IgnoreFields(EcosystemCoverage{}, "Imported")); diff != "" {
		t.Errorf("ecosystems (-want +got):\n%s", diff)
	}
	var reasons []string
	for _, u := range res.NotChecked {
		reasons = append(reasons, u.PURL+" "+u.Reason)
	}
	slices.Sort(reasons)
	wantReasons := []string{
		"pkg:generic/openssl@1.1.1d unknown-ecosystem",
		"pkg:maven/org.example/widget@1.0 no-data",
		"pkg:pypi/example-lib no-version",
		"pkg:pypi/example-lib@not%20a%20version unparseable-version",
	}
	if diff := cmp.Diff(wantReasons, reasons); diff != "" {
		t.Errorf("not checked (-want +got):\n%s", diff)
	}
	for _, f := range c.Feeds {
		if f.Imported == nil || !f.Imported.Equal(vulndbtest.Now) || f.Stale {
			t.Errorf("feed %+v, want imported %s and fresh", f, vulndbtest.Now)
		}
	}
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "4 of 6 components were not checked") {
		t.Errorf("warnings %q", c.Warnings)
	}
}

// TestCoverageEmptyDatabase: against a database that holds nothing, nothing is checked, the
// result is not clean, and the warnings say why.
func TestCoverageEmptyDatabase(t *testing.T) {
	db, err := vulndb.Open(t.Context(), t.TempDir(), true)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	doc := &sbom.Document{Components: []sbom.Component{
		comp("pkg:npm/lodash@4.17.15", "4.17.15"),
		comp("pkg:npm/minimist@1.2.0", "1.2.0"),
	}}
	pkgs, unknown := Packages(doc)
	res, err := Scan(t.Context(), db, pkgs, unknown, Options{Now: vulndbtest.Now})
	if err != nil {
		t.Fatal(err)
	}
	c := res.Coverage
	if len(res.Findings) != 0 || c.Checked != 0 || c.NotChecked != 2 || c.Advisories != 0 || c.Clean() {
		t.Errorf("coverage %+v", c)
	}
	for _, f := range c.Feeds {
		if f.Imported != nil {
			t.Errorf("feed %+v of an empty database", f)
		}
	}
	joined := strings.Join(c.Warnings, "\n")
	for _, want := range []string{"holds no advisories: nothing was checked", "no CISA KEV catalogue"} {
		if !strings.Contains(joined, want) {
			t.Errorf("warnings %q lack %q", c.Warnings, want)
		}
	}
}

// TestCoverageStale: a feed imported longer ago than the age allowed is stale, and said so.
func TestCoverageStale(t *testing.T) {
	db := vulndbtest.Open(t)
	pkgs, unknown := Packages(&sbom.Document{Components: []sbom.Component{comp("pkg:pypi/example-lib@2.3.0", "2.3.0")}})
	res, err := Scan(t.Context(), db, pkgs, unknown, Options{Now: vulndbtest.Now.Add(8 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Coverage.Feeds {
		if !f.Stale {
			t.Errorf("feed %+v not stale after 8 days", f)
		}
	}
	if !strings.Contains(strings.Join(res.Coverage.Warnings, "\n"), "the OSV advisories were imported 2026-11-22, more than 7 days ago") {
		t.Errorf("warnings %q", res.Coverage.Warnings)
	}
	res, err = Scan(t.Context(), db, pkgs, unknown, Options{Now: vulndbtest.Now.Add(8 * 24 * time.Hour), MaxAge: 30 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Coverage.Warnings) != 0 || !res.Coverage.Clean() {
		t.Errorf("within 30 days: %+v", res.Coverage)
	}
}

// TestUnmatched: without a database, every component is not checked.
func TestUnmatched(t *testing.T) {
	pkgs, unknown := Packages(&sbom.Document{Components: []sbom.Component{comp("pkg:pypi/example-lib@2.3.0", "2.3.0"), comp("pkg:generic/x@1", "1")}})
	res := Unmatched(pkgs, unknown, Options{})
	if c := res.Coverage; c.Checked != 0 || c.NotChecked != 2 || c.Clean() || !strings.HasPrefix(c.Warnings[0], "no vulnerability database") {
		t.Errorf("coverage %+v", c)
	}
}
