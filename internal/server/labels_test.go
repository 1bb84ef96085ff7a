package server

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	_ "image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/siegel-oss/siegel/internal/firmware/crypt"
	"github.com/siegel-oss/siegel/internal/firmware/fwtest"
	"github.com/siegel-oss/siegel/internal/label"
	"github.com/siegel-oss/siegel/internal/server/api"
	"github.com/siegel-oss/siegel/internal/server/app"
)

func routerRoot(t *testing.T, rootPassword string) []byte {
	t.Helper()
	setting := "$6$rounds=5000$q8Zr0t3sTsalt"
	if rootPassword == "xc3511" {
		setting = "$1$Mirai"
	}
	hash, err := crypt.Hash(setting, rootPassword)
	if err != nil {
		t.Fatal(err)
	}
	return fwtest.CPIO(map[string]string{
		"etc/passwd":          "root:x:0:0:root:/root:/bin/ash\n",
		"etc/shadow":          "root:" + hash + ":19000:0:99999:7:::\n",
		"etc/inittab":         "::sysinit:/etc/init.d/rcS S boot\n::askconsole:/usr/libexec/login.sh\n",
		"etc/openwrt_release": "DISTRIB_ID='OpenWrt'\nDISTRIB_RELEASE='23.05.2'\n",
	}, nil)
}

// attestAll signs off every mandatory requirement that needs an attestation, as a manufacturer
// does with its policies and documents (uploaded with each attestation), and returns the
// evaluation before. The attestations are signed in the role of the admin token that posts them.
func (e *env) attestAll(rel int64, standards string) app.EvaluationView {
	e.t.Helper()
	return e.attestAllBut(rel, standards)
}

// attestAllBut is attestAll leaving out the requirements named.
func (e *env) attestAllBut(rel int64, standards string, skip ...string) app.EvaluationView {
	e.t.Helper()
	var ev app.EvaluationView
	if code := e.do("GET", "/api/v1/releases/"+itoa(rel)+"/conformity?standard="+standards, "acme-admin", "", nil, &ev); code != 200 {
		e.t.Fatalf("conformity %d", code)
	}
	for _, v := range ev.Verdicts {
		if v.Mandatory && v.Result == "needs-attestation" && !slices.Contains(skip, v.Requirement) {
			body := jsonBody(map[string]any{"requirement": v.Requirement, "document": "policy-" + strings.ReplaceAll(v.Reference, " ", "_") + ".pdf",
				"content": []byte("%PDF-1.4 " + v.Requirement), "signedBy": "Ada Lovelace"})
			if code := e.do("POST", "/api/v1/releases/"+itoa(rel)+"/attestations", "acme-admin", "application/json", body, nil); code != 201 {
				e.t.Fatalf("attest %s: %d", v.Requirement, code)
			}
		}
	}
	return ev
}

