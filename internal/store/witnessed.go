package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/siegel-oss/siegel/internal/ledger"
)

// WitnessedLog is what a witness keeps of a log it witnesses: the log's key, pinned at the first
// checkpoint, the last checkpoint it cosigned, and its last refusal with the reason.
type WitnessedLog struct {
	Witness      string
	Origin       string
	Organization int64 // the organization whose log it is (the server's own log: the authority)
	LogKey       string
	Size         int64
	Note         string // the last cosigned checkpoint note, as the log signed it
	CosignedAt   time.Time
	Refusal      string
	RefusedAt    time.Time
}

// WitnessedLogByOrigin returns the witness's state of a log; ErrNotFound before its first
// checkpoint.
func (s *DB) WitnessedLogByOrigin(ctx context.Context, witness, origin string) (*WitnessedLog, error) {
	return s.witnessedLog(ctx, `WHERE witness = ? AND origin = ?`, witness, origin)
}

// WitnessedLogOfOrganization returns the witness's state of an organization's log.
func (s *DB) WitnessedLogOfOrganization(ctx context.Context, witness string, org int64) (*WitnessedLog, error) {
	return s.witnessedLog(ctx, `WHERE witness = ? AND organization = ?`, witness, org)
}

func (s *DB) witnessedLog(ctx context.Context, where string, args ...any) (*WitnessedLog, error) {
	w := &WitnessedLog{}
	var refused sql.NullTime
	err := s.sql.QueryRowContext(ctx, s.rebind(`SELECT witness, origin, organization, log_key, size, note, cosigned_at, refusal, refused_at FROM witnessed_log `+where), args...).
		Scan(&w.Witness, &w.Origin, &w.Organization, &w.LogKey, &w.Size, &w.Note, &w.CosignedAt, &w.Refusal, &refused)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, mapError(err)
	}
	w.CosignedAt = w.CosignedAt.UTC()
	if refused.Valid {
		w.RefusedAt = refused.Time.UTC()
	}
	return w, nil
}

// WitnessedLogs returns every log the witness keeps a state of, by organization.
func (s *DB) WitnessedLogs(ctx context.Context, witness string) ([]WitnessedLog, error) {
	rows, err := s.sql.QueryContext(ctx, s.rebind(`SELECT origin FROM witnessed_log WHERE witness = ? ORDER BY organization, origin`), witness)
	if err != nil {
		return nil, mapError(err)
	}
	var origins []string
	for rows.Next() {
		var o string
		if err := rows.Scan(&o); err != nil {
			rows.Close()
			return nil, err
		}
		origins = append(origins, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]WitnessedLog, 0, len(origins))
	for _, o := range origins {
		w, err := s.WitnessedLogByOrigin(ctx, witness, o)
		if err != nil {
			return nil, err
		}
		out = append(out, *w)
	}
	return out, nil
}

// AdvanceWitnessedLog records that the witness cosigned the checkpoint note of size entries of
// the log, after checking it extends the one it held (the caller's check), with a statement in
// this server's ledger. It refuses, with
// ErrConflict, to move the state backwards or to change the log's pinned key or organization:
// the check and the write race otherwise.
func (s *DB) AdvanceWitnessedLog(ctx context.Context, w WitnessedLog) error {
	w.CosignedAt = s.now()
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var org, size int64
		var key string
		err := tx.QueryRowContext(ctx, s.rebind(`SELECT organization, log_key, size FROM witnessed_log WHERE witness = ? AND origin = ?`), w.Witness, w.Origin).Scan(&org, &key, &size)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			_, err = tx.ExecContext(ctx, s.rebind(`INSERT INTO witnessed_log (witness, origin, organization, log_key, size, note, cosigned_at, refusal) VALUES (?, ?, ?, ?, ?, ?, ?, '')`),
				w.Witness, w.Origin, w.Organization, w.LogKey, w.Size, w.Note, w.CosignedAt)
		case err != nil:
		case org != w.Organization || key != w.LogKey || w.Size < size:
			return ErrConflict
		default:
			_, err = tx.ExecContext(ctx, s.rebind(`UPDATE witnessed_log SET size = ?, note = ?, cosigned_at = ? WHERE witness = ? AND origin = ?`),
				w.Size, w.Note, w.CosignedAt, w.Witness, w.Origin)
		}
		if err != nil {
			return mapError(err)
		}
		return s.appendLedger(ctx, tx, 0, ledger.LogWitnessed, "witnessed-log/"+w.Origin, map[string]any{"witness": w.Witness, "organization": w.Organization,
			"logKey": w.LogKey, "size": w.Size, "checkpoint": w.Note})
	})
}

// RefuseWitnessedLog keeps the reason the witness refused a checkpoint of a log it holds a state
// of (the state itself, the evidence, is unchanged), in this server's ledger too.
func (s *DB) RefuseWitnessedLog(ctx context.Context, witness, origin, reason string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE witnessed_log SET refusal = ?, refused_at = ? WHERE witness = ? AND origin = ?`), reason, s.now(), witness, origin); err != nil {
			return mapError(err)
		}
		return s.appendLedger(ctx, tx, 0, ledger.LogWitnessRefused, "witnessed-log/"+origin, map[string]any{"witness": witness, "reason": reason})
	})
}
