package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/ledger"
)

// FirmwareAnalysis is the stored result of analysing a release's firmware image.
type FirmwareAnalysis struct {
	ID         int64
	Release    int64
	ImageName  string
	SHA256     string
	Size       int64
	Report     []byte // JSON, as internal/firmware reports it
	AnalysedAt time.Time
	Job        int64 // the job that made it (0: a request)
	SBOM       int64 // the SBOM of its inventory stored with it (0: none, or stored apart)
}

// AddFirmwareAnalysis stores an analysis and records it in the ledger.
func (s *DB) AddFirmwareAnalysis(ctx context.Context, a *FirmwareAnalysis) error {
	return s.inTx(ctx, func(tx *sql.Tx) error { return s.insertFirmwareAnalysis(ctx, tx, a, 0) })
}

func (s *DB) insertFirmwareAnalysis(ctx context.Context, tx *sql.Tx, a *FirmwareAnalysis, sbom int64) error {
	a.AnalysedAt, a.SBOM = s.now(), sbom
	job, sb := sql.NullInt64{Int64: a.Job, Valid: a.Job != 0}, sql.NullInt64{Int64: sbom, Valid: sbom != 0}
	if err := tx.QueryRowContext(ctx, s.rebind(`INSERT INTO firmware_analysis (release, image_name, sha256, size, report, analysed_at, job, sbom)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), a.Release, a.ImageName, a.SHA256, a.Size, string(a.Report), a.AnalysedAt, job, sb).Scan(&a.ID); err != nil {
		return mapError(err)
	}
	org, err := s.releaseOrg(ctx, tx, a.Release)
	if err != nil {
		return err
	}
	if err := s.auditRelease(ctx, tx, a.Release, "firmware.analysed", fmt.Sprintf("firmware/%d", a.ID), a.ImageName); err != nil {
		return err
	}
	return s.appendLedger(ctx, tx, org, ledger.FirmwareAnalysed, fmt.Sprintf("release/%d", a.Release),
		map[string]any{"image": a.ImageName, "sha256": a.SHA256, "size": a.Size})
}

// LatestFirmwareAnalysis returns the newest analysis of a release, or ErrNotFound.
func (s *DB) LatestFirmwareAnalysis(ctx context.Context, release int64) (*FirmwareAnalysis, error) {
	return scanFirmwareAnalysis(s.sql.QueryRowContext(ctx, s.rebind(`SELECT `+firmwareAnalysisColumns+` FROM firmware_analysis
		WHERE release = ? ORDER BY id DESC LIMIT 1`), release))
}

// Attestation is a named person's signed-off statement that a requirement is met, with the
// document that supports it.
type Attestation struct {
	ID           int64
	Release      int64
	Requirement  string
	DocumentName string
	SHA256       string
	SignedBy     string
	Role         string
	Content      []byte // the document, when it was uploaded; its SHA-256 is SHA256
	CreatedAt    time.Time
}

// AddAttestation stores an attestation and records it in the ledger.
func (s *DB) AddAttestation(ctx context.Context, a *Attestation) error {
	if a.Requirement == "" || a.SignedBy == "" || a.Role == "" || a.DocumentName == "" {
		return fmt.Errorf("an attestation needs a requirement, a document, a signatory and a role")
	}
	a.CreatedAt = s.now()
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, s.rebind(`INSERT INTO attestation (release, requirement, document_name, sha256, signed_by, role, content, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), a.Release, a.Requirement, a.DocumentName, a.SHA256, a.SignedBy, a.Role, a.Content, a.CreatedAt).Scan(&a.ID); err != nil {
			return mapError(err)
		}
		org, err := s.releaseOrg(ctx, tx, a.Release)
		if err != nil {
			return err
		}
		return s.appendLedger(ctx, tx, org, ledger.AttestationSigned, fmt.Sprintf("release/%d", a.Release),
			map[string]any{"requirement": a.Requirement, "document": a.DocumentName, "sha256": a.SHA256, "signedBy": a.SignedBy, "role": a.Role})
	})
}

