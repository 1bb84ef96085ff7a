package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/siegel-oss/siegel/internal/ledger"
)

// ErrHasEvidence is returned when a release or product to remove carries evidence of obligations met (a
// label, an attestation, a firmware analysis, a triage decision or a comment): such a release is
// corrected, never removed.
var ErrHasEvidence = errors.New("evidence is attached")

// RemoveRelease removes a release entered by mistake, with the reason: its SBOMs and components,
// its findings and their counts. It refuses (ErrHasEvidence) a release with a label, an
// attestation, a firmware analysis, a triage decision or a comment. Nothing is silently lost: the
// ledger statement keeps the release's fields, the digests of its SBOMs and the findings it had,
// and the audit trail the reason. A queued matching of the release is dropped.
func (s *DB) RemoveRelease(ctx context.Context, id int64, reason string) error {
	reason, err := checkReason(reason)
	if err != nil {
		return err
	}
	rel, err := s.Release(ctx, id)
	if err != nil {
		return err
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.removeRelease(ctx, tx, rel, reason); err != nil {
			return err
		}
		// The release no longer leads to its product, whose kept counts are taken again by its id.
		// (A release with triage decisions is not removed, so no later release inherited any.)
		if err := s.recountProducts(ctx, tx, []int64{rel.Product}); err != nil {
			return err
		}
		return s.recountCoverage(ctx, tx, []int64{rel.Product})
	})
	if err != nil {
		return fmt.Errorf("remove release %d: %w", id, err)
	}
	return nil
}

// removeRelease removes rel in tx as RemoveRelease describes, but for the product's kept counts,
// which the caller recounts.
func (s *DB) removeRelease(ctx context.Context, tx *sql.Tx, rel *Release, reason string) error {
	id := rel.ID
	if err := s.refuseEvidence(ctx, tx, id, "release", []evidence{
		{"a label", `SELECT count(*) FROM label WHERE release = ?`},
		{"an attestation", `SELECT count(*) FROM attestation WHERE release = ?`},
		{"a firmware analysis", `SELECT count(*) FROM firmware_analysis WHERE release = ?`},
		{"a triage decision", `SELECT count(*) FROM vex_statement WHERE release = ?`},
		{"a comment on a finding", `SELECT count(*) FROM finding_comment WHERE release = ?`},
		{"a lab run", `SELECT count(*) FROM lab_run WHERE release = ?`},
		{"a market record for the authority", `SELECT count(*) FROM release_market_record WHERE release = ?`},
	}); err != nil {
		return err
	}
	org, err := s.releaseOrg(ctx, tx, id)
	if err != nil {
		return err
	}
	sboms := []map[string]any{}
	rows, err := tx.QueryContext(ctx, s.rebind(`SELECT id, format, sha256, components FROM sbom WHERE release = ? ORDER BY id`), id)
	if err != nil {
		return err
	}
	for rows.Next() {
		var b SBOM
		if err := rows.Scan(&b.ID, &b.Format, &b.SHA256, &b.Components); err != nil {
			rows.Close()
			return err
		}
		sboms = append(sboms, map[string]any{"sbom": b.ID, "format": b.Format, "sha256": b.SHA256, "components": b.Components})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	findings := []string{}
	rows, err = tx.QueryContext(ctx, s.rebind(`SELECT vulnerability, purl FROM finding WHERE release = ? AND resolved_at IS NULL ORDER BY vulnerability, purl`), id)
	if err != nil {
		return err
	}
	for rows.Next() {
		var v, p string
		if err := rows.Scan(&v, &p); err != nil {
			rows.Close()
			return err
		}
		findings = append(findings, v+" "+p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, q := range []string{
		`DELETE FROM component_health_fact WHERE sbom IN (SELECT id FROM sbom WHERE release = ?)`,
		`DELETE FROM component WHERE release = ?`, `DELETE FROM sbom WHERE release = ?`,
		`DELETE FROM finding WHERE release = ?`, `DELETE FROM release_summary WHERE release = ?`,
		`DELETE FROM release_coverage_ecosystem WHERE release = ?`, `DELETE FROM release_coverage WHERE release = ?`, `DELETE FROM release WHERE id = ?`,
	} {
		if _, err := tx.ExecContext(ctx, s.rebind(q), id); err != nil {
			return mapError(err)
		}
	}
	if _, err := tx.ExecContext(ctx, s.rebind(`DELETE FROM job WHERE dedup = ? AND state = 'queued'`), fmt.Sprintf("match-release/%d", id)); err != nil {
		return err
	}
	subject := fmt.Sprintf("release/%d", id)
	if err := s.appendLedger(ctx, tx, org, ledger.ReleaseWithdrawn, subject, map[string]any{"product": rel.Product, "version": rel.Version,
		"placedOnMarket": rel.PlacedOnMarket, "supportEnd": rel.SupportEnd, "sboms": sboms, "findings": findings, "reason": reason}); err != nil {
		return err
	}
	if err := s.audit(ctx, tx, org, "release.remove", subject, fmt.Sprintf("version %s of product/%d, %d SBOMs, %d findings in force — reason: %s",
		rel.Version, rel.Product, len(sboms), len(findings), reason)); err != nil {
		return err
	}
	return nil
}

// evidence is a kind of evidence a removal looks for: what it is, and the query that counts it
// for the id removed.
type evidence struct{ what, count string }

// refuseEvidence answers ErrHasEvidence, naming the first kind found, when the release or
// product (kind) id has any of the evidence kinds.
func (s *DB) refuseEvidence(ctx context.Context, tx *sql.Tx, id int64, kind string, kinds []evidence) error {
	for _, e := range kinds {
		var n int
		if err := tx.QueryRowContext(ctx, s.rebind(e.count), id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%w: the %s has %s; correct the %s instead of removing it", ErrHasEvidence, kind, e.what, kind)
		}
	}
	return nil
}
