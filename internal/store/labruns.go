package store

import (
	"context"
	"database/sql"
	"errors"
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
	Job              int64 // the job that ran it (0: a run uploaded by a request)
}

// AddLabRun stores a lab run and records it in the audit trail and the ledger.
func (s *DB) AddLabRun(ctx context.Context, l *LabRun) error {
	_, err := s.AddJobLabRun(ctx, l)
	return err
}

// AddJobLabRun is AddLabRun for a run a job made (l.Job): stored once. The job run again because
// its server stopped between storing and finishing it gets the run stored before (with stored
// true) instead of a second copy with a second ledger statement.
func (s *DB) AddJobLabRun(ctx context.Context, l *LabRun) (stored bool, err error) {
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if l.Job != 0 {
			prev, err := scanLabRun(tx.QueryRowContext(ctx, s.rebind(`SELECT `+labRunColumns+` FROM lab_run WHERE job = ?`), l.Job))
			if err == nil {
				*l, stored = *prev, true
				return nil
			}
			if !errors.Is(err, ErrNotFound) {
				return err
			}
		}
		l.CreatedAt = s.now()
		job := sql.NullInt64{Int64: l.Job, Valid: l.Job != 0}
		if err := tx.QueryRowContext(ctx, s.rebind(`INSERT INTO lab_run (release, target, transcript_sha256, failed, result, started_at, created_at, job)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), l.Release, l.Target, l.TranscriptSHA256, l.Failed, string(l.Result), l.StartedAt.UTC(), l.CreatedAt, job).Scan(&l.ID); err != nil {
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
	return stored, err
}

// LabRunOfJob returns the lab run a job stored, or ErrNotFound.
func (s *DB) LabRunOfJob(ctx context.Context, job int64) (*LabRun, error) {
	return scanLabRun(s.sql.QueryRowContext(ctx, s.rebind(`SELECT `+labRunColumns+` FROM lab_run WHERE job = ?`), job))
}

const labRunColumns = `id, release, target, transcript_sha256, failed, result, started_at, created_at, job`

func scanLabRun(row interface{ Scan(...any) error }) (*LabRun, error) {
	l := &LabRun{}
	var result string
	var job sql.NullInt64
	if err := row.Scan(&l.ID, &l.Release, &l.Target, &l.TranscriptSHA256, &l.Failed, &result, &l.StartedAt, &l.CreatedAt, &job); err != nil {
		return nil, mapError(err)
	}
	l.Result, l.Job = []byte(result), job.Int64
	l.StartedAt, l.CreatedAt = l.StartedAt.UTC(), l.CreatedAt.UTC()
	return l, nil
}

// LatestLabRun returns the newest lab run of a release, or ErrNotFound.
func (s *DB) LatestLabRun(ctx context.Context, release int64) (*LabRun, error) {
	return scanLabRun(s.sql.QueryRowContext(ctx, s.rebind(`SELECT `+labRunColumns+` FROM lab_run WHERE release = ? ORDER BY id DESC LIMIT 1`), release))
}

// LabRuns returns the lab runs of a release, newest first, without their results.
func (s *DB) LabRuns(ctx context.Context, release int64) ([]LabRun, error) {
	rows, err := s.sql.QueryContext(ctx, s.rebind(`SELECT id, release, target, transcript_sha256, failed, '', started_at, created_at, job
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
