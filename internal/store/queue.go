package store

import (
	"context"
	"time"
)

// QueueStat is the state of the job queue for one kind of job: how much work waits, and for how
// long the oldest of it has been due.
type QueueStat struct {
	Kind      string
	Due       int           // queued and due now (or held under an expired lease)
	Scheduled int           // queued for later
	Running   int           // held under a live lease
	OldestDue time.Duration // how long the job due longest has waited; zero when none is due
}

// QueueStats reports the queue's depth and age per kind of job, ordered by kind; kinds with no
// unfinished job are left out.
func (s *DB) QueueStats(ctx context.Context) ([]QueueStat, error) {
	now := ms(s.now())
	rows, err := s.sql.QueryContext(ctx, s.rebind(`SELECT kind,
			sum(CASE WHEN (state = 'queued' AND run_after <= ?) OR (state = 'running' AND lease_until < ?) THEN 1 ELSE 0 END),
			sum(CASE WHEN state = 'queued' AND run_after > ? THEN 1 ELSE 0 END),
			sum(CASE WHEN state = 'running' AND lease_until >= ? THEN 1 ELSE 0 END),
			min(CASE WHEN state = 'queued' AND run_after <= ? THEN run_after WHEN state = 'running' AND lease_until < ? THEN lease_until END)
		FROM job WHERE state IN ('queued', 'running') GROUP BY kind ORDER BY kind`), now, now, now, now, now, now)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	out := []QueueStat{}
	for rows.Next() {
		var q QueueStat
		var oldest *int64
		if err := rows.Scan(&q.Kind, &q.Due, &q.Scheduled, &q.Running, &oldest); err != nil {
			return nil, err
		}
		if oldest != nil && *oldest < now {
			q.OldestDue = time.Duration(now-*oldest) * time.Millisecond
		}
		out = append(out, q)
	}
	return out, rows.Err()
}
