package rollout

import (
	"fmt"
)

// RollbackCanary is the size of a rollback's first wave.
const RollbackCanary = 20

// NewRollback plans the rollback of a halted update: a rollout of kind rollback that sends the
// devices that received the update (exposed) back to previous, gated like any rollout (success:
// booted on previous and healthy), in two waves: RollbackCanary devices, then the rest. The
// exposure limit does not apply (the devices already run the bad update); the bound is still
// computed and recorded.
func NewRollback(parent Plan, id, previous string, exposed []Device, seed uint64) (Plan, error) {
	if len(exposed) == 0 {
		return Plan{}, fmt.Errorf("%w: rollback of %s: no device received the update", ErrPlan, parent.Rollout)
	}
	specs := []WaveSpec{{Count: min(RollbackCanary, len(exposed))}}
	req := PlanRequest{Rollout: id, Version: previous, Waves: specs, Gate: parent.Gate, Deadlines: parent.Deadlines,
		Seed: seed, ExposureLimit: len(exposed)}
	p, err := NewPlan(req, exposed)
	if err != nil {
		return p, fmt.Errorf("rollback of %s: %w", parent.Rollout, err)
	}
	p.Kind, p.Parent = KindRollback, parent.Rollout
	return p, nil
}