// AttestationDocument returns the uploaded document of an attestation of the release, or ErrNotFound.
func (s *DB) AttestationDocument(ctx context.Context, release, id int64) (name string, content []byte, err error) {
	err = s.sql.QueryRowContext(ctx, s.rebind(`SELECT document_name, content FROM attestation WHERE release = ? AND id = ? AND content IS NOT NULL`),
		release, id).Scan(&name, &content)
	return name, content, mapError(err)
}

// Attestations returns a release's attestations, oldest first (without their documents).
func (s *DB) Attestations(ctx context.Context, release int64) ([]Attestation, error) {
	rows, err := s.sql.QueryContext(ctx, s.rebind(`SELECT id, release, requirement, document_name, sha256, signed_by, role, created_at
		FROM attestation WHERE release = ? ORDER BY id`), release)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	var out []Attestation
	for rows.Next() {
		var a Attestation
		if err := rows.Scan(&a.ID, &a.Release, &a.Requirement, &a.DocumentName, &a.SHA256, &a.SignedBy, &a.Role, &a.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// LabelKey returns the label issuer's private key (as mk encodes it), making one with mk the first
// time; several servers starting at once keep the one stored first.
func (s *DB) LabelKey(ctx context.Context, mk func() (string, error)) (string, error) {
	return s.storedKey(ctx, "label_key", mk)
}

// Label statuses.
const (
	LabelValid     = "valid"
	LabelSuspended = "suspended"
	LabelRevoked   = "revoked"
	LabelExpired   = "expired"
)

// Label is a security label issued for a release.
type Label struct {
	ID           string
	Organization int64
	Release      int64
	Catalogs     []string
	Status       string
	Reason       string
	Seq          int // the number of the current statement; each status change adds one
	IssuedAt     time.Time
	Since        time.Time // when the current status began
	Statement    []byte    // the current signed statement
	// ValidUntil is the end of the term; zero for labels issued before labels had one. Set by
	// IssueLabel from TermMonths.
	ValidUntil time.Time
	TermMonths int
	// Revocation is an authority's announced or effective revocation, nil when none stands.
	Revocation *LabelRevocation
}

// LabelRevocation is an authority's revocation of a label: it takes effect at Effective, the end
// of the manufacturer's comment period, or at once when security required it.
type LabelRevocation struct {
	By, Reason string
	Effective  time.Time
}

// LabelEvent is one entry of a label's history.
type LabelEvent struct {
	Seq       int
	Status    string
	Reason    string
	Actor     string
	At        time.Time
	Statement []byte
}

// RevokedError refuses a new label for a release whose label the issuer revoked.
type RevokedError struct {
	Label  string
	Reason string
	Since  time.Time
}

func (e *RevokedError) Error() string {
	return fmt.Sprintf("label %s of this release was revoked by the issuer on %s (%s): a new label cannot replace it; only the issuer can lift the revocation",
		e.Label, e.Since.UTC().Format(time.RFC3339), e.Reason)
}

// Signer makes the signed statement of a label in the state given; it runs inside the
// transaction that stores the state, so the statement and the state never disagree.
type Signer func(l *Label) ([]byte, error)

// IssueLabel stores a new label (ID, Organization, Release, Catalogs, Reason set by the caller)
// as valid, with its first statement, its history entry and a ledger statement, in one transaction.
func (s *DB) IssueLabel(ctx context.Context, l *Label, actor string, sign Signer) error {
	now := s.now()
	l.Status, l.Seq, l.IssuedAt, l.Since = LabelValid, 1, now, now
	if l.TermMonths > 0 {
		l.ValidUntil = now.AddDate(0, l.TermMonths, 0)
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		// A label the issuer revoked stays the release's answer: a new declaration must not
		// replace it. Only the issuer lifts a revocation (SetLabelStatus with reinstate).
		var rev RevokedError
		err := tx.QueryRowContext(ctx, s.rebind(`SELECT id, reason, since FROM label WHERE release = ? AND status = ? ORDER BY since DESC LIMIT 1`),
			l.Release, LabelRevoked).Scan(&rev.Label, &rev.Reason, &rev.Since)
		switch {
		case err == nil:
			return &rev
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		st, err := sign(l)
		if err != nil {
			return err
		}
		l.Statement = st
		if _, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO label (id, organization, release, catalogs, status, reason, seq, issued_at, since, statement, valid_until)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), l.ID, l.Organization, l.Release, strings.Join(l.Catalogs, ","), l.Status, l.Reason, l.Seq,
			l.IssuedAt, l.Since, string(st), nullTime(l.ValidUntil)); err != nil {
			return mapError(err)
		}
		return s.labelEvent(ctx, tx, l, actor, ledger.LabelIssued)
	})
}

func (s *DB) labelEvent(ctx context.Context, tx *sql.Tx, l *Label, actor, typ string) error {
	if _, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO label_event (label, seq, status, reason, actor, at, statement) VALUES (?, ?, ?, ?, ?, ?, ?)`),
		l.ID, l.Seq, l.Status, l.Reason, actor, l.Since, string(l.Statement)); err != nil {
		return mapError(err)
	}
	if err := s.audit(ctx, tx, l.Organization, "label."+l.Status, "label/"+l.ID, l.Reason); err != nil {
		return err
	}
	return s.appendLedger(ctx, tx, l.Organization, typ, "label/"+l.ID,
		map[string]any{"status": l.Status, "reason": l.Reason, "seq": l.Seq, "release": l.Release, "actor": actor})
}

// SetLabelStatus moves a label to status with reason, signing a new statement, unless it already
// has that status and reason. A revoked label only leaves that status when reinstate is true
// (an authority's decision). It reports whether anything changed.
func (s *DB) SetLabelStatus(ctx context.Context, id, status, reason, actor string, reinstate bool, sign Signer) (bool, error) {
	changed := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		l, err := s.lockLabel(ctx, tx, id)
		if err != nil {
			return err
		}
		if l.Status == status && l.Reason == reason {
			return nil
		}
		if (l.Status == LabelRevoked && !reinstate) || l.Status == LabelExpired {
			return nil
		}
		typ := map[string]string{LabelValid: ledger.LabelReinstated, LabelSuspended: ledger.LabelSuspended, LabelRevoked: ledger.LabelRevoked, LabelExpired: ledger.LabelExpired}[status]
		if typ == "" {
			return fmt.Errorf("label status %q: want valid, suspended or revoked", status)
		}
		l.Status, l.Reason, l.Seq, l.Since = status, reason, l.Seq+1, s.now()
		if l.Statement, err = sign(l); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE label SET status = ?, reason = ?, seq = ?, since = ?, statement = ? WHERE id = ?`),
			l.Status, l.Reason, l.Seq, l.Since, string(l.Statement), l.ID); err != nil {
			return mapError(err)
		}
		if reinstate {
			// A reinstatement ends the revocation, announced or in effect.
			if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE label SET revoke_by = NULL, revoke_reason = NULL, revoke_at = NULL WHERE id = ?`), l.ID); err != nil {
				return mapError(err)
			}
		}
		changed = true
		return s.labelEvent(ctx, tx, l, actor, typ)
	})
	return changed, err
}

// lockLabel reads a label in tx, locked against concurrent changes until tx ends (PostgreSQL;
// SQLite has one writer).
func (s *DB) lockLabel(ctx context.Context, tx *sql.Tx, id string) (*Label, error) {
	q := `SELECT id, organization, release, catalogs, status, reason, seq, issued_at, since, statement, valid_until, revoke_by, revoke_reason, revoke_at FROM label WHERE id = ?`
	if s.dialect == Postgres {
		q += ` FOR UPDATE`
	}
	return scanLabel(tx.QueryRowContext(ctx, s.rebind(q), id))
}

type rowScanner interface{ Scan(...any) error }

func scanLabel(r rowScanner) (*Label, error) {
	l := &Label{}
	var catalogs, st string
	var until, revokeAt sql.NullTime
	var revokeBy, revokeReason sql.NullString
	if err := r.Scan(&l.ID, &l.Organization, &l.Release, &catalogs, &l.Status, &l.Reason, &l.Seq, &l.IssuedAt, &l.Since, &st,
		&until, &revokeBy, &revokeReason, &revokeAt); err != nil {
		return nil, mapError(err)
	}
	l.Catalogs, l.Statement = strings.Split(catalogs, ","), []byte(st)
	if until.Valid {
		l.ValidUntil = until.Time.UTC()
	}
	if revokeAt.Valid {
		l.Revocation = &LabelRevocation{By: revokeBy.String, Reason: revokeReason.String, Effective: revokeAt.Time.UTC()}
	}
	return l, nil
}

// LabelByID returns a label, or ErrNotFound.
func (s *DB) LabelByID(ctx context.Context, id string) (*Label, error) {
	return scanLabel(s.sql.QueryRowContext(ctx, s.rebind(`SELECT id, organization, release, catalogs, status, reason, seq, issued_at, since, statement, valid_until, revoke_by, revoke_reason, revoke_at
		FROM label WHERE id = ?`), id))
}

// Labels returns the labels of an organization (every label when org is 0), newest first.
func (s *DB) Labels(ctx context.Context, org int64) ([]Label, error) {
	q := `SELECT id, organization, release, catalogs, status, reason, seq, issued_at, since, statement, valid_until, revoke_by, revoke_reason, revoke_at FROM label`
	var args []any
	if org != 0 {
		q += ` WHERE organization = ?`
		args = append(args, org)
	}
	rows, err := s.sql.QueryContext(ctx, s.rebind(q+` ORDER BY issued_at DESC, id`), args...)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	var out []Label
	for rows.Next() {
		l, err := scanLabel(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *l)
	}
	return out, rows.Err()
}

// LabelEvents returns a label's history, oldest first.
func (s *DB) LabelEvents(ctx context.Context, id string) ([]LabelEvent, error) {
	rows, err := s.sql.QueryContext(ctx, s.rebind(`SELECT seq, status, reason, actor, at, statement FROM label_event WHERE label = ? ORDER BY seq`), id)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	var out []LabelEvent
	for rows.Next() {
		var e LabelEvent
		var st string
		if err := rows.Scan(&e.Seq, &e.Status, &e.Reason, &e.Actor, &e.At, &st); err != nil {
			return nil, err
		}
		e.Statement = []byte(st)
		out = append(out, e)
	}
	return out, rows.Err()
}

// nullTime is t for a nullable column, NULL when t is zero.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

// AnnounceRevocation records an authority's revocation of a label that takes effect at effective
// (the end of the manufacturer's comment period; now or earlier for immediate action), with an
// audit entry and a ledger statement in the same transaction. The status itself changes through
// SetLabelStatus once the revocation is effective. A second announcement replaces the first.
func (s *DB) AnnounceRevocation(ctx context.Context, id, by, reason string, effective time.Time) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var org int64
		var status string
		if err := tx.QueryRowContext(ctx, s.rebind(`SELECT organization, status FROM label WHERE id = ?`), id).Scan(&org, &status); err != nil {
			return mapError(err)
		}
		if status == LabelRevoked {
			return fmt.Errorf("%w: label %s is already revoked", ErrConflict, id)
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE label SET revoke_by = ?, revoke_reason = ?, revoke_at = ? WHERE id = ?`),
			by, reason, effective.UTC(), id); err != nil {
			return mapError(err)
		}
		if err := s.audit(ctx, tx, org, "label.revocation-announced", "label/"+id, reason); err != nil {
			return err
		}
		return s.appendLedger(ctx, tx, org, ledger.LabelRevocationAnnounced, "label/"+id,
			map[string]any{"by": by, "reason": reason, "effective": effective.UTC()})
	})
}

