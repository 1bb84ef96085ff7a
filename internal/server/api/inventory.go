package api

import (
	"errors"
	"net/http"

	"github.com/siegel-oss/siegel/internal/portfolio"
	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/store"
)

// apiWhereUsed: GET /api/v1/where-used.
func (s *API) apiWhereUsed(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	q, err := app.WhereUsedQuery(r, p)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	res, err := s.WhereUsed(r.Context(), q)
	if errors.Is(err, portfolio.ErrQuery) {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// apiInventory: GET /api/v1/inventory?format=json|csv|cyclonedx&all=true.
func (s *API) apiInventory(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	ok, err := s.MayReadInventory(r.Context(), p.Token)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	if !ok {
		writeError(w, http.StatusForbidden, "the inventory of critical components spans every manufacturer: it needs an authority token, or an auditor token of an authority organization")
		return
	}
	s.WriteInventory(w, r, func(msg string) { writeError(w, http.StatusBadRequest, msg) })
}

// apiReleaseDevices: PUT /api/v1/releases/{id}/devices {"devicesOnMarket": n or null}.
func (s *API) apiReleaseDevices(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	rel, prod, ok := s.release(w, r, p)
	if !ok {
		return
	}
	if !p.CanWrite(prod.Organization) {
		writeError(w, http.StatusForbidden, "this token may not change releases")
		return
	}
	var in struct {
		DevicesOnMarket *int64 `json:"devicesOnMarket"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	if err := s.Store.SetReleaseDevices(r.Context(), rel.ID, in.DevicesOnMarket); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			s.Fail(w, r, err)
			return
		}
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	rel.DevicesOnMarket = in.DevicesOnMarket
	writeJSON(w, http.StatusOK, app.ViewRelease(*rel, prod.Category))
}
