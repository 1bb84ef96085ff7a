package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/siegel-oss/siegel/internal/ledger"
)

// ErrNoReason is returned by a correction that was given no reason: a correction of what was
// entered is evidence (who changed what, and why), so it is refused without one.
var ErrNoReason = errors.New("a correction needs a reason")

// MaxReason is the longest reason a correction takes, in bytes.
const MaxReason = 2000

func checkReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return "", ErrNoReason
	}
	if len(reason) > MaxReason {
		return "", fmt.Errorf("the reason is %d bytes long: give at most %d", len(reason), MaxReason)
	}
	return reason, nil
}

// ProductEdit is what a correction of a product may change: its name, category (from the
// controlled list, which the caller checks) and CRA class.
type ProductEdit struct {
	Name     string
	Category string
	CRAClass string
}

// fieldChange is one changed field of a correction: its name and the old and new value.
type fieldChange struct {
	Field string `json:"field"`
	Old   any    `json:"old"`
	New   any    `json:"new"`
}

func changesText(cs []fieldChange) string {
	parts := make([]string, 0, len(cs))
	for _, c := range cs {
		parts = append(parts, fmt.Sprintf("%s %v -> %v", c.Field, show(c.Old), show(c.New)))
	}
	return strings.Join(parts, "; ")
}

func show(v any) string {
	switch x := v.(type) {
	case *int64:
		if x == nil {
			return "unknown"
		}
		return fmt.Sprint(*x)
	case string:
		if x == "" {
			return `""`
		}
		return fmt.Sprintf("%q", x)
	}
	return fmt.Sprint(v)
}

// EditProduct corrects a product's name, category ("" keeps it) and CRA class, with the reason, in one transaction with
// its audit entry and ledger statement (both with the old and the new values). A correction that
// changes nothing records nothing and returns the product as it is.
func (s *DB) EditProduct(ctx context.Context, id int64, in ProductEdit, reason string) (*Product, error) {
	reason, err := checkReason(reason)
	if err != nil {
		return nil, err
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var org int64
		var name, category, class string
		if err := tx.QueryRowContext(ctx, s.rebind(`SELECT organization, name, category, cra_class FROM product WHERE id = ?`), id).Scan(&org, &name, &category, &class); err != nil {
			return fmt.Errorf("product %d: %w", id, mapError(err))
		}
		var cs []fieldChange
		if in.Name != name {
			cs = append(cs, fieldChange{"name", name, in.Name})
		}
		if in.Category == "" {
			in.Category = category
		}
		if in.Category != category {
			cs = append(cs, fieldChange{"category", category, in.Category})
		}
		if in.CRAClass != class {
			cs = append(cs, fieldChange{"craClass", class, in.CRAClass})
		}
		if len(cs) == 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE product SET name = ?, category = ?, cra_class = ?,
			category_unmapped = CASE WHEN category = ? THEN category_unmapped ELSE '' END WHERE id = ?`), in.Name, in.Category, in.CRAClass, in.Category, id); err != nil {
			return mapError(err)
		}
		// The portfolio sorts by the name kept with the product's counts.
		if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE product_summary SET name = ? WHERE product = ?`), in.Name, id); err != nil {
			return mapError(err)
		}
		subject := fmt.Sprintf("product/%d", id)
		if err := s.audit(ctx, tx, org, "product.edit", subject, changesText(cs)+" — reason: "+reason); err != nil {
			return err
		}
		return s.appendLedger(ctx, tx, org, ledger.ProductCorrected, subject, map[string]any{"changes": cs, "reason": reason})
	})
	if err != nil {
		return nil, fmt.Errorf("correct product %d: %w", id, err)
	}
	return s.Product(ctx, id)
}

