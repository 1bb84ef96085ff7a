package api

import (
	"net/http"

	"github.com/siegel-oss/siegel/internal/server/caller"
)

// getReleaseHealth serves GET /api/v1/releases/{id}/health.
func (s *API) getReleaseHealth(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	rel, _, ok := s.release(w, r, p)
	if !ok {
		return
	}
	comps, err := s.Store.ReleaseComponents(r.Context(), rel.ID)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	h, err := s.HealthOf(r.Context(), rel, comps)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h)
}

// getProductHealth serves GET /api/v1/products/{id}/health: per release, the counts per worst
// verdict and the memory-safety share.
func (s *API) getProductHealth(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	prod, ok := s.product(w, r, p)
	if !ok {
		return
	}
	rows, sources, err := s.ProductHealth(r.Context(), prod)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"product": prod.ID, "items": rows, "sources": sources})
}