// TestLabelLifecycle follows a router from its firmware to a label, and the label through
// suspension (an actively exploited vulnerability appears), revocation and reinstatement.
func TestLabelLifecycle(t *testing.T) {
	// The server's clock is the store's: the reporting deadlines of the case the exploited
	// finding opens are still ahead.
	e := newEnv(t, withBaseURL, func(c *Config) { c.Now = func() time.Time { return time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) } })
	var prod app.ProductView
	e.do("POST", "/api/v1/products", "acme-admin", "application/json", jsonBody(map[string]string{"name": "HomeRouter", "category": "router", "craClass": "important-i"}), &prod)
	var rel app.ReleaseView
	e.do("POST", "/api/v1/products/"+itoa(prod.ID)+"/releases", "acme-admin", "application/json",
		jsonBody(map[string]string{"version": "4.2.0", "placedOnMarket": "2026-03-01", "supportEnd": "2031-12"}), &rel)
	base := "/api/v1/releases/" + itoa(rel.ID)

	fw := e.firmware(base, "router.bin", "acme-admin", routerRoot(t, "correct horse battery staple 7"))
	if len(fw.Layers) != 1 || fw.Layers[0].Format != "cpio" || len(fw.Weaknesses) != 0 {
		t.Fatalf("firmware analysis: layers %+v weaknesses %+v", fw.Layers, fw.Weaknesses)
	}
	if code := e.do("POST", base+"/firmware", "acme-ro", "application/octet-stream", routerRoot(t, "x"), nil); code != 403 {
		t.Errorf("read-only firmware upload: %d", code)
	}
	e.drain()

	// Not plausible before the manufacturer attests what no tool can check.
	var issued api.LabelJSON
	if code := e.do("POST", base+"/labels", "acme-admin", "application/json", []byte(`{"standards":["etsi-en-303-645","bsi-tr-03148"]}`), nil); code != 409 {
		t.Fatalf("label before attestations: %d", code)
	}
	// An attestation can carry the document itself; its digest is computed, and a wrong one refused.
	doc := []byte("Vulnerability disclosure policy of ACME, version 3\n")
	sum := sha256.Sum256(doc)
	att := map[string]any{"requirement": "etsi-en-303-645/5.2-1", "document": "vdp.txt", "signedBy": "Ada Lovelace", "content": doc, "sha256": strings.Repeat("0", 64)}
	if code := e.do("POST", base+"/attestations", "acme-admin", "application/json", jsonBody(att), nil); code != 400 {
		t.Errorf("attestation with a wrong digest: %d", code)
	}
	delete(att, "sha256")
	var got api.AttestationJSON
	if code := e.do("POST", base+"/attestations", "acme-admin", "application/json", jsonBody(att), &got); code != 201 || got.SHA256 != hex.EncodeToString(sum[:]) || got.Role != "manufacturer-admin" {
		t.Errorf("attestation with its document: %d %+v", code, got)
	}
	if code := e.do("POST", base+"/attestations", "acme-ro", "application/json", jsonBody(att), nil); code != 403 {
		t.Errorf("read-only attestation: %d", code)
	}
	before := e.attestAll(rel.ID, "etsi-en-303-645,bsi-tr-03148")
	if before.Plausible {
		t.Fatal("plausible before attestations")
	}
	var ev app.EvaluationView
	e.do("GET", base+"/conformity?standard=etsi-en-303-645,bsi-tr-03148", "acme-admin", "", nil, &ev)
	if !ev.Plausible {
		t.Fatalf("not plausible after attestations: %v", ev.Unmet)
	}
	for _, v := range ev.Verdicts {
		if v.Requirement == "etsi-en-303-645/5.1-1" && (v.Result != "pass" || !strings.Contains(v.Reason, "no default or weak credentials")) {
			t.Errorf("5.1-1 should pass on the firmware evidence: %+v", v)
		}
	}
	if code := e.do("POST", base+"/labels", "acme-admin", "application/json", []byte(`{"standards":["etsi-en-303-645","bsi-tr-03148"]}`), &issued); code != 201 || issued.Status != "valid" {
		t.Fatalf("issue %d %+v", code, issued)
	}
	if code := e.do("GET", "/api/v1/labels/"+issued.ID, "globex-admin", "", nil, nil); code != 404 {
		t.Errorf("another manufacturer reading the label: %d", code)
	}

	// The public page, the QR code and the signed statement need no login.
	code, page := e.raw("GET", "/label/"+issued.ID, "", "", nil)
	if code != 200 || !bytes.Contains(page, []byte("Valid")) || !bytes.Contains(page, []byte("2031-12")) || !bytes.Contains(page, []byte("HomeRouter 4.2.0")) {
		t.Fatalf("label page %d:\n%s", code, page)
	}
	_, keyPEM := e.raw("GET", "/labels/key.pem", "", "", nil)
	pub, err := label.ParsePublicKey(keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	_, env := e.raw("GET", "/label/"+issued.ID+"/statement", "", "", nil)
	st, err := label.Verify(env, pub)
	if err != nil || st.Status != label.Valid || st.Sequence != 1 || st.PageURL != testBaseURL+"/label/"+issued.ID {
		t.Fatalf("statement %+v %v", st, err)
	}
	_, png := e.raw("GET", "/label/"+issued.ID+"/qr.png", "", "", nil)
	if got := decodeQR(t, png); got != st.PageURL {
		t.Errorf("QR code opens %q, want %q", got, st.PageURL)
	}
	code, svg := e.raw("GET", "/label/"+issued.ID+"/qr.svg", "", "", nil)
	if code != 200 || !bytes.HasPrefix(bytes.TrimSpace(svg), []byte("<")) || !bytes.Contains(svg, []byte("<svg")) {
		t.Errorf("QR SVG %d", code)
	}

	// The dossier renders from the same data.
	code, pdf := e.raw("GET", base+"/dossier/declaration.pdf", "acme-admin", "", nil)
	if code != 200 || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Errorf("declaration PDF %d", code)
	}
	code, html := e.raw("GET", base+"/dossier/technical.html", "acme-admin", "", nil)
	if code != 200 || !bytes.Contains(html, []byte("HomeRouter")) {
		t.Errorf("technical documentation %d", code)
	}

	// An SBOM with an actively exploited vulnerability (CISA KEV) arrives: the next label check
	// suspends the label, naming it, and signs a new statement.
	if code := e.do("POST", base+"/sboms", "acme-admin", "application/json", []byte(uploadCDX), nil); code != 201 {
		t.Fatalf("upload %d", code)
	}
	e.drain()
	var now api.LabelJSON
	e.do("GET", "/api/v1/labels/"+issued.ID, "acme-admin", "", nil, &now)
	if now.Status != "suspended" || !strings.Contains(now.Reason, "CVE-2026-2002") || now.Sequence != 2 {
		t.Fatalf("after the exploited finding: %+v", now)
	}
	_, env = e.raw("GET", "/label/"+issued.ID+"/statement", "", "", nil)
	if st, err := label.Verify(env, pub); err != nil || st.Status != label.Suspended || st.Sequence != 2 {
		t.Fatalf("suspension statement %+v %v", st, err)
	}
	_, page = e.raw("GET", "/label/"+issued.ID, "", "", nil)
	if !bytes.Contains(page, []byte("Suspended")) || !bytes.Contains(page, []byte("CVE-2026-2002")) {
		t.Errorf("label page after suspension:\n%s", page)
	}

	// The manufacturer states the vulnerable code is not in the product: the label is valid again.
	var fs struct {
		Items []struct {
			ID      string `json:"id"`
			Package struct {
				PURL string `json:"purl"`
			} `json:"package"`
		}
	}
	e.do("GET", base+"/findings?exploited=true", "acme-admin", "", nil, &fs)
	if len(fs.Items) != 1 || fs.Items[0].ID != "CVE-2026-2002" {
		t.Fatalf("exploited findings %+v", fs.Items)
	}
	vexBody := jsonBody(map[string]string{"status": "not_affected", "justification": "vulnerable_code_not_present", "purl": fs.Items[0].Package.PURL})
	if code := e.do("PUT", base+"/findings/CVE-2026-2002/vex", "acme-admin", "application/json", vexBody, nil); code != 200 {
		t.Fatalf("VEX %d", code)
	}
	if _, err := e.st.Enqueue(t.Context(), "label-check", struct{}{}, "label-check", now.Since); err != nil {
		t.Fatal(err)
	}
	e.drain()
	e.do("GET", "/api/v1/labels/"+issued.ID, "acme-admin", "", nil, &now)
	if now.Status != "valid" || now.Sequence != 3 {
		t.Fatalf("after the VEX statement: %+v", now)
	}

	// An authority revokes it; only an authority's reinstatement lifts that.
	if code := e.do("POST", "/api/v1/labels/"+issued.ID+"/revoke", "acme-admin", "application/json", []byte(`{"reason":"x"}`), nil); code != 403 {
		t.Errorf("manufacturer revoking: %d", code)
	}
	// By default the manufacturer has a comment period: the statement says so at once.
	if code := e.do("POST", "/api/v1/labels/"+issued.ID+"/revoke", "bsi", "application/json", []byte(`{"reason":"market surveillance finding MS-2026-16"}`), &now); code != 200 ||
		now.Status != "valid" || now.Revocation == nil || !now.Revocation.Effective.Equal(time.Date(2026, 12, 20, 12, 0, 0, 0, time.UTC)) ||
		!strings.Contains(now.Reason, "revocation announced by BSI: market surveillance finding MS-2026-16") {
		t.Fatalf("announced revocation %d %+v", code, now)
	}
	if code := e.do("POST", "/api/v1/labels/"+issued.ID+"/withdraw-revocation", "acme-admin", "application/json", []byte(`{"reason":"x"}`), nil); code != 403 {
		t.Errorf("manufacturer withdrawing a revocation: %d", code)
	}
	now = api.LabelJSON{} // fields absent from the answer must not linger from the last one
	if code := e.do("POST", "/api/v1/labels/"+issued.ID+"/withdraw-revocation", "bsi", "application/json", []byte(`{"reason":"comments convinced us"}`), &now); code != 200 ||
		now.Status != "valid" || now.Revocation != nil || now.Reason != "" {
		t.Fatalf("withdrawn revocation %d %+v", code, now)
	}
	if code := e.do("POST", "/api/v1/labels/"+issued.ID+"/revoke", "bsi", "application/json", []byte(`{"reason":"x","immediate":true,"commentDays":5}`), nil); code != 400 {
		t.Errorf("immediate with a comment period: %d", code)
	}
	if code := e.do("POST", "/api/v1/labels/"+issued.ID+"/revoke", "bsi", "application/json", []byte(`{"reason":"market surveillance finding MS-2026-17","immediate":true}`), &now); code != 200 || now.Status != "revoked" {
		t.Fatalf("revoke %d %+v", code, now)
	}
	e.st.Enqueue(t.Context(), "label-check", struct{}{}, "label-check", now.Since)
	e.drain()
	e.do("GET", "/api/v1/labels/"+issued.ID, "acme-admin", "", nil, &now)
	if now.Status != "revoked" {
		t.Fatalf("label check lifted a revocation: %+v", now)
	}
	// Nor can the manufacturer undo it by declaring the release again.
	var refused struct {
		Error string `json:"error"`
	}
	if code := e.do("POST", base+"/labels", "acme-admin", "application/json", []byte(`{"standards":["etsi-en-303-645","bsi-tr-03148"]}`), &refused); code != 409 ||
		!strings.Contains(refused.Error, "revoked by the issuer") || !strings.Contains(refused.Error, "MS-2026-17") {
		t.Fatalf("a new label after revocation: %d %+v", code, refused)
	}
	if code := e.do("POST", "/api/v1/labels/"+issued.ID+"/reinstate", "bsi", "application/json", []byte(`{"reason":"appeal granted"}`), &now); code != 200 || now.Status != "valid" {
		t.Fatalf("reinstate %d %+v", code, now)
	}
	var hist []string
	for _, h := range now.History {
		hist = append(hist, h.Status)
	}
	if fmt.Sprint(hist) != "[valid suspended valid valid valid revoked valid]" {
		t.Errorf("history %v", hist)
	}

	// A new firmware image with a Mirai default password fails EN 303 645 5.1-1: suspended again.
	e.firmware(base, "router-4.2.1.bin", "acme-admin", routerRoot(t, "xc3511"))
	e.drain()
	e.do("GET", "/api/v1/labels/"+issued.ID, "acme-admin", "", nil, &now)
	if now.Status != "suspended" || !strings.Contains(now.Reason, "5.1-1") {
		t.Fatalf("after the default password: %+v", now)
	}
}

