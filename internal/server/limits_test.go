package server

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/server/api"
	"github.com/siegel-oss/siegel/internal/server/app"
)

// newProductRelease creates a product and a release as acme-admin and returns the release's id.
func (e *env) newProductRelease(name, version string) int64 {
	e.t.Helper()
	var prod app.ProductView
	if code := e.do("POST", "/api/v1/products", "acme-admin", "application/json", jsonBody(map[string]string{"name": name}), &prod); code != 201 {
		e.t.Fatalf("create product: %d", code)
	}
	var rel app.ReleaseView
	if code := e.do("POST", "/api/v1/products/"+itoa(prod.ID)+"/releases", "acme-admin", "application/json", jsonBody(map[string]string{"version": version, "supportEnd": "2031-12"}), &rel); code != 201 {
		e.t.Fatalf("create release: %d", code)
	}
	return rel.ID
}

// serveReal serves s with its own http.Server (the time limits are the server's, which
// httptest does not set) and returns its address.
func serveReal(t *testing.T, s *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := s.HTTPServer()
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	return ln.Addr().String()
}

// TestSlowBodyClosed: a client that announces a body and never sends it loses the connection
// after the read limit, whether or not it is authenticated; an authenticated upload that is slow
// but keeps sending gets the longer upload limit.
func TestSlowBodyClosed(t *testing.T) {
	e := newEnv(t)
	relID := e.newProductRelease("Router", "1.0")
	s := New(Config{Store: e.st, ReadTimeout: 300 * time.Millisecond, WriteTimeout: 5 * time.Second, UploadTimeout: time.Minute})
	addr := serveReal(t, s)
	for _, path := range []string{"/login", "/api/v1/products"} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{", path)
		c.SetReadDeadline(time.Now().Add(20 * time.Second))
		n, err := io.Copy(io.Discard, c)
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Errorf("%s: the server kept a connection with a stalled body open (read %d bytes)", path, n)
		}
		c.Close()
	}

	// An authenticated upload trickling in over more than the read limit still succeeds.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	body := uploadCDX
	fmt.Fprintf(c, "POST /api/v1/releases/%d/sboms HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", relID, e.tokens["acme-admin"], len(body))
	for i := 0; i < 4; i++ {
		time.Sleep(150 * time.Millisecond)
		io.WriteString(c, body[i*len(body)/4:(i+1)*len(body)/4])
	}
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("slow authenticated upload: %v", err)
	}
	if resp.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(resp.Body)
		t.Errorf("slow authenticated upload: %d %s", resp.StatusCode, b)
	}
}

// TestUploadCap: with every upload slot taken, another upload is answered 503 with Retry-After.
func TestUploadCap(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxUploads = 1 })
	relID := e.newProductRelease("Router", "1.0")
	// Hold the only slot with an upload whose body is still coming.
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/releases/"+itoa(relID)+"/sboms", pr)
	req.Header.Set("Authorization", "Bearer "+e.tokens["acme-admin"])
	req.Header.Set("Content-Type", "application/json")
	done := make(chan int)
	go func() {
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	io.WriteString(pw, uploadCDX[:10])
	// The client sends the first bytes before the handler runs: wait until it holds the slot.
	for deadline := time.Now().Add(30 * time.Second); len(e.server.Uploads) == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the first upload never took its slot")
		}
	}
	req2, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/releases/"+itoa(relID)+"/sboms", strings.NewReader(uploadCDX))
	req2.Header.Set("Authorization", "Bearer "+e.tokens["acme-admin"])
	req2.Header.Set("Content-Type", "application/json")
	resp, err := e.srv.Client().Do(req2)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("second upload: %d Retry-After %q, want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	io.WriteString(pw, uploadCDX[10:])
	pw.Close()
	if code := <-done; code != http.StatusCreated {
		t.Errorf("first upload: %d", code)
	}
	// The slot is free again.
	if code := e.do("POST", "/api/v1/releases/"+itoa(relID)+"/sboms", "acme-admin", "application/json", []byte(strings.Replace(uploadCDX, "4.2.0", "4.2.1", 1)), nil); code != http.StatusCreated {
		t.Errorf("upload after the first finished: %d", code)
	}
}

// TestTruncatedUpload: a body that ends before its Content-Length is a bad request, not one
// too large.
func TestTruncatedUpload(t *testing.T) {
	e := newEnv(t)
	relID := e.newProductRelease("Router", "1.0")
	addr := strings.TrimPrefix(e.srv.URL, "http://")
	for _, path := range []string{"sboms", "firmware"} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "POST /api/v1/releases/%d/%s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
			relID, path, e.tokens["acme-admin"], len(uploadCDX)+100, uploadCDX)
		c.(*net.TCPConn).CloseWrite()
		c.SetReadDeadline(time.Now().Add(20 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "ended before") {
			t.Errorf("%s: truncated upload: %d %s, want 400", path, resp.StatusCode, b)
		}
		c.Close()
	}
	// Over the limit is still 413.
	small := newEnv(t, func(c *Config) { c.MaxUpload = 100 })
	relID = small.newProductRelease("Router", "1.0")
	if code := small.do("POST", "/api/v1/releases/"+itoa(relID)+"/sboms", "acme-admin", "application/json", []byte(uploadCDX), nil); code != http.StatusRequestEntityTooLarge {
		t.Errorf("upload over the limit: %d, want 413", code)
	}
}

