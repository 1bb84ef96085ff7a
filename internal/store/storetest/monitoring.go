package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/store"
)

func kinds(cs []store.FindingChange) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Kind+" "+c.Finding.Vulnerability)
	}
	return out
}

func testFindings(t *testing.T, s *store.DB) {
	ctx := t.Context()
	org := must(s.CreateOrganization(ctx, "ACME", "small", false))
	other := must(s.CreateOrganization(ctx, "Other", "large", false))
	prod := must(s.CreateProduct(ctx, org.ID, "R", "router", "default"))
	rel := must(s.CreateRelease(ctx, prod.ID, "1", "2026-01-05", "2031-01"))
	hook := must(s.AddChannel(ctx, store.Channel{Organization: org.ID, Kind: "webhook", Target: "https://psirt.example/hook", Secret: "0123456789abcdef"}))
	must(s.AddChannel(ctx, store.Channel{Organization: org.ID, Kind: "email", Target: "psirt@acme.example", Events: []string{store.ChangeExploited}}))
	must(s.AddChannel(ctx, store.Channel{Organization: other.ID, Kind: "email", Target: "x@other.example"}))
	events := 0
	event := func(c store.FindingChange) store.Event {
		events++
		return store.Event{ID: store.NewEventID(), Payload: []byte(fmt.Sprintf(`{"kind":%q}`, c.Kind))}
	}
	a := store.Finding{Vulnerability: "CVE-1", PURL: "pkg:npm/a@1", Severity: "HIGH", Score: 7.5, Data: []byte(`{}`)}
	b := store.Finding{Vulnerability: "CVE-2", PURL: "pkg:npm/b@1", Severity: "LOW", Score: 2, Data: []byte(`{}`)}
	ch := must(s.ApplyFindings(ctx, rel.ID, nil, []store.Finding{a, b}, event))
	if got := fmt.Sprint(kinds(ch)); got != "[finding.new CVE-1 finding.new CVE-2]" {
		t.Errorf("first run: %s", got)
	}
	// The same outcome again changes nothing and notifies nobody.
	if ch := must(s.ApplyFindings(ctx, rel.ID, nil, []store.Finding{a, b}, event)); len(ch) != 0 {
		t.Errorf("repeat: %v", kinds(ch))
	}
	// a becomes exploited; a re-match scoped to b's package that no longer finds CVE-2 resolves it
	// and leaves a alone.
	a.Exploited = true
	ch = must(s.ApplyFindings(ctx, rel.ID, map[string]bool{"pkg:npm/a@1": true}, []store.Finding{a}, event))
	if got := fmt.Sprint(kinds(ch)); got != "[finding.exploited CVE-1]" {
		t.Errorf("exploited: %s", got)
	}
	ch = must(s.ApplyFindings(ctx, rel.ID, map[string]bool{"pkg:npm/b@1": true}, nil, event))
	if got := fmt.Sprint(kinds(ch)); got != "[finding.resolved CVE-2]" {
		t.Errorf("resolved: %s", got)
	}
	open, total := must2(s.Findings(ctx, rel.ID, store.FindingFilter{}))
	if total != 1 || len(open) != 1 || open[0].Vulnerability != "CVE-1" || !open[0].Exploited {
		t.Errorf("open findings %d %+v", total, open)
	}
	if _, n := must2(s.Findings(ctx, rel.ID, store.FindingFilter{MinSeverity: "CRITICAL"})); n != 0 {
		t.Errorf("critical filter: %d", n)
	}
	if _, n := must2(s.Findings(ctx, rel.ID, store.FindingFilter{Search: "npm/a"})); n != 1 {
		t.Errorf("search: %d", n)
	}
	sum := must(s.ProductSummaries(ctx, org.ID))[prod.ID]
	if sum.Total != 1 || sum.Exploited != 1 || sum.High != 1 {
		t.Errorf("summary %+v", sum)
	}
	// Triaged not affected, a finding no longer counts as in force; back under investigation, it does.
	must(s.SetVEX(ctx, store.VEX{Release: rel.ID, Vulnerability: "CVE-1", PURL: "pkg:npm/a@1", Status: "not_affected", Justification: "component_not_present", Author: "x"}))
	if sum := must(s.ProductSummaries(ctx, org.ID))[prod.ID]; sum.Total != 0 || sum.Exploited != 0 {
		t.Errorf("summary after not_affected %+v", sum)
	}
	must(s.SetVEX(ctx, store.VEX{Release: rel.ID, Vulnerability: "CVE-1", PURL: "pkg:npm/a@1", Status: "under_investigation", Author: "x"}))
	if sum := must(s.ProductSummaries(ctx, org.ID))[prod.ID]; sum.Total != 1 || sum.Exploited != 1 {
		t.Errorf("summary after under_investigation %+v", sum)
	}
	// Notifications: 2 new + 1 exploited to the webhook (all kinds), 1 exploited to the e-mail
	// channel; nothing to the other organization.
	ns := must(s.Notifications(ctx, org.ID, 100))
	byChannel := map[string]int{}
	for _, n := range ns {
		byChannel[n.Channel.Kind+" "+n.Kind]++
	}
	if fmt.Sprint(byChannel) != "map[email finding.exploited:1 webhook finding.exploited:1 webhook finding.new:2]" {
		t.Errorf("notifications %v", byChannel)
	}
	if n := must(s.Notifications(ctx, other.ID, 100)); len(n) != 0 {
		t.Errorf("other organization notified: %+v", n)
	}
	// Each notification has its delivery job.
	jobs := must(s.Jobs(ctx, "deliver", 100))
	if len(jobs) != 4 {
		t.Errorf("%d delivery jobs", len(jobs))
	}
	if err := s.RemoveChannel(ctx, other.ID, hook.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("removing another organization's channel: %v", err)
	}
	must(0, s.RemoveChannel(ctx, org.ID, hook.ID))
	if cs := must(s.Channels(ctx, org.ID)); len(cs) != 1 || cs[0].Kind != "email" {
		t.Errorf("channels after removal %+v", cs)
	}
}

