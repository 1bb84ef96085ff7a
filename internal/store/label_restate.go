package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/siegel-oss/siegel/internal/ledger"
)

// RestateLabel signs a new statement of a label, its status and reason unchanged, because what
// the statement says about its release or product was corrected (note says what, and why). The
// statement, the history entry (with note as its reason), the audit entry and the ledger
// statement are written in one transaction. A revoked or expired label is left as it is (its
// last statement is final) and false returned.
func (s *DB) RestateLabel(ctx context.Context, id, note, actor string, sign Signer) (bool, error) {
	restated := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		l, err := s.lockLabel(ctx, tx, id)
		if err != nil {
			return err
		}
		if l.Status == LabelRevoked || l.Status == LabelExpired {
			return nil
		}
		l.Seq++
		if l.Statement, err = sign(l); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE label SET seq = ?, statement = ? WHERE id = ?`), l.Seq, string(l.Statement), l.ID); err != nil {
			return mapError(err)
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO label_event (label, seq, status, reason, actor, at, statement) VALUES (?, ?, ?, ?, ?, ?, ?)`),
			l.ID, l.Seq, l.Status, note, actor, s.now(), string(l.Statement)); err != nil {
			return mapError(err)
		}
		if err := s.audit(ctx, tx, l.Organization, "label.restated", "label/"+l.ID, note); err != nil {
			return err
		}
		restated = true
		return s.appendLedger(ctx, tx, l.Organization, ledger.LabelRestated, "label/"+l.ID,
			map[string]any{"seq": l.Seq, "release": l.Release, "status": l.Status, "note": note, "actor": actor})
	})
	if err != nil {
		return false, fmt.Errorf("restate label %s: %w", id, err)
	}
	return restated, nil
}