// EditRelease corrects a release — version, placing on the market, support period and its
// reasons, devices on the market — with the reason, in one transaction with its audit entry and
// ledger statement (old and new values). The caller checks the support period (CRA Art. 13(8));
// the formats are checked here. Verdicts that follow from these fields (conformity, support
// ending, security-update availability) are computed when read, so they follow at once.
func (s *DB) EditRelease(ctx context.Context, in Release, reason string) (*Release, error) {
	reason, err := checkReason(reason)
	if err != nil {
		return nil, err
	}
	if !yearMonth.MatchString(in.SupportEnd) {
		return nil, fmt.Errorf("support end %q: want YYYY-MM", in.SupportEnd)
	}
	if in.PlacedOnMarket != "" && !isoDate.MatchString(in.PlacedOnMarket) {
		return nil, fmt.Errorf("placed-on-market date %q: want YYYY-MM-DD", in.PlacedOnMarket)
	}
	if in.DevicesOnMarket != nil && *in.DevicesOnMarket < 0 {
		return nil, fmt.Errorf("devices on the market %d: give a count of zero or more, or none when unknown", *in.DevicesOnMarket)
	}
	in.SupportJustification, in.SupportBasis = strings.TrimSpace(in.SupportJustification), strings.TrimSpace(in.SupportBasis)
	old, err := s.Release(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var cs []fieldChange
		for _, c := range []fieldChange{
			{"version", old.Version, in.Version}, {"placedOnMarket", old.PlacedOnMarket, in.PlacedOnMarket},
			{"supportEnd", old.SupportEnd, in.SupportEnd}, {"supportJustification", old.SupportJustification, in.SupportJustification},
			{"supportExpectedUseMonths", old.SupportExpectedUseMonths, in.SupportExpectedUseMonths}, {"supportBasis", old.SupportBasis, in.SupportBasis},
		} {
			if c.Old != c.New {
				cs = append(cs, c)
			}
		}
		if (old.DevicesOnMarket == nil) != (in.DevicesOnMarket == nil) || old.DevicesOnMarket != nil && *old.DevicesOnMarket != *in.DevicesOnMarket {
			cs = append(cs, fieldChange{"devicesOnMarket", old.DevicesOnMarket, in.DevicesOnMarket})
		}
		if len(cs) == 0 {
			return nil
		}
		var pom any
		if in.PlacedOnMarket != "" {
			pom = in.PlacedOnMarket
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE release SET version = ?, placed_on_market = ?, support_end = ?, support_justification = ?,
			support_expected_use_months = ?, support_basis = ?, devices_on_market = ? WHERE id = ?`),
			in.Version, pom, in.SupportEnd, in.SupportJustification, in.SupportExpectedUseMonths, in.SupportBasis, in.DevicesOnMarket, in.ID); err != nil {
			return mapError(err)
		}
		org, err := s.releaseOrg(ctx, tx, in.ID)
		if err != nil {
			return err
		}
		subject := fmt.Sprintf("release/%d", in.ID)
		if err := s.audit(ctx, tx, org, "release.edit", subject, changesText(cs)+" — reason: "+reason); err != nil {
			return err
		}
		return s.appendLedger(ctx, tx, org, ledger.ReleaseCorrected, subject, map[string]any{"changes": cs, "reason": reason})
	})
	if err != nil {
		return nil, fmt.Errorf("correct release %d: %w", in.ID, err)
	}
	return s.Release(ctx, in.ID)
}

// SBOMs lists the SBOMs of a release, oldest first.
func (s *DB) SBOMs(ctx context.Context, release int64) ([]SBOM, error) {
	rows, err := s.sql.QueryContext(ctx, s.rebind(`SELECT id, release, format, sha256, components, uploaded_at FROM sbom WHERE release = ? ORDER BY id`), release)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	var out []SBOM
	for rows.Next() {
		var b SBOM
		if err := rows.Scan(&b.ID, &b.Release, &b.Format, &b.SHA256, &b.Components, &b.UploadedAt); err != nil {
			return nil, err
		}
		b.UploadedAt = b.UploadedAt.UTC()
		out = append(out, b)
	}
	return out, rows.Err()
}

// removedComponent is a component of a removed SBOM as the ledger keeps it.
type removedComponent struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	PURL    string `json:"purl,omitempty"`
}

// RemoveSBOM removes an SBOM of a release and its components, with the reason. What it held is
// not lost: the ledger statement lists the SBOM's digest, format and every component, and the
// audit trail the reason. The release is queued for matching in the same transaction, so that
// findings of components no other SBOM of the release has are resolved.
func (s *DB) RemoveSBOM(ctx context.Context, release, id int64, reason string) error {
	reason, err := checkReason(reason)
	if err != nil {
		return err
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error { return s.removeSBOM(ctx, tx, release, id, reason) })
	if err != nil {
		return fmt.Errorf("remove SBOM %d: %w", id, err)
	}
	return nil
}

// removeSBOM is RemoveSBOM in tx.
func (s *DB) removeSBOM(ctx context.Context, tx *sql.Tx, release, id int64, reason string) error {
	var b SBOM
	if err := tx.QueryRowContext(ctx, s.rebind(`SELECT id, format, sha256, components FROM sbom WHERE id = ? AND release = ?`), id, release).
		Scan(&b.ID, &b.Format, &b.SHA256, &b.Components); err != nil {
		return fmt.Errorf("SBOM %d of release %d: %w", id, release, mapError(err))
	}
	rows, err := tx.QueryContext(ctx, s.rebind(`SELECT name, version, purl FROM component WHERE sbom = ? ORDER BY id`), id)
	if err != nil {
		return err
	}
	comps := []removedComponent{}
	for rows.Next() {
		var c removedComponent
		if err := rows.Scan(&c.Name, &c.Version, &c.PURL); err != nil {
			rows.Close()
			return err
		}
		comps = append(comps, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, q := range []string{`DELETE FROM component_health_fact WHERE sbom = ?`, `DELETE FROM component WHERE sbom = ?`, `DELETE FROM sbom WHERE id = ?`} {
		if _, err := tx.ExecContext(ctx, s.rebind(q), id); err != nil {
			return mapError(err)
		}
	}
	if err := s.enqueueMatch(ctx, tx, release); err != nil {
		return err
	}
	org, err := s.releaseOrg(ctx, tx, release)
	if err != nil {
		return err
	}
	if err := s.appendLedger(ctx, tx, org, ledger.SBOMWithdrawn, fmt.Sprintf("release/%d", release),
		map[string]any{"sbom": id, "format": b.Format, "sha256": b.SHA256, "components": comps, "reason": reason}); err != nil {
		return err
	}
	return s.audit(ctx, tx, org, "sbom.remove", fmt.Sprintf("sbom/%d", id),
		fmt.Sprintf("release/%d: %s, %d components, sha256 %s — reason: %s", release, b.Format, b.Components, b.SHA256, reason))
}

// ReplaceSBOM puts a new SBOM in the place of an old one of the release, with the reason, in one
// transaction: the new one is stored as AddSBOM does, the old one removed as RemoveSBOM does.
// Uploading the same SBOM as the one it replaces is a conflict.
func (s *DB) ReplaceSBOM(ctx context.Context, release, old int64, reason string, c SBOMContent) (*SBOM, error) {
	reason, err := checkReason(reason)
	if err != nil {
		return nil, err
	}
	var b *SBOM
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var cur string
		if err := tx.QueryRowContext(ctx, s.rebind(`SELECT sha256 FROM sbom WHERE id = ? AND release = ?`), old, release).Scan(&cur); err != nil {
			return fmt.Errorf("SBOM %d of release %d: %w", old, release, mapError(err))
		}
		if cur == c.SHA256 {
			return fmt.Errorf("the new SBOM is the one it would replace (sha256 %s): %w", c.SHA256, ErrConflict)
		}
		nb, err := s.insertSBOM(ctx, tx, release, c)
		if err != nil {
			return err
		}
		b = nb
		return s.removeSBOM(ctx, tx, release, old, fmt.Sprintf("replaced by SBOM %d: %s", b.ID, reason))
	})
	if err != nil {
		return nil, fmt.Errorf("replace SBOM %d of release %d: %w", old, release, err)
	}
	return b, nil
}

// trMissingColumn is the stored form of SBOM.TRMissing: JSON, or NULL when it was not checked.
func trMissingColumn(trMissing []string) sql.NullString {
	if trMissing == nil {
		return sql.NullString{}
	}
	j, _ := json.Marshal(trMissing)
	return sql.NullString{String: string(j), Valid: true}
}
