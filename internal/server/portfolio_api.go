package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/siegel-oss/siegel/internal/health"
	"github.com/siegel-oss/siegel/internal/portfolio"
	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/store"
	"github.com/siegel-oss/siegel/internal/vulndb"
)

// whereUsedQuery reads a where-used question from a query string (purl, range, advisory, limit,
// offset). A caller sees its own organization's releases; an authority sees those of the
// products manufacturers registered with it, of every manufacturer.
func whereUsedQuery(r *http.Request, p caller.Principal) (portfolio.Query, error) {
	v := r.URL.Query()
	q := portfolio.Query{PURL: v.Get("purl"), Range: v.Get("range"), Advisory: v.Get("advisory"), Org: p.Token.Organization}
	if p.Token.Role == "authority" {
		q.Org, q.Authority = 0, p.Token.Organization
	}
	for name, dst := range map[string]*int{"limit": &q.Limit, "offset": &q.Offset} {
		if s := v.Get(name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 {
				return q, fmt.Errorf("%s must be a whole number of zero or more", name)
			}
			*dst = n
		}
	}
	return q, nil
}

// whereUsed answers a where-used question, reading the vulnerability database only for an
// advisory.
func (s *Server) whereUsed(ctx context.Context, q portfolio.Query) (*portfolio.Result, error) {
	var adv portfolio.Advisories
	if strings.TrimSpace(q.Advisory) != "" && s.VulnDB != "" {
		db, err := vulndb.Open(ctx, s.VulnDB, false)
		if err != nil && !errors.Is(err, vulndb.ErrNoDatabase) {
			return nil, err
		}
		if err == nil {
			defer db.Close()
			adv = db
		}
	}
	return portfolio.WhereUsed(ctx, s.Store, adv, q)
}

// apiWhereUsed: GET /api/v1/where-used.
func (s *Server) apiWhereUsed(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	q, err := whereUsedQuery(r, p)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	res, err := s.whereUsed(r.Context(), q)
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

// mayReadInventory is the inventory's access rule: it spans every manufacturer, so only an
// authority-role caller, or an auditor of an authority organization (a label issuer's or a
// market surveillance authority's auditor), may read it — and then only its k-anonymous figures.
func (s *Server) mayReadInventory(ctx context.Context, t *store.Token) (bool, error) {
	switch t.Role {
	case "authority":
		return true, nil
	case "auditor":
		o, err := s.Store.OrganizationByID(ctx, t.Organization)
		if err != nil {
			return false, err
		}
		return o.Authority, nil
	}
	return false, nil
}

// inventoryK is the least number of manufacturers per published component: the server's
// setting, which a request may raise but never lower.
func (s *Server) inventoryK(r *http.Request) (int, error) {
	k := max(s.InventoryK, 0)
	if k == 0 {
		k = portfolio.DefaultK
	}
	if v := r.URL.Query().Get("k"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < k {
			return 0, fmt.Errorf("k must be a whole number of at least %d (the server's setting)", k)
		}
		k = n
	}
	return k, nil
}

// inventory builds the inventory of critical components for a request.
func (s *Server) inventory(r *http.Request) (*portfolio.Inventory, error) {
	k, err := s.inventoryK(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", portfolio.ErrQuery, err)
	}
	return portfolio.BuildInventory(r.Context(), s.Store, portfolio.Options{K: k, Facts: s.componentFacts(r.Context())})
}

// componentFacts judges components' health and memory safety for the inventory with the health
// data imported next to the vulnerability database; without any, health is unknown and memory
// safety still judged by type and name.
func (s *Server) componentFacts(ctx context.Context) portfolio.FactsFunc {
	var d *health.Data
	if s.VulnDB != "" {
		loaded, err := health.Load(s.VulnDB)
		switch {
		case err == nil:
			d = loaded
		case !errors.Is(err, health.ErrNoData):
			s.Log.WarnContext(ctx, "inventory: health data not read; health shows as unknown", "err", err)
		}
	}
	return portfolio.HealthFacts(d, s.Now())
}

// apiInventory: GET /api/v1/inventory?format=json|csv|cyclonedx&all=true.
func (s *Server) apiInventory(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	ok, err := s.mayReadInventory(r.Context(), p.Token)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	if !ok {
		writeError(w, http.StatusForbidden, "the inventory of critical components spans every manufacturer: it needs an authority token, or an auditor token of an authority organization")
		return
	}
	s.writeInventory(w, r, func(msg string) { writeError(w, http.StatusBadRequest, msg) })
}

// writeInventory writes the inventory in the format the request asks for (json, csv,
// cyclonedx).
func (s *Server) writeInventory(w http.ResponseWriter, r *http.Request, bad func(string)) {
	format := r.URL.Query().Get("format")
	switch format {
	case "", "json", "csv", "cyclonedx":
	default:
		bad("format must be json, csv or cyclonedx")
		return
	}
	inv, err := s.inventory(r)
	if errors.Is(err, portfolio.ErrQuery) {
		bad(strings.TrimPrefix(err.Error(), portfolio.ErrQuery.Error()+": "))
		return
	}
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	switch format {
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="critical-components.csv"`)
		err = portfolio.WriteCSV(w, inv)
	case "cyclonedx":
		w.Header().Set("Content-Type", "application/vnd.cyclonedx+json")
		w.Header().Set("Content-Disposition", `attachment; filename="critical-components.cdx.json"`)
		err = portfolio.WriteCycloneDX(w, inv, r.URL.Query().Get("all") == "true", s.Now())
	default:
		writeJSON(w, http.StatusOK, inv)
	}
	if err != nil {
		s.Log.Error("write inventory", "format", format, "err", err)
	}
}

// apiReleaseDevices: PUT /api/v1/releases/{id}/devices {"devicesOnMarket": n or null}.
func (s *Server) apiReleaseDevices(w http.ResponseWriter, r *http.Request, p caller.Principal) {
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

// parseDevices reads a device count from a form field: empty is unknown.
func parseDevices(v string) (*int64, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return nil, fmt.Errorf("devices on the market %q: give a whole number of zero or more, or leave it empty when unknown", v)
	}
	return &n, nil
}
