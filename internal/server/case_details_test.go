package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/server/app"
)

// The organisation's Member State, the steward flag, and the Art. 14 details through the API:
// the CSIRT each stage went to (14(7)), the intermediate report on request (14(6)), closing and
// reopening with a reason, a fix time in the future refused, and awareness before 11 Sep 2026
// (Art. 71(2)). The test clock says 2026-11-22T12:00Z.
func TestCaseDetailsAPI(t *testing.T) {
	e := newEnv(t)
	var org app.OrganizationView
	if code := e.do("GET", "/api/v1/organization", "acme-admin", "", nil, &org); code != 200 || org.MemberState != "" || org.Calendar != "counted in UTC, no public holidays: set the Member State of main establishment" {
		t.Fatalf("organization %d %+v", code, org)
	}
	if code := e.do("PUT", "/api/v1/organization", "acme-ro", "application/json", jsonBody(map[string]any{"memberState": "DE"}), nil); code != 403 {
		t.Errorf("read-only token set the Member State: %d", code)
	}
	if code := e.do("PUT", "/api/v1/organization", "acme-admin", "application/json", jsonBody(map[string]any{"memberState": "XX"}), nil); code != 400 {
		t.Errorf("unknown Member State: %d", code)
	}
	if code := e.do("PUT", "/api/v1/organization", "acme-admin", "application/json", jsonBody(map[string]any{"memberState": "de", "holidayRegion": "DE-BY", "openSourceSteward": true}), &org); code != 200 ||
		org.MemberState != "DE" || org.HolidayRegion != "DE-BY" || !org.Steward || !strings.Contains(org.Calendar, "Germany") || !strings.Contains(org.Fines, "Art. 64(10)(b)") {
		t.Fatalf("set establishment %d %+v", code, org)
	}

	var c app.CaseView
	if code := e.do("POST", "/api/v1/cases", "acme-admin", "application/json", jsonBody(map[string]any{"type": "incident", "title": "Update server breached", "awareAt": "2026-11-21T08:00:00Z"}), &c); code != 201 {
		t.Fatalf("open incident %d", code)
	}
	path := fmt.Sprintf("/api/v1/cases/%d", c.ID)
	if !c.Steward || !strings.Contains(c.Fines, "open-source software steward") || !strings.Contains(c.Calendar, "Germany") {
		t.Errorf("case of a steward in Germany: steward %v fines %q calendar %q", c.Steward, c.Fines, c.Calendar)
	}
	code, body := e.raw("POST", path+"/fix-available", "acme-admin", "application/json", []byte(`{"at":"2026-11-22T12:00:01Z"}`))
	if code != 400 || !strings.Contains(string(body), "after now") {
		t.Errorf("fix available in the future: %d %s", code, body)
	}
	e.do("POST", path+"/stages/early-warning", "acme-admin", "application/json", []byte(`{"receipt":"SRP-1","csirt":"CERT-Bund (BSI)"}`), &c)
	e.do("POST", path+"/stages/notification", "acme-admin", "application/json", []byte(`{"receipt":"SRP-2"}`), &c)
	if c.Stages[0].Recipient != "CERT-Bund (BSI)" || !strings.HasPrefix(c.Stages[1].Recipient, "CSIRT designated as coordinator of DE") {
		t.Errorf("recipients %q, %q", c.Stages[0].Recipient, c.Stages[1].Recipient)
	}
	if code := e.do("POST", path+"/stages/intermediate-report", "acme-admin", "application/json", []byte(`{"receipt":"SRP-3"}`), nil); code != 400 {
		t.Errorf("intermediate report nobody asked for: %d", code)
	}
	if code := e.do("POST", path+"/intermediate-request", "acme-admin", "application/json", []byte(`{"requestedAt":"2026-11-22T09:00:00Z","due":"2026-11-27T16:00:00Z"}`), &c); code != 200 ||
		len(c.Stages) != 4 || c.Stages[2].Stage != "intermediate-report" || c.Stages[2].Deadline.UTC().Format("2006-01-02T15:04") != "2026-11-27T16:00" {
		t.Fatalf("intermediate request %d %+v", code, c.Stages)
	}
	if code := e.do("POST", path+"/stages/intermediate-report", "acme-admin", "application/json", []byte(`{"receipt":"SRP-3"}`), &c); code != 200 || c.Stages[2].Submitted.IsZero() {
		t.Errorf("intermediate report %d %+v", code, c.Stages[2])
	}
	if code := e.do("POST", path+"/close", "acme-admin", "application/json", []byte(`{"reason":" "}`), nil); code != 400 {
		t.Errorf("close without a reason: %d", code)
	}
	if code := e.do("POST", path+"/close", "acme-ro", "application/json", []byte(`{"reason":"x"}`), nil); code != 403 {
		t.Errorf("read-only token closed a case: %d", code)
	}
	if code := e.do("POST", path+"/close", "acme-admin", "application/json", []byte(`{"reason":"false alarm: no server was reached"}`), &c); code != 200 || c.Closed.IsZero() || c.ClosedReason != "false alarm: no server was reached" {
		t.Errorf("close %d %v %q", code, c.Closed, c.ClosedReason)
	}
	if code := e.do("POST", path+"/close", "acme-admin", "application/json", []byte(`{"reason":"again"}`), nil); code != 409 {
		t.Errorf("closing a closed case: %d", code)
	}
	var reopened app.CaseView
	if code := e.do("POST", path+"/reopen", "acme-admin", "application/json", []byte(`{"reason":"forensics found access"}`), &reopened); code != 200 || !reopened.Closed.IsZero() {
		t.Errorf("reopen %d %v", code, reopened.Closed)
	}

	var old app.CaseView
	if code := e.do("POST", "/api/v1/cases", "acme-admin", "application/json", jsonBody(map[string]any{"type": "incident", "title": "Old breach", "awareAt": "2026-09-10T21:00:00Z"}), &old); code != 201 ||
		old.BeforeApplication == "" || len(old.Stages) != 0 {
		t.Errorf("awareness on 10 Sep 2026, 23:00 in Germany: %d %q %d stages", code, old.BeforeApplication, len(old.Stages))
	}
	var first app.CaseView
	if code := e.do("POST", "/api/v1/cases", "acme-admin", "application/json", jsonBody(map[string]any{"type": "incident", "title": "First day", "awareAt": "2026-09-10T22:30:00Z"}), &first); code != 201 ||
		first.BeforeApplication != "" || len(first.Stages) != 3 {
		t.Errorf("awareness on 11 Sep 2026, 00:30 in Germany: %d %q %d stages", code, first.BeforeApplication, len(first.Stages))
	}
}

