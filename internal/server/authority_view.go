package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/siegel-oss/siegel/internal/authority"
	"github.com/siegel-oss/siegel/internal/authority/icsms"
	"github.com/siegel-oss/siegel/internal/catalog"
	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/store"
)

// The authority's scoped view (CRA Chapter V): a manufacturer registers a product with a market
// surveillance authority, and from then on that authority, and no other, sees the product's CRA
// class, conformity route, support periods, label status, Art. 14 cases with every timestamp,
// declared devices on the market, ledger checkpoints and component aggregates. Names of
// components never leave the manufacturer through this view.

type registrationJSON struct {
	Authority     int64  `json:"authority"`
	AuthorityName string `json:"authorityName"`
	// AuthorityURL is the server of an authority on another server (Authority is then 0).
	AuthorityURL string    `json:"authorityUrl,omitempty"`
	Product      int64     `json:"product"`
	ProductName  string    `json:"productName"`
	Manufacturer int64     `json:"manufacturer"`
	RegisteredAt time.Time `json:"registeredAt"`
}

func toRegistration(r store.Registration) registrationJSON {
	return registrationJSON{Authority: r.Authority, AuthorityName: r.AuthorityName, Product: r.Product, ProductName: r.ProductName,
		Manufacturer: r.Organization, RegisteredAt: r.RegisteredAt}
}

