package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/siegel-oss/siegel/internal/authority/icsms"
	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/store"
)

// exportProcedure exports a procedure of the calling authority with the ICSMS fields (product,
// economic operator, checks, risk assessment, measures) and the ledger bundles that prove them.
func (s *API) exportProcedure(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	pr, ok := s.authorityProcedure(w, r, p)
	if !ok {
		return
	}
	x, err := icsms.Build(r.Context(), s.Store, p.Token.Organization, pr.ID, s.Now())
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no such procedure of this authority")
		return
	}
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="procedure-%d-icsms.json"`, pr.ID))
	writeJSON(w, http.StatusOK, x)
}
