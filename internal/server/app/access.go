package app

import (
	"context"
	"net/http"
)

// accessKey is the context key of a request's access record.
type accessKey struct{}

// Access is what the access log says of one request, filled in as it is served: the handlers
// that authenticate the caller name the principal.
type Access struct {
	ID        string // the request id, also sent as X-Request-Id and quoted in error answers
	Principal string // "token:ID:NAME", "user:EMAIL", or "" for an anonymous request
}

// WithAccess returns ctx carrying the request's access record a.
func WithAccess(ctx context.Context, a *Access) context.Context {
	return context.WithValue(ctx, accessKey{}, a)
}

// accessOf returns the request's access record, or nil outside the access log's middleware.
func accessOf(ctx context.Context) *Access {
	a, _ := ctx.Value(accessKey{}).(*Access)
	return a
}

// NotePrincipal records who made the request, for its line in the access log.
func NotePrincipal(r *http.Request, who string) {
	if a := accessOf(r.Context()); a != nil {
		a.Principal = who
	}
}

// RequestID is the id of the request, "" outside the access log's middleware.
func RequestID(ctx context.Context) string {
	if a := accessOf(ctx); a != nil {
		return a.ID
	}
	return ""
}

// RequestIDOf is the request id the access log sent in w's headers, for code that has the
// writer but not the request.
func RequestIDOf(w http.ResponseWriter) string { return w.Header().Get("X-Request-Id") }
