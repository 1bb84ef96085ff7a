package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// accessKey is the context key of a request's access record.
type accessKey struct{}

// access is what the access log says of one request, filled in as it is served: the handlers
// that authenticate the caller name the principal.
type access struct {
	id        string // the request id, also sent as X-Request-Id and quoted in error answers
	principal string // "token:ID:NAME", "user:EMAIL", or "" for an anonymous request
}

// accessOf returns the request's access record, or nil outside the access log's middleware.
func accessOf(ctx context.Context) *access {
	a, _ := ctx.Value(accessKey{}).(*access)
	return a
}

// notePrincipal records who made the request, for its line in the access log.
func notePrincipal(r *http.Request, who string) {
	if a := accessOf(r.Context()); a != nil {
		a.principal = who
	}
}

// requestID is the id of the request, "" outside the access log's middleware.
func requestID(ctx context.Context) string {
	if a := accessOf(ctx); a != nil {
		return a.id
	}
	return ""
}

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
		a := &access{id: newRequestID()}
		w.Header().Set("X-Request-Id", a.id)
		aw := &accessWriter{ResponseWriter: w}
		r = r.WithContext(context.WithValue(r.Context(), accessKey{}, a))
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
		s.cfg.Log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method), slog.String("route", route), slog.Int("status", status),
			slog.Duration("duration", time.Since(start)), slog.String("principal", a.principal),
			slog.String("request_id", a.id))
	})
}

// newRequestID returns 16 random hex digits.
func newRequestID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// internalError logs err with the request's id and answers 500 with a message that quotes the
// id but says nothing of the error itself: paths, SQL and library messages stay in the log.
func (s *Server) internalError(w http.ResponseWriter, r *http.Request, err error) {
	id := requestID(r.Context())
	s.cfg.Log.Error("request failed", "method", r.Method, "route", r.Pattern, "request_id", id, "err", err)
	writeError(w, http.StatusInternalServerError, internalErrorText(id))
}

// internalErrorText is what a client is told of a failure on the server's side.
func internalErrorText(id string) string {
	if id == "" {
		return "internal error; the server's log has the details"
	}
	return "internal error (request " + id + "); the server's log has the details under this id"
}

// requestIDOf is the request id the access log sent in w's headers, for code that has the
// writer but not the request.
func requestIDOf(w http.ResponseWriter) string { return w.Header().Get("X-Request-Id") }
