package server

import (
	"context"
	"crypto/ed25519"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/siegel-oss/siegel/internal/label"
	"github.com/siegel-oss/siegel/internal/server/api"
)

// An issuer revokes a label in the browser, security requiring immediate action: the label's
// public page and its signed statement say so at once, with the reason; a manufacturer is
// refused the decision page and the label no longer offers the form.
func TestBrowserLabelRevocation(t *testing.T) {
	bin := chromium(t)
	e := newEnv(t, withBaseURL, func(c *Config) { c.Now = func() time.Time { return time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) } })
	ctx := t.Context()
	_, rel := e.productWithRelease("acme-admin", "Plug", "smart-plug", "default", 500)
	e.attestAll(rel, "etsi-en-303-645")
	var l api.LabelJSON
	if code := e.do("POST", "/api/v1/releases/"+itoa(rel)+"/labels", "acme-admin", "application/json", []byte(`{}`), &l); code != 201 || l.Status != "valid" {
		t.Fatalf("label: %d %+v", code, l)
	}
	for _, u := range []struct{ org, email, role string }{{"BSI", "labels@bsi.example", "authority"}, {"ACME", "psirt@acme.example", "psirt"}} {
		if _, err := e.st.CreateUser(ctx, e.orgID(u.org), u.email, "a long enough password", u.role); err != nil {
			t.Fatal(err)
		}
	}
	login := func(email string) context.Context {
		t.Helper()
		bctx := headless(t, bin, 2*time.Minute)
		if err := chromedp.Do(bctx,
			chromedp.Navigate(e.srv.URL+"/login"),
			chromedp.WaitVisible(`input[name=email]`),
			chromedp.SendKeys(`input[name=email]`, email),
			chromedp.SendKeys(`input[name=password]`, "a long enough password"),
			chromedp.Submit(`input[name=password]`),
			chromedp.WaitVisible(`header`),
		); err != nil {
			t.Fatal(err)
		}
		return bctx
	}
	decision := e.srv.URL + "/authority/labels/" + l.ID

	man := login("psirt@acme.example")
	if err := chromedp.Do(man, chromedp.Navigate(decision), chromedp.WaitVisible(`main`)); err != nil {
		t.Fatal(err)
	}
	if text, _ := chromedp.Run(man, chromedp.Text(`main`)); !strings.Contains(text, "Only a label issuer") || strings.Contains(text, "Revoke the label") {
		t.Errorf("a manufacturer on the decision page:\n%s", text)
	}

	issuer := login("labels@bsi.example")
	if err := chromedp.Do(issuer, chromedp.Navigate(e.srv.URL+"/label/"+l.ID), chromedp.WaitVisible(`p.label-status`)); err != nil {
		t.Fatal(err)
	}
	if before, _ := chromedp.Run(issuer, chromedp.Text(`p.label-status`)); !strings.Contains(before, "Valid") {
		t.Fatalf("public page before: %q", before)
	}
	const reason = "default password shared by every unit (ETSI EN 303 645 5.1-1); actively exploited"
	if err := chromedp.Do(issuer,
		chromedp.Navigate(decision),
		chromedp.WaitVisible(`#revoke`),
		chromedp.SendKeys(`#revoke textarea[name=reason]`, reason),
		chromedp.Click(`#revoke input[name=immediate]`),
		chromedp.Submit(`#revoke textarea[name=reason]`),
		chromedp.WaitVisible(`p.label-status.revoked`),
	); err != nil {
		t.Fatal(err)
	}
	page, _ := chromedp.Run(issuer, chromedp.Text(`main`))
	if status, _ := chromedp.Run(issuer, chromedp.Text(`p.label-status`)); !strings.Contains(status, "Revoked") || !strings.Contains(status, reason) {
		t.Errorf("public page after the revocation: %q\n%s", status, page)
	}
	png, err := chromedp.Run(issuer, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(artifact(t, "label-revoked.png"), png, 0o644)

	// The signed statement anyone can fetch from the page says the same.
	resp, err := e.srv.Client().Get(e.srv.URL + "/label/" + l.ID + "/statement")
	if err != nil {
		t.Fatal(err)
	}
	env, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	key, err := e.server.Conformity.Key(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st, err := label.Verify(env, key.Public().(ed25519.PublicKey))
	if err != nil || st.Status != label.Revoked || st.Reason != "revoked by BSI: "+reason || !st.StatusSince.Equal(time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("signed statement after the revocation: %+v %v", st, err)
	}
	// Revoked, the label offers no second revocation.
	if err := chromedp.Do(issuer, chromedp.Navigate(decision), chromedp.WaitVisible(`main`)); err != nil {
		t.Fatal(err)
	}
	if text, _ := chromedp.Run(issuer, chromedp.Text(`main`)); !strings.Contains(text, "revoked") || strings.Contains(text, "Revoke the label") {
		t.Errorf("decision page of a revoked label:\n%s", text)
	}
}
