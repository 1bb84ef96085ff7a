package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/siegel-oss/siegel/internal/store"
)

func testComponentFacts(t *testing.T, s *store.DB) {
	ctx := t.Context()
	org := must(s.CreateOrganization(ctx, "ACME", "medium", false))
	prod := must(s.CreateProduct(ctx, org.ID, "HomeRouter", "router", "default"))
	rel := must(s.CreateRelease(ctx, prod.ID, "1.0", "2026-09-01", "2031-12"))
	other := must(s.CreateRelease(ctx, prod.ID, "2.0", "2027-09-01", "2032-12"))
	comps := []store.Component{{Ref: "busybox", Name: "busybox", Version: "1.36.1", PURL: "pkg:generic/busybox@1.36.1"}}
	facts := []store.ComponentFacts{{Ref: "busybox", CPEs: []string{"cpe:2.3:a:busybox:busybox:1.36.1:*:*:*:*:*:*:*", "cpe:/a:busybox:busybox:1.36.1"},
		Native: "firmware", Extractor: "firmware/signature", Size: 1 << 20}}
	// The facts are stored with their SBOM, in its transaction; a fact named twice is stored once.
	must(s.AddSBOM(ctx, rel.ID, store.SBOMContent{Format: "cyclonedx-json", SHA256: "aa", Components: comps, Facts: append(facts, facts...)}))
	ob := must(s.AddSBOM(ctx, other.ID, store.SBOMContent{Format: "cyclonedx-json", SHA256: "bb", Components: comps,
		Facts: []store.ComponentFacts{{Ref: "busybox", SourcePackage: "busybox"}}}))
	got := must(s.ReleaseComponentFacts(ctx, rel.ID))
	if diff := cmp.Diff(map[string]store.ComponentFacts{"busybox": facts[0]}, got); diff != "" {
		t.Errorf("facts (-want +got):\n%s", diff)
	}
	if got := must(s.ReleaseComponentFacts(ctx, other.ID)); got["busybox"].SourcePackage != "busybox" || got["busybox"].Size != 0 {
		t.Errorf("other release's facts %+v", got)
	}
	// A replacement stores its own facts with it.
	must(s.ReplaceSBOM(ctx, other.ID, ob.ID, "rebuilt", store.SBOMContent{Format: "cyclonedx-json", SHA256: "cc", Components: comps, Facts: facts}))
	if diff := cmp.Diff(map[string]store.ComponentFacts{"busybox": facts[0]}, must(s.ReleaseComponentFacts(ctx, other.ID))); diff != "" {
		t.Errorf("facts after the replacement (-want +got):\n%s", diff)
	}
}
