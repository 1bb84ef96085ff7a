package server

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/monitor"
	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/store"
)

// TestFirmwareJobStoredOnce: a server that stored a job's analysis and stopped before finishing
// the job (here: its lease lapsed at once) leaves a job the next server finishes with what was
// stored — no second analysis, SBOM or ledger statement, and no failure because the image, which
// the first run removed, is gone.
func TestFirmwareJobStoredOnce(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, func(c *Config) { c.FirmwareDir = dir })
	_, relID := e.newRelease("HomeRouter", "router")
	var queued struct{ Job int64 }
	if code := e.do("POST", "/api/v1/releases/"+itoa(relID)+"/firmware?name=router.bin", "acme-admin", "application/octet-stream", routerRoot(t, "xc3511"), &queued); code != 202 {
		t.Fatalf("upload: %d", code)
	}
	ctx := t.Context()
	j, err := e.st.ClaimJob(ctx, "server-a", -time.Minute, monitor.KindFirmware)
	if err != nil || j == nil || j.ID != queued.Job {
		t.Fatalf("claim: %+v, %v", j, err)
	}
	if err := e.server.runFirmwareJob(ctx, j, "server-a", func(string) {}); err != nil {
		t.Fatal(err)
	}
	// server-a stops here, before the monitor marks the job done; another server claims it.
	e.drain()
	var job app.JobStatus
	e.do("GET", "/api/v1/jobs/"+itoa(queued.Job), "acme-admin", "", nil, &job)
	var res app.FirmwareResult
	if job.State != "done" || job.Analysis == "" || json.Unmarshal(job.Result, &res) != nil || res.SBOM == 0 || res.Components == 0 {
		t.Fatalf("job run again: %+v", job)
	}
	list, err := e.st.FirmwareAnalyses(ctx, relID)
	if err != nil || len(list) != 1 || job.Analysis != fmt.Sprintf("/api/v1/firmware/%d", list[0].ID) {
		t.Errorf("analyses %+v (%v), job names %s", list, err, job.Analysis)
	}
	if sboms, _ := e.st.SBOMs(ctx, relID); len(sboms) != 1 || sboms[0].ID != res.SBOM {
		t.Errorf("%d SBOMs stored by one job run twice", len(sboms))
	}
	if files, _ := os.ReadDir(dir); len(files) != 0 {
		t.Errorf("spooled images left: %v", files)
	}
}

// TestLabJobStoredOnce: the same for a lab run: a job whose run was stored finishes with it and
// does not test the device again.
func TestLabJobStoredOnce(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.LabAllow = []string{"127.0.0.0/8"} })
	_, relID := e.newRelease("HomeRouter", "router")
	ctx := t.Context()
	// A target nobody listens on: a lab run started against it would take its time and find
	// nothing to compare with the stored one.
	id, err := e.st.EnqueueJob(ctx, monitor.KindLab, app.LabJob{Release: relID, Organization: 1, Target: "127.0.0.9", Actor: "token:1:test"})
	if err != nil {
		t.Fatal(err)
	}
	j, err := e.st.ClaimJob(ctx, "server-a", -time.Minute, monitor.KindLab)
	if err != nil || j == nil || j.ID != id {
		t.Fatalf("claim: %+v, %v", j, err)
	}
	// What server-a stored before it stopped.
	lr := &store.LabRun{Release: relID, Target: "127.0.0.9", TranscriptSHA256: "ab", Failed: 3, Result: []byte(`{}`), StartedAt: time.Date(2026, 11, 22, 11, 0, 0, 0, time.UTC), Job: id}
	if _, err := e.st.AddJobLabRun(ctx, lr); err != nil {
		t.Fatal(err)
	}
	e.drain()
	detail, err := e.st.JobByID(ctx, id)
	if err != nil || detail.State != "done" {
		t.Fatalf("job: %+v, %v", detail, err)
	}
	want := fmt.Sprintf(`{"labRun":%d,"failed":3,"transcriptSha256":"ab"}`, lr.ID)
	if string(detail.Result) != want {
		t.Errorf("result %s, want %s", detail.Result, want)
	}
	if runs, _ := e.st.LabRuns(ctx, relID); len(runs) != 1 {
		t.Errorf("%d lab runs stored by one job run twice", len(runs))
	}
}
