package app

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"

	"github.com/siegel-oss/siegel/internal/catalog"
	"github.com/siegel-oss/siegel/internal/monitor"
	"github.com/siegel-oss/siegel/internal/store"
)

// LoadCatalog reads the embedded requirement catalogs once; they are validated by their tests,
// so an error here is a defect of the build.
var LoadCatalog = sync.OnceValues(catalog.Load)

// StandardsParam is the standards the "standard" query parameters name, one or several each,
// comma-separated.
func StandardsParam(r *http.Request) []string {
	var out []string
	for _, v := range r.URL.Query()["standard"] {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// RevokeLabel revokes a label for the issuer, after a comment period of days (0: at once, when
// security requires it); the API and the web form share it.
func (s *Deps) RevokeLabel(ctx context.Context, l *store.Label, issuer, reason string, days int) error {
	if err := s.Conformity.Revoke(ctx, l, issuer, reason, days); err != nil || days == 0 {
		return err
	}
	// The label check runs when the comment period ends, so that the revocation takes effect
	// then, not at the next scheduled check.
	_, err := s.Store.Enqueue(ctx, monitor.KindLabels, struct{}{}, monitor.KindLabels+"/"+l.ID, s.Now().AddDate(0, 0, days))
	return err
}

// PublicLabel is the label of the "id" path value for its public routes; it answers the request
// itself (404, 503) when there is none.
func (s *Deps) PublicLabel(w http.ResponseWriter, r *http.Request) (*store.Label, bool) {
	if s.Conformity == nil {
		http.Error(w, "labels are unavailable", http.StatusServiceUnavailable)
		return nil, false
	}
	l, err := s.Store.LabelByID(r.Context(), r.PathValue("id"))
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			http.Error(w, "no such label: check the id on the product's label, or the issuer may have withdrawn it", http.StatusNotFound)
			return nil, false
		}
		s.Fail(w, r, err)
		return nil, false
	}
	return l, true
}