func TestEmptyFirmwareRefused(t *testing.T) {
	e := newEnv(t)
	relID := e.newProductRelease("Router", "1.0")
	code, body := e.raw("POST", "/api/v1/releases/"+itoa(relID)+"/firmware", "acme-admin", "application/octet-stream", nil)
	if code != http.StatusBadRequest || !strings.Contains(string(body), "empty") {
		t.Errorf("empty image: %d %s, want 400", code, body)
	}
	if _, err := e.st.LatestFirmwareAnalysis(t.Context(), relID); err == nil {
		t.Error("an empty image was stored as an analysis")
	}
}

func TestNamesRefuseControlCharacters(t *testing.T) {
	e := newEnv(t)
	for _, name := range []string{"Router\r\nBcc: x@example.com", "Cam\x00", "Tab\tbed", "", strings.Repeat("x", 300)} {
		var out apiError
		if code := e.do("POST", "/api/v1/products", "acme-admin", "application/json", jsonBody(map[string]string{"name": name}), &out); code != http.StatusBadRequest || out.Error == "" {
			t.Errorf("product name %q: %d %q, want 400 with a reason", name, code, out.Error)
		}
	}
	relID := e.newProductRelease("Router ünïcode", "1.0")
	_ = relID
	var prods struct {
		Items []app.ProductView `json:"items"`
	}
	e.do("GET", "/api/v1/products", "acme-admin", "", nil, &prods)
	var out apiError
	if code := e.do("POST", "/api/v1/products/"+itoa(prods.Items[0].ID)+"/releases", "acme-admin", "application/json", jsonBody(map[string]string{"version": "1.1\n", "supportEnd": "2031-12"}), &out); code != http.StatusBadRequest || !strings.Contains(out.Error, "control character") {
		t.Errorf("release version with a line break: %d %q", code, out.Error)
	}
}

func TestConsistencyProofRange(t *testing.T) {
	e := newEnv(t)
	for q, want := range map[string]int{"from=0&to=10": 400, "from=5&to=2": 400, "from=1&to=1000000": 404, "from=x&to=1": 400} {
		code, body := e.raw("GET", "/ledger/consistency?"+q, "", "", nil)
		if code != want || len(body) == 0 {
			t.Errorf("%s: %d %s, want %d with a reason", q, code, body, want)
		}
	}
}

// TestWebhookChannelAddresses: by default a channel to an internal address is refused; the
// explicit allowance lets it through. A read-only caller sees that a delivery failed, not what the
// receiver answered.
func TestWebhookChannelAddresses(t *testing.T) {
	strict := newEnv(t, func(c *Config) { c.WebhookAllow = nil })
	for _, target := range []string{"http://127.0.0.1:9/x", "http://localhost:9/x", "http://169.254.169.254/latest/meta-data/", "http://[::1]/", "http://10.0.0.5/"} {
		var out apiError
		if code := strict.do("POST", "/api/v1/channels", "acme-admin", "application/json", jsonBody(map[string]any{"kind": "webhook", "target": target, "secret": "0123456789abcdef0123", "events": []string{"finding.new"}}), &out); code != http.StatusBadRequest || !strings.Contains(out.Error, "address") {
			t.Errorf("%s: %d %q, want 400", target, code, out.Error)
		}
	}
	if code := strict.do("POST", "/api/v1/channels", "acme-admin", "application/json", jsonBody(map[string]any{"kind": "webhook", "target": "https://hooks.example.com/x", "secret": "0123456789abcdef0123", "events": []string{"finding.new"}}), nil); code != http.StatusCreated {
		t.Errorf("public webhook: %d", code)
	}

	e := newEnv(t, func(c *Config) { c.WebhookAllow = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")} })
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "db password is hunter2", http.StatusInternalServerError)
	}))
	defer recv.Close()
	var ch struct{ ID int64 }
	if code := e.do("POST", "/api/v1/channels", "acme-admin", "application/json", jsonBody(map[string]any{"kind": "webhook", "target": recv.URL, "secret": "0123456789abcdef0123", "events": []string{"finding.new"}}), &ch); code != http.StatusCreated {
		t.Fatalf("allowed loopback webhook: %d", code)
	}
	if code := e.do("POST", "/api/v1/channels/"+itoa(ch.ID)+"/test", "acme-admin", "", nil, nil); code != http.StatusAccepted {
		t.Fatalf("test: %d", code)
	}
	e.drain()
	for who, wantReply := range map[string]bool{"acme-admin": true, "acme-ro": false} {
		var ns struct {
			Items []api.NotificationJSON `json:"items"`
		}
		e.do("GET", "/api/v1/notifications", who, "", nil, &ns)
		if len(ns.Items) != 1 || !strings.Contains(ns.Items[0].LastError, "500") {
			t.Fatalf("%s: %+v, want one failed delivery", who, ns.Items)
		}
		if got := strings.Contains(ns.Items[0].LastError, "hunter2"); got != wantReply {
			t.Errorf("%s sees %q", who, ns.Items[0].LastError)
		}
	}
}

