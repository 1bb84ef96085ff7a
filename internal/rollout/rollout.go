package rollout

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Status is where a rollout stands.
type Status string

// Rollout statuses.
const (
	Running   Status = "running"
	Paused    Status = "paused"    // no releases until resumed; gates still judge outcomes
	Halted    Status = "halted"    // a gate, the pre-flight check or a person stopped it; final
	Completed Status = "completed" // every wave released and judged
)

// State is a rollout's whole mutable state: small, JSON-serialisable, for the caller to persist
// beside the plan (see Restore).
type State struct {
	Rollout string `json:"rollout"`
	Status  Status `json:"status"`
	Reason  string `json:"reason,omitempty"` // of the halt or pause
	Wave    int    `json:"wave"`             // the wave being released or judged
	// Released, Successes and Failures are per wave. The released devices are always a prefix
	// of the plan's release order, of length Rollout.Released.
	Released  []int `json:"released"`
	Successes []int `json:"successes"`
	Failures  []int `json:"failures"`
	// Test is the sequential test over the outcomes in release order (see Observe). Next is the
	// release-order position of the next outcome it takes; Pending holds outcomes that arrived
	// before an earlier device's, sorted by position.
	Test    SPRT      `json:"test"`
	Next    int       `json:"next"`
	Pending []Outcome `json:"pending,omitempty"`
	Seq     int       `json:"seq"`    // records emitted
	Digest  string    `json:"digest"` // running digest of the outcomes counted
}

// Rollout is a rollout's decision core. Its methods return the records to append to the
// ledger; the caller persists State after each call, in the same transaction.
type Rollout struct {
	plan  Plan
	st    State
	quiet bool // build no records (exposure bound)
}

// ErrState is wrapped by errors for calls the rollout's state does not allow.
var ErrState = errors.New("rollout state")

// Start begins a rollout under plan: it records the plan and, unless a pre-flight check is
// planned and pre did not pass, releases the canary wave. pre must be given when the plan has a
// pre-flight check.
func Start(plan Plan, now time.Time, actor string, pre *PreflightResult) (*Rollout, []Record, error) {
	if plan.Preflight != nil && pre == nil {
		return nil, nil, fmt.Errorf("%w: rollout %s plans a pre-flight check: run it (RunPreflight) before starting", ErrState, plan.Rollout)
	}
	r := newRollout(plan)
	p := plan
	recs := []Record{r.record(now, actor, Record{Kind: RecordPlanned, Plan: &p})}
	if pre != nil {
		pr := *pre
		recs = append(recs, r.record(now, actor, Record{Kind: RecordPreflight, Preflight: &pr}))
		if !pre.Passed {
			recs = append(recs, r.halt(now, actor, CausePreflight, "the pre-flight check failed: "+pre.Summary()))
			return r, recs, nil
		}
	}
	recs = append(recs, r.release(now, 0, plan.Waves[0].Size, WhyCanary))
	return r, recs, nil
}

func newRollout(plan Plan) *Rollout {
	n := len(plan.Waves)
	return &Rollout{plan: plan, st: State{
		Rollout: plan.Rollout, Status: Running,
		Released: make([]int, n), Successes: make([]int, n), Failures: make([]int, n),
		Test: SPRT{Params: plan.Gate, Decision: Continue},
	}}
}

// Restore rebuilds a rollout from its plan and a persisted state.
func Restore(plan Plan, st State) (*Rollout, error) {
	n := len(plan.Waves)
	if st.Rollout != plan.Rollout || len(st.Released) != n || len(st.Successes) != n || len(st.Failures) != n || st.Wave < 0 || st.Wave >= n {
		return nil, fmt.Errorf("%w: the state does not fit rollout %s's plan", ErrState, plan.Rollout)
	}
	st.Test.Params = plan.Gate
	return &Rollout{plan: plan, st: st}, nil
}

// Plan returns the rollout's plan.
func (r *Rollout) Plan() Plan { return r.plan }

// State returns a copy of the rollout's state.
func (r *Rollout) State() State {
	st := r.st
	st.Released = append([]int(nil), st.Released...)
	st.Successes = append([]int(nil), st.Successes...)
	st.Failures = append([]int(nil), st.Failures...)
	st.Pending = append([]Outcome(nil), st.Pending...)
	return st
}

// Released returns how many devices have been released: the first Released() of the plan's
// release order.
func (r *Rollout) Released() int {
	n := 0
	for _, v := range r.st.Released {
		n += v
	}
	return n
}

