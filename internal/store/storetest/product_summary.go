package storetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/siegel-oss/siegel/internal/store"
)

// testProductSummary: the counts kept per product (which the portfolio sorts and pages on) equal
// a fresh count over the findings and VEX statements after every kind of change — first
// matching, re-matching part of a release, resolving, VEX decisions both ways, new releases — and
// after concurrent matchings of releases of one product, where a kept sum could lose an update.
func testProductSummary(t *testing.T, s *store.DB) {
	ctx := t.Context()
	org := must(s.CreateOrganization(ctx, "ACME", "small", false))
	other := must(s.CreateOrganization(ctx, "Other", "small", false))
	f := func(vuln, purl, severity string, exploited bool) store.Finding {
		return store.Finding{Vulnerability: vuln, PURL: purl, Severity: severity, Exploited: exploited, Data: []byte(`{"v":"` + vuln + `"}`)}
	}
	check := func(step string) {
		t.Helper()
		for _, o := range []int64{org.ID, other.ID} {
			KeptCounts(t, s, o, step)
		}
	}
	router := must(s.CreateProduct(ctx, org.ID, "router", "router", "default"))
	camera := must(s.CreateProduct(ctx, org.ID, "camera", "router", "default"))
	must(s.CreateProduct(ctx, other.ID, "unrelated", "router", "default"))
	check("products without releases")
	r1 := must(s.CreateRelease(ctx, router.ID, "1.0", "2026-01-05", "2031-01"))
	r2 := must(s.CreateRelease(ctx, router.ID, "2.0", "2026-01-05", "2031-01"))
	c1 := must(s.CreateRelease(ctx, camera.ID, "1.0", "2026-01-05", "2031-01"))
	check("releases without findings")

	must(s.ApplyFindingsBatch(ctx, []store.Outcome{
		{Release: r1.ID, Findings: []store.Finding{f("CVE-1", "pkg:npm/a@1", "CRITICAL", true), f("CVE-2", "pkg:npm/b@1", "HIGH", false), f("CVE-3", "pkg:npm/c@1", "", false)}},
		{Release: r2.ID, Findings: []store.Finding{f("CVE-1", "pkg:npm/a@2", "CRITICAL", false), f("CVE-4", "pkg:npm/d@1", "LOW", false)}},
		{Release: c1.ID, Findings: []store.Finding{f("CVE-5", "pkg:npm/e@1", "MEDIUM", false)}},
	}, nil))
	check("first matching")

	// A re-match of one package: CVE-2 is gone (resolved), CVE-6 is new and unrated.
	must(s.ApplyFindingsBatch(ctx, []store.Outcome{{Release: r1.ID, Scope: map[string]bool{"pkg:npm/b@1": true},
		Findings: []store.Finding{f("CVE-6", "pkg:npm/b@1", "UNKNOWN", false)}}}, nil))
	check("re-match of one package")
	// The severity of a finding changes and it becomes exploited.
	must(s.ApplyFindingsBatch(ctx, []store.Outcome{{Release: r2.ID, Scope: map[string]bool{"pkg:npm/d@1": true},
		Findings: []store.Finding{f("CVE-4", "pkg:npm/d@1", "HIGH", true)}}}, nil))
	check("severity change")

	vex := func(rel int64, vuln, purl, status string) {
		v := store.VEX{Release: rel, Vulnerability: vuln, PURL: purl, Status: status, Author: "psirt@acme.example"}
		if status == "not_affected" {
			v.Justification = "vulnerable_code_not_present"
		}
		must(s.SetVEX(ctx, v))
	}
	vex(r1.ID, "CVE-1", "pkg:npm/a@1", "not_affected")
	check("VEX not_affected")
	vex(c1.ID, "CVE-5", "pkg:npm/e@1", "fixed")
	check("VEX fixed")
	vex(r1.ID, "CVE-1", "pkg:npm/a@1", "affected")
	check("VEX affected again")

	// A whole-release match that finds nothing resolves everything of the release.
	must(s.ApplyFindingsBatch(ctx, []store.Outcome{{Release: r2.ID, Findings: nil}}, nil))
	check("everything resolved")
	// A resolved finding found again.
	must(s.ApplyFindingsBatch(ctx, []store.Outcome{{Release: r2.ID, Findings: []store.Finding{f("CVE-4", "pkg:npm/d@1", "HIGH", true)}}}, nil))
	check("finding back")

	// Releases of one product matched at once, each in its own transaction.
	var rels []int64
	for i := range 8 {
		rels = append(rels, must(s.CreateRelease(ctx, camera.ID, fmt.Sprintf("2.%d", i), "2026-01-05", "2031-01")).ID)
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(rels)*3)
	for i, rel := range rels {
		wg.Go(func() {
			for round := range 3 {
				var fs []store.Finding
				for k := range 1 + (i+round)%4 {
					fs = append(fs, f(fmt.Sprintf("CVE-9%d", k), fmt.Sprintf("pkg:npm/x@%d", k), []string{"CRITICAL", "HIGH", "MEDIUM", "LOW"}[(k+round)%4], k == round))
				}
				if _, err := s.ApplyFindingsBatch(ctx, []store.Outcome{{Release: rel, Findings: fs}}, nil); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Go(func() {
		for round := range 3 {
			if _, err := s.SetVEX(ctx, store.VEX{Release: c1.ID, Vulnerability: "CVE-5", PURL: "pkg:npm/e@1", Status: []string{"affected", "fixed", "under_investigation"}[round], Author: "psirt@acme.example"}); err != nil {
				errs <- err
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	check("concurrent matchings")
}

// KeptCounts checks that the counts kept per product of an organization (which the portfolio
// sorts and pages on) equal a fresh count over the findings and the decisions in force (own,
// inherited, unexpired), and that the portfolio's rows, in risk and in name order, carry those
// counts, the products' current names and their numbers of releases.
func KeptCounts(t testing.TB, s *store.DB, org int64, step string) {
	t.Helper()
	ctx := t.Context()
	kept := must(s.ProductSummaries(ctx, org))
	fresh := must(s.FreshProductSummaries(ctx, org))
	if diff := cmp.Diff(fresh, kept); diff != "" {
		t.Fatalf("%s: organization %d: kept counts differ from a fresh count (-fresh +kept):\n%s", step, org, diff)
	}
	page, _ := must2(s.Portfolio(ctx, org, store.PortfolioQuery{Sort: store.SortRisk, Limit: store.MaxPageSize}))
	for _, row := range page {
		if diff := cmp.Diff(fresh[row.ID], row.Summary); diff != "" {
			t.Errorf("%s: portfolio row of product %d (-fresh +row):\n%s", step, row.ID, diff)
		}
		if n := len(must(s.Releases(ctx, row.ID))); row.Releases != n {
			t.Errorf("%s: portfolio row of product %d: %d releases, want %d", step, row.ID, row.Releases, n)
		}
	}
	byName, _ := must2(s.Portfolio(ctx, org, store.PortfolioQuery{Sort: store.SortName, Limit: store.MaxPageSize}))
	for i, row := range byName {
		if p := must(s.Product(ctx, row.ID)); row.Name != p.Name {
			t.Errorf("%s: portfolio row %d names %q, the product is %q", step, row.ID, row.Name, p.Name)
		}
		if i > 0 && byName[i-1].Name > row.Name {
			t.Errorf("%s: portfolio not in name order: %q before %q", step, byName[i-1].Name, row.Name)
		}
	}
}
