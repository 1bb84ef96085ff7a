package store_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/siegel-oss/siegel/internal/ledger"
	"github.com/siegel-oss/siegel/internal/store"
	"github.com/siegel-oss/siegel/internal/store/storetest"
)

// TestRemoveProduct: a product entered by mistake is removed with its releases, kept in the
// ledger (one statement for the product, one per release) and the audit trail; a product with
// evidence (a release's triage decision, a registration with an authority) or a channel
// following it is refused, and nothing of it is removed.
func TestRemoveProduct(t *testing.T) {
	storetest.EachDialect(t, clock, func(t *testing.T, st *store.DB) {
		defer guard(t)
		ctx := t.Context()
		org := must(st.CreateOrganization(ctx, "ACME", "small", false))
		authority := must(st.CreateOrganization(ctx, "BNetzA", "large", true))
		wrong := must(st.CreateProduct(ctx, org.ID, "Home Routr", "router", "default"))
		rel := must(st.CreateRelease(ctx, wrong.ID, "1.0", "", "2031-01"))
		must(st.AddSBOM(ctx, rel.ID, store.SBOMContent{Format: "cyclonedx", SHA256: "aa", Components: []store.Component{{Ref: "1", Name: "zlib", Version: "1.2.13", PURL: "pkg:generic/zlib@1.2.13"}}}))
		f := store.Finding{Vulnerability: "CVE-2026-1", PURL: "pkg:generic/zlib@1.2.13", Severity: "HIGH", Score: 7, Data: []byte(`{}`)}
		must(st.ApplyFindings(ctx, rel.ID, nil, []store.Finding{f}, nil))

		triaged := must(st.CreateProduct(ctx, org.ID, "Camera", "smart-consumer-device", "default"))
		trel := must(st.CreateRelease(ctx, triaged.ID, "2.0", "", "2031-01"))
		must(st.ApplyFindings(ctx, trel.ID, nil, []store.Finding{f}, nil))
		must(st.SetVEX(ctx, store.VEX{Release: trel.ID, Vulnerability: f.Vulnerability, PURL: f.PURL, Status: "affected", Author: "a"}))
		registered := must(st.CreateProduct(ctx, org.ID, "Hub", "router", "default"))
		must(st.RegisterProduct(ctx, org.ID, registered.ID, authority.ID, "user:admin"))
		followed := must(st.CreateProduct(ctx, org.ID, "Plug", "router", "default"))
		must(st.AddChannel(ctx, store.Channel{Organization: org.ID, Kind: "webhook", Target: "https://hooks.example/x", Secret: "0123456789abcdef0123", Events: []string{"finding.new"}, Product: followed.ID}))

		if err := st.RemoveProduct(ctx, wrong.ID, " "); !errors.Is(err, store.ErrNoReason) {
			t.Errorf("removal without a reason: %v", err)
		}
		if err := st.RemoveProduct(ctx, triaged.ID, "x"); !errors.Is(err, store.ErrHasEvidence) || !strings.Contains(err.Error(), "triage decision") {
			t.Errorf("removal of a product with a triaged release: %v", err)
		}
		if _, err := st.Release(ctx, trel.ID); err != nil {
			t.Errorf("a refused removal removed the release: %v", err)
		}
		if err := st.RemoveProduct(ctx, registered.ID, "x"); !errors.Is(err, store.ErrHasEvidence) || !strings.Contains(err.Error(), "registration") {
			t.Errorf("removal of a registered product: %v", err)
		}
		if err := st.RemoveProduct(ctx, followed.ID, "x"); !errors.Is(err, store.ErrConflict) || !strings.Contains(err.Error(), "notification channel") {
			t.Errorf("removal of a product a channel follows: %v", err)
		}
		must(0, st.RemoveProduct(ctx, wrong.ID, "entered twice: the product is Home Router"))
		storetest.KeptCounts(t, st, org.ID, "product removed")
		if _, err := st.Product(ctx, wrong.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("removed product still read: %v", err)
		}
		if _, err := st.Release(ctx, rel.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("removed product's release still read: %v", err)
		}
		types, contents := ledgerTypes(t, st, org.ID, "product/"+itoa(wrong.ID))
		if len(types) != 1 || types[0] != ledger.ProductWithdrawn || !strings.Contains(contents[0], `"releases":["1.0"]`) ||
			!strings.Contains(contents[0], "entered twice") || !strings.Contains(contents[0], `"name":"Home Routr"`) {
			t.Errorf("product ledger: %v %v", types, contents)
		}
		if types, _ := ledgerTypes(t, st, org.ID, "release/"+itoa(rel.ID)); types[len(types)-1] != ledger.ReleaseWithdrawn {
			t.Errorf("release ledger: %v", types)
		}
		if a := must(st.AuditEvents(ctx, org.ID, 1)); a[0].Action != "product.remove" || !strings.Contains(a[0].Detail, "Home Routr with 1 releases — reason: entered twice") {
			t.Errorf("audit: %+v", a)
		}
	})
}

