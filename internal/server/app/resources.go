package app

import (
	"time"

	"github.com/siegel-oss/siegel/internal/cra"
	"github.com/siegel-oss/siegel/internal/store"
)

// ProductView is a product as the API and the pages show it.
type ProductView struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Category string `json:"category"`
	CRAClass string `json:"craClass"`
	// NeedsCategory: the product has no category of the controlled list (PUT .../category);
	// UnmappedCategory is the free text it had before, when there was one.
	NeedsCategory    bool   `json:"needsCategory,omitempty"`
	UnmappedCategory string `json:"unmappedCategory,omitempty"`
	// Facts are what the manufacturer declared about the design (PUT .../facts).
	Facts     map[string]bool `json:"facts,omitempty"`
	CreatedAt time.Time       `json:"createdAt"`
}

// ReleaseView is a release with the verdict on its support period, as the API and the pages
// show it.
type ReleaseView struct {
	ID             int64  `json:"id"`
	Product        int64  `json:"product"`
	Version        string `json:"version"`
	PlacedOnMarket string `json:"placedOnMarket,omitempty"`
	SupportEnd     string `json:"supportEnd"`
	// SupportMonths is the support period's length in whole months from placing on the market.
	SupportMonths            int    `json:"supportMonths"`
	SupportJustification     string `json:"supportJustification,omitempty"`
	SupportExpectedUseMonths int    `json:"supportExpectedUseMonths,omitempty"`
	SupportBasis             string `json:"supportBasis,omitempty"`
	// Support is the CRA Art. 13(8) verdict on the period: whether it holds, which rule applied,
	// why, and warnings (recital (60): products often used for longer).
	Support   SupportView `json:"support"`
	CreatedAt time.Time   `json:"createdAt"`
	// KeepAvailableUntil (YYYY-MM-DD) is set for a security update: CRA Art. 13(9) keeps it
	// available for ten years or the rest of the support period, whichever is longer.
	KeepAvailableUntil string `json:"keepAvailableUntil,omitempty"`
	// DevicesOnMarket is the declared number of devices on the market; null while unknown.
	DevicesOnMarket *int64 `json:"devicesOnMarket"`
}

// ViewProduct is the view of a stored product.
func ViewProduct(p store.Product) ProductView {
	return ProductView{ID: p.ID, Name: p.Name, Category: p.Category, CRAClass: p.CRAClass, Facts: p.Facts, CreatedAt: p.CreatedAt,
		NeedsCategory: p.Category == "", UnmappedCategory: p.CategoryUnmapped}
}

// SupportView is the verdict on a support period (CRA Art. 13(8)).
type SupportView struct {
	OK       bool     `json:"ok"`
	Length   string   `json:"length"`
	Rule     string   `json:"rule"`
	Reason   string   `json:"reason"`
	Warnings []string `json:"warnings,omitempty"`
}

// ViewRelease renders a release with the verdict on its support period, counted from the day it
// was placed on the market (or, before that, from when it was recorded).
func ViewRelease(r store.Release, category string) ReleaseView {
	v, err := SupportVerdict(r, r.CreatedAt, category)
	out := ReleaseView{ID: r.ID, Product: r.Product, Version: r.Version, PlacedOnMarket: r.PlacedOnMarket, SupportEnd: r.SupportEnd,
		SupportMonths: v.TotalMonths, SupportJustification: r.SupportJustification, SupportExpectedUseMonths: r.SupportExpectedUseMonths,
		SupportBasis: r.SupportBasis, CreatedAt: r.CreatedAt, DevicesOnMarket: r.DevicesOnMarket,
		Support: SupportView{OK: v.OK, Length: v.Length(), Rule: v.Rule, Reason: v.Reason, Warnings: v.Warnings}}
	if err != nil {
		out.Support.Reason = err.Error()
	}
	return out
}

// SupportVerdict applies CRA Art. 13(8) to a release's support period, counted from the day it
// was placed on the market or, while it is not yet, from since.
func SupportVerdict(r store.Release, since time.Time, category string) (cra.SupportVerdict, error) {
	return cra.CheckSupport(cra.SupportPeriod{PlacedOnMarket: r.PlacedOnMarket, Since: since, End: r.SupportEnd,
		ExpectedUseMonths: r.SupportExpectedUseMonths, Basis: r.SupportBasis, Justification: r.SupportJustification, Category: category})
}
