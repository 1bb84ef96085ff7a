// Package storetest is the behaviour every store dialect must show, run against SQLite and
// against a real PostgreSQL by the store's tests.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/siegel-oss/siegel/internal/store"
)

// Run runs the suite; open returns a fresh, empty store for each subtest.
func Run(t *testing.T, open func(t *testing.T) *store.DB) {
	for name, test := range map[string]func(*testing.T, *store.DB){
		"Inventory":         testInventory,
		"Errors":            testErrors,
		"ConcurrentUploads": testConcurrentUploads,
		"WhereUsed":         testWhereUsed,
		"UsersAndTokens":    testUsersAndTokens,
		"VEX":               testVEX,
		"Findings":          testFindings,
		"Jobs":              testJobs,
		"JobGenerations":    testJobGenerations,
		"Queue":             testQueue,
		"PortfolioPaging":   testPortfolioPaging,
		"Channels":          testChannels,
		"Audit":             testAudit,
		"Cases":             testCases,
		"CaseDetails":       testCaseDetails,
		"Establishment":     testEstablishment,
		"ProductChannel":    testProductChannel,
		"Ledger":            testLedger,
		"LedgerComplete":    testLedgerComplete,
		"LedgerLegacy":      testLedgerLegacy,
		"Labels":            testLabels,
		"Coverage":          testCoverage,
		"Portfolio":         testPortfolio,
		"ComponentFacts":    testComponentFacts,
		"LoginThrottle":     testLoginThrottle,
		"Rollouts":          testRollouts,
		"JobResults":        testJobResults,
		"Accounts":          testAccounts,
		"SSOUsers":          testSSOUsers,
		"TOTP":              testTOTP,
		"Registrations":     testRegistrations,
		"LabRuns":           testLabRuns,
		"JobResultsOnce":    testJobResultsOnce,
		"ProductSummary":    testProductSummary,
		"CoverageTotals":    testCoverageTotals,
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if r := recover(); r != nil {
					if f, ok := r.(failure); ok {
						t.Fatal(f.err)
					}
					panic(r)
				}
			}()
			test(t, open(t))
		})
	}
}

// failure carries an unexpected error out of must to the subtest, which fails with it.
type failure struct{ err error }

// must returns v, or ends the subtest when err is not nil (on the test's own goroutine only).
func must[T any](v T, err error) T {
	if err != nil {
		panic(failure{err})
	}
	return v
}

func testInventory(t *testing.T, s *store.DB) {
	ctx := t.Context()
	org := must(s.CreateOrganization(ctx, "ACME Networks GmbH", "medium", false))
	prod := must(s.CreateProduct(ctx, org.ID, "HomeRouter X1", "router", "important-i"))
	rel := must(s.CreateRelease(ctx, prod.ID, "4.2.0", "2026-09-01", "2031-12"))
	got := must(s.Release(ctx, rel.ID))
	if diff := cmp.Diff(rel, got); diff != "" {
		t.Errorf("release read back (-want +got):\n%s", diff)
	}
	comps := []store.Component{
		{Ref: "busybox", Name: "busybox", Version: "1.36.1", PURL: "pkg:generic/busybox@1.36.1", Direct: true},
		{Ref: "openssl", Name: "openssl", Version: "3.0.13", PURL: "pkg:generic/openssl@3.0.13", Direct: true},
		{Ref: "zlib", Name: "zlib", Version: "1.3.1", PURL: "pkg:generic/zlib@1.3.1"},
	}
	b := must(s.AddSBOM(ctx, rel.ID, store.SBOMContent{Format: "cyclonedx-json", SHA256: "aa11", Components: comps}))
	if b.Components != 3 || b.ID == 0 {
		t.Errorf("SBOM %+v", b)
	}
	if diff := cmp.Diff(comps, must(s.ReleaseComponents(ctx, rel.ID))); diff != "" {
		t.Errorf("components (-want +got):\n%s", diff)
	}
	unplaced := must(s.CreateRelease(ctx, prod.ID, "4.3.0-beta", "", "2032-06"))
	if got := must(s.Release(ctx, unplaced.ID)); got.PlacedOnMarket != "" {
		t.Errorf("placed on market %q", got.PlacedOnMarket)
	}
}

