package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/store"
)

// Corrections of what was entered, shared by the API (package api) and the pages
// (package web): both check the same way and answer with the same words (package caller).

// ProductEditInput is a correction of a product.
type ProductEditInput struct {
	Name     string `json:"name"`
	Category string `json:"category"` // "" keeps it
	CRAClass string `json:"craClass"`
	Reason   string `json:"reason"`
}

// EditProduct checks and records a correction of a product.
func (s *Deps) EditProduct(ctx context.Context, prod *store.Product, in ProductEditInput) (*store.Product, error) {
	np := NewProduct{Name: in.Name, Category: in.Category, CRAClass: in.CRAClass}
	if err := np.check(); err != nil {
		return nil, caller.Invalid(err)
	}
	p, err := s.Store.EditProduct(ctx, prod.ID, store.ProductEdit{Name: np.Name, Category: np.Category, CRAClass: np.CRAClass}, in.Reason)
	if errors.Is(err, store.ErrConflict) {
		return nil, caller.Invalid(fmt.Errorf("the organization has another product named %q: choose another name", np.Name))
	}
	if err == nil {
		if rs, rerr := s.Store.Releases(ctx, p.ID); rerr == nil {
			for _, r := range rs {
				s.restateLabels(ctx, p.Organization, r.ID)
			}
		} else {
			s.Log.Warn("labels of a corrected product not restated; the label check does it later", "product", p.ID, "err", rerr)
		}
	}
	return p, err
}

// restateLabels brings the labels of a corrected release in line at once: a label stating a
// corrected fact is signed again (conformity.Corrections). A failure leaves the correction in
// place: the public label page says its statement is out of date, and the scheduled label
// check signs it later.
func (s *Deps) restateLabels(ctx context.Context, org, release int64) {
	if s.Conformity == nil {
		return
	}
	if err := s.Conformity.RefreshRelease(ctx, org, release); err != nil {
		s.Log.Warn("labels of a corrected release not restated; the label check does it later", "release", release, "err", err)
	}
}

// ReleaseEditInput is a correction of a release; absent fields of the API's JSON keep their
// values (the caller fills them from the release first).
type ReleaseEditInput struct {
	Version                  string `json:"version"`
	PlacedOnMarket           string `json:"placedOnMarket"`
	SupportEnd               string `json:"supportEnd"`
	SupportJustification     string `json:"supportJustification"`
	SupportExpectedUseMonths int    `json:"supportExpectedUseMonths"`
	SupportBasis             string `json:"supportBasis"`
	DevicesOnMarket          *int64 `json:"devicesOnMarket"`
	Reason                   string `json:"reason"`
}

// ReleaseEditOf is the correction form of r as it stands.
func ReleaseEditOf(r *store.Release) ReleaseEditInput {
	return ReleaseEditInput{Version: r.Version, PlacedOnMarket: r.PlacedOnMarket, SupportEnd: r.SupportEnd, SupportJustification: r.SupportJustification,
		SupportExpectedUseMonths: r.SupportExpectedUseMonths, SupportBasis: r.SupportBasis, DevicesOnMarket: r.DevicesOnMarket}
}

// EditRelease checks a correction of a release as a new release is checked — the support
// period against CRA Art. 13(8), counted from placing on the market or, before that, from when
// the release was recorded — and records it.
func (s *Deps) EditRelease(ctx context.Context, prod *store.Product, rel *store.Release, in ReleaseEditInput) (*store.Release, error) {
	in.Version = strings.TrimSpace(in.Version)
	if err := CheckName("version", in.Version); err != nil {
		return nil, caller.Invalid(err)
	}
	want := store.Release{ID: rel.ID, Product: rel.Product, Version: in.Version, PlacedOnMarket: strings.TrimSpace(in.PlacedOnMarket),
		SupportEnd: strings.TrimSpace(in.SupportEnd), SupportJustification: in.SupportJustification, SupportExpectedUseMonths: in.SupportExpectedUseMonths,
		SupportBasis: in.SupportBasis, DevicesOnMarket: in.DevicesOnMarket, CreatedAt: rel.CreatedAt}
	v, err := SupportVerdict(want, rel.CreatedAt, prod.Category)
	if err != nil {
		return nil, caller.Invalid(err)
	}
	if !v.OK {
		return nil, caller.Invalid(fmt.Errorf("%s (CRA %s)", v.Reason, v.Rule))
	}
	if in.DevicesOnMarket != nil && *in.DevicesOnMarket < 0 {
		return nil, caller.Invalid(fmt.Errorf("devices on the market %d: give a count of zero or more, or none when unknown", *in.DevicesOnMarket))
	}
	got, err := s.Store.EditRelease(ctx, want, in.Reason)
	if errors.Is(err, store.ErrConflict) {
		return nil, caller.Invalid(fmt.Errorf("the product has a release %q already: choose another version", in.Version))
	}
	if err == nil {
		s.restateLabels(ctx, prod.Organization, got.ID)
	}
	return got, err
}

// ReplaceSBOM decodes and checks an SBOM as an upload is checked, and puts it in the place of
// SBOM old of the release.
func (s *Deps) ReplaceSBOM(ctx context.Context, prod *store.Product, rel *store.Release, old int64, name string, data []byte, reason string) (*store.SBOM, error) {
	if strings.TrimSpace(reason) == "" {
		return nil, store.ErrNoReason
	}
	doc, format, err := s.DecodeUpload(ctx, name, data, prod, rel)
	if err != nil {
		return nil, caller.Invalid(err)
	}
	b, err := s.Store.ReplaceSBOM(ctx, rel.ID, old, reason, SBOMContent(format, data, doc))
	if errors.Is(err, store.ErrConflict) {
		return nil, caller.Invalid(errors.New("the new SBOM is the one it would replace, or was uploaded for the release already"))
	}
	if err != nil {
		return nil, err
	}
	s.Wake()
	return b, nil
}

// IsReadError reports whether err is an upload that could not be read (too large, say).
func IsReadError(err error) bool {
	var ie *input.Error
	return errors.As(err, &ie)
}
