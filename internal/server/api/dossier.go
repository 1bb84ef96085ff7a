package api

import (
	"net/http"

	"github.com/siegel-oss/siegel/internal/server/caller"
)

// apiDossier is dossierDownload for API tokens.
func (s *API) apiDossier(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	rel, prod, ok := s.release(w, r, p)
	if !ok || s.ConformityOff(w) {
		return
	}
	s.WriteDossier(w, r, prod, rel)
}
