package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/store"
)

func testLabRuns(t *testing.T, s *store.DB) {
	ctx := t.Context()
	org := must(s.CreateOrganization(ctx, "Router Lab GmbH", "small", false))
	p := must(s.CreateProduct(ctx, org.ID, "HomeRouter 4000", "router", "important-i"))
	r := must(s.CreateRelease(ctx, p.ID, "2.0.0", "2026-03-01", "2031-12"))
	if _, err := s.LatestLabRun(ctx, r.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("no run yet: %v", err)
	}
	started := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for i, digest := range []string{"aa", "bb"} {
		l := &store.LabRun{Release: r.ID, Target: "198.18.0.1", TranscriptSHA256: digest, Failed: i, Result: []byte(`{"schema":"siegel-lab-run/1"}`), StartedAt: started.Add(time.Duration(i) * time.Hour)}
		must(0, s.AddLabRun(ctx, l))
		if l.ID == 0 || l.CreatedAt.IsZero() {
			t.Fatalf("run %d not stored: %+v", i, l)
		}
	}
	latest := must(s.LatestLabRun(ctx, r.ID))
	if latest.TranscriptSHA256 != "bb" || latest.Failed != 1 || string(latest.Result) != `{"schema":"siegel-lab-run/1"}` || !latest.StartedAt.Equal(started.Add(time.Hour)) {
		t.Errorf("latest %+v", latest)
	}
	runs := must(s.LabRuns(ctx, r.ID))
	if len(runs) != 2 || runs[0].TranscriptSHA256 != "bb" || runs[1].TranscriptSHA256 != "aa" || len(runs[0].Result) != 0 {
		t.Errorf("runs %+v", runs)
	}
	b := must(s.LedgerBundle(ctx, org.ID, fmt.Sprintf("release/%d", r.ID), false))
	n := 0
	for _, e := range b.Entries {
		if e.Statement.Type == "lab-run-recorded" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d ledger entries for 2 lab runs", n)
	}
	if err := s.AddLabRun(ctx, &store.LabRun{Release: 999999, Target: "x", TranscriptSHA256: "cc", Result: []byte("{}"), StartedAt: started}); err == nil {
		t.Error("a run of an unknown release was stored")
	}
}
