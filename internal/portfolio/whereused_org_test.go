package portfolio

import (
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"testing"

	"github.com/siegel-oss/siegel/internal/match"
	"github.com/siegel-oss/siegel/internal/sbom"
	"github.com/siegel-oss/siegel/internal/store"
	"github.com/siegel-oss/siegel/internal/store/storetest"
)

// TestWhereUsedOrganizationAndPages checks, on both dialects, that one organization's answer is
// exactly the whole answer restricted to its releases (same items in the same order, same counts
// per version), that pages put together give the whole answer, and that both dialects answer
// every question identically: for any version, one version, a range and an advisory's affected
// ranges, with the findings and VEX statuses of the occurrences.
func TestWhereUsedOrganizationAndPages(t *testing.T) {
	answers := map[string]string{}
	storetest.EachDialect(t, testClock, func(t *testing.T, st *store.DB) {
		orgs := seedPortfolio(t, st)
		db := benchAdvisories(t)
		var all []*Result
		for _, q := range orgQueries() {
			whole, err := WhereUsed(t.Context(), st, db, Query{PURL: q.PURL, Range: q.Range, Advisory: q.Advisory, Limit: MaxLimit})
			if err != nil {
				t.Fatalf("%+v: %v", q, err)
			}
			if whole.Total == 0 || whole.Total != len(whole.Items) {
				t.Fatalf("%+v: the question selects %d occurrences, %d listed", q, whole.Total, len(whole.Items))
			}
			all = append(all, whole)
			for _, org := range orgs {
				got, err := WhereUsed(t.Context(), st, db, Query{PURL: q.PURL, Range: q.Range, Advisory: q.Advisory, Org: org, Limit: MaxLimit})
				if err != nil {
					t.Fatal(err)
				}
				var want []Item
				counts := map[string]int{}
				for _, it := range whole.Items {
					if it.OrganizationID == org {
						want = append(want, it)
					}
				}
				if got.Total != len(want) || !slices.EqualFunc(got.Items, want, itemsEqual) {
					t.Errorf("%+v, organization %d: %d items %+v, want %d %+v", q, org, got.Total, got.Items, len(want), want)
				}
				for _, v := range got.Versions {
					counts[v.Version] += v.Occurrences
				}
				if q.Advisory == "" {
					for _, v := range whole.Versions {
						n := 0
						for _, it := range whole.Items {
							if it.OrganizationID == org && it.Version == v.Version {
								n++
							}
						}
						if v.Selected && counts[v.Version] != n {
							t.Errorf("%+v, organization %d: version %s counted %d, listed %d", q, org, v.Version, counts[v.Version], n)
						}
					}
				}
			}
			var paged []Item
			for off := 0; off < whole.Total; off += 7 {
				page, err := WhereUsed(t.Context(), st, db, Query{PURL: q.PURL, Range: q.Range, Advisory: q.Advisory, Limit: 7, Offset: off})
				if err != nil {
					t.Fatal(err)
				}
				paged = append(paged, page.Items...)
			}
			if !slices.EqualFunc(paged, whole.Items, itemsEqual) {
				t.Errorf("%+v: the pages differ from the whole answer", q)
			}
		}
		data, _ := json.Marshal(all)
		answers[t.Name()] = string(data)
		if s, p := answers["TestWhereUsedOrganizationAndPages/sqlite"], answers["TestWhereUsedOrganizationAndPages/postgres"]; s != "" && p != "" && s != p {
			t.Errorf("the dialects answer differently:\nsqlite   %s\npostgres %s", s, p)
		}
	})
}

func itemsEqual(a, b Item) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func orgQueries() []Query {
	return []Query{
		{PURL: "pkg:npm/core0"},
		{PURL: "pkg:npm/" + pkgName(ubiquitous+3)},
		{PURL: "pkg:npm/core1@" + pkgVersion(12)},
		{PURL: "pkg:npm/core2", Range: "vers:npm/>=1.1.0|<1.2.0"},
		{PURL: "pkg:npm/" + pkgName(ubiquitous+1), Range: ">=1.0.5|<1.2.5"},
		{Advisory: "CVE-2026-90000"},
		{Advisory: "GHSA-bench-0003-0000"},
		{Advisory: fmt.Sprintf("GHSA-bench-%04d-0000", ubiquitous+1)},
	}
}

// seedPortfolio stores, through the store's own writes, 4 manufacturers with 2 products of 3
// releases each, every release an SBOM of the bench's ubiquitous packages and a few popular
// ones in random versions, findings of the advisory of core0 on some and VEX statements on
// some of those; it returns the organizations.
func seedPortfolio(t *testing.T, st *store.DB) []int64 {
	ctx := t.Context()
	rng := mrand.New(mrand.NewPCG(7, 8))
	var orgs []int64
	for o := range 4 {
		org := must[*store.Organization](t)(st.CreateOrganization(ctx, fmt.Sprintf("Maker %d", o), "small", false))
		orgs = append(orgs, org.ID)
		for p := range 2 {
			prod := must[*store.Product](t)(st.CreateProduct(ctx, org.ID, fmt.Sprintf("Router %d", p), "router", "default"))
			for r := range 3 {
				rel := must[*store.Release](t)(st.CreateRelease(ctx, prod.ID, fmt.Sprintf("%d.0", r), "", "2031-01"))
				var comps []store.Component
				for i := range ubiquitous + 4 {
					pkg := i
					if i >= ubiquitous {
						pkg = ubiquitous + rng.IntN(6)
						if slices.ContainsFunc(comps, func(c store.Component) bool { return c.Name == pkgName(pkg) }) {
							continue
						}
					}
					v := rng.IntN(20)
					if pkg == 1 {
						v = 10 + rng.IntN(4) // the one version asked for is there
					}
					name, ver := pkgName(pkg), pkgVersion(v)
					c := sbom.Component{Ref: name, Name: name, Version: ver, PURL: "pkg:npm/" + name + "@" + ver}
					sc := store.Component{Ref: c.Ref, Name: c.Name, Version: c.Version, PURL: c.PURL, Direct: i < 3}
					if pk, ok := match.PackageOf(c); ok {
						sc.Ecosystem, sc.Lookup, sc.MatchVersion = pk.Ecosystem, pk.Lookup, pk.Version
					}
					comps = append(comps, sc)
				}
				must[*store.SBOM](t)(st.AddSBOM(ctx, rel.ID, store.SBOMContent{Format: "cyclonedx-json", SHA256: fmt.Sprintf("%d-%d-%d", o, p, r), Components: comps}))
				if rng.IntN(2) == 0 {
					continue
				}
				must[[]store.FindingChange](t)(st.ApplyFindings(ctx, rel.ID, nil, []store.Finding{{Vulnerability: "GHSA-bench-0000-0000", PURL: comps[0].PURL, Severity: "HIGH", Data: []byte(`{}`)}}, nil))
				if rng.IntN(2) == 0 {
					must[*store.VEX](t)(st.SetVEX(ctx, store.VEX{Release: rel.ID, Vulnerability: "GHSA-bench-0000-0000", PURL: comps[0].PURL, Status: "not_affected", Justification: "vulnerable_code_not_in_execute_path", Author: "t"}))
				}
			}
		}
	}
	return orgs
}
