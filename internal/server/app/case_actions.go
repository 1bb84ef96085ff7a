package app

import (
	"net/http"
)

func (s *Deps) SetCaseClosed(r *http.Request, id int64, close bool, reason, by string) error {
	if close {
		return s.Store.CloseCase(r.Context(), id, reason, by)
	}
	return s.Store.ReopenCase(r.Context(), id, reason, by)
}