func testErrors(t *testing.T, s *store.DB) {
	ctx := t.Context()
	org := must(s.CreateOrganization(ctx, "ACME", "small", false))
	if _, err := s.CreateOrganization(ctx, "ACME", "small", false); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate organization: %v, want ErrConflict", err)
	}
	if _, err := s.CreateProduct(ctx, org.ID+1000, "x", "router", "default"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("product of a missing organization: %v, want ErrNotFound", err)
	}
	if _, err := s.Release(ctx, 424242); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing release: %v, want ErrNotFound", err)
	}
	prod := must(s.CreateProduct(ctx, org.ID, "Cam", "camera", "default"))
	if _, err := s.CreateRelease(ctx, prod.ID, "1.0", "", "2031-13"); err == nil {
		t.Error("support end month 13 accepted")
	}
	rel := must(s.CreateRelease(ctx, prod.ID, "1.0", "", "2031-12"))
	// An upload that fails half-way stores nothing: duplicate refs violate the unique constraint.
	bad := []store.Component{{Ref: "a", Name: "a", PURL: "pkg:generic/a@1"}, {Ref: "a", Name: "a2", PURL: "pkg:generic/a2@1"}}
	if _, err := s.AddSBOM(ctx, rel.ID, store.SBOMContent{Format: "cyclonedx-json", SHA256: "bb22", Components: bad}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("SBOM with duplicate refs: %v, want ErrConflict", err)
	}
	if comps := must(s.ReleaseComponents(ctx, rel.ID)); len(comps) != 0 {
		t.Errorf("a failed upload left %d components", len(comps))
	}
	if _, err := s.AddSBOM(ctx, rel.ID, store.SBOMContent{Format: "cyclonedx-json", SHA256: "bb22", Components: bad[:1]}); err != nil {
		t.Errorf("the same SBOM after a failed upload: %v", err)
	}
}

// testConcurrentUploads uploads SBOMs to one release from many goroutines: every distinct SBOM is
// stored exactly once, duplicates are conflicts, nothing is lost.
func testConcurrentUploads(t *testing.T, s *store.DB) {
	ctx := t.Context()
	org := must(s.CreateOrganization(ctx, "Org", "large", false))
	prod := must(s.CreateProduct(ctx, org.ID, "P", "router", "default"))
	rel := must(s.CreateRelease(ctx, prod.ID, "1", "", "2030-01"))
	const workers, distinct = 20, 5
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := w % distinct
			comps := make([]store.Component, 100)
			for i := range comps {
				comps[i] = store.Component{Ref: fmt.Sprint(i), Name: fmt.Sprintf("c%d-%d", n, i), Version: "1", PURL: fmt.Sprintf("pkg:generic/c%d-%d@1", n, i)}
			}
			_, errs[w] = s.AddSBOM(context.Background(), rel.ID, store.SBOMContent{Format: "cyclonedx-json", SHA256: fmt.Sprintf("digest-%d", n), Components: comps})
		}()
	}
	wg.Wait()
	ok, conflicts := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, store.ErrConflict):
			conflicts++
		default:
			t.Errorf("upload failed: %v", err)
		}
	}
	if ok != distinct || conflicts != workers-distinct {
		t.Errorf("%d stored, %d conflicts; want %d and %d", ok, conflicts, distinct, workers-distinct)
	}
	if n := len(must(s.ReleaseComponents(ctx, rel.ID))); n != distinct*100 {
		t.Errorf("%d components stored, want %d", n, distinct*100)
	}
}

