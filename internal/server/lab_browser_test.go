package server

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserLabJob starts a lab run from the release page in headless Chromium on a server
// whose lab network is loopback: a target outside it is refused on the page; the run against
// a web interface with a default password is followed on its job's page until done, and the
// release page lists the stored run.
func TestBrowserLabJob(t *testing.T) {
	bin := chromium(t)
	req := labDevice(t)
	port := req["tcpPorts"].([]int)[0]
	e := newEnv(t, withBaseURL, func(c *Config) { c.LabAllow = []string{"127.0.0.0/8"} })
	acme, _ := e.st.OrganizationByName(t.Context(), "ACME")
	if _, err := e.st.CreateUser(t.Context(), acme.ID, "lab@acme.example", "correct horse battery", "psirt"); err != nil {
		t.Fatal(err)
	}
	_, relID := e.newRelease("HomeRouter", "router")
	ctx := signedInWithJobs(t, bin, e, "lab@acme.example")
	release := fmt.Sprintf("%s/releases/%d", e.srv.URL, relID)
	err := chromedp.Do(ctx,
		chromedp.Navigate(release),
		chromedp.WaitVisible(`#lab input[name=target]`),
		chromedp.SendKeys(`#lab input[name=target]`, "192.0.2.1"),
		chromedp.Submit(`#lab input[name=target]`),
		// The refusal itself: the page before the answer has the form and, not yet matched, an
		// alert of its own ("Not matched yet").
		chromedp.WaitVisible(`#page-error`),
	)
	if err != nil {
		t.Fatal(err)
	}
	refused, _ := chromedp.Run(ctx, chromedp.Text(`main`))
	if !strings.Contains(refused, "The lab run was not started") || !strings.Contains(refused, "outside the allowed ranges") {
		t.Errorf("refused target: page says\n%s", refused)
	}
	fitsWindow(t, ctx, "release page with the lab section")
	err = chromedp.Do(ctx,
		chromedp.SetValue(`#lab input[name=target]`, "127.0.0.1"),
		chromedp.SendKeys(`#lab input[name=ports]`, strconv.Itoa(port)),
		chromedp.Submit(`#lab input[name=target]`),
		chromedp.WaitVisible(`#job-state`),
	)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := chromedp.Run(ctx, chromedp.Text(`main`))
	if first = words(first); !strings.Contains(first, "lab run against 127.0.0.1") {
		t.Errorf("job page:\n%s", first)
	}
	// The page refreshes itself until the run is done, then links to the verdicts.
	if err := chromedp.Do(ctx, chromedp.WaitVisible(`#job-progress a[href$="/conformity"]`)); err != nil {
		page, _ := chromedp.Run(ctx, chromedp.Text(`main`))
		t.Fatalf("job never done: %v\n%s", err, page)
	}
	done, _ := chromedp.Run(ctx, chromedp.Text(`main`))
	if done = words(done); !strings.Contains(done, "state done") || !strings.Contains(done, "is stored") {
		t.Errorf("finished job page:\n%s", done)
	}
	fitsWindow(t, ctx, "lab job page")
	if err := chromedp.Do(ctx, chromedp.Navigate(release), chromedp.WaitVisible(`#lab table`)); err != nil {
		t.Fatal(err)
	}
	section, _ := chromedp.Run(ctx, chromedp.Text(`#lab`))
	if !strings.Contains(section, "127.0.0.1") || strings.Contains(section, "running") || strings.Contains(section, "queued") {
		t.Errorf("release page's lab section:\n%s", section)
	}
}

// signedInWithJobs opens headless Chromium in a 1000 px wide window, signed in to e as email
// (password "correct horse battery"), with e's monitor running the jobs the pages queue until
// the test ends.
func signedInWithJobs(t *testing.T, bin string, e *env, email string) context.Context {
	t.Helper()
	ctx := headless(t, bin, 2*time.Minute)
	monCtx, stopMon := context.WithCancel(t.Context())
	t.Cleanup(stopMon)
	go e.mon.Run(monCtx)
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1000, 800),
		chromedp.Navigate(e.srv.URL+"/login"),
		chromedp.WaitVisible(`input[name=email]`),
		chromedp.SendKeys(`input[name=email]`, email),
		chromedp.SendKeys(`input[name=password]`, "correct horse battery"),
		chromedp.Submit(`input[name=password]`),
		chromedp.WaitVisible(`header`),
	)
	if err != nil {
		t.Fatal(err)
	}
	return ctx
}