func testJobs(t *testing.T, s *store.DB) {
	ctx := t.Context()
	if added := must(s.Enqueue(ctx, "db-update", nil, "db-update", time.Time{})); !added {
		t.Fatal("first job not added")
	}
	if added := must(s.Enqueue(ctx, "db-update", nil, "db-update", time.Time{})); added {
		t.Error("a second unfinished job with the same dedup key was added")
	}
	must(s.Enqueue(ctx, "later", nil, "", time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)))
	j := must(s.ClaimJob(ctx, "a", time.Minute))
	if j == nil || j.Kind != "db-update" || j.Attempts != 1 {
		t.Fatalf("claimed %+v", j)
	}
	if j2 := must(s.ClaimJob(ctx, "b", time.Minute)); j2 != nil {
		t.Errorf("claimed a job not due or held: %+v", j2)
	}
	must(0, s.Heartbeat(ctx, j.ID, "a", time.Minute, "halfway"))
	if err := s.FinishJob(ctx, j.ID, "b"); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("finish by a stranger: %v", err)
	}
	must(0, s.RetryJob(ctx, j.ID, "a", errors.New("network down"), time.Unix(0, 0)))
	j = must(s.ClaimJob(ctx, "b", -time.Second)) // a lease already expired: as if b died at once
	if j == nil || j.Attempts != 2 {
		t.Fatalf("retry %+v", j)
	}
	j = must(s.ClaimJob(ctx, "c", time.Minute)) // c takes over b's expired lease
	if j == nil || j.Attempts != 3 {
		t.Fatalf("take-over %+v", j)
	}
	if err := s.FinishJob(ctx, j.ID, "b"); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("finish after losing the lease: %v", err)
	}
	must(0, s.FinishJob(ctx, j.ID, "c"))
	if added := must(s.Enqueue(ctx, "db-update", nil, "db-update", time.Time{})); !added {
		t.Error("dedup key not released when the job finished")
	}
	// Many workers, many jobs: each job is run exactly once.
	for i := range 40 {
		must(s.Enqueue(ctx, "n", i, "", time.Time{}))
	}
	var mu sync.Mutex
	ran := map[int64]int{}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for {
				j, err := s.ClaimJob(context.Background(), fmt.Sprint("w", w), time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if j == nil {
					return
				}
				mu.Lock()
				ran[j.ID]++
				mu.Unlock()
				if err := s.FinishJob(context.Background(), j.ID, fmt.Sprint("w", w)); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if len(ran) != 41 { // 40 + the second db-update
		t.Errorf("%d jobs ran", len(ran))
	}
	for id, n := range ran {
		if n != 1 {
			t.Errorf("job %d ran %d times", id, n)
		}
	}
	info := must(s.Jobs(ctx, "db-update", 10))
	// A finished job shows no progress: "halfway" was true while it ran, not after.
	if len(info) != 2 || info[1].State != "done" || info[1].Progress != "" {
		t.Errorf("job list %+v", info)
	}
}

func testChannels(t *testing.T, s *store.DB) {
	ctx := t.Context()
	org := must(s.CreateOrganization(ctx, "ACME", "small", false))
	for _, c := range []store.Channel{
		{Organization: org.ID, Kind: "webhook", Target: "ftp://x", Secret: "0123456789abcdef"},
		{Organization: org.ID, Kind: "webhook", Target: "https://x.example/h", Secret: "short"},
		{Organization: org.ID, Kind: "email", Target: "Bob <bob@x.example>"},
		{Organization: org.ID, Kind: "email", Target: "psirt@x.example", Events: []string{"finding.maybe"}},
		{Organization: org.ID, Kind: "sms", Target: "+49"},
	} {
		if _, err := s.AddChannel(ctx, c); err == nil {
			t.Errorf("channel %+v accepted", c)
		}
	}
	c := must(s.AddChannel(ctx, store.Channel{Organization: org.ID, Kind: "email", Target: "psirt@x.example"}))
	must(0, s.QueueTestNotification(ctx, org.ID, c.ID, store.Event{ID: "evt_test", Payload: []byte(`{}`)}))
	n := must(s.Notifications(ctx, org.ID, 10))
	if len(n) != 1 || n[0].State != "pending" {
		t.Fatalf("notifications %+v", n)
	}
	must(0, s.RecordDelivery(ctx, n[0].ID, errors.New("connection refused"), false))
	must(0, s.RecordDelivery(ctx, n[0].ID, nil, false))
	got := must(s.NotificationByID(ctx, n[0].ID))
	if got.State != "delivered" || got.Attempts != 2 || got.DeliveredAt.IsZero() || got.Channel.Target != "psirt@x.example" {
		t.Errorf("after delivery %+v", got)
	}
}

func testAudit(t *testing.T, s *store.DB) {
	ctx := store.WithActor(t.Context(), "user:lead@acme.example")
	org := must(s.CreateOrganization(ctx, "ACME", "small", false))
	prod := must(s.CreateProduct(ctx, org.ID, "R", "router", "default"))
	rel := must(s.CreateRelease(ctx, prod.ID, "1", "", "2031-01"))
	must(s.AddSBOM(ctx, rel.ID, store.SBOMContent{Format: "cyclonedx-json", SHA256: "ff"}))
	must(s.SetVEX(ctx, store.VEX{Release: rel.ID, Vulnerability: "CVE-1", PURL: "pkg:npm/a@1", Status: "affected", Action: "update to 2", Author: "lead@acme.example"}))
	ev := must(s.AuditEvents(ctx, org.ID, 10))
	var got []string
	for _, e := range ev {
		got = append(got, e.Actor+" "+e.Action)
	}
	want := "[user:lead@acme.example vex.set user:lead@acme.example sbom.upload user:lead@acme.example release.create user:lead@acme.example product.create]"
	if fmt.Sprint(got) != want {
		t.Errorf("audit trail %v", got)
	}
}

func testCases(t *testing.T, s *store.DB) {
	ctx := t.Context()
	org := must(s.CreateOrganization(ctx, "ACME", "small", false))
	prod := must(s.CreateProduct(ctx, org.ID, "R", "router", "default"))
	onMarket := must(s.CreateRelease(ctx, prod.ID, "1", "2026-01-05", "2031-01"))
	onMarket2 := must(s.CreateRelease(ctx, prod.ID, "2", "2026-06-05", "2031-06"))
	notYet := must(s.CreateRelease(ctx, prod.ID, "3", "", "2032-01"))
	triaged := must(s.CreateRelease(ctx, must(s.CreateProduct(ctx, org.ID, "S", "switch", "default")).ID, "1", "2026-01-05", "2031-01"))
	must(s.SetVEX(ctx, store.VEX{Release: triaged.ID, Vulnerability: "CVE-9", PURL: "pkg:npm/a@1", Status: "not_affected", Justification: "component_not_present", Author: "x"}))
	exploited := store.Finding{Vulnerability: "CVE-9", PURL: "pkg:npm/a@1", Severity: "HIGH", Exploited: true, Data: []byte(`{}`), Title: "RCE in a", Evidence: "CISA KEV"}
	for _, rel := range []*store.Release{notYet, triaged, onMarket, onMarket2} {
		must(s.ApplyFindings(ctx, rel.ID, nil, []store.Finding{exploited}, nil))
	}
	cs := must(s.Cases(ctx, org.ID))
	if len(cs) != 1 || cs[0].Product != prod.ID || cs[0].Vulnerability != "CVE-9" || cs[0].Type != "exploited" || cs[0].Evidence != "CISA KEV" || cs[0].OrgSize != "small" {
		t.Fatalf("cases %+v (one per product and vulnerability, only on the market, not when triaged not_affected)", cs)
	}
	c := cs[0]
	if rs := must(s.CaseReleases(ctx, &c)); len(rs) != 3 { // releases 1, 2 and 3 of R carry it
		t.Errorf("case releases %d", len(rs))
	}
	if err := s.SubmitStage(ctx, c.ID, "notification", []byte(`{}`), "R-1", "psirt"); err == nil {
		t.Error("notification before the early warning accepted")
	}
	must(0, s.SubmitStage(ctx, c.ID, "early-warning", []byte(`{"stage":"early-warning"}`), "ENISA-SRP-1", "psirt@acme"))
	if err := s.SubmitStage(ctx, c.ID, "early-warning", []byte(`{}`), "again", "psirt"); !errors.Is(err, store.ErrConflict) {
		t.Errorf("second early warning: %v", err)
	}
	must(0, s.SubmitStage(ctx, c.ID, "notification", []byte(`{}`), "ENISA-SRP-2", "psirt@acme"))
	if err := s.SubmitStage(ctx, c.ID, "final-report", []byte(`{}`), "R-3", "psirt"); err == nil {
		t.Error("final report before a fix is available accepted")
	}
	fix := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	must(0, s.SetFixAvailable(ctx, c.ID, fix))
	must(0, s.SubmitStage(ctx, c.ID, "final-report", []byte(`{}`), "ENISA-SRP-3", "psirt@acme"))
	got := must(s.CaseByID(ctx, c.ID))
	if got.Closed.IsZero() || !got.FixAvailable.Equal(fix) || len(got.Stages) != 3 || got.Stages["early-warning"].Receipt != "ENISA-SRP-1" || string(got.Stages["early-warning"].Report) != `{"stage":"early-warning"}` {
		t.Errorf("case after the final report %+v", got)
	}
	inc := must(s.OpenIncident(ctx, org.ID, prod.ID, "Signing key leaked", time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)))
	if got := must(s.CaseByID(ctx, inc.ID)); got.Type != "incident" || got.ProductName != "R" {
		t.Errorf("incident %+v", got)
	}
}

