package app

import (
	"context"
	"encoding/json"

	"github.com/siegel-oss/siegel/internal/lab"
	"github.com/siegel-oss/siegel/internal/store"
)

// StoreLabRun keeps a lab run as the release's newest (audit trail and ledger included); a run
// a job made (job, 0 for none) is stored once.
func (s *Deps) StoreLabRun(ctx context.Context, release, job int64, res *lab.Result) (*store.LabRun, error) {
	stored, err := json.Marshal(res)
	if err != nil {
		return nil, err
	}
	lr := &store.LabRun{Release: release, Target: res.Target, TranscriptSHA256: res.TranscriptSHA256, Failed: len(res.Failed()), Result: stored, StartedAt: res.Started, Job: job}
	if _, err := s.Store.AddJobLabRun(ctx, lr); err != nil {
		return nil, err
	}
	return lr, nil
}
