package server

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromium finds Debian's Chromium. Without it the browser tests skip, unless
// SIEGEL_TEST_BROWSER_REQUIRED is set (CI installs chromium and sets it).
func chromium(t *testing.T) string {
	for _, p := range []string{os.Getenv("SIEGEL_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := exec.LookPath(p); err == nil {
			return p
		}
	}
	if os.Getenv("SIEGEL_TEST_BROWSER_REQUIRED") != "" {
		t.Fatal("no chromium; install Debian's chromium package")
	}
	t.Skip("no chromium")
	return ""
}

// artifact is where screenshots go: $SIEGEL_TEST_ARTIFACTS, else the test's temporary directory.
func artifact(t *testing.T, name string) string {
	dir := os.Getenv("SIEGEL_TEST_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	os.MkdirAll(dir, 0o755)
	return filepath.Join(dir, name)
}

// headless starts Chromium (bin) for one test, with the flags that keep it off the
// network, and returns its context, cancelled timeout after Chromium has started or with the test.
func headless(t *testing.T, bin string, timeout time.Duration) context.Context {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("no-first-run", true), chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()))
	actx, cancelAlloc := chromedp.NewExecAllocator(t.Context(), opts...)
	bctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	// Chromium starts before the test's own time runs: its start alone took 8-12 s on a loaded
	// machine, more from a cold disk cache, and is no part of what the test bounds. This bound
	// says only whether it started at all. (The first run starts it, tied to bctx, which lives as
	// long as the test.)
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(bctx) }()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("start chromium: %v", err)
		}
	case <-time.After(3 * time.Minute):
		t.Fatal("chromium did not start within 3 minutes")
	}
	ctx, cancel := context.WithTimeout(bctx, timeout)
	t.Cleanup(cancel)
	return ctx
}

