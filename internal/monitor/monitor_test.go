package monitor_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/match"
	"github.com/siegel-oss/siegel/internal/monitor"
	"github.com/siegel-oss/siegel/internal/notify"
	"github.com/siegel-oss/siegel/internal/sbom"
	"github.com/siegel-oss/siegel/internal/store"
	"github.com/siegel-oss/siegel/internal/vulndb"
)

// loopbackWebhooks reaches the test receivers on 127.0.0.1, as --webhook-allow 127.0.0.0/8 does.
var loopbackWebhooks = notify.AddressPolicy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}.Client(10 * time.Second)

func writeAdvisory(t *testing.T, dir, id, modified, name, fixed, cve string) {
	t.Helper()
	rec := fmt.Sprintf(`{"id":%q,"modified":%q,"aliases":[%q],"summary":"flaw in %s","affected":[{"package":{"ecosystem":"PyPI","name":%q},
		"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":%q}]}]}]}`, id, modified, cve, name, name, fixed)
	if err := os.WriteFile(filepath.Join(dir, id+".json"), []byte(rec), 0o644); err != nil {
		t.Fatal(err)
	}
}

// hook is a webhook receiver that checks every signature.
type hook struct {
	mu     sync.Mutex
	events []notify.Event
	srv    *httptest.Server
}

