package portfolio

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/siegel-oss/siegel/internal/store"
	"github.com/siegel-oss/siegel/internal/store/storetest"
)

// TestInventoryCountsMatchStream checks, on both dialects, that the inventory the database
// aggregates is the one counted here from every occurrence: with declared and unknown devices,
// a release without a dependency graph, components without a purl, an authority's release (in
// neither), and k at, below and above the manufacturers' count.
func TestInventoryCountsMatchStream(t *testing.T) {
	storetest.EachDialect(t, testClock, func(t *testing.T, st *store.DB) {
		ctx := t.Context()
		orgs := seedPortfolio(t, st)
		rels := must[[]store.InventoryRelease](t)(st.InventoryReleases(ctx))
		for i, r := range rels {
			n := int64(i * 1000)
			var d *int64
			if i%5 != 0 {
				d = &n
			}
			if err := st.SetReleaseDevices(ctx, r.ID, d); err != nil {
				t.Fatal(err)
			}
		}
		// A release of the first manufacturer without a graph, with a component without a purl.
		prod := must[*store.Product](t)(st.CreateProduct(ctx, orgs[0], "Sensor", "sensor", "default"))
		rel := must[*store.Release](t)(st.CreateRelease(ctx, prod.ID, "1.0", "", "2031-01"))
		must[*store.SBOM](t)(st.AddSBOM(ctx, rel.ID, "cyclonedx-json", "nograph", []store.Component{
			{Ref: "a", Name: "core0", Version: "1.0.0", PURL: "pkg:npm/core0@1.0.0"},
			{Ref: "b", Name: "blob", Version: "1"},
			{Ref: "c", Name: "core5", Version: "1.0.0", PURL: "pkg:npm/core5@1.0.0"},
		}, nil))
		// An authority's release: no manufacturer's.
		auth := must[*store.Organization](t)(st.CreateOrganization(ctx, "Authority", "large", true))
		ap := must[*store.Product](t)(st.CreateProduct(ctx, auth.ID, "Probe", "router", "default"))
		ar := must[*store.Release](t)(st.CreateRelease(ctx, ap.ID, "1.0", "", "2031-01"))
		must[*store.SBOM](t)(st.AddSBOM(ctx, ar.ID, "cyclonedx-json", "authority", []store.Component{
			{Ref: "a", Name: "core0", Version: "1.0.0", PURL: "pkg:npm/core0@1.0.0", Direct: true},
		}, nil))
		facts := func(base string) Facts {
			if base == "pkg:npm/core1" {
				return Facts{Health: "end-of-life", Unhealthy: true, MemorySafety: NotMemorySafe}
			}
			return Facts{}
		}
		for _, k := range []int{2, 4, 5} {
			opts := Options{K: k, Facts: facts}
			want := must[*Inventory](t)(StreamInventory(ctx, st, opts))
			got := must[*Inventory](t)(CountInventory(ctx, st, opts))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("k=%d: the database's inventory differs (-counted here +aggregated):\n%s", k, diff)
			}
			if k <= 4 && (len(got.Components) < ubiquitous || got.DeviceDependencies == 0 || got.Critical == 0) {
				t.Errorf("k=%d: too little published to compare: %+v", k, got)
			}
			if k == 5 && len(got.Components) != 0 {
				t.Errorf("k=5: four manufacturers, yet published: %+v", got.Components)
			}
		}
		all := must[*Inventory](t)(BuildInventory(ctx, st, Options{K: 2}))
		var core0 Component
		for _, c := range all.Components {
			if c.PURL == "pkg:npm/core0" {
				core0 = c
			}
		}
		// 24 releases with a graph and core0 direct in each, one without a graph; the authority's
		// release is in no count.
		if core0.Manufacturers != 4 || core0.Releases != 25 || core0.Direct != 24 || core0.GraphUnknown != 1 || core0.Transitive != 0 || core0.Products != 9 {
			t.Errorf("core0: %+v", core0)
		}
	})
}