// TestHostileUploads: a zip bomb and a tar.gz bomb are refused while they unpack, with the
// ratio named; an SBOM with two components arrays is refused with the position of the second.
func TestHostileUploads(t *testing.T) {
	e := newEnv(t)
	relID := e.newProductRelease("Router", "1.0")
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	f, _ := zw.Create("src/zeros.txt")
	f.Write(make([]byte, 64<<20))
	zw.Close()
	var tbuf bytes.Buffer
	gz := gzip.NewWriter(&tbuf)
	tw := tar.NewWriter(gz)
	tw.WriteHeader(&tar.Header{Name: "zeros.bin", Mode: 0o644, Size: 64 << 20, Typeflag: tar.TypeReg})
	tw.Write(make([]byte, 64<<20))
	tw.Close()
	gz.Close()
	for name, body := range map[string][]byte{"zip": zbuf.Bytes(), "tar.gz": tbuf.Bytes()} {
		var out apiError
		if code := e.do("POST", "/api/v1/releases/"+itoa(relID)+"/sboms", "acme-admin", "application/octet-stream", body, &out); code != http.StatusUnprocessableEntity || !strings.Contains(out.Error, "times its own size") {
			t.Errorf("%s bomb (%d bytes): %d %q", name, len(body), code, out.Error)
		}
	}
	// The same tar.gz as a firmware image meets the same budget: its analysis job fails.
	if job := e.firmwareJob("/api/v1/releases/"+itoa(relID), "acme-admin", tbuf.Bytes()); job.State != "failed" || !strings.Contains(job.Error, "limit") {
		t.Errorf("firmware bomb: %s %q", job.State, job.Error)
	}
	var out apiError
	dup := strings.Replace(uploadCDX, `"dependencies"`, `"components":[],`+"\n"+`"dependencies"`, 1)
	if code := e.do("POST", "/api/v1/releases/"+itoa(relID)+"/sboms", "acme-admin", "application/json", []byte(dup), &out); code != http.StatusUnprocessableEntity || !strings.Contains(out.Error, `duplicate key: key "components"`) {
		t.Errorf("duplicate components: %d %q", code, out.Error)
	}
}

// TestWebNamesRefuseControlCharacters: the web form refuses what the API refuses, with the reason.
func TestWebNamesRefuseControlCharacters(t *testing.T) {
	e := newEnv(t)
	acme, _ := e.st.OrganizationByName(t.Context(), "ACME")
	if _, err := e.st.CreateUser(t.Context(), acme.ID, "psirt@acme.example", "correct horse battery", "psirt"); err != nil {
		t.Fatal(err)
	}
	b := e.browser(t)
	b.post("/login", url.Values{"email": {"psirt@acme.example"}, "password": {"correct horse battery"}})
	code, page, _ := b.post("/products", url.Values{"name": {"Router\r\nBcc: x@example.com"}})
	if code != http.StatusBadRequest || !strings.Contains(page, "control character") {
		t.Errorf("web product name with a line break: %d %q", code, page)
	}
	relID := e.newProductRelease("Router", "1.0")
	rel, _ := e.st.Release(t.Context(), relID)
	code, page, _ = b.post("/products/"+itoa(rel.Product)+"/releases", url.Values{"version": {"1.1\x1b[31m"}, "supportEnd": {"2031-12"}})
	if code != http.StatusBadRequest || !strings.Contains(text(t, page), "control character") {
		t.Errorf("web release version with an escape: %d", code)
	}
}

// TestSBOMMemoryBudget: an SBOM whose decoding would exceed the upload memory budget is refused
// before it is decoded; the same document under a larger budget is read.
func TestSBOMMemoryBudget(t *testing.T) {
	small := newEnv(t, func(c *Config) { c.MaxUnpack = int64(len(uploadCDX)) * app.SBOMExpansion / 2 })
	relID := small.newProductRelease("Router", "1.0")
	var out apiError
	if code := small.do("POST", "/api/v1/releases/"+itoa(relID)+"/sboms", "acme-admin", "application/json", []byte(uploadCDX), &out); code != http.StatusUnprocessableEntity || !strings.Contains(out.Error, "--max-unpack") {
		t.Errorf("SBOM over the budget: %d %q", code, out.Error)
	}
	e := newEnv(t, func(c *Config) { c.MaxUnpack = int64(len(uploadCDX)) * app.SBOMExpansion })
	relID = e.newProductRelease("Router", "1.0")
	if code := e.do("POST", "/api/v1/releases/"+itoa(relID)+"/sboms", "acme-admin", "application/json", []byte(uploadCDX), nil); code != http.StatusCreated {
		t.Errorf("SBOM within the budget: %d", code)
	}
}
