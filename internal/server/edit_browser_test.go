package server

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/siegel-oss/siegel/internal/server/app"
)

// browserLogin creates a PSIRT user of ACME and signs them in in Chromium.
func browserLogin(t *testing.T, e *env, ctx context.Context) {
	t.Helper()
	acme, _ := e.st.OrganizationByName(t.Context(), "ACME")
	if _, err := e.st.CreateUser(t.Context(), acme.ID, "psirt@acme.example", "correct horse battery", "psirt"); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(e.srv.URL+"/login"),
		chromedp.WaitVisible(`input[name=email]`),
		chromedp.SendKeys(`input[name=email]`, "psirt@acme.example"),
		chromedp.SendKeys(`input[name=password]`, "correct horse battery"),
		chromedp.Submit(`input[name=password]`),
		chromedp.WaitVisible(`header`),
	); err != nil {
		t.Fatalf("login: %v", err)
	}
}

// TestBrowserEditSupportPeriod: a person corrects a release's support period in the browser and
// sees the conformity verdict on it change; a correction that would break CRA Art. 13(8) is
// refused on the form with what was typed still there.
func TestBrowserEditSupportPeriod(t *testing.T) {
	bin := chromium(t)
	e := routerEnv(t)
	_, rel := e.newRelease("HomeRouter X1", "router")
	ctx := headless(t, bin, 2*time.Minute)
	browserLogin(t, e, ctx)
	row := `tr[id="cra/art-13/8"]`
	conformity := e.srv.URL + "/releases/" + itoa(rel) + "/conformity?standard=cra"
	if err := chromedp.Do(ctx, chromedp.Navigate(conformity), chromedp.WaitVisible(row)); err != nil {
		t.Fatalf("conformity page: %v", err)
	}
	before, err := chromedp.Run(ctx, chromedp.Text(row))
	if err != nil {
		t.Fatal(err)
	}
	// Too short without its reasons: refused, the entered values kept.
	err = chromedp.Do(ctx,
		chromedp.Navigate(e.srv.URL+"/releases/"+itoa(rel)),
		chromedp.Click(`a[href$="/edit"]`),
		chromedp.WaitVisible(`#release-edit`),
		chromedp.SetValue(`#release-edit input[name=supportEnd]`, "2028-01"),
		chromedp.SendKeys(`#release-edit input[name=reason]`, "shorter support"),
		chromedp.Submit(`#release-edit input[name=reason]`),
		chromedp.WaitVisible(`#page-error`),
	)
	if err != nil {
		t.Fatalf("refused correction: %v", err)
	}
	msg, _ := chromedp.Run(ctx, chromedp.Text(`#page-error`))
	kept, _ := chromedp.Run(ctx, chromedp.Value(`#release-edit input[name=supportEnd]`))
	reason, _ := chromedp.Run(ctx, chromedp.Value(`#release-edit input[name=reason]`))
	if !strings.Contains(msg, "13(8)") || kept != "2028-01" || reason != "shorter support" {
		t.Errorf("refused correction: message %q, support end %q, reason %q", msg, kept, reason)
	}
	// A longer period: recorded, and the verdict follows.
	err = chromedp.Do(ctx,
		chromedp.SetValue(`#release-edit input[name=supportEnd]`, "2034-06"),
		chromedp.SetValue(`#release-edit input[name=reason]`, "support end mistyped: we committed to 2034"),
		chromedp.Submit(`#release-edit input[name=reason]`),
		chromedp.WaitVisible(`table#findings`),
		chromedp.Navigate(conformity),
		chromedp.WaitVisible(row),
	)
	if err != nil {
		t.Fatalf("correction: %v", err)
	}
	after, err := chromedp.Run(ctx, chromedp.Text(row))
	if err != nil {
		t.Fatal(err)
	}
	shot, _ := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	os.WriteFile(artifact(t, "conformity-after-edit.png"), shot, 0o644)
	if !strings.Contains(before, "2031-12-31") || !strings.Contains(before, "5 years") || !strings.Contains(after, "2034-06-30") || !strings.Contains(after, "8 years") {
		t.Errorf("support-period verdict before:\n%s\nafter:\n%s", before, after)
	}
	audit, err := e.st.AuditEvents(t.Context(), mustOrg(t, e, "ACME"), 1)
	if err != nil || len(audit) != 1 || audit[0].Action != "release.edit" || audit[0].Actor != "user:psirt@acme.example" || !strings.Contains(audit[0].Detail, "we committed to 2034") {
		t.Errorf("audit: %+v %v", audit, err)
	}
}

func mustOrg(t *testing.T, e *env, name string) int64 {
	o, err := e.st.OrganizationByName(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	return o.ID
}

// TestBrowserTriageError: a triage the store refuses (not_affected without a justification)
// shows the reason on the finding page with the entered values kept, and records nothing.
func TestBrowserTriageError(t *testing.T) {
	bin := chromium(t)
	e := newEnv(t)
	var prod app.ProductView
	e.do("POST", "/api/v1/products", "acme-admin", "application/json", jsonBody(map[string]string{"name": "HomeRouter", "category": "router"}), &prod)
	rel := e.addRelease(prod.ID, "4.2.0", uploadCDX)
	ctx := headless(t, bin, 2*time.Minute)
	browserLogin(t, e, ctx)
	err := chromedp.Do(ctx,
		chromedp.Navigate(e.srv.URL+"/releases/"+itoa(rel.ID)),
		chromedp.Click(`a[href*="/findings/CVE-2026-1001"]`),
		chromedp.WaitVisible(`#triage`),
		chromedp.SetValue(`select[name=status]`, "not_affected"),
		chromedp.SendKeys(`input[name=impact]`, ""),
		chromedp.SendKeys(`input[name=action]`, "Wait for 4.2.1."),
		chromedp.SetValue(`input[name=expiresAt]`, "2027-03-31"),
		chromedp.Submit(`select[name=status]`),
		chromedp.WaitVisible(`#page-error`),
	)
	if err != nil {
		t.Fatalf("triage: %v", err)
	}
	msg, _ := chromedp.Run(ctx, chromedp.Text(`#page-error`))
	status, _ := chromedp.Run(ctx, chromedp.Value(`select[name=status]`))
	action, _ := chromedp.Run(ctx, chromedp.Value(`input[name=action]`))
	expiry, _ := chromedp.Run(ctx, chromedp.Value(`input[name=expiresAt]`))
	shot, _ := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	os.WriteFile(artifact(t, "triage-error.png"), shot, 0o644)
	if !strings.Contains(msg, "not_affected needs a justification") || status != "not_affected" || action != "Wait for 4.2.1." || expiry != "2027-03-31" {
		t.Errorf("refused triage: message %q, status %q, action %q, expiry %q", msg, status, action, expiry)
	}
	if h, err := e.st.VEXHistory(t.Context(), rel.ID, "CVE-2026-1001", "pkg:pypi/example-lib@2.3.0"); err != nil || len(h) != 0 {
		t.Errorf("a refused triage was recorded: %+v %v", h, err)
	}
	// Corrected on the same form: recorded.
	err = chromedp.Do(ctx,
		chromedp.SetValue(`select[name=justification]`, "vulnerable_code_not_in_execute_path"),
		chromedp.Submit(`select[name=status]`),
		chromedp.WaitVisible(`.vex.not_affected`),
	)
	if err != nil {
		t.Fatalf("corrected triage: %v", err)
	}
	page, _ := chromedp.Run(ctx, chromedp.Text(`main`))
	if !strings.Contains(page, "suppressed until 2027-03-31 23:59 UTC") {
		t.Errorf("finding page after triage:\n%s", page)
	}
}
