package server

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserWhereUsed drives headless Chromium through the portfolio's search: a manufacturer
// searches a component from the portfolio page and sees its release; an authority opens the
// critical components and searches an advisory across manufacturers.
func TestBrowserWhereUsed(t *testing.T) {
	bin := chromium(t)
	e, rels := portfolioEnv(t)
	acme, _ := e.st.OrganizationByName(t.Context(), "ACME")
	bsi, _ := e.st.OrganizationByName(t.Context(), "BSI")
	if _, err := e.st.CreateUser(t.Context(), acme.ID, "psirt@acme.example", "correct horse battery", "psirt"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.CreateUser(t.Context(), bsi.ID, "market@bsi.example", "another long password", "authority"); err != nil {
		t.Fatal(err)
	}
	ctx := headless(t, bin, 2*time.Minute)
	login := func(email, password string) error {
		return chromedp.Do(ctx,
			chromedp.Navigate(e.srv.URL+"/login"),
			chromedp.WaitVisible(`input[name=email]`),
			chromedp.SendKeys(`input[name=email]`, email),
			chromedp.SendKeys(`input[name=password]`, password),
			chromedp.Submit(`input[name=password]`),
			chromedp.WaitVisible(`form[action="/where-used"]`),
		)
	}
	if err := login("psirt@acme.example", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	err := chromedp.Do(ctx,
		chromedp.SendKeys(`form[action="/where-used"] input[name=purl]`, "pkg:pypi/example-lib"),
		chromedp.SendKeys(`form[action="/where-used"] input[name=range]`, "vers:pypi/<2.4.1"),
		chromedp.Submit(`form[action="/where-used"] input[name=purl]`),
		chromedp.WaitVisible(`#occurrences`),
	)
	if err != nil {
		t.Fatal(err)
	}
	result, err := chromedp.Run(ctx, chromedp.Text(`main`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(result, "1 release contains pkg:pypi/example-lib in vers:pypi/<2.4.1") || !strings.Contains(result, "Router ACME") || strings.Contains(result, "Globex") {
		t.Errorf("where-used results:\n%s", result)
	}
	shot := func(name string) {
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(artifact(t, name), png, 0o644)
	}
	shot("where-used.png")
	// The manufacturer has no link to the inventory, and is refused it.
	if nav, err := chromedp.Run(ctx, chromedp.Text(`header`)); err != nil || strings.Contains(nav, "Critical components") {
		t.Errorf("a manufacturer's navigation offers the inventory: %q %v", nav, err)
	}

	// A fresh browser session for the authority, to which every manufacturer but ACME has
	// registered its product: its where-used reads those.
	registerWith(t, e, rels, "Globex", "Maker 3", "Maker 4", "Maker 5", "Maker 6")
	ctx = headless(t, bin, 2*time.Minute)
	if err := login("market@bsi.example", "another long password"); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(`a[href="/inventory"]`), chromedp.WaitVisible(`#inventory`)); err != nil {
		t.Fatal(err)
	}
	inv, err := chromedp.Run(ctx, chromedp.Text(`main`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(inv, "pkg:pypi/example-lib") || strings.Contains(inv, "acme-secret") {
		t.Errorf("inventory page:\n%s", inv)
	}
	shot("critical-components.png")
	err = chromedp.Do(ctx, chromedp.Navigate(e.srv.URL+"/"),
		chromedp.WaitVisible(`form[action="/where-used"]`),
		chromedp.SendKeys(`form[action="/where-used"] input[name=advisory]`, "CVE-2026-1001"),
		chromedp.Submit(`form[action="/where-used"] input[name=advisory]`),
		chromedp.WaitVisible(`#occurrences`),
	)
	if err != nil {
		t.Fatal(err)
	}
	if result, err = chromedp.Run(ctx, chromedp.Text(`main`)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(result, "5 releases contain a component version that CVE-2026-1001 affects") || !strings.Contains(result, "Maker 6") ||
		strings.Contains(result, "ACME") || !strings.Contains(result, "registered with your authority") {
		t.Errorf("advisory search:\n%s", result)
	}
}
