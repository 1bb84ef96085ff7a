package server

import (
	"bytes"
	multipartpkg "mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/net/html"

	"github.com/siegel-oss/siegel/internal/label"
	"github.com/siegel-oss/siegel/internal/server/api"
	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/store"
)

func routerEnv(t *testing.T) *env {
	return newEnv(t, withBaseURL, func(c *Config) { c.Now = func() time.Time { return time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) } })
}

// newRelease creates a product of the category and a release of it, returning the release id.
func (e *env) newRelease(name, category string) (app.ProductView, int64) {
	e.t.Helper()
	var prod app.ProductView
	if code := e.do("POST", "/api/v1/products", "acme-admin", "application/json", jsonBody(map[string]string{"name": name, "category": category}), &prod); code != 201 {
		e.t.Fatalf("create product %s (%s): %d", name, category, code)
	}
	var rel app.ReleaseView
	if code := e.do("POST", "/api/v1/products/"+itoa(prod.ID)+"/releases", "acme-admin", "application/json",
		jsonBody(map[string]string{"version": "1.0.0", "placedOnMarket": "2026-03-01", "supportEnd": "2031-12"}), &rel); code != 201 {
		e.t.Fatalf("create release: %d", code)
	}
	return prod, rel.ID
}

type refusal struct {
	Error string   `json:"error"`
	Unmet []string `json:"unmet"`
}

// A smart plug is a consumer IoT device: ETSI EN 303 645 applies to it, so it gets no label
// while its provisions are unchecked. Free text is refused with the list, and a product without
// a category gets no label.
func TestSmartPlugGetsNoLabel(t *testing.T) {
	e := routerEnv(t)
	var bad refusal
	if code := e.do("POST", "/api/v1/products", "acme-admin", "application/json", jsonBody(map[string]string{"name": "Plug", "category": "smart plug"}), &bad); code != 400 ||
		!strings.Contains(bad.Error, `"smart plug"`) || !strings.Contains(bad.Error, "smart-plug") || !strings.Contains(bad.Error, "router") {
		t.Fatalf("free-text category: %d %+v", code, bad)
	}
	plug, rel := e.newRelease("Plug", "smart-plug")
	base := "/api/v1/releases/" + itoa(rel)
	var no refusal
	if code := e.do("POST", base+"/labels", "acme-admin", "application/json", []byte(`{}`), &no); code != 409 ||
		!slices.ContainsFunc(no.Unmet, func(s string) bool { return strings.HasPrefix(s, "etsi-en-303-645/5.1-3 ") }) {
		t.Fatalf("label for an unchecked smart plug: %d %+v", code, no)
	}
	// Declared against the CRA alone, the label would leave out the catalog of its category.
	if code := e.do("POST", base+"/labels", "acme-admin", "application/json", []byte(`{"standards":["cra"]}`), &no); code != 409 || !strings.Contains(no.Error, "etsi-en-303-645") {
		t.Fatalf("label without the category's catalog: %d %+v", code, no)
	}
	e.attestAll(rel, "etsi-en-303-645")
	var l api.LabelJSON
	if code := e.do("POST", base+"/labels", "acme-admin", "application/json", []byte(`{}`), &l); code != 201 || !slices.Equal(l.Standards, []string{"etsi-en-303-645"}) {
		t.Fatalf("label once checked: %d %+v", code, l)
	}
	// Recategorised as a router, the product falls under BSI TR-03148 too, which the label does
	// not cover: the next check suspends it.
	if code := e.do("PUT", "/api/v1/products/"+itoa(plug.ID)+"/category", "acme-admin", "application/json", []byte(`{"category":"router"}`), nil); code != 200 {
		t.Fatalf("recategorise: %d", code)
	}
	if _, err := e.st.Enqueue(t.Context(), "label-check", struct{}{}, "label-check", time.Time{}); err != nil {
		t.Fatal(err)
	}
	e.drain()
	if e.do("GET", "/api/v1/labels/"+l.ID, "acme-admin", "", nil, &l); l.Status != "suspended" || !strings.Contains(l.Reason, "bsi-tr-03148") {
		t.Errorf("after recategorising: %s %q", l.Status, l.Reason)
	}

	// A product without a category (created so, or stored as free text before the list).
	prod, rel2 := e.newRelease("Gadget", "")
	if !prod.NeedsCategory {
		t.Errorf("product without a category: %+v", prod)
	}
	if code := e.do("POST", "/api/v1/releases/"+itoa(rel2)+"/labels", "acme-admin", "application/json", []byte(`{"standards":["etsi-en-303-645"]}`), &no); code != 409 ||
		!strings.Contains(no.Error, "no category") || !strings.Contains(no.Error, "smart-plug") {
		t.Fatalf("label without a category: %d %+v", code, no)
	}
}

