// Package rollout decides how an update spreads through a fleet of devices: it plans waves drawn
// at random within strata, bounds how many devices a bad update can reach, judges each wave with
// Wald's sequential probability ratio test on per-device outcomes (silence counts as failure),
// halts and rolls back, and records every decision so that anyone can recompute it (Replay).
//
// The package is pure logic: no I/O, no clock, no global randomness. Callers pass the time, the
// seed, the fleet and each device's outcome, persist State and the Records it returns, and turn
// its release decisions into signed update metadata.
package rollout

import (
	"errors"
	"fmt"
	"math"
)

// Decision is what a gate concludes.
type Decision string

// Gate decisions.
const (
	Continue Decision = "continue" // not enough evidence yet
	Accept   Decision = "accept"   // the failure rate is acceptable (at most p0, with error β)
	Reject   Decision = "reject"   // the failure rate is too high (at least p1, with error α)
)

// GateParams are the parameters of a rollout's gate.
//
// The sequential probability ratio test compares H0: the update's failure probability is P0
// against H1: it is P1, on per-device Bernoulli outcomes. After s successes and f failures its
// log-likelihood ratio is
//
//	LLR = f·ln(P1/P0) + s·ln((1−P1)/(1−P0))
//
// and it rejects the update once LLR ≥ A = ln((1−Beta)/Alpha), accepts once LLR ≤ B =
// ln(Beta/(1−Alpha)), and otherwise asks for more outcomes. Wald's bounds give a false halt
// probability of about Alpha at P0 and a missed halt probability of about Beta at P1.
//
// MaxFailures is a hard cap: when the test has counted that many failures without deciding, it
// rejects (the test is truncated in favour of halting). WaveAlpha is the false-halt budget of the
// per-wave failure limits (see Plan), shared equally among the waves.
type GateParams struct {
	P0          float64 `json:"p0"`
	P1          float64 `json:"p1"`
	Alpha       float64 `json:"alpha"`
	Beta        float64 `json:"beta"`
	MaxFailures int     `json:"maxFailures"`
	WaveAlpha   float64 `json:"waveAlpha"`
}

// DefaultGate returns the default gate: p0 = 0.5 %, p1 = 5 %, α = 1 %, β = 5 %, at most 10
// failures before the test decides, and a per-wave budget of 0.1 %.
func DefaultGate() GateParams {
	return GateParams{P0: 0.005, P1: 0.05, Alpha: 0.01, Beta: 0.05, MaxFailures: 10, WaveAlpha: 0.001}
}

// MaxFailureCap bounds GateParams.MaxFailures.
const MaxFailureCap = 10000

// ErrGate is wrapped by the errors of GateParams.Validate.
var ErrGate = errors.New("invalid gate parameters")

// Validate checks that the parameters define a test: 0 < P0 < P1 < 1, 0 < Alpha, Beta < 0.5,
// MaxFailures at least the failures the test needs to reject, 0 ≤ WaveAlpha < 0.5.
func (g GateParams) Validate() error {
	switch {
	case !(g.P0 > 0 && g.P0 < g.P1 && g.P1 < 1):
		return fmt.Errorf("%w: want 0 < p0 < p1 < 1, have p0 = %g, p1 = %g", ErrGate, g.P0, g.P1)
	case !(g.Alpha > 0 && g.Alpha < 0.5) || !(g.Beta > 0 && g.Beta < 0.5):
		return fmt.Errorf("%w: want 0 < alpha, beta < 0.5, have alpha = %g, beta = %g", ErrGate, g.Alpha, g.Beta)
	case !(g.WaveAlpha >= 0 && g.WaveAlpha < 0.5):
		return fmt.Errorf("%w: want 0 <= waveAlpha < 0.5, have %g", ErrGate, g.WaveAlpha)
	case g.MaxFailures < 1 || g.MaxFailures > MaxFailureCap:
		return fmt.Errorf("%w: maxFailures must be between 1 and %d, have %d", ErrGate, MaxFailureCap, g.MaxFailures)
	}
	if s, f := g.Steps(); !(s < -1e-9 && f > 1e-9) {
		return fmt.Errorf("%w: p0 = %g and p1 = %g are too close to tell apart", ErrGate, g.P0, g.P1)
	}
	return nil
}

// Boundaries returns the test's lower (accept) and upper (reject) boundaries B and A.
func (g GateParams) Boundaries() (lower, upper float64) {
	return math.Log(g.Beta / (1 - g.Alpha)), math.Log((1 - g.Beta) / g.Alpha)
}

// Steps returns what one success and one failure add to the log-likelihood ratio.
func (g GateParams) Steps() (success, failure float64) {
	return math.Log((1 - g.P1) / (1 - g.P0)), math.Log(g.P1 / g.P0)
}

