package rollout

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// testFleet makes n devices in two hardware classes and three regions.
func testFleet(n int) []Device {
	fleet := make([]Device, n)
	for i := range fleet {
		fleet[i] = Device{ID: fmt.Sprintf("dev-%06d", i), HardwareClass: []string{"gw-a", "gw-b"}[i%2], Region: []string{"eu", "us", "ap"}[i%3]}
	}
	return fleet
}

func testPlan(t *testing.T, fleet int, waves ...WaveSpec) Plan {
	t.Helper()
	p, err := NewPlan(PlanRequest{Rollout: "r1", Version: "2.0", Waves: waves, Gate: DefaultGate(), Seed: 7, ExposureLimit: 1000}, testFleet(fleet))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// drive feeds outcomes to every released device in release order, success decided by fail,
// until the rollout stops releasing or halts, and returns every record.
func drive(t *testing.T, r *Rollout, recs []Record, fail func(i int) bool) []Record {
	t.Helper()
	now := t0
	next := 0
	for r.st.Status == Running && next < r.Released() {
		now = now.Add(time.Minute)
		o := Outcome{Device: fmt.Sprintf("pos-%d", next), Position: next, Success: !fail(next), At: now}
		o.Reason = ReasonHealthy
		if !o.Success {
			o.Reason = ReasonSilent
		}
		more, err := r.Observe(now, o)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, more...)
		next++
	}
	return recs
}

func kinds(recs []Record) []string {
	var ks []string
	for _, r := range recs {
		k := r.Kind
		switch {
		case r.Release != nil:
			k += fmt.Sprintf(" w%d %d-%d %s", r.Release.Wave, r.Release.From, r.Release.To, r.Release.Why)
		case r.Halt != nil:
			k += " " + r.Halt.Cause
		case r.Gate != nil && r.Gate.Test == TestWaveLimit:
			k += fmt.Sprintf(" wave-limit w%d %s", r.Gate.Wave, r.Gate.Decision)
		case r.Gate != nil:
			continue // one per outcome in the sequential phase
		}
		ks = append(ks, k)
	}
	return ks
}

func TestGoodUpdateCompletesWaveByWave(t *testing.T) {
	p := testPlan(t, 10000, WaveSpec{Count: 100}, WaveSpec{Percent: 10})
	r, recs, err := Start(p, t0, "alice", nil)
	if err != nil {
		t.Fatal(err)
	}
	recs = drive(t, r, recs, func(int) bool { return false })
	want := []string{
		"rollout-planned",
		"rollout-released w0 0-100 canary",
		"rollout-gate-evaluated wave-limit w0 accept",
		"rollout-released w1 100-1100 accepted",
		"rollout-gate-evaluated wave-limit w1 accept",
		"rollout-released w2 1100-10000 accepted",
		"rollout-gate-evaluated wave-limit w2 accept",
		"rollout-completed",
	}
	if d := cmp.Diff(want, kinds(recs)); d != "" {
		t.Errorf("records (-want +got):\n%s", d)
	}
	if r.st.Test.Decision != Accept || r.st.Test.Successes != 65 {
		t.Errorf("test = %+v, want accepted after 65 successes", r.st.Test)
	}
	for i, rec := range recs {
		if rec.Seq != i+1 || rec.Rollout != "r1" {
			t.Fatalf("record %d: seq %d rollout %q", i, rec.Seq, rec.Rollout)
		}
	}
}

func TestSilentUpdateHaltsAtSecondFailure(t *testing.T) {
	p := testPlan(t, 100000, WaveSpec{Count: 100}, WaveSpec{Percent: 1})
	r, recs, _ := Start(p, t0, "alice", nil)
	recs = drive(t, r, recs, func(int) bool { return true })
	last := recs[len(recs)-1]
	if last.Kind != RecordHalted || last.Halt.Cause != CauseSPRT || !last.Halt.Rollback || last.Halt.Released != 100 {
		t.Fatalf("last record %+v, want an SPRT halt with rollback after 100 released", last)
	}
	if got := r.st.Test; got.Failures != 2 || got.Successes != 0 {
		t.Errorf("test %+v: want the decision at the second failure", got)
	}
	// Outcomes after the halt are counted but release nothing.
	more, err := r.Observe(t0, Outcome{Device: "x", Position: 99, Success: true, Reason: ReasonHealthy})
	if err != nil || len(more) != 0 || r.Released() != 100 {
		t.Errorf("after the halt: records %v, err %v, released %d", more, err, r.Released())
	}
}

