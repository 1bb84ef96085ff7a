package server

import (
	"net/http"
	"time"

	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/server/caller"
)

// Defaults of the connection limits (Config fields left zero).
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = time.Minute
	DefaultWriteTimeout      = 2 * time.Minute
	DefaultIdleTimeout       = 2 * time.Minute
	DefaultUploadTimeout     = 15 * time.Minute
	DefaultMaxUploads        = 2
	DefaultMaxUnpack         = 256 << 20
)

// HTTPServer returns the http.Server that serves the handler with the configured time limits: a
// client that sends its headers or body too slowly, or stops reading the answer, loses its
// connection. Upload routes lift the read and write limits to UploadTimeout once the caller is
// authenticated (see upload), so a slow anonymous body never holds a connection longer than
// ReadTimeout.
func (s *Server) HTTPServer() *http.Server {
	return &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: s.ReadHeaderTimeout,
		ReadTimeout:       s.ReadTimeout,
		WriteTimeout:      s.WriteTimeout,
		IdleTimeout:       s.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
	}
}

// limitDefaults fills the zero limits of cfg.
func limitDefaults(cfg *Config) {
	if cfg.ReadHeaderTimeout <= 0 {
		cfg.ReadHeaderTimeout = DefaultReadHeaderTimeout
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = DefaultReadTimeout
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = DefaultWriteTimeout
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.UploadTimeout <= 0 {
		cfg.UploadTimeout = DefaultUploadTimeout
	}
	if cfg.MaxUploads <= 0 {
		cfg.MaxUploads = DefaultMaxUploads
	}
	if cfg.MaxUnpack <= 0 {
		cfg.MaxUnpack = DefaultMaxUnpack
	}
}

// unpackBudget is the content a firmware image of n bytes may unpack to, across all its layers:
// the same bounds as a source archive's.
func (s *Server) unpackBudget(n int64) int64 {
	return min(s.MaxUnpack, max(input.DefaultRatioFloor, input.DefaultMaxRatio*n))
}

// Unwrap lets http.ResponseController reach the connection under the metrics' writer (deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// metricsEndpoint serves /metrics to callers with an API token (any role: a scraper gets one of
// its own), or to anyone when the server was started with PublicMetrics. Route names, counts and
// timings tell an outsider what the installation is used for.
func (s *Server) metricsEndpoint(w http.ResponseWriter, r *http.Request) {
	if s.PublicMetrics {
		s.serveMetrics(w, r)
		return
	}
	s.Bearer(func(w http.ResponseWriter, r *http.Request, _ caller.Principal) { s.serveMetrics(w, r) })(w, r)
}
