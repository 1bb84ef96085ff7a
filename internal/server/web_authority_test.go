package server

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/siegel-oss/siegel/internal/cra"
)

// authorityScene: three manufacturers of different size classes registered a product each with
// BSI; each sent its 24-hour early warning an hour late (CRA Art. 14(2)(a)); BSI opened an
// Art. 54 procedure about the large manufacturer's product. It returns the case of each.
func authorityScene(t *testing.T, e *env) map[string]int64 {
	ctx := t.Context()
	bsi := e.orgID("BSI")
	aware := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC) // 11:00 CET: due 11:00 UTC on the 22nd
	cases := map[string]int64{}
	for _, m := range []struct{ name, size string }{{"Tiny", "micro"}, {"ACME", "medium"}, {"Mega", "large"}} {
		o, err := e.st.OrganizationByName(ctx, m.name)
		if err != nil {
			if o, err = e.st.CreateOrganization(ctx, m.name, m.size, false); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.st.SetEstablishment(ctx, o.ID, "DE", "", false); err != nil {
			t.Fatal(err)
		}
		p, err := e.st.CreateProduct(ctx, o.ID, m.name+" Router", "router", "important-i")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.st.RegisterProduct(ctx, o.ID, p.ID, bsi, "test"); err != nil {
			t.Fatal(err)
		}
		c, err := e.st.OpenIncident(ctx, o.ID, p.ID, "intrusion at "+m.name, aware)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.st.SubmitStage(ctx, c.ID, cra.EarlyWarning, []byte(`{}`), "SRP-"+m.name, "psirt@"+m.name); err != nil {
			t.Fatal(err)
		}
		cases[m.name] = c.ID
		if m.name == "Mega" {
			if _, err := e.st.OpenProcedure(ctx, bsi, p.ID, "art54", "remote code execution in the web interface", "test"); err != nil {
				t.Fatal(err)
			}
		}
	}
	// A product not registered with BSI stays out of its view.
	globex := e.orgID("Globex")
	p, _ := e.st.CreateProduct(ctx, globex, "Hidden Cam", "camera", "default")
	e.st.OpenIncident(ctx, globex, p.ID, "unregistered incident", aware)
	return cases
}

// The authority's page, driven in headless Chromium: who reported late and who is exempt from a
// fine, the open procedure with its clock, and a fine estimate on a case.
func TestBrowserAuthorityDashboard(t *testing.T) {
	bin := chromium(t)
	e := newEnv(t, func(c *Config) { c.Now = func() time.Time { return time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) } }) // the store's clock
	cases := authorityScene(t, e)
	if _, err := e.st.CreateUser(t.Context(), e.orgID("BSI"), "market@bsi.example", "another long password", "authority"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.CreateUser(t.Context(), e.orgID("ACME"), "psirt@acme.example", "correct horse battery", "psirt"); err != nil {
		t.Fatal(err)
	}
	login := func(email, password string) context.Context {
		t.Helper()
		ctx := headless(t, bin, 2*time.Minute)
		if err := chromedp.Do(ctx,
			chromedp.Navigate(e.srv.URL+"/login"),
			chromedp.WaitVisible(`input[name=email]`),
			chromedp.SendKeys(`input[name=email]`, email),
			chromedp.SendKeys(`input[name=password]`, password),
			chromedp.Submit(`input[name=password]`),
			chromedp.WaitVisible(`header`),
		); err != nil {
			t.Fatal(err)
		}
		return ctx
	}
	authCtx := login("psirt@acme.example", "correct horse battery")
	if nav, err := chromedp.Run(authCtx, chromedp.Text(`header`)); err != nil || strings.Contains(nav, "Market surveillance") {
		t.Errorf("a manufacturer's navigation offers the authority's page: %q %v", nav, err)
	}
	if err := chromedp.Do(authCtx, chromedp.Navigate(e.srv.URL+"/authority"), chromedp.WaitVisible(`main`)); err != nil {
		t.Fatal(err)
	}
	if text, _ := chromedp.Run(authCtx, chromedp.Text(`main`)); !strings.Contains(text, "for market surveillance authorities") || strings.Contains(text, "Tiny") {
		t.Errorf("a manufacturer on the authority's page:\n%s", text)
	}

	authCtx = login("market@bsi.example", "another long password")
	if err := chromedp.Do(authCtx, chromedp.Click(`a[href="/authority"]`), chromedp.WaitVisible(`#late`)); err != nil {
		t.Fatal(err)
	}
	late, err := chromedp.Run(authCtx, chromedp.Text(`#late`))
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(late, "\n") {
		for _, m := range []string{"Tiny", "ACME", "Mega"} {
			if strings.HasPrefix(strings.TrimSpace(line), m) {
				rows[m] = line
			}
		}
	}
	// Art. 64(10)(a): the micro manufacturer is exempt for the missed early warning; the medium
	// and large ones are not (Art. 64(2) ceiling).
	if r := rows["Tiny"]; !strings.Contains(r, "missed") || !strings.Contains(r, "60 min") || !strings.Contains(r, "exempt") || !strings.Contains(r, "64(10)(a)") {
		t.Errorf("micro manufacturer: %q", r)
	}
	for _, m := range []string{"ACME", "Mega"} {
		if r := rows[m]; !strings.Contains(r, "missed") || strings.Contains(r, "exempt") || !strings.Contains(r, "Art. 64(2)") {
			t.Errorf("%s: %q", m, r)
		}
	}
	if strings.Contains(late, "Globex") || strings.Contains(late, "unregistered") {
		t.Errorf("an unregistered product's case is shown:\n%s", late)
	}
	procs, _ := chromedp.Run(authCtx, chromedp.Text(`#procedures`))
	if !strings.Contains(procs, "remote code execution") || !strings.Contains(procs, "evaluating") || !strings.Contains(procs, "Art. 54(1)") {
		t.Errorf("open procedures:\n%s", procs)
	}
	// A fine estimate on the large manufacturer's case: 2.5 % of EUR 1 bn beats EUR 15 M
	// (Art. 64(2)).
	if err := chromedp.Do(authCtx,
		chromedp.SetValue(`#fine-form select[name=case]`, itoa(cases["Mega"])),
		chromedp.SendKeys(`#fine-form input[name=turnover]`, "1000000000"),
		chromedp.Submit(`#fine-form input[name=turnover]`),
		chromedp.WaitVisible(`#fine`),
	); err != nil {
		t.Fatal(err)
	}
	fine, _ := chromedp.Run(authCtx, chromedp.Text(`#fine`))
	if !strings.Contains(fine, "Ceiling for Mega") || !strings.Contains(fine, "EUR 25,000,000") || !strings.Contains(fine, "never a fine") {
		t.Errorf("fine estimate:\n%s", fine)
	}
	png, err := chromedp.Run(authCtx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(artifact(t, "authority-dashboard.png"), png, 0o644)
	// The micro manufacturer's case: exempt, no fine.
	if err := chromedp.Do(authCtx, chromedp.Navigate(e.srv.URL+"/authority?case="+itoa(cases["Tiny"])), chromedp.WaitVisible(`#fine`)); err != nil {
		t.Fatal(err)
	}
	if fine, _ := chromedp.Run(authCtx, chromedp.Text(`#fine`)); !strings.Contains(fine, "no fine") || !strings.Contains(fine, "64(10)(a)") {
		t.Errorf("micro manufacturer's estimate:\n%s", fine)
	}
}
