package conformity

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/siegel-oss/siegel/internal/catalog"
	"github.com/siegel-oss/siegel/internal/store"
)

// Every server role either maps to a role the catalog schema knows, or cannot attest; the
// roles of a fresh install's users (admin, psirt) can attest what the catalogs ask of them.
func TestAttesterRoles(t *testing.T) {
	var schema struct {
		Defs struct {
			Roles struct {
				Items struct {
					Enum []string `json:"enum"`
				} `json:"items"`
			} `json:"roles"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(catalog.Schema(), &schema); err != nil {
		t.Fatal(err)
	}
	catalogRoles := schema.Defs.Roles.Items.Enum
	if len(catalogRoles) == 0 {
		t.Fatal("no roles in the catalog schema")
	}
	want := map[string]string{"admin": "manufacturer-admin", "psirt": "psirt", "auditor": "auditor", "authority": "authority", "read-only": ""}
	for _, role := range store.Roles {
		got, ok := AttesterRole(role)
		w, listed := want[role]
		if !listed {
			t.Errorf("server role %q: decide whether it can attest, and test it here", role)
			continue
		}
		if got != w || ok != (w != "") {
			t.Errorf("AttesterRole(%q) = %q, %v; want %q", role, got, ok, w)
		}
		if ok && !slices.Contains(catalogRoles, got) {
			t.Errorf("%q maps to %q, which the catalog schema does not know", role, got)
		}
	}
	c, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range c.Requirements {
		if r.Level != catalog.Mandatory {
			continue
		}
		for _, role := range []string{"admin", "psirt"} {
			if cr, _ := AttesterRole(role); !slices.Contains(r.Attesters, cr) {
				t.Errorf("%s: a %s cannot attest it (attesters %v)", r.ID, role, r.Attesters)
			}
		}
	}
	// Stored catalog roles read back as themselves.
	for _, r := range catalogRoles {
		if got, ok := AttesterRole(r); !ok || got != r {
			t.Errorf("AttesterRole(%q) = %q, %v", r, got, ok)
		}
	}
}
