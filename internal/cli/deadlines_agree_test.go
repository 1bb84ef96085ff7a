package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/conformity"
	"github.com/siegel-oss/siegel/internal/label"
	"github.com/siegel-oss/siegel/internal/monitor"
	"github.com/siegel-oss/siegel/internal/notify"
	"github.com/siegel-oss/siegel/internal/server"
	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/store"
)

// TestDeadlinesAgreeEverywhere follows one exploited-vulnerability case through every place that
// shows its deadlines: the API, the web page, 'siegel case list', 'siegel case deadlines', the
// monitor's alerts and the label's status. A corrective measure available on Fri 11 Dec 2026
// starts a 14-day final-report period (CRA Art. 14(2)(c)) whose last day is Fri 25 Dec. For a
// manufacturer established in Germany, 25 Dec is a public holiday, 26 and 27 Dec a weekend, so
// the period ends with Mon 28 Dec (Reg. 1182/71 Art. 3(4)), 24:00 CET: on 26 Dec nothing is
// overdue. Without a Member State the period is counted in UTC without holidays and expired
// with 25 Dec, and every place says that it counts so. Once the period has run out (on 29 Dec
// for Germany too), the case page, the monitor's alert and the label's signed reason write its
// end in the same words, as the law reads it: "Mon 28 Dec 2026 24:00 CET", and the API and the
// CLI give the same instant in RFC 3339.
func TestDeadlinesAgreeEverywhere(t *testing.T) {
	for _, tc := range []struct {
		memberState string
		due         string // the final report's legal deadline, RFC 3339 in the calendar's zone
		page        string // the same on the case page (Reg. 1182/71 Art. 3(2)(b): 24:00 of the last day)
		tag         string // the calendar's code, after the end in text that stands alone
		calendar    string // what the pages say the deadlines are counted in
		overdue     bool   // on 26 Dec 2026, noon in Germany
	}{
		{"DE", "2026-12-29T00:00:00+01:00", "Mon 28 Dec 2026 24:00 CET", " (DE)", "public holidays of Germany", false},
		{"", "2026-12-26T00:00:00Z", "Fri 25 Dec 2026 24:00 UTC", " (UTC, no Member State)", "counted in UTC, no public holidays: set the Member State of main establishment", true},
	} {
		t.Run(cmpOr(tc.memberState, "no Member State"), func(t *testing.T) {
			ctx := t.Context()
			data := t.TempDir()
			clock := time.Date(2026, 12, 11, 12, 0, 0, 0, time.UTC)
			now := func() time.Time { return clock }
			cli := func(args ...string) (int, string) {
				var out, errOut bytes.Buffer
				env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" },
					Log: slog.New(slog.DiscardHandler), Now: now}
				err := dispatch(ctx, env, rootCommand(), []string{"siegel"}, args)
				return exitCode(env, err), out.String() + errOut.String()
			}
			create := []string{"token", "create", "--data", data, "--org", "ACME", "--role", "admin"}
			if tc.memberState != "" {
				create = append(create, "--member-state", tc.memberState)
			}
			code, token := cli(create...)
			if code != 0 {
				t.Fatal(token)
			}
			token = strings.TrimSpace(token)

			st, err := store.OpenSQLite(ctx, data, now)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			org, _ := st.OrganizationByName(ctx, "ACME")
			prod, _ := st.CreateProduct(ctx, org.ID, "HomeRouter X1", "router", "important-i")
			rel, _ := st.CreateRelease(ctx, prod.ID, "4.2.0", "2026-09-01", "2031-12")
			c, err := st.OpenExploitedCase(ctx, rel.ID, "CVE-2026-9999", "Command injection in the web UI", "honeypot", time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC))
			if err != nil {
				t.Fatal(err)
			}
			for _, stage := range []string{"early-warning", "notification"} {
				if err := st.SubmitStage(ctx, c.ID, stage, []byte(`{}`), "SRP-"+stage, "psirt"); err != nil {
					t.Fatal(err)
				}
			}
			fix := time.Date(2026, 12, 11, 9, 0, 0, 0, time.UTC) // Fri 11 Dec, 10:00 in Germany
			if err := st.SetFixAvailable(ctx, c.ID, fix); err != nil {
				t.Fatal(err)
			}
			if _, err := st.CreateUser(ctx, org.ID, "psirt@acme.example", "correct horse battery", "psirt"); err != nil {
				t.Fatal(err)
			}
			clock = time.Date(2026, 12, 26, 11, 0, 0, 0, time.UTC) // Sat 26 Dec, noon in Germany
			id := strconv.FormatInt(c.ID, 10)

			// The API.
			srv := httptest.NewServer(server.New(server.Config{Store: st, Now: now}).Handler())
			defer srv.Close()
			req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/v1/cases/"+id, nil)
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var api struct {
				Calendar string `json:"calendar"`
				Stages   []struct {
					Stage    string          `json:"stage"`
					Deadline json.RawMessage `json:"deadline"`
					Overdue  bool            `json:"overdue"`
				} `json:"stages"`
			}
			json.NewDecoder(resp.Body).Decode(&api)
			resp.Body.Close()
			final := api.Stages[len(api.Stages)-1]
			if final.Stage != "final-report" || string(final.Deadline) != `"`+tc.due+`"` || final.Overdue != tc.overdue || !strings.Contains(api.Calendar, tc.calendar) {
				t.Errorf("API: %s due %s overdue %v, calendar %q; want %s overdue %v in %q", final.Stage, final.Deadline, final.Overdue, api.Calendar, tc.due, tc.overdue, tc.calendar)
			}

			// The web page.
			jar, _ := cookiejar.New(nil)
			browser := &http.Client{Jar: jar}
			login := func() {
				if resp, err := browser.PostForm(srv.URL+"/login", url.Values{"email": {"psirt@acme.example"}, "password": {"correct horse battery"}}); err != nil {
					t.Fatal(err)
				} else {
					resp.Body.Close()
				}
			}
			login()
			resp, err = browser.Get(srv.URL + "/cases/" + id)
			if err != nil {
				t.Fatal(err)
			}
			page, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			row := regexp.MustCompile(`(?s)<tr><td>final-report.*?</tr>`).Find(page)
			if !bytes.Contains(row, []byte(tc.page)) || !bytes.Contains(row, []byte(`datetime="`+strings.ReplaceAll(tc.due, "+", "&#43;")+`"`)) ||
				bytes.Contains(row, []byte("overdue")) == !tc.overdue || !bytes.Contains(page, []byte(tc.calendar)) {
				t.Errorf("case page: final-report row %s; want %s (overdue %v), calendar %q", row, tc.page, tc.overdue, tc.calendar)
			}
			// The calendar is named once for the case, not again in each stage's row (the drafts
			// below the table keep it: it is part of the report).
			head, _, _ := bytes.Cut(page, []byte("</table>"))
			if n := bytes.Count(head, []byte(api.Calendar)); n != 1 {
				t.Errorf("case page names the calendar %d times above the drafts, want once: %q", n, api.Calendar)
			}

			// siegel case list and siegel case deadlines.
			wantList := "final-report\t" + tc.due
			if tc.overdue {
				wantList += " OVERDUE"
			}
			if code, out := cli("case", "list", "--data", data, "--org", "ACME"); code != 0 || !strings.Contains(out, wantList+"\t") || !strings.Contains(out, tc.calendar) {
				t.Errorf("case list: %d %s; want %q", code, out, wantList)
			}
			args := []string{"case", "deadlines", "--type", "exploited", "--aware", "2026-12-01T08:00:00Z", "--fix-available", fix.Format(time.RFC3339)}
			if tc.memberState != "" {
				args = append(args, "--member-state", tc.memberState)
			}
			if code, out := cli(args...); code != 0 || !strings.Contains(out, "final-report\t"+tc.due+"\n") {
				t.Errorf("case deadlines: %d %s; want final-report %s", code, out, tc.due)
			}

			// The monitor's alerts.
			hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
			defer hook.Close()
			st.AddChannel(ctx, store.Channel{Organization: org.ID, Kind: "webhook", Target: hook.URL, Secret: "0123456789abcdef-secret",
				Events: []string{store.EventCaseDue, store.EventCaseOverdue}})
			mon := monitor.New(monitor.Config{Store: st, VulnDB: t.TempDir(), Now: now})
			defer mon.Close()
			overdueAlerts := func() []string {
				if _, err := st.Enqueue(ctx, monitor.KindClocks, struct{}{}, monitor.KindClocks, time.Time{}); err != nil {
					t.Fatal(err)
				}
				for range 20 {
					if ran, err := mon.RunOnce(ctx); err != nil {
						t.Fatal(err)
					} else if !ran {
						break
					}
				}
				ns, _ := st.Notifications(ctx, org.ID, 10)
				var overdue []string
				for _, n := range ns {
					var e notify.Event
					json.Unmarshal(n.Payload, &e)
					if e.Kind == store.EventCaseOverdue {
						overdue = append(overdue, e.Summary)
					}
				}
				return overdue
			}
			want := fmt.Sprintf("the final-report is overdue since %s%s, %s. Art. 14(2)(c)", tc.page, tc.tag, tc.due)
			if overdue := overdueAlerts(); (len(overdue) == 1 && strings.Contains(overdue[0], want)) != tc.overdue || (!tc.overdue && len(overdue) > 0) {
				t.Errorf("overdue alerts %q; want overdue %v (%s)", overdue, tc.overdue, want)
			}

			// The label's status.
			svc := &conformity.Service{Store: st, Now: now, Grace: 14 * 24 * time.Hour}
			labelReason := func() (label.Status, string) {
				_, _, deadlines, err := svc.Evidence(ctx, prod, rel, svc.Grace)
				if err != nil {
					t.Fatal(err)
				}
				return label.Decide(label.Valid, label.Checks{Plausible: true, Deadlines: deadlines, SupportEnd: rel.SupportEnd}, now(), svc.Grace)
			}
			wantReason := fmt.Sprintf("reporting deadline missed: case %s final-report (CRA Art. 14(2)(c)) was due %s%s", id, tc.page, tc.tag)
			if status, reason := labelReason(); (status == label.Suspended && reason == wantReason) != tc.overdue {
				t.Errorf("label %s (%s); want suspended for a missed deadline: %v (%s)", status, reason, tc.overdue, wantReason)
			}

			// Once the period has run out everywhere, every place writes its end in the same words.
			clock = time.Date(2026, 12, 29, 11, 0, 0, 0, time.UTC) // Tue 29 Dec, noon in Germany
			if overdue := overdueAlerts(); len(overdue) != 1 || !strings.Contains(overdue[0], want) {
				t.Errorf("overdue alerts on 29 Dec %q; want one with %q", overdue, want)
			}
			if status, reason := labelReason(); status != label.Suspended || reason != wantReason {
				t.Errorf("label on 29 Dec %s %q; want suspended, %q", status, reason, wantReason)
			}
			login()
			resp, err = browser.Get(srv.URL + "/cases/" + id)
			if err != nil {
				t.Fatal(err)
			}
			page, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			if row := regexp.MustCompile(`(?s)<tr><td>final-report.*?</tr>`).Find(page); !bytes.Contains(row, []byte(tc.page)) || !bytes.Contains(row, []byte("overdue")) {
				t.Errorf("case page on 29 Dec: final-report row %s; want %s, overdue", row, tc.page)
			}
		})
	}
}

