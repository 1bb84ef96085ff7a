package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/server/caller"
)

// postLabJob starts a lab run of the release against a device on the server's lab network: 202
// with the job, whose progress and result GET /api/v1/jobs/{id} answers.
func (s *API) postLabJob(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	rel, prod, ok := s.release(w, r, p)
	if !ok {
		return
	}
	if !p.CanWrite(prod.Organization) {
		writeError(w, http.StatusForbidden, "this token may not start lab runs")
		return
	}
	var q app.LabRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&q); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("invalid JSON: %v; send {\"target\": \"LAN address\", \"wanTargets\": [...]}", err))
		return
	}
	var bad app.LabRequestError
	if err := s.CheckLabRequest(r.Context(), &q); errors.Is(err, app.ErrNoLab) {
		writeError(w, http.StatusConflict, err.Error())
		return
	} else if errors.As(err, &bad) {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	} else if err != nil {
		s.Fail(w, r, err)
		return
	}
	id, err := s.QueueLab(r.Context(), rel, prod, q)
	if errors.Is(err, app.ErrLabBusy) {
		w.Header().Set("Retry-After", "60")
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	} else if err != nil {
		s.Fail(w, r, err)
		return
	}
	status := "/api/v1/jobs/" + strconv.FormatInt(id, 10)
	w.Header().Set("Location", status)
	writeJSON(w, http.StatusAccepted, map[string]any{"job": id, "state": "queued", "status": status, "target": q.Target})
}
