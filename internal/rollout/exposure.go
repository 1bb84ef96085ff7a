package rollout

import "time"

// ExposureBound returns the most devices a completely bad update (every device fails, silently
// or not) can reach under plan before the gates halt it.
//
// The derivation. Under a bad update no device succeeds, so the sequential test never accepts
// and only two release rules can apply (see Rollout's advance): the canary wave is released at
// the start, and, while the test has not decided, more devices are released only once every
// released device has its outcome. A silent device's outcome is its deadline, so each release
// waits for every deadline of the devices released before it; devices released together are
// all assigned before any of their deadlines passes. The test rejects at its r-th failure, with
// r = GateParams.FailuresToReject (2 for the defaults: 2·ln 10 ≥ ln 95), or earlier when a wave
// reaches its failure limit. So the bound is the number of devices released before the r-th
// outcome, that is before the r-th deadline passes: the canary alone when it holds at least r
// devices (or its failure limit), and otherwise the canary plus each extension, until r failures
// are counted. An extension is as large as the test needs to accept, so a canary below r costs
// more than one of r: with the defaults a canary of 1 gives 1 + 115 (after one failure the test
// needs 115 successes), a canary of 2 gives 2. The order in which outcomes arrive does not
// matter, since a release needs them all.
//
// The function computes the bound by running the rollout's own rules on a plan where every
// device fails, so the bound and the rules cannot drift apart.
func ExposureBound(plan Plan) int {
	r := newRollout(plan)
	r.quiet = true
	r.release(time.Time{}, 0, plan.Waves[0].Size, WhyCanary)
	for pos := 0; r.st.Status == Running && pos < r.Released(); pos++ {
		if _, err := r.Observe(time.Time{}, Outcome{Position: pos, Reason: ReasonSilent}); err != nil {
			break
		}
	}
	return r.Released()
}
