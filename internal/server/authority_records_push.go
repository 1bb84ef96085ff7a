package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/ledger"
	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/store"
)

// Records across two servers. The manufacturer's server states each registered product's record
// in its ledger (a new statement whenever the facts change), has the authority witness its log
// (PushLedger), and pushes, per product, a ledger bundle of every statement about the product
// against the checkpoint the authority just cosigned, revealing only the record and the
// registration. The authority keeps a record only when the bundle is signed by the log key it
// pinned, proves each statement's inclusion in the very checkpoint it cosigned, proves it holds
// every statement about the product (so the record is the latest), and reveals nothing else.

// RecordPushResult is what the push of one product's record achieved.
type RecordPushResult struct {
	Product   int64
	Record    int64 // the record's id on the authority's server
	Statement int64 // the log index of the statement of the record
	Size      int64 // the witnessed checkpoint it was proven against
}

// revealTo reports whether the content of a statement about a registered product crosses to
// the authority of that name: the records, and the registrations with it (not those with other
// authorities).
func revealTo(authorityName string, e *ledger.Entry) bool {
	switch e.Statement.Type {
	case ledger.AuthorityRecordDeclared:
		return true
	case ledger.ProductRegistered:
		var reg struct {
			Authority string `json:"authority"`
		}
		return json.Unmarshal(e.Content, &reg) == nil && reg.Authority == authorityName
	}
	return false
}

// declareRecord writes the product's record as a statement of the ledger unless the latest one
// states the same facts, and returns the record.
func (s *Server) declareRecord(ctx context.Context, reg store.RemoteRegistration) (app.RecordFacts, error) {
	prod, err := s.Store.Product(ctx, reg.Product)
	if err != nil {
		return app.RecordFacts{}, err
	}
	f, err := s.RecordOf(ctx, prod, reg.AuthorityName, reg.RegisteredAt)
	if err != nil {
		return f, err
	}
	body, err := json.Marshal(f)
	if err != nil {
		return f, err
	}
	subject := fmt.Sprintf("product/%d", prod.ID)
	b, err := s.Store.LedgerBundle(ctx, prod.Organization, subject, true)
	if err != nil {
		return f, err
	}
	for i := len(b.Entries) - 1; i >= 0; i-- {
		if e := b.Entries[i]; e.Statement.Type == ledger.AuthorityRecordDeclared {
			if bytes.Equal(e.Content, body) {
				return f, nil
			}
			break
		}
	}
	return f, s.Store.LedgerAppend(ctx, []store.LedgerItem{{Organization: prod.Organization, Type: ledger.AuthorityRecordDeclared, Subject: subject, Content: f}})
}

// PushRecords pushes the record of every product registered with an authority on the server of
// the push configuration: it states changed records in the ledger, has the authority witness
// the ledger, then sends each product's bundle against the checkpoint just cosigned. A bundle
// made after the log grew again is made anew after another witness round (three at most).
func (s *Server) PushRecords(ctx context.Context) ([]RecordPushResult, error) {
	cfg := s.AuthorityPush
	all, err := s.Store.RemoteRegistrations(ctx, 0)
	if err != nil {
		return nil, err
	}
	base := strings.TrimRight(cfg.URL, "/")
	regs := slices.DeleteFunc(all, func(r store.RemoteRegistration) bool { return r.AuthorityURL != base })
	if len(regs) == 0 {
		return nil, nil
	}
	facts := make([]app.RecordFacts, len(regs))
	for i, reg := range regs {
		if facts[i], err = s.declareRecord(ctx, reg); err != nil {
			return nil, fmt.Errorf("record of product %d: %w", reg.Product, err)
		}
	}
	client := cfg.Client
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	var auths struct {
		Items []struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		} `json:"items"`
	}
	if err := pushCall(ctx, client, "GET", base+"/api/v1/authorities", cfg.Token, nil, &auths); err != nil {
		return nil, err
	}
	authorityID := func(name string) (int64, error) {
		for _, a := range auths.Items {
			if a.Name == name {
				return a.ID, nil
			}
		}
		return 0, fmt.Errorf("authority push: the server at %s has no authority named %q", base, name)
	}
	var out []RecordPushResult
	for attempt := 0; ; attempt++ {
		witnessed, err := s.PushLedger(ctx)
		if err != nil {
			return nil, err
		}
		bundles := make([]*ledger.Bundle, len(regs))
		cases := make([][]*ledger.Bundle, len(regs))
		grew := false
		for i, reg := range regs {
			// Every statement about the product, whoever wrote it: the bundle must be complete.
			b, err := s.Store.LedgerBundle(ctx, 0, fmt.Sprintf("product/%d", reg.Product), true)
			if err != nil {
				return nil, err
			}
			for j := range b.Entries {
				if !revealTo(reg.AuthorityName, &b.Entries[j]) {
					b.Entries[j].Salt, b.Entries[j].Content = nil, nil
				}
			}
			cp, err := ledger.OpenCheckpoint(b.Checkpoint, b.VerifierKey)
			if err != nil {
				return nil, err
			}
			grew = grew || cp.Size != witnessed.Size
			bundles[i] = b
			// The statements of its cases, as commitments: they show when each report was
			// logged, and may name components, so their content stays.
			for _, c := range facts[i].Cases {
				cb, err := s.Store.LedgerBundle(ctx, 0, fmt.Sprintf("case/%d", c.ID), false)
				if err != nil {
					return nil, err
				}
				if ccp, err := ledger.OpenCheckpoint(cb.Checkpoint, cb.VerifierKey); err != nil || ccp.Size != witnessed.Size {
					grew = true
				}
				cases[i] = append(cases[i], cb)
			}
		}
		if grew && attempt < 2 {
			continue
		}
		if grew {
			return nil, errors.New("authority push: the ledger grew between each witness round and the records made after it; push again")
		}
		// One product's refusal does not hold back the others' records.
		var errs []error
		for i, reg := range regs {
			id, err := authorityID(reg.AuthorityName)
			if err != nil {
				errs = append(errs, fmt.Errorf("record of product %d: %w", reg.Product, err))
				continue
			}
			body, err := json.Marshal(map[string]any{"authority": id, "bundle": bundles[i], "cases": cases[i]})
			if err != nil {
				return out, err
			}
			var res app.RecordReceipt
			if err := pushCall(ctx, client, "POST", base+"/api/v1/authority/records", cfg.Token, body, &res); err != nil {
				errs = append(errs, fmt.Errorf("record of product %d: %w", reg.Product, err))
				continue
			}
			out = append(out, RecordPushResult{Product: reg.Product, Record: res.Record, Statement: res.Statement, Size: res.CheckpointSize})
		}
		return out, errors.Join(errs...)
	}
}
