package web

import (
	"slices"
	"testing"

	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/store"
)

// FuzzSSORole: whatever an ID token says (e-mail address, groups of any JSON shape), the role
// is one of the configured ones or the sign-on is refused; never a panic.
func FuzzSSORole(f *testing.F) {
	f.Add("pia@acme.example", "siegel-psirt", true)
	f.Add("no-at-sign", "", false)
	f.Add("@", "admins", true)
	f.Add("x@ACME.EXAMPLE", "staff", false)
	cfg := &app.OIDCConfig{AllowedDomains: []string{"acme.example"}, GroupRoles: map[string]string{"siegel-psirt": "psirt", "admins": "admin"}}
	f.Fuzz(func(t *testing.T, email, group string, asList bool) {
		claims := map[string]any{"groups": group}
		if asList {
			claims["groups"] = []any{group, 7, nil}
		}
		role, err := ssoRole(cfg, email, claims)
		if err == nil && !slices.Contains(store.InviteRoles, role) {
			t.Errorf("role %q for %q in %q", role, email, group)
		}
	})
}
