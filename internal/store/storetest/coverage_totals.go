package storetest

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/siegel-oss/siegel/internal/match"
	"github.com/siegel-oss/siegel/internal/store"
	"github.com/siegel-oss/siegel/internal/vulndb"
)

// testCoverageTotals: the coverage counts kept per release, which the portfolio sums per product,
// equal what decoding and restating each release's coverage record gives — against no database,
// an empty one, and databases holding advisories of some of the ecosystems — after first
// matchings, a matching that replaces a record with one of other ecosystems, a matching that
// keeps the record, and a release's removal.
func testCoverageTotals(t *testing.T, s *store.DB) {
	ctx := t.Context()
	org := must(s.CreateOrganization(ctx, "ACME", "small", false))
	router := must(s.CreateProduct(ctx, org.ID, "router", "router", "default"))
	camera := must(s.CreateProduct(ctx, org.ID, "camera", "router", "default"))
	empty := must(s.CreateProduct(ctx, org.ID, "empty", "router", "default"))
	record := func(unknown int, ecos ...match.EcosystemCoverage) []byte {
		c := match.Coverage{UnknownEcosystem: unknown, Components: unknown, Ecosystems: ecos}
		for _, e := range ecos {
			c.Components += e.Components
			c.Checked += e.Checked
		}
		c.NotChecked = c.Components - c.Checked
		return must(json.Marshal(c))
	}
	eco := func(name string, components, noVersion, bad int) match.EcosystemCoverage {
		return match.EcosystemCoverage{Ecosystem: name, Components: components, Checked: components - noVersion - bad, NoVersion: noVersion, BadVersion: bad}
	}
	check := func(step string) {
		t.Helper()
		KeptCoverage(t, s, org.ID, []int64{router.ID, camera.ID, empty.ID}, step)
	}
	r1 := must(s.CreateRelease(ctx, router.ID, "1.0", "2026-01-05", "2031-01"))
	r2 := must(s.CreateRelease(ctx, router.ID, "2.0", "2026-01-05", "2031-01"))
	c1 := must(s.CreateRelease(ctx, camera.ID, "1.0", "2026-01-05", "2031-01"))
	must(s.CreateRelease(ctx, empty.ID, "1.0", "2026-01-05", "2031-01"))
	check("releases never matched")
	must(s.ApplyFindingsBatch(ctx, []store.Outcome{
		{Release: r1.ID, Coverage: record(2, eco("npm", 10, 1, 2), eco("PyPI", 5, 0, 0))},
		{Release: r2.ID, Coverage: record(0, eco("npm", 7, 0, 1))},
		{Release: c1.ID, Coverage: record(3)},
	}, nil))
	check("first matchings")
	must(s.ApplyFindingsBatch(ctx, []store.Outcome{{Release: r1.ID, Coverage: record(0, eco("Debian", 40, 3, 0), eco("Go", 4, 0, 4))}}, nil))
	check("a record replaced by one of other ecosystems")
	must(s.ApplyFindingsBatch(ctx, []store.Outcome{{Release: r2.ID, Findings: []store.Finding{{Vulnerability: "CVE-1", PURL: "pkg:npm/a@1", Severity: "HIGH", Data: []byte(`{}`)}}}}, nil))
	check("a matching that keeps the record")
	if err := s.RemoveRelease(ctx, r2.ID, "withdrawn"); err != nil {
		t.Fatal(err)
	}
	check("a release removed")
}

// KeptCoverage checks the kept coverage totals of an organization's products against decoding
// and restating each release's coverage record, against several vulnerability databases' holdings.
func KeptCoverage(t testing.TB, s *store.DB, org int64, products []int64, step string) {
	t.Helper()
	ctx := t.Context()
	kept := must(s.ProductCoverageTotals(ctx, products))
	records := must(s.OrganizationCoverages(ctx, org))
	for _, h := range []*vulndb.Holdings{nil, {Advisories: map[string]int{}}, {Advisories: map[string]int{"npm": 3}},
		{Advisories: map[string]int{"npm": 3, "PyPI": 1, "Debian": 9, "Go": 2}}} {
		type counts struct{ Releases, Components, Checked, NotChecked int }
		fresh, got := map[int64]counts{}, map[int64]counts{}
		for _, r := range records {
			c, err := match.Restate(r.Data, h, match.Options{})
			if err != nil {
				t.Fatalf("%s: release %d: %v", step, r.Release, err)
			}
			f := fresh[r.Product]
			f.Releases, f.Components, f.Checked, f.NotChecked = f.Releases+1, f.Components+c.Components, f.Checked+c.Checked, f.NotChecked+c.NotChecked
			fresh[r.Product] = f
		}
		for p, k := range kept {
			checked, notChecked := match.RestateCounts(h, k.Components, k.Checked, k.Checkable)
			got[p] = counts{k.Releases, k.Components, checked, notChecked}
		}
		if diff := cmp.Diff(fresh, got); diff != "" {
			t.Errorf("%s: holdings %s: kept coverage totals differ from the records restated (-records +kept):\n%s", step, holdingsName(h), diff)
		}
	}
}

func holdingsName(h *vulndb.Holdings) string {
	if h == nil {
		return "none"
	}
	return fmt.Sprint(h.Advisories)
}
