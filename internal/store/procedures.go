package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/siegel-oss/siegel/internal/authority"
	"github.com/siegel-oss/siegel/internal/ledger"
)

// Procedure is a market surveillance procedure (CRA Chapter V) an authority opened about a
// product, with its events.
type Procedure struct {
	ID           int64
	Authority    int64
	Organization int64 // the manufacturer of the product
	Kind         string
	Product      int64
	ProductName  string
	Title        string
	CreatedAt    time.Time
	Events       []authority.Event
}

// Domain is the procedure as internal/authority checks and clocks it.
func (p *Procedure) Domain() authority.Procedure {
	return authority.Procedure{Kind: p.Kind, Product: p.ProductName, Events: p.Events}
}

// OpenProcedure opens a procedure of kind about a product, its first event "open" at the store's
// now, in the audit trail and the ledger of the authority in the same transaction.
func (s *DB) OpenProcedure(ctx context.Context, authorityOrg, product int64, kind, title, actor string) (*Procedure, error) {
	p := &Procedure{Authority: authorityOrg, Kind: kind, Product: product, Title: title, CreatedAt: s.now()}
	first := authority.Event{At: p.CreatedAt, Action: authority.ActOpen, Reason: title, By: actor}
	if _, err := (authority.Procedure{Kind: kind, Events: []authority.Event{first}}).State(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if title == "" {
		return nil, fmt.Errorf("%w: a procedure needs a title that says what it is about", ErrInvalid)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, s.rebind(`SELECT p.name, p.organization FROM product p WHERE p.id = ?`), product).Scan(&p.ProductName, &p.Organization); err != nil {
			return fmt.Errorf("product %d: %w", product, mapError(err))
		}
		if err := tx.QueryRowContext(ctx, s.rebind(`INSERT INTO procedure (authority, kind, product, title, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`),
			authorityOrg, kind, product, title, p.CreatedAt).Scan(&p.ID); err != nil {
			return mapError(err)
		}
		return s.addProcedureEvent(ctx, tx, p, first)
	})
	if err != nil {
		return nil, err
	}
	p.Events = []authority.Event{first}
	return p, nil
}

// AddProcedureEvent records the next event of a procedure, after checking that the procedure
// allows it (authority.Procedure.State), with the audit entry and the ledger statement in the
// same transaction. The event's time is the store's now unless given.
func (s *DB) AddProcedureEvent(ctx context.Context, id int64, e authority.Event) (*Procedure, error) {
	if e.At.IsZero() {
		e.At = s.now()
	}
	e.At = e.At.UTC()
	if !e.Due.IsZero() {
		e.Due = e.Due.UTC()
	}
	var out *Procedure
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		p, err := s.procedure(ctx, tx, id)
		if err != nil {
			return err
		}
		next := p.Domain()
		next.Events = append(next.Events, e)
		if _, err := next.State(); err != nil {
			return fmt.Errorf("%w: %v", ErrConflict, err)
		}
		if err := s.addProcedureEvent(ctx, tx, p, e); err != nil {
			return err
		}
		p.Events = next.Events
		out = p
		return nil
	})
	return out, err
}

func (s *DB) addProcedureEvent(ctx context.Context, tx *sql.Tx, p *Procedure, e authority.Event) error {
	seq := len(p.Events) + 1
	if _, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO procedure_event (procedure, seq, action, at, due, reason, actor) VALUES (?, ?, ?, ?, ?, ?, ?)`),
		p.ID, seq, e.Action, e.At, nullTime(e.Due), e.Reason, e.By); err != nil {
		return mapError(err)
	}
	subject := fmt.Sprintf("procedure/%d", p.ID)
	if err := s.audit(ctx, tx, p.Authority, "procedure."+e.Action, subject, e.Reason); err != nil {
		return err
	}
	content := map[string]any{"kind": p.Kind, "product": p.Product, "manufacturer": p.Organization, "seq": seq, "action": e.Action,
		"at": e.At, "reason": e.Reason, "actor": e.By}
	if !e.Due.IsZero() {
		content["due"] = e.Due
	}
	return s.appendLedger(ctx, tx, p.Authority, ledger.ProcedureEvent, subject, content)
}

// ProcedureByID returns a procedure with its events.
func (s *DB) ProcedureByID(ctx context.Context, id int64) (*Procedure, error) {
	return s.procedure(ctx, s.sql, id)
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (s *DB) procedure(ctx context.Context, q querier, id int64) (*Procedure, error) {
	p := &Procedure{ID: id}
	if err := q.QueryRowContext(ctx, s.rebind(`SELECT pr.authority, p.organization, pr.kind, pr.product, p.name, pr.title, pr.created_at
		FROM procedure pr JOIN product p ON p.id = pr.product WHERE pr.id = ?`), id).
		Scan(&p.Authority, &p.Organization, &p.Kind, &p.Product, &p.ProductName, &p.Title, &p.CreatedAt); err != nil {
		return nil, fmt.Errorf("procedure %d: %w", id, mapError(err))
	}
	p.CreatedAt = p.CreatedAt.UTC()
	rows, err := q.QueryContext(ctx, s.rebind(`SELECT action, at, due, reason, actor FROM procedure_event WHERE procedure = ? ORDER BY seq`), id)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	for rows.Next() {
		var e authority.Event
		var due sql.NullTime
		if err := rows.Scan(&e.Action, &e.At, &due, &e.Reason, &e.By); err != nil {
			return nil, err
		}
		e.At = e.At.UTC()
		if due.Valid {
			e.Due = due.Time.UTC()
		}
		p.Events = append(p.Events, e)
	}
	return p, rows.Err()
}

// Procedures returns the procedures an authority opened, newest first.
func (s *DB) Procedures(ctx context.Context, authorityOrg int64) ([]Procedure, error) {
	rows, err := s.sql.QueryContext(ctx, s.rebind(`SELECT id FROM procedure WHERE authority = ? ORDER BY id DESC`), authorityOrg)
	if err != nil {
		return nil, mapError(err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]Procedure, 0, len(ids))
	for _, id := range ids {
		p, err := s.ProcedureByID(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, *p)
	}
	return out, nil
}
