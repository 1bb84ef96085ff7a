package storetest

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/siegel-oss/siegel/internal/store"
)

func ptr(n int64) *int64 { return &n }

// testPortfolio: where-used reads (version counts, pages of occurrences, advisory groups,
// findings with VEX) and the inventory's reads, with devices on the market declared per release.
func testPortfolio(t *testing.T, s *store.DB) {
	ctx := t.Context()
	var rels []*store.Release
	var orgs []int64
	for i, name := range []string{"ACME", "Globex", "Initech"} {
		o := must(s.CreateOrganization(ctx, name, "medium", false))
		orgs = append(orgs, o.ID)
		p := must(s.CreateProduct(ctx, o.ID, "Router", "router", "default"))
		in := store.Release{Product: p.ID, Version: "1.0", SupportEnd: "2031-01"}
		if i < 2 {
			in.DevicesOnMarket = ptr(int64(1000 * (i + 1)))
		}
		r := must(s.AddRelease(ctx, in))
		rels = append(rels, r)
		comps := []store.Component{
			{Ref: "a", Name: "lodash", Version: []string{"4.17.20", "4.17.21", "3.10.1"}[i], PURL: "pkg:npm/lodash@" + []string{"4.17.20", "4.17.21", "3.10.1"}[i],
				Direct: i != 2, Ecosystem: "npm", Lookup: "lodash", MatchVersion: []string{"4.17.20", "4.17.21", "3.10.1"}[i]},
			{Ref: "b", Name: "Django", Version: "4.2", PURL: "pkg:pypi/Django@4.2", Ecosystem: "PyPI", Lookup: "django", MatchVersion: "4.2"},
			{Ref: "c", Name: "no purl", Version: "1"},
		}
		must(s.AddSBOM(ctx, r.ID, store.SBOMContent{Format: "cyclonedx-json", SHA256: name, Components: comps}))
	}
	// Devices: declared at creation, read back, changed, and unknown stays nil (not 0).
	if got := must(s.Release(ctx, rels[1].ID)); got.DevicesOnMarket == nil || *got.DevicesOnMarket != 2000 {
		t.Errorf("devices read back: %v", got.DevicesOnMarket)
	}
	if got := must(s.Release(ctx, rels[2].ID)); got.DevicesOnMarket != nil {
		t.Errorf("undeclared devices read back as %d", *got.DevicesOnMarket)
	}
	must(0, s.SetReleaseDevices(ctx, rels[1].ID, ptr(2500)))
	if rs := must(s.Releases(ctx, rels[1].Product)); len(rs) != 1 || rs[0].DevicesOnMarket == nil || *rs[0].DevicesOnMarket != 2500 {
		t.Errorf("devices after change: %+v", rs)
	}
	if err := s.SetReleaseDevices(ctx, rels[1].ID, ptr(-1)); err == nil {
		t.Error("a negative device count accepted")
	}
	if _, err := s.AddRelease(ctx, store.Release{Product: rels[0].Product, Version: "neg", SupportEnd: "2031-01", DevicesOnMarket: ptr(-5)}); err == nil {
		t.Error("a release with a negative device count accepted")
	}

	// Base purls are normalized: Django is stored as pkg:pypi/django.
	want := []store.VersionCount{{Version: "3.10.1", Count: 1}, {Version: "4.17.20", Count: 1}, {Version: "4.17.21", Count: 1}}
	if diff := cmp.Diff(want, must(s.ComponentVersions(ctx, "pkg:npm/lodash", store.Scope{}))); diff != "" {
		t.Errorf("versions (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want[2:], must(s.ComponentVersions(ctx, "pkg:npm/lodash", store.Scope{Org: orgs[1]}))); diff != "" {
		t.Errorf("versions of one organization (-want +got):\n%s", diff)
	}
	if got := must(s.ComponentVersions(ctx, "pkg:pypi/django", store.Scope{})); len(got) != 1 || got[0].Count != 3 {
		t.Errorf("django: %+v", got)
	}
	occ := must(s.Occurrences(ctx, store.OccurrenceQuery{Base: "pkg:npm/lodash", Versions: []string{"4.17.20", "4.17.21"}}))
	if len(occ) != 2 || occ[0].Organization != "ACME" || occ[0].Version != "4.17.20" || !occ[0].Direct || occ[1].Organization != "Globex" || occ[1].Release != "1.0" {
		t.Errorf("occurrences: %+v", occ)
	}
	page := must(s.Occurrences(ctx, store.OccurrenceQuery{Base: "pkg:npm/lodash", Limit: 1, Offset: 1}))
	if len(page) != 1 || page[0].Version != "4.17.20" {
		t.Errorf("second page: %+v", page)
	}
	if got := must(s.Occurrences(ctx, store.OccurrenceQuery{Base: "pkg:npm/lodash", Scope: store.Scope{Org: orgs[2]}})); len(got) != 1 || got[0].Organization != "Initech" {
		t.Errorf("one organization's: %+v", got)
	}
	if got := must(s.Occurrences(ctx, store.OccurrenceQuery{Base: "pkg:npm/lodash", Versions: []string{}})); len(got) != 0 {
		t.Errorf("no version selected, yet: %+v", got)
	}
	groups := must(s.LookupGroups(ctx, "npm", "lodash", store.Scope{}))
	if len(groups) != 3 || groups[0].MatchVersion != "3.10.1" || groups[0].Count != 1 {
		t.Errorf("groups: %+v", groups)
	}
	occ = must(s.Occurrences(ctx, store.OccurrenceQuery{Lookup: "lodash", Groups: groups[:2]}))
	if len(occ) != 2 {
		t.Errorf("occurrences of two groups: %+v", occ)
	}

	// Findings and VEX per occurrence.
	must(s.ApplyFindings(ctx, rels[0].ID, nil, []store.Finding{{Vulnerability: "GHSA-1", PURL: "pkg:npm/lodash@4.17.20", Severity: "HIGH", Data: []byte(`{}`)}}, nil))
	must(s.SetVEX(ctx, store.VEX{Release: rels[0].ID, Vulnerability: "GHSA-1", PURL: "pkg:npm/lodash@4.17.20", Status: "affected", Action: "update", Author: "t"}))
	must(s.SetVEX(ctx, store.VEX{Release: rels[1].ID, Vulnerability: "GHSA-1", PURL: "pkg:npm/lodash@4.17.21", Status: "under_investigation", Author: "t"}))
	must(s.SetVEX(ctx, store.VEX{Release: rels[1].ID, Vulnerability: "GHSA-1", PURL: "pkg:npm/lodash@4.17.21", Status: "not_affected", Justification: "component_not_present", Author: "t"}))
	keys := []store.ReleasePURL{{Release: rels[0].ID, PURL: "pkg:npm/lodash@4.17.20"}, {Release: rels[1].ID, PURL: "pkg:npm/lodash@4.17.21"}}
	fs := must(s.OccurrenceFindings(ctx, keys, nil))
	if f := fs[keys[0]]; len(f) != 1 || f[0].Vulnerability != "GHSA-1" || f[0].VEX != "affected" || f[0].Severity != "HIGH" || f[0].Resolved {
		t.Errorf("findings: %+v", fs)
	}
	if len(fs[keys[1]]) != 0 {
		t.Errorf("a finding where none was matched: %+v", fs[keys[1]])
	}
	vex := must(s.OccurrenceVEX(ctx, keys, []string{"GHSA-1", "CVE-1"}))
	if vex[keys[0]] != "affected" || vex[keys[1]] != "not_affected" {
		t.Errorf("VEX in force: %+v", vex)
	}

	// Components stored before base purls existed get theirs when the store opens (the store's
	// own tests reach the backfill; other users of the suite skip this part).
	if old, ok := any(s).(interface {
		ForgetBasePURLs(ctx context.Context) error
		BackfillBasePURL(ctx context.Context) error
	}); ok {
		must(0, old.ForgetBasePURLs(ctx))
		if got := must(s.ComponentVersions(ctx, "pkg:npm/lodash", store.Scope{})); len(got) != 0 {
			t.Fatalf("base purls not forgotten: %+v", got)
		}
		must(0, old.BackfillBasePURL(ctx))
		if diff := cmp.Diff(want, must(s.ComponentVersions(ctx, "pkg:npm/lodash", store.Scope{}))); diff != "" {
			t.Errorf("versions after the backfill (-want +got):\n%s", diff)
		}
	}

	// The inventory's reads: every release, and every occurrence with a purl.
	ir := must(s.InventoryReleases(ctx))
	if len(ir) != 3 || ir[1].Devices == nil || *ir[1].Devices != 2500 || ir[2].Devices != nil || ir[0].Organization != orgs[0] {
		t.Errorf("inventory releases: %+v", ir)
	}
	n, direct := 0, 0
	must(0, s.EachOccurrence(ctx, func(release int64, base []byte, d bool) error {
		n++
		if d {
			direct++
		}
		if string(base) != "pkg:npm/lodash" && string(base) != "pkg:pypi/django" {
			t.Errorf("occurrence %q", base)
		}
		return nil
	}))
	if n != 6 || direct != 2 {
		t.Errorf("%d occurrences, %d direct; want 6 and 2", n, direct)
	}
}