// ETSI EN 303 645 provision 4-1: without the record of why each recommendation not applied is
// not, a label citing the standard is refused.
func TestProvision41BlocksLabel(t *testing.T) {
	e := routerEnv(t)
	_, rel := e.newRelease("Cam", "camera")
	base := "/api/v1/releases/" + itoa(rel)
	e.attestAllBut(rel, "etsi-en-303-645", "etsi-en-303-645/4-1")
	var no refusal
	if code := e.do("POST", base+"/labels", "acme-admin", "application/json", []byte(`{}`), &no); code != 409 ||
		len(no.Unmet) != 1 || !strings.HasPrefix(no.Unmet[0], "etsi-en-303-645/4-1 (4-1): needs-attestation") {
		t.Fatalf("label without 4-1: %d %+v", code, no)
	}
	// 4-1 asks for the record itself: a name and a digest are not enough.
	att := map[string]any{"requirement": "etsi-en-303-645/4-1", "document": "ics.pdf", "sha256": strings.Repeat("ab", 32), "signedBy": "Ada Lovelace"}
	if code := e.do("POST", base+"/attestations", "acme-admin", "application/json", jsonBody(att), &no); code != 400 || !strings.Contains(no.Error, "record of justifications") {
		t.Fatalf("4-1 without its document: %d %+v", code, no)
	}
	delete(att, "sha256")
	att["content"] = []byte("%PDF-1.4 conformance statement")
	if code := e.do("POST", base+"/attestations", "acme-admin", "application/json", jsonBody(att), nil); code != 201 {
		t.Fatalf("4-1 with its document: %d", code)
	}
	if code := e.do("POST", base+"/labels", "acme-admin", "application/json", []byte(`{}`), nil); code != 201 {
		t.Fatalf("label with 4-1: %d", code)
	}
}

// The attesting role is the token's, mapped to the catalog's; a role claimed in the request is
// ignored.
func TestAttestationRoleFromToken(t *testing.T) {
	e := routerEnv(t)
	_, rel := e.newRelease("Cam", "camera")
	acme, _ := e.st.OrganizationByName(t.Context(), "ACME")
	psirt, _, err := e.st.CreateToken(t.Context(), acme.ID, "psirt", "acme-psirt")
	if err != nil {
		t.Fatal(err)
	}
	e.tokens["acme-psirt"] = psirt
	base := "/api/v1/releases/" + itoa(rel) + "/attestations"
	for _, tc := range []struct{ token, claim, want string }{
		{"acme-admin", "psirt", "manufacturer-admin"},
		{"acme-admin", "auditor", "manufacturer-admin"},
		{"acme-psirt", "authority", "psirt"},
		{"acme-psirt", "", "psirt"},
	} {
		var got api.AttestationJSON
		body := jsonBody(map[string]any{"requirement": "etsi-en-303-645/5.1-3", "document": "crypto.pdf", "content": []byte("x"), "signedBy": "Ada", "role": tc.claim})
		if code := e.do("POST", base, tc.token, "application/json", body, &got); code != 201 || got.Role != tc.want {
			t.Errorf("%s claiming %q: %d role %q, want %s", tc.token, tc.claim, code, got.Role, tc.want)
		}
	}
	stored, err := e.st.Attestations(t.Context(), rel)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range stored {
		if a.Role != "manufacturer-admin" && a.Role != "psirt" {
			t.Errorf("stored role %q", a.Role)
		}
	}
	if code := e.do("POST", base, "acme-ro", "application/json", jsonBody(map[string]any{"requirement": "etsi-en-303-645/5.1-3", "document": "x.pdf", "content": []byte("x"), "signedBy": "Ro"}), nil); code != 403 {
		t.Errorf("read-only token attesting: %d", code)
	}
}

