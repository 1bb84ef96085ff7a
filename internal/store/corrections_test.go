package store_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/ledger"
	"github.com/siegel-oss/siegel/internal/store"
	"github.com/siegel-oss/siegel/internal/store/storetest"
)

// movable is a clock the test sets.
type movable struct{ t time.Time }

func (m *movable) now() time.Time { return m.t }

// failure carries an unexpected error from must to guard.
type failure struct{ err error }

// must returns v, or ends the test (through guard) when err is not nil.
func must[T any](v T, err error) T {
	if err != nil {
		panic(failure{err})
	}
	return v
}

// guard, deferred by a test, fails it with the error must met.
func guard(t *testing.T) {
	if r := recover(); r != nil {
		if f, ok := r.(failure); ok {
			t.Fatal(f.err)
		}
		panic(r)
	}
}

// ledgerTypes lists the types of the ledger statements about subject, in log order, with
// their revealed contents.
func ledgerTypes(t *testing.T, st *store.DB, org int64, subject string) (types []string, contents []string) {
	b := must(st.LedgerBundle(t.Context(), org, subject, true))
	for _, e := range b.Entries {
		types = append(types, e.Statement.Type)
		contents = append(contents, string(e.Content))
	}
	return types, contents
}

// TestCorrections: editing a product and a release and removing or replacing an SBOM need a
// reason, keep the old and new values in the audit trail and the ledger, and (for SBOMs) take the
// components out and queue the release's matching.
func TestCorrections(t *testing.T) {
	storetest.EachDialect(t, clock, func(t *testing.T, st *store.DB) {
		defer guard(t)
		ctx := store.WithActor(t.Context(), "user:lead@acme.example")
		org := must(st.CreateOrganization(ctx, "ACME", "small", false))
		prod := must(st.CreateProduct(ctx, org.ID, "HomeRoutr", "router", "default"))
		if _, err := st.EditProduct(ctx, prod.ID, store.ProductEdit{Name: "HomeRouter", CRAClass: "important-i"}, "  "); !errors.Is(err, store.ErrNoReason) {
			t.Fatalf("edit without a reason: %v", err)
		}
		must(st.CreateProduct(ctx, org.ID, "Hub", "router", "default"))
		storetest.KeptCounts(t, st, org.ID, "before the rename")
		p := must(st.EditProduct(ctx, prod.ID, store.ProductEdit{Name: "HomeRouter", CRAClass: "important-i"}, "typo in the name; class per Annex III 2.1"))
		storetest.KeptCounts(t, st, org.ID, "after the rename") // the portfolio shows and sorts by the new name
		if p.Name != "HomeRouter" || p.CRAClass != "important-i" || p.Category != "router" {
			t.Errorf("product after edit: %+v", p)
		}
		types, contents := ledgerTypes(t, st, org.ID, "product/"+itoa(prod.ID))
		if len(types) != 1 || types[0] != ledger.ProductCorrected || !strings.Contains(contents[0], `"old":"HomeRoutr"`) || !strings.Contains(contents[0], "Annex III 2.1") {
			t.Errorf("product ledger: %v %v", types, contents)
		}

		rel := must(st.CreateRelease(ctx, prod.ID, "1.0", "2026-01-05", "2031-01"))
		rel2 := must(st.CreateRelease(ctx, prod.ID, "1.1", "", "2031-06"))
		edit := *rel
		edit.Version, edit.SupportEnd = "1.0.1", "2032-02"
		if _, err := st.EditRelease(ctx, edit, ""); !errors.Is(err, store.ErrNoReason) {
			t.Fatalf("edit without a reason: %v", err)
		}
		bad := edit
		bad.SupportEnd = "2032-13"
		if _, err := st.EditRelease(ctx, bad, "x"); err == nil {
			t.Error("support end 2032-13 accepted")
		}
		clash := edit
		clash.Version = rel2.Version
		if _, err := st.EditRelease(ctx, clash, "x"); !errors.Is(err, store.ErrConflict) {
			t.Errorf("renaming onto another release's version: %v", err)
		}
		got := must(st.EditRelease(ctx, edit, "the support end was mistyped"))
		if got.Version != "1.0.1" || got.SupportEnd != "2032-02" || got.PlacedOnMarket != "2026-01-05" {
			t.Errorf("release after edit: %+v", got)
		}
		types, contents = ledgerTypes(t, st, org.ID, "release/"+itoa(rel.ID))
		last := contents[len(contents)-1]
		if types[len(types)-1] != ledger.ReleaseCorrected || !strings.Contains(last, `{"field":"supportEnd","old":"2031-01","new":"2032-02"}`) || !strings.Contains(last, "mistyped") {
			t.Errorf("release ledger: %v %s", types, last)
		}
		audit := must(st.AuditEvents(ctx, org.ID, 20))
		var edits []string
		for _, e := range audit {
			if strings.HasSuffix(e.Action, ".edit") {
				edits = append(edits, e.Actor+" "+e.Action+" "+e.Detail)
			}
		}
		want := []string{
			`user:lead@acme.example release.edit version "1.0" -> "1.0.1"; supportEnd "2031-01" -> "2032-02" — reason: the support end was mistyped`,
			`user:lead@acme.example product.edit name "HomeRoutr" -> "HomeRouter"; craClass "default" -> "important-i" — reason: typo in the name; class per Annex III 2.1`,
		}
		if strings.Join(edits, "\n") != strings.Join(want, "\n") {
			t.Errorf("audit:\n%s\nwant\n%s", strings.Join(edits, "\n"), strings.Join(want, "\n"))
		}

		// SBOMs: remove one, replace another.
		a := must(st.AddSBOM(ctx, rel.ID, store.SBOMContent{Format: "cyclonedx", SHA256: "aa", Components: []store.Component{{Ref: "1", Name: "openssl", Version: "3.0.1", PURL: "pkg:generic/openssl@3.0.1"}}}))
		b := must(st.AddSBOM(ctx, rel.ID, store.SBOMContent{Format: "spdx", SHA256: "bb", Components: []store.Component{{Ref: "1", Name: "zlib", Version: "1.2.13", PURL: "pkg:generic/zlib@1.2.13"}}}))
		if err := st.RemoveSBOM(ctx, rel.ID, a.ID, ""); !errors.Is(err, store.ErrNoReason) {
			t.Fatalf("remove without a reason: %v", err)
		}
		if err := st.RemoveSBOM(ctx, rel2.ID, a.ID, "wrong release"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("removing another release's SBOM: %v", err)
		}
		if err := st.RemoveSBOM(ctx, rel.ID, a.ID, "uploaded to the wrong release"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.ReplaceSBOM(ctx, rel.ID, b.ID, "newer build", store.SBOMContent{Format: "spdx", SHA256: "bb"}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("replacing an SBOM by itself: %v", err)
		}
		c := must(st.ReplaceSBOM(ctx, rel.ID, b.ID, "rebuilt with zlib 1.3.1", store.SBOMContent{Format: "spdx", SHA256: "cc", Components: []store.Component{{Ref: "1", Name: "zlib", Version: "1.3.1", PURL: "pkg:generic/zlib@1.3.1"}}}))
		comps := must(st.ReleaseComponents(ctx, rel.ID))
		if len(comps) != 1 || comps[0].PURL != "pkg:generic/zlib@1.3.1" {
			t.Errorf("components after remove and replace: %+v", comps)
		}
		sboms := must(st.SBOMs(ctx, rel.ID))
		if len(sboms) != 1 || sboms[0].ID != c.ID {
			t.Errorf("SBOMs: %+v", sboms)
		}
		if pending := must(st.Pending(ctx, "match-release/"+itoa(rel.ID))); !pending {
			t.Error("no matching queued after the SBOM changes")
		}
		types, contents = ledgerTypes(t, st, org.ID, "release/"+itoa(rel.ID))
		var withdrawn []string
		for i, ty := range types {
			if ty == ledger.SBOMWithdrawn {
				withdrawn = append(withdrawn, contents[i])
			}
		}
		if len(withdrawn) != 2 || !strings.Contains(withdrawn[0], `"purl":"pkg:generic/openssl@3.0.1"`) || !strings.Contains(withdrawn[0], "wrong release") ||
			!strings.Contains(withdrawn[1], "replaced by SBOM "+itoa(c.ID)+": rebuilt with zlib 1.3.1") || !strings.Contains(withdrawn[1], "zlib@1.2.13") {
			t.Errorf("withdrawals in the ledger: %v", withdrawn)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestTriageCarriesOver: a decision about a package version carries to the later releases of the
// product that contain it, marked inherited with its origin; a release's own statement overrides
// it; an expired suppression leaves the finding open (and counted) again; comments are kept.
func TestTriageCarriesOver(t *testing.T) {
	clk := &movable{t: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
	storetest.EachDialect(t, clk.now, func(t *testing.T, st *store.DB) {
		defer guard(t)
		clk.t = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
		ctx := t.Context()
		org := must(st.CreateOrganization(ctx, "ACME", "small", false))
		prod := must(st.CreateProduct(ctx, org.ID, "R", "router", "default"))
		other := must(st.CreateProduct(ctx, org.ID, "S", "router", "default"))
		r1 := must(st.CreateRelease(ctx, prod.ID, "1", "", "2031-01"))
		r2 := must(st.CreateRelease(ctx, prod.ID, "2", "", "2031-01"))
		r3 := must(st.CreateRelease(ctx, prod.ID, "3", "", "2031-01"))
		o1 := must(st.CreateRelease(ctx, other.ID, "1", "", "2031-01"))
		same := store.Finding{Vulnerability: "CVE-2026-1", PURL: "pkg:npm/a@1.0.0", Severity: "HIGH", Score: 7.5, Data: []byte(`{"aliases":["GHSA-aaaa-bbbb-cccc"]}`)}
		newer := store.Finding{Vulnerability: "CVE-2026-1", PURL: "pkg:npm/a@1.0.1", Severity: "HIGH", Score: 7.5, Data: []byte(`{}`)}
		for _, x := range []struct {
			rel int64
			f   store.Finding
		}{{r1.ID, same}, {r2.ID, same}, {r3.ID, newer}, {o1.ID, same}} {
			must(st.ApplyFindings(ctx, x.rel, nil, []store.Finding{x.f}, nil))
		}
		key := store.VEXKey{Vulnerability: same.Vulnerability, PURL: same.PURL}
		must(st.SetVEX(ctx, store.VEX{Release: r1.ID, Vulnerability: key.Vulnerability, PURL: key.PURL, Status: "not_affected",
			Justification: "vulnerable_code_not_present", Author: "lead@acme.example"}))
		eff := must(st.EffectiveVEX(ctx, r2.ID))
		if v, ok := eff[key]; !ok || !v.Inherited || v.Release != r1.ID || v.Author != "lead@acme.example" || v.Status != "not_affected" {
			t.Errorf("release 2 does not inherit release 1's decision: %+v", eff)
		}
		if eff := must(st.EffectiveVEX(ctx, r3.ID)); len(eff) != 0 {
			t.Errorf("release 3 has another version of the package, yet inherits: %+v", eff)
		}
		if eff := must(st.EffectiveVEX(ctx, o1.ID)); len(eff) != 0 {
			t.Errorf("another product inherits: %+v", eff)
		}
		if own := must(st.CurrentVEX(ctx, r2.ID)); len(own) != 0 {
			t.Errorf("release 2 has statements of its own: %+v", own)
		}
		storetest.KeptCounts(t, st, org.ID, "inherited decision")
		sums := must(st.ReleaseSummaries(ctx, prod.ID))
		if sums[r1.ID].Total != 0 || sums[r2.ID].Total != 0 || sums[r3.ID].Total != 1 {
			t.Errorf("counts with the inherited decision: %+v", sums)
		}
		occ := must(st.OccurrenceFindings(ctx, []store.ReleasePURL{{Release: r2.ID, PURL: same.PURL}}, nil))
		if fs := occ[store.ReleasePURL{Release: r2.ID, PURL: same.PURL}]; len(fs) != 1 || fs[0].VEX != "not_affected" {
			t.Errorf("where-used does not see the inherited decision: %+v", occ)
		}
		// Release 2 overrides with its own decision.
		must(st.SetVEX(ctx, store.VEX{Release: r2.ID, Vulnerability: key.Vulnerability, PURL: key.PURL, Status: "affected", Action: "update to 2.1", Author: "psirt@acme.example"}))
		if v := must(st.EffectiveVEX(ctx, r2.ID))[key]; v.Inherited || v.Status != "affected" {
			t.Errorf("override: %+v", v)
		}
		storetest.KeptCounts(t, st, org.ID, "override")
		if sums := must(st.ReleaseSummaries(ctx, prod.ID)); sums[r2.ID].Total != 1 {
			t.Errorf("counts after the override: %+v", sums)
		}

		// A suppression with an expiry: in force until it passes, then the finding is open.
		until := clk.t.Add(48 * time.Hour)
		if _, err := st.SetVEX(ctx, store.VEX{Release: o1.ID, Vulnerability: key.Vulnerability, PURL: key.PURL, Status: "not_affected",
			Justification: "inline_mitigations_already_exist", Author: "a", ExpiresAt: ptr(clk.t.Add(-time.Hour))}); err == nil {
			t.Error("a suppression that has already expired was accepted")
		}
		must(st.SetVEX(ctx, store.VEX{Release: o1.ID, Vulnerability: key.Vulnerability, PURL: key.PURL, Status: "not_affected",
			Justification: "inline_mitigations_already_exist", Author: "a", ExpiresAt: &until}))
		if v, ok := must(st.EffectiveVEX(ctx, o1.ID))[key]; !ok || v.ExpiresAt == nil || !v.ExpiresAt.Equal(until) {
			t.Errorf("suppression in force: %+v", v)
		}
		if n := must(st.CountExpiredSuppressions(ctx)); n != 0 {
			t.Errorf("%d expired before their time", n)
		}
		storetest.KeptCounts(t, st, org.ID, "suppression in force")
		if s := must(st.ReleaseSummaries(ctx, other.ID)); s[o1.ID].Total != 0 {
			t.Errorf("suppressed finding counted: %+v", s)
		}
		clk.t = until.Add(time.Second)
		if eff := must(st.EffectiveVEX(ctx, o1.ID)); len(eff) != 0 {
			t.Errorf("expired suppression still in force: %+v", eff)
		}
		if cur := must(st.CurrentVEX(ctx, o1.ID)); len(cur) != 0 {
			t.Errorf("expired suppression still current: %+v", cur)
		}
		if n := must(st.CountExpiredSuppressions(ctx)); n != 1 {
			t.Errorf("expired suppressions counted: %d, want 1", n)
		}
		if n := must(st.CountExpiredSuppressions(ctx)); n != 0 {
			t.Errorf("an expiry counted twice: %d", n)
		}
		storetest.KeptCounts(t, st, org.ID, "suppression expired")
		if s := must(st.ReleaseSummaries(ctx, other.ID)); s[o1.ID].Total != 1 {
			t.Errorf("finding not counted again after its suppression expired: %+v", s)
		}
		if h := must(st.VEXHistory(ctx, o1.ID, key.Vulnerability, key.PURL)); len(h) != 1 || h[0].ExpiresAt == nil {
			t.Errorf("history keeps the expired suppression: %+v", h)
		}

		// Comments.
		if _, err := st.AddComment(ctx, store.Comment{Release: r1.ID, Vulnerability: key.Vulnerability, PURL: key.PURL, Author: "a", Body: "  "}); err == nil {
			t.Error("empty comment accepted")
		}
		must(st.AddComment(ctx, store.Comment{Release: r1.ID, Vulnerability: key.Vulnerability, PURL: key.PURL, Author: "psirt@acme.example", Body: "Vendor confirms the parser is compiled out."}))
		must(st.AddComment(ctx, store.Comment{Release: r1.ID, Vulnerability: key.Vulnerability, PURL: key.PURL, Author: "lead@acme.example", Body: "Agreed."}))
		cs := must(st.Comments(ctx, r1.ID, key.Vulnerability, key.PURL))
		if len(cs) != 2 || cs[0].Author != "psirt@acme.example" || cs[1].Body != "Agreed." {
			t.Errorf("comments: %+v", cs)
		}
		if a := must(st.AuditEvents(ctx, org.ID, 1)); a[0].Action != "finding.comment" || !strings.Contains(a[0].Detail, "Agreed.") {
			t.Errorf("comment not audited: %+v", a)
		}

		// Portfolio search by vulnerability id and alias, and by component.
		_, fs, _, n := mustSearch(t, st, org.ID, "ghsa-aaaa-bbbb-cccc")
		if n != 3 || len(fs) != 3 {
			t.Errorf("search by alias: %d %+v", n, fs)
		}
		_, fs, _, n = mustSearch(t, st, org.ID, "cve-2026-1")
		if n != 4 {
			t.Errorf("search by id: %d %+v", n, fs)
		}
		if _, _, _, n := mustSearch(t, st, org.ID, "CVE-2026"); n != 0 {
			t.Errorf("a prefix of an id matched %d findings", n)
		}
	})
}

func mustSearch(t *testing.T, st *store.DB, org int64, q string) ([]store.SearchHit, []store.SearchHit, int, int) {
	t.Helper()
	c, f, nc, nf, err := st.SearchPortfolio(t.Context(), org, q, 50, 0)
	if err != nil {
		t.Fatal(err)
	}
	return c, f, nc, nf
}

func ptr[T any](v T) *T { return &v }

// TestFindingOrder: every order pages through all findings without overlap.
func TestFindingOrder(t *testing.T) {
	storetest.EachDialect(t, clock, func(t *testing.T, st *store.DB) {
		defer guard(t)
		ctx := t.Context()
		org := must(st.CreateOrganization(ctx, "ACME", "small", false))
		prod := must(st.CreateProduct(ctx, org.ID, "R", "router", "default"))
		rel := must(st.CreateRelease(ctx, prod.ID, "1", "", "2031-01"))
		must(st.AddSBOM(ctx, rel.ID, store.SBOMContent{Format: "cyclonedx", SHA256: "aa", Components: []store.Component{{Ref: "1", Name: "zlib", Version: "1.2.13", PURL: "pkg:generic/zlib@1.2.13"}, {Ref: "2", Name: "OpenSSL", Version: "3.0.1", PURL: "pkg:generic/openssl@3.0.1"}}}))
		var fs []store.Finding
		for i := range 7 {
			fs = append(fs, store.Finding{Vulnerability: "CVE-2026-" + strconv.Itoa(100+i), PURL: "pkg:generic/zlib@1.2.13", Severity: "MEDIUM", Score: float64(i % 3), Exploited: i == 5, Data: []byte(`{}`)})
		}
		must(st.ApplyFindings(ctx, rel.ID, nil, fs, nil))
		for _, sort := range store.FindingSorts {
			for _, rev := range []bool{false, true} {
				var ids []string
				for off := 0; off < 7; off += 3 {
					page, total := must2(st.Findings(ctx, rel.ID, store.FindingFilter{Sort: sort, Reverse: rev, Limit: 3, Offset: off}))
					if total != 7 {
						t.Fatalf("total %d", total)
					}
					for _, f := range page {
						ids = append(ids, f.Vulnerability)
					}
				}
				seen := map[string]bool{}
				for _, id := range ids {
					seen[id] = true
				}
				if len(ids) != 7 || len(seen) != 7 {
					t.Errorf("sort %s reverse %v pages: %v", sort, rev, ids)
				}
				if sort == store.SortFindingID && !rev && ids[0] != "CVE-2026-100" || sort == store.SortFindingID && rev && ids[0] != "CVE-2026-106" {
					t.Errorf("sort %s reverse %v: %v", sort, rev, ids)
				}
				if sort == store.SortFindingRisk && !rev && ids[0] != "CVE-2026-105" {
					t.Errorf("risk order does not put the exploited finding first: %v", ids)
				}
			}
		}
		if err := store.CheckFindingSort("severity; DROP TABLE finding"); err == nil {
			t.Error("unknown sort accepted")
		}
		comps, _, n, _ := mustSearch(t, st, org.ID, "openssl")
		if n != 1 || comps[0].PURL != "pkg:generic/openssl@3.0.1" || comps[0].ReleaseID != rel.ID {
			t.Errorf("search by component name: %d %+v", n, comps)
		}
	})
}

func must2(fs []store.Finding, n int, err error) ([]store.Finding, int) {
	return must(fs, err), n
}

// TestRemoveRelease: a release entered by mistake is removed with its SBOMs and findings, kept
// in the ledger and the audit trail; one that carries evidence (a triage decision) is refused.
func TestRemoveRelease(t *testing.T) {
	storetest.EachDialect(t, clock, func(t *testing.T, st *store.DB) {
		defer guard(t)
		ctx := t.Context()
		org := must(st.CreateOrganization(ctx, "ACME", "small", false))
		prod := must(st.CreateProduct(ctx, org.ID, "R", "router", "default"))
		wrong := must(st.CreateRelease(ctx, prod.ID, "4.2.O", "", "2031-01"))
		kept := must(st.CreateRelease(ctx, prod.ID, "4.2.1", "", "2031-01"))
		b := must(st.AddSBOM(ctx, wrong.ID, store.SBOMContent{Format: "cyclonedx", SHA256: "aa", Components: []store.Component{{Ref: "1", Name: "zlib", Version: "1.2.13", PURL: "pkg:generic/zlib@1.2.13"}}}))
		f := store.Finding{Vulnerability: "CVE-2026-1", PURL: "pkg:generic/zlib@1.2.13", Severity: "HIGH", Score: 7, Data: []byte(`{}`)}
		must(st.ApplyFindings(ctx, wrong.ID, nil, []store.Finding{f}, nil))
		must(st.ApplyFindings(ctx, kept.ID, nil, []store.Finding{f}, nil))
		must(st.SetVEX(ctx, store.VEX{Release: kept.ID, Vulnerability: f.Vulnerability, PURL: f.PURL, Status: "affected", Author: "a"}))
		if err := st.RemoveRelease(ctx, wrong.ID, ""); !errors.Is(err, store.ErrNoReason) {
			t.Errorf("removal without a reason: %v", err)
		}
		if err := st.RemoveRelease(ctx, kept.ID, "x"); !errors.Is(err, store.ErrHasEvidence) {
			t.Errorf("removal of a triaged release: %v", err)
		}
		if err := st.RemoveRelease(ctx, wrong.ID, "version mistyped: 4.2.O for 4.2.0"); err != nil {
			t.Fatal(err)
		}
		storetest.KeptCounts(t, st, org.ID, "release removed")
		if _, err := st.Release(ctx, wrong.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("removed release still read: %v", err)
		}
		if rs := must(st.Releases(ctx, prod.ID)); len(rs) != 1 || rs[0].ID != kept.ID {
			t.Errorf("releases after the removal: %+v", rs)
		}
		if pending := must(st.Pending(ctx, "match-release/"+itoa(wrong.ID))); pending {
			t.Error("the removed release's matching is still queued")
		}
		types, contents := ledgerTypes(t, st, org.ID, "release/"+itoa(wrong.ID))
		last := contents[len(contents)-1]
		if types[len(types)-1] != ledger.ReleaseWithdrawn || !strings.Contains(last, `"sha256":"aa"`) || !strings.Contains(last, "CVE-2026-1 pkg:generic/zlib@1.2.13") ||
			!strings.Contains(last, "4.2.O for 4.2.0") || !strings.Contains(last, `"sbom":`+itoa(b.ID)) {
			t.Errorf("ledger: %v %s", types, last)
		}
		if a := must(st.AuditEvents(ctx, org.ID, 1)); a[0].Action != "release.remove" || !strings.Contains(a[0].Detail, "1 SBOMs, 1 findings in force — reason: version mistyped") {
			t.Errorf("audit: %+v", a)
		}
	})
}
