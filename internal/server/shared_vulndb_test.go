package server

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/siegel-oss/siegel/internal/monitor"
	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/store"
	"github.com/siegel-oss/siegel/internal/store/pgtest"
	"github.com/siegel-oss/siegel/internal/vulndb"
	"github.com/siegel-oss/siegel/internal/vulndb/vulndbtest"
)

// TestMatchWaitsForDatabase is the regression test of a server without a vulnerability database
// that marked an upload's matching done with no findings: the job stays queued with the reason,
// the release page says that matching waits, and once a database is there the release is matched.
func TestMatchWaitsForDatabase(t *testing.T) {
	vdir := t.TempDir() // no database in it yet
	e := newEnv(t, func(c *Config) { c.VulnDB = vdir })
	e.mon = monitor.New(monitor.Config{Store: e.st, VulnDB: vdir})
	var prod app.ProductView
	e.do("POST", "/api/v1/products", "acme-admin", "application/json", jsonBody(map[string]string{"name": "HomeRouter"}), &prod)
	var rel app.ReleaseView
	e.do("POST", "/api/v1/products/"+itoa(prod.ID)+"/releases", "acme-admin", "application/json", jsonBody(map[string]string{"version": "1", "supportEnd": "2031-12"}), &rel)
	if code := e.do("POST", "/api/v1/releases/"+itoa(rel.ID)+"/sboms", "acme-admin", "application/json", []byte(uploadCDX), nil); code != 201 {
		t.Fatalf("upload %d", code)
	}
	e.drain()
	jobs, err := e.st.Jobs(t.Context(), monitor.KindMatch, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 1 || jobs[0].State != "queued" || !strings.Contains(jobs[0].LastError, "matching waits for a vulnerability database") {
		t.Fatalf("the match job without a database: %+v", jobs)
	}

	b := psirtBrowser(t, e)
	_, page, _ := b.get("/releases/" + itoa(rel.ID))
	if !strings.Contains(text(t, page), "Matching waits for a vulnerability database") {
		t.Errorf("the release page does not say that matching waits: %s", text(t, page))
	}

	if err := vulndbtest.Open(t).Export(t.Context(), filepath.Join(vdir, "vulndb.sqlite")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.RunNow(t.Context(), "match-release/"+itoa(rel.ID)); err != nil {
		t.Fatal(err)
	}
	e.drain()
	var fs struct{ Total int }
	e.do("GET", "/api/v1/releases/"+itoa(rel.ID)+"/findings", "acme-admin", "", nil, &fs)
	if fs.Total == 0 {
		t.Error("no findings once the database is there")
	}
}

// psirtBrowser returns a browser signed in as a new PSIRT user of ACME.
func psirtBrowser(t *testing.T, e *env) *browser {
	acme, _ := e.st.OrganizationByName(t.Context(), "ACME")
	if _, err := e.st.CreateUser(t.Context(), acme.ID, "psirt@acme.example", "correct horse battery", "psirt"); err != nil {
		t.Fatal(err)
	}
	b := e.browser(t)
	if code, _, _ := b.post("/login", map[string][]string{"email": {"psirt@acme.example"}, "password": {"correct horse battery"}}); code != 303 {
		t.Fatalf("login %d", code)
	}
	return b
}

// cluster is several servers, each with its own store handle and monitor, on one PostgreSQL
// database, as several 'siegel serve' behind a load balancer are.
type cluster struct {
	t     *testing.T
	dsn   string
	urls  []string
	st    *store.DB // one of the servers' store handles, for looking at jobs
	token string
}

func newCluster(t *testing.T, n int) *cluster {
	dsn := pgtest.Database(t)
	fixtures := vulndbtest.Dir()
	sources := vulndb.Sources{OSV: filepath.Join(fixtures, "osv"), KEV: filepath.Join(fixtures, "feeds", "kev.json"),
		EPSS: filepath.Join(fixtures, "feeds", "epss.csv"), EUVD: filepath.Join(fixtures, "feeds", "euvd-exploited.json")}
	c := &cluster{t: t, dsn: dsn}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	for range n {
		st, err := store.OpenPostgres(t.Context(), dsn, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		mon := monitor.New(monitor.Config{Store: st, VulnDB: dsn, Sources: sources, Poll: 50 * time.Millisecond})
		srv := httptest.NewServer(New(Config{Store: st, VulnDB: dsn, Monitor: mon}).Handler())
		t.Cleanup(srv.Close)
		wg.Go(func() { mon.Run(ctx) })
		c.urls, c.st = append(c.urls, srv.URL), st
	}
	org, err := c.st.CreateOrganization(t.Context(), "ACME", "medium", false)
	if err != nil {
		t.Fatal(err)
	}
	if c.token, _, err = c.st.CreateToken(t.Context(), org.ID, "admin", "test"); err != nil {
		t.Fatal(err)
	}
	return c
}

// do sends a request to server i and decodes the JSON answer into out.
func (c *cluster) do(i int, method, path string, body []byte, out any) int {
	c.t.Helper()
	req, _ := http.NewRequestWithContext(c.t.Context(), method, c.urls[i]+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			c.t.Fatalf("%s %s: %v in %s", method, path, err, data)
		}
	}
	return resp.StatusCode
}

// waitFor polls cond until it holds (or fails the test after a minute).
func (c *cluster) waitFor(what string, cond func() bool) {
	c.t.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			c.t.Fatalf("waited a minute for %s", what)
		}
	}
}