// A channel that follows one product hears only of that product.
func testProductChannel(t *testing.T, s *store.DB) {
	ctx := t.Context()
	org := must(s.CreateOrganization(ctx, "ACME", "small", false))
	other := must(s.CreateOrganization(ctx, "Other", "small", false))
	cam := must(s.CreateProduct(ctx, org.ID, "Cam", "camera", "default"))
	router := must(s.CreateProduct(ctx, org.ID, "Router", "router", "default"))
	foreign := must(s.CreateProduct(ctx, other.ID, "X", "x", "default"))
	if _, err := s.AddChannel(ctx, store.Channel{Organization: org.ID, Kind: "email", Target: "a@acme.example", Product: foreign.ID}); err == nil {
		t.Error("a channel following another organization's product was accepted")
	}
	must(s.AddChannel(ctx, store.Channel{Organization: org.ID, Kind: "email", Target: "cam-buyers@acme.example", Product: cam.ID}))
	for _, p := range []*store.Product{cam, router} {
		rel := must(s.CreateRelease(ctx, p.ID, "1", "", "2031-12"))
		must(s.ApplyFindings(ctx, rel.ID, nil, []store.Finding{{Vulnerability: "CVE-1", PURL: "pkg:npm/a@1", Severity: "LOW", Data: []byte(`{}`)}},
			func(c store.FindingChange) store.Event {
				return store.Event{ID: store.NewEventID(), Payload: []byte(`{}`)}
			}))
	}
	must(0, s.QueueOrgEvent(ctx, org.ID, 0, store.EventCaseDue, store.Event{ID: "case-1", Payload: []byte(`{}`)}))
	ns := must(s.Notifications(ctx, org.ID, 10))
	if len(ns) != 1 || ns[0].Channel.Product != cam.ID || ns[0].Kind != store.ChangeNew {
		t.Errorf("notifications %+v: want the Cam finding only", ns)
	}
}