// LLR returns the log-likelihood ratio after successes and failures.
func (g GateParams) LLR(successes, failures int) float64 {
	s, f := g.Steps()
	return float64(successes)*s + float64(failures)*f
}

// Evaluation is one evaluation of the sequential test.
type Evaluation struct {
	Successes int      `json:"successes"`
	Failures  int      `json:"failures"`
	LLR       float64  `json:"llr"`
	Lower     float64  `json:"lower"`
	Upper     float64  `json:"upper"`
	Decision  Decision `json:"decision"`
	// Capped is set when the decision is a rejection by MaxFailures, not by the boundary.
	Capped bool `json:"capped,omitempty"`
}

// Evaluate evaluates the test at the counts. It is a pure function of the parameters and the
// counts; a caller feeding outcomes one at a time stops at the first decision (see SPRT).
func (g GateParams) Evaluate(successes, failures int) Evaluation {
	lo, up := g.Boundaries()
	e := Evaluation{Successes: successes, Failures: failures, LLR: g.LLR(successes, failures), Lower: lo, Upper: up, Decision: Continue}
	switch {
	case e.LLR >= up:
		e.Decision = Reject
	case e.LLR <= lo:
		e.Decision = Accept
	case failures >= g.MaxFailures:
		e.Decision, e.Capped = Reject, true
	}
	return e
}

// FailuresToReject returns the failures the test needs to reject when no device succeeded: the
// smallest r with r·ln(P1/P0) ≥ A, or MaxFailures if smaller.
func (g GateParams) FailuresToReject() int {
	return g.FailuresToRejectAfter(0)
}

// FailuresToRejectAfter returns the further failures the test needs to reject after successes
// successes and no failure.
func (g GateParams) FailuresToRejectAfter(successes int) int {
	_, up := g.Boundaries()
	s, f := g.Steps()
	r := int(math.Ceil((up - float64(successes)*s) / f))
	// Floating point can put an exact boundary one step off; settle it with the same sum
	// Evaluate computes.
	for r > 1 && g.LLR(successes, r-1) >= up {
		r--
	}
	for g.LLR(successes, r) < up {
		r++
	}
	return min(max(r, 1), g.MaxFailures)
}

// SuccessesToAccept returns the further successes, with no failure, the test needs to accept
// after successes and failures; 0 if it has already accepted.
func (g GateParams) SuccessesToAccept(successes, failures int) int {
	lo, _ := g.Boundaries()
	s, _ := g.Steps()
	llr := g.LLR(successes, failures)
	if llr <= lo {
		return 0
	}
	n := int(math.Ceil((llr - lo) / -s))
	for n > 1 && g.LLR(successes+n-1, failures) <= lo {
		n--
	}
	for g.LLR(successes+n, failures) > lo {
		n++
	}
	return n
}

// SPRT is the sequential test fed one outcome at a time. Its zero value is not usable: set
// Params. Once decided, further outcomes are counted but do not change the decision.
type SPRT struct {
	Params    GateParams `json:"-"`
	Successes int        `json:"successes"`
	Failures  int        `json:"failures"`
	Decision  Decision   `json:"decision"`
}

// Add counts one outcome and returns the evaluation after it. After a decision the returned
// evaluation carries the decision reached, not a new one.
func (t *SPRT) Add(success bool) Evaluation {
	if success {
		t.Successes++
	} else {
		t.Failures++
	}
	e := t.Params.Evaluate(t.Successes, t.Failures)
	if t.Decision == "" || t.Decision == Continue {
		t.Decision = e.Decision
	} else {
		e.Decision = t.Decision
	}
	return e
}

// Characteristic returns, exactly, the probability that the test (with its failure cap) rejects
// when every device fails independently with probability p, and the expected number of
// outcomes it takes to decide. It follows the probability of every undecided count pair
// outcome by outcome; the cap and the accept boundary keep that set finite.
func (g GateParams) Characteristic(p float64) (reject, outcomes float64) {
	// undecided[f] is the probability of being undecided with f failures after n outcomes.
	undecided := []float64{1}
	for n := 0; len(undecided) > 0; n++ {
		next := make([]float64, len(undecided)+1)
		live := false
		for f, m := range undecided {
			if m == 0 {
				continue
			}
			for _, step := range [2]struct {
				f    int
				prob float64
			}{{f, 1 - p}, {f + 1, p}} {
				pm := m * step.prob
				if pm == 0 {
					continue
				}
				switch g.Evaluate(n+1-step.f, step.f).Decision {
				case Reject:
					reject += pm
					outcomes += pm * float64(n+1)
				case Accept:
					outcomes += pm * float64(n+1)
				default:
					next[step.f] += pm
					live = true
				}
			}
		}
		if !live {
			break
		}
		undecided = next
	}
	return reject, outcomes
}
