package store_test

import (
	"database/sql"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/siegel-oss/siegel/internal/catalog"
	"github.com/siegel-oss/siegel/internal/store"
)

// Free-text categories stored before the controlled list are mapped where they name a category
// of it, and otherwise emptied and kept aside, so the product shows as needing a category.
func TestCategoryMigration(t *testing.T) {
	dir := t.TempDir()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "siegel.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("migrations/sqlite/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	if _, err := db.Exec(`CREATE TABLE schema_migration (name TEXT PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if filepath.Base(f) >= "016" {
			break
		}
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(string(body)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if _, err := db.Exec(`INSERT INTO schema_migration (name) VALUES (?)`, filepath.Base(f)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`INSERT INTO organization (id, name, size_class, authority, created_at) VALUES (1, 'ACME', 'small', 0, '2026-01-01 00:00:00')`); err != nil {
		t.Fatal(err)
	}
	stored := map[string]string{
		"R1": "router", "R2": " Router ", "R3": "WiFi Router", "P1": "smart-plug", "P2": "Smart Plug", "C1": "IP camera",
		"S1": "smart-consumer-device", "W1": "Smartwatch", "X1": "industrial controller", "X2": "",
	}
	for name, cat := range stored {
		if _, err := db.Exec(`INSERT INTO product (organization, name, category, cra_class, created_at) VALUES (1, ?, ?, 'default', '2026-01-01 00:00:00')`, name, cat); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	s, err := store.OpenSQLite(t.Context(), dir, clock)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ps, err := s.Products(t.Context(), 1)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][2]string{}
	for _, p := range ps {
		got[p.Name] = [2]string{p.Category, p.CategoryUnmapped}
	}
	want := map[string][2]string{
		"R1": {"router", ""}, "R2": {"router", ""}, "R3": {"router", ""}, "P1": {"smart-plug", ""}, "P2": {"smart-plug", ""},
		"C1": {"camera", ""}, "S1": {"smart-consumer-device", ""}, "W1": {"wearable", ""},
		"X1": {"", "industrial controller"}, "X2": {"", ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("migrated categories (-want +got):\n%s", diff)
	}
}

// The migration's list of valid categories is the catalog's, in both dialects.
func TestCategoryMigrationList(t *testing.T) {
	c, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Sorted(slices.Values(c.CategoryIDs()))
	re := regexp.MustCompile(`(?m)^UPDATE product SET category_unmapped = '' WHERE category IN \(([^)]*)\);$`)
	for _, dialect := range []string{"sqlite", "postgres"} {
		body, err := os.ReadFile("migrations/" + dialect + "/016_product_category.sql")
		if err != nil {
			t.Fatal(err)
		}
		m := re.FindSubmatch(body)
		if m == nil {
			t.Fatalf("%s: no list of valid categories", dialect)
		}
		var got []string
		for _, q := range strings.Split(string(m[1]), ",") {
			got = append(got, strings.Trim(strings.TrimSpace(q), "'"))
		}
		slices.Sort(got)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: categories (-catalog +migration):\n%s", dialect, diff)
		}
	}
}