// WithdrawRevocation lifts an announced revocation that has not taken effect (the comment
// period convinced the authority), with a reason, in the audit trail and the ledger.
func (s *DB) WithdrawRevocation(ctx context.Context, id, by, reason string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var org int64
		var status string
		var at sql.NullTime
		if err := tx.QueryRowContext(ctx, s.rebind(`SELECT organization, status, revoke_at FROM label WHERE id = ?`), id).Scan(&org, &status, &at); err != nil {
			return mapError(err)
		}
		if !at.Valid || status == LabelRevoked {
			return fmt.Errorf("%w: label %s has no announced revocation to withdraw (a revocation in effect is lifted by reinstatement)", ErrConflict, id)
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE label SET revoke_by = NULL, revoke_reason = NULL, revoke_at = NULL WHERE id = ?`), id); err != nil {
			return mapError(err)
		}
		if err := s.audit(ctx, tx, org, "label.revocation-withdrawn", "label/"+id, reason); err != nil {
			return err
		}
		return s.appendLedger(ctx, tx, org, ledger.LabelRevocationWithdrawn, "label/"+id, map[string]any{"by": by, "reason": reason})
	})
}

// RenewLabel extends a label's term by months from its current end, signing a new statement in the
// same transaction (sign sees the new ValidUntil), with an audit entry and a ledger statement.
// check runs on the locked row and refuses a renewal outside its window.
func (s *DB) RenewLabel(ctx context.Context, id, actor string, months int, check func(l *Label) error, sign Signer) (*Label, error) {
	var out *Label
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		l, err := s.lockLabel(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := check(l); err != nil {
			return err
		}
		l.ValidUntil = l.ValidUntil.AddDate(0, months, 0)
		l.Seq++
		if l.Statement, err = sign(l); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE label SET seq = ?, valid_until = ?, statement = ? WHERE id = ?`),
			l.Seq, l.ValidUntil, string(l.Statement), l.ID); err != nil {
			return mapError(err)
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO label_event (label, seq, status, reason, actor, at, statement) VALUES (?, ?, ?, ?, ?, ?, ?)`),
			l.ID, l.Seq, l.Status, "renewed until "+l.ValidUntil.Format(time.RFC3339), actor, s.now(), string(l.Statement)); err != nil {
			return mapError(err)
		}
		if err := s.audit(ctx, tx, l.Organization, "label.renewed", "label/"+l.ID, l.ValidUntil.Format(time.RFC3339)); err != nil {
			return err
		}
		out = l
		return s.appendLedger(ctx, tx, l.Organization, ledger.LabelRenewed, "label/"+l.ID,
			map[string]any{"validUntil": l.ValidUntil, "seq": l.Seq, "release": l.Release, "actor": actor})
	})
	return out, err
}

// CatalogVersionSince records that the issuer applies a catalog's version from now on, unless it
// already does, and returns since when it applies it.
func (s *DB) CatalogVersionSince(ctx context.Context, catalog, version string) (time.Time, error) {
	var since time.Time
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		ins := `INSERT INTO catalog_version (catalog, version, since) VALUES (?, ?, ?) ON CONFLICT (catalog, version) DO NOTHING`
		if _, err := tx.ExecContext(ctx, s.rebind(ins), catalog, version, s.now()); err != nil {
			return mapError(err)
		}
		return tx.QueryRowContext(ctx, s.rebind(`SELECT since FROM catalog_version WHERE catalog = ? AND version = ?`), catalog, version).Scan(&since)
	})
	return since.UTC(), err
}
