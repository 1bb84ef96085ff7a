package portfolio

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/match"
	"github.com/siegel-oss/siegel/internal/sbom"
	"github.com/siegel-oss/siegel/internal/store"
	"github.com/siegel-oss/siegel/internal/store/storetest"
	"github.com/siegel-oss/siegel/internal/vulndb/vulndbtest"
)

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// storeWith returns a SQLite store with two manufacturers whose releases contain example-lib
// (named by GHSA-aaaa-1111-xxxx, alias CVE-2026-1001, of the vulndb fixtures: affected below
// 2.4.1 and from 3.0.0 below 3.1.2) in several versions, one of which does not parse.
func storeWith(t *testing.T, st *store.DB) []int64 {
	ctx := t.Context()
	var orgs []int64
	versions := [][]string{{"2.4.0", "2.4.1"}, {"3.1.0", "not-a-version", "3.1.2", ""}}
	for i, name := range []string{"ACME", "Globex"} {
		o := must[*store.Organization](t)(st.CreateOrganization(ctx, name, "small", false))
		orgs = append(orgs, o.ID)
		p := must[*store.Product](t)(st.CreateProduct(ctx, o.ID, "Camera", "camera", "default"))
		for j, v := range versions[i] {
			r := must[*store.Release](t)(st.CreateRelease(ctx, p.ID, "fw-"+v, "", "2031-01"))
			c := sbom.Component{Ref: "lib", Name: "Example_Lib", Version: v, PURL: "pkg:pypi/example-lib@" + v}
			if v == "" {
				c.PURL = "pkg:pypi/example-lib"
			}
			sc := store.Component{Ref: c.Ref, Name: c.Name, Version: c.Version, PURL: c.PURL, Direct: j == 0}
			if pk, ok := match.PackageOf(c); ok {
				sc.Ecosystem, sc.Lookup, sc.MatchVersion = pk.Ecosystem, pk.Lookup, pk.Version
			}
			must[*store.SBOM](t)(st.AddSBOM(ctx, r.ID, store.SBOMContent{Format: "cyclonedx-json", SHA256: name + v, Components: []store.Component{sc}}))
			if v == "2.4.0" {
				must[[]store.FindingChange](t)(st.ApplyFindings(ctx, r.ID, nil, []store.Finding{{Vulnerability: "GHSA-aaaa-1111-xxxx", PURL: c.PURL, Severity: "CRITICAL", Data: []byte(`{}`)}}, nil))
				must[*store.VEX](t)(st.SetVEX(ctx, store.VEX{Release: r.ID, Vulnerability: "GHSA-aaaa-1111-xxxx", PURL: c.PURL, Status: "affected", Action: "update", Author: "t"}))
			}
		}
	}
	return orgs
}

var testClock = func() time.Time { return time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) }

func TestWhereUsedAdvisory(t *testing.T) {
	storetest.EachDialect(t, testClock, testWhereUsedAdvisory)
}

func testWhereUsedAdvisory(t *testing.T, st *store.DB) {
	orgs := storeWith(t, st)
	db := vulndbtest.Open(t)
	res, err := WhereUsed(t.Context(), st, db, Query{Advisory: "CVE-2026-1001"})
	if err != nil {
		t.Fatal(err)
	}
	// The fixtures' PYSEC record lists the CVE as an alias too.
	if res.Total != 2 || len(res.Items) != 2 || len(res.Records) != 2 || res.Records[0] != "GHSA-aaaa-1111-xxxx" || res.Records[1] != "PYSEC-2026-77" {
		t.Fatalf("result: %+v", res)
	}
	got := map[string]Item{}
	for _, it := range res.Items {
		got[it.Version] = it
	}
	if it := got["2.4.0"]; it.Organization != "ACME" || it.FindingStatus != FindingOpen || it.VEX != "affected" || !it.Direct {
		t.Errorf("2.4.0: %+v", it)
	}
	if it := got["3.1.0"]; it.Organization != "Globex" || it.FindingStatus != FindingNotMatched || it.VEX != "" {
		t.Errorf("3.1.0: %+v", it)
	}
	// Neither the version that does not parse nor the occurrence without a version is dropped
	// silently.
	if len(res.NotEvaluated) != 2 || res.NotEvaluated[0].Version != "" || !strings.Contains(res.NotEvaluated[0].Reason, "no version") ||
		res.NotEvaluated[1].Version != "not-a-version" || res.NotEvaluated[1].Reason == "" {
		t.Errorf("versions not evaluated: %+v", res.NotEvaluated)
	}
	// One organization sees its own releases only.
	res, err = WhereUsed(t.Context(), st, db, Query{Advisory: "GHSA-aaaa-1111-xxxx", Org: orgs[1]})
	if err != nil || res.Total != 1 || res.Items[0].Organization != "Globex" {
		t.Errorf("Globex's: %+v %v", res, err)
	}
	// Paging runs across the answer.
	res, err = WhereUsed(t.Context(), st, db, Query{Advisory: "GHSA-aaaa-1111-xxxx", Limit: 1, Offset: 1})
	if err != nil || res.Total != 2 || len(res.Items) != 1 || res.Items[0].Version != "3.1.0" {
		t.Errorf("second page: %+v %v", res, err)
	}
	if _, err := WhereUsed(t.Context(), st, db, Query{Advisory: "CVE-1999-0001"}); !errors.Is(err, ErrQuery) {
		t.Errorf("unknown advisory: %v", err)
	}
	if _, err := WhereUsed(t.Context(), st, nil, Query{Advisory: "CVE-2026-1001"}); !errors.Is(err, ErrQuery) {
		t.Errorf("no database: %v", err)
	}
}

