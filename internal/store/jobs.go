package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Job is a unit of background work, durable in the store: a server that dies while running one
// loses its lease, and another server (or the same after a restart) runs the job again. Job
// handlers are therefore written to be repeatable.
type Job struct {
	ID       int64
	Kind     string
	Payload  json.RawMessage
	Attempts int // including this one
}

// JobInfo is a job as status pages show it.
type JobInfo struct {
	Job
	State      string
	Progress   string
	LastError  string
	RunAfter   time.Time
	CreatedAt  time.Time
	FinishedAt time.Time
}

func ms(t time.Time) int64 { return t.UnixMilli() }

// Enqueue adds a job to run at runAfter (now when zero). With a dedup key, a job is not added
// while another unfinished job has that key; Enqueue then reports false.
func (s *DB) Enqueue(ctx context.Context, kind string, payload any, dedup string, runAfter time.Time) (bool, error) {
	return s.enqueueTx(ctx, kind, payload, dedup, runAfter, false)
}

// EnqueueChange queues work because its input changed: as Enqueue, and when the unfinished job
// with the dedup key is running — it may have read its input before the change — it runs once
// more when it finishes.
func (s *DB) EnqueueChange(ctx context.Context, kind string, payload any, dedup string) (bool, error) {
	return s.enqueueTx(ctx, kind, payload, dedup, time.Time{}, true)
}

func (s *DB) enqueueTx(ctx context.Context, kind string, payload any, dedup string, runAfter time.Time, change bool) (bool, error) {
	var added bool
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		added, err = s.enqueue(ctx, tx, kind, payload, dedup, runAfter, change)
		return err
	})
	return added, err
}

func (s *DB) enqueue(ctx context.Context, tx *sql.Tx, kind string, payload any, dedup string, runAfter time.Time, change bool) (bool, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return false, err
	}
	now := s.now()
	if runAfter.IsZero() {
		runAfter = now
	}
	var key any
	if dedup != "" {
		key = dedup
	}
	res, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO job (kind, payload, dedup, state, run_after, created_at) VALUES (?, ?, ?, 'queued', ?, ?)
		ON CONFLICT (dedup) DO NOTHING`), kind, string(body), key, ms(runAfter), ms(now))
	if err != nil {
		return false, fmt.Errorf("enqueue %s: %w", kind, err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return true, nil
	}
	if change && dedup != "" {
		// The job with the key may be running and have read its input already: it runs once
		// more when it finishes (FinishJob).
		if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE job SET generation = generation + 1 WHERE dedup = ? AND state = 'running'`), dedup); err != nil {
			return false, fmt.Errorf("enqueue %s: %w", kind, err)
		}
	}
	return false, nil
}

// ClaimJob takes the next job that is due — queued, or running under a lease that expired — for
// owner, for the length of lease; with kinds, only a job of one of those kinds (a lane). It
// returns nil when no job is due. Two servers never hold the same job: the claim re-checks the
// job's state in the UPDATE that takes it.
func (s *DB) ClaimJob(ctx context.Context, owner string, lease time.Duration, kinds ...string) (*Job, error) {
	return s.claimJob(ctx, owner, lease, "IN", kinds)
}

// ClaimJobExcept is ClaimJob for a job of any kind but those given (a lane that leaves some
// kinds to workers of their own, which bound how many of them run at once).
func (s *DB) ClaimJobExcept(ctx context.Context, owner string, lease time.Duration, kinds ...string) (*Job, error) {
	return s.claimJob(ctx, owner, lease, "NOT IN", kinds)
}

func (s *DB) claimJob(ctx context.Context, owner string, lease time.Duration, in string, kinds []string) (*Job, error) {
	lane, laneArgs := "", make([]any, 0, len(kinds))
	if len(kinds) > 0 {
		lane = " AND kind " + in + " (?" + strings.Repeat(", ?", len(kinds)-1) + ")"
		for _, k := range kinds {
			laneArgs = append(laneArgs, k)
		}
	}
	for range 5 {
		now := ms(s.now())
		due := `((state = 'queued' AND run_after <= ?) OR (state = 'running' AND lease_until < ?))` + lane
		dueArgs := append([]any{now, now}, laneArgs...)
		j := &Job{}
		var payload string
		args := append(append([]any{owner, now + lease.Milliseconds()}, dueArgs...), dueArgs...)
		err := s.sql.QueryRowContext(ctx, s.rebind(`UPDATE job SET state = 'running', attempts = attempts + 1, lease_owner = ?, lease_until = ?, claimed_generation = generation
			WHERE id = (SELECT id FROM job WHERE `+due+` ORDER BY run_after, id LIMIT 1) AND `+due+`
			RETURNING id, kind, payload, attempts`), args...).Scan(&j.ID, &j.Kind, &payload, &j.Attempts)
		if errors.Is(err, sql.ErrNoRows) {
			// Either nothing is due, or another server took the job first: look once more.
			var n int
			if err := s.sql.QueryRowContext(ctx, s.rebind(`SELECT count(*) FROM job WHERE `+due), dueArgs...).Scan(&n); err != nil {
				return nil, err
			}
			if n == 0 {
				return nil, nil
			}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("claim job: %w", err)
		}
		j.Payload = json.RawMessage(payload)
		return j, nil
	}
	return nil, nil
}

