// Command platform seeds a Siegel store with a large portfolio and measures the platform on it:
// web page latencies, re-evaluation after an OSV update, and concurrent SBOM uploads. It runs the
// real store, vulnerability database, monitor and HTTP server in one process.
//
//	go run ./bench/platform                                      # SQLite in a temporary directory
//	go run ./bench/platform -database postgres://localhost/bench # PostgreSQL (the database is emptied)
//	go run ./bench/platform -products 200                        # a smaller run
package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/siegel-oss/siegel/internal/match"
	"github.com/siegel-oss/siegel/internal/monitor"
	"github.com/siegel-oss/siegel/internal/sbom"
	"github.com/siegel-oss/siegel/internal/server"
	"github.com/siegel-oss/siegel/internal/store"
	"github.com/siegel-oss/siegel/internal/vulndb"
)

var (
	database   = flag.String("database", "", "PostgreSQL URL (its tables are dropped first); SQLite in a temporary directory when empty")
	products   = flag.Int("products", 2000, "products to seed")
	releases   = flag.Int("releases", 5, "releases per product")
	components = flag.Int("components", 500, "components per release")
	pool       = flag.Int("pool", 20000, "distinct PyPI package names the components are drawn from")
	advisories = flag.Int("advisories", 5000, "OSV advisories, each on one package of the pool")
	changed    = flag.Int("changed", 1000, "advisories the update changes")
	requests   = flag.Int("requests", 100, "requests per page measured")
	uploads    = flag.Int("uploads", 50, "concurrent SBOM uploads")
	uploadSize = flag.Int("upload-components", 1000, "components per concurrent upload")
	cpuProfile = flag.String("cpuprofile", "", "write a CPU profile of seeding and the first matching to this file")
	updProfile = flag.String("update-profile", "", "write a CPU profile of the re-evaluation after the update to this file")
)

