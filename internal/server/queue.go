package server

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/siegel-oss/siegel/internal/monitor"
	"github.com/siegel-oss/siegel/internal/server/caller"
)

// queueKind is the state of the job queue for one kind of job.
type queueKind struct {
	Kind             string  `json:"kind"`
	Lane             string  `json:"lane"`
	Due              int     `json:"due"`
	Scheduled        int     `json:"scheduled"`
	Running          int     `json:"running"`
	OldestDueSeconds float64 `json:"oldestDueSeconds"`
}

// queueState is how much background work waits, shared by every server on the store.
type queueState struct {
	Due              int         `json:"due"`
	Running          int         `json:"running"`
	OldestDueSeconds float64     `json:"oldestDueSeconds"`
	Kinds            []queueKind `json:"kinds"`
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

func (s *Server) queueState(ctx context.Context) (*queueState, error) {
	stats, err := s.Store.QueueStats(ctx)
	if err != nil {
		return nil, err
	}
	q := &queueState{Kinds: []queueKind{}}
	for _, k := range stats {
		age := k.OldestDue.Seconds()
		q.Kinds = append(q.Kinds, queueKind{Kind: k.Kind, Lane: laneOf(k.Kind), Due: k.Due, Scheduled: k.Scheduled, Running: k.Running, OldestDueSeconds: age})
		q.Due += k.Due
		q.Running += k.Running
		q.OldestDueSeconds = max(q.OldestDueSeconds, age)
	}
	return q, nil
}

// getQueue answers the depth and age of the job queue.
func (s *Server) getQueue(w http.ResponseWriter, r *http.Request, _ caller.Principal) {
	q, err := s.queueState(r.Context())
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, q)
}

// serveMetrics adds the job queue's gauges to the request counters.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	q, err := s.queueState(r.Context())
	s.metrics.serve(w, r)
	if err != nil {
		s.Log.Error("metrics: job queue", "err", err)
		return
	}
	for _, g := range []struct {
		name, help string
		value      func(queueKind) float64
	}{
		{"siegel_jobs_due", "Background jobs due and waiting for a worker, by kind.", func(k queueKind) float64 { return float64(k.Due) }},
		{"siegel_jobs_scheduled", "Background jobs queued for later, by kind.", func(k queueKind) float64 { return float64(k.Scheduled) }},
		{"siegel_jobs_running", "Background jobs held by a server, by kind.", func(k queueKind) float64 { return float64(k.Running) }},
		{"siegel_jobs_oldest_due_seconds", "How long the job due longest has waited, by kind.", func(k queueKind) float64 { return k.OldestDueSeconds }},
	} {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n", g.name, g.help, g.name)
		for _, k := range q.Kinds {
			fmt.Fprintf(w, "%s{kind=%q,lane=%q} %g\n", g.name, k.Kind, k.Lane, g.value(k))
		}
	}
}