// A final report submitted in the last second of the period's last day, Mon 28 Dec 2026 at
// 23:59:59.9 in Germany, is on time (Reg. 1182/71 Art. 3(2)(b): the period ends with the expiry
// of the day's last hour): the case shows it on time and the label's evidence counts it met.
func TestLastSecondOnTime(t *testing.T) {
	ctx := t.Context()
	clock := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	st, err := store.OpenSQLite(ctx, t.TempDir(), now)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	org, _ := st.CreateOrganization(ctx, "ACME", "medium", false)
	st.SetEstablishment(ctx, org.ID, "DE", "", false)
	prod, _ := st.CreateProduct(ctx, org.ID, "HomeRouter X1", "router", "important-i")
	rel, _ := st.CreateRelease(ctx, prod.ID, "4.2.0", "2026-09-01", "2031-12")
	c, err := st.OpenExploitedCase(ctx, rel.ID, "CVE-2026-9999", "", "honeypot", time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	clock = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	st.SubmitStage(ctx, c.ID, "early-warning", []byte(`{}`), "SRP-1", "psirt")
	st.SubmitStage(ctx, c.ID, "notification", []byte(`{}`), "SRP-2", "psirt")
	clock = time.Date(2026, 12, 11, 12, 0, 0, 0, time.UTC)
	st.SetFixAvailable(ctx, c.ID, time.Date(2026, 12, 11, 9, 0, 0, 0, time.UTC))
	clock = time.Date(2026, 12, 28, 22, 59, 59, 900_000_000, time.UTC) // 23:59:59.9 CET
	if err := st.SubmitStage(ctx, c.ID, "final-report", []byte(`{}`), "SRP-3", "psirt"); err != nil {
		t.Fatal(err)
	}
	clock = time.Date(2027, 1, 4, 12, 0, 0, 0, time.UTC)
	got, _ := st.CaseByID(ctx, c.ID)
	v, err := app.BuildCase(ctx, st, got, now())
	if err != nil {
		t.Fatal(err)
	}
	if final := v.Stages[len(v.Stages)-1]; final.Late || final.Deadline.Format(time.RFC3339) != "2026-12-29T00:00:00+01:00" {
		t.Errorf("final report submitted %s, due %s: late %v", final.Submitted.Format(time.RFC3339Nano), final.Deadline.Format(time.RFC3339), final.Late)
	}
	svc := &conformity.Service{Store: st, Now: now}
	ev, _, _, err := svc.Evidence(ctx, prod, rel, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range ev.Cases[0].Stages {
		if !s.Met {
			t.Errorf("%s due %s, submitted %s: not met", s.Stage, s.Deadline.Format(time.RFC3339), s.Submitted.Format(time.RFC3339Nano))
		}
	}
}

// siegel org set records the Member State; siegel case close and reopen need a reason; a case of
// awareness before 11 Sep 2026 is listed as such (CRA Art. 71(2)).
func TestOrgSetCaseCloseReopen(t *testing.T) {
	data := t.TempDir()
	run := func(args ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := Run(t.Context(), args, nil, &out, &errOut, func(string) string { return "" })
		return code, out.String() + errOut.String()
	}
	run("token", "create", "--data", data, "--org", "ACME", "--role", "admin")
	if code, out := run("org", "set", "--data", data, "--org", "ACME", "--member-state", "XX"); code != 2 {
		t.Errorf("unknown Member State: %d %s", code, out)
	}
	if code, out := run("org", "set", "--data", data, "--org", "ACME", "--member-state", "fr", "--steward", "yes"); code != 0 ||
		!strings.Contains(out, "member-state\tFR\n") || !strings.Contains(out, "France") || !strings.Contains(out, "Art. 64(10)(b)") {
		t.Errorf("org set: %d %s", code, out)
	}
	st, err := openStore(t.Context(), &Env{Now: time.Now}, data, "")
	if err != nil {
		t.Fatal(err)
	}
	org, _ := st.OrganizationByName(t.Context(), "ACME")
	c, _ := st.OpenIncident(t.Context(), org.ID, 0, "Old breach", time.Date(2026, 9, 10, 20, 0, 0, 0, time.UTC))
	st.Close()
	id := strconv.FormatInt(c.ID, 10)
	if code, out := run("case", "list", "--data", data, "--org", "ACME"); code != 0 || !strings.Contains(out, id+"\tincident\tbefore-application\t-\t-\t") {
		t.Errorf("list: %d %s", code, out)
	}
	if code, out := run("case", "close", "--data", data, "--org", "ACME", "--by", "psirt", id); code != 2 {
		t.Errorf("close without a reason: %d %s", code, out)
	}
	if code, out := run("case", "close", "--data", data, "--org", "ACME", "--by", "psirt", "--reason", "advisory withdrawn", id); code != 0 {
		t.Errorf("close: %d %s", code, out)
	}
	if code, out := run("case", "list", "--data", data, "--org", "ACME"); !strings.Contains(out, id+"\tincident\tclosed\t") {
		t.Errorf("list after close: %d %s", code, out)
	}
	if code, out := run("case", "reopen", "--data", data, "--org", "ACME", "--by", "psirt", "--reason", "reissued", id); code != 0 {
		t.Errorf("reopen: %d %s", code, out)
	}
}

// A case closed with a reason while its final report was still running owes that report no
// longer: after its deadline the case is not overdue and the label's evidence has no missed stage.
func TestClosedCaseOwesNothing(t *testing.T) {
	ctx := t.Context()
	clock := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	st, err := store.OpenSQLite(ctx, t.TempDir(), now)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	org, _ := st.CreateOrganization(ctx, "ACME", "medium", false)
	prod, _ := st.CreateProduct(ctx, org.ID, "HomeRouter X1", "router", "important-i")
	rel, _ := st.CreateRelease(ctx, prod.ID, "4.2.0", "2026-09-01", "2031-12")
	c, _ := st.OpenExploitedCase(ctx, rel.ID, "CVE-2026-9999", "", "honeypot", clock)
	st.SubmitStage(ctx, c.ID, "early-warning", []byte(`{}`), "SRP-1", "psirt")
	st.SubmitStage(ctx, c.ID, "notification", []byte(`{}`), "SRP-2", "psirt")
	clock = time.Date(2026, 12, 11, 12, 0, 0, 0, time.UTC)
	st.SetFixAvailable(ctx, c.ID, clock)
	clock = time.Date(2026, 12, 20, 12, 0, 0, 0, time.UTC)
	if err := st.CloseCase(ctx, c.ID, "triaged: the vulnerable module is not built into this product", "psirt"); err != nil {
		t.Fatal(err)
	}
	clock = time.Date(2027, 1, 10, 12, 0, 0, 0, time.UTC)
	got, _ := st.CaseByID(ctx, c.ID)
	v, err := app.BuildCase(ctx, st, got, now())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range v.Stages {
		if s.Overdue {
			t.Errorf("%s of a closed case overdue", s.Stage)
		}
	}
	svc := &conformity.Service{Store: st, Now: now}
	ev, _, deadlines, err := svc.Evidence(ctx, prod, rel, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range ev.Cases[0].Stages {
		if !s.Met {
			t.Errorf("closed case: %s due %s counted missed", s.Stage, s.Deadline.Format(time.RFC3339))
		}
	}
	if len(deadlines) != 0 {
		t.Errorf("label deadlines of a closed case: %+v", deadlines)
	}
}

// siegel serve --member-state sets the Member State of the organisation its first run creates;
// a later run leaves the organisation as it is.
func TestFirstRunMemberState(t *testing.T) {
	ctx := t.Context()
	st, err := store.OpenSQLite(ctx, t.TempDir(), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := firstRun(ctx, st, "ACME", &establishment{memberState: "XX"}, t.TempDir()); err == nil {
		t.Error("first run with an unknown Member State")
	}
	if _, err := st.OrganizationByName(ctx, "ACME"); err == nil {
		t.Error("the organisation was created although its Member State was refused")
	}
	st2, err := store.OpenSQLite(ctx, t.TempDir(), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	if login, err := firstRun(ctx, st2, "ACME", &establishment{memberState: "nl", steward: "yes"}, t.TempDir()); err != nil || login == "" {
		t.Fatalf("first run: %q %v", login, err)
	}
	o, _ := st2.OrganizationByName(ctx, "ACME")
	if o.MemberState != "NL" || !o.Steward {
		t.Errorf("organisation of the first run: %+v", o)
	}
	if login, err := firstRun(ctx, st2, "ACME", &establishment{memberState: "BE"}, t.TempDir()); err != nil || login != "" {
		t.Errorf("second run: %q %v", login, err)
	}
	if o, _ := st2.OrganizationByName(ctx, "ACME"); o.MemberState != "NL" {
		t.Errorf("a later run changed the Member State: %s", o.MemberState)
	}
}
