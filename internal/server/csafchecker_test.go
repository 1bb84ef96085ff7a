package server

import (
	"encoding/json"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/siegel-oss/siegel/internal/server/api"
	"github.com/siegel-oss/siegel/internal/server/app"
)

// csafChecker finds gocsaf's csaf_checker (v3.7.0). Without it the test skips, unless
// SIEGEL_TEST_CSAF_CHECKER_REQUIRED is set (CI installs it and sets it).
func csafChecker(t *testing.T) string {
	for _, p := range []string{os.Getenv("SIEGEL_CSAF_CHECKER"), filepath.Join(os.Getenv("HOME"), "go", "bin", "csaf_checker"), "csaf_checker"} {
		if p == "" {
			continue
		}
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("SIEGEL_TEST_CSAF_CHECKER_REQUIRED") != "" {
		t.Fatal("no csaf_checker; go install github.com/gocsaf/csaf/v3/cmd/csaf_checker@v3.7.0")
	}
	t.Skip("no csaf_checker")
	return ""
}

// TestCSAFCheckerAcceptsProvider runs the independent checker of the CSAF reference
// implementation against the server's provider directory, over TLS on loopback.
func TestCSAFCheckerAcceptsProvider(t *testing.T) {
	checker := csafChecker(t)
	// The provider's public address is configured (--base-url), never taken from requests: listen
	// first to know it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *Config) { c.BaseURL = "https://" + ln.Addr().String() })
	tls := httptest.NewUnstartedServer(e.srv.Config.Handler)
	tls.Listener.Close()
	tls.Listener = ln
	tls.StartTLS()
	defer tls.Close()
	prod := app.ProductView{Name: "HomeRouter"}
	e.releaseWithSBOM(&prod, map[string]string{"version": "4.2.0", "supportEnd": "2031-12"}, uploadCDX)
	e.drain()
	e.srv = tls
	var adv api.AdvisoryJSON
	if code := e.do("POST", "/api/v1/products/"+itoa(prod.ID)+"/advisories", "acme-admin", "application/json", jsonBody(map[string]string{"vulnerability": "CVE-2026-2002", "cvss": assessed}), &adv); code != 201 {
		t.Fatalf("publish %d", code)
	}
	report := filepath.Join(t.TempDir(), "report.json")
	out, err := exec.Command(checker, "--insecure", "-f", "json", "-o", report, strings.TrimPrefix(tls.URL, "https://")).CombinedOutput()
	if err != nil {
		t.Fatalf("csaf_checker: %v\n%s", err, out)
	}
	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(artifact(t, "csaf_checker-report.json"), data, 0o644)
	var r struct {
		Domains []struct {
			Passed       bool   `json:"passed"`
			Role         string `json:"role"`
			Requirements []struct {
				Num         int    `json:"num"`
				Description string `json:"description"`
				Messages    []struct {
					Type int    `json:"type"`
					Text string `json:"text"`
				} `json:"messages"`
			} `json:"requirements"`
		} `json:"domains"`
	}
	if err := json.Unmarshal(data, &r); err != nil || len(r.Domains) != 1 {
		t.Fatalf("report: %v\n%s", err, data)
	}
	d := r.Domains[0]
	if !d.Passed || d.Role != "csaf_trusted_provider" {
		t.Errorf("csaf_checker did not accept the provider (role %q):\n%s", d.Role, data)
	}
	for _, req := range d.Requirements {
		for _, m := range req.Messages {
			// Requirement 10 (DNS path) is an alternative to 8 and 9, which pass; a loopback
			// address has no DNS name to serve it.
			if m.Type >= 2 && req.Num != 10 {
				t.Errorf("requirement %d (%s): %s", req.Num, req.Description, m.Text)
			}
		}
	}
}