// registerProduct registers one of the caller's products with an authority organization.
func (s *Server) registerProduct(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	prod, ok := s.product(w, r, p)
	if !ok {
		return
	}
	if p.Token.Role == "authority" || !p.CanWrite(prod.Organization) {
		writeError(w, http.StatusForbidden, "only the manufacturer's admin or PSIRT registers its product with an authority")
		return
	}
	var in struct {
		Authority int64 `json:"authority"`
		// RemoteAuthority names an authority on the server this server pushes to.
		RemoteAuthority string `json:"remoteAuthority"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	if in.RemoteAuthority != "" && in.Authority == 0 {
		s.registerRemote(w, r, prod, in.RemoteAuthority)
		return
	}
	if in.Authority <= 0 {
		writeError(w, http.StatusBadRequest, "authority: the id of the authority organization (GET /api/v1/authorities lists them)")
		return
	}
	reg, err := s.Store.RegisterProduct(r.Context(), prod.Organization, prod.ID, in.Authority, store.Actor(r.Context()))
	switch {
	case errors.Is(err, store.ErrInvalid):
		writeError(w, http.StatusBadRequest, err.Error())
	case errors.Is(err, store.ErrConflict):
		writeError(w, http.StatusConflict, "the product is already registered with this authority")
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "no such authority")
	case err != nil:
		s.Fail(w, r, err)
	default:
		writeJSON(w, http.StatusCreated, toRegistration(*reg))
	}
}

// listAuthorities names the authority organizations a product can be registered with.
func (s *Server) listAuthorities(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	orgs, err := s.Store.AuthorityOrganizations(r.Context())
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	type item struct {
		ID          int64  `json:"id"`
		Name        string `json:"name"`
		MemberState string `json:"memberState,omitempty"`
	}
	out := []item{}
	for _, o := range orgs {
		out = append(out, item{o.ID, o.Name, o.MemberState})
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

// listRegistrations lists a manufacturer's registrations, or those made with the calling
// authority.
func (s *Server) listRegistrations(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	var regs []store.Registration
	var err error
	if p.Token.Role == "authority" {
		regs, err = s.Store.Registrations(r.Context(), p.Token.Organization, 0)
	} else {
		regs, err = s.Store.Registrations(r.Context(), 0, p.Token.Organization)
	}
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	out := []registrationJSON{}
	for _, x := range regs {
		out = append(out, toRegistration(x))
	}
	if p.Token.Role != "authority" {
		remote, err := s.Store.RemoteRegistrations(r.Context(), p.Token.Organization)
		if err != nil {
			s.Fail(w, r, err)
			return
		}
		for _, x := range remote {
			out = append(out, toRemoteRegistration(x))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

type marketRecordJSON struct {
	CEMarking         *bool     `json:"ceMarking"`
	Declaration       *bool     `json:"declaration"`
	NotifiedBody      string    `json:"notifiedBody,omitempty"`
	TechnicalDocs     *bool     `json:"technicalDocs"`
	DisclosureContact string    `json:"disclosureContact,omitempty"`
	UpdatedAt         time.Time `json:"updatedAt,omitzero"`
}

// putMarketRecord records what the manufacturer declares of a release on the market: the facts
// the Art. 58(1) checklist reads. A fact left out (null) stays unknown.
func (s *Server) putMarketRecord(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	rel, prod, ok := s.release(w, r, p)
	if !ok {
		return
	}
	if p.Token.Role == "authority" || !p.CanWrite(prod.Organization) {
		writeError(w, http.StatusForbidden, "only the manufacturer's admin or PSIRT declares a release's market record")
		return
	}
	var in marketRecordJSON
	if !decodeJSON(w, r, &in) {
		return
	}
	m := store.MarketRecord{Release: rel.ID, CEMarking: in.CEMarking, Declaration: in.Declaration, NotifiedBody: in.NotifiedBody,
		TechnicalDocs: in.TechnicalDocs, DisclosureContact: in.DisclosureContact}
	if err := s.Store.SetMarketRecord(r.Context(), m); errors.Is(err, store.ErrInvalid) {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	} else if err != nil {
		s.Fail(w, r, err)
		return
	}
	got, err := s.Store.MarketRecordOf(r.Context(), rel.ID)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toMarketRecord(got))
}

func toMarketRecord(m store.MarketRecord) marketRecordJSON {
	return marketRecordJSON{CEMarking: m.CEMarking, Declaration: m.Declaration, NotifiedBody: m.NotifiedBody, TechnicalDocs: m.TechnicalDocs,
		DisclosureContact: m.DisclosureContact, UpdatedAt: m.UpdatedAt}
}

type viewLabelJSON struct {
	ID         string    `json:"id"`
	Status     string    `json:"status"`
	Reason     string    `json:"reason,omitempty"`
	ValidUntil time.Time `json:"validUntil,omitzero"`
	// PageURL is the label's public page on its manufacturer's server.
	PageURL string `json:"pageUrl,omitempty"`
}

type viewReleaseJSON struct {
	ID              int64                    `json:"id"`
	Version         string                   `json:"version"`
	PlacedOnMarket  string                   `json:"placedOnMarket,omitempty"`
	SupportEnd      string                   `json:"supportEnd"`
	Support         app.SupportView          `json:"support"`
	DevicesOnMarket *int64                   `json:"devicesOnMarket"`
	Labels          []viewLabelJSON          `json:"labels"`
	Components      store.ComponentAggregate `json:"components"`
	MarketRecord    marketRecordJSON         `json:"marketRecord"`
	Checklist       []icsms.Check            `json:"checklist"`
}

type viewCaseJSON struct {
	ID                    int64                `json:"id"`
	Type                  string               `json:"type"`
	Title                 string               `json:"title"`
	Vulnerability         string               `json:"vulnerability,omitempty"`
	Evidence              string               `json:"evidence,omitempty"`
	AwareAt               time.Time            `json:"awareAt"`
	FixAvailable          time.Time            `json:"fixAvailable,omitzero"`
	Closed                time.Time            `json:"closed,omitzero"`
	ClosedReason          string               `json:"closedReason,omitempty"`
	CreatedAt             time.Time            `json:"createdAt"`
	Submitted             map[string]time.Time `json:"submitted"`
	Recipients            map[string]string    `json:"recipients,omitempty"`
	IntermediateRequested time.Time            `json:"intermediateRequested,omitzero"`
	IntermediateDue       time.Time            `json:"intermediateDue,omitzero"`
	Calendar              string               `json:"calendar,omitempty"`
	Stages                []authority.Stage    `json:"stages"`
	Error                 string               `json:"error,omitempty"`
}

type viewManufacturerJSON struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	SizeClass   string `json:"sizeClass,omitempty"`
	Steward     bool   `json:"steward"`
	MemberState string `json:"memberState,omitempty"`
	Exemption   string `json:"exemption,omitempty"`
}

type viewLedgerJSON struct {
	// Checkpoint is the latest checkpoint of the log the manufacturer's statements are in, when
	// it is this server's log.
	Origin string `json:"origin,omitempty"`
	Size   int64  `json:"size"`
	Root   string `json:"root,omitempty"`
	// Witnessed is this authority's witness state of the manufacturer's log: the last size it
	// cosigned and its last refusal; absent when it never witnessed it.
	Witnessed *witnessStateJSON `json:"witnessed,omitempty"`
}

type viewProductJSON struct {
	ID              int64                `json:"id"`
	Name            string               `json:"name"`
	Category        string               `json:"category"`
	CRAClass        string               `json:"craClass"`
	ConformityRoute catalog.Route        `json:"conformityRoute"`
	Manufacturer    viewManufacturerJSON `json:"manufacturer"`
	RegisteredAt    time.Time            `json:"registeredAt"`
	Releases        []viewReleaseJSON    `json:"releases"`
	Cases           []viewCaseJSON       `json:"cases"`
	Ledger          viewLedgerJSON       `json:"ledger"`
	// Source is set for a product whose manufacturer pushed its record from another server.
	Source *viewSourceJSON `json:"source,omitempty"`
}

// registeredProduct loads a product registered with the calling authority; any other product is
// indistinguishable from a missing one (404).
func (s *Server) registeredProduct(w http.ResponseWriter, r *http.Request, p caller.Principal) (*store.Product, store.Registration, bool) {
	if !authorityOnly(w, p) {
		return nil, store.Registration{}, false
	}
	id, ok := pathID(w, r, "id")
	if !ok {
		return nil, store.Registration{}, false
	}
	regs, err := s.Store.Registrations(r.Context(), p.Token.Organization, 0)
	if err != nil {
		s.Fail(w, r, err)
		return nil, store.Registration{}, false
	}
	i := slices.IndexFunc(regs, func(x store.Registration) bool { return x.Product == id })
	if i < 0 {
		writeError(w, http.StatusNotFound, "no product of that id is registered with this authority")
		return nil, store.Registration{}, false
	}
	prod, err := s.Store.Product(r.Context(), id)
	if err != nil {
		s.Fail(w, r, err)
		return nil, store.Registration{}, false
	}
	return prod, regs[i], true
}

// productView assembles the scoped view of one registered product at now, from the record the
// store holds of it (authority_records.go).
func (s *Server) productView(ctx context.Context, prod *store.Product, reg store.Registration) (viewProductJSON, error) {
	f, err := s.recordOf(ctx, prod, reg.AuthorityName, reg.RegisteredAt)
	if err != nil {
		return viewProductJSON{}, err
	}
	v := f.view(prod.Organization, f.Manufacturer.Name, s.Now())
	_, cp, _, err := s.Store.LedgerCheckpoint(ctx)
	if err != nil {
		return v, err
	}
	v.Ledger = viewLedgerJSON{Origin: cp.Origin, Size: cp.Size, Root: fmt.Sprintf("%x", cp.Root[:])}
	if ws, err := s.witnessStateOf(ctx, prod.Organization); err != nil {
		return v, err
	} else {
		v.Ledger.Witnessed = ws
	}
	return v, nil
}

// authorityProducts lists the scoped view of every product registered with the calling authority,
// on this server or pushed from another.
func (s *Server) authorityProducts(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	if !authorityOnly(w, p) {
		return
	}
	out, err := s.authorityViews(r.Context(), p.Token.Organization)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"asOf": s.Now().UTC(), "items": out})
}

func (s *Server) authorityProduct(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	prod, reg, ok := s.registeredProduct(w, r, p)
	if !ok {
		return
	}
	v, err := s.productView(r.Context(), prod, reg)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// sweepInputs reads, for every product registered with the authority, its category, declared
// devices on the market (the sum over its releases; unknown when no release declared any) and
// the components with an actively exploited vulnerability.
func (s *Server) sweepInputs(ctx context.Context, authorityOrg int64) ([]authority.SweepProduct, error) {
	regs, err := s.Store.Registrations(ctx, authorityOrg, 0)
	if err != nil {
		return nil, err
	}
	var out []authority.SweepProduct
	for _, reg := range regs {
		prod, err := s.Store.Product(ctx, reg.Product)
		if err != nil {
			return nil, err
		}
		sp := authority.SweepProduct{Product: prod.Name, Category: prod.Category}
		if sp.Category == "" {
			sp.Category = "(no category)"
		}
		rels, err := s.Store.Releases(ctx, prod.ID)
		if err != nil {
			return nil, err
		}
		seen := map[string]bool{}
		for _, rel := range rels {
			if rel.DevicesOnMarket != nil {
				if sp.Devices == nil {
					sp.Devices = new(int64)
				}
				*sp.Devices += *rel.DevicesOnMarket
			}
			ex, err := s.Store.ExploitedComponents(ctx, rel.ID)
			if err != nil {
				return nil, err
			}
			for _, c := range ex {
				// Pseudonyms, as records pushed from other servers carry them: fan-in counts
				// across both.
				if c = componentPseudonym(c); !seen[c] {
					seen[c] = true
					sp.Exploited = append(sp.Exploited, c)
				}
			}
		}
		out = append(out, sp)
	}
	remote, err := s.remoteSweepInputs(ctx, authorityOrg)
	if err != nil {
		return nil, err
	}
	return append(out, remote...), nil
}

// authoritySweep ranks the product categories of the registered products for a coordinated
// control action (Art. 60): actively exploited vulnerabilities × fan-in of the affected
// components × devices on the market.
func (s *Server) authoritySweep(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	if !authorityOnly(w, p) {
		return
	}
	in, err := s.sweepInputs(r.Context(), p.Token.Organization)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	if len(in) == 0 {
		writeJSON(w, http.StatusOK, map[string]any{"asOf": s.Now().UTC(), "ranks": []authority.SweepRank{},
			"note": "no product is registered with this authority: nothing to rank"})
		return
	}
	ranks, err := authority.RankSweep(in)
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"asOf": s.Now().UTC(), "basis": "CRA Art. 60: exploited vulnerabilities × fan-in × devices on the market",
		"ranks": ranks})
}

// registeredWith reports whether the caller may see the product as far as registration goes:
// always for a manufacturer (canRead decides), and for an authority only when the product is
// registered with it.
func (s *Server) registeredWith(r *http.Request, p caller.Principal, product int64) bool {
	if p.Token.Role != "authority" {
		return true
	}
	ok, err := s.Store.Registered(r.Context(), p.Token.Organization, product)
	return err == nil && ok
}

// registeredScope keeps, of the manufacturers and their cases, what the authority may see: the
// manufacturers that registered a product with it, their cases about those products, and their
// incidents tied to no product (Art. 14(3) concerns the manufacturer, not a product).
func (s *Server) registeredScope(r *http.Request, p caller.Principal, orgs []store.Organization, cases []store.Case) ([]store.Organization, []store.Case, error) {
	regs, err := s.Store.Registrations(r.Context(), p.Token.Organization, 0)
	if err != nil {
		return nil, nil, err
	}
	mans, prods := map[int64]bool{}, map[int64]bool{}
	for _, reg := range regs {
		mans[reg.Organization], prods[reg.Product] = true, true
	}
	orgs = slices.DeleteFunc(orgs, func(o store.Organization) bool { return !mans[o.ID] })
	cases = slices.DeleteFunc(cases, func(c store.Case) bool { return !mans[c.Organization] || (c.Product != 0 && !prods[c.Product]) })
	return orgs, cases, nil
}
