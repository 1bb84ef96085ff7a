package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/siegel-oss/siegel/internal/ledger"
)

// RemoveProduct removes a product entered by mistake, with the reason, together with its
// releases (each as RemoveRelease removes one, with its own ledger statement). It refuses
// (ErrHasEvidence) a product whose releases carry evidence, or that has a reporting case, an
// advisory, a registration with an authority, an update repository or rollout, or a market
// surveillance procedure; and (ErrConflict) one a notification channel follows, which is
// removed first. Nothing is silently lost: the ledger statement keeps the product's fields and
// its releases, the audit trail the reason.
func (s *DB) RemoveProduct(ctx context.Context, id int64, reason string) error {
	reason, err := checkReason(reason)
	if err != nil {
		return err
	}
	p, err := s.Product(ctx, id)
	if err != nil {
		return err
	}
	rels, err := s.Releases(ctx, id)
	if err != nil {
		return err
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.refuseEvidence(ctx, tx, id, "product", []evidence{
			{"a reporting case", `SELECT count(*) FROM cra_case WHERE product = ?`},
			{"an advisory", `SELECT count(*) FROM advisory WHERE product = ?`},
			{"a registration with an authority", `SELECT count(*) FROM product_registration WHERE product = ?`},
			{"an update repository", `SELECT count(*) FROM tuf_repository WHERE product = ?`},
			{"a rollout", `SELECT count(*) FROM rollout WHERE product = ?`},
			{"a device", `SELECT count(*) FROM device WHERE product = ?`},
			{"a market surveillance procedure", `SELECT count(*) FROM procedure WHERE product = ?`},
		}); err != nil {
			return err
		}
		var channels int
		if err := tx.QueryRowContext(ctx, s.rebind(`SELECT count(*) FROM notification_channel WHERE product = ?`), id).Scan(&channels); err != nil {
			return err
		}
		if channels > 0 {
			return fmt.Errorf("%w: %d notification channels follow the product: remove them first (Settings, Notifications)", ErrConflict, channels)
		}
		versions := []string{}
		for i := range rels {
			if err := s.removeRelease(ctx, tx, &rels[i], reason); err != nil {
				return fmt.Errorf("release %s: %w", rels[i].Version, err)
			}
			versions = append(versions, rels[i].Version)
		}
		for _, q := range []string{`DELETE FROM product_summary WHERE product = ?`, `DELETE FROM product WHERE id = ?`} {
			if _, err := tx.ExecContext(ctx, s.rebind(q), id); err != nil {
				return mapError(err)
			}
		}
		subject := fmt.Sprintf("product/%d", id)
		if err := s.appendLedger(ctx, tx, p.Organization, ledger.ProductWithdrawn, subject, map[string]any{"name": p.Name, "category": p.Category,
			"craClass": p.CRAClass, "releases": versions, "reason": reason}); err != nil {
			return err
		}
		return s.audit(ctx, tx, p.Organization, "product.remove", subject, fmt.Sprintf("%s with %d releases — reason: %s", p.Name, len(versions), reason))
	})
	if err != nil {
		return fmt.Errorf("remove product %d: %w", id, err)
	}
	return nil
}
