package server

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/server/app"
)

// accessWriter remembers the status a handler answered with.
type accessWriter struct {
	http.ResponseWriter
	status int
}

func (w *accessWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *accessWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer (deadlines, flushing).
func (w *accessWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logAccess logs one line per request once it is answered: method, route pattern (never the
// path, which may carry ids and tokens of public links), status, duration, principal and request
// id. Every request gets an id, sent back as X-Request-Id, so that a client who reports a failure
// can be matched to the server's log.
func (s *Server) logAccess(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now() // a duration, not a date: the monotonic clock, not the injected one
		a := &app.Access{ID: newRequestID()}
		w.Header().Set("X-Request-Id", a.ID)
		aw := &accessWriter{ResponseWriter: w}
		r = r.WithContext(app.WithAccess(r.Context(), a))
		next.ServeHTTP(aw, r)
		status := aw.status
		if status == 0 {
			status = http.StatusOK // nothing written: net/http answers 200
		}
		route := r.Pattern // set by the ServeMux on the request it was handed
		if _, path, ok := strings.Cut(route, " "); ok {
			route = path // the method is logged on its own
		}
		if route == "" {
			route = "(none)"
		}
		s.Log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method), slog.String("route", route), slog.Int("status", status),
			slog.Duration("duration", time.Since(start)), slog.String("principal", a.Principal),
			slog.String("request_id", a.ID))
	})
}

// newRequestID returns 16 random hex digits.
func newRequestID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
