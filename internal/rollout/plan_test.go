package rollout

import (
	"context"
	"errors"
	"math"
	"os/exec"
	"slices"
	"testing"
	"time"
)

func TestExposureBound(t *testing.T) {
	for _, c := range []struct {
		name  string
		waves []WaveSpec
		want  int
	}{
		// The canary holds the 2 failures the test needs: nothing more is released.
		{"canary of 100", []WaveSpec{{Count: 100}, {Percent: 10}}, 100},
		{"canary of 2", []WaveSpec{{Count: 2}, {Count: 500}}, 2},
		// One device cannot reject alone; once its outcome is in, the test asks for what it
		// needs to accept after 1 failure, 115 successes, and the second failure comes from them.
		{"canary of 1", []WaveSpec{{Count: 1}, {Count: 500}}, 1 + 115},
		// The extension is bounded by the next wave.
		{"canary of 1, small second wave", []WaveSpec{{Count: 1}, {Count: 30}, {Count: 500}}, 1 + 30},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := testPlan(t, 100000, c.waves...)
			if p.ExposureBound != c.want {
				t.Errorf("bound %d, want %d", p.ExposureBound, c.want)
			}
		})
	}
}

func TestPlanRefusedAboveLimit(t *testing.T) {
	// 0.1 % of 50,000 devices is 50: a canary of 100 is refused, one of 50 accepted.
	fleet := testFleet(50000)
	_, err := NewPlan(PlanRequest{Rollout: "r", Waves: []WaveSpec{{Count: 100}}, Gate: DefaultGate()}, fleet)
	var ee *ExposureError
	if !errors.As(err, &ee) || ee.Bound != 100 || ee.Limit != 50 {
		t.Fatalf("canary of 100: %v, want an exposure error 100 > 50", err)
	}
	p, err := NewPlan(PlanRequest{Rollout: "r", Waves: []WaveSpec{{Count: 50}, {Percent: 1}}, Gate: DefaultGate()}, fleet)
	if err != nil {
		t.Fatal(err)
	}
	if got := []int{p.Waves[0].Size, p.Waves[1].Size, p.Waves[2].Size}; !slices.Equal(got, []int{50, 500, 49450}) {
		t.Errorf("wave sizes %v", got)
	}
	if DefaultExposureLimit(5_000_000) != 1000 {
		t.Errorf("the limit of a large fleet is 1,000 devices")
	}
	for _, bad := range [][]WaveSpec{{{Count: 10, Percent: 1}}, {{}}, {{Count: 60000}}, {{Percent: 101}}} {
		if _, err := NewPlan(PlanRequest{Rollout: "r", Waves: bad, Gate: DefaultGate()}, fleet); !errors.Is(err, ErrPlan) {
			t.Errorf("waves %+v: %v, want ErrPlan", bad, err)
		}
	}
	g := DefaultGate()
	g.P1 = g.P0
	if _, err := NewPlan(PlanRequest{Rollout: "r", Waves: []WaveSpec{{Count: 5}}, Gate: g}, fleet); !errors.Is(err, ErrGate) {
		t.Errorf("p1 = p0: %v, want ErrGate", err)
	}
}

// The failure limits against binomial tails summed by hand (exact terms, no approximation).
func TestFailureLimit(t *testing.T) {
	tail := func(n, k int, p float64) float64 { // P(X ≥ k)
		s := 0.0
		for i := k; i <= n; i++ {
			s += math.Exp(logBinom(n, i, p))
		}
		return s
	}
	for _, c := range []struct {
		n     int
		p, a  float64
		limit int
	}{
		// n = 100, p = 0.005: P(X ≥ 3) = 1.41e-2, P(X ≥ 4) = 1.67e-3, P(X ≥ 5) = 1.59e-4.
		{100, 0.005, 0.001, 5},
		{100, 0.005, 0.01, 4},
		{1000, 0.005, 0.0002, 0},
		{10000, 0.005, 0.0002, 0},
	} {
		got := FailureLimit(c.n, c.p, c.a)
		if c.limit != 0 && got != c.limit {
			t.Errorf("FailureLimit(%d, %g, %g) = %d, want %d", c.n, c.p, c.a, got, c.limit)
		}
		// The defining property: the tail at the limit is within alpha, one below it is not.
		if tail(c.n, got, c.p) > c.a || tail(c.n, got-1, c.p) <= c.a {
			t.Errorf("FailureLimit(%d, %g, %g) = %d: P(X ≥ %d) = %g, P(X ≥ %d) = %g", c.n, c.p, c.a, got, got, tail(c.n, got, c.p), got-1, tail(c.n, got-1, c.p))
		}
	}
	if got := FailureLimit(10, 0.5, 0); got != 11 {
		t.Errorf("no budget: limit %d, want 11 (never reached)", got)
	}
}

