package server

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/csaf"
	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/ledger"
	"github.com/siegel-oss/siegel/internal/monitor"
	"github.com/siegel-oss/siegel/internal/notify"
	"github.com/siegel-oss/siegel/internal/server/api"
	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/store"
	"github.com/siegel-oss/siegel/internal/vex"
	"github.com/siegel-oss/siegel/internal/vulndb/vulndbtest"
)

// env is a running server on a real listener (port 0) with two organizations.
type env struct {
	t      *testing.T
	srv    *httptest.Server
	st     *store.DB
	mon    *monitor.Monitor
	tokens map[string]string // name -> secret
	server *Server
}

// drain runs the queued background jobs (matching, deliveries) to the end.
func (e *env) drain() {
	e.t.Helper()
	for {
		ran, err := e.mon.RunOnce(e.t.Context())
		if err != nil {
			e.t.Fatal(err)
		}
		if !ran {
			return
		}
	}
}

func newEnv(t *testing.T, options ...func(*Config)) *env {
	t.Helper()
	st, err := store.OpenSQLite(t.Context(), t.TempDir(), func() time.Time { return time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	// The vulnerability database of the fixtures, copied to a directory the server opens.
	db := vulndbtest.Open(t)
	vdir := t.TempDir()
	if err := db.Export(t.Context(), filepath.Join(vdir, "vulndb.sqlite")); err != nil {
		t.Fatal(err)
	}
	mon := monitor.New(monitor.Config{Store: st, VulnDB: vdir, Poll: 50 * time.Millisecond,
		Webhooks: notify.AddressPolicy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}.Client(10 * time.Second)})
	// The test receivers listen on 127.0.0.1, which webhooks may reach only when allowed.
	cfg := Config{Store: st, VulnDB: vdir, Monitor: mon, ProviderOrg: "ACME", WebhookAllow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	for _, o := range options {
		o(&cfg)
	}
	s := New(cfg)
	t.Cleanup(func() { s.Close() })
	e := &env{t: t, srv: httptest.NewServer(s.Handler()), st: st, mon: mon, tokens: map[string]string{}, server: s}
	t.Cleanup(e.srv.Close)
	for _, tc := range []struct{ name, org, role string }{
		{"acme-admin", "ACME", "admin"}, {"acme-ro", "ACME", "read-only"}, {"globex-admin", "Globex", "admin"}, {"bsi", "BSI", "authority"},
	} {
		o, err := st.OrganizationByName(t.Context(), tc.org)
		if err != nil {
			if o, err = st.CreateOrganization(t.Context(), tc.org, "medium", tc.role == "authority"); err != nil {
				t.Fatal(err)
			}
		}
		secret, _, err := st.CreateToken(t.Context(), o.ID, tc.role, tc.name)
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[tc.name] = secret
	}
	return e
}

// do sends a request as the named token ("" for none) and decodes a JSON answer into out.
func (e *env) do(method, path, who, contentType string, body []byte, out any) int {
	e.t.Helper()
	code, data := e.raw(method, path, who, contentType, body)
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			e.t.Fatalf("%s %s: %v in %s", method, path, err, data)
		}
	}
	return code
}

