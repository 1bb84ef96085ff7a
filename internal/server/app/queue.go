package app

import (
	"context"
	"slices"

	"github.com/siegel-oss/siegel/internal/monitor"
)

// QueueKind is the state of the job queue for one kind of job.
type QueueKind struct {
	Kind             string  `json:"kind"`
	Lane             string  `json:"lane"`
	Due              int     `json:"due"`
	Scheduled        int     `json:"scheduled"`
	Running          int     `json:"running"`
	OldestDueSeconds float64 `json:"oldestDueSeconds"`
}

// QueueState is how much background work waits, shared by every server on the store.
type QueueState struct {
	Due              int         `json:"due"`
	Running          int         `json:"running"`
	OldestDueSeconds float64     `json:"oldestDueSeconds"`
	Kinds            []QueueKind `json:"kinds"`
}

// laneOf names the lane of the monitor that runs jobs of a kind.
func laneOf(kind string) string {
	for _, l := range monitor.Lanes {
		if l.Kinds != nil && slices.Contains(l.Kinds, kind) {
			return l.Name
		}
	}
	return "bulk"
}

// QueueState is the job queue's state, per kind of job.
func (s *Deps) QueueState(ctx context.Context) (*QueueState, error) {
	stats, err := s.Store.QueueStats(ctx)
	if err != nil {
		return nil, err
	}
	q := &QueueState{Kinds: []QueueKind{}}
	for _, k := range stats {
		age := k.OldestDue.Seconds()
		q.Kinds = append(q.Kinds, QueueKind{Kind: k.Kind, Lane: laneOf(k.Kind), Due: k.Due, Scheduled: k.Scheduled, Running: k.Running, OldestDueSeconds: age})
		q.Due += k.Due
		q.Running += k.Running
		q.OldestDueSeconds = max(q.OldestDueSeconds, age)
	}
	return q, nil
}
