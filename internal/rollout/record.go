package rollout

import (
	"time"
)

// Record kinds: the ledger statement type of each record.
const (
	RecordPlanned   = "rollout-planned"
	RecordPreflight = "rollout-preflight"
	RecordReleased  = "rollout-released"
	RecordGate      = "rollout-gate-evaluated"
	RecordHalted    = "rollout-halted"
	RecordPaused    = "rollout-paused"
	RecordResumed   = "rollout-resumed"
	RecordCompleted = "rollout-completed"
)

// Record is one decision or event of a rollout, to be appended to the ledger (as the content of
// a statement of type Kind about subject "rollout/" + Rollout) in the same transaction as the
// state change. Exactly one of the pointer fields is set, according to Kind (RecordCompleted
// sets none).
type Record struct {
	Kind    string    `json:"kind"`
	Rollout string    `json:"rollout"`
	Seq     int       `json:"seq"` // the record's place among the rollout's records, from 1
	At      time.Time `json:"at"`
	Actor   string    `json:"actor,omitempty"`

	Plan      *Plan            `json:"plan,omitempty"`
	Preflight *PreflightResult `json:"preflight,omitempty"`
	Release   *Release         `json:"release,omitempty"`
	Gate      *GateRecord      `json:"gate,omitempty"`
	Halt      *Halt            `json:"halt,omitempty"`
	Control   *Control         `json:"control,omitempty"`
}

// Release is a decision to release devices: positions [From, To) of the plan's release order
// (see Plan.Order), all in wave Wave. The caller assigns those devices the update.
type Release struct {
	Wave int `json:"wave"` // from 0; wave 0 is the canary
	From int `json:"from"`
	To   int `json:"to"`
	// Why is "canary" (the first wave), "accepted" (the test accepted: the rest of the wave, or
	// the next wave once this one is complete) or "extend" (the test had not decided when every
	// released device had its outcome: as many more devices as it needs to accept).
	Why string `json:"why"`
}

// Release reasons.
const (
	WhyCanary   = "canary"
	WhyAccepted = "accepted"
	WhyExtend   = "extend"
)

// Gate tests.
const (
	TestSPRT      = "sprt"       // the sequential test, after one more outcome
	TestWaveLimit = "wave-limit" // a wave's failure limit, when it is reached or the wave completes
)

// GateRecord is one evaluation of a gate.
type GateRecord struct {
	Test string `json:"test"`
	Wave int    `json:"wave"`
	// Outcome is the outcome that led to a sequential evaluation (nil for counts observed in
	// bulk and for wave-limit evaluations).
	Outcome *Outcome `json:"outcome,omitempty"`
	// Evaluation holds the sequential test's counts, log-likelihood ratio, boundaries and
	// decision; for a wave-limit evaluation, Decision is the wave's (reject at the limit,
	// accept when the wave completed below it).
	Evaluation
	WaveSuccesses int `json:"waveSuccesses"`
	WaveFailures  int `json:"waveFailures"`
	WaveLimit     int `json:"waveLimit"`
	// InputsDigest is the running digest of every outcome counted so far (see Rollout.Digest).
	InputsDigest string `json:"inputsDigest"`
}

// Halt causes.
const (
	CauseSPRT       = "sprt"        // the sequential test rejected at its boundary
	CauseFailureCap = "failure-cap" // the sequential test counted MaxFailures failures undecided
	CauseWaveLimit  = "wave-limit"  // a wave reached its failure limit
	CausePreflight  = "preflight"   // the pre-flight check failed
	CauseAbort      = "abort"       // a person aborted the rollout
)

// Halt is a decision to stop releasing devices.
type Halt struct {
	Cause  string `json:"cause"`
	Reason string `json:"reason"`
	// Rollback is set when the devices that received the update are to be sent back to the
	// previous image (a rollout of kind rollback over them, see NewRollback). A halted rollback
	// is not rolled back again: it needs a person.
	Rollback bool `json:"rollback"`
	Released int  `json:"released"` // devices released when it halted
}

// Control is a manual pause or resume.
type Control struct {
	Reason string `json:"reason"`
}
