package rollout

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/siegel-oss/siegel/internal/ledger"
)

// Check is the replay's verdict on one record.
type Check struct {
	Rollout string `json:"rollout"`
	Seq     int    `json:"seq"`
	Kind    string `json:"kind"`
	// Decision summarises what the record says ("reject at 2 failures, 0 successes",
	// "release wave 2: devices 100 to 1100", ...).
	Decision string `json:"decision"`
	Match    bool   `json:"match"`
	// Detail says, when Match is false, what the recomputation gave instead or why the record
	// could not be checked.
	Detail string `json:"detail,omitempty"`
}

// Replayed is the result of a replay.
type Replayed struct {
	Checks     []Check `json:"checks"`
	Rollouts   int     `json:"rollouts"`
	Mismatches int     `json:"mismatches"`
}

// Replay recomputes every decision in records (of one or more rollouts, in any order) from the
// records' own inputs and says, record by record, whether it matches.
//
// For each rollout the plan record must come first: the replay recomputes the plan's wave
// failure limits and exposure bound, checks the bound against the limit, and then runs the
// rollout's rules from the start, feeding them the inputs the records hold: the pre-flight
// result, each outcome the sequential test judged (with the running digest of the outcomes,
// which the replay recomputes), the counts of each wave-limit evaluation, and every pause,
// resume and abort. Every record the rules produce must equal the next recorded one, field by
// field; a release, halt or completion no input leads to is a mismatch. After a rollout's first
// mismatch its later records are reported as not checked.
func Replay(records []Record) Replayed {
	byRollout := map[string][]Record{}
	var ids []string
	for _, r := range records {
		if _, ok := byRollout[r.Rollout]; !ok {
			ids = append(ids, r.Rollout)
		}
		byRollout[r.Rollout] = append(byRollout[r.Rollout], r)
	}
	out := Replayed{Rollouts: len(ids)}
	halts := map[string]*Halt{} // rollouts halted with a rollback decision
	for _, id := range ids {
		recs := byRollout[id]
		slices.SortStableFunc(recs, func(a, b Record) int { return a.Seq - b.Seq })
		checks := replayOne(recs)
		for _, r := range recs {
			if r.Kind == RecordHalted && r.Halt != nil && r.Halt.Rollback {
				halts[id] = r.Halt
			}
		}
		out.Checks = append(out.Checks, checks...)
	}
	// A rollback must follow a rollback decision of its parent, when the parent is present.
	for i, c := range out.Checks {
		if c.Kind != RecordPlanned || !c.Match {
			continue
		}
		p := byRollout[c.Rollout][0].Plan
		if p.Kind == KindRollback && byRollout[p.Parent] != nil && halts[p.Parent] == nil {
			out.Checks[i].Match = false
			out.Checks[i].Detail = fmt.Sprintf("a rollback of %s, which no halt with a rollback decision precedes", p.Parent)
		}
	}
	for _, c := range out.Checks {
		if !c.Match {
			out.Mismatches++
		}
	}
	return out
}

