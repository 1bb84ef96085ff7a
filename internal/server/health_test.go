package server

import (
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/health"
	"github.com/siegel-oss/siegel/internal/server/app"
)

const healthCDX = `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,
 "metadata":{"component":{"bom-ref":"fw","type":"firmware","name":"HomeRouter","version":"5.0"}},
 "components":[
  {"bom-ref":"a","type":"library","name":"widgetdb","version":"2.7.1","purl":"pkg:npm/widgetdb@2.7.1"},
  {"bom-ref":"b","type":"library","name":"widgetdb","version":"3.10.2","purl":"pkg:npm/widgetdb@3.10.2"},
  {"bom-ref":"c","type":"library","name":"request","version":"2.88.2","purl":"pkg:npm/request@2.88.2"},
  {"bom-ref":"d","type":"library","name":"left-pad","version":"1.3.0","purl":"pkg:npm/left-pad@1.3.0"},
  {"bom-ref":"e","type":"library","name":"openssl-sys","version":"0.9.106","purl":"pkg:cargo/openssl-sys@0.9.106"},
  {"bom-ref":"f","type":"library","name":"bcrypt","version":"5.1.1","purl":"pkg:npm/bcrypt@5.1.1"},
  {"bom-ref":"g","type":"library","name":"node-gyp-build","version":"4.8.0","purl":"pkg:npm/node-gyp-build@4.8.0"},
  {"bom-ref":"h","type":"library","name":"busybox","version":"1.36.1","purl":"pkg:generic/busybox@1.36.1",
   "properties":[{"name":"siegel:extractor","value":"firmware/signature"},{"name":"siegel:size","value":"1000"}]}],
 "dependencies":[{"ref":"f","dependsOn":["g"]}]}`

// healthEnv is a server whose vulnerability-database directory holds the health fixtures of
// internal/health, at a fixed time.
func healthEnv(t *testing.T) *env {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	var dir string
	e := newEnv(t, func(c *Config) { dir, c.Now = c.VulnDB, func() time.Time { return now } })
	ps, date, err := health.ImportEndOfLife(t.Context(), filepath.Join("..", "health", "testdata", "eol"), now, nil)
	if err != nil {
		t.Fatal(err)
	}
	pkgs, err := health.ImportPackages(t.Context(), health.Registries{NPM: filepath.Join("..", "health", "testdata", "registry", "npm")}, nil, now, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := &health.Data{Products: ps, Sources: map[string]time.Time{health.SourceEndOfLife: date}}
	d.AddPackages(pkgs)
	if err := d.Save(dir); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestReleaseHealthAPI(t *testing.T) {
	e := healthEnv(t)
	var prod app.ProductView
	e.do("POST", "/api/v1/products", "acme-admin", "application/json", jsonBody(map[string]string{"name": "HomeRouter"}), &prod)
	var rel app.ReleaseView
	e.do("POST", "/api/v1/products/"+itoa(prod.ID)+"/releases", "acme-admin", "application/json", jsonBody(map[string]string{"version": "5.0", "supportEnd": "2031-12"}), &rel)
	r := "/api/v1/releases/" + itoa(rel.ID)
	if code := e.do("POST", r+"/sboms", "acme-admin", "application/json", []byte(healthCDX), nil); code != 201 {
		t.Fatalf("upload %d", code)
	}
	var h app.ReleaseHealth
	if code := e.do("GET", r+"/health", "acme-admin", "", nil, &h); code != 200 {
		t.Fatalf("health %d", code)
	}
	// WidgetDB 2.7 ended in 2020; WidgetDB 3.10 ends 2030-03-01, before the release's 2031-12-31;
	// request is deprecated; left-pad and openssl-sys are covered by no data here.
	want := map[health.Kind]int{health.EndOfLife: 1, health.Mismatch: 1, health.Deprecated: 1, health.Unknown: 5}
	for k, n := range want {
		if h.Counts[k] != n {
			t.Errorf("%s: %d, want %d (counts %v)", k, h.Counts[k], n, h.Counts)
		}
	}
	if len(h.Problems) != 3 || len(h.Unknown) != 5 {
		t.Errorf("%d problems, %d unknown", len(h.Problems), len(h.Unknown))
	}
	var mismatch *health.Verdict
	for _, p := range h.Problems {
		for _, v := range p.Verdicts {
			if v.Kind == health.Mismatch {
				mismatch = &v
			}
		}
	}
	if mismatch == nil || mismatch.EndOfLife.Format(time.DateOnly) != "2030-03-01" || mismatch.ReleaseSupportEnd.Format(time.DateOnly) != "2031-12-31" {
		t.Errorf("mismatch verdict %+v", mismatch)
	}
	// openssl-sys binds a C library, bcrypt builds a native addon (it depends on node-gyp-build),
	// busybox was found in firmware (C, 1000 bytes); the other npm packages are JavaScript.
	if want := (health.MemoryShare{Safe: 5, NotSafe: 3, NotSafeBytes: 1000}); h.Memory != want {
		t.Errorf("memory share %+v", h.Memory)
	}
	// Another organization sees nothing.
	if code := e.do("GET", r+"/health", "globex-admin", "", nil, nil); code != 404 {
		t.Errorf("globex reads ACME's release health: %d", code)
	}
	var ph struct {
		Items []app.ProductHealthRow `json:"items"`
	}
	if code := e.do("GET", "/api/v1/products/"+itoa(prod.ID)+"/health", "acme-ro", "", nil, &ph); code != 200 || len(ph.Items) != 1 ||
		ph.Items[0].Counts[health.EndOfLife] != 1 || ph.Items[0].Components != 8 {
		t.Errorf("product health %d %+v", code, ph.Items)
	}

	// The release page shows the section with both dates of the mismatch.
	acme, _ := e.st.OrganizationByName(t.Context(), "ACME")
	if _, err := e.st.CreateUser(t.Context(), acme.ID, "psirt@acme.example", "correct horse battery", "psirt"); err != nil {
		t.Fatal(err)
	}
	b := e.browser(t)
	if code, _, _ := b.post("/login", url.Values{"email": {"psirt@acme.example"}, "password": {"correct horse battery"}}); code != http.StatusSeeOther {
		t.Fatalf("login %d", code)
	}
	if code, page, _ := b.get("/products/" + itoa(prod.ID)); code != 200 || !strings.Contains(text(t, page), "Component health Release Components End of life") ||
		!strings.Contains(text(t, page), "5.0 8 1 1 1 0 0 5 5 of 8 (3 not, 0 unknown)") {
		t.Errorf("product page (%d):\n%s", code, text(t, page))
	}
	code, page, _ := b.get("/releases/" + itoa(rel.ID))
	txt := text(t, page)
	for _, s := range []string{"Component health", "1 end of life", "1 supported for less than the release (until 2031-12)",
		"end of life 2030-03-01 · release supported until 2031-12-31", "Memory safety: 5 memory-safe, 3 not", "0 bytes memory-safe, 1000 not", "endoflife.date of 2025-09-01"} {
		if !strings.Contains(txt, s) {
			t.Errorf("release page (%d) lacks %q:\n%s", code, s, txt)
		}
	}
}