func decodeQR(t *testing.T, png []byte) string {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(png))
	if err != nil {
		t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res.GetText()
}

// TestBrowserLabelPage opens a label's public page in headless Chromium, as a buyer who scans
// the QR code does: no login, the status, the support end and the QR code itself.
func TestBrowserLabelPage(t *testing.T) {
	bin := chromium(t)
	e := newEnv(t, withBaseURL, func(c *Config) { c.Now = func() time.Time { return time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) } })
	_, _, l := e.labelledRelease(t, "2031-12")

	ctx := headless(t, bin, time.Minute)
	err := chromedp.Do(ctx,
		chromedp.Navigate(e.srv.URL+"/label/"+l.ID),
		chromedp.WaitVisible(`.label-status.valid`),
		chromedp.WaitReady(`img.qr`),
	)
	if err != nil {
		t.Fatal(err)
	}
	qrWidth, err := chromedp.Run(ctx, chromedp.Poll[int](`document.querySelector("img.qr").complete && document.querySelector("img.qr").naturalWidth`))
	if err != nil {
		t.Fatal(err)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(`main`))
	if err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(artifact(t, "label-page.png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"HomeRouter 4.2.0", "ACME", "Valid", "2031-12", "none known", "ETSI EN 303 645"} {
		if !strings.Contains(text, want) {
			t.Errorf("label page lacks %q:\n%s", want, text)
		}
	}
	if qrWidth == 0 {
		t.Error("the QR code image did not load")
	}
}

