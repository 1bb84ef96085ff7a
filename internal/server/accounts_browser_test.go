package server

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/siegel-oss/siegel/internal/server/app"
)

// TestBrowserTeamSetUp sets a team of three up from the web UI alone, in headless Chromium: the
// administrator invites a PSIRT engineer and an auditor; each opens their link, sets a password
// and signs in; the engineer triages a finding; the auditor reads the decision and may not
// change it.
func TestBrowserTeamSetUp(t *testing.T) {
	bin := chromium(t)
	e := newEnv(t)
	acme, _ := e.st.OrganizationByName(t.Context(), "ACME")
	if _, err := e.st.CreateUser(t.Context(), acme.ID, "admin@acme.example", "correct horse battery", "admin"); err != nil {
		t.Fatal(err)
	}
	rel := e.releaseWithSBOM(&app.ProductView{Name: "HomeRouter X1"}, map[string]string{"version": "4.2.0", "placedOnMarket": "2026-03-01", "supportEnd": "2031-12"}, uploadCDX)
	e.drain()
	releasePath := e.srv.URL + "/releases/" + itoa(rel.ID)

	ctx := headless(t, bin, 2*time.Minute)
	snap := func(name string) {
		t.Helper()
		shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(artifact(t, name), shot, 0o644)
	}
	signIn := func(email, password string) chromedp.Action[chromedp.Void] {
		return chromedp.Steps(
			chromedp.Navigate(e.srv.URL+"/login"), chromedp.WaitVisible(`input[name=email]`),
			chromedp.SendKeys(`input[name=email]`, email), chromedp.SendKeys(`input[name=password]`, password),
			chromedp.Submit(`input[name=password]`), chromedp.WaitVisible(`header form[action="/logout"]`),
		)
	}
	logOut := chromedp.Steps(chromedp.Click(`header form[action="/logout"] button`), chromedp.WaitVisible(`form[action="/login"] input[name=email]`))
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return v
	}
	invite := func(email, role string) string {
		t.Helper()
		// From the users page showing the last invitation, #invite is there before the click's
		// page is: the page the click loads has no invitation link.
		err := chromedp.Do(ctx,
			chromedp.Click(`header a[href="/settings/users"]`), chromedp.WaitNotPresent(`#invitation-url`), chromedp.WaitVisible(`#invite`),
			chromedp.SendKeys(`#invite input[name=email]`, email), chromedp.SetValue(`#invite select[name=role]`, role),
			chromedp.Submit(`#invite input[name=email]`), chromedp.WaitVisible(`#invitation-url`))
		if err != nil {
			t.Fatalf("invite %s: %v", email, err)
		}
		return strings.TrimSpace(text(`#invitation-url`))
	}
	accept := func(link, password string) {
		t.Helper()
		err := chromedp.Do(ctx,
			chromedp.Navigate(link), chromedp.WaitVisible(`input[name=confirm]`),
			chromedp.SendKeys(`input[name=password]`, password), chromedp.SendKeys(`input[name=confirm]`, password),
			chromedp.Submit(`input[name=confirm]`), chromedp.WaitVisible(`.notice`))
		if err != nil {
			t.Fatalf("accept %s: %v", link, err)
		}
		if notice := text(`.notice`); !strings.Contains(notice, "Your password is set") {
			t.Errorf("after accepting: %q", notice)
		}
	}

	// The administrator invites the engineer and the auditor.
	if err := chromedp.Do(ctx, signIn("admin@acme.example", "correct horse battery")); err != nil {
		t.Fatalf("admin sign-in: %v", err)
	}
	psirtLink := invite("pia@acme.example", "psirt")
	snap("users-invited.png")
	auditorLink := invite("olga@acme.example", "auditor")
	if !strings.HasPrefix(psirtLink, e.srv.URL+"/invite/") || psirtLink == auditorLink {
		t.Fatalf("invitation links %q, %q", psirtLink, auditorLink)
	}
	users := strings.Join(strings.Fields(text(`#users`)), " ")
	if !strings.Contains(users, "pia@acme.example psirt invited") || !strings.Contains(users, "olga@acme.example auditor invited") {
		t.Errorf("users table:\n%s", users)
	}
	if err := chromedp.Do(ctx, logOut); err != nil {
		t.Fatal(err)
	}

	// The engineer accepts, signs in and triages the exploited finding.
	accept(psirtLink, "pias battery staple")
	snap("invitation-accepted.png")
	err := chromedp.Do(ctx, signIn("pia@acme.example", "pias battery staple"),
		chromedp.Navigate(releasePath), chromedp.WaitVisible(`a[href*="/findings/CVE-2026-1001"]`),
		chromedp.Click(`a[href*="/findings/CVE-2026-1001"]`), chromedp.WaitVisible(`#triage`),
		chromedp.SetValue(`select[name=status]`, "not_affected"),
		chromedp.SetValue(`select[name=justification]`, "vulnerable_code_not_in_execute_path"),
		chromedp.SendKeys(`input[name=impact]`, "The parser is not built into the firmware."),
		chromedp.Submit(`select[name=status]`), chromedp.WaitVisible(`.vex.not_affected`))
	if err != nil {
		t.Fatalf("engineer: %v", err)
	}
	triaged := text(`main`)
	snap("psirt-triaged.png")
	if !strings.Contains(triaged, "not_affected — vulnerable_code_not_in_execute_path: The parser is not built into the firmware.") || !strings.Contains(triaged, "pia@acme.example") {
		t.Errorf("finding after triage:\n%s", triaged)
	}
	findingURL, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, logOut); err != nil {
		t.Fatal(err)
	}

	// The auditor accepts, signs in, reads the decision, and has no way to change it.
	accept(auditorLink, "olgas battery staple")
	err = chromedp.Do(ctx, signIn("olga@acme.example", "olgas battery staple"),
		chromedp.Navigate(findingURL), chromedp.WaitVisible(`#triage`))
	if err != nil {
		t.Fatalf("auditor: %v", err)
	}
	read := text(`main`)
	forms, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('form[action$="/vex"], form[action$="/advisory"]').length`))
	if err != nil {
		t.Fatal(err)
	}
	snap("auditor-reads.png")
	if !strings.Contains(read, "not_affected") || forms != 0 {
		t.Errorf("auditor's finding page (%d forms):\n%s", forms, read)
	}
	// A decision posted anyway, as a form of the page's own origin with the auditor's session
	// (the page's CSP allows no script requests), is refused.
	post := `(() => { const f = document.createElement("form"); f.method = "post"; f.action = location.pathname + "/vex";
		for (const [k, v] of [["status", "affected"], ["purl", "pkg:pypi/example-lib@2.3.0"], ["action", "upgrade"]]) {
			const i = document.createElement("input"); i.type = "hidden"; i.name = k; i.value = v; f.appendChild(i) }
		document.body.appendChild(f); f.submit(); return 1 })()`
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[int](post)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitNotPresent(`#triage`)); err != nil {
		t.Fatal(err)
	}
	if body := text(`body`); !strings.Contains(body, "forbidden") {
		t.Errorf("an auditor's triage was answered: %q", body)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(findingURL), chromedp.WaitVisible(`#triage`)); err != nil {
		t.Fatal(err)
	}
	if after := text(`main`); !strings.Contains(after, "not_affected") || strings.Contains(after, "upgrade") {
		t.Errorf("the decision changed after the auditor's attempt:\n%s", after)
	}
	if nav := text(`header`); strings.Contains(nav, "Users") || !strings.Contains(nav, "olga@acme.example (auditor)") {
		t.Errorf("auditor's navigation: %s", nav)
	}
}

