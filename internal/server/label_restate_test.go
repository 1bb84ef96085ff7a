package server

import (
	"strings"
	"testing"

	"github.com/siegel-oss/siegel/internal/label"
	"github.com/siegel-oss/siegel/internal/server/api"
	"github.com/siegel-oss/siegel/internal/server/app"
)

// labelledRelease creates the product HomeRouter (a router, CRA class important I) and its
// release 4.2.0 supported until supportEnd, analyses its firmware, attests every requirement
// left and issues its label.
func (e *env) labelledRelease(t *testing.T, supportEnd string) (app.ProductView, app.ReleaseView, api.LabelJSON) {
	t.Helper()
	var prod app.ProductView
	e.do("POST", "/api/v1/products", "acme-admin", "application/json", jsonBody(map[string]string{"name": "HomeRouter", "category": "router", "craClass": "important-i"}), &prod)
	var rel app.ReleaseView
	e.do("POST", "/api/v1/products/"+itoa(prod.ID)+"/releases", "acme-admin", "application/json",
		jsonBody(map[string]string{"version": "4.2.0", "placedOnMarket": "2026-03-01", "supportEnd": supportEnd}), &rel)
	base := "/api/v1/releases/" + itoa(rel.ID)
	if code := e.do("POST", base+"/firmware", "acme-admin", "application/octet-stream", routerRoot(t, "correct horse battery staple 7"), nil); code != 202 {
		t.Fatalf("firmware %d", code)
	}
	e.drain()
	e.attestAll(rel.ID, "etsi-en-303-645,bsi-tr-03148")
	var l api.LabelJSON
	if code := e.do("POST", base+"/labels", "acme-admin", "application/json", []byte(`{}`), &l); code != 201 {
		t.Fatalf("issue %d", code)
	}
	return prod, rel, l
}

// TestLabelRestatedAfterCorrection: a label states its release's support end. When the support
// end is corrected, a correction through the API or the page has the label's statement signed
// again at once (the next in its sequence, same status, the corrected support end, the
// correction in the history and the audit trail); a correction the label check has not caught
// up with yet is shown on the public page as such, never as the label's word.
func TestLabelRestatedAfterCorrection(t *testing.T) {
	e := newEnv(t, withBaseURL)
	prod, rel, l := e.labelledRelease(t, "2031-12")
	base := "/api/v1/releases/" + itoa(rel.ID)
	_, keyPEM := e.raw("GET", "/labels/key.pem", "", "", nil)
	pub, err := label.ParsePublicKey(keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	current := func() (api.LabelJSON, label.Statement, string) {
		t.Helper()
		var now api.LabelJSON
		e.do("GET", "/api/v1/labels/"+l.ID, "acme-admin", "", nil, &now)
		_, page := e.raw("GET", "/label/"+l.ID, "", "", nil)
		return now, mustVerify(t, now.Statement, pub), text(t, string(page))
	}
	if _, st, page := current(); st.Release.SupportEnd != "2031-12" || strings.Contains(page, "needs a new statement") {
		t.Fatalf("issued: %+v\n%s", st.Release, page)
	}

	// A correction the label check has not seen yet (made in the store alone): the page says the
	// statement is out of date instead of showing the old support end as the label's.
	stored, err := e.st.Release(t.Context(), rel.ID)
	if err != nil {
		t.Fatal(err)
	}
	stored.SupportEnd = "2033-06"
	if _, err := e.st.EditRelease(t.Context(), *stored, "support end mistyped"); err != nil {
		t.Fatal(err)
	}
	if _, _, page := current(); !strings.Contains(page, "This label needs a new statement: the manufacturer corrected what the current one states (support end 2031-12 → 2033-06)") {
		t.Errorf("page of a label with a corrected support end:\n%s", page)
	}
	// The label check signs the new statement.
	if _, err := e.server.Conformity.RefreshAll(t.Context()); err != nil {
		t.Fatal(err)
	}
	now, st, page := current()
	if now.Sequence != 2 || now.Status != "valid" || st.Sequence != 2 || st.Release.SupportEnd != "2033-06" || strings.Contains(page, "needs a new statement") ||
		!strings.Contains(page, "restated after a correction: support end 2031-12 → 2033-06") || !strings.Contains(page, "until the end of 2033-06") {
		t.Errorf("after the label check: %+v %+v\n%s", now, st.Release, page)
	}

	// A correction through the API restates at once.
	if code := e.do("PUT", base, "acme-admin", "application/json", jsonBody(map[string]string{"supportEnd": "2034-06", "reason": "support extended by contract"}), nil); code != 200 {
		t.Fatalf("correct release: %d", code)
	}
	now, st, page = current()
	if now.Sequence != 3 || now.Status != "valid" || st.Release.SupportEnd != "2034-06" || !st.StatusSince.Equal(mustVerify(t, l.Statement, pub).StatusSince) ||
		!strings.Contains(page, "restated after a correction: support end 2033-06 → 2034-06") || strings.Contains(page, "needs a new statement") {
		t.Errorf("after the API correction: %+v %+v\n%s", now, st, page)
	}
	// So does a correction of the product's name, which the statement states too.
	if code := e.do("PUT", "/api/v1/products/"+itoa(prod.ID), "acme-admin", "application/json", jsonBody(map[string]string{"name": "HomeRouter X1", "reason": "marketing name"}), nil); code != 200 {
		t.Fatalf("correct product: %d", code)
	}
	if now, st, _ = current(); now.Sequence != 4 || st.Product.Name != "HomeRouter X1" {
		t.Errorf("after the product correction: %d %+v", now.Sequence, st.Product)
	}
	var audit struct {
		Items []struct{ Action, Detail string }
	}
	e.do("GET", "/api/v1/audit", "acme-admin", "", nil, &audit)
	restated := 0
	for _, a := range audit.Items {
		if a.Action == "label.restated" {
			restated++
		}
	}
	if restated != 3 {
		t.Errorf("%d restatements in the audit trail, want 3", restated)
	}
}