func TestOrderIsReproducibleAndStratified(t *testing.T) {
	fleet := testFleet(60000)
	p := testPlan(t, 60000, WaveSpec{Count: 600}, WaveSpec{Percent: 10})
	a, err := p.Order(fleet)
	if err != nil {
		t.Fatal(err)
	}
	shuffled := slices.Clone(fleet)
	slices.Reverse(shuffled)
	b, err := p.Order(shuffled)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a, b) {
		t.Fatal("the same plan and fleet, listed in another order, give another draw")
	}
	p2 := p
	p2.Seed++
	c, _ := p2.Order(fleet)
	if slices.Equal(a[:600], c[:600]) {
		t.Error("another seed gives the same canary")
	}
	// Each of the 6 strata holds 10,000 of 60,000 devices: every prefix holds each stratum's
	// share within one device.
	stratum := map[string]string{}
	for _, d := range fleet {
		stratum[d.ID] = d.HardwareClass + "/" + d.Region
	}
	for _, n := range []int{600, 6600, 60000} {
		count := map[string]int{}
		for _, id := range a[:n] {
			count[stratum[id]]++
		}
		for s, k := range count {
			if k < n/6-1 || k > n/6+1 {
				t.Errorf("first %d devices: %d of stratum %s, want %d ± 1", n, k, s, n/6)
			}
		}
	}
	if _, err := p.Order(fleet[1:]); err == nil {
		t.Error("another fleet than the plan's was accepted")
	}
}

func TestJudge(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		r      Report
		final  bool
		ok     bool
		reason string
	}{
		{Report{Event: EventDownloaded}, false, false, ""},
		{Report{Event: EventInstalled}, false, false, ""},
		{Report{Event: EventBooted, Version: "2.0", Healthy: true}, true, true, ReasonHealthy},
		{Report{Event: EventBooted, Version: "1.9", Healthy: true}, true, false, ReasonFellBack},
		{Report{Event: EventBooted, Version: "2.0"}, true, false, ReasonUnhealthy},
		{Report{Event: EventFailed, Reason: "disk full"}, true, false, ReasonFailed},
	} {
		c.r.At = at
		o, final := Judge(c.r, 3, "2.0")
		if final != c.final || o.Success != c.ok || o.Reason != c.reason || o.Position != 3 {
			t.Errorf("%+v: %+v final %v", c.r, o, final)
		}
	}
	d := DefaultDeadlines()
	d.Classes = map[string]Timing{"slow": {Install: Duration(2 * time.Hour), Heartbeat: Duration(time.Hour), Heartbeats: 2}}
	if got := d.Deadline("gw", at); !got.Equal(at.Add(65 * time.Minute)) {
		t.Errorf("default deadline %s", got)
	}
	if got := d.Deadline("slow", at); !got.Equal(at.Add(4 * time.Hour)) {
		t.Errorf("class deadline %s", got)
	}
}

func TestRunPreflight(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	ctx := context.Background()
	ok := RunPreflight(ctx, Preflight{Command: []string{sh, "-c", `test -s "$0" && echo checked "$0"`}}, "/etc/hostname", "sha256:ab")
	bad := RunPreflight(ctx, Preflight{Command: []string{sh, "-c", `echo arity mismatch; exit 4`}}, "/etc/hostname", "x")
	slow := RunPreflight(ctx, Preflight{Command: []string{sh, "-c", "sleep 5"}, Timeout: Duration(50 * time.Millisecond)}, "x", "x")
	missing := RunPreflight(ctx, Preflight{Command: []string{"/nonexistent/check"}}, "x", "x")
	if !ok.Passed || ok.Output != "checked /etc/hostname\n" {
		t.Errorf("passing check: %+v", ok)
	}
	if bad.Passed || bad.ExitCode != 4 || bad.Output != "arity mismatch\n" {
		t.Errorf("failing check: %+v", bad)
	}
	if slow.Passed || slow.Error == "" || missing.Passed || missing.Error == "" {
		t.Errorf("slow %+v, missing %+v: want failed with an error", slow, missing)
	}
	// A plan with a pre-flight check does not start without its result, and halts on failure.
	p := testPlan(t, 10000, WaveSpec{Count: 10})
	p.Preflight = &Preflight{Command: []string{"check"}}
	if _, _, err := Start(p, t0, "a", nil); !errors.Is(err, ErrState) {
		t.Errorf("start without the pre-flight result: %v", err)
	}
	r, recs, err := Start(p, t0, "a", &bad)
	if err != nil || r.State().Status != Halted || r.Released() != 0 || recs[len(recs)-1].Halt.Cause != CausePreflight || recs[len(recs)-1].Halt.Rollback {
		t.Errorf("failed pre-flight: %v %s %d %+v", err, r.State().Status, r.Released(), recs)
	}
}

func TestNewRollback(t *testing.T) {
	parent := testPlan(t, 100000, WaveSpec{Count: 100})
	rb, err := NewRollback(parent, "r1-rollback", "1.9", testFleet(100), 3)
	if err != nil {
		t.Fatal(err)
	}
	if rb.Kind != KindRollback || rb.Parent != "r1" || rb.Version != "1.9" || len(rb.Waves) != 2 || rb.Waves[0].Size != RollbackCanary || rb.Waves[1].Size != 80 {
		t.Errorf("rollback plan %+v", rb)
	}
	// A rollback that fails halts without deciding another rollback: a person takes over.
	r, _, _ := Start(rb, t0, "siegel", nil)
	var last Record
	for pos := 0; r.State().Status == Running; pos++ {
		recs, err := r.Observe(t0, Silent("d", pos, t0))
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) > 0 {
			last = recs[len(recs)-1]
		}
	}
	if last.Halt == nil || last.Halt.Rollback {
		t.Errorf("failing rollback ended with %+v, want a halt without rollback", last)
	}
	if _, err := NewRollback(parent, "x", "1.9", nil, 3); !errors.Is(err, ErrPlan) {
		t.Errorf("rollback of no device: %v", err)
	}
}