// raw sends a request as the named token ("" for none) and returns the status and the body.
func (e *env) raw(method, path, who, contentType string, body []byte) (int, []byte) {
	e.t.Helper()
	req, _ := http.NewRequestWithContext(e.t.Context(), method, e.srv.URL+path, bytes.NewReader(body))
	if who != "" {
		req.Header.Set("Authorization", "Bearer "+e.tokens[who])
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

func jsonBody(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

const uploadCDX = `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,
 "metadata":{"component":{"bom-ref":"fw","type":"firmware","name":"HomeRouter","version":"4.2.0"}},
 "components":[
  {"bom-ref":"lib","type":"library","name":"example-lib","version":"2.3.0","purl":"pkg:pypi/example-lib@2.3.0"},
  {"bom-ref":"web","type":"library","name":"example.com/web","version":"v1.9.2","purl":"pkg:golang/example.com/web@v1.9.2"}],
 "dependencies":[{"ref":"fw","dependsOn":["lib"]}]}`

func TestPublicEndpoints(t *testing.T) {
	e := newEnv(t)
	var health map[string]string
	if code := e.do("GET", "/healthz", "", "", nil, &health); code != 200 || health["status"] != "ok" {
		t.Errorf("healthz %d %v", code, health)
	}
	var doc map[string]any
	if code := e.do("GET", "/api/v1/openapi.json", "", "", nil, &doc); code != 200 || doc["openapi"] != "3.1.0" {
		t.Errorf("openapi %d", code)
	}
	e.do("GET", "/api/v1/products", "acme-admin", "", nil, nil)
	if code, _ := e.raw("GET", "/metrics", "", "", nil); code != http.StatusUnauthorized {
		t.Errorf("metrics without a token: %d, want 401", code)
	}
	req, _ := http.NewRequest("GET", e.srv.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+e.tokens["acme-ro"])
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `siegel_http_requests_total{method="GET",route="/api/v1/products",code="200"} 1`) {
		t.Errorf("metrics:\n%s", body)
	}
}

func TestUnauthenticated(t *testing.T) {
	e := newEnv(t)
	s := New(Config{Store: e.st})
	for _, rt := range s.routeTable() {
		if !strings.HasPrefix(rt.Path, "/api/v1/") || rt.Path == "/api/v1/openapi.json" {
			continue
		}
		path := strings.ReplaceAll(rt.Path, "{id}", "1")
		if code := e.do(rt.Method, path, "", "application/json", []byte("{}"), nil); code != http.StatusUnauthorized {
			t.Errorf("%s %s without a token: %d, want 401", rt.Method, path, code)
		}
		e.tokens["forged"] = "sgl_forged"
		if code := e.do(rt.Method, path, "forged", "application/json", []byte("{}"), nil); code != http.StatusUnauthorized {
			t.Errorf("%s %s with a forged token: %d, want 401", rt.Method, path, code)
		}
	}
}

// TestAuthorization walks every endpoint as each kind of caller: one organization never sees or
// changes another's data, read-only tokens never write, an authority reads what was registered
// with it, and never the named components.
func TestAuthorization(t *testing.T) {
	e := newEnv(t)
	var prod app.ProductView
	if code := e.do("POST", "/api/v1/products", "acme-admin", "application/json", jsonBody(map[string]string{"name": "HomeRouter", "category": "router", "craClass": "important-i"}), &prod); code != 201 {
		t.Fatalf("create product: %d", code)
	}
	var rel app.ReleaseView
	if code := e.do("POST", "/api/v1/products/"+itoa(prod.ID)+"/releases", "acme-admin", "application/json", jsonBody(map[string]string{"version": "4.2.0", "supportEnd": "2031-12", "placedOnMarket": "2026-09-01"}), &rel); code != 201 {
		t.Fatalf("create release: %d", code)
	}
	var up map[string]any
	if code := e.do("POST", "/api/v1/releases/"+itoa(rel.ID)+"/sboms", "acme-admin", "application/json", []byte(uploadCDX), &up); code != 201 || up["components"] != float64(2) {
		t.Fatalf("upload: %d %v", code, up)
	}
	p, r := "/api/v1/products/"+itoa(prod.ID), "/api/v1/releases/"+itoa(rel.ID)
	// Before the manufacturer registers the product with it, an authority does not see it.
	for _, path := range []string{p, p + "/releases", r, r + "/findings"} {
		if code := e.do("GET", path, "bsi", "", nil, nil); code != 404 {
			t.Errorf("GET %s as bsi before registration: %d, want 404", path, code)
		}
	}
	if code := e.do("POST", p+"/registrations", "acme-admin", "application/json", jsonBody(map[string]int64{"authority": e.orgID("BSI")}), nil); code != 201 {
		t.Fatalf("register: %d", code)
	}
	cases := []struct {
		method, path, body string
		want               map[string]int // caller -> status
	}{
		{"GET", p, "", map[string]int{"acme-admin": 200, "acme-ro": 200, "globex-admin": 404, "bsi": 200}},
		{"GET", p + "/releases", "", map[string]int{"acme-admin": 200, "acme-ro": 200, "globex-admin": 404, "bsi": 200}},
		{"POST", p + "/releases", `{"version":"4.3.0","supportEnd":"2032-01"}`, map[string]int{"acme-ro": 403, "globex-admin": 404, "bsi": 403, "acme-admin": 201}},
		{"GET", r, "", map[string]int{"acme-admin": 200, "acme-ro": 200, "globex-admin": 404, "bsi": 200}},
		{"GET", r + "/components", "", map[string]int{"acme-admin": 200, "acme-ro": 200, "globex-admin": 404, "bsi": 403}},
		{"GET", r + "/findings", "", map[string]int{"acme-admin": 200, "acme-ro": 200, "globex-admin": 404, "bsi": 200}},
		{"POST", r + "/sboms", uploadCDX, map[string]int{"acme-ro": 403, "globex-admin": 404, "bsi": 403}},
		{"POST", "/api/v1/products", `{"name":"Cam"}`, map[string]int{"acme-ro": 403, "bsi": 403, "globex-admin": 201}},
	}
	for _, c := range cases {
		for _, who := range []string{"acme-ro", "globex-admin", "bsi", "acme-admin"} {
			want, ok := c.want[who]
			if !ok {
				continue
			}
			if code := e.do(c.method, c.path, who, "application/json", []byte(c.body), nil); code != want {
				t.Errorf("%s %s as %s: %d, want %d", c.method, c.path, who, code, want)
			}
		}
	}
	// Lists only ever show the caller's own organization.
	var list struct{ Items []app.ProductView }
	e.do("GET", "/api/v1/products", "globex-admin", "", nil, &list)
	for _, x := range list.Items {
		if x.ID == prod.ID {
			t.Error("Globex sees ACME's product in its list")
		}
	}
}

func TestUploadAndFindings(t *testing.T) {
	e := newEnv(t)
	var prod app.ProductView
	e.do("POST", "/api/v1/products", "acme-admin", "application/json", jsonBody(map[string]string{"name": "HomeRouter"}), &prod)
	var rel app.ReleaseView
	e.do("POST", "/api/v1/products/"+itoa(prod.ID)+"/releases", "acme-admin", "application/json", jsonBody(map[string]string{"version": "1", "supportEnd": "2031-12"}), &rel)
	r := "/api/v1/releases/" + itoa(rel.ID)
	// A broken SBOM is refused with the reader's positioned message and nothing is stored.
	var apiErr apiError
	if code := e.do("POST", r+"/sboms", "acme-admin", "application/json", []byte(`{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"bom-ref":"a","type":"library","name":"a"},{"bom-ref":"a","type":"library","name":"b"}]}`), &apiErr); code != 422 || !strings.Contains(apiErr.Error, "unique bom-ref") {
		t.Errorf("broken upload: %d %+v", code, apiErr)
	}
	var comps struct{ Items []map[string]any }
	e.do("GET", r+"/components", "acme-admin", "", nil, &comps)
	if len(comps.Items) != 0 {
		t.Fatalf("a refused upload stored %d components", len(comps.Items))
	}
	if code := e.do("POST", r+"/sboms", "acme-admin", "application/json", []byte(uploadCDX), nil); code != 201 {
		t.Fatalf("upload %d", code)
	}
	if code := e.do("POST", r+"/sboms", "acme-admin", "application/json", []byte(uploadCDX), &apiErr); code != 409 {
		t.Errorf("the same SBOM again: %d, want 409", code)
	}
	e.drain() // the match queued with the upload
	var fs struct {
		Items []struct {
			ID        string         `json:"id"`
			Exploited map[string]any `json:"exploited"`
		}
	}
	if code := e.do("GET", r+"/findings", "acme-admin", "", nil, &fs); code != 200 {
		t.Fatalf("findings %d", code)
	}
	var ids []string
	for _, f := range fs.Items {
		ids = append(ids, f.ID)
	}
	if !slices.Equal(ids, []string{"CVE-2026-2002", "CVE-2026-1001"}) || fs.Items[0].Exploited == nil {
		t.Errorf("findings %v (exploited first)", ids)
	}
	// JSON only: other media types are refused on JSON endpoints.
	if code := e.do("POST", "/api/v1/products", "acme-admin", "text/plain", []byte(`{"name":"x"}`), nil); code != 415 {
		t.Errorf("text/plain body: %d, want 415", code)
	}
	if code := e.do("POST", "/api/v1/products", "acme-admin", "application/json", []byte(`{"name":"x","extra":1}`), nil); code != 400 {
		t.Errorf("unknown field: %d, want 400", code)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// A source archive is inventoried like 'siegel sbom DIR'; one that tries to leave its root is
// refused and stores nothing.
func TestUploadSourceArchive(t *testing.T) {
	e := newEnv(t)
	var prod app.ProductView
	e.do("POST", "/api/v1/products", "acme-admin", "application/json", jsonBody(map[string]string{"name": "Gateway"}), &prod)
	var rel app.ReleaseView
	e.do("POST", "/api/v1/products/"+itoa(prod.ID)+"/releases", "acme-admin", "application/json", jsonBody(map[string]string{"version": "2", "supportEnd": "2031-12"}), &rel)
	r := "/api/v1/releases/" + itoa(rel.ID)
	archive := func(name, body string) []byte {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		tw := tar.NewWriter(zw)
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
		tw.Write([]byte(body))
		tw.Close()
		zw.Close()
		return buf.Bytes()
	}
	var apiErr apiError
	if code := e.do("POST", r+"/sboms", "acme-admin", "application/json", archive("../../escape/requirements.txt", "example-lib==2.3.0\n"), &apiErr); code != 422 || !strings.Contains(apiErr.Error, "leaves the archive's root") {
		t.Errorf("escaping archive: %d %+v", code, apiErr)
	}
	var up struct{ Components int }
	if code := e.do("POST", r+"/sboms", "acme-admin", "application/json", archive("src/requirements.txt", "example-lib==2.3.0\n"), &up); code != 201 || up.Components != 1 {
		t.Fatalf("source archive upload %d %+v", code, up)
	}
	e.drain()
	var fs struct{ Items []struct{ ID string } }
	e.do("GET", r+"/findings", "acme-admin", "", nil, &fs)
	if len(fs.Items) != 1 || fs.Items[0].ID != "CVE-2026-1001" {
		t.Errorf("findings of the source archive %+v", fs.Items)
	}
}

// A KEV-listed finding on a release on the market opens a reporting case with its clocks; the
// stages are submitted in order; another organization sees nothing of it.
func TestExploitedFindingOpensCase(t *testing.T) {
	e := newEnv(t)
	var prod app.ProductView
	e.do("POST", "/api/v1/products", "acme-admin", "application/json", jsonBody(map[string]string{"name": "HomeRouter"}), &prod)
	var rel app.ReleaseView
	e.do("POST", "/api/v1/products/"+itoa(prod.ID)+"/releases", "acme-admin", "application/json",
		jsonBody(map[string]string{"version": "1", "placedOnMarket": "2026-03-01", "supportEnd": "2031-12"}), &rel)
	if code := e.do("POST", "/api/v1/releases/"+itoa(rel.ID)+"/sboms", "acme-admin", "application/json", []byte(uploadCDX), nil); code != 201 {
		t.Fatalf("upload %d", code)
	}
	e.drain()
	var cases struct{ Items []app.CaseView }
	e.do("GET", "/api/v1/cases", "acme-admin", "", nil, &cases)
	if len(cases.Items) != 1 {
		t.Fatalf("cases %+v", cases.Items)
	}
	c := cases.Items[0]
	aware := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) // the test clock: monitoring learned of it then
	if c.Vulnerability != "CVE-2026-2002" || !c.AwareAt.Equal(aware) || !strings.Contains(c.Evidence, "CISA KEV") ||
		// Reg. 1182/71 Art. 3(1), 3(2)(a): the hour of awareness, 12:00-13:00, is not counted.
		!c.Stages[0].Deadline.Equal(aware.Add(25*time.Hour)) || !c.Stages[1].Deadline.Equal(aware.Add(73*time.Hour)) || c.Stages[2].Pending == "" {
		t.Errorf("case %+v", c)
	}
	if d := c.Stages[1].Draft; d.Product != "HomeRouter" || len(d.Releases) != 1 || d.Manufacturer != "ACME" || len(d.Missing) == 0 {
		t.Errorf("notification draft %+v", d)
	}
	path := "/api/v1/cases/" + itoa(c.ID)
	if code := e.do("GET", path, "globex-admin", "", nil, nil); code != 404 {
		t.Errorf("Globex reading ACME's case: %d", code)
	}
	if code := e.do("POST", path+"/stages/early-warning", "acme-ro", "application/json", []byte(`{"receipt":"X"}`), nil); code != 403 {
		t.Errorf("read-only token submitting: %d", code)
	}
	if code := e.do("POST", path+"/stages/notification", "acme-admin", "application/json", []byte(`{"receipt":"X"}`), nil); code != 400 {
		t.Errorf("notification before the early warning: %d", code)
	}
	var after app.CaseView
	if code := e.do("POST", path+"/stages/early-warning", "acme-admin", "application/json", []byte(`{"receipt":"CSIRT-2026-0042"}`), &after); code != 200 ||
		after.Stages[0].Receipt != "CSIRT-2026-0042" || after.Stages[0].Submitted.IsZero() {
		t.Errorf("submit early warning %d %+v", code, after.Stages[0])
	}
	if code := e.do("POST", path+"/stages/early-warning", "acme-admin", "application/json", []byte(`{"receipt":"again"}`), nil); code != 409 {
		t.Errorf("second early warning: %d", code)
	}
	if code := e.do("POST", path+"/fix-available", "acme-admin", "application/json", []byte(`{"at":"2026-11-22T09:00:00Z"}`), &after); code != 200 ||
		!after.Stages[2].Deadline.Equal(time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC)) { // Mon 7 Dec, 24:00
		t.Errorf("fix available %d: final report due %v", code, after.Stages[2].Deadline)
	}
}

// A release's statements export in every VEX format and import back: an exported document
// re-imported changes nothing; a document from elsewhere applies to the findings it covers.
func TestReleaseVEXExportImport(t *testing.T) {
	const base = "https://siegel.acme.example"
	e := newEnv(t, func(c *Config) { c.BaseURL = base })
	var prod app.ProductView
	e.do("POST", "/api/v1/products", "acme-admin", "application/json", jsonBody(map[string]string{"name": "HomeRouter"}), &prod)
	var rel app.ReleaseView
	e.do("POST", "/api/v1/products/"+itoa(prod.ID)+"/releases", "acme-admin", "application/json", jsonBody(map[string]string{"version": "4.2.0", "supportEnd": "2031-12"}), &rel)
	r := "/api/v1/releases/" + itoa(rel.ID)
	e.do("POST", r+"/sboms", "acme-admin", "application/json", []byte(uploadCDX), nil)
	e.drain()
	if code := e.do("PUT", r+"/findings/CVE-2026-1001/vex", "acme-admin", "application/json",
		jsonBody(map[string]string{"purl": "pkg:pypi/example-lib@2.3.0", "status": "not_affected", "justification": "component_not_present"}), nil); code != 200 {
		t.Fatalf("triage %d", code)
	}
	for _, format := range vex.Formats {
		req, _ := http.NewRequest("GET", e.srv.URL+r+"/vex?format="+format, nil)
		req.Header.Set("Authorization", "Bearer "+e.tokens["acme-admin"])
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("export %s: %v %v", format, err, resp.Status)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		d, got, err := vex.Decode("export", data, input.Limits{})
		if err != nil || got != format || len(d.Statements) != 2 {
			t.Fatalf("export %s: %v %s %d statements\n%s", format, err, got, len(d.Statements), data)
		}
		var res app.VEXImport
		if code := e.do("POST", r+"/vex", "acme-admin", "application/json", data, &res); code != 200 || res.Applied != 0 || res.Unchanged != 2 || len(res.Unmatched) != 0 {
			t.Errorf("re-import %s: %d %+v", format, code, res)
		}
		if format == vex.CSAF {
			// The canonical URL (CSAF 6.2.11) is at the public address and serves the document.
			var doc struct {
				Document struct {
					References []struct{ Category, URL string }
					Tracking   struct{ ID string }
				}
			}
			json.Unmarshal(data, &doc)
			want := base + r + "/vex/acme-vex-" + itoa(rel.ID) + ".json"
			if refs := doc.Document.References; len(refs) != 1 || refs[0].Category != "self" || refs[0].URL != want || doc.Document.Tracking.ID != "ACME-VEX-"+itoa(rel.ID) {
				t.Errorf("CSAF VEX self reference %+v, want %s", doc.Document, want)
			}
			var again map[string]any
			if code := e.do("GET", strings.TrimPrefix(want, base), "acme-admin", "", nil, &again); code != 200 || again["document"] == nil {
				t.Errorf("canonical URL %d", code)
			}
		}
	}
	other := &vex.Document{Author: "ACME PSIRT", Timestamp: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC), Statements: []vex.Statement{
		{Vulnerability: "CVE-2026-2002", Product: "pkg:generic/ACME/HomeRouter", Components: []string{"pkg:golang/example.com/web@v1.9.2"},
			Status: vex.Affected, Action: "Update to 4.2.1"},
		{Vulnerability: "CVE-2026-9999", Product: "pkg:generic/ACME/HomeRouter", Status: vex.Fixed},
	}}
	data, _ := other.Encode(vex.OpenVEX, vex.Publisher{})
	var res app.VEXImport
	if code := e.do("POST", r+"/vex", "acme-admin", "application/json", data, &res); code != 200 || res.Applied != 1 || len(res.Unmatched) != 1 || res.Unmatched[0].Vulnerability != "CVE-2026-9999" {
		t.Errorf("import %d %+v", code, res)
	}
	var fs struct {
		Items []struct {
			ID  string
			VEX *app.VEXView
		}
	}
	e.do("GET", r+"/findings", "acme-admin", "", nil, &fs)
	for _, f := range fs.Items {
		if f.ID == "CVE-2026-2002" && (f.VEX == nil || f.VEX.Status != "affected" || f.VEX.Action != "Update to 4.2.1" || !strings.Contains(f.VEX.Author, "from ACME PSIRT")) {
			t.Errorf("imported statement %+v", f.VEX)
		}
	}
	if code := e.do("POST", r+"/vex", "acme-ro", "application/json", data, nil); code != 403 {
		t.Errorf("read-only import %d", code)
	}
	if code := e.do("POST", r+"/vex", "acme-admin", "application/json", []byte(`{"hello":1}`), nil); code != 422 {
		t.Errorf("not VEX: %d", code)
	}
}

// CRA Art. 13(8): at least five years counted from the day of placing on the market, or, for a
// product expected to be in use for less, the expected use time with what it rests on.
func TestSupportPeriod(t *testing.T) {
	e := newEnv(t)
	var prod app.ProductView
	e.do("POST", "/api/v1/products", "acme-admin", "application/json", jsonBody(map[string]string{"name": "Cam"}), &prod)
	path := "/api/v1/products/" + itoa(prod.ID) + "/releases"
	refused := func(name string, body map[string]any, want string) {
		t.Helper()
		var apiErr apiError
		if code := e.do("POST", path, "acme-admin", "application/json", jsonBody(body), &apiErr); code != 400 || !strings.Contains(apiErr.Error, want) || !strings.Contains(apiErr.Error, "Art. 13(8)") {
			t.Errorf("%s: %d %q, want 400 with %q", name, code, apiErr.Error, want)
		}
	}
	refused("short period without reasons", map[string]any{"version": "1", "placedOnMarket": "2026-01-10", "supportEnd": "2030-11"}, "4 years 10 months 20 days: under five years")
	refused("short period with words only", map[string]any{"version": "1", "placedOnMarket": "2026-01-10", "supportEnd": "2030-11",
		"supportJustification": "Sold for a trade fair season; expected use two years."}, "expected to be in use")
	refused("ten days short of five years", map[string]any{"version": "1", "placedOnMarket": "2026-01-10", "supportEnd": "2030-12"}, "4 years 11 months 21 days")
	refused("an end before placing", map[string]any{"version": "1", "placedOnMarket": "2026-06-10", "supportEnd": "2026-01",
		"supportExpectedUseMonths": 2, "supportBasis": "intended-purpose", "supportJustification": "event"}, "before the product is placed on the market")
	var rel app.ReleaseView
	if code := e.do("POST", path, "acme-admin", "application/json", jsonBody(map[string]any{"version": "1", "placedOnMarket": "2026-01-10", "supportEnd": "2028-01",
		"supportExpectedUseMonths": 24, "supportBasis": "intended-purpose", "supportJustification": "Sold for a trade fair season; used two years."}), &rel); code != 201 ||
		!rel.Support.OK || rel.SupportExpectedUseMonths != 24 || rel.SupportBasis != "intended-purpose" || !strings.Contains(rel.Support.Rule, "third subparagraph") {
		t.Errorf("short period with its structured reason: %d %+v", code, rel)
	}
	if code := e.do("POST", path, "acme-admin", "application/json", jsonBody(map[string]any{"version": "2", "placedOnMarket": "2026-01-10", "supportEnd": "2031-01"}), &rel); code != 201 ||
		rel.SupportMonths != 60 || rel.Support.Length != "5 years 21 days" || len(rel.Support.Warnings) != 0 {
		t.Errorf("five years: %d %+v", code, rel)
	}
	var router app.ProductView
	e.do("POST", "/api/v1/products", "acme-admin", "application/json", jsonBody(map[string]string{"name": "Box", "category": "router"}), &router)
	if code := e.do("POST", "/api/v1/products/"+itoa(router.ID)+"/releases", "acme-admin", "application/json",
		jsonBody(map[string]any{"version": "1", "placedOnMarket": "2026-01-10", "supportEnd": "2031-01"}), &rel); code != 201 || len(rel.Support.Warnings) != 1 || !strings.Contains(rel.Support.Warnings[0], "recital (60)") {
		t.Errorf("a router at the five-year minimum: %d %+v", code, rel.Support)
	}
}

// An advisory is published from the releases' findings and triage, signed, and served by the
// CSAF provider directory with its hash, signature, index, changes and ROLIE feed; publishing
// again revises it.
func TestAdvisoryAndProvider(t *testing.T) {
	const base = "https://siegel.acme.example" // the provider's public address (TLS ends at a proxy)
	e := newEnv(t, func(c *Config) { c.BaseURL = base })
	var prod app.ProductView
	e.do("POST", "/api/v1/products", "acme-admin", "application/json", jsonBody(map[string]string{"name": "HomeRouter"}), &prod)
	for _, v := range []string{"4.2.0", "4.3.0"} {
		var rel app.ReleaseView
		e.do("POST", "/api/v1/products/"+itoa(prod.ID)+"/releases", "acme-admin", "application/json", jsonBody(map[string]string{"version": v, "supportEnd": "2031-12"}), &rel)
		e.do("POST", "/api/v1/releases/"+itoa(rel.ID)+"/sboms", "acme-admin", "application/json", []byte(uploadCDX), nil)
		if v == "4.3.0" {
			e.drain()
			e.do("PUT", "/api/v1/releases/"+itoa(rel.ID)+"/findings/CVE-2026-2002/vex", "acme-admin", "application/json",
				jsonBody(map[string]string{"purl": "pkg:golang/example.com/web@v1.9.2", "status": "fixed"}), nil)
		}
	}
	e.drain()
	var adv api.AdvisoryJSON
	if code := e.do("POST", "/api/v1/products/"+itoa(prod.ID)+"/advisories", "acme-admin", "application/json", jsonBody(map[string]string{"vulnerability": "CVE-2026-2002", "cvss": assessed}), &adv); code != 201 ||
		adv.TrackingID != "ACME-SA-2026-0001" || adv.Version != 1 {
		t.Fatalf("publish %d %+v", code, adv)
	}
	if code := e.do("POST", "/api/v1/products/"+itoa(prod.ID)+"/advisories", "acme-ro", "application/json", jsonBody(map[string]string{"vulnerability": "CVE-2026-2002"}), nil); code != 403 {
		t.Errorf("read-only publish %d", code)
	}
	if code := e.do("POST", "/api/v1/products/"+itoa(prod.ID)+"/advisories", "globex-admin", "application/json", jsonBody(map[string]string{"vulnerability": "CVE-2026-2002"}), nil); code != 404 {
		t.Errorf("Globex publishing for ACME %d", code)
	}
	get := func(path string) string {
		resp, err := http.Get(e.srv.URL + path)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET %s: %v %v", path, err, resp.Status)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	meta := get("/.well-known/csaf/provider-metadata.json")
	var pm struct {
		Role string                              `json:"role"`
		Keys []struct{ Fingerprint, URL string } `json:"public_openpgp_keys"`
	}
	json.Unmarshal([]byte(meta), &pm)
	if pm.Role != "csaf_trusted_provider" || len(pm.Keys) != 1 {
		t.Fatalf("provider metadata %s", meta)
	}
	key := get(strings.TrimPrefix(pm.Keys[0].URL, base))
	docPath := "/.well-known/csaf/white/2026/acme-sa-2026-0001.json"
	doc := get(docPath)
	if err := csaf.Verify(key, []byte(doc), get(docPath+".asc")); err != nil {
		t.Errorf("signature: %v", err)
	}
	if got := get(docPath + ".sha512"); got != csaf.SHA512File([]byte(doc), "acme-sa-2026-0001.json") {
		t.Errorf("sha512 %q", got)
	}
	if !strings.Contains(doc, `"known_affected"`) || !strings.Contains(doc, `"fixed"`) || !strings.Contains(doc, "Update to HomeRouter 4.3.0 (released 2026-11-22) or later") || !strings.Contains(doc, "CISA KEV") {
		t.Errorf("advisory %s", doc)
	}
	if got := get("/.well-known/csaf/white/index.txt"); got != "2026/acme-sa-2026-0001.json\n" {
		t.Errorf("index.txt %q", got)
	}
	if feed := get("/.well-known/csaf/white/csaf-feed-tlp-white.json"); !strings.Contains(feed, docPath) {
		t.Errorf("feed %s", feed)
	}
	if st := get("/.well-known/security.txt"); !strings.Contains(st, "CSAF: "+base+"/.well-known/csaf/provider-metadata.json") {
		t.Errorf("security.txt %s", st)
	}
	e.do("POST", "/api/v1/products/"+itoa(prod.ID)+"/advisories", "acme-admin", "application/json", jsonBody(map[string]string{"vulnerability": "CVE-2026-2002"}), &adv)
	// The revision keeps the severity the first version was given.
	if revised := get(docPath); adv.Version != 2 || !strings.Contains(revised, `"version": "2"`) || !strings.Contains(revised, assessed) {
		t.Errorf("revision %+v", adv)
	}
	// The fixing release is a security update to keep available for ten years (Art. 13(9)).
	acme, _ := e.st.OrganizationByName(t.Context(), "ACME")
	e.st.CreateUser(t.Context(), acme.ID, "psirt@acme.example", "correct horse battery", "psirt")
	b := e.browser(t)
	b.post("/login", url.Values{"email": {"psirt@acme.example"}, "password": {"correct horse battery"}})
	_, page, _ := b.get("/products/" + itoa(prod.ID))
	if pt := text(t, page); !strings.Contains(pt, "4.3.0 security update: keep available until 2036-11") || strings.Contains(pt, "4.2.0 security update") {
		t.Errorf("product page: %s", pt)
	}
}

// The manufacturer's own evidence opens an exploited-vulnerability case by hand.
func TestManualExploitedCase(t *testing.T) {
	e := newEnv(t)
	var prod app.ProductView
	e.do("POST", "/api/v1/products", "acme-admin", "application/json", jsonBody(map[string]string{"name": "Cam"}), &prod)
	var rel, draft app.ReleaseView
	e.do("POST", "/api/v1/products/"+itoa(prod.ID)+"/releases", "acme-admin", "application/json", jsonBody(map[string]string{"version": "1", "placedOnMarket": "2026-02-01", "supportEnd": "2031-12"}), &rel)
	e.do("POST", "/api/v1/products/"+itoa(prod.ID)+"/releases", "acme-admin", "application/json", jsonBody(map[string]string{"version": "2", "supportEnd": "2031-12"}), &draft)
	body := func(release int64) []byte {
		return jsonBody(map[string]any{"type": "exploited", "release": release, "vulnerability": "CVE-2026-7777", "evidence": "honeypot logs 2026-11-21", "awareAt": "2026-11-21T18:00:00Z"})
	}
	var c app.CaseView
	if code := e.do("POST", "/api/v1/cases", "acme-admin", "application/json", body(rel.ID), &c); code != 201 || c.Type != "exploited" ||
		c.Evidence != "manufacturer: honeypot logs 2026-11-21" || !c.Stages[0].Deadline.Equal(time.Date(2026, 11, 22, 19, 0, 0, 0, time.UTC)) {
		t.Errorf("manual case %d %+v", code, c)
	}
	if code := e.do("POST", "/api/v1/cases", "acme-admin", "application/json", body(draft.ID), nil); code != 400 {
		t.Errorf("a release not on the market: %d", code)
	}
	if code := e.do("POST", "/api/v1/cases", "globex-admin", "application/json", body(rel.ID), nil); code != 400 {
		t.Errorf("Globex opening a case on ACME's release: %d", code)
	}
}

// The ledger's checkpoint is public; bundles are per organization and verify offline.
func TestLedgerHTTP(t *testing.T) {
	e := newEnv(t)
	var prod app.ProductView
	e.do("POST", "/api/v1/products", "acme-admin", "application/json", jsonBody(map[string]string{"name": "R"}), &prod)
	var rel app.ReleaseView
	e.do("POST", "/api/v1/products/"+itoa(prod.ID)+"/releases", "acme-admin", "application/json", jsonBody(map[string]string{"version": "1", "supportEnd": "2031-12"}), &rel)
	e.do("POST", "/api/v1/releases/"+itoa(rel.ID)+"/sboms", "acme-admin", "application/json", []byte(uploadCDX), nil)
	resp, err := http.Get(e.srv.URL + "/ledger/checkpoint")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("checkpoint %v %v", err, resp.Status)
	}
	note, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if _, err := ledger.OpenCheckpoint(string(note), resp.Header.Get("Siegel-Ledger-Key")); err != nil {
		t.Errorf("public checkpoint: %v\n%s", err, note)
	}
	var b ledger.Bundle
	if code := e.do("GET", "/api/v1/ledger/bundle?subject=release/"+itoa(rel.ID), "acme-admin", "", nil, &b); code != 200 || len(b.Entries) != 2 || b.Entries[1].Content == nil {
		t.Fatalf("bundle %d %+v", code, b)
	}
	if _, err := ledger.Verify(&b); err != nil {
		t.Errorf("bundle: %v", err)
	}
	var ro ledger.Bundle
	e.do("GET", "/api/v1/ledger/bundle?subject=release/"+itoa(rel.ID), "acme-ro", "", nil, &ro)
	if len(ro.Entries) != 2 || ro.Entries[0].Content != nil {
		t.Errorf("read-only bundle reveals contents: %+v", ro.Entries)
	}
	var g ledger.Bundle
	e.do("GET", "/api/v1/ledger/bundle?subject=release/"+itoa(rel.ID), "globex-admin", "", nil, &g)
	if len(g.Entries) != 0 {
		t.Errorf("Globex sees %d of ACME's statements", len(g.Entries))
	}
}
