package app

import (
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/store"
)

// A release's view carries the verdict on its support period: five years from placing on the
// market hold, two years without a reason do not, and a period that cannot be read says why.
func TestViewRelease(t *testing.T) {
	created := time.Date(2027, 1, 10, 0, 0, 0, 0, time.UTC)
	long := ViewRelease(store.Release{ID: 3, Product: 1, Version: "1.0", PlacedOnMarket: "2027-02-01", SupportEnd: "2032-02", CreatedAt: created}, "")
	if !long.Support.OK || long.SupportMonths < 60 || long.ID != 3 || long.Version != "1.0" {
		t.Errorf("five years: %+v", long)
	}
	short := ViewRelease(store.Release{PlacedOnMarket: "2027-02-01", SupportEnd: "2029-02", CreatedAt: created}, "")
	if short.Support.OK || short.Support.Reason == "" || short.Support.Rule == "" {
		t.Errorf("two years without a reason: %+v", short.Support)
	}
	bad := ViewRelease(store.Release{SupportEnd: "next year", CreatedAt: created}, "")
	if bad.Support.OK || bad.Support.Reason == "" {
		t.Errorf("an unreadable end: %+v", bad.Support)
	}
}
