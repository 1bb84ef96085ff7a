package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/siegel-oss/siegel/internal/ledger"
)

// Advisory is a published CSAF advisory.
type Advisory struct {
	ID            int64
	Organization  int64
	Product       int64
	Vulnerability string
	TrackingID    string
	Title         string
	Document      []byte // the CSAF document as served
	Signature     string // its armored detached OpenPGP signature
	Revisions     []AdvisoryRevision
	Initial       time.Time
	Current       time.Time
}

// AdvisoryRevision is one entry of an advisory's revision history.
type AdvisoryRevision struct {
	Date    time.Time `json:"date"`
	Summary string    `json:"summary"`
}

// ProviderKey returns the provider's armored OpenPGP private key, making one with mk the first
// time (several servers starting at once keep the one stored first).
func (s *DB) ProviderKey(ctx context.Context, mk func() (string, error)) (string, error) {
	return s.storedKey(ctx, "csaf_key", mk)
}

// storedKey returns the private key kept in table (one row, id 1), making one with mk the first
// time; several servers starting at once keep the one stored first. table is a constant of this
// package, never input.
func (s *DB) storedKey(ctx context.Context, table string, mk func() (string, error)) (string, error) {
	var key string
	err := s.sql.QueryRowContext(ctx, `SELECT private_key FROM `+table+` WHERE id = 1`).Scan(&key)
	if err == nil {
		return key, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", mapError(err)
	}
	if key, err = mk(); err != nil {
		return "", err
	}
	if _, err := s.sql.ExecContext(ctx, s.rebind(`INSERT INTO `+table+` (id, private_key, created_at) VALUES (1, ?, ?) ON CONFLICT (id) DO NOTHING`), key, s.now()); err != nil {
		return "", mapError(err)
	}
	err = s.sql.QueryRowContext(ctx, `SELECT private_key FROM `+table+` WHERE id = 1`).Scan(&key)
	return key, mapError(err)
}

// AdvisoryFor returns the advisory of a vulnerability in a product, or ErrNotFound.
func (s *DB) AdvisoryFor(ctx context.Context, product int64, vulnerability string) (*Advisory, error) {
	as, err := s.advisories(ctx, `WHERE product = ? AND vulnerability = ?`, product, vulnerability)
	if err != nil {
		return nil, err
	}
	if len(as) == 0 {
		return nil, ErrNotFound
	}
	return &as[0], nil
}

// AdvisoryByID returns an advisory.
func (s *DB) AdvisoryByID(ctx context.Context, id int64) (*Advisory, error) {
	as, err := s.advisories(ctx, `WHERE id = ?`, id)
	if err != nil {
		return nil, err
	}
	if len(as) == 0 {
		return nil, ErrNotFound
	}
	return &as[0], nil
}

// Advisories lists an organization's advisories, newest change first.
func (s *DB) Advisories(ctx context.Context, org int64) ([]Advisory, error) {
	return s.advisories(ctx, `WHERE organization = ? ORDER BY current_at DESC, id DESC`, org)
}

func (s *DB) advisories(ctx context.Context, where string, args ...any) ([]Advisory, error) {
	rows, err := s.sql.QueryContext(ctx, s.rebind(`SELECT id, organization, product, vulnerability, tracking_id, title, document, signature, revisions, initial_at, current_at
		FROM advisory `+where), args...)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	var out []Advisory
	for rows.Next() {
		var a Advisory
		var doc, revs string
		if err := rows.Scan(&a.ID, &a.Organization, &a.Product, &a.Vulnerability, &a.TrackingID, &a.Title, &doc, &a.Signature, &revs, &a.Initial, &a.Current); err != nil {
			return nil, err
		}
		a.Document, a.Initial, a.Current = []byte(doc), a.Initial.UTC(), a.Current.UTC()
		if err := json.Unmarshal([]byte(revs), &a.Revisions); err != nil {
			return nil, fmt.Errorf("advisory %d: revisions: %w", a.ID, err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// NextTrackingNumber counts the organization's advisories first published in year, plus one.
func (s *DB) NextTrackingNumber(ctx context.Context, org int64, year int) (int, error) {
	from := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
	var n int
	err := s.sql.QueryRowContext(ctx, s.rebind(`SELECT count(*) FROM advisory WHERE organization = ? AND initial_at >= ? AND initial_at < ?`),
		org, from, from.AddDate(1, 0, 0)).Scan(&n)
	return n + 1, mapError(err)
}

// SaveAdvisory stores a new advisory or a new revision of one (same product and vulnerability).
func (s *DB) SaveAdvisory(ctx context.Context, a *Advisory) error {
	revs, err := json.Marshal(a.Revisions)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if a.ID == 0 {
			err = tx.QueryRowContext(ctx, s.rebind(`INSERT INTO advisory (organization, product, vulnerability, tracking_id, title, document, signature, revisions, initial_at, current_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), a.Organization, a.Product, a.Vulnerability, a.TrackingID, a.Title, string(a.Document),
				a.Signature, string(revs), a.Initial, a.Current).Scan(&a.ID)
		} else {
			_, err = tx.ExecContext(ctx, s.rebind(`UPDATE advisory SET title = ?, document = ?, signature = ?, revisions = ?, current_at = ? WHERE id = ?`),
				a.Title, string(a.Document), a.Signature, string(revs), a.Current, a.ID)
		}
		if err != nil {
			return err
		}
		sum := sha256.Sum256(a.Document)
		if err := s.appendLedger(ctx, tx, a.Organization, ledger.AdvisoryPublished, fmt.Sprintf("advisory/%d", a.ID),
			map[string]any{"trackingId": a.TrackingID, "revision": len(a.Revisions), "vulnerability": a.Vulnerability, "sha256": hex.EncodeToString(sum[:])}); err != nil {
			return err
		}
		return s.audit(ctx, tx, a.Organization, "advisory.publish", fmt.Sprintf("advisory/%d", a.ID), fmt.Sprintf("%s revision %d: %s", a.TrackingID, len(a.Revisions), a.Vulnerability))
	})
}
