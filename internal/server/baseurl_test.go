package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/siegel-oss/siegel/internal/server/api"
	"github.com/siegel-oss/siegel/internal/server/app"
)

// testBaseURL is the public address of the servers of tests that issue labels.
const testBaseURL = "https://siegel.example"

// withBaseURL configures testBaseURL.
func withBaseURL(c *Config) { c.BaseURL = testBaseURL }

// TestNoLabelWithoutBaseURL: without --base-url no label is signed, whatever Host header
// requests came with (an anonymous visitor must not choose the address signed statements and QR
// codes name); the refusal says what to set.
func TestNoLabelWithoutBaseURL(t *testing.T) {
	e := newEnv(t)
	var prod app.ProductView
	e.do("POST", "/api/v1/products", "acme-admin", "application/json", jsonBody(map[string]string{"name": "HomeRouter", "category": "router", "craClass": "important-i"}), &prod)
	var rel app.ReleaseView
	e.do("POST", "/api/v1/products/"+itoa(prod.ID)+"/releases", "acme-admin", "application/json",
		jsonBody(map[string]string{"version": "4.2.0", "placedOnMarket": "2026-03-01", "supportEnd": "2031-12"}), &rel)
	base := "/api/v1/releases/" + itoa(rel.ID)
	e.firmware(base, "router.bin", "acme-admin", routerRoot(t, "correct horse battery staple 7"))
	e.drain()
	e.attestAll(rel.ID, "etsi-en-303-645,bsi-tr-03148")
	var ev app.EvaluationView
	e.do("GET", base+"/conformity?standard=etsi-en-303-645,bsi-tr-03148", "acme-admin", "", nil, &ev)
	if !ev.Plausible {
		t.Fatalf("not plausible after attestations: %v", ev.Unmet)
	}
	// An anonymous request with a Host header of its choosing, as the first request once was.
	req, _ := http.NewRequestWithContext(t.Context(), "GET", e.srv.URL+"/label/SL-NOSUCHLABEL", nil)
	req.Host = "attacker.example"
	if resp, err := e.srv.Client().Do(req); err == nil {
		resp.Body.Close()
	}
	var refusal apiError
	code := e.do("POST", base+"/labels", "acme-admin", "application/json", []byte(`{"standards":["etsi-en-303-645","bsi-tr-03148"]}`), &refusal)
	if code != http.StatusServiceUnavailable || !strings.Contains(refusal.Error, "--base-url") {
		t.Fatalf("label without a public address: %d %q", code, refusal.Error)
	}
	var labels struct{ Items []api.LabelJSON }
	e.do("GET", "/api/v1/labels", "acme-admin", "", nil, &labels)
	if len(labels.Items) != 0 {
		t.Errorf("labels issued: %+v", labels.Items)
	}
}

// TestCSAFLinksExplained: without an https --base-url the CSAF links answer 503, and the pages
// that carry them say why; with one, they do not.
func TestCSAFLinksExplained(t *testing.T) {
	for _, tc := range []struct {
		opts []func(*Config)
		want bool
	}{{nil, true}, {[]func(*Config){withBaseURL}, false}} {
		e := newEnv(t, tc.opts...)
		b := e.loggedIn(t, "psirt@acme.example", "psirt")
		code, page, _ := b.get("/advisories")
		if got := strings.Contains(page, "answer 503 for now") && strings.Contains(page, "--base-url"); code != 200 || got != tc.want {
			t.Errorf("base URL configured %v: advisories page %d explains the 503: %v", !tc.want, code, got)
		}
		if !tc.want {
			continue
		}
		if code, _, _ := b.get("/.well-known/csaf/provider-metadata.json"); code != http.StatusServiceUnavailable {
			t.Errorf("provider metadata without a base URL: %d", code)
		}
	}
}
