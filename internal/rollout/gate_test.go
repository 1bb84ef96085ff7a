package rollout

import (
	"math"
	"testing"
)

// The defaults worked by hand from Wald's formulas (natural logarithms):
//
//	A = ln((1−β)/α) = ln(0.95/0.01) = ln 95 ≈ 4.55388
//	B = ln(β/(1−α)) = ln(0.05/0.99) ≈ −2.98568
//	a failure adds ln(p1/p0) = ln(0.05/0.005) = ln 10 ≈ 2.30259
//	a success adds ln((1−p1)/(1−p0)) = ln(0.95/0.995) ≈ −0.046281
//
// One failure gives 2.30259 < A, two give 4.60517 ≥ A: reject after 2 failures and no success.
// 64 successes give −2.96199 > B, 65 give −3.00827 ≤ B: accept after 65 successes and no failure.
func TestDefaultGateByHand(t *testing.T) {
	g := DefaultGate()
	lo, up := g.Boundaries()
	near := func(name string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 5e-5 {
			t.Errorf("%s = %.6f, want %.5f", name, got, want)
		}
	}
	near("A", up, 4.55388)
	near("B", lo, -2.98568)
	s, f := g.Steps()
	near("failure step", f, 2.30259)
	near("success step", s, -0.046281)
	near("LLR(0,2)", g.LLR(0, 2), 4.60517)
	near("LLR(64,0)", g.LLR(64, 0), -2.96199)
	near("LLR(65,0)", g.LLR(65, 0), -3.00827)

	if got := g.FailuresToReject(); got != 2 {
		t.Errorf("FailuresToReject = %d, want 2", got)
	}
	if got := g.SuccessesToAccept(0, 0); got != 65 {
		t.Errorf("SuccessesToAccept(0, 0) = %d, want 65", got)
	}
	for _, c := range []struct {
		s, f int
		want Decision
	}{
		{0, 1, Continue}, {0, 2, Reject}, {64, 0, Continue}, {65, 0, Accept},
		// 1 failure then successes: accept needs s·0.046281 ≥ 2.98568 + 2.30259, s ≥ 114.2.
		{114, 1, Continue}, {115, 1, Accept},
		// 2 failures are offset by successes: reject needs 2.30259·2 − 0.046281·s ≥ 4.55388,
		// s ≤ 1.108; so 1 success and 2 failures reject, 2 successes and 2 failures do not.
		{1, 2, Reject}, {2, 2, Continue},
	} {
		if got := g.Evaluate(c.s, c.f).Decision; got != c.want {
			t.Errorf("Evaluate(%d successes, %d failures) = %s, want %s", c.s, c.f, got, c.want)
		}
	}
}

// The sequential test stops at its first decision: a path that accepts stays accepted.
func TestSPRTStopsAtFirstDecision(t *testing.T) {
	tst := SPRT{Params: DefaultGate(), Decision: Continue}
	for i := range 65 {
		if d := tst.Add(true).Decision; (i < 64) != (d == Continue) {
			t.Fatalf("after %d successes: %s", i+1, d)
		}
	}
	for range 5 {
		if d := tst.Add(false).Decision; d != Accept {
			t.Fatalf("a decided test changed its decision to %s", d)
		}
	}
}

func TestFailureCap(t *testing.T) {
	g := DefaultGate()
	g.MaxFailures = 3
	// 3 failures and 200 successes: LLR = 6.9078 − 9.2562 < B? no: −2.348 > B, undecided, capped.
	ev := g.Evaluate(200, 3)
	if ev.Decision != Reject || !ev.Capped {
		t.Errorf("Evaluate(200, 3) with cap 3 = %+v, want a capped rejection", ev)
	}
}

// The defaults' exact operating characteristic keeps Wald's promises: at p0 the test rejects
// with probability at most α/(1−β) (Wald's bound; in practice below α), at p1 it accepts with
// probability at most β/(1−α), and a completely bad update is rejected at the second outcome.
func TestCharacteristicKeepsWaldsBounds(t *testing.T) {
	g := DefaultGate()
	r0, n0 := g.Characteristic(g.P0)
	r1, n1 := g.Characteristic(g.P1)
	t.Logf("p0: reject %.5f after %.1f outcomes on average; p1: accept %.5f after %.1f", r0, n0, 1-r1, n1)
	if r0 > g.Alpha/(1-g.Beta) || r0 <= 0 {
		t.Errorf("false rejection at p0: %.5f, above α/(1−β) = %.5f", r0, g.Alpha/(1-g.Beta))
	}
	if 1-r1 > g.Beta/(1-g.Alpha) || 1-r1 <= 0 {
		t.Errorf("false acceptance at p1: %.5f, above β/(1−α) = %.5f", 1-r1, g.Beta/(1-g.Alpha))
	}
	// At p = 0 the test accepts after exactly 65 outcomes; at p = 1 it rejects after 2.
	if r, n := g.Characteristic(0); r != 0 || n != 65 {
		t.Errorf("p = 0: reject %g after %g outcomes, want 0 after 65", r, n)
	}
	if r, n := g.Characteristic(1); r != 1 || n != 2 {
		t.Errorf("p = 1: reject %g after %g outcomes, want 1 after 2", r, n)
	}
}
