package app

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/siegel-oss/siegel/internal/authority"
	"github.com/siegel-oss/siegel/internal/ledger"
	"github.com/siegel-oss/siegel/internal/store"
)

// viewSourceJSON says where a remote product's view comes from.
type viewSourceJSON struct {
	Record int64  `json:"record"` // GET /api/v1/authority/records/{record} answers its bundle
	Origin string `json:"origin"`
	// Statement is the log index of the record's statement, CheckpointSize the witnessed
	// checkpoint that proves it.
	Statement      int64     `json:"statement"`
	CheckpointSize int64     `json:"checkpointSize"`
	ReceivedAt     time.Time `json:"receivedAt"`
	// DeclaredName is the manufacturer's name as its record states it.
	DeclaredName string `json:"declaredName"`
}

// RemoteRecords reads the records kept for an authority with their facts.
func (s *Deps) RemoteRecords(ctx context.Context, authorityOrg int64) ([]store.AuthorityRecord, []RecordFacts, error) {
	recs, err := s.Store.AuthorityRecords(ctx, authorityOrg)
	if err != nil {
		return nil, nil, err
	}
	facts := make([]RecordFacts, len(recs))
	for i := range recs {
		// Verified when kept; decoded again because the store is not the boundary of trust.
		if facts[i], err = DecodeRecordFacts(recs[i].Facts); err != nil {
			return nil, nil, fmt.Errorf("authority record %d: %w", recs[i].ID, err)
		}
	}
	return recs, facts, nil
}

// AuthorityViews is the scoped view of every product registered with the authority: those of
// this server's manufacturers, then those whose manufacturers pushed records from theirs.
func (s *Deps) AuthorityViews(ctx context.Context, authorityOrg int64) ([]ViewProductJSON, error) {
	regs, err := s.Store.Registrations(ctx, authorityOrg, 0)
	if err != nil {
		return nil, err
	}
	out := []ViewProductJSON{}
	for _, reg := range regs {
		prod, err := s.Store.Product(ctx, reg.Product)
		if err != nil {
			return nil, err
		}
		v, err := s.ProductView(ctx, prod, reg)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	recs, facts, err := s.RemoteRecords(ctx, authorityOrg)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	for i, rec := range recs {
		org, err := s.Store.OrganizationByID(ctx, rec.Organization)
		if err != nil {
			return nil, err
		}
		v := facts[i].view(rec.Organization, org.Name, now)
		v.Source = &viewSourceJSON{Record: rec.ID, Origin: rec.Origin, Statement: rec.StatementIndex, CheckpointSize: rec.CheckpointSize,
			ReceivedAt: rec.ReceivedAt, DeclaredName: facts[i].Manufacturer.Name}
		b, err := ledger.DecodeBundle(bytes.NewReader(rec.Bundle))
		if err != nil {
			return nil, fmt.Errorf("authority record %d: %w", rec.ID, err)
		}
		if cp, err := ledger.OpenCheckpoint(b.Checkpoint, b.VerifierKey); err == nil {
			v.Ledger = ViewLedgerJSON{Origin: cp.Origin, Size: cp.Size, Root: fmt.Sprintf("%x", cp.Root[:])}
		}
		if v.Ledger.Witnessed, err = s.witnessStateOf(ctx, rec.Organization); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// remoteSweepInputs are the sweep's inputs of the records pushed from other servers.
func (s *Deps) remoteSweepInputs(ctx context.Context, authorityOrg int64) ([]authority.SweepProduct, error) {
	_, facts, err := s.RemoteRecords(ctx, authorityOrg)
	if err != nil {
		return nil, err
	}
	out := make([]authority.SweepProduct, 0, len(facts))
	for i := range facts {
		out = append(out, facts[i].sweepProduct())
	}
	return out, nil
}

// RecordReceipt is the authority's answer to a record it kept.
type RecordReceipt struct {
	Record         int64     `json:"record"`
	Product        int64     `json:"product"`
	Origin         string    `json:"origin"`
	Statement      int64     `json:"statement"`
	CheckpointSize int64     `json:"checkpointSize"`
	ReceivedAt     time.Time `json:"receivedAt"`
}