func TestUndecidedCanaryExtends(t *testing.T) {
	// One failure in the canary: the test needs 115 successes, so 40 canary devices cannot
	// decide it and the rollout extends by what the test still needs, from the next wave.
	p := testPlan(t, 100000, WaveSpec{Count: 40}, WaveSpec{Count: 1000})
	r, recs, _ := Start(p, t0, "alice", nil)
	recs = drive(t, r, recs, func(i int) bool { return i == 3 })
	want := []string{
		"rollout-planned",
		"rollout-released w0 0-40 canary",
		"rollout-gate-evaluated wave-limit w0 accept",
		"rollout-released w1 40-116 extend", // 39 successes, 1 failure: 115 − 39 = 76 more
		"rollout-released w1 116-1040 accepted",
		"rollout-gate-evaluated wave-limit w1 accept",
		"rollout-released w2 1040-100000 accepted",
		"rollout-gate-evaluated wave-limit w2 accept",
		"rollout-completed",
	}
	if d := cmp.Diff(want, kinds(recs)); d != "" {
		t.Errorf("records (-want +got):\n%s", d)
	}
}

func TestWaveLimitHalts(t *testing.T) {
	p := testPlan(t, 100000, WaveSpec{Count: 100}, WaveSpec{Count: 10000})
	lim := p.Waves[1].FailureLimit
	r, recs, _ := Start(p, t0, "alice", nil)
	// The canary is clean; wave 2 fails on every 20th device (5 %).
	recs = drive(t, r, recs, func(i int) bool { return i >= 100 && i%20 == 0 })
	last := recs[len(recs)-1]
	if last.Kind != RecordHalted || last.Halt.Cause != CauseWaveLimit || r.st.Failures[1] != lim {
		t.Fatalf("last record %+v with %d failures in wave 2, want a wave-limit halt at %d", last, r.st.Failures[1], lim)
	}
}

func TestPauseResumeAbort(t *testing.T) {
	p := testPlan(t, 10000, WaveSpec{Count: 100})
	r, _, _ := Start(p, t0, "alice", nil)
	if _, err := r.Pause(t0, "alice", ""); !errors.Is(err, ErrState) {
		t.Errorf("pause without a reason: %v", err)
	}
	if _, err := r.Pause(t0, "alice", "support hotline busy"); err != nil {
		t.Fatal(err)
	}
	// While paused the canary completes and the test accepts, but nothing is released.
	for i := range 100 {
		if _, err := r.Observe(t0, Outcome{Device: fmt.Sprint(i), Position: i, Success: true, Reason: ReasonHealthy}); err != nil {
			t.Fatal(err)
		}
	}
	if r.Released() != 100 {
		t.Fatalf("released %d while paused", r.Released())
	}
	recs, err := r.Resume(t0, "alice", "hotline staffed")
	if err != nil || len(recs) != 2 || recs[1].Release == nil || recs[1].Release.To != 10000 {
		t.Fatalf("resume: %v %+v", err, recs)
	}
	recs, err = r.Abort(t0, "bob", "customer reports")
	if err != nil || recs[0].Halt.Cause != CauseAbort || !recs[0].Halt.Rollback || recs[0].Actor != "bob" {
		t.Fatalf("abort: %v %+v", err, recs)
	}
	if _, err := r.Resume(t0, "bob", "oops"); !errors.Is(err, ErrState) {
		t.Errorf("resume after abort: %v", err)
	}
}