// Observe counts one device's outcome (see Judge and Silent) and returns the records of the
// decisions it leads to: the gate's evaluations, a halt, the next release, completion. Each
// released device must be observed exactly once; the caller ensures it (the rollout refuses a
// position it has already taken while the sequential test runs). Outcomes that arrive after a
// halt are counted but decide nothing.
//
// The sequential test takes outcomes in release order, not in order of arrival: a silent
// device's outcome arrives only at its deadline, long after its neighbours' successes, and a
// test fed in arrival order would see the successes first and accept too easily. The release
// order is random and fixed before any outcome, so outcomes taken in it are independent draws,
// as Wald's test assumes. An outcome that arrives before an earlier device's waits in Pending.
func (r *Rollout) Observe(now time.Time, o Outcome) ([]Record, error) {
	if o.Position < 0 || o.Position >= r.Released() {
		return nil, fmt.Errorf("%w: rollout %s has released %d devices: no position %d", ErrState, r.plan.Rollout, r.Released(), o.Position)
	}
	w, _ := r.plan.WaveOf(o.Position)
	if err := r.count(w, 1); err != nil {
		return nil, err
	}
	if r.st.Test.Decision == Continue && r.st.Status != Halted {
		i, found := slices.BinarySearchFunc(r.st.Pending, o.Position, func(p Outcome, pos int) int { return p.Position - pos })
		if found || o.Position < r.st.Next {
			return nil, fmt.Errorf("%w: rollout %s already has the outcome of position %d", ErrState, r.plan.Rollout, o.Position)
		}
		r.st.Pending = slices.Insert(r.st.Pending, i, o)
		return r.consume(now), nil
	}
	r.tally(w, o)
	if r.st.Status == Halted || r.st.Status == Completed {
		return nil, nil
	}
	return r.judgeWave(now, w), nil
}

// consume feeds the test the pending outcomes that continue the release order.
func (r *Rollout) consume(now time.Time) []Record {
	var recs []Record
	if len(r.st.Pending) == 0 || r.st.Pending[0].Position != r.st.Next {
		return nil // waiting for an earlier device
	}
	for len(r.st.Pending) > 0 && r.st.Pending[0].Position == r.st.Next && r.st.Test.Decision == Continue {
		o := r.st.Pending[0]
		r.st.Pending = r.st.Pending[1:]
		r.st.Next++
		w, _ := r.plan.WaveOf(o.Position)
		r.tally(w, o)
		ev := r.st.Test.Add(o.Success)
		recs = append(recs, r.record(now, "", Record{Kind: RecordGate, Gate: r.gate(TestSPRT, w, &o, ev)}))
		switch {
		case ev.Decision == Reject:
			return append(recs, r.rejected(now, ev))
		case r.st.Failures[w] >= r.plan.Waves[w].FailureLimit:
			return append(recs, r.judgeWave(now, w)...)
		}
	}
	if len(r.st.Pending) == 0 {
		r.st.Pending = nil
	}
	if r.st.Test.Decision != Continue {
		r.flush()
	}
	return append(recs, r.judgeWave(now, r.st.Wave)...)
}

// flush counts the pending outcomes, in release order, once the test no longer needs them.
func (r *Rollout) flush() {
	for _, o := range r.st.Pending {
		w, _ := r.plan.WaveOf(o.Position)
		r.tally(w, o)
	}
	r.st.Pending = nil
}

// tally counts an outcome in its wave and in the digest.
func (r *Rollout) tally(w int, o Outcome) {
	r.digest(fmt.Sprintf("%s\t%d\t%t\t%s\t%s", o.Device, o.Position, o.Success, o.Reason, o.At.UTC().Format(time.RFC3339Nano)))
	if o.Success {
		r.st.Successes[w]++
	} else {
		r.st.Failures[w]++
	}
}

// ObserveCounts counts outcomes in bulk, without device identities, once the sequential test
// has decided; it serves simulations and imports, where only a wave's counts matter. Failures
// are counted before successes, so a wave limit halts as early as it can.
func (r *Rollout) ObserveCounts(now time.Time, wave, successes, failures int) ([]Record, error) {
	if r.st.Test.Decision == Continue {
		return nil, fmt.Errorf("%w: the sequential test has not decided: observe outcomes one at a time", ErrState)
	}
	if successes < 0 || failures < 0 {
		return nil, fmt.Errorf("%w: negative counts", ErrState)
	}
	if err := r.count(wave, successes+failures); err != nil {
		return nil, err
	}
	r.digest("counts\t" + strconv.Itoa(wave) + "\t" + strconv.Itoa(successes) + "\t" + strconv.Itoa(failures))
	r.st.Failures[wave] += failures
	r.st.Successes[wave] += successes
	if r.st.Status == Halted || r.st.Status == Completed {
		return nil, nil
	}
	return r.judgeWave(now, wave), nil
}