// TestWebConformity: the conformity page of a release shows the route, the verdicts and the
// dossier; a requirement is attested with a document upload, and the label is declared by form.
func TestWebConformity(t *testing.T) {
	e := newEnv(t, withBaseURL, func(c *Config) { c.Now = func() time.Time { return time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) } })
	acme, _ := e.st.OrganizationByName(t.Context(), "ACME")
	if _, err := e.st.CreateUser(t.Context(), acme.ID, "psirt@acme.example", "correct horse battery", "psirt"); err != nil {
		t.Fatal(err)
	}
	var prod app.ProductView
	e.do("POST", "/api/v1/products", "acme-admin", "application/json", jsonBody(map[string]string{"name": "HomeRouter", "category": "router", "craClass": "important-i"}), &prod)
	var rel app.ReleaseView
	e.do("POST", "/api/v1/products/"+itoa(prod.ID)+"/releases", "acme-admin", "application/json",
		jsonBody(map[string]string{"version": "4.2.0", "placedOnMarket": "2026-03-01", "supportEnd": "2031-12"}), &rel)
	e.do("POST", "/api/v1/releases/"+itoa(rel.ID)+"/firmware", "acme-admin", "application/octet-stream", routerRoot(t, "correct horse battery staple 7"), nil)
	e.drain()

	b := e.browser(t)
	if code, _, _ := b.post("/login", url.Values{"email": {"psirt@acme.example"}, "password": {"correct horse battery"}}); code != http.StatusSeeOther {
		t.Fatalf("login %d", code)
	}
	path := "/releases/" + itoa(rel.ID) + "/conformity"
	code, page, _ := b.get(path)
	txt := text(t, page)
	if code != 200 || !strings.Contains(txt, "Conformity assessment route") || !strings.Contains(txt, "5.1-1") || !strings.Contains(txt, "needs-attestation") {
		t.Fatalf("conformity page %d:\n%s", code, txt)
	}
	if !strings.Contains(page, path[:len(path)-len("conformity")]+"dossier/declaration.pdf") {
		t.Error("no dossier link")
	}
	// Attest 5.2-1 with its document, as the form sends it.
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("requirement", "etsi-en-303-645/5.2-1")
	fw, _ := mw.CreateFormFile("content", "vdp.pdf")
	fw.Write([]byte("%PDF-1.4 policy"))
	mw.Close()
	req, _ := http.NewRequest("POST", e.srv.URL+"/releases/"+itoa(rel.ID)+"/attestations", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if code, _, h := b.send(req); code != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "#etsi-en-303-645%2F5.2-1") || strings.Contains(h.Get("Location"), "error=") {
		t.Fatalf("attest %d %s", code, h.Get("Location"))
	}
	atts, err := e.st.Attestations(t.Context(), rel.ID)
	if err != nil || len(atts) != 1 || atts[0].SignedBy != "psirt@acme.example" || atts[0].DocumentName != "vdp.pdf" || len(atts[0].SHA256) != 64 {
		t.Fatalf("attestations %+v %v", atts, err)
	}
	// Declaring before every mandatory requirement holds says why not.
	code, _, h := b.post("/releases/"+itoa(rel.ID)+"/labels", url.Values{"standards": {"etsi-en-303-645,bsi-tr-03148"}})
	if code != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "error=") {
		t.Fatalf("early declaration %d %s", code, h.Get("Location"))
	}
	e.attestAll(rel.ID, "etsi-en-303-645,bsi-tr-03148")
	code, _, h = b.post("/releases/"+itoa(rel.ID)+"/labels", url.Values{"standards": {"etsi-en-303-645,bsi-tr-03148"}})
	if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/label/SL-") {
		t.Fatalf("declaration %d %s", code, h.Get("Location"))
	}
	code, pdf, h := b.get("/releases/" + itoa(rel.ID) + "/dossier/technical.pdf")
	if code != 200 || !strings.HasPrefix(pdf, "%PDF-") || h.Get("Content-Type") != "application/pdf" {
		t.Errorf("technical documentation PDF %d %s", code, h.Get("Content-Type"))
	}
}