// TestSetUserRole: an administrator changes a user's role, recorded in the audit trail and the
// ledger; the last active administrator keeps the role; a demoted user's tokens with rights
// the new role lacks stop working, the others keep working.
func TestSetUserRole(t *testing.T) {
	storetest.EachDialect(t, clock, func(t *testing.T, st *store.DB) {
		defer guard(t)
		ctx := t.Context()
		org := must(st.CreateOrganization(ctx, "ACME", "small", false))
		admin := must(st.CreateUser(ctx, org.ID, "admin@acme.example", "correct horse battery", "admin"))
		bob := must(st.CreateUser(ctx, org.ID, "bob@acme.example", "bobs battery staple", "psirt"))
		if err := st.SetUserRole(ctx, org.ID, admin.ID, "psirt"); !errors.Is(err, store.ErrLastAdmin) {
			t.Errorf("demoting the only administrator: %v", err)
		}
		if err := st.SetUserRole(ctx, org.ID, bob.ID, "authority"); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("the authority role given to a user: %v", err)
		}
		other := must(st.CreateOrganization(ctx, "Globex", "small", false))
		if err := st.SetUserRole(ctx, other.ID, bob.ID, "admin"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("another organization's administrator changed bob's role: %v", err)
		}
		must(0, st.SetUserRole(ctx, org.ID, bob.ID, "admin"))
		issue := func(role string) string {
			secret, _, err := st.IssueToken(ctx, store.NewToken{Organization: org.ID, Role: role, Name: "bob " + role, User: bob.ID})
			must(0, err)
			return secret
		}
		adminToken, readToken := issue("admin"), issue("read-only")
		// Now there are two administrators: the first may step down.
		must(0, st.SetUserRole(ctx, org.ID, admin.ID, "auditor"))
		if err := st.SetUserRole(ctx, org.ID, bob.ID, "psirt"); !errors.Is(err, store.ErrLastAdmin) {
			t.Errorf("demoting the last administrator: %v", err)
		}
		must(0, st.SetUserRole(ctx, org.ID, admin.ID, "admin"))
		must(0, st.SetUserRole(ctx, org.ID, bob.ID, "auditor"))
		if _, err := st.Authenticate(ctx, adminToken); !errors.Is(err, store.ErrUnauthorized) {
			t.Errorf("a demoted user's admin token still works: %v", err)
		}
		if tok := must(st.Authenticate(ctx, readToken)); tok.Role != "read-only" {
			t.Errorf("the read-only token: %+v", tok)
		}
		types, contents := ledgerTypes(t, st, org.ID, "user/bob@acme.example")
		if len(types) != 2 || types[1] != ledger.UserRoleChanged || !strings.Contains(contents[1], `"old":"admin"`) || !strings.Contains(contents[1], `"new":"auditor"`) {
			t.Errorf("ledger: %v %v", types, contents)
		}
		a := must(st.AuditEvents(ctx, org.ID, 2))
		if a[0].Action != "user.role" || a[0].Detail != "role admin → auditor; 1 API tokens with rights the new role lacks revoked" || a[1].Action != "token.revoke" {
			t.Errorf("audit: %+v", a)
		}
	})
}

func TestMayGrant(t *testing.T) {
	for _, c := range []struct {
		role string
		want []string
	}{
		{"admin", []string{"admin", "psirt", "auditor", "read-only"}},
		{"psirt", []string{"psirt", "read-only"}},
		{"auditor", []string{"auditor", "read-only"}},
		{"read-only", []string{"read-only"}},
		{"authority", nil},
	} {
		if got := store.GrantableRoles(c.role); strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("%s may give %v, want %v", c.role, got, c.want)
		}
	}
}
