package app

import (
	"net/http"
)

// SetCaseClosed closes (close) or reopens a case, with the reason and who did it.
func (s *Deps) SetCaseClosed(r *http.Request, id int64, close bool, reason, by string) error {
	if close {
		return s.Store.CloseCase(r.Context(), id, reason, by)
	}
	return s.Store.ReopenCase(r.Context(), id, reason, by)
}
