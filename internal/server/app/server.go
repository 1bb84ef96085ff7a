package app

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/store"
)

// api wraps an API handler: it requires "Authorization: Bearer TOKEN" (401 without), and JSON for
// request bodies other than SBOM uploads.
func (s *Deps) Bearer(h func(http.ResponseWriter, *http.Request, caller.Principal)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		secret, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok || secret == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="siegel"`)
			writeError(w, http.StatusUnauthorized, "missing bearer token")
			return
		}
		tok, err := s.Store.Authenticate(r.Context(), strings.TrimSpace(secret))
		if errors.Is(err, store.ErrUnauthorized) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="siegel", error="invalid_token"`)
			writeError(w, http.StatusUnauthorized, "invalid token")
			return
		}
		if err != nil {
			s.Fail(w, r, err)
			return
		}
		actor := fmt.Sprintf("token:%d:%s", tok.ID, tok.Name)
		NotePrincipal(r, actor)
		r = r.WithContext(store.WithActor(r.Context(), actor))
		h(w, r, caller.Principal{Token: tok})
	}
}
