package server

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// metrics counts requests by method, route and status and sums their durations, exposed in the
// Prometheus text format at /metrics.
type metrics struct {
	mu       sync.Mutex
	requests map[[3]string]uint64
	seconds  map[[3]string]float64
	started  time.Time
}

func newMetrics() *metrics {
	return &metrics{requests: map[[3]string]uint64{}, seconds: map[[3]string]float64{}, started: time.Now()}
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// wrap records every request. The route is the matched pattern, not the path, so that ids do
// not explode the label set.
func (m *metrics) wrap(h *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		_, pattern := h.Handler(r)
		h.ServeHTTP(sw, r)
		if _, p, ok := strings.Cut(pattern, " "); ok {
			pattern = p
		}
		key := [3]string{r.Method, pattern, strconv.Itoa(sw.status)}
		m.mu.Lock()
		m.requests[key]++
		m.seconds[key] += time.Since(start).Seconds()
		m.mu.Unlock()
	})
}

func (m *metrics) serve(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	defer m.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	keys := make([][3]string, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [3]string) int { return strings.Compare(strings.Join(a[:], " "), strings.Join(b[:], " ")) })
	fmt.Fprintln(w, "# HELP siegel_http_requests_total HTTP requests by method, route and status.")
	fmt.Fprintln(w, "# TYPE siegel_http_requests_total counter")
	for _, k := range keys {
		fmt.Fprintf(w, "siegel_http_requests_total{method=%q,route=%q,code=%q} %d\n", k[0], k[1], k[2], m.requests[k])
	}
	fmt.Fprintln(w, "# HELP siegel_http_request_seconds_total Time spent serving HTTP requests.")
	fmt.Fprintln(w, "# TYPE siegel_http_request_seconds_total counter")
	for _, k := range keys {
		fmt.Fprintf(w, "siegel_http_request_seconds_total{method=%q,route=%q,code=%q} %g\n", k[0], k[1], k[2], m.seconds[k])
	}
	fmt.Fprintln(w, "# HELP siegel_uptime_seconds Seconds since the server started.")
	fmt.Fprintln(w, "# TYPE siegel_uptime_seconds gauge")
	fmt.Fprintf(w, "siegel_uptime_seconds %g\n", time.Since(m.started).Seconds())
}
