package storetest

import (
	"errors"
	"testing"

	"github.com/siegel-oss/siegel/internal/store"
)

// testCoverage: findings no source rates are counted as unrated, never dropped from a summary;
// a release's coverage is kept with its findings and replaced by the next matching's.
func testCoverage(t *testing.T, s *store.DB) {
	ctx := t.Context()
	org := must(s.CreateOrganization(ctx, "ACME", "small", false))
	prod := must(s.CreateProduct(ctx, org.ID, "R", "router", "default"))
	rel := must(s.CreateRelease(ctx, prod.ID, "1", "2026-01-05", "2031-01"))
	if _, err := s.ReleaseCoverage(ctx, rel.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("coverage of a release never matched: %v", err)
	}
	fs := []store.Finding{
		{Vulnerability: "CVE-1", PURL: "pkg:npm/a@1", Severity: "HIGH", Score: 7.5, Data: []byte(`{}`)},
		{Vulnerability: "GO-2", PURL: "pkg:npm/a@1", Severity: "UNKNOWN", Data: []byte(`{}`)},
		{Vulnerability: "GO-3", PURL: "pkg:npm/b@1", Severity: "UNKNOWN", Data: []byte(`{}`)},
		{Vulnerability: "CVE-4", PURL: "pkg:npm/b@1", Severity: "NONE", Data: []byte(`{}`)},
	}
	must(s.ApplyFindingsBatch(ctx, []store.Outcome{{Release: rel.ID, Findings: fs, Coverage: []byte(`{"checked":2}`)}}, nil))
	sum := must(s.ReleaseSummaries(ctx, prod.ID))[rel.ID]
	if sum.Total != 4 || sum.High != 1 || sum.Unrated != 2 {
		t.Errorf("release summary %+v, want 4 in all, 1 high, 2 unrated", sum)
	}
	if sum := must(s.ProductSummaries(ctx, org.ID))[prod.ID]; sum.Unrated != 2 {
		t.Errorf("product summary %+v", sum)
	}
	if c := must(s.ReleaseCoverage(ctx, rel.ID)); string(c.Data) != `{"checked":2}` || c.Product != prod.ID {
		t.Errorf("coverage %+v", c)
	}
	// A matching without a coverage leaves the one kept; one with a coverage replaces it.
	must(s.ApplyFindingsBatch(ctx, []store.Outcome{{Release: rel.ID, Findings: fs}}, nil))
	must(s.ApplyFindingsBatch(ctx, []store.Outcome{{Release: rel.ID, Scope: map[string]bool{}, Coverage: []byte(`{"checked":3}`)}}, nil))
	cs := must(s.OrganizationCoverages(ctx, org.ID))
	if len(cs) != 1 || string(cs[0].Data) != `{"checked":3}` || cs[0].Release != rel.ID {
		t.Errorf("organization coverages %+v", cs)
	}
}
