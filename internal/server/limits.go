package server

import (
	"errors"
	"fmt"
	"io"
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

// upload wraps an API upload handler with acquireUpload.
func (s *Server) upload(h func(http.ResponseWriter, *http.Request, caller.Principal)) func(http.ResponseWriter, *http.Request, caller.Principal) {
	return func(w http.ResponseWriter, r *http.Request, p caller.Principal) {
		release, ok := s.AcquireUpload(w, r)
		if !ok {
			return
		}
		defer release()
		h(w, r, p)
	}
}

// readBody reads an upload of at most max bytes. It returns the status to answer with when the
// read fails: 413 for a body over the limit, 400 for one that ended before its announced length
// or could not be read.
func readBody(w http.ResponseWriter, r *http.Request, name string, max int64) ([]byte, int, error) {
	if r.ContentLength > max {
		return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("%s: %d bytes, larger than the limit of %d bytes; split it or ask the administrator to raise --max-upload", name, r.ContentLength, max)
	}
	var data []byte
	var err error
	if r.ContentLength > 0 {
		// The announced length, read into one buffer of that size: a growing buffer would hold
		// up to twice the body while it copies. net/http ends the body at that length.
		data = make([]byte, r.ContentLength)
		var n int
		n, err = io.ReadFull(r.Body, data)
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			data = data[:n]
		}
	} else {
		data, err = input.ReadAll(name, http.MaxBytesReader(w, r.Body, max+1), input.Limits{MaxBytes: max})
	}
	if err == nil {
		return data, 0, nil
	}
	var mbe *http.MaxBytesError
	if errors.Is(err, input.ErrTooLarge) || errors.As(err, &mbe) {
		return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("%s: larger than the limit of %d bytes; split it or ask the administrator to raise --max-upload", name, max)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, http.StatusBadRequest, fmt.Errorf("%s: the body ended before the %d bytes its Content-Length announced; send it again", name, r.ContentLength)
	}
	return nil, http.StatusBadRequest, fmt.Errorf("%s: the body could not be read (%v); send it again", name, err)
}

// metricsEndpoint serves /metrics to callers with an API token (any role: a scraper gets one of
// its own), or to anyone when the server was started with PublicMetrics. Route names, counts and
// timings tell an outsider what the installation is used for.
func (s *Server) metricsEndpoint(w http.ResponseWriter, r *http.Request) {
	if s.PublicMetrics {
		s.serveMetrics(w, r)
		return
	}
	s.api(func(w http.ResponseWriter, r *http.Request, _ caller.Principal) { s.serveMetrics(w, r) })(w, r)
}

// consistencyRequest says what is wrong with a request for a consistency proof between the trees
// of from and to entries ("" when nothing is). RFC 9162 (section 2.1.4) defines the proof for
// 0 < from <= to only: every tree is consistent with the empty one, so there is nothing to prove.
func consistencyRequest(from, to int64) string {
	switch {
	case from < 1:
		return "from must be at least 1: a consistency proof starts from a tree with entries (RFC 9162, 2.1.4); every log extends the empty one"
	case from > to:
		return fmt.Sprintf("from (%d) must not exceed to (%d): a proof shows that the larger tree extends the smaller", from, to)
	}
	return ""
}
