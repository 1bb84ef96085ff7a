package api

import (
	"net/http"

	"github.com/siegel-oss/siegel/internal/server/caller"
)

// answer is the API's answer to an error: the sender's mistake with its status and message,
// anything else through fail (404, or 500 without internals).
func (s *API) answer(w http.ResponseWriter, r *http.Request, err error) {
	if status, msg, ok := caller.Mistake(err); ok {
		writeError(w, status, msg)
		return
	}
	s.Fail(w, r, err)
}
