package server

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/siegel-oss/siegel/internal/notify"
)

// TestChannelTestNamesProduct: a channel's test event names a product in its product field —
// the channel's own, or one of the organization's for a channel that follows all — not the
// organization.
func TestChannelTestNamesProduct(t *testing.T) {
	e := newEnv(t)
	var mu sync.Mutex
	var got []notify.Event
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var ev notify.Event
		if err := json.Unmarshal(body, &ev); err != nil {
			t.Errorf("webhook body %s: %v", body, err)
		}
		mu.Lock()
		got = append(got, ev)
		mu.Unlock()
	}))
	defer recv.Close()
	router, _ := e.newRelease("HomeRouter", "router")
	camera, _ := e.newRelease("DoorCam", "router")
	for _, tc := range []struct {
		product int64
		want    string
	}{{0, ""}, {camera.ID, camera.Name}} {
		var ch struct{ ID int64 }
		if code := e.do("POST", "/api/v1/channels", "acme-admin", "application/json", jsonBody(map[string]any{"kind": "webhook", "target": recv.URL,
			"secret": "0123456789abcdef0123", "product": tc.product}), &ch); code != http.StatusCreated {
			t.Fatalf("channel: %d", code)
		}
		if code := e.do("POST", "/api/v1/channels/"+itoa(ch.ID)+"/test", "acme-admin", "", nil, nil); code != http.StatusAccepted {
			t.Fatalf("test: %d", code)
		}
		e.drain()
		mu.Lock()
		last := got[len(got)-1]
		mu.Unlock()
		ok := last.Product == tc.want || tc.want == "" && (last.Product == router.Name || last.Product == camera.Name)
		if last.Kind != "test" || !ok {
			t.Errorf("channel for product %d: test event names product %q, want %q", tc.product, last.Product, tc.want)
		}
	}
}
