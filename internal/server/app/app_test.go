package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/siegel-oss/siegel/internal/store"
)

// Fail answers store sentinels with their status and anything else with 500 that quotes the
// request id and none of the error's text, which only the log gets.
func TestFail(t *testing.T) {
	var log strings.Builder
	d := &Deps{Config: Config{Log: slog.New(slog.NewTextHandler(&log, nil))}}
	for _, c := range []struct {
		err    error
		status int
	}{
		{fmt.Errorf("product 7: %w", store.ErrNotFound), http.StatusNotFound},
		{fmt.Errorf("release: %w", store.ErrConflict), http.StatusConflict},
		{fmt.Errorf("scan: %w", context.Canceled), 499},
		{errors.New("open /var/lib/secret.db: permission denied"), http.StatusInternalServerError},
	} {
		r := httptest.NewRequest("GET", "/api/v1/products/7", nil)
		r = r.WithContext(WithAccess(r.Context(), &Access{ID: "00ff00ff00ff00ff"}))
		w := httptest.NewRecorder()
		d.Fail(w, r, c.err)
		if w.Code != c.status {
			t.Errorf("%v: status %d, want %d", c.err, w.Code, c.status)
		}
		body, _ := io.ReadAll(w.Body)
		if strings.Contains(string(body), "secret") {
			t.Errorf("%v: answer leaks the error: %s", c.err, body)
		}
		if c.status == http.StatusInternalServerError && !strings.Contains(string(body), "00ff00ff00ff00ff") {
			t.Errorf("%v: answer does not quote the request id: %s", c.err, body)
		}
	}
	if !strings.Contains(log.String(), "secret.db") || !strings.Contains(log.String(), "request_id=00ff00ff00ff00ff") {
		t.Errorf("the log lacks the failure or its request id:\n%s", log.String())
	}
}

// The principal noted by a handler is what the access record holds; outside the access log's
// middleware noting it does nothing and the request has no id.
func TestAccessRecord(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	NotePrincipal(r, "user:a@example.org")
	if id := RequestID(r.Context()); id != "" {
		t.Errorf("request id %q outside the middleware", id)
	}
	a := &Access{ID: "1"}
	r = r.WithContext(WithAccess(r.Context(), a))
	NotePrincipal(r, "token:3:ci")
	if a.Principal != "token:3:ci" || RequestID(r.Context()) != "1" {
		t.Errorf("access record %+v", a)
	}
}