func main() {
	flag.Parse()
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "siegel-bench-")
	check(err)
	defer os.RemoveAll(tmp)
	st := openStore(ctx, tmp)
	defer st.Close()
	fmt.Printf("store: %s; %d products x %d releases x %d components (pool %d packages, %d advisories)\n",
		st.Dialect(), *products, *releases, *components, *pool, *advisories)

	// The vulnerability database.
	osv, vdir := filepath.Join(tmp, "osv"), filepath.Join(tmp, "vulndb")
	check(os.MkdirAll(osv, 0o755))
	for i := range *advisories {
		writeAdvisory(osv, i, "2026-01-01T00:00:00Z", "1.0.5")
	}
	mon := monitor.New(monitor.Config{Store: st, VulnDB: vdir, Sources: vulndb.Sources{OSV: osv}, Log: slog.New(slog.DiscardHandler)})
	t0 := time.Now()
	check(mon.RequestUpdate(ctx))
	drain(ctx, mon)
	fmt.Printf("import of %d advisories: %v\n", *advisories, since(t0))

	// Seed.
	org, err := st.CreateOrganization(ctx, "ACME", "large", false)
	check(err)
	_, err = st.CreateUser(ctx, org.ID, "bench@acme.example", "a long benchmark password", "psirt")
	check(err)
	session, _, err := st.Login(ctx, "bench@acme.example", "a long benchmark password", time.Hour)
	check(err)
	token, _, err := st.CreateToken(ctx, org.ID, "admin", "bench")
	check(err)
	rnd := rand.New(rand.NewPCG(1, 2))
	var releaseIDs []int64
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		check(err)
		check(pprof.StartCPUProfile(f))
	}
	t0 = time.Now()
	for p := range *products {
		prod, err := st.CreateProduct(ctx, org.ID, fmt.Sprintf("product-%05d", p), "router", "default")
		check(err)
		for r := range *releases {
			rel, err := st.CreateRelease(ctx, prod.ID, fmt.Sprintf("%d.0", r+1), "2026-01-15", "2031-12")
			check(err)
			_, err = st.AddSBOM(ctx, rel.ID, "cyclonedx-json", fmt.Sprintf("%064x", rel.ID), seedComponents(rnd, *components), nil)
			check(err)
			releaseIDs = append(releaseIDs, rel.ID)
		}
	}
	seeded := since(t0)
	t0 = time.Now()
	drain(ctx, mon)
	pprof.StopCPUProfile()
	fmt.Printf("seeding: %d releases, %d components in %v; first matching of all releases: %v\n",
		len(releaseIDs), len(releaseIDs)**components, seeded, since(t0))

	// The server.
	srv := server.New(server.Config{Store: st, VulnDB: vdir, Monitor: mon})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	hs := &http.Server{Handler: srv.Handler()}
	go hs.Serve(ln)
	defer hs.Close()
	base := "http://" + ln.Addr().String()
	page := func(path string) time.Duration {
		req, _ := http.NewRequest("GET", base+path, nil)
		req.AddCookie(&http.Cookie{Name: "siegel_session", Value: session})
		t := time.Now()
		resp, err := http.DefaultClient.Do(req)
		check(err)
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			log.Fatalf("GET %s: %s", path, resp.Status)
		}
		return time.Since(t)
	}
	var portfolio, release, api []time.Duration
	for range *requests {
		portfolio = append(portfolio, page("/"))
	}
	for range *requests {
		release = append(release, page(fmt.Sprintf("/releases/%d", releaseIDs[rnd.IntN(len(releaseIDs))])))
	}
	for range *requests {
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/releases/%d/findings", base, releaseIDs[rnd.IntN(len(releaseIDs))]), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		t := time.Now()
		resp, err := http.DefaultClient.Do(req)
		check(err)
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		api = append(api, time.Since(t))
	}
	fmt.Printf("portfolio page (%d products): %s\n", *products, stats(portfolio))
	fmt.Printf("release page (%d components): %s\n", *components, stats(release))
	fmt.Printf("API findings of a release: %s\n", stats(api))

	// An update touching `changed` advisories: the fix moves below the shipped versions for half
	// of them (findings resolve) and above for the others (findings stay, records differ).
	for i := range *changed {
		fixed := "1.0.5"
		if i%2 == 0 {
			fixed = "1.0.0"
		}
		writeAdvisory(osv, i, "2026-11-01T00:00:00Z", fixed)
	}
	t0 = time.Now()
	if *updProfile != "" {
		f, err := os.Create(*updProfile)
		check(err)
		check(pprof.StartCPUProfile(f))
	}
	check(mon.RequestUpdate(ctx))
	drain(ctx, mon)
	pprof.StopCPUProfile()
	jobs, err := st.Jobs(ctx, monitor.KindRematch, 1)
	check(err)
	var p struct{ Keys []vulndb.Key }
	json.Unmarshal(jobs[0].Payload, &p)
	fmt.Printf("OSV update changing %d advisories (%d packages), import and re-evaluation: %v\n", *changed, len(p.Keys), since(t0))

	// Concurrent uploads.
	prod, err := st.CreateProduct(ctx, org.ID, "upload-target", "router", "default")
	check(err)
	bodies := make([][]byte, *uploads)
	ids := make([]int64, *uploads)
	for i := range *uploads {
		rel, err := st.CreateRelease(ctx, prod.ID, fmt.Sprintf("u%d", i), "", "2031-12")
		check(err)
		ids[i] = rel.ID
		bodies[i] = cyclonedx(rnd, *uploadSize)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	failed := 0
	t0 = time.Now()
	for i := range *uploads {
		wg.Go(func() {
			req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/releases/%d/sboms", base, ids[i]), bytes.NewReader(bodies[i]))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			if err != nil || resp.StatusCode != http.StatusCreated {
				mu.Lock()
				failed++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	uploaded := since(t0)
	drain(ctx, mon)
	fmt.Printf("%d concurrent uploads of %d components: %d failed, all stored in %v, matched %v later\n",
		*uploads, *uploadSize, failed, uploaded, since(t0)-uploaded)
}

func openStore(ctx context.Context, tmp string) *store.DB {
	if *database == "" {
		st, err := store.OpenSQLite(ctx, tmp, time.Now)
		check(err)
		return st
	}
	db, err := sql.Open("pgx", *database)
	check(err)
	_, err = db.ExecContext(ctx, `DROP SCHEMA public CASCADE; CREATE SCHEMA public`)
	check(err)
	db.Close()
	st, err := store.OpenPostgres(ctx, *database, time.Now)
	check(err)
	return st
}

func pkgName(i int) string { return fmt.Sprintf("pkg-%05d", i) }

func writeAdvisory(dir string, i int, modified, fixed string) {
	rec := fmt.Sprintf(`{"id":"PYSEC-BENCH-%d","modified":%q,"aliases":["CVE-2026-%d"],"summary":"flaw %d",
		"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
		"affected":[{"package":{"ecosystem":"PyPI","name":%q},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":%q}]}]}]}`,
		i, modified, 100000+i, i, pkgName(i), fixed)
	check(os.WriteFile(filepath.Join(dir, fmt.Sprintf("PYSEC-BENCH-%d.json", i)), []byte(rec), 0o644))
}

// seedComponents draws n distinct packages of the pool at versions 1.0.0 to 1.0.9.
func seedComponents(rnd *rand.Rand, n int) []store.Component {
	seen := map[int]bool{}
	out := make([]store.Component, 0, n)
	for len(out) < n {
		i := rnd.IntN(*pool)
		if seen[i] {
			continue
		}
		seen[i] = true
		v := fmt.Sprintf("1.0.%d", rnd.IntN(10))
		c := sbom.Component{Ref: pkgName(i), Name: pkgName(i), Version: v, PURL: "pkg:pypi/" + pkgName(i) + "@" + v}
		p, _ := match.PackageOf(c)
		out = append(out, store.Component{Ref: c.Ref, Name: c.Name, Version: v, PURL: c.PURL, Ecosystem: p.Ecosystem, Lookup: p.Lookup, MatchVersion: p.Version})
	}
	return out
}

func cyclonedx(rnd *rand.Rand, n int) []byte {
	type comp struct {
		Ref     string `json:"bom-ref"`
		Type    string `json:"type"`
		Name    string `json:"name"`
		Version string `json:"version"`
		PURL    string `json:"purl"`
	}
	doc := struct {
		Format     string `json:"bomFormat"`
		Spec       string `json:"specVersion"`
		Version    int    `json:"version"`
		Components []comp `json:"components"`
	}{"CycloneDX", "1.6", 1, nil}
	for _, c := range seedComponents(rnd, n) {
		doc.Components = append(doc.Components, comp{c.Ref, "library", c.Name, c.Version, c.PURL})
	}
	b, err := json.Marshal(doc)
	check(err)
	return b
}

func drain(ctx context.Context, m *monitor.Monitor) {
	for {
		ran, err := m.RunOnce(ctx)
		check(err)
		if !ran {
			return
		}
	}
}

func stats(ds []time.Duration) string {
	slices.Sort(ds)
	q := func(p float64) time.Duration {
		return ds[min(len(ds)-1, int(p*float64(len(ds))))].Round(100 * time.Microsecond)
	}
	return fmt.Sprintf("p50 %v, p95 %v, max %v (%d requests)", q(0.5), q(0.95), ds[len(ds)-1].Round(100*time.Microsecond), len(ds))
}

func since(t time.Time) time.Duration { return time.Since(t).Round(time.Millisecond) }

func check(err error) {
	if err != nil {
		log.Fatal(strings.TrimSpace(err.Error()))
	}
}
