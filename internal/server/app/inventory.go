package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/siegel-oss/siegel/internal/health"
	"github.com/siegel-oss/siegel/internal/portfolio"
	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/store"
	"github.com/siegel-oss/siegel/internal/vulndb"
)

// WhereUsedQuery reads a where-used question from a query string (purl, range, advisory, limit,
// offset). A caller sees its own organization's releases; an authority sees those of the
// products manufacturers registered with it, of every manufacturer.
func WhereUsedQuery(r *http.Request, p caller.Principal) (portfolio.Query, error) {
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

// WhereUsed answers a where-used question, reading the vulnerability database only for an
// advisory.
func (s *Deps) WhereUsed(ctx context.Context, q portfolio.Query) (*portfolio.Result, error) {
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

// MayReadInventory is the inventory's access rule: it spans every manufacturer, so only an
// authority-role caller, or an auditor of an authority organization (a label issuer's or a
// market surveillance authority's auditor), may read it — and then only its k-anonymous figures.
func (s *Deps) MayReadInventory(ctx context.Context, t *store.Token) (bool, error) {
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
func (s *Deps) inventoryK(r *http.Request) (int, error) {
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

// Inventory builds the inventory of critical components for a request.
func (s *Deps) Inventory(r *http.Request) (*portfolio.Inventory, error) {
	k, err := s.inventoryK(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", portfolio.ErrQuery, err)
	}
	return portfolio.BuildInventory(r.Context(), s.Store, portfolio.Options{K: k, Facts: s.componentFacts(r.Context())})
}

// componentFacts judges components' health and memory safety for the inventory with the health
// data imported next to the vulnerability database; without any, health is unknown and memory
// safety still judged by type and name.
func (s *Deps) componentFacts(ctx context.Context) portfolio.FactsFunc {
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

// WriteInventory writes the inventory in the format the request asks for (json, csv,
// cyclonedx).
func (s *Deps) WriteInventory(w http.ResponseWriter, r *http.Request, bad func(string)) {
	format := r.URL.Query().Get("format")
	switch format {
	case "", "json", "csv", "cyclonedx":
	default:
		bad("format must be json, csv or cyclonedx")
		return
	}
	inv, err := s.Inventory(r)
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
