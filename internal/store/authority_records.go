package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/ledger"
)

// RemoteRegistration is a product registered with a market surveillance authority that runs its
// own server: this server pushes the product's signed records there.
type RemoteRegistration struct {
	Product       int64
	ProductName   string
	Organization  int64 // the manufacturer
	AuthorityURL  string
	AuthorityName string // the authority organization's name on its server
	RegisteredAt  time.Time
	Actor         string
}

// RegisterRemote registers a product of org with the authority named name on the server at url,
// with the ledger statement of the manufacturer in the same transaction (its content names the
// authority, so the authority can tell the registration was made with it). Registering twice is
// a conflict.
func (s *DB) RegisterRemote(ctx context.Context, org, product int64, url, name, actor string) (*RemoteRegistration, error) {
	url, name = strings.TrimRight(strings.TrimSpace(url), "/"), strings.TrimSpace(name)
	if url == "" || name == "" || len(name) > 200 {
		return nil, fmt.Errorf("%w: an authority on another server is named by its server's URL and its organization's name (at most 200 characters)", ErrInvalid)
	}
	r := &RemoteRegistration{Product: product, Organization: org, AuthorityURL: url, AuthorityName: name, RegisteredAt: s.now(), Actor: actor}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var owner int64
		if err := tx.QueryRowContext(ctx, s.rebind(`SELECT organization, name FROM product WHERE id = ?`), product).Scan(&owner, &r.ProductName); err != nil {
			return fmt.Errorf("product %d: %w", product, mapError(err))
		}
		if owner != org {
			return fmt.Errorf("product %d: %w", product, ErrNotFound)
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO remote_registration (product, authority_url, authority_name, registered_at, actor) VALUES (?, ?, ?, ?, ?)`),
			product, url, name, r.RegisteredAt, actor); err != nil {
			return mapError(err)
		}
		subject := fmt.Sprintf("product/%d", product)
		if err := s.audit(ctx, tx, org, "product.registered", subject, "registered with "+name+" at "+url); err != nil {
			return err
		}
		return s.appendLedger(ctx, tx, org, ledger.ProductRegistered, subject, map[string]any{"authority": name, "authorityUrl": url, "at": r.RegisteredAt})
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// RemoteRegistrations returns the products of org (every organization's when org is 0)
// registered with authorities on other servers, by product.
func (s *DB) RemoteRegistrations(ctx context.Context, org int64) ([]RemoteRegistration, error) {
	q := `SELECT r.product, p.name, p.organization, r.authority_url, r.authority_name, r.registered_at, r.actor
		FROM remote_registration r JOIN product p ON p.id = r.product`
	var args []any
	if org != 0 {
		q, args = q+` WHERE p.organization = ?`, []any{org}
	}
	rows, err := s.sql.QueryContext(ctx, s.rebind(q+` ORDER BY r.product, r.authority_url, r.authority_name`), args...)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	var out []RemoteRegistration
	for rows.Next() {
		var r RemoteRegistration
		if err := rows.Scan(&r.Product, &r.ProductName, &r.Organization, &r.AuthorityURL, &r.AuthorityName, &r.RegisteredAt, &r.Actor); err != nil {
			return nil, err
		}
		r.RegisteredAt = r.RegisteredAt.UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}

// AuthorityRecord is, on an authority's server, the latest verified record of a product that a
// manufacturer on another server registered with the authority: the facts of the authority's
// scoped view as the manufacturer's ledger states them, and the ledger bundle that proves it.
type AuthorityRecord struct {
	ID           int64
	Authority    int64
	Organization int64  // the manufacturer's organization on this server (the pushing token's)
	Origin       string // the manufacturer's log
	Product      int64  // the product's id on the manufacturer's server
	Facts        []byte // JSON, the content of the statement at StatementIndex
	// StatementIndex is the log index of the statement that declares the facts, and
	// CheckpointSize the size of the witnessed checkpoint the bundle proves it against.
	StatementIndex int64
	CheckpointSize int64
	Bundle         []byte // the verified ledger bundle of the product's statements, JSON
	CaseBundles    []byte // a JSON list of the verified bundles of its cases' statements
	ReceivedAt     time.Time
}

// PutAuthorityRecord keeps a verified record, replacing the earlier one of the same product, with
// a statement in this server's ledger in the same transaction. A record whose statement is not
// later in the log than the one kept is a conflict: records only move forward.
func (s *DB) PutAuthorityRecord(ctx context.Context, a AuthorityRecord) (*AuthorityRecord, error) {
	a.ReceivedAt = s.now()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var id, idx int64
		err := tx.QueryRowContext(ctx, s.rebind(`SELECT id, statement_index FROM authority_record WHERE authority = ? AND origin = ? AND product = ?`),
			a.Authority, a.Origin, a.Product).Scan(&id, &idx)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			err = tx.QueryRowContext(ctx, s.rebind(`INSERT INTO authority_record (authority, organization, origin, product, facts, statement_index, checkpoint_size, bundle, case_bundles, received_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
				a.Authority, a.Organization, a.Origin, a.Product, string(a.Facts), a.StatementIndex, a.CheckpointSize, string(a.Bundle), string(a.CaseBundles), a.ReceivedAt).Scan(&a.ID)
		case err != nil:
		case a.StatementIndex < idx:
			return fmt.Errorf("%w: the record kept of product %d of %s is stated at log index %d, later than the %d pushed", ErrConflict, a.Product, a.Origin, idx, a.StatementIndex)
		default:
			a.ID = id
			_, err = tx.ExecContext(ctx, s.rebind(`UPDATE authority_record SET organization = ?, facts = ?, statement_index = ?, checkpoint_size = ?, bundle = ?, case_bundles = ?, received_at = ? WHERE id = ?`),
				a.Organization, string(a.Facts), a.StatementIndex, a.CheckpointSize, string(a.Bundle), string(a.CaseBundles), a.ReceivedAt, id)
		}
		if err != nil {
			return mapError(err)
		}
		return s.appendLedger(ctx, tx, a.Authority, ledger.AuthorityRecordReceived, fmt.Sprintf("authority-record/%d", a.ID),
			map[string]any{"organization": a.Organization, "origin": a.Origin, "product": a.Product, "statementIndex": a.StatementIndex,
				"checkpointSize": a.CheckpointSize, "factsSha256": fmt.Sprintf("%x", sha256.Sum256(a.Facts))})
	})
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// AuthorityRecords returns the records kept for an authority, by manufacturer and product.
func (s *DB) AuthorityRecords(ctx context.Context, authorityOrg int64) ([]AuthorityRecord, error) {
	return s.authorityRecords(ctx, `WHERE authority = ? ORDER BY organization, origin, product`, authorityOrg)
}

