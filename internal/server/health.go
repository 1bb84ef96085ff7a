package server

import (
	"context"
	"net/http"

	"github.com/siegel-oss/siegel/internal/health"
	"github.com/siegel-oss/siegel/internal/sbom"
	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/store"
)

// getReleaseHealth serves GET /api/v1/releases/{id}/health.
func (s *Server) getReleaseHealth(w http.ResponseWriter, r *http.Request, p caller.Principal) {
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
func (s *Server) getProductHealth(w http.ResponseWriter, r *http.Request, p caller.Principal) {
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

// saveHealthFacts keeps what component health needs of an uploaded document beyond the stored
// components. A failure leaves the SBOM stored and is logged: health then reads the purl alone.
func (s *Server) saveHealthFacts(ctx context.Context, sbomID int64, doc *sbom.Document) {
	var facts []store.ComponentFacts
	for _, c := range health.FromSBOM(doc) {
		f := store.ComponentFacts{Ref: c.Ref, CPEs: c.CPEs, SourcePackage: c.Properties["siegel:source-package"],
			Native: c.Properties[health.PropNative], Extractor: c.Properties[health.PropExtractor], Size: c.Size}
		if len(f.CPEs) > 0 || f.SourcePackage != "" || f.Native != "" || f.Extractor != "" || f.Size > 0 {
			facts = append(facts, f)
		}
	}
	if err := s.Store.AddComponentFacts(ctx, sbomID, facts); err != nil {
		s.Log.Warn("component facts for health not stored", "sbom", sbomID, "err", err)
	}
}