// TestBrowserRoleChange: in headless Chromium, an administrator makes an auditor a PSIRT
// engineer from the users page, who then sees the triage form the auditor did not; the
// administrator's own demotion, as the last administrator, is refused on the page with why.
func TestBrowserRoleChange(t *testing.T) {
	bin := chromium(t)
	e := newEnv(t)
	acme, _ := e.st.OrganizationByName(t.Context(), "ACME")
	for _, u := range []struct{ email, role string }{{"admin@acme.example", "admin"}, {"olga@acme.example", "auditor"}} {
		if _, err := e.st.CreateUser(t.Context(), acme.ID, u.email, "correct horse battery", u.role); err != nil {
			t.Fatal(err)
		}
	}
	olga, _ := e.st.UserByEmail(t.Context(), "olga@acme.example")
	admin, _ := e.st.UserByEmail(t.Context(), "admin@acme.example")
	rel := e.releaseWithSBOM(&app.ProductView{Name: "HomeRouter X1"}, map[string]string{"version": "4.2.0", "placedOnMarket": "2026-03-01", "supportEnd": "2031-12"}, uploadCDX)
	e.drain()
	findingURL := e.srv.URL + "/releases/" + itoa(rel.ID) + "/findings/CVE-2026-1001?purl=" + "pkg%3Apypi%2Fexample-lib%402.3.0"

	ctx := headless(t, bin, 2*time.Minute)
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return strings.Join(strings.Fields(v), " ")
	}
	signIn := func(email string) chromedp.Action[chromedp.Void] {
		return chromedp.Steps(
			chromedp.Navigate(e.srv.URL+"/login"), chromedp.WaitVisible(`input[name=email]`),
			chromedp.SendKeys(`input[name=email]`, email), chromedp.SendKeys(`input[name=password]`, "correct horse battery"),
			chromedp.Submit(`input[name=password]`), chromedp.WaitVisible(`header form[action="/logout"]`))
	}
	logOut := chromedp.Steps(chromedp.Click(`header form[action="/logout"] button`), chromedp.WaitVisible(`form[action="/login"] input[name=email]`))
	triageForms := func() int {
		t.Helper()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('form[action$="/vex"]').length`))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	// Olga, an auditor, reads the finding without a form.
	if err := chromedp.Do(ctx, signIn("olga@acme.example"), chromedp.Navigate(findingURL), chromedp.WaitVisible(`main h1`)); err != nil {
		t.Fatalf("auditor: %v", err)
	}
	if n := triageForms(); n != 0 {
		t.Fatalf("the auditor has %d triage forms", n)
	}
	if err := chromedp.Do(ctx, logOut); err != nil {
		t.Fatal(err)
	}

	// The administrator makes her a PSIRT engineer.
	olgaForm := `form[action="/settings/users/` + itoa(olga.ID) + `/role"]`
	err := chromedp.Do(ctx, signIn("admin@acme.example"),
		chromedp.Click(`header a[href="/settings/users"]`), chromedp.WaitVisible(olgaForm),
		chromedp.SetValue(olgaForm+` select[name=role]`, "psirt"), chromedp.Click(olgaForm+` button`),
		chromedp.WaitVisible(`#user-`+itoa(olga.ID)+` td[data-role=psirt]`))
	if err != nil {
		t.Fatalf("role change: %v", err)
	}
	if row := text(`#user-` + itoa(olga.ID)); !strings.HasPrefix(row, "olga@acme.example psirt active") {
		t.Errorf("olga's row on the users page: %q", row)
	}
	// The administrator's own demotion is refused: no administrator would be left.
	adminForm := `form[action="/settings/users/` + itoa(admin.ID) + `/role"]`
	err = chromedp.Do(ctx, chromedp.SetValue(adminForm+` select[name=role]`, "read-only"), chromedp.Click(adminForm+` button`),
		chromedp.WaitVisible(`#page-error`))
	if err != nil {
		t.Fatalf("demoting the last administrator: %v", err)
	}
	if msg := text(`#page-error`); !strings.Contains(msg, "Role not changed: the organization would have no active administrator left") {
		t.Errorf("refusal: %q", msg)
	}
	if nav := text(`header`); !strings.Contains(nav, "admin@acme.example (admin)") {
		t.Errorf("the administrator lost the role: %s", nav)
	}
	if err := chromedp.Do(ctx, logOut); err != nil {
		t.Fatal(err)
	}

	// Olga now triages.
	if err := chromedp.Do(ctx, signIn("olga@acme.example"), chromedp.Navigate(findingURL), chromedp.WaitVisible(`#triage`)); err != nil {
		t.Fatalf("olga as psirt: %v", err)
	}
	if n := triageForms(); n == 0 {
		t.Error("olga, now a PSIRT engineer, has no triage form")
	}
	if nav := text(`header`); !strings.Contains(nav, "olga@acme.example (psirt)") {
		t.Errorf("olga's navigation: %s", nav)
	}
}
