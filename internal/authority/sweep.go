package authority

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
)

// SweepProduct is what the sweep ranking reads of one registered product.
type SweepProduct struct {
	Product  string
	Category string
	// Devices on the market, as declared; nil when not declared (ranked as unknown, never as 0).
	Devices *int64
	// Exploited lists the product's components with an actively exploited vulnerability (CISA KEV
	// or a case under Art. 14(2)) that is not triaged not affected: version-agnostic purls.
	Exploited []string
}

// SweepRank is one product category's rank for a sweep.
type SweepRank struct {
	Category string
	// Score is the sum over the category's products and their exploited components of
	// devices on the market × fan-in of the component (distinct products, among all registered
	// ones, that contain it): exploited flaws in widely shared components on many devices first.
	Score      float64
	Products   int
	Exploited  int   // product-component pairs with an exploited vulnerability
	Devices    int64 // declared devices on the market of the category's products
	Undeclared int   // products that declared no device count: their exposure is not in Score
}

// RankSweep ranks product categories for a coordinated control action (Art. 60) by actively
// exploited vulnerabilities × fan-in of the affected components × devices on the market.
func RankSweep(products []SweepProduct) ([]SweepRank, error) {
	if len(products) == 0 {
		return nil, errors.New("sweep ranking: no registered products")
	}
	fanIn := map[string]int{}
	for _, p := range products {
		seen := map[string]bool{}
		for _, c := range p.Exploited {
			if !seen[c] {
				seen[c] = true
				fanIn[c]++
			}
		}
	}
	by := map[string]*SweepRank{}
	for _, p := range products {
		if p.Category == "" {
			return nil, fmt.Errorf("sweep ranking: product %q has no category", p.Product)
		}
		if p.Devices != nil && *p.Devices < 0 {
			return nil, fmt.Errorf("sweep ranking: product %q declares a negative device count", p.Product)
		}
		r := by[p.Category]
		if r == nil {
			r = &SweepRank{Category: p.Category}
			by[p.Category] = r
		}
		r.Products++
		seen := map[string]bool{}
		for _, c := range p.Exploited {
			if seen[c] {
				continue
			}
			seen[c] = true
			r.Exploited++
			if p.Devices != nil {
				r.Score += float64(*p.Devices) * float64(fanIn[c])
			}
		}
		if p.Devices == nil {
			r.Undeclared++
		} else {
			r.Devices += *p.Devices
		}
	}
	out := make([]SweepRank, 0, len(by))
	for _, r := range by {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b SweepRank) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(b.Exploited, a.Exploited), cmp.Compare(a.Category, b.Category))
	})
	return out, nil
}
