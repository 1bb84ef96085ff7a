package app

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/siegel-oss/siegel/internal/authority"
	"github.com/siegel-oss/siegel/internal/authority/icsms"
	"github.com/siegel-oss/siegel/internal/catalog"
	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/store"
)

// The authority's scoped view (CRA Chapter V): a manufacturer registers a product with a market
// surveillance authority, and from then on that authority, and no other, sees the product's CRA
// class, conformity route, support periods, label status, Art. 14 cases with every timestamp,
// declared devices on the market, ledger checkpoints and component aggregates. Names of
// components never leave the manufacturer through this view.

// MarketRecordJSON is a release's market record (CE marking, declaration, documentation) as
// answered.
type MarketRecordJSON struct {
	CEMarking         *bool     `json:"ceMarking"`
	Declaration       *bool     `json:"declaration"`
	NotifiedBody      string    `json:"notifiedBody,omitempty"`
	TechnicalDocs     *bool     `json:"technicalDocs"`
	DisclosureContact string    `json:"disclosureContact,omitempty"`
	UpdatedAt         time.Time `json:"updatedAt,omitzero"`
}

// ToMarketRecord is m as answered.
func ToMarketRecord(m store.MarketRecord) MarketRecordJSON {
	return MarketRecordJSON{CEMarking: m.CEMarking, Declaration: m.Declaration, NotifiedBody: m.NotifiedBody, TechnicalDocs: m.TechnicalDocs,
		DisclosureContact: m.DisclosureContact, UpdatedAt: m.UpdatedAt}
}

// ViewLabelJSON is a label in the authority's view.
type ViewLabelJSON struct {
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
	Support         SupportView              `json:"support"`
	DevicesOnMarket *int64                   `json:"devicesOnMarket"`
	Labels          []ViewLabelJSON          `json:"labels"`
	Components      store.ComponentAggregate `json:"components"`
	MarketRecord    MarketRecordJSON         `json:"marketRecord"`
	Checklist       []icsms.Check            `json:"checklist"`
}

// ViewCaseJSON is an Art. 14 case in the authority's view.
type ViewCaseJSON struct {
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

// ViewManufacturerJSON is the manufacturer in the authority's view.
type ViewManufacturerJSON struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	SizeClass   string `json:"sizeClass,omitempty"`
	Steward     bool   `json:"steward"`
	MemberState string `json:"memberState,omitempty"`
	Exemption   string `json:"exemption,omitempty"`
}

// ViewLedgerJSON is the ledger's state in the authority's view.
type ViewLedgerJSON struct {
	// Checkpoint is the latest checkpoint of the log the manufacturer's statements are in, when
	// it is this server's log.
	Origin string `json:"origin,omitempty"`
	Size   int64  `json:"size"`
	Root   string `json:"root,omitempty"`
	// Witnessed is this authority's witness state of the manufacturer's log: the last size it
	// cosigned and its last refusal; absent when it never witnessed it.
	Witnessed *WitnessStateJSON `json:"witnessed,omitempty"`
}

// ViewProductJSON is a product in the authority's view.
type ViewProductJSON struct {
	ID              int64                `json:"id"`
	Name            string               `json:"name"`
	Category        string               `json:"category"`
	CRAClass        string               `json:"craClass"`
	ConformityRoute catalog.Route        `json:"conformityRoute"`
	Manufacturer    ViewManufacturerJSON `json:"manufacturer"`
	RegisteredAt    time.Time            `json:"registeredAt"`
	Releases        []viewReleaseJSON    `json:"releases"`
	Cases           []ViewCaseJSON       `json:"cases"`
	Ledger          ViewLedgerJSON       `json:"ledger"`
	// Source is set for a product whose manufacturer pushed its record from another server.
	Source *viewSourceJSON `json:"source,omitempty"`
}

// ProductView assembles the scoped view of one registered product at now, from the record the
// store holds of it (authority_records.go).
func (s *Deps) ProductView(ctx context.Context, prod *store.Product, reg store.Registration) (ViewProductJSON, error) {
	f, err := s.RecordOf(ctx, prod, reg.AuthorityName, reg.RegisteredAt)
	if err != nil {
		return ViewProductJSON{}, err
	}
	v := f.view(prod.Organization, f.Manufacturer.Name, s.Now())
	_, cp, _, err := s.Store.LedgerCheckpoint(ctx)
	if err != nil {
		return v, err
	}
	v.Ledger = ViewLedgerJSON{Origin: cp.Origin, Size: cp.Size, Root: fmt.Sprintf("%x", cp.Root[:])}
	if ws, err := s.witnessStateOf(ctx, prod.Organization); err != nil {
		return v, err
	} else {
		v.Ledger.Witnessed = ws
	}
	return v, nil
}

// SweepInputs reads, for every product registered with the authority, its category, declared
// devices on the market (the sum over its releases; unknown when no release declared any) and
// the components with an actively exploited vulnerability.
func (s *Deps) SweepInputs(ctx context.Context, authorityOrg int64) ([]authority.SweepProduct, error) {
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
				if c = ComponentPseudonym(c); !seen[c] {
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

// RegisteredWith reports whether the caller may see the product as far as registration goes:
// always for a manufacturer (canRead decides), and for an authority only when the product is
// registered with it.
func (s *Deps) RegisteredWith(r *http.Request, p caller.Principal, product int64) bool {
	if p.Token.Role != "authority" {
		return true
	}
	ok, err := s.Store.Registered(r.Context(), p.Token.Organization, product)
	return err == nil && ok
}
