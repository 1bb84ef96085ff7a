// Command platform measures the platform on a large portfolio: seeding and first matching, web
// page latencies (one client, and several at once), the re-evaluation after an OSV update, the
// time from an upload to its findings while such a re-evaluation runs, and concurrent SBOM
// uploads. It runs the real store, vulnerability database, monitors (with their lanes) and HTTP
// servers in one process; with -servers N, N servers — each its own store connection pool,
// monitor and HTTP listener — share one PostgreSQL, as several 'siegel serve' behind a load
// balancer do, with the vulnerability database in PostgreSQL as well. -servers takes a list
// (1,2,3): the whole run is repeated from the seeded store for each count, and a table compares
// them at the end. With -siegel, each server is a 'siegel serve' process of that binary instead,
// whose CPU time is counted with this process's.
//
// Seeding loads the portfolio's rows in bulk (internal/store/bulkload: multi-row inserts or
// COPY, the component indexes built after the load) as AddSBOM would store them, without their
// ledger entries and audit records, and keeps the loaded store for the next runs of the same
// shape and schema (a SQLite directory under SIEGEL_BENCH_CACHE, default the temporary
// directory's siegel-bench; a PostgreSQL database siegel_bench_<key>). Each run copies it (a
// file copy; CREATE DATABASE ... TEMPLATE) and enqueues one matching job per release, as the
// uploads would; "seeding" is that copy and enqueueing, and the first load is printed apart.
// Next to each wall time stands the CPU time this process (servers, monitors and clients) used
// meanwhile and, on PostgreSQL, that of the database's server processes (from /proc): on a shared
// machine the wall times mostly measure the others.
//
//	go run ./bench/platform                                      # SQLite in a temporary directory, reduced scale (200 products)
//	go run ./bench/platform -full                                # 2,000 products x 5 releases x 500 components
//	go run ./bench/platform -database postgres://localhost/bench # PostgreSQL (the database bench is made anew)
//	go run ./bench/platform -database ... -servers 1,2,3         # one, two and three servers on one PostgreSQL
//	go run ./bench/platform -products 2000 -components 50        # a full-size portfolio of small releases
//	go build -o /tmp/siegel ./cmd/siegel && go run ./bench/platform -database ... -servers 1,2,3 -siegel /tmp/siegel # separate processes
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/siegel-oss/siegel/internal/match"
	"github.com/siegel-oss/siegel/internal/monitor"
	"github.com/siegel-oss/siegel/internal/purl"
	"github.com/siegel-oss/siegel/internal/sbom"
	"github.com/siegel-oss/siegel/internal/server"
	"github.com/siegel-oss/siegel/internal/store"
	"github.com/siegel-oss/siegel/internal/store/bulkload"
	"github.com/siegel-oss/siegel/internal/vulndb"
)

var (
	database    = flag.String("database", "", "PostgreSQL URL of a database made anew from the kept seeded one for each run (dropped first); SQLite in a temporary directory when empty")
	products    = flag.Int("products", 200, "products to seed (-full: 2000)")
	full        = flag.Bool("full", false, "full scale: 2,000 products (the other sizes' defaults are full scale already)")
	serverList  = flag.String("servers", "1", "servers sharing the store, or a comma-separated list of counts to run one after the other (more than one needs -database)")
	logLevel    = flag.String("log", "warn", "level of the servers' and monitors' log on stderr (debug, info, warn, error)")
	releases    = flag.Int("releases", 5, "releases per product")
	components  = flag.Int("components", 500, "components per release")
	pool        = flag.Int("pool", 20000, "distinct PyPI package names the components are drawn from")
	advisories  = flag.Int("advisories", 5000, "OSV advisories, each on one package of the pool")
	changed     = flag.Int("changed", 1000, "advisories the update changes")
	requests    = flag.Int("requests", 100, "requests per page measured")
	uploads     = flag.Int("uploads", 50, "concurrent SBOM uploads")
	uploadSize  = flag.Int("upload-components", 1000, "components per concurrent upload")
	clients     = flag.Int("clients", 8, "concurrent clients of the page measurements")
	probes      = flag.Int("probes", 20, "uploads timed from request to findings while a re-matching runs")
	cpuProfile  = flag.String("cpuprofile", "", "write a CPU profile of the first matching to this file")
	updProfile  = flag.String("update-profile", "", "write a CPU profile of the re-evaluation after the update to this file")
	siegel      = flag.String("siegel", "", "run each server as a 'siegel serve' process of this binary (go build ./cmd/siegel) instead of in this process; their CPU time counts as this process's")
	loadOnly    = flag.Bool("load-only", false, "load the portfolio in bulk and keep it for later runs, then stop (no servers, nothing measured)")
	pageProfile = flag.String("page-profile", "", "write a CPU profile of the pages under concurrent clients to this file")
)