// replayOne replays one rollout's records, sorted by sequence number.
func replayOne(recs []Record) []Check {
	checks := make([]Check, len(recs))
	for i, r := range recs {
		checks[i] = Check{Rollout: r.Rollout, Seq: r.Seq, Kind: r.Kind, Decision: summarise(r)}
	}
	fail := func(from int, detail string) []Check {
		checks[from].Detail = detail
		for i := from + 1; i < len(checks); i++ {
			checks[i].Detail = "not checked: follows a mismatch"
		}
		return checks
	}
	if recs[0].Kind != RecordPlanned || recs[0].Plan == nil || recs[0].Seq != 1 {
		return fail(0, "the rollout's first record is not its plan (record 1, rollout-planned)")
	}
	plan := *recs[0].Plan
	if d := checkPlan(plan); d != "" {
		return fail(0, d)
	}
	var pre *PreflightResult
	if len(recs) > 1 && recs[1].Kind == RecordPreflight {
		pre = recs[1].Preflight
	}
	r, produced, err := Start(plan, recs[0].At, recs[0].Actor, pre)
	if err != nil {
		return fail(0, err.Error())
	}
	at := 0
	for {
		for _, p := range produced {
			if at >= len(recs) {
				// The rules decided more than the records hold: the records end early, which is
				// only a mismatch if the missing record is a decision the log should hold.
				return checks
			}
			if d := diffRecords(p, recs[at]); d != "" {
				return fail(at, d)
			}
			checks[at].Match = true
			at++
		}
		if at >= len(recs) {
			return checks
		}
		in := recs[at]
		switch {
		case in.Kind == RecordGate && in.Gate != nil && in.Gate.Test == TestSPRT && in.Gate.Outcome != nil:
			produced, err = r.Observe(in.At, *in.Gate.Outcome)
		case in.Kind == RecordGate && in.Gate != nil && in.Gate.Test == TestWaveLimit:
			w := in.Gate.Wave
			if w < 0 || w >= len(plan.Waves) {
				return fail(at, fmt.Sprintf("wave %d is not in the plan", w))
			}
			ds, df := in.Gate.WaveSuccesses-r.st.Successes[w], in.Gate.WaveFailures-r.st.Failures[w]
			if ds == 0 && df == 0 {
				return fail(at, "no outcome since the previous record leads to this evaluation")
			}
			produced, err = r.ObserveCounts(in.At, w, ds, df)
			if len(produced) > 0 && produced[0].Gate != nil {
				// The outcomes behind bulk counts are not in the records: their digest cannot
				// be recomputed, so take the recorded one.
				produced[0].Gate.InputsDigest = in.Gate.InputsDigest
				r.st.Digest = in.Gate.InputsDigest
			}
		case in.Kind == RecordPaused && in.Control != nil:
			produced, err = r.Pause(in.At, in.Actor, in.Control.Reason)
		case in.Kind == RecordResumed && in.Control != nil:
			produced, err = r.Resume(in.At, in.Actor, in.Control.Reason)
		case in.Kind == RecordHalted && in.Halt != nil && in.Halt.Cause == CauseAbort:
			produced, err = r.Abort(in.At, in.Actor, in.Halt.Reason)
		default:
			return fail(at, "no recorded outcome or action leads to this "+in.Kind+" record: the rules would not have made it")
		}
		if err != nil {
			return fail(at, err.Error())
		}
		if len(produced) == 0 {
			return fail(at, "the rules make no decision on this input")
		}
	}
}

// checkPlan recomputes what a plan derives from its request: the wave sizes' sum, the failure
// limits, the exposure bound and its limit.
func checkPlan(p Plan) string {
	if err := p.Gate.Validate(); err != nil {
		return err.Error()
	}
	if len(p.Waves) == 0 || p.Fleet < 1 || p.Fleet > MaxFleet {
		return fmt.Sprintf("the plan has %d waves over %d devices: want at least one wave and 1 to %d devices", len(p.Waves), p.Fleet, MaxFleet)
	}
	sizes := make([]int, len(p.Waves))
	total := 0
	for i, w := range p.Waves {
		sizes[i] = w.Size
		total += w.Size
		if w.Size < 1 || w.Size > p.Fleet {
			return fmt.Sprintf("wave %d has %d devices", i+1, w.Size)
		}
	}
	strata := 0
	for _, s := range p.Strata {
		if s.Devices < 1 || s.Devices > p.Fleet {
			return fmt.Sprintf("stratum %s/%s has %d devices", s.HardwareClass, s.Region, s.Devices)
		}
		strata += s.Devices
	}
	if total != p.Fleet || strata != p.Fleet {
		return fmt.Sprintf("the waves hold %d devices and the strata %d, the fleet %d", total, strata, p.Fleet)
	}
	for i, w := range waves(sizes, p.Gate) {
		if w.FailureLimit != p.Waves[i].FailureLimit {
			return fmt.Sprintf("wave %d: failure limit %d recorded, %d recomputed", i+1, p.Waves[i].FailureLimit, w.FailureLimit)
		}
	}
	if b := ExposureBound(p); b != p.ExposureBound {
		return fmt.Sprintf("exposure bound %d recorded, %d recomputed", p.ExposureBound, b)
	}
	if p.Kind == KindUpdate && p.ExposureBound > p.ExposureLimit {
		return fmt.Sprintf("exposure bound %d above the limit %d: the plan should have been refused", p.ExposureBound, p.ExposureLimit)
	}
	if p.Kind != KindUpdate && p.Kind != KindRollback {
		return fmt.Sprintf("plan kind %q: want %s or %s", p.Kind, KindUpdate, KindRollback)
	}
	return ""
}