// count checks that n more outcomes fit wave's released devices.
func (r *Rollout) count(wave, n int) error {
	if wave < 0 || wave >= len(r.plan.Waves) {
		return fmt.Errorf("%w: rollout %s has no wave %d", ErrState, r.plan.Rollout, wave)
	}
	have := r.st.Successes[wave] + r.st.Failures[wave]
	for _, o := range r.st.Pending {
		if w, _ := r.plan.WaveOf(o.Position); w == wave {
			have++
		}
	}
	if have+n > r.st.Released[wave] {
		return fmt.Errorf("%w: wave %d of rollout %s has %d devices released and %d outcomes: %d more do not fit",
			ErrState, wave, r.plan.Rollout, r.st.Released[wave], have, n)
	}
	return nil
}

// judgeWave applies wave's failure limit, then releases what the gates allow.
func (r *Rollout) judgeWave(now time.Time, wave int) []Record {
	var recs []Record
	wv := r.plan.Waves[wave]
	done := r.st.Successes[wave] + r.st.Failures[wave]
	switch {
	case r.st.Failures[wave] >= wv.FailureLimit:
		ev := r.st.Test.Params.Evaluate(r.st.Test.Successes, r.st.Test.Failures)
		ev.Decision = Reject
		recs = append(recs, r.record(now, "", Record{Kind: RecordGate, Gate: r.gate(TestWaveLimit, wave, nil, ev)}))
		return append(recs, r.halt(now, "", CauseWaveLimit,
			fmt.Sprintf("wave %d reached its failure limit: %d failures of %d devices", wave+1, r.st.Failures[wave], wv.Size)))
	case done == wv.Size:
		ev := r.st.Test.Params.Evaluate(r.st.Test.Successes, r.st.Test.Failures)
		ev.Decision = Accept
		recs = append(recs, r.record(now, "", Record{Kind: RecordGate, Gate: r.gate(TestWaveLimit, wave, nil, ev)}))
	}
	return append(recs, r.advance(now)...)
}

// advance releases what the gates allow. The rules:
//   - once the sequential test has accepted, the rest of the current wave is released at once,
//     and the next wave when the current one is complete (every device has an outcome) below
//     its failure limit;
//   - while the test has not decided, nothing more is released until every released device
//     has its outcome; then as many more devices as the test needs to accept (if they all
//     succeed) are released, from the current wave or, when it is all released, the next;
//   - nothing is released while paused, and never after a halt.
func (r *Rollout) advance(now time.Time) []Record {
	if r.st.Status != Running {
		return nil
	}
	w := r.st.Wave
	size := r.plan.Waves[w].Size
	rel := r.st.Released[w]
	done := r.st.Successes[w] + r.st.Failures[w]
	last := w == len(r.plan.Waves)-1
	switch r.st.Test.Decision {
	case Accept:
		switch {
		case rel < size:
			return []Record{r.release(now, w, size-rel, WhyAccepted)}
		case done < size:
			return nil
		case !last:
			r.st.Wave++
			return []Record{r.release(now, w+1, r.plan.Waves[w+1].Size, WhyAccepted)}
		}
	case Continue:
		if done < rel {
			return nil
		}
		need := r.plan.Gate.SuccessesToAccept(r.st.Test.Successes, r.st.Test.Failures)
		switch {
		case rel < size:
			return []Record{r.release(now, w, min(need, size-rel), WhyExtend)}
		case !last:
			r.st.Wave++
			return []Record{r.release(now, w+1, min(need, r.plan.Waves[w+1].Size), WhyExtend)}
		}
	default:
		return nil
	}
	r.st.Status = Completed
	return []Record{r.record(now, "", Record{Kind: RecordCompleted})}
}

// release releases n more devices of wave w.
func (r *Rollout) release(now time.Time, w, n int, why string) Record {
	from := r.plan.WaveStart(w) + r.st.Released[w]
	r.st.Released[w] += n
	return r.record(now, "", Record{Kind: RecordReleased, Release: &Release{Wave: w, From: from, To: from + n, Why: why}})
}