// TestBrowserFlow drives headless Chromium through the key flow: log in, create a product and a
// release, upload an SBOM, see the exploited finding first, open why it matched.
func TestBrowserFlow(t *testing.T) {
	bin := chromium(t)
	e := newEnv(t, func(c *Config) { c.BaseURL = "https://siegel.acme.example" }) // advisories name their canonical URL there
	acme, _ := e.st.OrganizationByName(t.Context(), "ACME")
	if _, err := e.st.CreateUser(t.Context(), acme.ID, "psirt@acme.example", "correct horse battery", "psirt"); err != nil {
		t.Fatal(err)
	}
	sbomFile := filepath.Join(t.TempDir(), "router.cdx.json")
	os.WriteFile(sbomFile, []byte(uploadCDX), 0o644)

	ctx := headless(t, bin, 2*time.Minute) // a broken page fails the test instead of hanging it
	// The monitor matches the upload in the background, as in 'siegel serve'; the release page
	// refreshes itself until the findings are there.
	monCtx, stopMon := context.WithCancel(t.Context())
	defer stopMon()
	go e.mon.Run(monCtx)
	err := chromedp.Do(ctx,
		chromedp.Navigate(e.srv.URL+"/"),
		chromedp.WaitVisible(`input[name=email]`),
		chromedp.SendKeys(`input[name=email]`, "psirt@acme.example"),
		chromedp.SendKeys(`input[name=password]`, "correct horse battery"),
		chromedp.Submit(`input[name=password]`),
		chromedp.WaitVisible(`input[name=name]`),
		chromedp.SendKeys(`input[name=name]`, "HomeRouter X1"),
		chromedp.Submit(`input[name=name]`),
		chromedp.WaitVisible(`input[name=version]`),
		chromedp.SendKeys(`input[name=version]`, "4.2.0"),
		chromedp.SendKeys(`input[name=supportEnd]`, "2031-12"),
		chromedp.SetValue(`input[name=placedOnMarket]`, "2026-03-01"),
		chromedp.Submit(`input[name=version]`),
		chromedp.WaitVisible(`input[name=sbom]`),
		chromedp.SetUploadFiles(`input[name=sbom]`, []string{sbomFile}),
		chromedp.Submit(`input[name=sbom]`),
		chromedp.WaitVisible(`.tag.exploited`),
		chromedp.WaitNotPresent(`.progress`), // matching done: the page no longer refreshes itself
	)
	if err != nil {
		t.Fatal(err)
	}
	releaseText, err := chromedp.Run(ctx, chromedp.Text(`main`))
	if err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(`a[href*="/findings/CVE-2026-1001"]`), chromedp.WaitVisible(`#triage`)); err != nil {
		t.Fatalf("finding page: %v", err)
	}
	findingText, err := chromedp.Run(ctx, chromedp.Text(`pre`))
	if err != nil {
		t.Fatal(err)
	}
	// Triage: mark the finding not affected, with a justification.
	err = chromedp.Do(ctx,
		chromedp.SetValue(`select[name=status]`, "not_affected"),
		chromedp.SetValue(`select[name=justification]`, "vulnerable_code_not_in_execute_path"),
		chromedp.SendKeys(`input[name=impact]`, "The affected parser is not built into the firmware."),
		chromedp.Submit(`select[name=status]`),
		chromedp.WaitVisible(`.vex.not_affected`),
	)
	if err != nil {
		t.Fatal(err)
	}
	triaged, err := chromedp.Run(ctx, chromedp.Text(`main`))
	if err != nil {
		t.Fatal(err)
	}
	findingShot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(artifact(t, "finding-triaged.png"), findingShot, 0o644); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(triaged, "not_affected — vulnerable_code_not_in_execute_path: The affected parser is not built into the firmware.") {
		t.Errorf("finding page after triage:\n%s", triaged)
	}
	if err := os.WriteFile(artifact(t, "release-page.png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(releaseText, "2 findings (1 known exploited)") || !strings.Contains(releaseText, "CVE-2026-2002") {
		t.Errorf("release page:\n%s", releaseText)
	}
	if !strings.Contains(findingText, "fixed 2.4.1 [2.3.0 <]") {
		t.Errorf("finding page:\n%s", findingText)
	}

	// The exploited finding opened a CRA case; the advisory is published from the finding page;
	// every page of the tour is kept as a screenshot.
	snap := func(name string) {
		t.Helper()
		shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(artifact(t, name), shot, 0o644)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(e.srv.URL+"/cases"), chromedp.WaitVisible(`a[href^="/cases/"]`)); err != nil {
		t.Fatalf("cases page: %v", err)
	}
	snap("cases.png")
	if err := chromedp.Do(ctx, chromedp.Click(`a[href^="/cases/"]`), chromedp.WaitVisible(`dl.draft`)); err != nil {
		t.Fatalf("case page: %v", err)
	}
	caseText, _ := chromedp.Run(ctx, chromedp.Text(`main`))
	if !strings.Contains(caseText, "CVE-2026-2002") || !strings.Contains(caseText, "Art. 14(2)(a)") {
		t.Errorf("case page:\n%s", caseText)
	}
	snap("case.png")
	if err := chromedp.Do(ctx, chromedp.Navigate(e.srv.URL+"/"), chromedp.WaitVisible(`a[href^="/products/"]`),
		chromedp.Click(`a[href^="/products/"]`), chromedp.WaitVisible(`a[href^="/releases/"]`),
		chromedp.Click(`a[href^="/releases/"]`), chromedp.WaitVisible(`a[href*="/findings/CVE-2026-2002"]`),
		chromedp.Click(`a[href*="/findings/CVE-2026-2002"]`), chromedp.WaitVisible(`#triage`),
		chromedp.SendKeys(`form[action$="/advisory"] input[name=cvss]`, assessed),
		chromedp.Click(`form[action$="/advisory"] button`), chromedp.WaitVisible(`a[href$=".asc"]`)); err != nil {
		t.Fatalf("publishing the advisory: %v", err)
	}
	advText, _ := chromedp.Run(ctx, chromedp.Text(`main`))
	if !strings.Contains(advText, "SA-2026-0001") || !strings.Contains(advText, "affected") {
		t.Errorf("advisory page:\n%s", advText)
	}
	snap("advisory.png")
	for _, page := range []struct{ path, wait, name string }{
		{"/", "table", "portfolio.png"}, {"/status", "table", "status.png"}, {"/settings/notifications", "form", "notifications.png"},
	} {
		if err := chromedp.Do(ctx, chromedp.Navigate(e.srv.URL+page.path), chromedp.WaitVisible(page.wait)); err != nil {
			t.Fatalf("%s: %v", page.path, err)
		}
		snap(page.name)
	}
}