// diffRecords compares a recomputed record with a recorded one through their JSON.
func diffRecords(want, got Record) string {
	a, _ := json.Marshal(want)
	b, _ := json.Marshal(got)
	if bytes.Equal(a, b) {
		return ""
	}
	return fmt.Sprintf("recomputed %s, recorded %s", summarise(want)+" "+string(a), string(b))
}

// summarise says in a line what a record decides.
func summarise(r Record) string {
	switch {
	case r.Plan != nil:
		return fmt.Sprintf("plan %d waves over %d devices, exposure bound %d (limit %d)", len(r.Plan.Waves), r.Plan.Fleet, r.Plan.ExposureBound, r.Plan.ExposureLimit)
	case r.Preflight != nil:
		return "pre-flight " + r.Preflight.Summary()
	case r.Release != nil:
		return fmt.Sprintf("release wave %d: positions %d to %d (%s)", r.Release.Wave+1, r.Release.From, r.Release.To, r.Release.Why)
	case r.Gate != nil && r.Gate.Test == TestSPRT:
		return fmt.Sprintf("sprt %s at %d failures, %d successes (llr %.4f in [%.4f, %.4f])", r.Gate.Decision, r.Gate.Failures, r.Gate.Successes, r.Gate.LLR, r.Gate.Lower, r.Gate.Upper)
	case r.Gate != nil:
		return fmt.Sprintf("wave %d %s: %d failures (limit %d), %d successes", r.Gate.Wave+1, r.Gate.Decision, r.Gate.WaveFailures, r.Gate.WaveLimit, r.Gate.WaveSuccesses)
	case r.Halt != nil:
		s := fmt.Sprintf("halt (%s): %s", r.Halt.Cause, r.Halt.Reason)
		if r.Halt.Rollback {
			s += "; roll back"
		}
		return s
	case r.Control != nil:
		return strings.TrimPrefix(r.Kind, "rollout-") + ": " + r.Control.Reason
	}
	return strings.TrimPrefix(r.Kind, "rollout-")
}

// SubjectPrefix is the ledger subject kind of rollout records: "rollout/" + the rollout.
const SubjectPrefix = "rollout/"

// RecordsFromBundle returns the rollout records of a ledger bundle (statements whose type
// starts with "rollout-"), decoded from their revealed contents. The bundle itself is not
// verified here (see ledger.Check). A rollout statement whose content is not revealed, does not
// decode, or disagrees with its statement is an error naming the entry.
func RecordsFromBundle(b *ledger.Bundle) ([]Record, error) {
	var recs []Record
	for i, e := range b.Entries {
		st := e.Statement
		if !strings.HasPrefix(st.Type, "rollout-") {
			continue
		}
		if e.Content == nil {
			return nil, fmt.Errorf("entry %d (log index %d, %s): the content is not revealed: export the bundle with contents to replay it", i, e.Index, st.Type)
		}
		var r Record
		dec := json.NewDecoder(bytes.NewReader(e.Content))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			return nil, fmt.Errorf("entry %d (log index %d, %s): content: %w", i, e.Index, st.Type, err)
		}
		if r.Kind != st.Type || st.Subject != SubjectPrefix+r.Rollout {
			return nil, fmt.Errorf("entry %d (log index %d): a %s record about rollout %q in a %s statement about %s", i, e.Index, r.Kind, r.Rollout, st.Type, st.Subject)
		}
		recs = append(recs, r)
	}
	return recs, nil
}