// ErrLeaseLost says a job was taken over by another server (its lease had expired).
var ErrLeaseLost = errors.New("job lease lost")

func (s *DB) updateJob(ctx context.Context, q string, args ...any) error {
	res, err := s.sql.ExecContext(ctx, s.rebind(q), args...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrLeaseLost
	}
	return nil
}

// Heartbeat extends a job's lease and records its progress ("3 of 12 releases").
func (s *DB) Heartbeat(ctx context.Context, id int64, owner string, lease time.Duration, progress string) error {
	return s.updateJob(ctx, `UPDATE job SET lease_until = ?, progress = ? WHERE id = ? AND lease_owner = ? AND state = 'running'`,
		ms(s.now().Add(lease)), progress, id, owner)
}

// FinishJob marks a job done — or, when it was enqueued again under its dedup key while it ran
// (its input changed after it may have read it), queues it to run once more at once.
func (s *DB) FinishJob(ctx context.Context, id int64, owner string) error {
	now := ms(s.now())
	return s.updateJob(ctx, `UPDATE job SET `+again+`, attempts = CASE WHEN `+stale+` THEN 0 ELSE attempts END,
		last_error = '', progress = '' WHERE id = ? AND lease_owner = ? AND state = 'running'`, now, now, now, id, owner)
}

// stale says, in a job UPDATE, that the job was enqueued again since it was claimed; again sets
// the columns of a job that ends: queued once more (due at the first argument) when stale,
// else done (finished at the second) with its dedup key released, and its lease ended (at the
// third) either way.
const (
	stale = `generation <> claimed_generation`
	again = `state = CASE WHEN ` + stale + ` THEN 'queued' ELSE 'done' END,
		run_after = CASE WHEN ` + stale + ` THEN CAST(? AS BIGINT) ELSE run_after END,
		finished_at = CASE WHEN ` + stale + ` THEN 0 ELSE CAST(? AS BIGINT) END,
		lease_until = ?,
		dedup = CASE WHEN ` + stale + ` THEN dedup ELSE NULL END`
)

// RetryJob puts a failed attempt back in the queue, to run at at.
func (s *DB) RetryJob(ctx context.Context, id int64, owner string, cause error, at time.Time) error {
	return s.updateJob(ctx, `UPDATE job SET state = 'queued', run_after = ?, last_error = ?, lease_owner = '', progress = '' WHERE id = ? AND lease_owner = ? AND state = 'running'`,
		ms(at), cause.Error(), id, owner)
}

// FailJob gives a job up — unless it was enqueued again while it ran: new input gets a new run.
func (s *DB) FailJob(ctx context.Context, id int64, owner string, cause error) error {
	now := ms(s.now())
	return s.updateJob(ctx, `UPDATE job SET `+strings.Replace(again, "'done'", "'failed'", 1)+`, attempts = CASE WHEN `+stale+` THEN 0 ELSE attempts END,
		last_error = ?, progress = '' WHERE id = ? AND lease_owner = ? AND state = 'running'`, now, now, now, cause.Error(), id, owner)
}

// Jobs lists the newest jobs, optionally of one kind.
func (s *DB) Jobs(ctx context.Context, kind string, limit int) ([]JobInfo, error) {
	rows, err := s.sql.QueryContext(ctx, s.rebind(`SELECT id, kind, payload, attempts, state, progress, last_error, run_after, created_at, finished_at
		FROM job WHERE ? = '' OR kind = ? ORDER BY id DESC LIMIT ?`), kind, kind, limit)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	var out []JobInfo
	for rows.Next() {
		var j JobInfo
		var payload string
		var runAfter, created, finished int64
		if err := rows.Scan(&j.ID, &j.Kind, &payload, &j.Attempts, &j.State, &j.Progress, &j.LastError, &runAfter, &created, &finished); err != nil {
			return nil, err
		}
		j.Payload = json.RawMessage(payload)
		j.RunAfter, j.CreatedAt = time.UnixMilli(runAfter).UTC(), time.UnixMilli(created).UTC()
		if finished > 0 {
			j.FinishedAt = time.UnixMilli(finished).UTC()
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

// RunNow makes the unfinished job with the dedup key due at once; it reports whether there was one.
func (s *DB) RunNow(ctx context.Context, dedup string) (bool, error) {
	res, err := s.sql.ExecContext(ctx, s.rebind(`UPDATE job SET run_after = ? WHERE dedup = ? AND state = 'queued'`), ms(s.now()), dedup)
	if err != nil {
		return false, mapError(err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// Pending reports whether an unfinished job has the dedup key.
func (s *DB) Pending(ctx context.Context, dedup string) (bool, error) {
	var n int
	err := s.reader().QueryRowContext(ctx, s.rebind(`SELECT count(*) FROM job WHERE dedup = ? AND state IN ('queued', 'running')`), dedup).Scan(&n)
	return n > 0, mapError(err)
}