// node is one server of the benchmark: a store connection pool, a monitor and an HTTP listener.
type node struct {
	st   *store.DB
	mon  *monitor.Monitor
	base string
}

func main() {
	flag.Parse()
	if *full {
		*products = 2000
	}
	var counts []int
	for f := range strings.SplitSeq(*serverList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			log.Fatalf("-servers %q: want counts from 1, separated by commas", *serverList)
		}
		if n > 1 && *database == "" {
			log.Fatal("-servers above 1 needs -database (several servers share PostgreSQL, not SQLite)")
		}
		counts = append(counts, n)
	}
	var level slog.Level
	check(level.UnmarshalText([]byte(*logLevel)))
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	if *loadOnly {
		tmp, err := os.MkdirTemp("", "siegel-bench-")
		check(err)
		defer os.RemoveAll(tmp)
		start := time.Now()
		prepareStore(context.Background(), tmp)
		fmt.Printf("kept load ready in %v\n", since(start))
		return
	}
	var results []result
	for _, n := range counts {
		results = append(results, run(context.Background(), n, logger))
		fmt.Println()
	}
	printTable(results)
}

// timed is a wall time, the CPU time this process used meanwhile and, on PostgreSQL, the CPU
// time of the database's server processes.
type timed struct{ wall, cpu, pg time.Duration }

func (t timed) String() string {
	if *database == "" {
		return fmt.Sprintf("%v (CPU %v)", t.wall.Round(time.Millisecond), t.cpu.Round(time.Millisecond))
	}
	if t.pg < 0 { // a session that had run longer than the phase ended during it
		return fmt.Sprintf("%v (CPU %v + PG not measured)", t.wall.Round(time.Millisecond), t.cpu.Round(time.Millisecond))
	}
	return fmt.Sprintf("%v (CPU %v + PG %v)", t.wall.Round(time.Millisecond), t.cpu.Round(time.Millisecond), t.pg.Round(time.Millisecond))
}

// measure starts a timed phase; the function it returns ends it.
func measure() func() timed {
	w, c, p := time.Now(), cpuTime(), pgCPU()
	return func() timed { return timed{time.Since(w), cpuTime() - c, pgCPU() - p} }
}

// pgCPU is the CPU time the server processes of the run's PostgreSQL database (its sessions
// now, read from /proc: the server runs on this machine) have used; 0 with SQLite. A session
// that ended between two readings takes its time along: the stores keep their idle connections
// for a minute, so within a phase few do.
func pgCPU() time.Duration {
	if *database == "" {
		return 0
	}
	pids, err := bulkload.SessionPIDs(context.Background(), *database)
	if err != nil {
		return 0 // the database is being made anew
	}
	return bulkload.ProcessesCPU(pids)
}

// result is what one run measured.
type result struct {
	servers                  int
	dialect                  store.Dialect
	seed, firstMatch, update timed
	portfolio, release       []time.Duration // under -clients concurrent clients
	portfolioCPU, releaseCPU timed           // CPU of a request, on average
	upload                   []time.Duration // upload to findings while a re-match runs
	uploadDuring             int             // probes the re-match still ran at
}

func printTable(rs []result) {
	fmt.Printf("%d products x %d releases x %d components; %d advisories, update of %d; %d clients; CPU = this process (servers, monitors, clients) + PostgreSQL's server processes of the database\n",
		*products, *releases, *components, *advisories, *changed, *clients)
	fmt.Printf("%-10s %-8s %-26s %-26s %-22s %-22s %-26s %-20s\n", "store", "servers", "seeding", "every release matched",
		"portfolio p95 (CPU/req)", "release p95 (CPU/req)", "update re-matched", "upload p95 (during)")
	for _, r := range rs {
		fmt.Printf("%-10s %-8d %-26s %-26s %-22s %-22s %-26s %-20s\n", r.dialect, r.servers, r.seed, r.firstMatch,
			fmt.Sprintf("%v (%v)", p95(r.portfolio), perRequest(r.portfolioCPU)),
			fmt.Sprintf("%v (%v)", p95(r.release), perRequest(r.releaseCPU)),
			r.update, fmt.Sprintf("%v (%d/%d)", p95(r.upload), r.uploadDuring, len(r.upload)))
	}
}

