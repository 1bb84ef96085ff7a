package icsms

import (
	"context"
	"errors"

	"github.com/siegel-oss/siegel/internal/authority"
	"github.com/siegel-oss/siegel/internal/catalog"
	"github.com/siegel-oss/siegel/internal/store"
)

// Check is one item of the Art. 58(1) checklist of a release; OK is true only for a known fact
// that passes.
type Check struct {
	Release int64  `json:"release"`
	Version string `json:"version"`
	Item    string `json:"item"`
	Basis   string `json:"basis"`
	Known   bool   `json:"known"`
	OK      bool   `json:"ok"`
	Finding string `json:"finding,omitempty"`
}

// Checklist fills the Art. 58(1) checklist of a release from what the store holds: the
// manufacturer's market record, the release's SBOMs and support period, and the conformity route
// of the product's CRA class. A fact the manufacturer did not record is never passed.
func Checklist(ctx context.Context, st *store.DB, prod *store.Product, rel *store.Release) ([]Check, error) {
	m, err := st.MarketRecordOf(ctx, rel.ID)
	if err != nil {
		return nil, err
	}
	sb, err := st.LatestSBOM(ctx, rel.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	f := authority.ReleaseFacts{CEMarking: m.CEMarking, DeclarationDrawnUp: m.Declaration, NotifiedBodyNumber: m.NotifiedBody,
		TechnicalDocs: m.TechnicalDocs, SBOM: sb != nil, SupportEnd: rel.SupportEnd, DisclosureContact: m.DisclosureContact}
	return FromFacts(prod.CRAClass, rel.ID, rel.Version, f), nil
}

// FromFacts fills the Art. 58(1) checklist of a release of a product of CRA class craClass from
// the release's facts, wherever they were read (this server's store, or a manufacturer's record
// pushed from another server). Whether a notified body is required follows from the class.
func FromFacts(craClass string, release int64, version string, f authority.ReleaseFacts) []Check {
	switch craClass {
	case catalog.ClassImportantII, catalog.ClassCritical:
		f.NotifiedBodyRequired = true // Art. 32(3), 32(4)
	case catalog.ClassImportantI:
		f.NotifiedBodyUndetermined = true // Art. 32(2)
	}
	out := []Check{}
	for _, c := range authority.Checklist(f) {
		out = append(out, Check{Release: release, Version: version, Item: c.Item, Basis: c.Basis, Known: c.Known, OK: c.OK && c.Known, Finding: c.Finding})
	}
	return out
}
