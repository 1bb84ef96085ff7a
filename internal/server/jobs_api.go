package server

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/siegel-oss/siegel/internal/firmware"
	"github.com/siegel-oss/siegel/internal/firmware/unpack"
	"github.com/siegel-oss/siegel/internal/monitor"
	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/store"
)

// jobStatus loads a job the reader may follow: a firmware analysis or a lab run of an
// organization it may read (the firmware job's payload is returned, nil for a lab run).
// Other jobs are not shown (ErrNotFound): their errors may hold what only their organization's
// administrators may see (a webhook receiver's answer); database updates are on
// /api/v1/db/status.
func (s *Server) jobStatus(r *http.Request, id int64, canRead func(org int64) bool) (*app.JobStatus, *firmwareJob, error) {
	j, err := s.Store.JobByID(r.Context(), id)
	if err != nil {
		return nil, nil, err
	}
	out := &app.JobStatus{ID: j.ID, Kind: j.Kind, State: j.State, Attempts: j.Attempts, Error: j.LastError,
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
	var p firmwareJob
	if err := json.Unmarshal(j.Payload, &p); err != nil || !canRead(p.Organization) {
		return nil, nil, store.ErrNotFound
	}
	out.Release, out.Image, out.Size, out.SHA256, out.Result = p.Release, p.Image, p.Size, p.SHA256, j.Result
	var res firmwareResult
	if j.State == "done" && json.Unmarshal(j.Result, &res) == nil && res.Analysis > 0 {
		out.Analysis = "/api/v1/firmware/" + strconv.FormatInt(res.Analysis, 10)
	}
	return out, &p, nil
}

// getJob answers a background job's state, progress and result.
func (s *Server) getJob(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	out, _, err := s.jobStatus(r, id, p.CanRead)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// firmwareReport is a stored analysis with its report decoded.
type firmwareReport struct {
	store.FirmwareAnalysis
	Report firmware.Report
}

// firmwareAnalysis loads a stored analysis and its release's product, for a reader.
func (s *Server) firmwareAnalysis(r *http.Request, id int64, canRead func(org int64) bool) (*firmwareReport, *store.Release, *store.Product, error) {
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
	out := &firmwareReport{FirmwareAnalysis: *fa}
	if err := json.Unmarshal(fa.Report, &out.Report); err != nil {
		return nil, nil, nil, err
	}
	return out, rel, prod, nil
}

// getFirmware answers a stored firmware analysis: layers, problems, components, weaknesses.
func (s *Server) getFirmware(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	fa, _, _, err := s.firmwareAnalysis(r, id, p.CanRead)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	rep := fa.Report
	out := firmwareJSON{ID: fa.ID, Image: fa.ImageName, SHA256: fa.SHA256, Size: fa.Size, Layers: rep.Layers, Problems: rep.Problems,
		Components: rep.Components, Weaknesses: rep.Weaknesses}
	if out.Layers == nil {
		out.Layers = []unpack.Layer{}
	}
	writeJSON(w, http.StatusOK, out)
}

// listFirmware lists the firmware analyses of a release, newest first, and the analyses queued
// or running for it.
func (s *Server) listFirmware(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	rel, _, ok := s.release(w, r, p)
	if !ok {
		return
	}
	items, jobs, err := s.releaseFirmware(r, rel.ID)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	type item struct {
		ID         int64     `json:"id"`
		Image      string    `json:"image"`
		SHA256     string    `json:"sha256"`
		Size       int64     `json:"size"`
		AnalysedAt time.Time `json:"analysedAt"`
	}
	out := make([]item, 0, len(items))
	for _, a := range items {
		out = append(out, item{a.ID, a.ImageName, a.SHA256, a.Size, a.AnalysedAt})
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out, "jobs": jobs})
}

// releaseFirmware lists a release's stored analyses and its firmware jobs not yet done (or
// failed: their error is worth seeing), newest first.
func (s *Server) releaseFirmware(r *http.Request, release int64) ([]store.FirmwareAnalysis, []app.JobStatus, error) {
	items, err := s.Store.FirmwareAnalyses(r.Context(), release)
	if err != nil {
		return nil, nil, err
	}
	all, err := s.Store.Jobs(r.Context(), monitor.KindFirmware, 200)
	if err != nil {
		return nil, nil, err
	}
	jobs := []app.JobStatus{}
	for _, j := range all {
		var p firmwareJob
		if json.Unmarshal(j.Payload, &p) != nil || p.Release != release || j.State == "done" {
			continue
		}
		js := app.JobStatus{ID: j.ID, Kind: j.Kind, State: j.State, Attempts: j.Attempts, Error: j.LastError, CreatedAt: j.CreatedAt,
			FinishedAt: j.FinishedAt, Release: p.Release, Image: p.Image, Size: p.Size, SHA256: p.SHA256}
		if j.State == "running" {
			js.Progress = j.Progress
		}
		jobs = append(jobs, js)
	}
	return items, jobs, nil
}