func newHook(t *testing.T, secret string) *hook {
	h := &hook{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := notify.Verify([]byte(secret), body, r.Header.Get("Siegel-Signature"), time.Now(), 5*time.Minute); err != nil {
			t.Errorf("webhook signature: %v", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var e notify.Event
		json.Unmarshal(body, &e)
		h.mu.Lock()
		h.events = append(h.events, e)
		h.mu.Unlock()
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hook) take() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, e := range h.events {
		out = append(out, e.Kind+" "+e.Vulnerability+" "+e.Package)
	}
	slices.Sort(out)
	h.events = nil
	return out
}

func drain(t *testing.T, m *monitor.Monitor) {
	t.Helper()
	for {
		ran, err := m.RunOnce(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if !ran {
			return
		}
	}
}

// TestMonitor follows a release through an SBOM upload, a database update that changes one
// advisory, adds another and puts a third on the KEV list, and a server that dies mid-job: the
// findings follow, only touched components are matched again, each change is notified once.
func TestMonitor(t *testing.T) {
	ctx := t.Context()
	st, err := store.OpenSQLite(ctx, t.TempDir(), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	osv, vdir := t.TempDir(), t.TempDir()
	writeAdvisory(t, osv, "PYSEC-1", "2026-01-01T00:00:00Z", "alpha", "2.0", "CVE-2026-0001")
	writeAdvisory(t, osv, "PYSEC-2", "2026-01-01T00:00:00Z", "beta", "2.0", "CVE-2026-0002")
	kev := filepath.Join(t.TempDir(), "kev.json")
	os.WriteFile(kev, []byte(`{"vulnerabilities":[]}`), 0o644)
	mon := monitor.New(monitor.Config{Store: st, VulnDB: vdir, Sources: vulndb.Sources{OSV: osv, KEV: kev}, BaseURL: "https://siegel.example", Webhooks: loopbackWebhooks})
	if err := mon.RequestUpdate(ctx); err != nil {
		t.Fatal(err)
	}
	drain(t, mon)

	org, _ := st.CreateOrganization(ctx, "ACME", "small", false)
	prod, _ := st.CreateProduct(ctx, org.ID, "Router", "router", "default")
	rel, _ := st.CreateRelease(ctx, prod.ID, "1.0", "2026-03-01", "2031-12")
	h := newHook(t, "0123456789abcdef-secret")
	if _, err := st.AddChannel(ctx, store.Channel{Organization: org.ID, Kind: "webhook", Target: h.srv.URL, Secret: "0123456789abcdef-secret"}); err != nil {
		t.Fatal(err)
	}
	var comps []store.Component
	for _, n := range []string{"alpha", "beta", "gamma", "delta"} {
		c := sbom.Component{Ref: n, Name: n, Version: "1.0", PURL: "pkg:pypi/" + n + "@1.0"}
		p, _ := match.PackageOf(c)
		comps = append(comps, store.Component{Ref: n, Name: n, Version: "1.0", PURL: c.PURL, Ecosystem: p.Ecosystem, Lookup: p.Lookup, MatchVersion: p.Version})
	}
	if _, err := st.AddSBOM(ctx, rel.ID, store.SBOMContent{Format: "cyclonedx-json", SHA256: "ab", Components: comps}); err != nil {
		t.Fatal(err)
	}
	// A server takes the match job and dies (its lease runs out): this monitor takes it over.
	if j, err := st.ClaimJob(ctx, "dead-server", -time.Second); err != nil || j == nil || j.Kind != monitor.KindMatch {
		t.Fatalf("claim %+v %v", j, err)
	}
	drain(t, mon)
	if got := fmt.Sprint(h.take()); got != "[finding.new CVE-2026-0001 pkg:pypi/alpha@1.0 finding.new CVE-2026-0002 pkg:pypi/beta@1.0]" {
		t.Errorf("after upload: %s", got)
	}

	// The update: beta's advisory now says 1.0 was never affected, gamma gets one, alpha's CVE
	// enters KEV. delta is untouched.
	writeAdvisory(t, osv, "PYSEC-2", "2026-02-01T00:00:00Z", "beta", "0.9", "CVE-2026-0002")
	writeAdvisory(t, osv, "PYSEC-3", "2026-02-01T00:00:00Z", "gamma", "2.0", "CVE-2026-0003")
	os.WriteFile(kev, []byte(`{"vulnerabilities":[{"cveID":"CVE-2026-0001","dateAdded":"2026-11-20","dueDate":"2026-12-11","knownRansomwareCampaignUse":"Unknown"}]}`), 0o644)
	if err := mon.RequestUpdate(ctx); err != nil {
		t.Fatal(err)
	}
	drain(t, mon)
	jobs, _ := st.Jobs(ctx, monitor.KindRematch, 10)
	if len(jobs) != 1 {
		t.Fatalf("%d rematch jobs, want one for the whole update", len(jobs))
	}
	var keys []string
	for _, j := range jobs {
		var p struct{ Keys []vulndb.Key }
		json.Unmarshal(j.Payload, &p)
		for _, k := range p.Keys {
			keys = append(keys, k.Name)
		}
	}
	slices.Sort(keys)
	if fmt.Sprint(keys) != "[alpha beta gamma]" {
		t.Errorf("re-matched packages %v; only those the update touched", keys)
	}
	if got := fmt.Sprint(h.take()); got != "[finding.exploited CVE-2026-0001 pkg:pypi/alpha@1.0 finding.new CVE-2026-0003 pkg:pypi/gamma@1.0]" {
		t.Errorf("after update: %s", got)
	}
	open, _, _ := st.Findings(ctx, rel.ID, store.FindingFilter{})
	var got []string
	for _, f := range open {
		got = append(got, fmt.Sprint(f.Vulnerability, " exploited=", f.Exploited))
	}
	if fmt.Sprint(got) != "[CVE-2026-0001 exploited=true CVE-2026-0003 exploited=false]" {
		t.Errorf("findings in force %v", got)
	}
	if resolved, _, _ := st.Findings(ctx, rel.ID, store.FindingFilter{Resolved: true}); len(resolved) != 1 || resolved[0].Vulnerability != "CVE-2026-0002" {
		t.Errorf("resolved %+v", resolved)
	}
	// alpha's vulnerability is now exploited in a release on the market: a reporting case opened.
	if cs, _ := st.Cases(ctx, org.ID); len(cs) != 1 || cs[0].Vulnerability != "CVE-2026-0001" || !strings.Contains(cs[0].Evidence, "CISA KEV (CVE-2026-0001, added 2026-11-20)") {
		t.Errorf("cases %+v", cs)
	}
	// Nothing new: nothing notified.
	if err := mon.RequestUpdate(ctx); err != nil {
		t.Fatal(err)
	}
	drain(t, mon)
	if got := h.take(); len(got) != 0 {
		t.Errorf("an unchanged update notified %v", got)
	}
	ns, _ := st.Notifications(ctx, org.ID, 10)
	for _, n := range ns {
		if n.State != "delivered" || n.Attempts != 1 {
			t.Errorf("notification %d: %s after %d attempts (%s)", n.ID, n.State, n.Attempts, n.LastError)
		}
	}
}

// A webhook that fails is retried later; one that answers 4xx is given up at once.
func TestDeliveryRetries(t *testing.T) {
	ctx := t.Context()
	st, err := store.OpenSQLite(ctx, t.TempDir(), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	status := http.StatusServiceUnavailable
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.WriteHeader(status)
	}))
	defer srv.Close()
	org, _ := st.CreateOrganization(ctx, "ACME", "small", false)
	ch, _ := st.AddChannel(ctx, store.Channel{Organization: org.ID, Kind: "webhook", Target: srv.URL, Secret: "0123456789abcdef"})
	mon := monitor.New(monitor.Config{Store: st, VulnDB: t.TempDir(), Webhooks: loopbackWebhooks})
	if err := st.QueueTestNotification(ctx, org.ID, ch.ID, store.Event{ID: "evt_1", Payload: []byte(`{"id":"evt_1","kind":"test"}`)}); err != nil {
		t.Fatal(err)
	}
	drain(t, mon)
	n, _ := st.Notifications(ctx, org.ID, 1)
	jobs, _ := st.Jobs(ctx, monitor.KindDeliver, 1)
	if n[0].State != "pending" || n[0].Attempts != 1 || jobs[0].State != "queued" || !jobs[0].RunAfter.After(time.Now()) {
		t.Fatalf("after a 503: notification %+v, job %+v", n[0], jobs[0])
	}
	mu.Lock()
	status = http.StatusGone
	mu.Unlock()
	if err := st.QueueTestNotification(ctx, org.ID, ch.ID, store.Event{ID: "evt_2", Payload: []byte(`{"id":"evt_2","kind":"test"}`)}); err != nil {
		t.Fatal(err)
	}
	drain(t, mon)
	n, _ = st.Notifications(ctx, org.ID, 1)
	if n[0].State != "failed" || n[0].Attempts != 1 {
		t.Errorf("after a 410: %+v", n[0])
	}
}

// Reporting stages due within hours, and overdue ones, are announced once each.
func TestCaseClocks(t *testing.T) {
	ctx := t.Context()
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	st, err := store.OpenSQLite(ctx, t.TempDir(), func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	org, _ := st.CreateOrganization(ctx, "ACME", "small", false)
	h := newHook(t, "0123456789abcdef-secret")
	st.AddChannel(ctx, store.Channel{Organization: org.ID, Kind: "webhook", Target: h.srv.URL, Secret: "0123456789abcdef-secret",
		Events: []string{store.EventCaseDue, store.EventCaseOverdue, store.EventSupportEnding}})
	soon, _ := st.OpenIncident(ctx, org.ID, 0, "Update server breached", now.Add(-20*time.Hour)) // early warning due in 4 h
	late, _ := st.OpenIncident(ctx, org.ID, 0, "Signing key leaked", now.Add(-30*time.Hour))     // early warning 6 h overdue
	st.OpenIncident(ctx, org.ID, 0, "Fresh", now.Add(-time.Hour))                                // 23 h left: nothing yet
	prod, _ := st.CreateProduct(ctx, org.ID, "Cam", "camera", "default")
	st.CreateRelease(ctx, prod.ID, "1.0", "2021-06-01", "2027-03") // support ends within six months
	st.CreateRelease(ctx, prod.ID, "2.0", "2026-06-01", "2031-06")
	mon := monitor.New(monitor.Config{Store: st, VulnDB: t.TempDir(), Now: func() time.Time { return now }, Webhooks: loopbackWebhooks})
	if _, err := st.Enqueue(ctx, monitor.KindClocks, struct{}{}, monitor.KindClocks, time.Time{}); err != nil {
		t.Fatal(err)
	}
	drain(t, mon)
	if js, _ := st.Jobs(ctx, monitor.KindClocks, 5); len(js) > 0 && js[len(js)-1].LastError != "" {
		t.Fatalf("clocks job: %s", js[len(js)-1].LastError)
	}
	got := h.take()
	if len(got) != 3 || !strings.HasPrefix(got[0], "case.due") || !strings.HasPrefix(got[1], "case.overdue") || !strings.HasPrefix(got[2], "support.ending") {
		t.Errorf("events %v, want one case.due, one case.overdue and one support.ending", got)
	}
	ns, _ := st.Notifications(ctx, org.ID, 10)
	var summaries []string
	for _, n := range ns {
		var e notify.Event
		json.Unmarshal(n.Payload, &e)
		summaries = append(summaries, e.Summary)
	}
	joined := strings.Join(summaries, "\n")
	if !strings.Contains(joined, fmt.Sprintf("case %d (Update server breached): the early-warning is due Sun 22 Nov 2026 17:00 UTC (UTC, no Member State), 2026-11-22T17:00:00Z. Art. 14(4)(a)", soon.ID)) ||
		!strings.Contains(joined, fmt.Sprintf("case %d (Signing key leaked): the early-warning is overdue since Sun 22 Nov 2026 07:00 UTC (UTC, no Member State), 2026-11-22T07:00:00Z. Art. 14(4)(a)", late.ID)) ||
		!strings.Contains(joined, "The support period of Cam 1.0 ends with 2027-03") {
		t.Errorf("summaries:\n%s", joined)
	}
	// The next look announces nothing again.
	if _, err := st.RunNow(ctx, monitor.KindClocks); err != nil {
		t.Fatal(err)
	}
	drain(t, mon)
	if got := h.take(); len(got) != 0 {
		t.Errorf("announced again: %v", got)
	}
}
