package server

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
)

// postImage sends an image as the release page's form does.
func (b *browser) postImage(path, filename string, image []byte, header http.Header) (int, string, http.Header) {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("note", "a field before the image is skipped")
	fw, _ := mw.CreateFormFile("image", filename)
	fw.Write(image)
	mw.Close()
	req, _ := http.NewRequest("POST", b.e.srv.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	for k, v := range header {
		req.Header[k] = v
	}
	return b.send(req)
}

// TestWebFirmwareUpload: the release page's form queues an analysis and sends the browser to the
// job's page, which refreshes itself until the job is done and then links to the analysis's
// page; other organizations see neither page; a cross-site post and a read-only user are refused.
func TestWebFirmwareUpload(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.FirmwareDir = t.TempDir() })
	_, relID := e.newRelease("HomeRouter", "router")
	b := e.loggedIn(t, "psirt@acme.example", "psirt")
	release := "/releases/" + itoa(relID)

	code, page, h := b.postImage(release+"/firmware", "router.bin", routerRoot(t, "xc3511"), nil)
	if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/jobs/") {
		t.Fatalf("upload: %d %s", code, text(t, page))
	}
	jobPath := h.Get("Location")
	code, page, _ = b.get(jobPath)
	if code != 200 || !strings.Contains(page, `http-equiv="refresh"`) || !strings.Contains(text(t, page), "queued") {
		t.Errorf("job page while queued: %d %s", code, text(t, page))
	}
	if _, page, _ = b.get(release); !strings.Contains(text(t, page), "router.bin : queued") {
		t.Errorf("release page does not show the queued analysis: %s", text(t, page))
	}
	e.drain()
	code, page, _ = b.get(jobPath)
	if code != 200 || strings.Contains(page, `http-equiv="refresh"`) || !strings.Contains(page, `href="/firmware/`) {
		t.Fatalf("job page when done: %d %s", code, text(t, page))
	}
	at := strings.Index(page, `href="/firmware/`) + len(`href="`)
	fwPath := page[at : at+strings.IndexByte(page[at:], '"')]
	code, page, _ = b.get(fwPath)
	if txt := text(t, page); code != 200 || !strings.Contains(txt, "Default and weak credentials") || !strings.Contains(txt, "ETSI EN 303 645 5.1-1") {
		t.Errorf("firmware page %d: %s", code, txt)
	}
	if _, page, _ = b.get(release + "/conformity"); !strings.Contains(page, `class="evidence" href="`+fwPath+`#rule-weak-credentials"`) {
		t.Errorf("conformity page does not link the failing verdict to the weaknesses")
	}

	other := e.loggedInAt(t, "Globex", "sec@globex.example", "admin")
	for _, p := range []string{jobPath, fwPath} {
		if code, _, _ := other.get(p); code != http.StatusNotFound {
			t.Errorf("another organization's %s: %d", p, code)
		}
	}
	if code, _, _ := b.postImage(release+"/firmware", "x.bin", routerRoot(t, "x"), http.Header{"Sec-Fetch-Site": {"cross-site"}}); code != http.StatusForbidden {
		t.Errorf("cross-site upload: %d", code)
	}
	ro := e.loggedIn(t, "auditor@acme.example", "read-only")
	if code, _, _ := ro.postImage(release+"/firmware", "x.bin", routerRoot(t, "x"), nil); code != http.StatusForbidden {
		t.Errorf("read-only upload: %d", code)
	}
	if code, page, _ := b.postImage(release+"/firmware", "empty.bin", nil, nil); code != http.StatusBadRequest || !strings.Contains(text(t, page), "The firmware image is empty") {
		t.Errorf("empty image: %d %s", code, text(t, page))
	}
}
