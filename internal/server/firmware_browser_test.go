package server

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// longSBOM is a CycloneDX SBOM of n components with long names and package URLs, the kind of
// table that used to push pages past the window.
func longSBOM(n int) string {
	var comps []string
	for i := range n {
		// Java package names hold no place a browser may break a line at.
		group := fmt.Sprintf("org.example.enterprise.platform.integration.messaging.transport.connectors%03d", i)
		name := fmt.Sprintf("%s.implementation.internal.serialization.compatibility", group)
		comps = append(comps, fmt.Sprintf(`{"bom-ref":"c%d","type":"library","name":%q,"version":"1.0.0.20261122%03d","purl":"pkg:maven/%s/%s@1.0.0.20261122%03d"}`, i, name, i, group, name, i))
	}
	return `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"metadata":{"component":{"bom-ref":"fw","type":"firmware","name":"HomeRouter","version":"4.2.0"}},"components":[` + strings.Join(comps, ",") + `]}`
}

// words is a page's text in lower case with its white space collapsed (table headers are upper
// case by style, which the browser's text shows).
func words(s string) string { return strings.Join(strings.Fields(strings.ToLower(s)), " ") }

// fitsWindow fails the test when the page in ctx is wider than its window.
func fitsWindow(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	widths, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth, document.documentElement.clientWidth]`))
	if err != nil {
		t.Fatal(err)
	}
	if len(widths) != 2 || widths[0] > widths[1] || widths[1] > 1000 || widths[1] < 900 {
		t.Errorf("%s: document scrollWidth %d > clientWidth %d in a 1000 px window", page, widths[0], widths[1])
	}
}

// TestBrowserFirmware uploads a firmware image on the release page in headless Chromium, follows
// its job's page until the background analysis is done, opens the page of the image's weaknesses
// and goes from a conformity verdict the weakness decides back to it; every page fits a 1000 px
// window, the release page with a long table of components included.
func TestBrowserFirmware(t *testing.T) {
	bin := chromium(t)
	e := newEnv(t, withBaseURL, func(c *Config) { c.FirmwareDir = t.TempDir() })
	acme, _ := e.st.OrganizationByName(t.Context(), "ACME")
	if _, err := e.st.CreateUser(t.Context(), acme.ID, "psirt@acme.example", "correct horse battery", "psirt"); err != nil {
		t.Fatal(err)
	}
	_, relID := e.newRelease("HomeRouter", "router")
	if code := e.do("POST", "/api/v1/releases/"+itoa(relID)+"/sboms", "acme-admin", "application/json", []byte(longSBOM(150)), nil); code != 201 {
		t.Fatalf("SBOM upload %d", code)
	}
	image := filepath.Join(t.TempDir(), "router-mirai.bin")
	os.WriteFile(image, routerRoot(t, "xc3511"), 0o644)

	ctx := signedInWithJobs(t, bin, e, "psirt@acme.example")
	release := fmt.Sprintf("%s/releases/%d", e.srv.URL, relID)
	err := chromedp.Do(ctx,
		chromedp.Navigate(release),
		chromedp.WaitVisible(`input[name=image]`),
	)
	if err != nil {
		t.Fatal(err)
	}
	fitsWindow(t, ctx, "release page with 150 long components")
	err = chromedp.Do(ctx,
		chromedp.SetUploadFiles(`input[name=image]`, []string{image}),
		chromedp.Submit(`input[name=image]`),
		chromedp.WaitVisible(`#job-state`),
	)
	if err != nil {
		t.Fatal(err)
	}
	// The job's page, right after the upload: the analysis is queued or under way, or already
	// done on a fast machine; the state and its words are shown either way.
	first, err := chromedp.Run(ctx, chromedp.Text(`main`))
	if err != nil {
		t.Fatal(err)
	}
	if first = words(first); !strings.Contains(first, "firmware analysis of router-mirai.bin") || !strings.Contains(first, "state") {
		t.Errorf("job page:\n%s", first)
	}
	// The page refreshes itself until the job is done, then links to the analysis.
	if err := chromedp.Do(ctx, chromedp.WaitVisible(`#job-progress a[href^="/firmware/"]`)); err != nil {
		t.Fatalf("job never done: %v", err)
	}
	done, _ := chromedp.Run(ctx, chromedp.Text(`main`))
	if done = words(done); !strings.Contains(done, "state done") || !strings.Contains(done, "attempts 1") {
		t.Errorf("finished job page:\n%s", done)
	}
	fitsWindow(t, ctx, "job page")
	if err := chromedp.Do(ctx, chromedp.Click(`#job-progress a[href^="/firmware/"]`), chromedp.WaitVisible(`#rule-weak-credentials`)); err != nil {
		t.Fatalf("firmware page: %v", err)
	}
	fw, _ := chromedp.Run(ctx, chromedp.Text(`main`))
	for _, want := range []string{"Default and weak credentials", "etc/shadow", "ETSI EN 303 645 5.1-1", "cpio"} {
		if !strings.Contains(fw, want) {
			t.Errorf("firmware page lacks %q:\n%s", want, fw)
		}
	}
	shot, _ := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	os.WriteFile(artifact(t, "firmware.png"), shot, 0o644)
	fitsWindow(t, ctx, "firmware page")

	// From the conformity verdict the default password fails to the weaknesses that fail it.
	err = chromedp.Do(ctx,
		chromedp.Navigate(release+"/conformity"),
		chromedp.WaitVisible(`a.evidence[href*="#rule-weak-credentials"]`),
	)
	if err != nil {
		t.Fatalf("conformity page: %v", err)
	}
	fitsWindow(t, ctx, "conformity page")
	if err := chromedp.Do(ctx, chromedp.Click(`a.evidence[href*="#rule-weak-credentials"]`), chromedp.WaitVisible(`#rule-weak-credentials`)); err != nil {
		t.Fatalf("from the verdict to the firmware page: %v", err)
	}
	// The release page lists the analysis; no job is left in progress.
	if err := chromedp.Do(ctx, chromedp.Navigate(release), chromedp.WaitVisible(`#firmware a[href^="/firmware/"]`)); err != nil {
		t.Fatal(err)
	}
	rel, _ := chromedp.Run(ctx, chromedp.Text(`#firmware`))
	if !strings.Contains(rel, "router-mirai.bin") || strings.Contains(rel, "running") || strings.Contains(rel, "queued") {
		t.Errorf("release page's firmware section:\n%s", rel)
	}
}
