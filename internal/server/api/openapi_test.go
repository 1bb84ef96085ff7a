package api

import (
	"encoding/json"
	"net/http/httptest"
	"testing"
)

// TestOpenAPI: the embedded document is an OpenAPI 3.1 document with paths, served as JSON.
func TestOpenAPI(t *testing.T) {
	doc := map[string]any{}
	if err := json.Unmarshal(OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	if paths, _ := doc["paths"].(map[string]any); doc["openapi"] != "3.1.0" || len(paths) == 0 {
		t.Errorf("openapi %v with %d paths", doc["openapi"], len(paths))
	}
	rec := httptest.NewRecorder()
	ServeOpenAPI(rec, httptest.NewRequest("GET", "/api/v1/openapi.json", nil))
	if ct := rec.Header().Get("Content-Type"); rec.Code != 200 || ct != "application/json" || rec.Body.Len() != len(OpenAPI()) {
		t.Errorf("served %d %q, %d bytes", rec.Code, ct, rec.Body.Len())
	}
}
