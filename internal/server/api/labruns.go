package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/lab"
	"github.com/siegel-oss/siegel/internal/server/caller"
)

// maxLabRun bounds the JSON of one lab run: a run's transcript holds every probe (a default run
// is a few thousand events, about a megabyte).
const maxLabRun = 32 << 20

// LabRunJSON summarises a stored lab run.
type LabRunJSON struct {
	ID               int64       `json:"id"`
	Target           string      `json:"target"`
	TranscriptSHA256 string      `json:"transcriptSha256"`
	Failed           int         `json:"failed"`
	StartedAt        time.Time   `json:"startedAt"`
	CreatedAt        time.Time   `json:"createdAt"`
	Checks           []lab.Check `json:"checks,omitempty"`
	NotTested        []string    `json:"notTested,omitempty"`
}

// postLabRun stores the JSON result of 'siegel lab run --format json' as evidence of the
// release: the newest run is what the conformity evaluation reads. The transcript digest is
// recomputed, so a result whose transcript was altered is refused.
func (s *API) postLabRun(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	rel, prod, ok := s.release(w, r, p)
	if !ok {
		return
	}
	if !p.CanWrite(prod.Organization) {
		writeError(w, http.StatusForbidden, "this token may not record lab runs")
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		writeError(w, http.StatusUnsupportedMediaType, "send application/json: the output of 'siegel lab run --format json'")
		return
	}
	body := http.MaxBytesReader(w, r.Body, maxLabRun)
	var res lab.Result
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&res); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("invalid lab run JSON: %v", err))
		return
	}
	switch {
	case res.Schema != lab.Schema:
		writeError(w, http.StatusBadRequest, fmt.Sprintf("schema %q: want %q, the output of 'siegel lab run --format json'", res.Schema, lab.Schema))
		return
	case len(res.Transcript) == 0 || res.TranscriptSHA256 != lab.Digest(res.Transcript):
		writeError(w, http.StatusBadRequest, "the transcript does not match transcriptSha256: the result was altered or truncated")
		return
	case len(res.Checks) == 0 || res.Target == "":
		writeError(w, http.StatusBadRequest, "the lab run has no target or no checks")
		return
	}
	for _, c := range res.Checks {
		if c.Result != lab.Pass && c.Result != lab.Fail && c.Result != lab.NotTested {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("check %s: result %q is not pass, fail or not-tested", c.ID, c.Result))
			return
		}
	}
	lr, err := s.StoreLabRun(r.Context(), rel.ID, 0, &res)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, LabRunJSON{ID: lr.ID, Target: lr.Target, TranscriptSHA256: lr.TranscriptSHA256, Failed: lr.Failed,
		StartedAt: lr.StartedAt, CreatedAt: lr.CreatedAt, Checks: res.Checks, NotTested: res.NotTested})
}

// listLabRuns lists a release's lab runs, newest first.
func (s *API) listLabRuns(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	rel, _, ok := s.release(w, r, p)
	if !ok {
		return
	}
	runs, err := s.Store.LabRuns(r.Context(), rel.ID)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	out := []LabRunJSON{}
	for _, l := range runs {
		out = append(out, LabRunJSON{ID: l.ID, Target: l.Target, TranscriptSHA256: l.TranscriptSHA256, Failed: l.Failed, StartedAt: l.StartedAt, CreatedAt: l.CreatedAt})
	}
	writeJSON(w, http.StatusOK, out)
}
