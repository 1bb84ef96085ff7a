package server

import (
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/vulndb"
	"github.com/siegel-oss/siegel/internal/vulndb/vulndbtest"
)

// TestStatusPageFeeds checks the database page: each feed with its count and date, a feed never
// loaded shown as missing, and the records an import skipped listed by id.
func TestStatusPageFeeds(t *testing.T) {
	// A database holding OSV records only, as a mirror without the KEV catalogue leaves it.
	db, err := vulndb.Open(t.Context(), t.TempDir(), true)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ImportOSVPath(t.Context(), filepath.Join(vulndbtest.Dir(), "osv"), vulndbtest.Now, nil); err != nil {
		t.Fatal(err)
	}
	vdir := t.TempDir()
	if err := db.Export(t.Context(), filepath.Join(vdir, "vulndb.sqlite")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		vdir  string
		wants []string
		not   []string
	}{
		{"OSV only", vdir,
			// The skipped records are named without the path of the server's files.
			[]string{"OSV 8 2026-", "CISA KEV missing", "FIRST EPSS missing", "ENISA EUVD missing", "2 records skipped",
				"osv:dir:osv BROKEN-1 skipped : broken-record.json: at /affected/0/ranges/0/type", "not-json"},
			nil},
		{"every feed", "", // the fixture database of newEnv: OSV, KEV, EPSS and EUVD
			[]string{"CISA KEV 2 2026-", "kev.json", "FIRST EPSS"},
			[]string{"missing"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *Config) {
				if tc.vdir != "" {
					c.VulnDB = tc.vdir
				}
			})
			acme, _ := e.st.OrganizationByName(t.Context(), "ACME")
			if _, err := e.st.CreateUser(t.Context(), acme.ID, "psirt@acme.example", "correct horse battery", "psirt"); err != nil {
				t.Fatal(err)
			}
			b := e.browser(t)
			b.post("/login", url.Values{"email": {"psirt@acme.example"}, "password": {"correct horse battery"}})
			code, page, _ := b.get("/status")
			got := text(t, page)
			if code != 200 {
				t.Fatalf("status page %d: %s", code, got)
			}
			for _, w := range tc.wants {
				if !strings.Contains(got, w) {
					t.Errorf("status page lacks %q: %s", w, got)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(got, w) {
					t.Errorf("status page says %q: %s", w, got)
				}
			}
		})
	}
}

func TestHidePath(t *testing.T) {
	for in, want := range map[string]string{
		"osv:dir:/srv/mirror/osv": "osv:dir:osv", "../mirror/kev/kev.json": "kev.json", "/srv/m/x.json:2:1": "x.json:2:1",
		"osv:PyPI": "osv:PyPI", "kev": "kev",
	} {
		if got := app.HidePath(in); got != want {
			t.Errorf("hidePath(%q) = %q, want %q", in, got, want)
		}
	}
}
