package app

import (
	"context"
	"fmt"

	"github.com/siegel-oss/siegel/internal/notify"
	"github.com/siegel-oss/siegel/internal/store"
)

// testEvent is what a channel's test sends: an event shaped as a real one, whose product is a
// product — the one the channel follows, else the organization's first — never the organization
// (receivers route on the product field). Without any product the field says there is none.
func (s *Deps) testEvent(ctx context.Context, org int64, orgName string, channel int64) (notify.Event, error) {
	e := notify.Event{ID: store.NewEventID(), Kind: "test", Organization: org, Time: s.Now().UTC()}
	chs, err := s.Store.Channels(ctx, org)
	if err != nil {
		return e, err
	}
	var follows int64 = -1
	for _, c := range chs {
		if c.ID == channel {
			follows = c.Product
		}
	}
	switch {
	case follows < 0:
		return e, store.ErrNotFound
	case follows > 0:
		p, err := s.Store.Product(ctx, follows)
		if err != nil {
			return e, err
		}
		e.Product = p.Name
	default:
		ps, err := s.Store.Products(ctx, org)
		if err != nil {
			return e, err
		}
		if len(ps) > 0 {
			e.Product = ps[0].Name
		}
	}
	if e.Product == "" {
		e.Product = "(no product yet)"
	}
	e.Summary = fmt.Sprintf("Test notification from Siegel for %s: events about %s arrive like this one.", orgName, e.Product)
	return e, nil
}