func testWhereUsed(t *testing.T, s *store.DB) {
	ctx := t.Context()
	for i, org := range []string{"ACME", "Globex"} {
		o := must(s.CreateOrganization(ctx, org, "medium", false))
		p := must(s.CreateProduct(ctx, o.ID, "Router", "router", "important-i"))
		r := must(s.CreateRelease(ctx, p.ID, "2.0", "", "2031-01"))
		comps := []store.Component{
			{Ref: "x", Name: "lodash", Version: fmt.Sprintf("4.17.%d", 20+i), PURL: fmt.Sprintf("pkg:npm/lodash@4.17.%d", 20+i)},
			{Ref: "y", Name: "lodash_es", Version: "4.17.21", PURL: "pkg:npm/lodash_es@4.17.21"},
		}
		must(s.AddSBOM(ctx, r.ID, store.SBOMContent{Format: "spdx-json", SHA256: "d" + org, Components: comps}))
	}
	want := []store.Where{
		{Organization: "ACME", Product: "Router", Release: "2.0", Version: "4.17.20"},
		{Organization: "Globex", Product: "Router", Release: "2.0", Version: "4.17.21"},
	}
	if diff := cmp.Diff(want, must(s.WhereUsed(ctx, "pkg:npm/lodash"))); diff != "" {
		t.Errorf("where used, any version (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want[1:], must(s.WhereUsed(ctx, "pkg:npm/lodash@4.17.21"))); diff != "" {
		t.Errorf("where used, one version (-want +got):\n%s", diff)
	}
	// '_' in a purl is not a wildcard: lodash_es is not lodashXes.
	if got := must(s.WhereUsed(ctx, "pkg:npm/lodashXes")); len(got) != 0 {
		t.Errorf("wildcard leaked: %v", got)
	}
}

func testUsersAndTokens(t *testing.T, s *store.DB) {
	ctx := t.Context()
	org := must(s.CreateOrganization(ctx, "ACME", "small", false))
	if _, err := s.CreateUser(ctx, org.ID, "psirt@acme.example", "short", "psirt"); err == nil {
		t.Error("a short password was accepted")
	}
	must(s.CreateUser(ctx, org.ID, "PSIRT@acme.example", "correct horse battery", "psirt"))
	if _, _, err := s.Login(ctx, "psirt@acme.example", "wrong password!!", time.Hour); !errors.Is(err, store.ErrBadLogin) {
		t.Errorf("wrong password: %v", err)
	}
	if _, _, err := s.Login(ctx, "nobody@acme.example", "correct horse battery", time.Hour); !errors.Is(err, store.ErrBadLogin) {
		t.Errorf("unknown user: %v", err)
	}
	secret, u, err := s.Login(ctx, " psirt@ACME.example", "correct horse battery", time.Hour)
	if err != nil || u.Role != "psirt" || u.OrgName != "ACME" {
		t.Fatalf("login: %+v %v", u, err)
	}
	if got := must(s.SessionUser(ctx, secret)); got.ID != u.ID {
		t.Errorf("session user %+v", got)
	}
	must(0, s.Logout(ctx, secret))
	if _, err := s.SessionUser(ctx, secret); !errors.Is(err, store.ErrUnauthorized) {
		t.Errorf("session after logout: %v", err)
	}
	expired, _ := must2(s.Login(ctx, "psirt@acme.example", "correct horse battery", -time.Second))
	if _, err := s.SessionUser(ctx, expired); !errors.Is(err, store.ErrUnauthorized) {
		t.Errorf("expired session: %v", err)
	}
	tok, _ := must2(s.CreateToken(ctx, org.ID, "read-only", "ci"))
	if got := must(s.Authenticate(ctx, tok)); got.Role != "read-only" || got.Organization != org.ID {
		t.Errorf("token %+v", got)
	}
	if _, err := s.Authenticate(ctx, tok+"x"); !errors.Is(err, store.ErrUnauthorized) {
		t.Errorf("wrong token: %v", err)
	}
	if _, _, err := s.CreateToken(ctx, org.ID, "root", "x"); err == nil {
		t.Error("unknown role accepted")
	}
}

func must2[A, B any](a A, b B, err error) (A, B) {
	if err != nil {
		panic(failure{err})
	}
	return a, b
}

func testVEX(t *testing.T, s *store.DB) {
	ctx := t.Context()
	org := must(s.CreateOrganization(ctx, "ACME", "small", false))
	prod := must(s.CreateProduct(ctx, org.ID, "R", "router", "default"))
	rel := must(s.CreateRelease(ctx, prod.ID, "1", "", "2031-01"))
	key := store.VEXKey{Vulnerability: "CVE-2026-1001", PURL: "pkg:pypi/example-lib@2.3.0"}
	if _, err := s.SetVEX(ctx, store.VEX{Release: rel.ID, Vulnerability: key.Vulnerability, PURL: key.PURL, Status: "not_affected", Author: "a"}); err == nil {
		t.Error("not_affected without a justification accepted")
	}
	if _, err := s.SetVEX(ctx, store.VEX{Release: rel.ID, Vulnerability: key.Vulnerability, PURL: key.PURL, Status: "maybe", Author: "a"}); err == nil {
		t.Error("unknown status accepted")
	}
	must(s.SetVEX(ctx, store.VEX{Release: rel.ID, Vulnerability: key.Vulnerability, PURL: key.PURL, Status: "under_investigation", Author: "psirt@acme.example"}))
	must(s.SetVEX(ctx, store.VEX{Release: rel.ID, Vulnerability: key.Vulnerability, PURL: key.PURL, Status: "not_affected",
		Justification: "vulnerable_code_not_in_execute_path", Author: "lead@acme.example"}))
	cur := must(s.CurrentVEX(ctx, rel.ID))
	if v := cur[key]; v.Status != "not_affected" || v.Author != "lead@acme.example" || len(cur) != 1 {
		t.Errorf("current %+v", cur)
	}
	hist := must(s.VEXHistory(ctx, rel.ID, key.Vulnerability, key.PURL))
	if len(hist) != 2 || hist[0].Status != "under_investigation" {
		t.Errorf("history %+v", hist)
	}
}
