package server

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/siegel-oss/siegel/internal/agent"
	"github.com/siegel-oss/siegel/internal/rollout"
	"github.com/siegel-oss/siegel/internal/rollout/delivery"
	"github.com/siegel-oss/siegel/internal/rollout/repo"
	"github.com/siegel-oss/siegel/internal/server/api"
	"github.com/siegel-oss/siegel/internal/store"
)

// testClock is a clock the test moves.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fleetEnv is a server with a product, its update repository and enrolled devices.
type fleetEnv struct {
	t        *testing.T
	clock    *testClock
	st       *store.DB
	srv      *Server
	http     *httptest.Server
	token    string
	org      int64
	product  int64
	rootKeys []ed25519.PrivateKey
	root     []byte // 1.root.json
}

func newFleetEnv(t *testing.T, rootKeys int) *fleetEnv {
	t.Helper()
	clock := &testClock{t: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	st, err := store.OpenSQLite(t.Context(), t.TempDir(), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	org, err := st.CreateOrganization(t.Context(), "ACME", "medium", false)
	if err != nil {
		t.Fatal(err)
	}
	prod, err := st.CreateProduct(t.Context(), org.ID, "HomeRouter", "router", "important-i")
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := st.CreateToken(t.Context(), org.ID, "admin", "ops")
	if err != nil {
		t.Fatal(err)
	}
	targetsKey := repo.NewKey()
	srv := New(Config{Store: st, Now: clock.Now, Rollout: RolloutConfig{TargetsKey: targetsKey}})
	e := &fleetEnv{t: t, clock: clock, st: st, srv: srv, http: httptest.NewServer(srv.Handler()), token: tok, org: org.ID, product: prod.ID}
	t.Cleanup(e.http.Close)
	for range rootKeys {
		e.rootKeys = append(e.rootKeys, repo.NewKey())
	}
	if e.root, err = srv.Delivery().Init(t.Context(), org.ID, prod.ID, e.rootKeys, rootKeys, targetsKey); err != nil {
		t.Fatal(err)
	}
	return e
}

// api calls the rollout API as the organization's administrator.
func (e *fleetEnv) api(method, path string, in, out any) int {
	e.t.Helper()
	body, _ := json.Marshal(in)
	req, _ := http.NewRequestWithContext(e.t.Context(), method, e.http.URL+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+e.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.http.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			e.t.Fatalf("%s %s: %v in %s", method, path, err, data)
		}
	}
	return resp.StatusCode
}

func (e *fleetEnv) publish(version, hw string, image []byte) {
	e.t.Helper()
	var pub delivery.Published
	if code := e.api("POST", fmt.Sprintf("/api/v1/products/%d/updates", e.product), api.PublishJSON{Name: "firmware.bin", Version: version, HardwareClass: hw,
		Content: base64.StdEncoding.EncodeToString(image)}, &pub); code != http.StatusCreated {
		e.t.Fatalf("publish %s: status %d", version, code)
	}
}

// enroll enrolls n devices of a hardware class on version 1.0.0 (in two regions) and returns
// their agents, whose health checks call health.
func (e *fleetEnv) enroll(n int, hw string, serverURL string, health func(dev int, version string) error) []*agent.Agent {
	e.t.Helper()
	in := struct {
		Devices []api.DeviceJSON `json:"devices"`
	}{}
	for i := range n {
		in.Devices = append(in.Devices, api.DeviceJSON{Name: fmt.Sprintf("%s-%03d", hw, i), HardwareClass: hw, Region: []string{"eu-west", "eu-central"}[i%2], Version: "1.0.0"})
	}
	var out []api.DeviceJSON
	if code := e.api("POST", fmt.Sprintf("/api/v1/products/%d/devices", e.product), in, &out); code != http.StatusCreated {
		e.t.Fatalf("enroll: status %d", code)
	}
	agents := make([]*agent.Agent, n)
	for i, d := range out {
		a, err := agent.New(agent.Config{Server: serverURL, Token: d.Token, Dir: filepath.Join(e.t.TempDir(), d.Name), Root: e.root, HardwareClass: hw, Version: "1.0.0",
			HTTP: e.http.Client(), Now: e.clock.Now, Health: func(_ context.Context, v string) error { return health(i, v) }})
		if err != nil {
			e.t.Fatal(err)
		}
		agents[i] = a
	}
	return agents
}

func (e *fleetEnv) plan(in delivery.PlanInput) delivery.Status {
	e.t.Helper()
	var st delivery.Status
	if code := e.api("POST", fmt.Sprintf("/api/v1/products/%d/rollouts", e.product), in, &st); code != http.StatusCreated {
		e.t.Fatalf("plan: status %d", code)
	}
	return st
}

func (e *fleetEnv) status(id int64) delivery.Status {
	e.t.Helper()
	var st delivery.Status
	if code := e.api("GET", fmt.Sprintf("/api/v1/rollouts/%d", id), nil, &st); code != http.StatusOK {
		e.t.Fatalf("status of rollout %d: %d", id, code)
	}
	return st
}

// round lets every live agent take one step, then runs a server tick.
func (e *fleetEnv) round(agents []*agent.Agent, silent map[int]bool) {
	e.t.Helper()
	for i, a := range agents {
		if silent[i] {
			continue
		}
		err := a.Step(e.t.Context())
		if errors.Is(err, agent.ErrBricked) {
			silent[i] = true
			continue
		}
		var ref *agent.RefusedError
		if err != nil && !errors.As(err, &ref) {
			e.t.Fatalf("agent %d: %v", i, err)
		}
	}
	if err := e.srv.RolloutTick(e.t.Context()); err != nil {
		e.t.Fatal(err)
	}
}

// ledgerKinds returns the statement types recorded about a subject, in log order, and their
// contents.
func (e *fleetEnv) ledger(subject string) ([]string, []json.RawMessage) {
	e.t.Helper()
	b, err := e.st.LedgerBundle(e.t.Context(), e.org, subject, true)
	if err != nil {
		e.t.Fatal(err)
	}
	var kinds []string
	var contents []json.RawMessage
	for _, en := range b.Entries {
		kinds = append(kinds, en.Statement.Type)
		contents = append(contents, json.RawMessage(en.Content))
	}
	return kinds, contents
}

// testGate accepts after four successes without failure and rejects after two failures.
func testGate() *rollout.GateParams {
	g := rollout.DefaultGate()
	g.P0, g.P1, g.Alpha, g.Beta = 0.05, 0.5, 0.05, 0.1
	return &g
}

func testDeadlines() *rollout.Deadlines {
	return &rollout.Deadlines{Default: rollout.Timing{Install: rollout.Duration(time.Minute), Reboot: rollout.Duration(time.Minute), Heartbeat: rollout.Duration(30 * time.Second), Heartbeats: 2}}
}

func TestRolloutEndToEnd(t *testing.T) {
	e := newFleetEnv(t, 1)
	e.publish("1.0.0", "hw-a", []byte("image 1.0.0"))
	e.publish("1.1.0", "hw-a", []byte("image 1.1.0, good"))
	e.publish("1.2.0", "hw-a", []byte("image 1.2.0, crashes"))
	fellBack := -1 // a device of the bad update's canary, chosen once it is drawn
	recovered := false
	agents := e.enroll(24, "hw-a", e.http.URL, func(dev int, v string) error {
		switch {
		case v != "1.2.0":
			return nil
		case dev == fellBack:
			return errors.New("watchdog: no network after boot")
		case !recovered:
			return agent.ErrBricked
		}
		return errors.New("watchdog reset")
	})

	// A good update completes wave by wave.
	good := e.plan(delivery.PlanInput{Version: "1.1.0", Waves: []rollout.WaveSpec{{Count: 4}, {Count: 8}}, Gate: testGate(), Deadlines: testDeadlines(), ExposureLimit: 24, Seed: 7})
	if good.Plan.ExposureBound <= 0 || good.Plan.ExposureBound > 24 {
		t.Fatalf("exposure bound %d", good.Plan.ExposureBound)
	}
	if got := good.Waves[0].Released; got != 4 {
		t.Fatalf("canary released %d devices, want 4", got)
	}
	silent := map[int]bool{}
	for i := 0; i < 10 && e.status(good.ID).Status == "running"; i++ {
		e.round(agents, silent)
		e.clock.Add(10 * time.Second)
	}
	st := e.status(good.ID)
	if st.Status != string(rollout.Completed) {
		t.Fatalf("good rollout: status %s (%s), waves %+v", st.Status, st.Reason, st.Waves)
	}
	for _, w := range st.Waves {
		if w.Succeeded != w.Size || w.Failed != 0 {
			t.Errorf("wave %d: %+v", w.Wave, w)
		}
	}
	kinds, contents := e.ledger("rollout/" + strconv.FormatInt(good.ID, 10))
	var waves []int
	for i, k := range kinds {
		if k == rollout.RecordReleased {
			var rec rollout.Record
			json.Unmarshal(contents[i], &rec)
			waves = append(waves, rec.Release.Wave)
		}
	}
	if len(waves) < 3 || waves[0] != 0 || waves[len(waves)-1] != 2 {
		t.Errorf("releases by wave %v, want 0 first and 2 last", waves)
	}
	for i := 1; i < len(waves); i++ {
		if waves[i] < waves[i-1] {
			t.Errorf("releases out of wave order: %v", waves)
		}
	}
	for i, a := range agents {
		if v := a.Running().Version; v != "1.1.0" {
			t.Errorf("device %d runs %s after the good rollout", i, v)
		}
	}

	// A bad update: the canary installs it and goes silent (one falls back); the gate rejects at
	// the deadline, the rollout halts and is rolled back by new signed targets metadata.
	before, err := e.st.Repository(t.Context(), e.product)
	if err != nil {
		t.Fatal(err)
	}
	targetsBefore := targetsVersion(t, before.Targets)
	bad := e.plan(delivery.PlanInput{Version: "1.2.0", Waves: []rollout.WaveSpec{{Count: 4}, {Count: 8}}, Gate: testGate(), Deadlines: testDeadlines(), ExposureLimit: 24, Seed: 11})
	// Make sure the fell-back device is in the canary: find the canary devices.
	rows, err := e.st.RolloutDevices(t.Context(), bad.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if !r.AssignedAt.IsZero() {
			fellBack = int(r.Device - 1) // devices were enrolled in agent order, ids from 1
			break
		}
	}
	e.round(agents, silent)
	if st := e.status(bad.ID); st.Status != string(rollout.Running) {
		t.Fatalf("bad rollout before its deadline: %s (%s)", st.Status, st.Reason)
	}
	e.clock.Add(4 * time.Minute) // past every canary device's deadline
	e.round(agents, silent)
	st = e.status(bad.ID)
	if st.Status != string(rollout.Halted) {
		t.Fatalf("bad rollout after the deadline: %s, waves %+v", st.Status, st.Waves)
	}
	if st.Waves[1].Released != 0 {
		t.Errorf("wave 2 released %d devices of a bad update", st.Waves[1].Released)
	}
	rows, _ = e.st.RolloutDevices(t.Context(), bad.ID)
	reasons := map[string]int{}
	for _, r := range rows {
		if r.Outcome != "" {
			reasons[r.Outcome]++
			if r.Success {
				t.Errorf("device %d succeeded on the bad update", r.Device)
			}
		}
	}
	if reasons[rollout.ReasonSilent] == 0 {
		t.Errorf("no silent device counted as failed: %v", reasons)
	}
	kinds, _ = e.ledger("rollout/" + strconv.FormatInt(bad.ID, 10))
	for _, want := range []string{rollout.RecordPlanned, rollout.RecordGate, rollout.RecordHalted, "rollout-rollback-signed"} {
		if !contains(kinds, want) {
			t.Errorf("ledger of the bad rollout lacks %s: %v", want, kinds)
		}
	}
	after, _ := e.st.Repository(t.Context(), e.product)
	if tv := targetsVersion(t, after.Targets); tv <= targetsBefore {
		t.Errorf("targets version %d after the rollback, %d before: a rollback must raise it", tv, targetsBefore)
	}
	rs, err := e.st.Rollouts(t.Context(), e.org, e.product)
	if err != nil {
		t.Fatal(err)
	}
	var rb *store.Rollout
	for i := range rs {
		if rs[i].Kind == rollout.KindRollback && rs[i].Parent == bad.ID {
			rb = &rs[i]
		}
	}
	if rb == nil {
		t.Fatal("no rollback rollout")
	}
	e.checkRolloutPage(bad.ID, rb.ID)
	// The crashed devices come back on their old slot (a watchdog reset) and take the rollback.
	recovered = true
	clear(silent)
	for i := 0; i < 6 && e.status(rb.ID).Status == "running"; i++ {
		e.round(agents, silent)
		e.clock.Add(10 * time.Second)
	}
	if st := e.status(rb.ID); st.Status != string(rollout.Completed) {
		t.Fatalf("rollback: status %s (%s), waves %+v", st.Status, st.Reason, st.Waves)
	}
	for i, a := range agents {
		if v := a.Running().Version; v == "1.2.0" {
			t.Errorf("device %d still runs the bad version", i)
		}
	}
	// The device that fell back to its old slot counted as a failure.
	if reasons[rollout.ReasonFellBack] != 1 {
		t.Errorf("fell-back device not counted as failed: %v", reasons)
	}
}

func targetsVersion(t *testing.T, body []byte) int64 {
	var m struct {
		Signed struct {
			Version int64 `json:"version"`
		} `json:"signed"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	return m.Signed.Version
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// checkRolloutPage reads a halted rollout's page as a signed-in user: its halt reason, exposure
// bound, wave table and the SVG of the sequential test's path, and the list naming its rollback.
func (e *fleetEnv) checkRolloutPage(halted, rollback int64) {
	t := e.t
	if _, err := e.st.CreateUser(t.Context(), e.org, "ops@acme.example", "correct horse battery", "admin"); err != nil {
		t.Fatal(err)
	}
	b := (&env{t: t, srv: e.http, st: e.st}).browser(t)
	if code, _, _ := b.post("/login", url.Values{"email": {"ops@acme.example"}, "password": {"correct horse battery"}}); code != http.StatusSeeOther {
		t.Fatalf("login: %d", code)
	}
	st := e.status(halted)
	code, page, _ := b.get(fmt.Sprintf("/rollouts/%d", halted))
	txt := text(t, page)
	if code != http.StatusOK || !strings.Contains(txt, "Status: halted") || !strings.Contains(txt, st.Reason) ||
		!strings.Contains(txt, fmt.Sprintf("Exposure bound: %d devices", st.Plan.ExposureBound)) {
		t.Errorf("rollout page %d: %s", code, txt)
	}
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var points string
	var lines int
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			for _, a := range n.Attr {
				if n.Data == "polyline" && a.Key == "points" {
					points = a.Val
				}
			}
			if n.Data == "line" {
				lines++
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if got := len(strings.Fields(points)); got != len(st.Path)+1 || lines < 2 {
		t.Errorf("SVG path has %d points for %d outcomes, %d boundary lines", got, len(st.Path), lines)
	}
	if _, page, _ := b.get("/rollouts"); !strings.Contains(text(t, page), fmt.Sprintf("rollback of %d", halted)) {
		t.Errorf("rollouts page lacks the rollback %d: %s", rollback, text(t, page))
	}
}
