package monitor

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/health"
	"github.com/siegel-oss/siegel/internal/notify"
	"github.com/siegel-oss/siegel/internal/store"
)

// healthNotices tells each organization, once per release and component, when a component of a
// release has reached its end of life (endoflife.date). It runs at most once per UTC day per
// monitor: a whole-portfolio health pass is far heavier than the reporting clocks. The event ids
// name release, package, product and cycle, so a notification is queued once however often and
// on however many servers this runs.
func (m *Monitor) healthNotices(ctx context.Context) error {
	now := m.cfg.Now().UTC()
	day := now.Format(time.DateOnly)
	m.healthMu.Lock()
	defer m.healthMu.Unlock()
	if m.healthDay == day {
		return nil
	}
	if m.health == nil {
		m.health = &health.Cache{Dir: m.cfg.VulnDB}
	}
	data, err := m.health.Get()
	if err != nil {
		return err
	}
	if len(data.Products) == 0 {
		m.healthDay = day
		return nil // no end-of-life data: nothing can have ended
	}
	ids, err := m.cfg.Store.AllReleaseIDs(ctx)
	if err != nil {
		return err
	}
	products := map[int64]*store.Product{}
	for _, id := range ids {
		rel, err := m.cfg.Store.Release(ctx, id)
		if err != nil {
			return err
		}
		comps, err := m.cfg.Store.ReleaseComponents(ctx, id)
		if err != nil {
			return err
		}
		prod := products[rel.Product]
		if prod == nil {
			if prod, err = m.cfg.Store.Product(ctx, rel.Product); err != nil {
				return err
			}
			products[rel.Product] = prod
		}
		facts, err := m.cfg.Store.ReleaseComponentFacts(ctx, id)
		if err != nil {
			return err
		}
		for _, c := range comps {
			hc := health.Component{Ref: c.Ref, Name: c.Name, Version: c.Version, PURL: c.PURL}
			if f, ok := facts[c.Ref]; ok {
				hc = health.WithFacts(hc, f.CPEs, f.SourcePackage, f.Native, f.Extractor, f.Size)
			}
			r := data.Check(hc, health.Options{Now: now})
			for _, v := range r.Verdicts {
				if v.Kind != health.EndOfLife {
					continue
				}
				if err := m.queueEOL(ctx, prod, rel, c, v, now); err != nil {
					return err
				}
			}
		}
	}
	m.healthDay = day
	return nil
}

func (m *Monitor) queueEOL(ctx context.Context, prod *store.Product, rel *store.Release, c store.Component, v health.Verdict, now time.Time) error {
	pkg := c.PURL
	if k, ok := health.PackageKey(c.PURL); ok {
		pkg = k
	}
	ended := "has reached its end of life"
	if !v.EndOfLife.IsZero() {
		ended = "reached its end of life on " + v.EndOfLife.Format(time.DateOnly)
	}
	cycle := strings.TrimSpace(v.Product + " " + v.Cycle)
	e := notify.Event{ID: fmt.Sprintf("eol-%d-%s@%s-%s-%s", rel.ID, pkg, c.Version, v.Product, v.Cycle), Kind: store.EventComponentEOL,
		Organization: prod.Organization, Product: prod.Name, Release: rel.Version, ReleaseID: rel.ID, Package: c.PURL, Time: now,
		Summary: fmt.Sprintf("%s %s in %s %s %s (%s, %s data of %s): it receives no more security fixes from upstream; plan its replacement (CRA Art. 13(5) due diligence).",
			c.Name, c.Version, prod.Name, rel.Version, ended, cycle, v.Source, v.DataDate.Format(time.DateOnly))}
	if m.cfg.BaseURL != "" {
		e.URL = fmt.Sprintf("%s/releases/%d#health", m.cfg.BaseURL, rel.ID)
	}
	payload, _ := json.Marshal(e)
	return m.cfg.Store.QueueOrgEvent(ctx, prod.Organization, prod.ID, store.EventComponentEOL, store.Event{ID: e.ID, Payload: payload})
}
