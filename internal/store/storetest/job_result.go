package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/store"
)

// testJobResults: a job's result and progress as its caller reads them, lanes that leave a kind
// out, and a finished job that no longer shows the progress of its last heartbeat.
func testJobResults(t *testing.T, s *store.DB) {
	ctx := t.Context()
	must(s.Enqueue(ctx, "firmware-analysis", map[string]int{"release": 1}, "", time.Time{}))
	must(s.Enqueue(ctx, "db-update", nil, "db-update", time.Time{}))

	// A lane that leaves firmware analyses out takes the update, though the analysis is older.
	j := must(s.ClaimJobExcept(ctx, "a", time.Minute, "firmware-analysis"))
	if j == nil || j.Kind != "db-update" {
		t.Fatalf("claim except firmware-analysis: %+v", j)
	}
	if again := must(s.ClaimJobExcept(ctx, "a", time.Minute, "firmware-analysis")); again != nil {
		t.Fatalf("claim except firmware-analysis took %+v", again)
	}
	must(0, s.Heartbeat(ctx, j.ID, "a", time.Minute, "importing"))
	if d := must(s.JobByID(ctx, j.ID)); d.Progress != "importing" || !d.Running || d.State != "running" {
		t.Fatalf("running job: %+v", d)
	}
	must(0, s.FinishJob(ctx, j.ID, "a"))
	if d := must(s.JobByID(ctx, j.ID)); d.State != "done" || d.Progress != "" || d.Running {
		t.Errorf("finished job still shows progress %q (state %s, running %v)", d.Progress, d.State, d.Running)
	}

	fw := must(s.ClaimJob(ctx, "b", time.Minute, "firmware-analysis"))
	if fw == nil {
		t.Fatal("no firmware job claimed")
	}
	if err := s.SetJobResult(ctx, fw.ID, "someone-else", map[string]int{"analysis": 3}); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("result set by a server that does not hold the job: %v", err)
	}
	must(0, s.SetJobResult(ctx, fw.ID, "b", map[string]int{"analysis": 3}))
	must(0, s.Heartbeat(ctx, fw.ID, "b", time.Minute, "unpacking"))
	must(0, s.FailJob(ctx, fw.ID, "b", errors.New("over budget")))
	d := must(s.JobByID(ctx, fw.ID))
	if d.State != "failed" || d.LastError != "over budget" || d.Progress != "" || string(d.Result) != `{"analysis":3}` {
		t.Errorf("failed job: state %s error %q progress %q result %s", d.State, d.LastError, d.Progress, d.Result)
	}
	if _, err := s.JobByID(ctx, 999999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing job: %v", err)
	}
}
