package server

import (
	"fmt"
	"net/http"

	"github.com/siegel-oss/siegel/internal/server/app"
)

// serveMetrics adds the job queue's gauges to the request counters.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	q, err := s.QueueState(r.Context())
	s.metrics.serve(w, r)
	if err != nil {
		s.Log.Error("metrics: job queue", "err", err)
		return
	}
	for _, g := range []struct {
		name, help string
		value      func(app.QueueKind) float64
	}{
		{"siegel_jobs_due", "Background jobs due and waiting for a worker, by kind.", func(k app.QueueKind) float64 { return float64(k.Due) }},
		{"siegel_jobs_scheduled", "Background jobs queued for later, by kind.", func(k app.QueueKind) float64 { return float64(k.Scheduled) }},
		{"siegel_jobs_running", "Background jobs held by a server, by kind.", func(k app.QueueKind) float64 { return float64(k.Running) }},
		{"siegel_jobs_oldest_due_seconds", "How long the job due longest has waited, by kind.", func(k app.QueueKind) float64 { return k.OldestDueSeconds }},
	} {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n", g.name, g.help, g.name)
		for _, k := range q.Kinds {
			fmt.Fprintf(w, "%s{kind=%q,lane=%q} %g\n", g.name, k.Kind, k.Lane, g.value(k))
		}
	}
}