// rejected halts after the sequential test rejected.
func (r *Rollout) rejected(now time.Time, ev Evaluation) Record {
	if ev.Capped {
		return r.halt(now, "", CauseFailureCap, fmt.Sprintf("%d failures (the cap) before the test decided, with %d successes", ev.Failures, ev.Successes))
	}
	return r.halt(now, "", CauseSPRT, fmt.Sprintf("the sequential test rejected the update: %d failures, %d successes, log-likelihood ratio %.3f ≥ %.3f",
		ev.Failures, ev.Successes, ev.LLR, ev.Upper))
}

func (r *Rollout) halt(now time.Time, actor, cause, reason string) Record {
	r.flush()
	r.st.Status, r.st.Reason = Halted, reason
	return r.record(now, actor, Record{Kind: RecordHalted, Halt: &Halt{
		Cause: cause, Reason: reason, Rollback: r.plan.Kind != KindRollback && r.Released() > 0, Released: r.Released(),
	}})
}

// Pause stops releases until Resume; the gates still judge outcomes and may halt.
func (r *Rollout) Pause(now time.Time, actor, reason string) ([]Record, error) {
	if r.st.Status != Running {
		return nil, fmt.Errorf("%w: rollout %s is %s, not running", ErrState, r.plan.Rollout, r.st.Status)
	}
	if reason == "" {
		return nil, fmt.Errorf("%w: say why the rollout is paused", ErrState)
	}
	r.st.Status, r.st.Reason = Paused, reason
	return []Record{r.record(now, actor, Record{Kind: RecordPaused, Control: &Control{Reason: reason}})}, nil
}

// Resume continues a paused rollout and releases what the gates allowed meanwhile.
func (r *Rollout) Resume(now time.Time, actor, reason string) ([]Record, error) {
	if r.st.Status != Paused {
		return nil, fmt.Errorf("%w: rollout %s is %s, not paused", ErrState, r.plan.Rollout, r.st.Status)
	}
	if reason == "" {
		return nil, fmt.Errorf("%w: say why the rollout resumes", ErrState)
	}
	r.st.Status, r.st.Reason = Running, ""
	recs := []Record{r.record(now, actor, Record{Kind: RecordResumed, Control: &Control{Reason: reason}})}
	return append(recs, r.advance(now)...), nil
}

// Abort halts a running or paused rollout for reason; an update is then rolled back.
func (r *Rollout) Abort(now time.Time, actor, reason string) ([]Record, error) {
	if r.st.Status != Running && r.st.Status != Paused {
		return nil, fmt.Errorf("%w: rollout %s is %s: only a running or paused rollout can be aborted", ErrState, r.plan.Rollout, r.st.Status)
	}
	if reason == "" {
		return nil, fmt.Errorf("%w: say why the rollout is aborted", ErrState)
	}
	return []Record{r.halt(now, actor, CauseAbort, reason)}, nil
}

// gate builds a gate record from the current counts.
func (r *Rollout) gate(test string, wave int, o *Outcome, ev Evaluation) *GateRecord {
	if r.quiet {
		return nil
	}
	return &GateRecord{
		Test: test, Wave: wave, Outcome: o, Evaluation: ev,
		WaveSuccesses: r.st.Successes[wave], WaveFailures: r.st.Failures[wave], WaveLimit: r.plan.Waves[wave].FailureLimit,
		InputsDigest: r.st.Digest,
	}
}

// record numbers and stamps a record.
func (r *Rollout) record(now time.Time, actor string, rec Record) Record {
	if r.quiet {
		return Record{}
	}
	r.st.Seq++
	rec.Rollout, rec.Seq, rec.At, rec.Actor = r.plan.Rollout, r.st.Seq, now.UTC(), actor
	return rec
}

// digest extends the running digest of the outcomes: SHA-256 of the previous digest (hex), a
// newline and the outcome's line.
func (r *Rollout) digest(line string) {
	if r.quiet {
		return
	}
	h := sha256.New()
	h.Write([]byte(r.st.Digest))
	h.Write([]byte{'\n'})
	h.Write([]byte(line))
	r.st.Digest = hex.EncodeToString(h.Sum(nil))
}

// Digest returns the running digest of the outcomes counted so far: starting from the empty
// string, each outcome replaces it by the hex SHA-256 of the digest, a newline and the outcome's
// line ("device TAB position TAB success TAB reason TAB time", RFC 3339 UTC; for bulk counts
// "counts TAB wave TAB successes TAB failures").
func (r *Rollout) Digest() string { return r.st.Digest }
