package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"
)

// recordHandler hands every log record to a channel, for tests that wait for a line.
type recordHandler struct{ records chan slog.Record }

func (h recordHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h recordHandler) Handle(_ context.Context, r slog.Record) error {
	h.records <- r.Clone()
	return nil
}
func (h recordHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h recordHandler) WithGroup(string) slog.Handler      { return h }

// attrs returns a record's attributes as strings.
func attrs(r slog.Record) map[string]string {
	m := map[string]string{}
	r.Attrs(func(a slog.Attr) bool {
		m[a.Key] = a.Value.String()
		return true
	})
	return m
}

// nextAccess waits for the access log's line of a request with the given id.
func nextAccess(t *testing.T, records chan slog.Record, id string) map[string]string {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case r := <-records:
			if a := attrs(r); r.Message == "request" && a["request_id"] == id {
				return a
			}
		case <-deadline:
			t.Fatalf("no access log line for request %s", id)
			return nil
		}
	}
}

func TestAccessLog(t *testing.T) {
	records := make(chan slog.Record, 1000)
	e := newEnv(t, func(c *Config) { c.Log = slog.New(recordHandler{records}) })
	get := func(path, who string) *http.Response {
		req, _ := http.NewRequestWithContext(t.Context(), "GET", e.srv.URL+path, nil)
		if who != "" {
			req.Header.Set("Authorization", "Bearer "+e.tokens[who])
		}
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	tok, err := e.st.Authenticate(t.Context(), e.tokens["acme-admin"])
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path, who string
		want      map[string]string
	}{
		{"/api/v1/releases/424242", "acme-admin", map[string]string{"method": "GET", "route": "/api/v1/releases/{id}", "status": "404", "principal": "token:" + itoa(tok.ID) + ":acme-admin"}},
		{"/api/v1/products", "", map[string]string{"method": "GET", "route": "/api/v1/products", "status": "401", "principal": ""}},
		{"/healthz", "", map[string]string{"method": "GET", "route": "/healthz", "status": "200", "principal": ""}},
		{"/no/such/page", "", map[string]string{"method": "GET", "status": "404"}},
	} {
		resp := get(tc.path, tc.who)
		id := resp.Header.Get("X-Request-Id")
		if len(id) != 16 {
			t.Fatalf("%s: request id %q", tc.path, id)
		}
		got := nextAccess(t, records, id)
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("%s: %s = %q, want %q (line %v)", tc.path, k, got[k], v, got)
			}
		}
		if strings.Contains(got["route"], "424242") {
			t.Errorf("the route carries the path's id: %v", got)
		}
		if _, ok := got["duration"]; !ok {
			t.Errorf("%s: no duration in %v", tc.path, got)
		}
	}
}

// TestInternalErrorHidden: a failure on the server's side answers a generic message that quotes
// the request id; the error itself goes to the log only.
func TestInternalErrorHidden(t *testing.T) {
	records := make(chan slog.Record, 1000)
	e := newEnv(t, func(c *Config) { c.Log = slog.New(recordHandler{records}) })
	secret := e.tokens["acme-admin"]
	e.st.Close() // every store call now fails with the driver's own message
	req, _ := http.NewRequestWithContext(t.Context(), "GET", e.srv.URL+"/api/v1/products", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body apiError
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	id := resp.Header.Get("X-Request-Id")
	if resp.StatusCode != http.StatusInternalServerError || !strings.Contains(body.Error, id) || strings.Contains(body.Error, "sql") || strings.Contains(body.Error, "closed") {
		t.Errorf("answer %d %q (request %s)", resp.StatusCode, body.Error, id)
	}
	for {
		r := <-records
		if a := attrs(r); r.Message == "request failed" && a["request_id"] == id {
			if a["err"] == "" {
				t.Errorf("the log line has no error: %v", a)
			}
			break
		}
	}
}