// updated waits until no update job is unfinished and returns the number of imports the
// vulnerability database has recorded.
func (c *cluster) updated() int {
	c.t.Helper()
	c.waitFor("the update", func() bool {
		busy, err := c.st.Pending(c.t.Context(), "db-update")
		return err == nil && !busy
	})
	db, err := sql.Open("pgx", c.dsn)
	if err != nil {
		c.t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(c.t.Context(), `SELECT count(*) FROM vulndb.snapshot`).Scan(&n); err != nil {
		c.t.Fatal(err)
	}
	return n
}

// findings waits until the release is matched and returns its findings as server i states them,
// without the time each was first seen (which differs between releases).
func (c *cluster) findings(i int, release int64) []map[string]any {
	c.t.Helper()
	type page struct {
		Items    []map[string]any
		Matching bool
		Coverage *struct{ Checked int }
	}
	var fs page
	c.waitFor("matching", func() bool {
		// A fresh value each time: decoding into the last answer would keep its keys in
		// the findings' maps and its coverage when the new answer has none.
		fs = page{}
		c.do(i, "GET", "/api/v1/releases/"+itoa(release)+"/findings", nil, &fs)
		return !fs.Matching && fs.Coverage != nil
	})
	for _, f := range fs.Items {
		delete(f, "firstSeen")
	}
	return fs.Items
}

// TestServersShareVulnDB runs three servers on one PostgreSQL: an SBOM uploaded before any
// database exists waits for one; an update requested through any server is imported once, by
// one of them, into the one vulnerability database they share; and the same SBOM gets the same
// findings on every server.
func TestServersShareVulnDB(t *testing.T) {
	c := newCluster(t, 3)
	var prod app.ProductView
	c.do(0, "POST", "/api/v1/products", jsonBody(map[string]string{"name": "HomeRouter"}), &prod)
	releases := make([]int64, 3)
	for i := range releases {
		var rel app.ReleaseView
		c.do(i, "POST", "/api/v1/products/"+itoa(prod.ID)+"/releases", jsonBody(map[string]string{"version": itoa(int64(i + 1)), "supportEnd": "2031-12"}), &rel)
		releases[i] = rel.ID
	}
	// Before any update there is no database: matching must wait, not finish empty.
	if code := c.do(0, "POST", "/api/v1/releases/"+itoa(releases[0])+"/sboms", []byte(uploadCDX), nil); code != 201 {
		t.Fatalf("upload %d", code)
	}
	c.waitFor("a server to try the match job", func() bool {
		jobs, err := c.st.Jobs(t.Context(), monitor.KindMatch, 1)
		return err == nil && len(jobs) == 1 && jobs[0].LastError != ""
	})
	if jobs, _ := c.st.Jobs(t.Context(), monitor.KindMatch, 1); jobs[0].State != "queued" || !strings.Contains(jobs[0].LastError, "vulnerability database") {
		t.Fatalf("the match job without a database: %+v", jobs[0])
	}

	if code := c.do(1, "POST", "/api/v1/db/update", nil, nil); code != http.StatusAccepted {
		t.Fatalf("update through server 2: %d", code)
	}
	imports := c.updated()
	db, err := vulndb.Open(t.Context(), c.dsn, false)
	if err != nil {
		t.Fatal(err)
	}
	st, err := db.Status(t.Context())
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if sources := len(st.Snapshots); imports != sources || sources < 4 {
		t.Fatalf("one update imported %d times for %d sources: %+v", imports, sources, st.Snapshots)
	}

	for i := 1; i < 3; i++ {
		if code := c.do(i, "POST", "/api/v1/releases/"+itoa(releases[i])+"/sboms", []byte(uploadCDX), nil); code != 201 {
			t.Fatalf("upload to server %d: %d", i+1, code)
		}
	}
	want := c.findings(0, releases[0])
	if len(want) == 0 {
		t.Fatal("no findings for the fixture SBOM")
	}
	for i := range 3 {
		for j, rel := range releases {
			if diff := cmp.Diff(want, c.findings(i, rel)); diff != "" {
				t.Errorf("findings of release %d through server %d differ from release 1's through server 1 (-want +got):\n%s", j+1, i+1, diff)
			}
		}
	}

	// A second update, through the third server: imported once more, not three times.
	first, err := c.st.Jobs(t.Context(), monitor.KindUpdate, 1)
	if err != nil || len(first) != 1 || first[0].State != "done" {
		t.Fatalf("the first update job: %+v %v", first, err)
	}
	if code := c.do(2, "POST", "/api/v1/db/update", nil, nil); code != http.StatusAccepted {
		t.Fatalf("update through server 3: %d", code)
	}
	c.waitFor("the second update", func() bool {
		jobs, err := c.st.Jobs(t.Context(), monitor.KindUpdate, 1)
		return err == nil && len(jobs) == 1 && jobs[0].ID != first[0].ID && jobs[0].State == "done"
	})
	if n := c.updated(); n != 2*imports {
		t.Errorf("two updates made %d imports, want %d", n, 2*imports)
	}
}