// The web UI sets the Member State and closes and reopens a case with a reason.
func TestCaseDetailsWeb(t *testing.T) {
	e := newEnv(t)
	acme, _ := e.st.OrganizationByName(t.Context(), "ACME")
	if _, err := e.st.CreateUser(t.Context(), acme.ID, "admin@acme.example", "correct horse battery", "admin"); err != nil {
		t.Fatal(err)
	}
	b := e.browser(t)
	b.post("/login", url.Values{"email": {"admin@acme.example"}, "password": {"correct horse battery"}})
	if code, page, _ := b.post("/settings/organization", url.Values{"memberState": {"XX"}}); code != 400 || !strings.Contains(text(t, page), "XX") {
		t.Errorf("unknown Member State: %d %s", code, text(t, page))
	}
	if code, _, _ := b.post("/settings/organization", url.Values{"memberState": {"AT"}, "steward": {"on"}}); code != http.StatusSeeOther {
		t.Fatalf("set Member State: %d", code)
	}
	if _, page, _ := b.get("/settings/organization"); !strings.Contains(text(t, page), "Austria") || !strings.Contains(text(t, page), "Art. 64(10)(b)") {
		t.Errorf("organisation page: %s", text(t, page))
	}
	c, err := e.st.OpenIncident(t.Context(), acme.ID, 0, "Outage", time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/cases/%d", c.ID)
	if _, page, _ := b.get(path); !strings.Contains(text(t, page), "Deadlines counted in: AT (Europe/Vienna)") || !strings.Contains(page, "CET") {
		t.Errorf("case page does not count in Austria's calendar: %s", text(t, page))
	}
	if _, _, h := b.post(path+"/close", url.Values{"kind": {"triaged not affected"}}); !strings.Contains(h.Get("Location"), "error") {
		t.Errorf("closed without a reason: %s", h.Get("Location"))
	}
	b.post(path+"/close", url.Values{"kind": {"triaged not affected"}, "reason": {"the breached host is not ours"}})
	if _, page, _ := b.get(path); !strings.Contains(text(t, page), "triaged not affected: the breached host is not ours") || !strings.Contains(text(t, page), "Reopen the case") {
		t.Errorf("closed case page: %s", text(t, page))
	}
	b.post(path+"/reopen", url.Values{"reason": {"the host is ours after all"}})
	if got, _ := e.st.CaseByID(t.Context(), c.ID); !got.Closed.IsZero() {
		t.Errorf("reopen did not reopen")
	}
}

// The release form takes the structured reason for a support period under five years (CRA
// Art. 13(8) third subparagraph); words alone are refused on the page.
func TestSupportPeriodWeb(t *testing.T) {
	e := newEnv(t)
	acme, _ := e.st.OrganizationByName(t.Context(), "ACME")
	e.st.CreateUser(t.Context(), acme.ID, "admin@acme.example", "correct horse battery", "admin")
	prod, _ := e.st.CreateProduct(t.Context(), acme.ID, "Badge", "event-badge", "default")
	b := e.browser(t)
	b.post("/login", url.Values{"email": {"admin@acme.example"}, "password": {"correct horse battery"}})
	path := fmt.Sprintf("/products/%d/releases", prod.ID)
	form := url.Values{"version": {"1"}, "placedOnMarket": {"2026-10-01"}, "supportEnd": {"2028-10"}, "supportJustification": {"two trade-fair seasons"}}
	if code, page, _ := b.post(path, form); code != 400 || !strings.Contains(text(t, page), "expected to be in use") {
		t.Errorf("words alone: %d %s", code, text(t, page))
	}
	form.Set("supportExpectedUseMonths", "24")
	form.Set("supportBasis", "intended-purpose")
	if code, page, _ := b.post(path, form); code != http.StatusSeeOther {
		t.Errorf("with the structured reason: %d %s", code, text(t, page))
	}
	if _, page, _ := b.get(fmt.Sprintf("/products/%d", prod.ID)); !strings.Contains(text(t, page), "2 years 30 days") {
		t.Errorf("product page: %s", text(t, page))
	}
}
