package server

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"golang.org/x/net/html"
)

// The pages' session cookie, login limit and TOTP settings (package web), as the tests meet them
// over HTTP.
const (
	webSessionCookie = "siegel_session"
	loginLimit       = 10
	webTOTPPeriod    = 30
)

var webTOTPOpts = totp.ValidateOpts{Period: webTOTPPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// browser is an HTTP client with cookies, not following redirects, as a logged-in person.
type browser struct {
	t *testing.T
	e *env
	c *http.Client
}

func (e *env) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) send(req *http.Request) (int, string, http.Header) {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header
}

func (b *browser) get(path string) (int, string, http.Header) {
	req, _ := http.NewRequest("GET", b.e.srv.URL+path, nil)
	return b.send(req)
}

func (b *browser) post(path string, form url.Values) (int, string, http.Header) {
	req, _ := http.NewRequest("POST", b.e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.send(req)
}

// text returns the visible text of an HTML page, whitespace collapsed.
func text(t *testing.T, page string) string {
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			sb.WriteString(n.Data + " ")
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return strings.Join(strings.Fields(sb.String()), " ")
}

func TestWebFlow(t *testing.T) {
	e := newEnv(t)
	acme, _ := e.st.OrganizationByName(t.Context(), "ACME")
	globex, _ := e.st.OrganizationByName(t.Context(), "Globex")
	if _, err := e.st.CreateUser(t.Context(), acme.ID, "psirt@acme.example", "correct horse battery", "psirt"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.CreateUser(t.Context(), globex.ID, "sec@globex.example", "another long password", "admin"); err != nil {
		t.Fatal(err)
	}
	b := e.browser(t)
	if code, _, h := b.get("/"); code != http.StatusSeeOther || h.Get("Location") != "/login" {
		t.Fatalf("anonymous portfolio: %d %s", code, h.Get("Location"))
	}
	code, page, h := b.get("/login")
	if code != 200 || !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") || !strings.Contains(text(t, page), "Sign in to Siegel") {
		t.Fatalf("login page %d %q", code, h.Get("Content-Security-Policy"))
	}
	if code, page, _ := b.post("/login", url.Values{"email": {"psirt@acme.example"}, "password": {"wrong password!!"}}); code != 401 || !strings.Contains(text(t, page), "Wrong e-mail or password") {
		t.Errorf("bad login %d", code)
	}
	code, _, h = b.post("/login", url.Values{"email": {"psirt@acme.example"}, "password": {"correct horse battery"}})
	if code != http.StatusSeeOther || !strings.Contains(h.Get("Set-Cookie"), "HttpOnly") || !strings.Contains(h.Get("Set-Cookie"), "SameSite=Lax") {
		t.Fatalf("login %d %q", code, h.Get("Set-Cookie"))
	}
	// Create a product and a release with forms; each answers with a redirect to the new page.
	code, _, h = b.post("/products", url.Values{"name": {"HomeRouter X1"}, "category": {"router"}, "craClass": {"important-i"}})
	if code != http.StatusSeeOther {
		t.Fatalf("create product %d", code)
	}
	productPath := h.Get("Location")
	code, _, h = b.post(productPath+"/releases", url.Values{"version": {"4.2.0"}, "supportEnd": {"2031-12"}})
	if code != http.StatusSeeOther {
		t.Fatalf("create release %d", code)
	}
	releasePath := h.Get("Location")
	// Upload the SBOM as a browser does: multipart form data.
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("sbom", "router.cdx.json")
	fw.Write([]byte(uploadCDX))
	mw.Close()
	req, _ := http.NewRequest("POST", e.srv.URL+releasePath+"/sboms", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if code, page, _ := b.send(req); code != http.StatusSeeOther {
		t.Fatalf("upload %d %s", code, text(t, page))
	}
	code, page, _ = b.get(releasePath)
	if !strings.Contains(text(t, page), "Matching the components against the vulnerability database") || !strings.Contains(page, `http-equiv="refresh"`) {
		t.Errorf("while matching, the release page does not say so: %s", text(t, page))
	}
	e.drain()
	code, page, _ = b.get(releasePath)
	pageText := text(t, page)
	if code != 200 || !strings.Contains(pageText, "2 findings (1 known exploited)") || !strings.Contains(pageText, "exploited UNKNOWN CVE-2026-2002 Request smuggling") || !strings.Contains(pageText, "CRITICAL 9.8 CVE-2026-1001") {
		t.Fatalf("release page %d: %s", code, pageText)
	}
	findingPath := releasePath + "/findings/CVE-2026-1001?purl=" + url.QueryEscape("pkg:pypi/example-lib@2.3.0")
	code, page, _ = b.get(findingPath)
	if code != 200 || !strings.Contains(text(t, page), "range 0 (ECOSYSTEM): introduced 0 fixed 2.4.1 [2.3.0 <]") || !strings.Contains(text(t, page), "Not triaged yet") {
		t.Errorf("finding page %d: %s", code, text(t, page))
	}
	// Triage: not_affected without a justification is refused with the reason; with one it is
	// recorded, shown, kept in the history and in the audit trail.
	vexPath := releasePath + "/findings/CVE-2026-1001/vex"
	code, page, _ = b.post(vexPath, url.Values{"purl": {"pkg:pypi/example-lib@2.3.0"}, "status": {"not_affected"}})
	if code != http.StatusBadRequest || !strings.Contains(text(t, page), "Decision not recorded: not_affected needs a justification") || !strings.Contains(page, "<option selected>not_affected</option>") {
		t.Errorf("not_affected without justification: %d %s", code, text(t, page))
	}
	b.post(vexPath, url.Values{"purl": {"pkg:pypi/example-lib@2.3.0"}, "status": {"under_investigation"}})
	code, _, _ = b.post(vexPath, url.Values{"purl": {"pkg:pypi/example-lib@2.3.0"}, "status": {"not_affected"}, "justification": {"vulnerable_code_not_in_execute_path"}})
	if code != http.StatusSeeOther {
		t.Errorf("triage %d", code)
	}
	_, page, _ = b.get(findingPath)
	if ft := text(t, page); !strings.Contains(ft, "Status not_affected — vulnerable_code_not_in_execute_path by psirt@acme.example") || !strings.Contains(ft, "psirt@acme.example under_investigation") {
		t.Errorf("finding page after triage: %s", ft)
	}
	if _, page, _ = b.get(releasePath); !strings.Contains(text(t, page), "not_affected") {
		t.Errorf("release page does not show the VEX status: %s", text(t, page))
	}
	if _, page, _ = b.get(releasePath + "?exploited=true"); strings.Contains(text(t, page), "CVE-2026-1001") || !strings.Contains(text(t, page), "CVE-2026-2002") {
		t.Errorf("exploited filter: %s", text(t, page))
	}
	// Notification settings: add a webhook channel.
	code, _, _ = b.post("/settings/notifications", url.Values{"kind": {"webhook"}, "target": {"https://psirt.acme.example/hook"}, "secret": {"a-long-shared-secret"}, "events": {"finding.exploited"}})
	if _, page, _ = b.get("/settings/notifications"); code != http.StatusSeeOther || !strings.Contains(text(t, page), "webhook https://psirt.acme.example/hook finding.exploited") {
		t.Errorf("notification settings %d: %s", code, text(t, page))
	}
	if _, page, _ = b.get("/status"); !strings.Contains(text(t, page), "advisories") {
		t.Errorf("status page: %s", text(t, page))
	}
	code, page, _ = b.get("/")
	// The critical finding was triaged not_affected: only the exploited one is still in force,
	// and, rated by no source, it is counted as unrated (it used to be dropped from the counts).
	if code != 200 || !strings.Contains(text(t, page), "HomeRouter X1 router important-i 1 1 exploited 1 unrated 2 of 2 components New product") {
		t.Errorf("portfolio %d: %s", code, text(t, page))
	}
	// A cross-site form post is refused (CSRF).
	req, _ = http.NewRequest("POST", e.srv.URL+"/products", strings.NewReader("name=evil"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if code, _, _ := b.send(req); code != http.StatusForbidden {
		t.Errorf("cross-site post: %d, want 403", code)
	}
	// Another organization's user cannot see the release.
	g := e.browser(t)
	g.post("/login", url.Values{"email": {"sec@globex.example"}, "password": {"another long password"}})
	if code, _, _ := g.get(releasePath); code != http.StatusNotFound {
		t.Errorf("Globex opening ACME's release: %d, want 404", code)
	}
	if code, _, _ := g.get(productPath); code != http.StatusNotFound {
		t.Errorf("Globex opening ACME's product: %d, want 404", code)
	}
	// Logging out ends the session.
	b.post("/logout", nil)
	if code, _, _ := b.get("/"); code != http.StatusSeeOther {
		t.Errorf("after logout: %d", code)
	}
}

// A user walks an exploited-vulnerability case from its opening to the final report in the UI.
func TestWebCaseToFinalReport(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.BaseURL = "https://siegel.acme.example" })
	acme, _ := e.st.OrganizationByName(t.Context(), "ACME")
	if _, err := e.st.CreateUser(t.Context(), acme.ID, "psirt@acme.example", "correct horse battery", "psirt"); err != nil {
		t.Fatal(err)
	}
	prod, _ := e.st.CreateProduct(t.Context(), acme.ID, "HomeRouter X1", "router", "important-i")
	rel, _ := e.st.CreateRelease(t.Context(), prod.ID, "4.2.0", "2026-03-01", "2031-12")
	if code := e.do("POST", "/api/v1/releases/"+itoa(rel.ID)+"/sboms", "acme-admin", "application/json", []byte(uploadCDX), nil); code != 201 {
		t.Fatalf("upload %d", code)
	}
	e.drain()
	b := e.browser(t)
	b.post("/login", url.Values{"email": {"psirt@acme.example"}, "password": {"correct horse battery"}})
	code, page, _ := b.get("/cases")
	if pt := text(t, page); code != 200 || !strings.Contains(pt, "Request smuggling in example.com/web CVE-2026-2002 exploited HomeRouter X1 2026-11-22 12:00 UTC early-warning Mon 23 Nov 2026 13:00 UTC") {
		t.Fatalf("cases page: %s", pt)
	}
	cs, _ := e.st.Cases(t.Context(), acme.ID)
	path := "/cases/" + itoa(cs[0].ID)
	_, page, _ = b.get(path)
	if pt := text(t, page); !strings.Contains(pt, "Art. 14(2)(a): within 24 hours of becoming aware") || !strings.Contains(pt, "memberStates") ||
		!strings.Contains(pt, "Product HomeRouter X1 — releases 4.2.0 Vulnerability CVE-2026-2002") {
		t.Errorf("case page: %s", pt)
	}
	submit := func(stage, receipt, report string) string {
		code, _, h := b.post(path+"/stages/"+stage, url.Values{"receipt": {receipt}, "report": {report}})
		if code != http.StatusSeeOther {
			t.Fatalf("submit %s: %d", stage, code)
		}
		return h.Get("Location")
	}
	if loc := submit("early-warning", "SRP-1", `{"memberStates":["DE","AT"]}`); strings.Contains(loc, "error") {
		t.Fatalf("early warning: %s", loc)
	}
	if loc := submit("notification", "SRP-2", "not json"); !strings.Contains(loc, "error") {
		t.Errorf("a report that is not JSON was accepted: %s", loc)
	}
	submit("notification", "SRP-2", "")
	if loc := submit("final-report", "SRP-3", ""); !strings.Contains(loc, "corrective") {
		t.Errorf("final report before a fix: %s", loc)
	}
	b.post(path+"/fix-available", url.Values{"at": {"2026-11-22T09:00"}})
	submit("final-report", "SRP-3", "")
	_, page, _ = b.get(path)
	pt := text(t, page)
	for _, want := range []string{"receipt SRP-1 by psirt@acme.example", "receipt SRP-2", "receipt SRP-3", "Mon 7 Dec 2026 24:00 UTC"} {
		if !strings.Contains(pt, want) {
			t.Errorf("case page lacks %q: %s", want, pt)
		}
	}
	if _, page, _ = b.get("/cases"); !strings.Contains(text(t, page), "closed 2026-11-22") {
		t.Errorf("cases page after the final report: %s", text(t, page))
	}
	got, _ := e.st.CaseByID(t.Context(), cs[0].ID)
	if string(got.Stages["early-warning"].Report) != `{"memberStates":["DE","AT"]}` {
		t.Errorf("stored early warning %s", got.Stages["early-warning"].Report)
	}
	// Users are informed: an advisory published from the finding has a public page.
	code, _, h := b.post("/releases/"+itoa(rel.ID)+"/findings/CVE-2026-2002/advisory", url.Values{"cvss": {assessed}})
	if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/advisories/") {
		t.Fatalf("publish advisory %d %s", code, h.Get("Location"))
	}
	anon := e.browser(t)
	code, page, _ = anon.get(h.Get("Location"))
	if pt := text(t, page); code != 200 || !strings.Contains(pt, "ACME-SA-2026-0001 · version 1") || !strings.Contains(pt, "HomeRouter X1 4.2.0 affected") || !strings.Contains(pt, "actively exploited") {
		t.Errorf("public advisory page %d: %s", code, pt)
	}
}

// The release page exports the release's VEX and applies an uploaded one.
func TestWebVEXDownloadUpload(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.BaseURL = "https://siegel.acme.example" })
	acme, _ := e.st.OrganizationByName(t.Context(), "ACME")
	e.st.CreateUser(t.Context(), acme.ID, "psirt@acme.example", "correct horse battery", "psirt")
	prod, _ := e.st.CreateProduct(t.Context(), acme.ID, "HomeRouter X1", "router", "default")
	rel, _ := e.st.CreateRelease(t.Context(), prod.ID, "4.2.0", "", "2031-12")
	e.do("POST", "/api/v1/releases/"+itoa(rel.ID)+"/sboms", "acme-admin", "application/json", []byte(uploadCDX), nil)
	e.drain()
	b := e.browser(t)
	b.post("/login", url.Values{"email": {"psirt@acme.example"}, "password": {"correct horse battery"}})
	path := "/releases/" + itoa(rel.ID)
	code, page, h := b.get(path + "/vex?format=csaf")
	if code != 200 || !strings.Contains(h.Get("Content-Disposition"), "HomeRouter_X1-4.2.0.csaf.json") || !strings.Contains(page, `"category": "csaf_vex"`) {
		t.Fatalf("CSAF download %d %s", code, h.Get("Content-Disposition"))
	}
	statement := `{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://acme.example/vex/1","author":"ACME PSIRT","timestamp":"2026-11-22T10:00:00Z","version":1,
		"statements":[{"vulnerability":{"name":"CVE-2026-1001"},"products":[{"@id":"pkg:generic/ACME/HomeRouter%20X1@4.2.0","subcomponents":[{"@id":"pkg:pypi/example-lib@2.3.0"}]}],
		"status":"not_affected","justification":"vulnerable_code_not_present"}]}`
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("vex", "router.openvex.json")
	fw.Write([]byte(statement))
	mw.Close()
	req, _ := http.NewRequest("POST", e.srv.URL+path+"/vex", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	code, _, h = b.send(req)
	if code != http.StatusSeeOther {
		t.Fatalf("upload %d", code)
	}
	_, page, _ = b.get(h.Get("Location"))
	if pt := text(t, page); !strings.Contains(pt, "openvex: 1 statements applied, 0 unchanged, 0 covering no finding") || !strings.Contains(pt, "not_affected") {
		t.Errorf("release page after the upload: %s", pt)
	}
}