// TestProductFacts: declared design facts settle conditional requirements, are checked against
// the catalogs' facts, and are recorded in the ledger.
func TestProductFacts(t *testing.T) {
	e := newEnv(t, withBaseURL)
	var prod app.ProductView
	e.do("POST", "/api/v1/products", "acme-admin", "application/json", jsonBody(map[string]string{"name": "HomeRouter", "category": "router", "craClass": "important-i"}), &prod)
	var rel app.ReleaseView
	e.do("POST", "/api/v1/products/"+itoa(prod.ID)+"/releases", "acme-admin", "application/json",
		jsonBody(map[string]string{"version": "4.2.0", "placedOnMarket": "2026-03-01", "supportEnd": "2031-12"}), &rel)
	settledByFact := func(fact string) int {
		var ev app.EvaluationView
		e.do("GET", "/api/v1/releases/"+itoa(rel.ID)+"/conformity?standard=etsi-en-303-645", "acme-admin", "", nil, &ev)
		n := 0
		for _, v := range ev.Verdicts {
			for _, l := range v.Evidence {
				if l.Kind == "fact" && l.Ref == fact && v.Result == "not-applicable" {
					n++
				}
			}
		}
		return n
	}
	// Undeclared, the conditions on a constrained device stay open.
	if n := settledByFact("constrained-device"); n != 0 {
		t.Fatalf("%d requirements settled before any declaration", n)
	}
	path := "/api/v1/products/" + itoa(prod.ID) + "/facts"
	if code := e.do("PUT", path, "acme-admin", "application/json", []byte(`{"facts":{"no-such-fact":true}}`), nil); code != 400 {
		t.Errorf("unknown fact: %d", code)
	}
	if code := e.do("PUT", path, "acme-ro", "application/json", []byte(`{"facts":{"uses-passwords":true}}`), nil); code != 403 {
		t.Errorf("read-only declaration: %d", code)
	}
	if code := e.do("PUT", path, "globex-admin", "application/json", []byte(`{"facts":{"uses-passwords":true}}`), nil); code != 404 {
		t.Errorf("another manufacturer's declaration: %d", code)
	}
	var got app.ProductView
	if code := e.do("PUT", path, "acme-admin", "application/json", []byte(`{"facts":{"constrained-device":false,"uses-passwords":true}}`), &got); code != 200 || !got.Facts["uses-passwords"] {
		t.Fatalf("declare: %d %+v", code, got)
	}
	// Condition (4), a constrained device, does not hold: the requirements for constrained
	// devices are not applicable, with the declared fact as their evidence.
	if settledByFact("constrained-device") == 0 {
		t.Error("no requirement settled as not applicable by the declared fact constrained-device=false")
	}
	b, err := e.st.LedgerBundle(t.Context(), 0, "product/"+itoa(prod.ID), false)
	if err != nil || len(b.Entries) != 1 || b.Entries[0].Statement.Type != "product-facts-declared" {
		t.Errorf("ledger: %+v %v", b, err)
	}
}

