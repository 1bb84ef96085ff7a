package server

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/server/app"
)

// The portfolio is paged: the web page links page to page and every product is on one page; the
// API answers ?page= and ?limit= with the total and the next page's URL.
func TestPortfolioPaging(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	acme, _ := e.st.OrganizationByName(ctx, "ACME")
	var want []string
	for i := range 7 {
		name := fmt.Sprintf("Product %02d", i)
		if _, err := e.st.CreateProduct(ctx, acme.ID, name, "router", "default"); err != nil {
			t.Fatal(err)
		}
		want = append(want, name)
	}
	if _, err := e.st.CreateUser(ctx, acme.ID, "psirt@acme.example", "correct horse battery", "psirt"); err != nil {
		t.Fatal(err)
	}
	b := e.browser(t)
	b.post("/login", url.Values{"email": {"psirt@acme.example"}, "password": {"correct horse battery"}})

	names := regexp.MustCompile(`<a href="/products/\d+">([^<]+)</a>`)
	next := regexp.MustCompile(`<a rel="next" href="([^"]+)">`)
	var got []string
	path := "/?sort=name&limit=3"
	for pages := 0; path != ""; pages++ {
		if pages > 3 {
			t.Fatal("more pages than products")
		}
		code, page, _ := b.get(path)
		if code != 200 {
			t.Fatalf("GET %s: %d", path, code)
		}
		for _, m := range names.FindAllStringSubmatch(page, -1) {
			got = append(got, m[1])
		}
		if pages == 0 && !strings.Contains(text(t, page), "Products 1–3 of 7") {
			t.Errorf("first page: %s", text(t, page))
		}
		path = ""
		if m := next.FindStringSubmatch(page); m != nil {
			path = strings.ReplaceAll(m[1], "&amp;", "&")
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("pages list %v, want %v", got, want)
	}
	if code, _, _ := b.get("/?page=0"); code != http.StatusBadRequest {
		t.Errorf("page 0: %d", code)
	}

	var list struct {
		Items              []app.ProductView
		Total, Page, Pages int
		Next               string
	}
	if code := e.do("GET", "/api/v1/products?limit=5", "acme-admin", "", nil, &list); code != 200 || len(list.Items) != 5 || list.Total != 7 || list.Pages != 2 || list.Next == "" {
		t.Fatalf("first API page %d: %+v", code, list)
	}
	first := list.Items
	list.Items, list.Next = nil, ""
	if code := e.do("GET", "/api/v1/products?limit=5&page=2", "acme-admin", "", nil, &list); code != 200 || len(list.Items) != 2 || list.Next != "" {
		t.Fatalf("second API page %d: %+v", code, list)
	}
	var apiNames []string
	for _, p := range append(first, list.Items...) {
		apiNames = append(apiNames, p.Name)
	}
	if !slices.Equal(apiNames, want) {
		t.Errorf("API pages list %v, want %v", apiNames, want)
	}
	for _, q := range []string{"limit=0", "limit=501", "page=x", "sort=price"} {
		if code := e.do("GET", "/api/v1/products?"+q, "acme-admin", "", nil, nil); code != http.StatusBadRequest {
			t.Errorf("?%s: %d, want 400", q, code)
		}
	}
}

// The job queue's depth and age are in the API, on the status page and in /metrics.
func TestQueueVisible(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) // the env's clock
	if _, err := e.st.Enqueue(ctx, "rematch", nil, "", now.Add(-2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.Enqueue(ctx, "match-release", nil, "", now.Add(-3*time.Second)); err != nil {
		t.Fatal(err)
	}
	var q app.QueueState
	if code := e.do("GET", "/api/v1/queue", "acme-ro", "", nil, &q); code != 200 {
		t.Fatalf("GET queue: %d", code)
	}
	want := []app.QueueKind{{Kind: "match-release", Lane: "uploads", Due: 1, OldestDueSeconds: 3}, {Kind: "rematch", Lane: "bulk", Due: 1, OldestDueSeconds: 120}}
	if q.Due != 2 || q.OldestDueSeconds != 120 || !slices.Equal(q.Kinds, want) {
		t.Errorf("queue %+v, want %+v", q, want)
	}
	_, body := e.raw("GET", "/metrics", "acme-admin", "", nil)
	for _, line := range []string{`siegel_jobs_due{kind="rematch",lane="bulk"} 1`, `siegel_jobs_oldest_due_seconds{kind="rematch",lane="bulk"} 120`,
		`siegel_jobs_due{kind="match-release",lane="uploads"} 1`} {
		if !strings.Contains(string(body), line+"\n") {
			t.Errorf("metrics lack %s:\n%s", line, body)
		}
	}
	acme, _ := e.st.OrganizationByName(ctx, "ACME")
	if _, err := e.st.CreateUser(ctx, acme.ID, "psirt@acme.example", "correct horse battery", "psirt"); err != nil {
		t.Fatal(err)
	}
	b := e.browser(t)
	b.post("/login", url.Values{"email": {"psirt@acme.example"}, "password": {"correct horse battery"}})
	_, page, _ := b.get("/status")
	if txt := text(t, page); !strings.Contains(txt, "2 jobs waiting, the oldest for 120 s") || !strings.Contains(txt, "rematch bulk 1 120 s 0 0") {
		t.Errorf("status page: %s", txt)
	}
}
