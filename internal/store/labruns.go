package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/siegel-oss/siegel/internal/ledger"
)

// LabRun is a stored lab run against a device running a release.
type LabRun struct {
	ID               int64
	Release          int64
	Target           string
	TranscriptSHA256 string
	Failed           int    // checks that failed
	Result           []byte // JSON, as internal/lab writes it
	StartedAt        time.Time
	CreatedAt        time.Time
}

// AddLabRun stores a lab run and records it in the audit trail and the ledger.
func (s *DB) AddLabRun(ctx context.Context, l *LabRun) error {
	l.CreatedAt = s.now()
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, s.rebind(`INSERT INTO lab_run (release, target, transcript_sha256, failed, result, started_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`), l.Release, l.Target, l.TranscriptSHA256, l.Failed, string(l.Result), l.StartedAt.UTC(), l.CreatedAt).Scan(&l.ID); err != nil {
			return mapError(err)
		}
		org, err := s.releaseOrg(ctx, tx, l.Release)
		if err != nil {
			return err
		}
		if err := s.auditRelease(ctx, tx, l.Release, "lab.run", fmt.Sprintf("lab-run/%d", l.ID), l.Target); err != nil {
			return err
		}
		return s.appendLedger(ctx, tx, org, ledger.LabRunRecorded, fmt.Sprintf("release/%d", l.Release),
			map[string]any{"target": l.Target, "transcriptSha256": l.TranscriptSHA256, "failed": l.Failed})
	})
}

const labRunColumns = `id, release, target, transcript_sha256, failed, result, started_at, created_at`

func scanLabRun(row interface{ Scan(...any) error }) (*LabRun, error) {
	l := &LabRun{}
	var result string
	if err := row.Scan(&l.ID, &l.Release, &l.Target, &l.TranscriptSHA256, &l.Failed, &result, &l.StartedAt, &l.CreatedAt); err != nil {
		return nil, mapError(err)
	}
	l.Result = []byte(result)
	l.StartedAt, l.CreatedAt = l.StartedAt.UTC(), l.CreatedAt.UTC()
	return l, nil
}

// LatestLabRun returns the newest lab run of a release, or ErrNotFound.
func (s *DB) LatestLabRun(ctx context.Context, release int64) (*LabRun, error) {
	return scanLabRun(s.sql.QueryRowContext(ctx, s.rebind(`SELECT `+labRunColumns+` FROM lab_run WHERE release = ? ORDER BY id DESC LIMIT 1`), release))
}

// LabRuns returns the lab runs of a release, newest first, without their results.
func (s *DB) LabRuns(ctx context.Context, release int64) ([]LabRun, error) {
	rows, err := s.sql.QueryContext(ctx, s.rebind(`SELECT id, release, target, transcript_sha256, failed, '', started_at, created_at
		FROM lab_run WHERE release = ? ORDER BY id DESC`), release)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	var out []LabRun
	for rows.Next() {
		l, err := scanLabRun(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *l)
	}
	return out, mapError(rows.Err())
}
