package api

import (
	"net/http"

	"github.com/siegel-oss/siegel/internal/server/caller"
)

// getQueue answers the depth and age of the job queue.
func (s *API) getQueue(w http.ResponseWriter, r *http.Request, _ caller.Principal) {
	q, err := s.QueueState(r.Context())
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, q)
}