// AuthorityRecordByID returns one record; ErrNotFound when there is none.
func (s *DB) AuthorityRecordByID(ctx context.Context, id int64) (*AuthorityRecord, error) {
	out, err := s.authorityRecords(ctx, `WHERE id = ?`, id)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, ErrNotFound
	}
	return &out[0], nil
}

func (s *DB) authorityRecords(ctx context.Context, where string, args ...any) ([]AuthorityRecord, error) {
	rows, err := s.sql.QueryContext(ctx, s.rebind(`SELECT id, authority, organization, origin, product, facts, statement_index, checkpoint_size, bundle, case_bundles, received_at
		FROM authority_record `+where), args...)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	var out []AuthorityRecord
	for rows.Next() {
		var a AuthorityRecord
		var facts, bundle, cases string
		if err := rows.Scan(&a.ID, &a.Authority, &a.Organization, &a.Origin, &a.Product, &facts, &a.StatementIndex, &a.CheckpointSize, &bundle, &cases, &a.ReceivedAt); err != nil {
			return nil, err
		}
		a.Facts, a.Bundle, a.CaseBundles, a.ReceivedAt = []byte(facts), []byte(bundle), []byte(cases), a.ReceivedAt.UTC()
		out = append(out, a)
	}
	return out, rows.Err()
}