// TestLabelGrace: an actively exploited vulnerability suspends a label only once it has stayed
// unfixed longer than the grace the issuer allows (--label-grace), and the reason says so.
func TestLabelGrace(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	e := newEnv(t, withBaseURL, func(c *Config) {
		c.Now = func() time.Time { return now }
		c.LabelGrace = 14 * 24 * time.Hour
	})
	var prod app.ProductView
	e.do("POST", "/api/v1/products", "acme-admin", "application/json", jsonBody(map[string]string{"name": "HomeRouter", "category": "router", "craClass": "important-i"}), &prod)
	var rel app.ReleaseView
	e.do("POST", "/api/v1/products/"+itoa(prod.ID)+"/releases", "acme-admin", "application/json",
		jsonBody(map[string]string{"version": "4.2.0", "placedOnMarket": "2026-03-01", "supportEnd": "2031-12"}), &rel)
	base := "/api/v1/releases/" + itoa(rel.ID)
	e.do("POST", base+"/firmware", "acme-admin", "application/octet-stream", routerRoot(t, "correct horse battery staple 7"), nil)
	e.drain()
	e.attestAll(rel.ID, "etsi-en-303-645,bsi-tr-03148")
	var l api.LabelJSON
	if code := e.do("POST", base+"/labels", "acme-admin", "application/json", []byte(`{}`), &l); code != 201 {
		t.Fatalf("issue %d", code)
	}
	// The exploited finding arrives; the manufacturer reports on time.
	e.do("POST", base+"/sboms", "acme-admin", "application/json", []byte(uploadCDX), nil)
	e.drain()
	var cases struct{ Items []app.CaseView }
	e.do("GET", "/api/v1/cases", "acme-admin", "", nil, &cases)
	if len(cases.Items) != 1 {
		t.Fatalf("cases %+v", cases.Items)
	}
	for _, stage := range []string{"early-warning", "notification"} {
		if code := e.do("POST", "/api/v1/cases/"+itoa(cases.Items[0].ID)+"/stages/"+stage, "acme-admin", "application/json", []byte(`{"receipt":"R-`+stage+`"}`), nil); code != 200 {
			t.Fatalf("submit %s: %d", stage, code)
		}
	}
	check := func() api.LabelJSON {
		t.Helper()
		if _, err := e.st.Enqueue(t.Context(), "label-check", struct{}{}, "label-check", time.Time{}); err != nil {
			t.Fatal(err)
		}
		e.drain()
		var got api.LabelJSON
		e.do("GET", "/api/v1/labels/"+l.ID, "acme-admin", "", nil, &got)
		return got
	}
	if got := check(); got.Status != "valid" {
		t.Fatalf("within the grace: %+v", got)
	}
	now = now.Add(13 * 24 * time.Hour)
	if got := check(); got.Status != "valid" {
		t.Fatalf("after 13 days: %s %s", got.Status, got.Reason)
	}
	now = now.Add(2 * 24 * time.Hour)
	got := check()
	if got.Status != "suspended" || !strings.Contains(got.Reason, "CVE-2026-2002") || !strings.Contains(got.Reason, "14 days") {
		t.Fatalf("after 15 days: %s %s", got.Status, got.Reason)
	}
}

