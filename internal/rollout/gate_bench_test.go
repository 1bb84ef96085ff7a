package rollout

import (
	"fmt"
	"testing"
)

// BenchmarkEvaluate measures one evaluation of the sequential test from counts.
func BenchmarkEvaluate(b *testing.B) {
	g := DefaultGate()
	var d Decision
	i := 0
	for b.Loop() {
		d = g.Evaluate(40+i%50, i%3).Decision
		i++
	}
	_ = d
}

// BenchmarkObserve measures the rollout taking one outcome while the test runs: the test's
// evaluation, the running digest and the gate record.
func BenchmarkObserve(b *testing.B) {
	fleet := testFleet(200_000)
	p, err := NewPlan(PlanRequest{Rollout: "bench", Waves: []WaveSpec{{Count: 100_000}}, Gate: GateParams{
		P0: 0.02, P1: 0.021, Alpha: 0.01, Beta: 0.05, MaxFailures: MaxFailureCap, WaveAlpha: 0,
	}, ExposureLimit: 200_000}, fleet)
	if err != nil {
		b.Fatal(err)
	}
	fleet = nil
	r, _, _ := Start(p, t0, "bench", nil)
	pos := 0
	for b.Loop() {
		if pos == 100_000 || r.State().Status != Running {
			b.StopTimer()
			r, _, _ = Start(p, t0, "bench", nil)
			pos = 0
			b.StartTimer()
		}
		if _, err := r.Observe(t0, Outcome{Device: fmt.Sprint(pos), Position: pos, Success: pos%50 != 0, Reason: ReasonHealthy, At: t0}); err != nil {
			b.Fatal(err)
		}
		pos++
	}
}
