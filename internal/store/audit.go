package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

type actorKey struct{}

// WithActor names who acts in ctx ("user:alice@example.com", "token:ci", "system:monitor"): every
// change made with ctx is recorded in the audit trail under that name.
func WithActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// Actor returns who acts in ctx, as WithActor named them ("system" when nobody was named).
func Actor(ctx context.Context) string { return actorOf(ctx) }

func actorOf(ctx context.Context) string {
	if a, ok := ctx.Value(actorKey{}).(string); ok && a != "" {
		return a
	}
	return "system"
}

// AuditEvent is one entry of the audit trail: who changed what, when.
type AuditEvent struct {
	ID           int64
	Organization int64
	Actor        string
	Action       string // product.create, release.create, sbom.upload, vex.set, channel.add, ...
	Subject      string // kind/id
	Detail       string
	At           time.Time
}

// audit records a change in the transaction that makes it: the trail cannot miss a change or
// record one that did not happen.
func (s *DB) audit(ctx context.Context, tx *sql.Tx, org int64, action, subject, detail string) error {
	_, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO audit_event (organization, actor, action, subject, detail, at) VALUES (?, ?, ?, ?, ?, ?)`),
		org, actorOf(ctx), action, subject, detail, s.now())
	if err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

// auditRelease records a change to a release, under the release's organization.
func (s *DB) auditRelease(ctx context.Context, tx *sql.Tx, release int64, action, subject, detail string) error {
	var org int64
	if err := tx.QueryRowContext(ctx, s.rebind(`SELECT p.organization FROM release r JOIN product p ON p.id = r.product WHERE r.id = ?`), release).Scan(&org); err != nil {
		return err
	}
	return s.audit(ctx, tx, org, action, subject, detail)
}

// AuditEvents returns an organization's newest audit entries first.
func (s *DB) AuditEvents(ctx context.Context, org int64, limit int) ([]AuditEvent, error) {
	rows, err := s.sql.QueryContext(ctx, s.rebind(`SELECT id, organization, actor, action, subject, detail, at FROM audit_event
		WHERE organization = ? ORDER BY id DESC LIMIT ?`), org, limit)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	var out []AuditEvent
	for rows.Next() {
		var e AuditEvent
		if err := rows.Scan(&e.ID, &e.Organization, &e.Actor, &e.Action, &e.Subject, &e.Detail, &e.At); err != nil {
			return nil, err
		}
		e.At = e.At.UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

// releaseOrg returns the organization of a release.
func (s *DB) releaseOrg(ctx context.Context, tx *sql.Tx, release int64) (int64, error) {
	var org int64
	err := tx.QueryRowContext(ctx, s.rebind(`SELECT p.organization FROM release r JOIN product p ON p.id = r.product WHERE r.id = ?`), release).Scan(&org)
	return org, err
}