// A label's term is two years from issue; it can be renewed from three months to six weeks
// before its end, and a label not renewed expires, for good: a new declaration gives a new label.
func TestLabelTermAndRenewal(t *testing.T) {
	var clock atomic.Pointer[time.Time]
	set := func(v time.Time) { clock.Store(&v) }
	set(time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC))
	e := newEnv(t, withBaseURL, func(c *Config) { c.Now = func() time.Time { return *clock.Load() } })
	_, _, l := e.labelledRelease(t, "2035-12")
	end := time.Date(2028, 11, 22, 12, 0, 0, 0, time.UTC)
	if l.ValidUntil == nil || !l.ValidUntil.Equal(end) || !l.RenewalOpens.Equal(time.Date(2028, 8, 22, 12, 0, 0, 0, time.UTC)) {
		t.Fatalf("term %+v", l)
	}
	_, keyPEM := e.raw("GET", "/labels/key.pem", "", "", nil)
	pub, err := label.ParsePublicKey(keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := label.Verify(l.Statement, pub); err != nil || !st.ValidUntil.Equal(end) {
		t.Fatalf("statement term %v %v", st.ValidUntil, err)
	}

	var refused struct {
		Error string `json:"error"`
	}
	if code := e.do("POST", "/api/v1/labels/"+l.ID+"/renew", "acme-admin", "application/json", nil, &refused); code != 409 || !strings.Contains(refused.Error, "2028-08-22") {
		t.Errorf("renewal two years early: %d %+v", code, refused)
	}
	if code := e.do("POST", "/api/v1/labels/"+l.ID+"/renew", "acme-ro", "application/json", nil, nil); code != 403 {
		t.Errorf("read-only renewal: %d", code)
	}
	set(time.Date(2028, 9, 1, 0, 0, 0, 0, time.UTC))
	var renewed api.LabelJSON
	if code := e.do("POST", "/api/v1/labels/"+l.ID+"/renew", "acme-admin", "application/json", nil, &renewed); code != 200 ||
		!renewed.ValidUntil.Equal(time.Date(2030, 11, 22, 12, 0, 0, 0, time.UTC)) || renewed.Sequence != l.Sequence+1 {
		t.Fatalf("renewal %d %+v", code, renewed)
	}
	if st, err := label.Verify(renewed.Statement, pub); err != nil || !st.ValidUntil.Equal(*renewed.ValidUntil) {
		t.Fatalf("renewed statement %v %v", st.ValidUntil, err)
	}

	// The public register lists the renewed statement as the current one, and the first as superseded.
	_, regData := e.raw("GET", "/labels/register.json", "", "", nil)
	reg, err := label.VerifyRegister(regData, pub)
	if err != nil {
		t.Fatalf("register: %v", err)
	}
	if s := reg.Check(mustVerify(t, renewed.Statement, pub), renewed.Statement); !s.Current {
		t.Errorf("renewed statement not current: %s", s.Why)
	}
	if s := reg.Check(mustVerify(t, l.Statement, pub), l.Statement); s.Current || !strings.Contains(s.Why, "superseded") {
		t.Errorf("first statement: %s", s.Why)
	}
	if code, page := e.raw("GET", "/labels/register", "", "", nil); code != 200 || !bytes.Contains(page, []byte(l.ID)) || !bytes.Contains(page, []byte("2030-11-22")) {
		t.Errorf("register page %d:\n%s", code, page)
	}

	// Not renewed again: at the end of the term the label check lets it expire.
	set(time.Date(2030, 11, 22, 12, 0, 0, 0, time.UTC))
	if _, err := e.st.Enqueue(t.Context(), "label-check", struct{}{}, "label-check-term", time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	e.drain()
	var now api.LabelJSON
	e.do("GET", "/api/v1/labels/"+l.ID, "acme-admin", "", nil, &now)
	if now.Status != "expired" || !strings.Contains(now.Reason, "term ended 2030-11-22T12:00:00Z") {
		t.Fatalf("after the term: %+v", now)
	}
	if code := e.do("POST", "/api/v1/labels/"+l.ID+"/renew", "acme-admin", "application/json", nil, &refused); code != 409 || !strings.Contains(refused.Error, "expired") {
		t.Errorf("renewing an expired label: %d %+v", code, refused)
	}
	_, page := e.raw("GET", "/label/"+l.ID, "", "", nil)
	if !bytes.Contains(page, []byte("xpired")) {
		t.Errorf("public page of an expired label does not say so:\n%s", page)
	}
}

func mustVerify(t *testing.T, env []byte, pub ed25519.PublicKey) label.Statement {
	t.Helper()
	st, err := label.Verify(env, pub)
	if err != nil {
		t.Fatal(err)
	}
	return st
}
