package web

import (
	"net/http"

	"github.com/siegel-oss/siegel/internal/store"
)

// webUpload wraps a page's upload handler with acquireUpload, for logged-in users only.
func (s *Site) webUpload(h webHandler) webHandler {
	return func(w http.ResponseWriter, r *http.Request, u *store.User) {
		if u == nil {
			h(w, r, u)
			return
		}
		release, ok := s.AcquireUpload(w, r)
		if !ok {
			return
		}
		defer release()
		h(w, r, u)
	}
}
