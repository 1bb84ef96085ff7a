package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/siegel-oss/siegel/internal/store"
)

// testJobGenerations: a job enqueued again under its dedup key while it runs — its input changed
// after it may have read it — runs once more; enqueued again while it waits, it runs once.
func testJobGenerations(t *testing.T, s *store.DB) {
	ctx := t.Context()
	const key = "match-release/7"
	must(s.EnqueueChange(ctx, "match-release", map[string]int{"release": 7}, key))
	j := must(s.ClaimJob(ctx, "a", time.Minute))
	if added := must(s.EnqueueChange(ctx, "match-release", map[string]int{"release": 7}, key)); added {
		t.Error("a second job with the running job's key was added")
	}
	must(0, s.FinishJob(ctx, j.ID, "a"))
	if !must(s.Pending(ctx, key)) {
		t.Fatal("the job enqueued again while it ran was dropped when it finished")
	}
	again := must(s.ClaimJob(ctx, "b", time.Minute))
	if again == nil || again.ID != j.ID || again.Attempts != 1 {
		t.Fatalf("second run %+v, want job %d with a fresh count of attempts", again, j.ID)
	}
	must(0, s.FinishJob(ctx, again.ID, "b"))
	if must(s.Pending(ctx, key)) {
		t.Error("job still pending after a run with nothing new")
	}
	if extra := must(s.ClaimJob(ctx, "b", time.Minute)); extra != nil {
		t.Errorf("ran a third time: %+v", extra)
	}

	// A plain Enqueue (a schedule, a request) while the job runs adds no second run.
	must(s.Enqueue(ctx, "db-update", nil, "db-update", time.Time{}))
	j = must(s.ClaimJob(ctx, "a", time.Minute))
	must(s.Enqueue(ctx, "db-update", nil, "db-update", time.Time{}))
	must(0, s.FinishJob(ctx, j.ID, "a"))
	if extra := must(s.ClaimJob(ctx, "a", time.Minute)); extra != nil {
		t.Errorf("a plain enqueue during the run ran the job again: %+v", extra)
	}

	// Enqueued twice before it runs: one run reads both changes.
	must(s.EnqueueChange(ctx, "match-release", nil, key))
	must(s.EnqueueChange(ctx, "match-release", nil, key))
	j = must(s.ClaimJob(ctx, "a", time.Minute))
	must(0, s.FinishJob(ctx, j.ID, "a"))
	if extra := must(s.ClaimJob(ctx, "a", time.Minute)); extra != nil {
		t.Errorf("a change made before the claim ran twice: %+v", extra)
	}

	// A job that fails after new input arrived is given the new input instead of up.
	must(s.EnqueueChange(ctx, "match-release", nil, key))
	j = must(s.ClaimJob(ctx, "a", time.Minute))
	must(s.EnqueueChange(ctx, "match-release", nil, key))
	must(0, s.FailJob(ctx, j.ID, "a", errors.New("database gone")))
	if j = must(s.ClaimJob(ctx, "a", time.Minute)); j == nil || j.Kind != "match-release" {
		t.Fatalf("failed job with new input not queued again: %+v", j)
	}
	must(0, s.FailJob(ctx, j.ID, "a", errors.New("database gone")))
	if infos := must(s.Jobs(ctx, "match-release", 1)); infos[0].State != "failed" || infos[0].LastError != "database gone" {
		t.Errorf("failed without new input: %+v", infos[0])
	}

	// A server that died holding the job: the job is taken over at its lease's end, and new input
	// enqueued meanwhile is read by the take-over, which then finishes it.
	must(s.EnqueueChange(ctx, "match-release", nil, key))
	must(s.ClaimJob(ctx, "dead", -time.Second))
	must(s.EnqueueChange(ctx, "match-release", nil, key))
	j = must(s.ClaimJob(ctx, "c", time.Minute))
	if j == nil {
		t.Fatal("expired lease not taken over")
	}
	if err := s.FinishJob(ctx, j.ID, "dead"); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("the dead server finished a job it lost: %v", err)
	}
	must(0, s.FinishJob(ctx, j.ID, "c"))
	if must(s.Pending(ctx, key)) {
		t.Error("the take-over read the new input, yet the job runs again")
	}
}

// testQueue: claims restricted to kinds (lanes), and the queue's depth and age per kind.
func testQueue(t *testing.T, s *store.DB) {
	ctx := t.Context()
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) // the suite's clock
	must(s.Enqueue(ctx, "rematch", 1, "", now.Add(-90*time.Second)))
	must(s.Enqueue(ctx, "rematch", 2, "", now.Add(-30*time.Second)))
	must(s.Enqueue(ctx, "match-release", 3, "", now.Add(-5*time.Second)))
	must(s.Enqueue(ctx, "deliver", 4, "", now.Add(time.Hour)))
	j := must(s.ClaimJob(ctx, "w", time.Minute, "match-release", "deliver"))
	if j == nil || j.Kind != "match-release" {
		t.Fatalf("lane claim took %+v, want the match job although rematch jobs are older", j)
	}
	if j := must(s.ClaimJob(ctx, "w", time.Minute, "match-release", "deliver")); j != nil {
		t.Errorf("lane claim took %+v: nothing of the lane is due", j)
	}
	got := must(s.QueueStats(ctx))
	want := []store.QueueStat{
		{Kind: "deliver", Scheduled: 1},
		{Kind: "match-release", Running: 1},
		{Kind: "rematch", Due: 2, OldestDue: 90 * time.Second},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("queue stats (-want +got):\n%s", diff)
	}
	must(0, s.FinishJob(ctx, j.ID, "w"))
	if j := must(s.ClaimJob(ctx, "w", time.Minute, "rematch")); j == nil || string(j.Payload) != "1" {
		t.Errorf("rematch lane took %+v, want the oldest rematch", j)
	}
}
