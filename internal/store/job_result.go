package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// JobDetail is one job with what it produced, for the caller that queued it.
type JobDetail struct {
	JobInfo
	// Result is what the job produced (JSON), set by its handler before it finished; nil when
	// it set none.
	Result json.RawMessage
	// Running says a server holds the job under a live lease.
	Running bool
}

// SetJobResult records what a running job produced; like Heartbeat it fails with ErrLeaseLost
// when owner no longer holds the job.
func (s *DB) SetJobResult(ctx context.Context, id int64, owner string, result any) error {
	body, err := json.Marshal(result)
	if err != nil {
		return err
	}
	return s.updateJob(ctx, `UPDATE job SET result = ? WHERE id = ? AND lease_owner = ? AND state = 'running'`, string(body), id, owner)
}

// JobByID returns one job (ErrNotFound when there is none).
func (s *DB) JobByID(ctx context.Context, id int64) (*JobDetail, error) {
	var j JobDetail
	var payload, result string
	var runAfter, created, finished, leaseUntil int64
	err := s.sql.QueryRowContext(ctx, s.rebind(`SELECT id, kind, payload, attempts, state, progress, last_error, run_after, created_at, finished_at, result, lease_until
		FROM job WHERE id = ?`), id).Scan(&j.ID, &j.Kind, &payload, &j.Attempts, &j.State, &j.Progress, &j.LastError, &runAfter, &created, &finished, &result, &leaseUntil)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, mapError(err)
	}
	j.Payload = json.RawMessage(payload)
	if result != "" {
		j.Result = json.RawMessage(result)
	}
	j.RunAfter, j.CreatedAt = time.UnixMilli(runAfter).UTC(), time.UnixMilli(created).UTC()
	if finished > 0 {
		j.FinishedAt = time.UnixMilli(finished).UTC()
	}
	j.Running = j.State == "running" && leaseUntil >= ms(s.now())
	return &j, nil
}

// EnqueueJob adds a job (without a dedup key) to run now and returns its id, which its caller
// follows with JobByID.
func (s *DB) EnqueueJob(ctx context.Context, kind string, payload any) (int64, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return 0, err
	}
	now := ms(s.now())
	var id int64
	err = s.sql.QueryRowContext(ctx, s.rebind(`INSERT INTO job (kind, payload, state, run_after, created_at) VALUES (?, ?, 'queued', ?, ?) RETURNING id`),
		kind, string(body), now, now).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("enqueue %s: %w", kind, mapError(err))
	}
	return id, nil
}
