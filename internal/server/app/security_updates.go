package app

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/cra"
	"github.com/siegel-oss/siegel/internal/fixes"
	"github.com/siegel-oss/siegel/internal/store"
)

// CmpOrDefault is v, or d when v is empty.
func CmpOrDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

// SecurityUpdate is a release that fixed vulnerabilities an earlier release had.
type SecurityUpdate struct {
	Fixes []string  // the vulnerabilities it fixed
	Until time.Time // CRA Art. 13(9): the last day it must remain available
}

// SecurityUpdates finds the product's releases that are security updates: those that ship a
// fixed version of a package an earlier release had vulnerable, and those a published advisory
// names as fixed. CRA Art. 13(9) keeps each available for ten years after it was issued, or for
// the rest of its support period if that is longer.
func (s *Deps) SecurityUpdates(ctx context.Context, p *store.Product) (map[int64]SecurityUpdate, error) {
	return s.SecurityUpdatesUntil(ctx, p, 0, nil)
}

// SecurityUpdatesUntil is securityUpdates for the release until alone, whose components are
// comps (all releases when it is 0): the release page needs its own release's only.
func (s *Deps) SecurityUpdatesUntil(ctx context.Context, p *store.Product, until int64, comps []store.Component) (map[int64]SecurityUpdate, error) {
	find := func() ([]fixes.Fix, error) { return fixes.Find(ctx, s.Store, p.ID) }
	if until != 0 {
		find = func() ([]fixes.Fix, error) { return fixes.Of(ctx, s.Store, p.ID, until, comps) }
	}
	fixed, err := find()
	if err != nil {
		return nil, err
	}
	rels, err := s.Store.Releases(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	byVersion := map[string]store.Release{}
	for _, r := range rels {
		byVersion[r.Version] = r
	}
	fixesOf := map[int64][]string{}
	for _, f := range fixed {
		fixesOf[f.Release.ID] = append(fixesOf[f.Release.ID], f.Vulnerability)
	}
	as, err := s.Store.Advisories(ctx, p.Organization)
	if err != nil {
		return nil, err
	}
	for _, a := range as {
		if a.Product != p.ID {
			continue
		}
		if v, err := ViewAdvisory("", a); err == nil {
			for _, pr := range v.Products {
				if r, ok := byVersion[strings.TrimPrefix(pr.Name, p.Name+" ")]; ok && pr.Status == "fixed" {
					fixesOf[r.ID] = append(fixesOf[r.ID], a.Vulnerability)
				}
			}
		}
	}
	out := map[int64]SecurityUpdate{}
	for _, r := range rels {
		ids := fixesOf[r.ID]
		if len(ids) == 0 {
			continue
		}
		until, err := cra.KeepAvailableUntil(releaseIssued(r), r.SupportEnd)
		if err != nil {
			return nil, fmt.Errorf("release %s: %w", r.Version, err)
		}
		slices.Sort(ids)
		out[r.ID] = SecurityUpdate{Fixes: slices.Compact(ids), Until: until}
	}
	return out, nil
}