// A fresh install's admin attests in the web UI and the verdict changes; an attestation the
// catalog asks a document for is refused without one, and the page says why.
func TestWebAdminAttests(t *testing.T) {
	e := routerEnv(t)
	acme, _ := e.st.OrganizationByName(t.Context(), "ACME")
	if _, err := e.st.CreateUser(t.Context(), acme.ID, "admin@acme.example", "correct horse battery", "admin"); err != nil {
		t.Fatal(err)
	}
	_, rel := e.newRelease("Cam", "camera")
	b := e.browser(t)
	if code, _, _ := b.post("/login", url.Values{"email": {"admin@acme.example"}, "password": {"correct horse battery"}}); code != http.StatusSeeOther {
		t.Fatalf("login %d", code)
	}
	path := "/releases/" + itoa(rel) + "/conformity"
	result := func(req string) string {
		t.Helper()
		_, page, _ := b.get(path)
		return verdictResult(t, page, req)
	}
	if got := result("etsi-en-303-645/5.1-3"); got != "needs-attestation" {
		t.Fatalf("before: %s", got)
	}
	upload := func(req, file string, content []byte) (int, string) {
		var body bytes.Buffer
		mw := attestationForm(&body, req, file, content)
		r, _ := http.NewRequest("POST", e.srv.URL+"/releases/"+itoa(rel)+"/attestations", &body)
		r.Header.Set("Content-Type", mw)
		code, _, h := b.send(r)
		return code, h.Get("Location")
	}
	if code, loc := upload("etsi-en-303-645/5.1-3", "crypto.pdf", []byte("%PDF-1.4")); code != http.StatusSeeOther || strings.Contains(loc, "error=") {
		t.Fatalf("attest: %d %s", code, loc)
	}
	if got := result("etsi-en-303-645/5.1-3"); got != "pass" {
		t.Fatalf("after the admin attested: %s", got)
	}
	code, loc := upload("etsi-en-303-645/4-1", "", nil)
	if code != http.StatusSeeOther || !strings.Contains(loc, "error=") {
		t.Fatalf("4-1 without its document: %d %s", code, loc)
	}
	_, page, _ := b.get(loc)
	if txt := text(t, page); !strings.Contains(txt, "needs the document itself") || !strings.Contains(txt, "record of justifications") {
		t.Errorf("the refusal is not shown:\n%s", txt)
	}
	if got := result("etsi-en-303-645/4-1"); got != "needs-attestation" {
		t.Errorf("4-1: %s", got)
	}
	// TR-03148's references were not checked against its text; the page and the API say so.
	_, page, _ = b.get(path + "?standard=bsi-tr-03148")
	if n := len(elements(t, page, func(n *html.Node) bool { return attr(n, "class") == "tag unverified" })); n != 31 {
		t.Errorf("%d references marked unverified on the page, want 31", n)
	}
	// The page shows every catalog by default (as the API does); ETSI's references are verified.
	_, page, _ = b.get(path + "?standard=etsi-en-303-645")
	if strings.Contains(page, "tag unverified") {
		t.Error("an ETSI provision marked unverified")
	}
	var ev app.EvaluationView
	e.do("GET", "/api/v1/releases/"+itoa(rel)+"/conformity?standard=bsi-tr-03148", "acme-admin", "", nil, &ev)
	for _, v := range ev.Verdicts {
		if !v.Unverified {
			t.Errorf("%s: unverified not set in the API", v.Requirement)
		}
	}
}