// perRequest is the CPU of a request: this process's, and PostgreSQL's after a "+".
func perRequest(t timed) string {
	if *database == "" {
		return t.cpu.Round(100 * time.Microsecond).String()
	}
	return t.cpu.Round(100*time.Microsecond).String() + "+" + t.pg.Round(100*time.Microsecond).String()
}

func p95(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return ds[min(len(ds)-1, int(0.95*float64(len(ds))))].Round(time.Millisecond)
}

// run seeds an empty store and measures it with n servers.
func run(ctx context.Context, n int, logger *slog.Logger) result {
	res := result{servers: n}
	tmp, err := os.MkdirTemp("", "siegel-bench-")
	check(err)
	defer os.RemoveAll(tmp)
	osv, vdir := filepath.Join(tmp, "osv"), filepath.Join(tmp, "vulndb")
	if *database != "" {
		vdir = *database // as 'siegel serve --database postgres://...': the vulnerability database in PostgreSQL too
	}
	// The portfolio: loaded in bulk once and kept (bulkload), copied for this run.
	endPrepare := measure()
	releaseIDs := prepareStore(ctx, tmp)
	prepared := endPrepare()
	nodes := make([]*node, n)
	for i := range nodes {
		st := openStore(ctx, tmp)
		defer st.Close()
		nodes[i] = &node{st: st, mon: monitor.New(monitor.Config{Store: st, VulnDB: vdir, Sources: vulndb.Sources{OSV: osv}, Log: logger.With("server", i)})}
	}
	st, mon := nodes[0].st, nodes[0].mon
	res.dialect = st.Dialect()
	fmt.Printf("store: %s, %d server(s); %d products x %d releases x %d components (pool %d packages, %d advisories)\n",
		st.Dialect(), n, *products, *releases, *components, *pool, *advisories)

	// The vulnerability database.
	check(os.MkdirAll(osv, 0o755))
	for i := range *advisories {
		writeAdvisory(osv, i, "2026-01-01T00:00:00Z", "1.0.5")
	}
	t1 := time.Now()
	check(mon.RequestUpdate(ctx))
	importOnly(ctx, st, mon)
	fmt.Printf("import of %d advisories: %v\n", *advisories, since(t1))

	// A matching job per release. The first import queued one for each release there is already
	// (in the bulk lane, as on a server whose database was just made); these are the jobs the
	// uploads would have queued, kept once each by their shared key.
	endEnqueue := measure()
	var enqueueWG sync.WaitGroup
	for k, nd := range nodes {
		enqueueWG.Go(func() {
			for i := k; i < len(releaseIDs); i += len(nodes) {
				id := releaseIDs[i]
				_, err := nd.st.Enqueue(ctx, monitor.KindMatch, map[string]int64{"release": id}, fmt.Sprintf("match-release/%d", id), time.Time{})
				check(err)
			}
		})
	}
	enqueueWG.Wait()
	enqueued := endEnqueue()
	res.seed = timed{prepared.wall + enqueued.wall, prepared.cpu + enqueued.cpu, prepared.pg + enqueued.pg}
	fmt.Printf("store copied from the kept load in %v, %d matching jobs enqueued in %v\n", prepared, len(releaseIDs), enqueued)
	_, err = st.CreateUser(ctx, seedOrg, "bench@acme.example", "a long benchmark password", "psirt")
	check(err)
	session, _, err := st.Login(ctx, "bench@acme.example", "a long benchmark password", time.Hour)
	check(err)
	token, _, err := st.CreateToken(ctx, seedOrg, "admin", "bench")
	check(err)
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		check(err)
		check(pprof.StartCPUProfile(f))
	}

	// The servers: monitors running in their lanes, and HTTP.
	runCtx, stopAll := context.WithCancel(ctx)
	var running sync.WaitGroup
	defer func() { stopAll(); running.Wait() }()
	for i, nd := range nodes {
		if *siegel != "" {
			nd.base = startServe(runCtx, &running, tmp, osv, i)
			continue
		}
		running.Go(func() { nd.mon.Run(runCtx) })
		srv := server.New(server.Config{Store: nd.st, VulnDB: vdir, Monitor: nd.mon, Log: logger.With("server", i)})
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		check(err)
		hs := &http.Server{Handler: srv.Handler()}
		go hs.Serve(ln)
		defer hs.Close()
		nd.base = "http://" + ln.Addr().String()
	}
	endMatch := measure()
	idle(ctx, st)
	res.firstMatch = endMatch()
	pprof.StopCPUProfile()
	analyzeIfNoAutovacuum(ctx)
	fmt.Printf("seeding: %d releases, %d components in %v; every release matched %v later\n",
		len(releaseIDs), len(releaseIDs)**components, res.seed, res.firstMatch)

	rnd := rand.New(rand.NewPCG(1, 2))
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	get := func(nd *node, path string, auth bool) time.Duration {
		req, _ := http.NewRequest("GET", nd.base+path, nil)
		if auth {
			req.Header.Set("Authorization", "Bearer "+token)
		} else {
			req.AddCookie(&http.Cookie{Name: "siegel_session", Value: session})
		}
		t := time.Now()
		resp, err := client.Do(req)
		check(err)
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			log.Fatalf("GET %s: %s", path, resp.Status)
		}
		return time.Since(t)
	}
	portfolioPath := func(r *rand.Rand) string {
		return fmt.Sprintf("/?page=%d", 1+r.IntN(max(1, *products/50)))
	}
	releasePath := func(r *rand.Rand) string {
		return fmt.Sprintf("/releases/%d", releaseIDs[r.IntN(len(releaseIDs))])
	}
	findingsPath := func(r *rand.Rand) string {
		return fmt.Sprintf("/api/v1/releases/%d/findings", releaseIDs[r.IntN(len(releaseIDs))])
	}
	var portfolio, release, api []time.Duration
	for range *requests {
		portfolio = append(portfolio, get(nodes[0], portfolioPath(rnd), false))
	}
	for range *requests {
		release = append(release, get(nodes[0], releasePath(rnd), false))
	}
	for range *requests {
		api = append(api, get(nodes[0], findingsPath(rnd), true))
	}
	fmt.Printf("portfolio page (%d products, 50 a page), one client: %s\n", *products, stats(portfolio))
	fmt.Printf("release page (%d components), one client: %s\n", *components, stats(release))
	fmt.Printf("API findings of a release, one client: %s\n", stats(api))
	// The same with several clients at once, spread over the servers.
	concurrent := func(path func(*rand.Rand) string) []time.Duration {
		var mu sync.Mutex
		var out []time.Duration
		var wg sync.WaitGroup
		for c := range *clients {
			wg.Go(func() {
				r := rand.New(rand.NewPCG(uint64(c), 3))
				for k := range max(1, *requests / *clients) {
					d := get(nodes[(c+k)%len(nodes)], path(r), false)
					mu.Lock()
					out = append(out, d)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		return out
	}
	// CPU time of this process (servers and clients; not PostgreSQL's) per request tells what a
	// machine of its own would answer, where wall times on a shared one mostly measure the others.
	for _, pg := range []struct {
		name string
		path func(*rand.Rand) string
	}{{"portfolio page", portfolioPath}, {"release page", releasePath}} {
		if *pageProfile != "" {
			f, err := os.Create(*pageProfile + "." + strings.ReplaceAll(pg.name, " ", "-"))
			check(err)
			check(pprof.StartCPUProfile(f))
		}
		c0, p0 := cpuTime(), pgCPU()
		ds := concurrent(pg.path)
		pprof.StopCPUProfile()
		perReq := timed{cpu: (cpuTime() - c0) / time.Duration(len(ds)), pg: (pgCPU() - p0) / time.Duration(len(ds))}
		fmt.Printf("%s, %d clients at once: %s; CPU a request: this process %v, PostgreSQL %v\n", pg.name, *clients, stats(ds),
			perReq.cpu.Round(100*time.Microsecond), perReq.pg.Round(100*time.Microsecond))
		if pg.name == "portfolio page" {
			res.portfolio, res.portfolioCPU = ds, perReq
		} else {
			res.release, res.releaseCPU = ds, perReq
		}
	}

	// An update touching `changed` advisories: the fix moves below the shipped versions for half
	// of them (findings resolve) and above for the others (findings stay, records differ).
	update := func(round int) {
		for i := range *changed {
			fixed := "1.0.5"
			if (i+round)%2 == 0 {
				fixed = "1.0.0"
			}
			writeAdvisory(osv, i, fmt.Sprintf("2026-11-%02dT00:00:00Z", round+1), fixed)
		}
		check(mon.RequestUpdate(ctx))
	}
	if *updProfile != "" {
		f, err := os.Create(*updProfile)
		check(err)
		check(pprof.StartCPUProfile(f))
	}
	t0 := time.Now()
	endUpdate := measure()
	update(1)
	idle(ctx, st)
	res.update = endUpdate()
	pprof.StopCPUProfile()
	jobs, err := st.Jobs(ctx, monitor.KindRematch, 100000)
	check(err)
	keys := map[vulndb.Key]bool{}
	for _, j := range jobs {
		var p struct{ Keys []vulndb.Key }
		json.Unmarshal(j.Payload, &p)
		for _, k := range p.Keys {
			keys[k] = true
		}
	}
	fmt.Printf("OSV update changing %d advisories (%d packages): import and re-evaluation of every affected release in %v, as %d re-matching jobs\n",
		*changed, len(keys), since(t0), len(jobs))

	// Upload to findings while the next such re-evaluation runs: a client uploads one SBOM at a
	// time to a fresh release and waits until the findings are there.
	prod, err := st.CreateProduct(ctx, seedOrg, "upload-target", "router", "default")
	check(err)
	update(2)
	for !busy(ctx, st) {
		time.Sleep(10 * time.Millisecond)
	}
	var probe []time.Duration
	during := 0
	for i := range *probes {
		rel, err := st.CreateRelease(ctx, prod.ID, fmt.Sprintf("probe-%d", i), "", "2031-12")
		check(err)
		nd := nodes[i%len(nodes)]
		body := cyclonedx(rnd, 200)
		t := time.Now()
		if code := post(client, nd.base, token, rel.ID, body); code != http.StatusCreated {
			log.Fatalf("probe upload to release %d: %d, want 201 (a probe timed without its upload would measure nothing)", rel.ID, code)
		}
		for matching(client, nd.base, token, rel.ID) {
			time.Sleep(20 * time.Millisecond)
		}
		probe = append(probe, time.Since(t))
		if busy(ctx, st) {
			during++
		}
	}
	res.upload, res.uploadDuring = slices.Clone(probe), during
	rematchEnd := time.Now()
	idle(ctx, st)
	fmt.Printf("upload (200 components) to findings while a re-evaluation of %d advisories runs: %s; the re-evaluation still ran at %d of %d; it ended %v after the last\n",
		*changed, stats(probe), during, len(probe), since(rematchEnd))

	// Concurrent uploads.
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
	failed := map[int]int{} // status (0: no answer) -> uploads not stored
	t0 = time.Now()
	for i := range *uploads {
		wg.Go(func() {
			if code := post(client, nodes[i%len(nodes)].base, token, ids[i], bodies[i]); code != http.StatusCreated {
				mu.Lock()
				failed[code]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	uploaded := since(t0)
	idle(ctx, st)
	// 503 is a server's cap on uploads handled at once (serve --max-uploads), not an error.
	fmt.Printf("%d concurrent uploads of %d components: not stored, by status: %v; the others stored in %v, matched %v later\n",
		*uploads, *uploadSize, failed, uploaded, since(t0)-uploaded)
	stopAll()
	running.Wait()
	return res
}

// post uploads an SBOM to a release; it returns the answer's status (0 for none).
func post(client *http.Client, base, token string, release int64, body []byte) int {
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/releases/%d/sboms", base, release), bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// matching asks a server whether a release is still being matched.
func matching(client *http.Client, base, token string, release int64) bool {
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/releases/%d/findings?limit=1", base, release), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	check(err)
	defer resp.Body.Close()
	var out struct{ Matching bool }
	check(json.NewDecoder(resp.Body).Decode(&out))
	return out.Matching
}

// busy reports whether a database update or re-matching is queued or running.
func busy(ctx context.Context, st *store.DB) bool {
	qs, err := st.QueueStats(ctx)
	check(err)
	for _, q := range qs {
		if (q.Kind == monitor.KindUpdate || q.Kind == monitor.KindRematch || q.Kind == monitor.KindMatchBulk) && q.Due+q.Running > 0 {
			return true
		}
	}
	return false
}

// idle waits until no job is due or running (scheduled ones, such as the next reporting-clock
// check, aside).
func idle(ctx context.Context, st *store.DB) {
	for {
		qs, err := st.QueueStats(ctx)
		check(err)
		n := 0
		for _, q := range qs {
			n += q.Due + q.Running
		}
		if n == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// seedOrg is the organization of the loaded portfolio.
const seedOrg = 1

// seedVersion changes whenever fill loads different rows.
const seedVersion = "1"

// prepareStore puts a copy of the kept loaded portfolio where openStore opens the run's store,
// loading and keeping it first when there is none of this shape and schema. It returns the ids
// of the loaded releases.
func prepareStore(ctx context.Context, tmp string) []int64 {
	dialect := store.SQLite
	if *database != "" {
		dialect = store.Postgres
	}
	key, err := bulkload.Key(dialect, fmt.Sprintf("platform %s products %d releases %d components %d pool %d", seedVersion, *products, *releases, *components, *pool))
	check(err)
	var rep *bulkload.Report
	if dialect == store.SQLite {
		var dir string
		dir, rep, err = bulkload.KeptSQLite(ctx, key, time.Now, fill)
		check(err)
		check(copyFile(filepath.Join(dir, "siegel.sqlite"), filepath.Join(tmp, "siegel.sqlite")))
	} else {
		// The run's database is made anew from the kept one (CREATE DATABASE ... TEMPLATE, a
		// copy of its files), through the server's postgres database.
		u, err := url.Parse(*database)
		check(err)
		target := strings.TrimPrefix(u.Path, "/")
		u.Path = "/postgres"
		var kept string
		kept, rep, err = bulkload.KeptPostgres(ctx, u.String(), key, time.Now, fill)
		check(err)
		ku, err := url.Parse(kept)
		check(err)
		conn, err := pgx.Connect(ctx, u.String())
		check(err)
		defer conn.Close(ctx)
		for _, q := range []string{"DROP DATABASE IF EXISTS " + pgx.Identifier{target}.Sanitize() + " WITH (FORCE)",
			"CREATE DATABASE " + pgx.Identifier{target}.Sanitize() + " TEMPLATE " + pgx.Identifier{strings.TrimPrefix(ku.Path, "/")}.Sanitize()} {
			_, err := conn.Exec(ctx, q)
			check(err)
		}
	}
	if rep != nil {
		fmt.Printf("portfolio loaded in bulk and kept for the next runs: %v\n", rep)
	}
	ids := make([]int64, *products**releases)
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	return ids
}

// fill loads the portfolio: one organization, its products with their kept counts, releases,
// and one SBOM of -components components per release, as AddSBOM stores them (their ledger
// entries and audit records aside).
func fill(l bulkload.Loader) error {
	now := time.Now().UTC().Truncate(time.Microsecond)
	if err := l.Rows("organization", []string{"id", "name", "size_class", "authority", "created_at"}, 1, func(int) []any {
		return []any{seedOrg, "ACME", "large", false, now}
	}); err != nil {
		return err
	}
	if err := l.Rows("product", []string{"id", "organization", "name", "category", "cra_class", "created_at"}, *products, func(i int) []any {
		return []any{i + 1, seedOrg, fmt.Sprintf("product-%05d", i), "router", "default", now}
	}); err != nil {
		return err
	}
	if err := l.Rows("product_summary", []string{"product", "organization", "name", "releases"}, *products, func(i int) []any {
		return []any{i + 1, seedOrg, fmt.Sprintf("product-%05d", i), *releases}
	}); err != nil {
		return err
	}
	n := *products * *releases
	if err := l.Rows("release", []string{"id", "product", "version", "placed_on_market", "support_end", "created_at"}, n, func(i int) []any {
		return []any{i + 1, i / *releases + 1, fmt.Sprintf("%d.0", i%*releases+1), "2026-01-15", "2031-12", now}
	}); err != nil {
		return err
	}
	if err := l.Rows("sbom", []string{"id", "release", "format", "sha256", "components", "uploaded_at"}, n, func(i int) []any {
		return []any{i + 1, i + 1, "cyclonedx-json", fmt.Sprintf("%064x", i+1), *components, now}
	}); err != nil {
		return err
	}
	rnd := rand.New(rand.NewPCG(1, 1))
	var cur []store.Component
	rel := -1
	return l.Rows("component", []string{"sbom", "release", "ref", "name", "version", "purl", "direct", "ecosystem", "lookup", "match_version", "vcs_commit", "base_purl"},
		n**components, func(i int) []any {
			if r := i / *components; r != rel {
				rel, cur = r, seedComponents(rnd, *components)
			}
			c := cur[i%*components]
			return []any{rel + 1, rel + 1, c.Ref, c.Name, c.Version, c.PURL, c.Direct, c.Ecosystem, c.Lookup, c.MatchVersion, c.Commit, purl.Base(c.PURL)}
		})
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// analyzeIfNoAutovacuum gathers PostgreSQL's statistics after the first matching wrote its
// findings, when the server runs no autovacuum (which on a default server would, and without
// which its plans are made blind).
func analyzeIfNoAutovacuum(ctx context.Context) {
	if *database == "" {
		return
	}
	conn, err := pgx.Connect(ctx, *database)
	check(err)
	defer conn.Close(ctx)
	var on string
	check(conn.QueryRow(ctx, "SHOW autovacuum").Scan(&on))
	if on == "on" {
		return
	}
	t := time.Now()
	_, err = conn.Exec(ctx, "ANALYZE")
	check(err)
	fmt.Printf("PostgreSQL runs no autovacuum: analyzed after the first matching (%v), as autovacuum would have\n", since(t))
}

// openStore opens the run's store, which prepareStore put in place.
func openStore(ctx context.Context, tmp string) *store.DB {
	if *database == "" {
		st, err := store.OpenSQLite(ctx, tmp, time.Now)
		check(err)
		return st
	}
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

// importOnly runs the queued database update in this process, and none of the matching it queues.
func importOnly(ctx context.Context, st *store.DB, m *monitor.Monitor) {
	for {
		qs, err := st.QueueStats(ctx)
		check(err)
		due := false
		for _, q := range qs {
			due = due || q.Kind == monitor.KindUpdate && q.Due+q.Running > 0
		}
		if !due {
			return
		}
		if _, err := m.RunOnce(ctx); err != nil {
			check(err)
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

// cpuTime is the user and system CPU time this process and its running 'siegel serve'
// processes (-siegel) have used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	check(syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	t := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	serveMu.Lock()
	defer serveMu.Unlock()
	for _, pid := range servePIDs {
		t += procCPU(pid)
	}
	return t
}

// procCPU is the user and system CPU time of a process of this machine so far (0 once it ended).
func procCPU(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command's closing parenthesis; utime and stime are the 12th and 13th.
	f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // clock ticks (USER_HZ, 100 on Linux)
}

var (
	serveMu   sync.Mutex
	servePIDs []int // the running 'siegel serve' processes
)

// startServe starts server i as a 'siegel serve' process on the run's store and waits until it
// is ready; it returns its base URL. It runs until ctx ends, then is stopped (SIGTERM) and waited for.
func startServe(ctx context.Context, running *sync.WaitGroup, tmp, osv string, i int) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	addr := ln.Addr().String()
	ln.Close()
	data := tmp // SQLite: the run's store is there
	if *database != "" {
		data = filepath.Join(tmp, fmt.Sprintf("server%d", i))
	}
	args := []string{"serve", "--addr", addr, "--data", data, "--db-source", osv, "--update-interval", "0"}
	if *database != "" {
		args = append(args, "--database", *database)
	}
	cmd := exec.Command(*siegel, args...)
	cmd.Env = append(os.Environ(), "SIEGEL_LOG_LEVEL="+*logLevel)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	check(cmd.Start())
	serveMu.Lock()
	servePIDs = append(servePIDs, cmd.Process.Pid)
	serveMu.Unlock()
	running.Go(func() {
		<-ctx.Done()
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		serveMu.Lock()
		servePIDs = slices.DeleteFunc(servePIDs, func(p int) bool { return p == cmd.Process.Pid })
		serveMu.Unlock()
	})
	base := "http://" + addr
	for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Since(start) > time.Minute {
			log.Fatalf("siegel serve %d not ready at %s after a minute", i, base)
		}
	}
}

func since(t time.Time) time.Duration { return time.Since(t).Round(time.Millisecond) }

func check(err error) {
	if err != nil {
		log.Fatal(strings.TrimSpace(err.Error()))
	}
}
