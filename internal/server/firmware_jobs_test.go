package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/siegel-oss/siegel/internal/firmware/fwtest"
	"github.com/siegel-oss/siegel/internal/server/api"
	"github.com/siegel-oss/siegel/internal/server/app"
)

// firmware uploads an image of the release at base (/api/v1/releases/N) as who, runs the
// queued analysis and returns the stored analysis.
func (e *env) firmware(base, name, who string, image []byte) api.FirmwareJSON {
	e.t.Helper()
	var queued struct {
		Job    int64  `json:"job"`
		State  string `json:"state"`
		Status string `json:"status"`
	}
	if code := e.do("POST", base+"/firmware?name="+name, who, "application/octet-stream", image, &queued); code != 202 {
		e.t.Fatalf("firmware upload %d", code)
	}
	if queued.State != "queued" || queued.Status != "/api/v1/jobs/"+itoa(queued.Job) {
		e.t.Fatalf("upload answer %+v", queued)
	}
	e.drain()
	var job app.JobStatus
	if code := e.do("GET", queued.Status, who, "", nil, &job); code != 200 || job.State != "done" || job.Analysis == "" {
		e.t.Fatalf("job %d: %+v", code, job)
	}
	var fw api.FirmwareJSON
	if code := e.do("GET", job.Analysis, who, "", nil, &fw); code != 200 {
		e.t.Fatalf("analysis %s: %d", job.Analysis, code)
	}
	return fw
}

// TestFirmwareJob: an upload is answered 202 with a job before any analysis; the job, run by
// the monitor, stores the analysis and names it as its result; the image waits on disk only
// until it is analysed; other organizations cannot follow the job.
func TestFirmwareJob(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, func(c *Config) { c.FirmwareDir = dir })
	_, relID := e.newRelease("HomeRouter", "router")
	base := "/api/v1/releases/" + itoa(relID)

	var queued struct{ Job int64 }
	if code := e.do("POST", base+"/firmware?name=router.bin", "acme-admin", "application/octet-stream", routerRoot(t, "xc3511"), &queued); code != 202 {
		t.Fatalf("upload: %d", code)
	}
	var job app.JobStatus
	e.do("GET", "/api/v1/jobs/"+itoa(queued.Job), "acme-admin", "", nil, &job)
	if job.State != "queued" || job.Image != "router.bin" || job.Release != relID || len(job.SHA256) != 64 {
		t.Fatalf("queued job: %+v", job)
	}
	if files, _ := os.ReadDir(dir); len(files) != 1 {
		t.Fatalf("spooled images: %d, want 1", len(files))
	}
	if code := e.do("GET", "/api/v1/jobs/"+itoa(queued.Job), "globex-admin", "", nil, nil); code != 404 {
		t.Errorf("another organization follows the job: %d", code)
	}
	e.drain()
	e.do("GET", "/api/v1/jobs/"+itoa(queued.Job), "acme-admin", "", nil, &job)
	if job.State != "done" || job.Analysis == "" || job.Progress != "" {
		t.Fatalf("finished job: %+v", job)
	}
	if files, _ := os.ReadDir(dir); len(files) != 0 {
		t.Errorf("the image stayed on disk after its analysis: %v", files)
	}
	var fw api.FirmwareJSON
	e.do("GET", job.Analysis, "acme-admin", "", nil, &fw)
	if fw.Image != "router.bin" || !hasRule(fw, "weak-credentials") {
		t.Errorf("analysis: %+v", fw)
	}
	if code := e.do("GET", job.Analysis, "globex-admin", "", nil, nil); code != 404 {
		t.Errorf("another organization reads the analysis: %d", code)
	}
	var list struct {
		Items []struct{ ID int64 } `json:"items"`
	}
	e.do("GET", base+"/firmware", "acme-admin", "", nil, &list)
	if len(list.Items) != 1 || "/api/v1/firmware/"+itoa(list.Items[0].ID) != job.Analysis {
		t.Errorf("release's analyses: %+v", list)
	}

	// Other jobs are not shown: a delivery's error may hold a receiver's answer.
	other, err := e.st.EnqueueJob(t.Context(), "deliver", map[string]int{"notification": 1})
	if err != nil {
		t.Fatal(err)
	}
	if code := e.do("GET", "/api/v1/jobs/"+itoa(other), "acme-admin", "", nil, nil); code != 404 {
		t.Errorf("a delivery job: %d, want 404", code)
	}
	if code := e.do("POST", base+"/firmware", "acme-admin", "application/octet-stream", nil, nil); code != 400 {
		t.Errorf("empty image: %d", code)
	}
	if code := e.do("POST", base+"/firmware", "acme-ro", "application/octet-stream", routerRoot(t, "x"), nil); code != 403 {
		t.Errorf("read-only upload: %d", code)
	}
}