// attestationForm writes the attestation form as a browser sends it and returns its content type.
func attestationForm(body *bytes.Buffer, requirement, file string, content []byte) string {
	mw := multipartpkg.NewWriter(body)
	mw.WriteField("requirement", requirement)
	if file != "" {
		fw, _ := mw.CreateFormFile("content", file)
		fw.Write(content)
	}
	mw.Close()
	return mw.FormDataContentType()
}

// verdictResult finds the result shown for a requirement in the conformity page's table.
func verdictResult(t *testing.T, page, requirement string) string {
	t.Helper()
	rows := elements(t, page, func(n *html.Node) bool { return n.Data == "tr" && attr(n, "id") == requirement })
	if len(rows) != 1 {
		t.Fatalf("%d rows for %s", len(rows), requirement)
	}
	for _, n := range elementsUnder(rows[0], func(n *html.Node) bool { return n.Data == "span" && strings.HasPrefix(attr(n, "class"), "verdict ") }) {
		if n.FirstChild != nil {
			return n.FirstChild.Data
		}
	}
	return ""
}

// elements parses page and returns its elements for which keep holds, in document order.
func elements(t *testing.T, page string, keep func(*html.Node) bool) []*html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	return elementsUnder(doc, keep)
}

func elementsUnder(root *html.Node, keep func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && keep(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
	return out
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// The category is changed on the product, with its history; an unknown one is refused with the
// list.
func TestProductCategoryChange(t *testing.T) {
	e := routerEnv(t)
	prod, _ := e.newRelease("Gadget", "")
	path := "/api/v1/products/" + itoa(prod.ID) + "/category"
	var bad refusal
	if code := e.do("PUT", path, "acme-admin", "application/json", []byte(`{"category":"gadget"}`), &bad); code != 400 || !strings.Contains(bad.Error, "smart-plug") {
		t.Errorf("unknown category: %d %+v", code, bad)
	}
	if code := e.do("PUT", path, "acme-ro", "application/json", []byte(`{"category":"camera"}`), nil); code != 403 {
		t.Errorf("read-only: %d", code)
	}
	if code := e.do("PUT", path, "globex-admin", "application/json", []byte(`{"category":"camera"}`), nil); code != 404 {
		t.Errorf("another manufacturer: %d", code)
	}
	var got app.ProductView
	if code := e.do("PUT", path, "acme-admin", "application/json", []byte(`{"category":"camera"}`), &got); code != 200 || got.Category != "camera" || got.NeedsCategory {
		t.Fatalf("set: %d %+v", code, got)
	}
	var list struct{ Items []api.CategoryJSON }
	if e.do("GET", "/api/v1/categories", "acme-ro", "", nil, &list); !slices.ContainsFunc(list.Items, func(c api.CategoryJSON) bool {
		return c.ID == "router" && slices.Equal(c.Catalogs, []string{"etsi-en-303-645", "bsi-tr-03148"})
	}) {
		t.Errorf("categories %+v", list.Items)
	}

	// The web form, as an admin; the change is in the ledger and the audit trail.
	acme, _ := e.st.OrganizationByName(t.Context(), "ACME")
	e.st.CreateUser(t.Context(), acme.ID, "admin@acme.example", "correct horse battery", "admin")
	b := e.browser(t)
	b.post("/login", url.Values{"email": {"admin@acme.example"}, "password": {"correct horse battery"}})
	// A product without a category is shown as needing one, on the portfolio and on its page.
	widget, _ := e.newRelease("Widget", "")
	if _, page, _ := b.get("/"); !strings.Contains(text(t, page), "Widget needs a category") {
		t.Errorf("portfolio:\n%s", text(t, page))
	}
	if _, page, _ := b.get("/products/" + itoa(widget.ID)); !strings.Contains(text(t, page), "This product needs a category from the list") {
		t.Errorf("product page:\n%s", text(t, page))
	}
	if code, _, h := b.post("/products/"+itoa(prod.ID)+"/category", url.Values{"category": {"smart lock"}}); code != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "error=") {
		t.Errorf("web, unknown category: %d %s", code, h.Get("Location"))
	}
	if code, _, _ := b.post("/products/"+itoa(prod.ID)+"/category", url.Values{"category": {"smart-lock"}}); code != http.StatusSeeOther {
		t.Errorf("web: %d", code)
	}
	if p, err := e.st.Product(t.Context(), prod.ID); err != nil || p.Category != "smart-lock" {
		t.Fatalf("after the web form: %+v %v", p, err)
	}
	bundle, err := e.st.LedgerBundle(t.Context(), acme.ID, "product/"+itoa(prod.ID), false)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, en := range bundle.Entries {
		if en.Statement.Type == "product-category-declared" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d category entries in the ledger, want 2", n)
	}
	audit, _ := e.st.AuditEvents(t.Context(), acme.ID, 50)
	if !slices.ContainsFunc(audit, func(a store.AuditEvent) bool {
		return a.Action == "product.category" && a.Detail == "camera -> smart-lock"
	}) {
		t.Errorf("audit %+v", audit)
	}
}

// TestWebAdminAttestsInBrowser: the same as an admin in Chromium, through the form on the page.
func TestWebAdminAttestsInBrowser(t *testing.T) {
	bin := chromium(t)
	e := routerEnv(t)
	acme, _ := e.st.OrganizationByName(t.Context(), "ACME")
	if _, err := e.st.CreateUser(t.Context(), acme.ID, "admin@acme.example", "correct horse battery", "admin"); err != nil {
		t.Fatal(err)
	}
	_, rel := e.newRelease("Cam", "camera")
	doc := filepath.Join(t.TempDir(), "crypto.pdf")
	os.WriteFile(doc, []byte("%PDF-1.4 cryptography"), 0o644)
	ctx := headless(t, bin, 2*time.Minute)
	row := `tr[id="etsi-en-303-645/5.1-3"]`
	err := chromedp.Do(ctx,
		chromedp.Navigate(e.srv.URL+"/"),
		chromedp.WaitVisible(`input[name=email]`),
		chromedp.SendKeys(`input[name=email]`, "admin@acme.example"),
		chromedp.SendKeys(`input[name=password]`, "correct horse battery"),
		chromedp.Submit(`input[name=password]`),
		chromedp.WaitVisible(`a[href^="/products/"]`),
		chromedp.Navigate(e.srv.URL+"/releases/"+itoa(rel)+"/conformity"),
		chromedp.WaitVisible(row+` .verdict.needs-attestation`),
		chromedp.SetUploadFiles(row+` input[type=file]`, []string{doc}),
		chromedp.Submit(row+` input[type=file]`),
		chromedp.WaitVisible(row+` .verdict.pass`),
	)
	if err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err == nil {
		os.WriteFile(artifact(t, "conformity-attested.png"), shot, 0o644)
	}
}

// labelReason returns a label's current signed statement, verified with the server's key, and
// the reasons its public page shows.
func (e *env) labelReason(id string) (label.Statement, []string) {
	e.t.Helper()
	_, keyPEM := e.raw("GET", "/labels/key.pem", "", "", nil)
	pub, err := label.ParsePublicKey(keyPEM)
	if err != nil {
		e.t.Fatal(err)
	}
	_, env := e.raw("GET", "/label/"+id+"/statement", "", "", nil)
	st, err := label.Verify(env, pub)
	if err != nil {
		e.t.Fatal(err)
	}
	_, page := e.raw("GET", "/label/"+id, "", "", nil)
	var shown []string
	for _, n := range elements(e.t, string(page), func(n *html.Node) bool { return attr(n, "class") == "label-reason" }) {
		if n.FirstChild != nil {
			shown = append(shown, n.FirstChild.Data)
		}
	}
	return st, shown
}

// The reason of a suspension is the same on the label's public page as in its signed statement.
func TestSuspensionReasonOnPage(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	// A ten-year term, so that the label is still in its term when its support ends.
	e := newEnv(t, withBaseURL, func(c *Config) { c.Now = func() time.Time { return now }; c.LabelTermMonths = 120 })
	_, rel := e.newRelease("Cam", "camera")
	base := "/api/v1/releases/" + itoa(rel)
	e.attestAll(rel, "etsi-en-303-645")
	var l api.LabelJSON
	if code := e.do("POST", base+"/labels", "acme-admin", "application/json", []byte(`{}`), &l); code != 201 {
		t.Fatalf("issue %d", code)
	}
	// Support ends: the label is suspended with a signed reason.
	now = time.Date(2032, 1, 2, 0, 0, 0, 0, time.UTC)
	if _, err := e.st.Enqueue(t.Context(), "label-check", struct{}{}, "label-check", time.Time{}); err != nil {
		t.Fatal(err)
	}
	e.drain()
	st, shown := e.labelReason(l.ID)
	if st.Status != label.Suspended || !strings.Contains(st.Reason, "support ended 2031-12") {
		t.Fatalf("statement %s %q", st.Status, st.Reason)
	}
	if len(shown) != 1 || shown[0] != st.Reason {
		t.Errorf("page shows %q; the signed statement says %q", shown, st.Reason)
	}
	var got api.LabelJSON
	e.do("GET", "/api/v1/labels/"+l.ID, "acme-admin", "", nil, &got)
	if got.Reason != st.Reason || got.History[len(got.History)-1].Reason != st.Reason {
		t.Errorf("API reason %q, history %+v; statement %q", got.Reason, got.History, st.Reason)
	}
	if _, page := e.raw("GET", "/label/"+l.ID, "", "", nil); !bytes.Contains(page, []byte("Suspended")) {
		t.Error("page does not say Suspended")
	}
}

// A label suspended for a missed reporting deadline gives, on its public page and in its signed
// statement, the deadline as the manufacturer's Member State counts and writes it. A corrective
// measure available on Sun 22 Nov 2026 starts a 14-day final-report period (CRA Art. 14(2)(c))
// whose last day, Sun 6 Dec, moves to Mon 7 Dec (Reg. 1182/71 Art. 3(4)), ending at 24:00 in
// Germany (23:00 UTC).
func TestMissedDeadlineReasonOnPage(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	e := newEnv(t, withBaseURL, func(c *Config) { c.Now = func() time.Time { return now } })
	ctx := t.Context()
	acme, _ := e.st.OrganizationByName(ctx, "ACME")
	if err := e.st.SetEstablishment(ctx, acme.ID, "DE", "", false); err != nil {
		t.Fatal(err)
	}
	_, rel := e.newRelease("Cam", "camera")
	e.attestAll(rel, "etsi-en-303-645")
	var l api.LabelJSON
	if code := e.do("POST", "/api/v1/releases/"+itoa(rel)+"/labels", "acme-admin", "application/json", []byte(`{}`), &l); code != 201 {
		t.Fatalf("issue %d", code)
	}
	c, err := e.st.OpenExploitedCase(ctx, rel, "CVE-2026-9999", "Command injection", "honeypot", time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	for _, stage := range []string{"early-warning", "notification"} {
		if err := e.st.SubmitStage(ctx, c.ID, stage, []byte(`{}`), "SRP-"+stage, "psirt"); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.st.SetFixAvailable(ctx, c.ID, time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	now = time.Date(2026, 12, 8, 12, 0, 0, 0, time.UTC)
	if _, err := e.st.Enqueue(ctx, "label-check", struct{}{}, "label-check", time.Time{}); err != nil {
		t.Fatal(err)
	}
	e.drain()
	st, shown := e.labelReason(l.ID)
	want := "reporting deadline missed: case " + itoa(c.ID) + " final-report (CRA Art. 14(2)(c)) was due Mon 7 Dec 2026 24:00 CET (DE)"
	if st.Status != label.Suspended || !strings.Contains(st.Reason, want) {
		t.Fatalf("statement %s %q; want suspended, %q", st.Status, st.Reason, want)
	}
	if len(shown) != 1 || shown[0] != st.Reason {
		t.Errorf("page shows %q; the signed statement says %q", shown, st.Reason)
	}
}
