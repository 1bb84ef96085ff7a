package api

import (
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/siegel-oss/siegel/internal/authority"
	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/store"
)

// RegistrationJSON is a product's registration with an authority as answered.
type RegistrationJSON struct {
	Authority     int64  `json:"authority"`
	AuthorityName string `json:"authorityName"`
	// AuthorityURL is the server of an authority on another server (Authority is then 0).
	AuthorityURL string    `json:"authorityUrl,omitempty"`
	Product      int64     `json:"product"`
	ProductName  string    `json:"productName"`
	Manufacturer int64     `json:"manufacturer"`
	RegisteredAt time.Time `json:"registeredAt"`
}

func toRegistration(r store.Registration) RegistrationJSON {
	return RegistrationJSON{Authority: r.Authority, AuthorityName: r.AuthorityName, Product: r.Product, ProductName: r.ProductName,
		Manufacturer: r.Organization, RegisteredAt: r.RegisteredAt}
}

// registerProduct registers one of the caller's products with an authority organization.
func (s *API) registerProduct(w http.ResponseWriter, r *http.Request, p caller.Principal) {
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
func (s *API) listAuthorities(w http.ResponseWriter, r *http.Request, p caller.Principal) {
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
func (s *API) listRegistrations(w http.ResponseWriter, r *http.Request, p caller.Principal) {
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
	out := []RegistrationJSON{}
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

// putMarketRecord records what the manufacturer declares of a release on the market: the facts
// the Art. 58(1) checklist reads. A fact left out (null) stays unknown.
func (s *API) putMarketRecord(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	rel, prod, ok := s.release(w, r, p)
	if !ok {
		return
	}
	if p.Token.Role == "authority" || !p.CanWrite(prod.Organization) {
		writeError(w, http.StatusForbidden, "only the manufacturer's admin or PSIRT declares a release's market record")
		return
	}
	var in app.MarketRecordJSON
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
	writeJSON(w, http.StatusOK, app.ToMarketRecord(got))
}

// registeredProduct loads a product registered with the calling authority; any other product is
// indistinguishable from a missing one (404).
func (s *API) registeredProduct(w http.ResponseWriter, r *http.Request, p caller.Principal) (*store.Product, store.Registration, bool) {
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

// authorityProducts lists the scoped view of every product registered with the calling authority,
// on this server or pushed from another.
func (s *API) authorityProducts(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	if !authorityOnly(w, p) {
		return
	}
	out, err := s.AuthorityViews(r.Context(), p.Token.Organization)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"asOf": s.Now().UTC(), "items": out})
}

func (s *API) authorityProduct(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	prod, reg, ok := s.registeredProduct(w, r, p)
	if !ok {
		return
	}
	v, err := s.ProductView(r.Context(), prod, reg)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// authoritySweep ranks the product categories of the registered products for a coordinated
// control action (Art. 60): actively exploited vulnerabilities × fan-in of the affected
// components × devices on the market.
func (s *API) authoritySweep(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	if !authorityOnly(w, p) {
		return
	}
	in, err := s.SweepInputs(r.Context(), p.Token.Organization)
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

// registeredScope keeps, of the manufacturers and their cases, what the authority may see: the
// manufacturers that registered a product with it, their cases about those products, and their
// incidents tied to no product (Art. 14(3) concerns the manufacturer, not a product).
func (s *API) registeredScope(r *http.Request, p caller.Principal, orgs []store.Organization, cases []store.Case) ([]store.Organization, []store.Case, error) {
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
