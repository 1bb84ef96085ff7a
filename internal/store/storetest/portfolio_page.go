package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/siegel-oss/siegel/internal/store"
)

// testPortfolio: the portfolio is sorted and paged in the database; every product is on exactly
// one page, with its releases and findings counted across them.
func testPortfolioPaging(t *testing.T, s *store.DB) {
	ctx := t.Context()
	org := must(s.CreateOrganization(ctx, "ACME", "small", false))
	other := must(s.CreateOrganization(ctx, "Other", "small", false))
	must(s.CreateProduct(ctx, other.ID, "aaa-not-ours", "router", "default"))
	finding := func(vuln, severity string, exploited bool) store.Finding {
		return store.Finding{Vulnerability: vuln, PURL: "pkg:npm/a@1", Severity: severity, Exploited: exploited, Data: []byte(`{}`)}
	}
	// name -> findings of each of its releases
	products := []struct {
		name     string
		releases [][]store.Finding
	}{
		{"delta", nil},
		{"alpha", [][]store.Finding{{finding("CVE-1", "CRITICAL", false)}, {finding("CVE-1", "CRITICAL", false), finding("CVE-2", "LOW", false)}}},
		{"charlie", [][]store.Finding{{finding("CVE-3", "HIGH", true)}}},
		{"bravo", [][]store.Finding{{finding("CVE-4", "HIGH", false)}}},
		{"echo", [][]store.Finding{{}}},
	}
	ids := map[string]int64{}
	for _, p := range products {
		prod := must(s.CreateProduct(ctx, org.ID, p.name, "router", "default"))
		ids[p.name] = prod.ID
		for i, fs := range p.releases {
			rel := must(s.CreateRelease(ctx, prod.ID, fmt.Sprint(i), "2026-01-05", "2031-01"))
			cov := `{"components":3,"checked":1,"ecosystems":[{"ecosystem":"npm","components":2},{"ecosystem":"PyPI","components":1}]}`
			must(s.ApplyFindingsBatch(ctx, []store.Outcome{{Release: rel.ID, Findings: fs, Coverage: []byte(cov)}}, nil))
		}
	}
	for _, tc := range []struct {
		sort string
		want []string
	}{
		{store.SortRisk, []string{"charlie", "alpha", "bravo", "delta", "echo"}},
		{store.SortName, []string{"alpha", "bravo", "charlie", "delta", "echo"}},
	} {
		var got []string
		for off := 0; ; off += 2 {
			page, total := must2(s.Portfolio(ctx, org.ID, store.PortfolioQuery{Sort: tc.sort, Limit: 2, Offset: off}))
			if total != 5 {
				t.Errorf("%s: total %d, want 5", tc.sort, total)
			}
			if len(page) == 0 {
				break
			}
			for _, r := range page {
				got = append(got, r.Name)
				if r.Summary.ID != r.ID {
					t.Errorf("%s: summary of %d for product %d", tc.sort, r.Summary.ID, r.ID)
				}
				if r.Name == "alpha" && (r.Releases != 2 || r.Summary.Critical != 2 || r.Summary.Low != 1 || r.Summary.Total != 3) {
					t.Errorf("%s: alpha %+v, want 2 releases, 2 critical, 1 low", tc.sort, r)
				}
				if r.Name == "charlie" && (r.Releases != 1 || r.Summary.Exploited != 1 || r.Summary.High != 1) {
					t.Errorf("%s: charlie %+v", tc.sort, r)
				}
				if r.Name == "delta" && (r.Releases != 0 || r.Summary.Total != 0 || r.Coverage != nil) {
					t.Errorf("%s: delta %+v", tc.sort, r)
				}
				// The coverage sums come with the counts, a product's ecosystems merged into its
				// one row, as ProductCoverageTotals reads them.
				var want *store.CoverageTotals
				if c, ok := must(s.ProductCoverageTotals(ctx, []int64{r.ID}))[r.ID]; ok {
					want = &c
				}
				if diff := cmp.Diff(want, r.Coverage); diff != "" {
					t.Errorf("%s: coverage of %s (-kept +page):\n%s", tc.sort, r.Name, diff)
				}
				if r.Name == "alpha" && (r.Coverage == nil || r.Coverage.Checkable["npm"] != 4 || r.Coverage.Checkable["PyPI"] != 2) {
					t.Errorf("%s: alpha's coverage %+v, want 4 npm and 2 PyPI components checkable", tc.sort, r.Coverage)
				}
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: pages give %v, want %v", tc.sort, got, tc.want)
		}
	}
	for _, q := range []store.PortfolioQuery{{Limit: 0}, {Limit: store.MaxPageSize + 1}, {Limit: 10, Offset: -1}, {Limit: 10, Sort: "price"}} {
		if _, _, err := s.Portfolio(ctx, org.ID, q); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("query %+v: %v, want ErrInvalid", q, err)
		}
	}
	cs := must(s.ProductCoverageTotals(ctx, []int64{ids["alpha"], ids["delta"]}))
	if len(cs) != 1 || cs[ids["alpha"]].Releases != 2 || cs[ids["alpha"]].Checked != 2 {
		t.Errorf("coverage totals of alpha and delta: %+v, want alpha's two releases", cs)
	}
}
