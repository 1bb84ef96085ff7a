package web

import (
	"errors"
	"net/http"

	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/store"
)

// showError is a page's answer to an error: show renders the form again with the sender's
// mistake and its status; a missing thing is 404, anything else a failure.
func (s *Site) showError(w http.ResponseWriter, r *http.Request, err error, show func(status int, msg string)) {
	if status, msg, ok := caller.Mistake(err); ok {
		show(status, msg)
		return
	}
	if errors.Is(err, store.ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	s.Fail(w, r, err)
}
