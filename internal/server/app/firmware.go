package app

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/siegel-oss/siegel/internal/firmware"
	"github.com/siegel-oss/siegel/internal/monitor"
	"github.com/siegel-oss/siegel/internal/store"
)

// JobStatus loads a job the reader may follow: a firmware analysis or a lab run of an
// organization it may read (the firmware job's payload is returned, nil for a lab run).
// Other jobs are not shown (ErrNotFound): their errors may hold what only their organization's
// administrators may see (a webhook receiver's answer); database updates are on
// /api/v1/db/status.
func (s *Deps) JobStatus(r *http.Request, id int64, canRead func(org int64) bool) (*JobStatus, *FirmwareJob, error) {
	j, err := s.Store.JobByID(r.Context(), id)
	if err != nil {
		return nil, nil, err
	}
	out := &JobStatus{ID: j.ID, Kind: j.Kind, State: j.State, Attempts: j.Attempts, Error: j.LastError,
		CreatedAt: j.CreatedAt, FinishedAt: j.FinishedAt}
	if j.State == "running" {
		out.Progress = j.Progress
	}
	if j.Kind == monitor.KindLab {
		out, err := labJobStatus(out, j, canRead)
		return out, nil, err
	}
	if j.Kind != monitor.KindFirmware {
		return nil, nil, store.ErrNotFound
	}
	var p FirmwareJob
	if err := json.Unmarshal(j.Payload, &p); err != nil || !canRead(p.Organization) {
		return nil, nil, store.ErrNotFound
	}
	out.Release, out.Image, out.Size, out.SHA256, out.Result = p.Release, p.Image, p.Size, p.SHA256, j.Result
	var res FirmwareResult
	if j.State == "done" && json.Unmarshal(j.Result, &res) == nil && res.Analysis > 0 {
		out.Analysis = "/api/v1/firmware/" + strconv.FormatInt(res.Analysis, 10)
	}
	return out, &p, nil
}

// FirmwareReport is a stored analysis with its report decoded.
type FirmwareReport struct {
	store.FirmwareAnalysis
	Report firmware.Report
}

// FirmwareAnalysis loads a stored analysis and its release's product, for a reader.
func (s *Deps) FirmwareAnalysis(r *http.Request, id int64, canRead func(org int64) bool) (*FirmwareReport, *store.Release, *store.Product, error) {
	fa, err := s.Store.FirmwareAnalysisByID(r.Context(), id)
	if err != nil {
		return nil, nil, nil, err
	}
	rel, err := s.Store.Release(r.Context(), fa.Release)
	if err != nil {
		return nil, nil, nil, err
	}
	prod, err := s.Store.Product(r.Context(), rel.Product)
	if err != nil {
		return nil, nil, nil, err
	}
	if !canRead(prod.Organization) {
		return nil, nil, nil, store.ErrNotFound
	}
	out := &FirmwareReport{FirmwareAnalysis: *fa}
	if err := json.Unmarshal(fa.Report, &out.Report); err != nil {
		return nil, nil, nil, err
	}
	return out, rel, prod, nil
}

// ReleaseFirmware lists a release's stored analyses and its firmware jobs not yet done (or
// failed: their error is worth seeing), newest first.
func (s *Deps) ReleaseFirmware(r *http.Request, release int64) ([]store.FirmwareAnalysis, []JobStatus, error) {
	items, err := s.Store.FirmwareAnalyses(r.Context(), release)
	if err != nil {
		return nil, nil, err
	}
	all, err := s.Store.Jobs(r.Context(), monitor.KindFirmware, 200)
	if err != nil {
		return nil, nil, err
	}
	jobs := []JobStatus{}
	for _, j := range all {
		var p FirmwareJob
		if json.Unmarshal(j.Payload, &p) != nil || p.Release != release || j.State == "done" {
			continue
		}
		js := JobStatus{ID: j.ID, Kind: j.Kind, State: j.State, Attempts: j.Attempts, Error: j.LastError, CreatedAt: j.CreatedAt,
			FinishedAt: j.FinishedAt, Release: p.Release, Image: p.Image, Size: p.Size, SHA256: p.SHA256}
		if j.State == "running" {
			js.Progress = j.Progress
		}
		jobs = append(jobs, js)
	}
	return items, jobs, nil
}

// FirmwareJob is the payload of a firmware analysis job.
type FirmwareJob struct {
	Release      int64  `json:"release"`
	Organization int64  `json:"organization"`
	File         string `json:"file"`  // the image's file name in the firmware directory
	Image        string `json:"image"` // the name the uploader gave it
	Size         int64  `json:"size"`
	SHA256       string `json:"sha256"`
	Actor        string `json:"actor"` // who uploaded it, for the audit trail
}

// FirmwareResult is what a finished analysis job produced.
type FirmwareResult struct {
	Analysis   int64 `json:"analysis"`       // GET /api/v1/firmware/{analysis}
	SBOM       int64 `json:"sbom,omitempty"` // the SBOM made from the inventory, now the release's
	Components int   `json:"components"`
	Weaknesses int   `json:"weaknesses"`
}