func TestWhereUsedComponent(t *testing.T) {
	storetest.EachDialect(t, testClock, testWhereUsedComponent)
}

func testWhereUsedComponent(t *testing.T, st *store.DB) {
	orgs := storeWith(t, st)
	ctx := t.Context()
	res := must[*Result](t)(WhereUsed(ctx, st, nil, Query{PURL: "pkg:pypi/Example_Lib"}))
	if res.Component != "pkg:pypi/example-lib" || res.Total != 6 || len(res.Items) != 6 || len(res.Versions) != 6 {
		t.Fatalf("any version: %+v", res)
	}
	if it := res.Items[1]; it.Version != "2.4.0" || len(it.Findings) != 1 || it.Findings[0].VEX != "affected" || it.Findings[0].Severity != "CRITICAL" {
		t.Errorf("2.4.0's findings: %+v", it)
	}
	res = must[*Result](t)(WhereUsed(ctx, st, nil, Query{PURL: "pkg:pypi/example-lib@3.1.2"}))
	if res.Total != 1 || res.Items[0].Release != "fw-3.1.2" {
		t.Errorf("one version: %+v", res)
	}
	res = must[*Result](t)(WhereUsed(ctx, st, nil, Query{PURL: "pkg:pypi/example-lib", Range: "vers:pypi/>=2.4.1|<3.1.1"}))
	if res.Total != 2 || res.Items[0].Version != "2.4.1" || res.Items[1].Version != "3.1.0" {
		t.Errorf("range: %+v", res)
	}
	if len(res.NotEvaluated) != 2 || res.NotEvaluated[1].Version != "not-a-version" {
		t.Errorf("the versions outside every comparison are not reported: %+v", res.NotEvaluated)
	}
	res = must[*Result](t)(WhereUsed(ctx, st, nil, Query{PURL: "pkg:pypi/example-lib", Org: orgs[0]}))
	if res.Total != 2 {
		t.Errorf("ACME's: %+v", res)
	}
	res = must[*Result](t)(WhereUsed(ctx, st, nil, Query{PURL: "pkg:pypi/example-lib", Limit: 2, Offset: 5}))
	if res.Total != 6 || len(res.Items) != 1 {
		t.Errorf("last page: %+v", res)
	}
	for _, q := range []Query{{}, {PURL: "pkg:pypi/x", Advisory: "CVE-1"}, {PURL: "pkg:pypi/x@1", Range: ">1"}, {PURL: "nonsense"},
		{PURL: "pkg:pypi/x", Range: ">>1"}, {Advisory: "CVE-1", Range: ">1"}} {
		if _, err := WhereUsed(ctx, st, nil, q); !errors.Is(err, ErrQuery) {
			t.Errorf("%+v: %v", q, err)
		}
	}
	// A type without a comparator: every version reported as not evaluated, none selected.
	res = must[*Result](t)(WhereUsed(ctx, st, nil, Query{PURL: "pkg:generic/example-lib", Range: ">=1"}))
	if res.Total != 0 {
		t.Errorf("generic: %+v", res)
	}
}
