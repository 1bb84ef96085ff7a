package api

import (
	"net/http"
	"time"

	"github.com/siegel-oss/siegel/internal/firmware/unpack"
	"github.com/siegel-oss/siegel/internal/server/caller"
)

// getJob answers a background job's state, progress and result.
func (s *API) getJob(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	out, _, err := s.JobStatus(r, id, p.CanRead)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// getFirmware answers a stored firmware analysis: layers, problems, components, weaknesses.
func (s *API) getFirmware(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	fa, _, _, err := s.FirmwareAnalysis(r, id, p.CanRead)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	rep := fa.Report
	out := FirmwareJSON{ID: fa.ID, Image: fa.ImageName, SHA256: fa.SHA256, Size: fa.Size, Layers: rep.Layers, Problems: rep.Problems,
		Components: rep.Components, Weaknesses: rep.Weaknesses}
	if out.Layers == nil {
		out.Layers = []unpack.Layer{}
	}
	writeJSON(w, http.StatusOK, out)
}

// listFirmware lists the firmware analyses of a release, newest first, and the analyses queued
// or running for it.
func (s *API) listFirmware(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	rel, _, ok := s.release(w, r, p)
	if !ok {
		return
	}
	items, jobs, err := s.ReleaseFirmware(r, rel.ID)
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