func TestRestoreFromJSON(t *testing.T) {
	p := testPlan(t, 10000, WaveSpec{Count: 100})
	r, _, _ := Start(p, t0, "alice", nil)
	for i := range 30 {
		r.Observe(t0, Outcome{Device: fmt.Sprint(i), Position: i, Success: i != 5, Reason: ReasonHealthy})
	}
	pj, _ := json.Marshal(p)
	sj, _ := json.Marshal(r.State())
	var p2 Plan
	var s2 State
	if err := json.Unmarshal(pj, &p2); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(sj, &s2); err != nil {
		t.Fatal(err)
	}
	r2, err := Restore(p2, s2)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := r.Observe(t0, Outcome{Device: "30", Position: 30, Reason: ReasonSilent})
	b, _ := r2.Observe(t0, Outcome{Device: "30", Position: 30, Reason: ReasonSilent})
	if len(a) == 0 {
		t.Fatal("no record")
	}
	if d := cmp.Diff(a, b); d != "" {
		t.Errorf("restored rollout decides differently:\n%s", d)
	}
}

func TestObserveRefusesTooManyOutcomes(t *testing.T) {
	p := testPlan(t, 10000, WaveSpec{Count: 2})
	r, _, _ := Start(p, t0, "alice", nil)
	r.Observe(t0, Outcome{Device: "a", Position: 0, Success: true})
	r.Observe(t0, Outcome{Device: "b", Position: 1, Success: true})
	// 2 successes: the test extends by 63 devices of wave 1.
	if r.Released() != 65 {
		t.Fatalf("released %d, want 65", r.Released())
	}
	if _, err := r.Observe(t0, Outcome{Device: "a", Position: 0, Success: true}); !errors.Is(err, ErrState) {
		t.Errorf("a second outcome for position 0: %v", err)
	}
	if _, err := r.Observe(t0, Outcome{Device: "c", Position: 65, Success: true}); !errors.Is(err, ErrState) {
		t.Errorf("an outcome for a device not released: %v", err)
	}
	if _, err := r.Observe(t0, Outcome{Device: "c", Position: 9, Success: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Observe(t0, Outcome{Device: "c", Position: 9, Success: true}); !errors.Is(err, ErrState) {
		t.Errorf("a second outcome for a pending position: %v", err)
	}
}

// Silent devices' outcomes arrive last, at their deadlines; the test takes outcomes in release
// order, so the early successes of their neighbours do not make it accept.
func TestTestTakesReleaseOrderNotArrival(t *testing.T) {
	p := testPlan(t, 100000, WaveSpec{Count: 100})
	r, _, _ := Start(p, t0, "alice", nil)
	var recs []Record
	observe := func(pos int, ok bool) {
		o := Outcome{Device: fmt.Sprint(pos), Position: pos, Success: ok, Reason: ReasonHealthy, At: t0}
		if !ok {
			o = Silent(o.Device, pos, t0.Add(time.Hour))
		}
		more, err := r.Observe(t0, o)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, more...)
	}
	for pos := range 100 {
		if pos != 1 && pos != 2 {
			observe(pos, true)
		}
	}
	if r.st.Test.Decision != Continue || len(r.st.Pending) != 97 {
		t.Fatalf("before the silent devices' deadlines: test %+v with %d pending, want undecided with 97 waiting", r.st.Test, len(r.st.Pending))
	}
	observe(1, false)
	observe(2, false)
	// Release order: success, failure, failure: LLR = 2·2.30259 − 0.046281 = 4.55890 ≥ 4.55388.
	if r.st.Status != Halted || r.st.Test.Decision != Reject || r.st.Test.Successes != 1 {
		t.Fatalf("status %s, test %+v: want a rejection at 1 success and 2 failures", r.st.Status, r.st.Test)
	}
	if r.st.Successes[0] != 98 || r.st.Failures[0] != 2 || len(r.st.Pending) != 0 {
		t.Errorf("after the halt: %d successes, %d failures, %d pending: the waiting outcomes must be counted", r.st.Successes[0], r.st.Failures[0], len(r.st.Pending))
	}
}
