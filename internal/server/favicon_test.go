package server

import (
	"strings"
	"testing"
)

// TestFavicon: every page names an icon, and the server serves it.
func TestFavicon(t *testing.T) {
	e := newEnv(t)
	code, page := e.raw("GET", "/login", "", "", nil)
	if code != 200 || !strings.Contains(string(page), `<link rel="icon" href="/static/favicon.svg"`) {
		t.Fatalf("login page %d names no icon", code)
	}
	code, icon := e.raw("GET", "/static/favicon.svg", "", "", nil)
	if code != 200 || !strings.HasPrefix(string(icon), "<svg") {
		t.Errorf("icon: %d %.40q", code, icon)
	}
}