// firmwareJob uploads an image, runs the queued analysis and returns its job as it ended.
func (e *env) firmwareJob(base, who string, image []byte) app.JobStatus {
	e.t.Helper()
	var queued struct{ Job int64 }
	if code := e.do("POST", base+"/firmware", who, "application/octet-stream", image, &queued); code != 202 {
		e.t.Fatalf("firmware upload %d", code)
	}
	e.drain()
	var job app.JobStatus
	e.do("GET", "/api/v1/jobs/"+itoa(queued.Job), who, "", nil, &job)
	return job
}

func hasRule(fw api.FirmwareJSON, rule string) bool {
	for _, w := range fw.Weaknesses {
		if w.Rule == rule {
			return true
		}
	}
	return false
}

// TestFirmwareMemoryBudget: an image whose unpacking needs more than a job's memory budget fails
// its job with an error that names the budget and what to raise, and leaves no image behind; an
// image larger than the budget itself is refused before it is read.
func TestFirmwareMemoryBudget(t *testing.T) {
	dir := t.TempDir()
	// 64 KiB of budget: a cpio holding 200 KiB of files cannot be unpacked within it.
	e := newEnv(t, func(c *Config) { c.FirmwareDir = dir; c.FirmwareMemory = 64 << 10 })
	_, relID := e.newRelease("HomeRouter", "router")
	base := "/api/v1/releases/" + itoa(relID)
	big := fwtest.CPIO(map[string]string{"etc/passwd": "root:x:0:0:root:/root:/bin/sh\n", "usr/lib/blob": strings.Repeat("\x00firmware", 25_000)}, nil)
	small := fwtest.CPIO(map[string]string{"etc/passwd": "root:x:0:0:root:/root:/bin/sh\n", "usr/lib/blob": strings.Repeat("x", 40<<10)}, nil)
	for _, tc := range []struct {
		name  string
		image []byte
		want  string
	}{
		{"larger than the budget", big, "does not fit the memory budget of a firmware analysis (0 MiB); ask the administrator to raise --firmware-memory"},
		{"unpacks beyond the budget", small, "exceeds the memory budget of a firmware analysis"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var queued struct{ Job int64 }
			if code := e.do("POST", base+"/firmware?name=big.cpio", "acme-admin", "application/octet-stream", tc.image, &queued); code != 202 {
				t.Fatalf("upload: %d", code)
			}
			e.drain()
			var job app.JobStatus
			e.do("GET", "/api/v1/jobs/"+itoa(queued.Job), "acme-admin", "", nil, &job)
			if job.State != "failed" || !strings.Contains(job.Error, tc.want) || strings.Contains(job.Error, "--max-bytes") {
				t.Errorf("job: state %s error %q, want it failed with %q", job.State, job.Error, tc.want)
			}
			if files, _ := filepath.Glob(filepath.Join(dir, "*")); len(files) != 0 {
				t.Errorf("images left: %v", files)
			}
		})
	}
}
