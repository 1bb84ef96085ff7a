package portfolio

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/siegel-oss/siegel/internal/store"
	"github.com/siegel-oss/siegel/internal/vulndb"
)

// The portfolio benchmarks seed millions of component occurrences (a minute or more), so they
// run only when SIEGEL_BENCH_PORTFOLIO is set:
//
//	SIEGEL_BENCH_PORTFOLIO=1 go test ./internal/portfolio/ -run '^$' -bench 'WhereUsed|Inventory' -benchtime 3x
//
// PostgreSQL variants use the server of SIEGEL_TEST_POSTGRES (default the local one) and skip
// without one.

// shape is a synthetic portfolio: manufacturers with products with releases, each release one
// SBOM of perRelease components drawn from ten ubiquitous packages (in every release), 300
// popular ones and a long tail of 50,000, each in one of 30 versions.
type shape struct {
	orgs, productsPerOrg, releasesPerProduct, perRelease int
}

func (s shape) releases() int { return s.orgs * s.productsPerOrg * s.releasesPerProduct }

const (
	ubiquitous = 10
	popular    = 300
	tail       = 50000
)

func pkgName(i int) string {
	switch {
	case i < ubiquitous:
		return fmt.Sprintf("core%d", i)
	case i < ubiquitous+popular:
		return fmt.Sprintf("pop%d", i)
	}
	return fmt.Sprintf("tail%d", i)
}

func pkgVersion(v int) string { return fmt.Sprintf("1.%d.%d", v/10, v%10) }

// components returns release r's components: package index, version index and direct.
func (s shape) components(rng *mrand.Rand, emit func(pkg, ver int, direct bool)) {
	seen := map[int]bool{}
	nPopular := (s.perRelease - ubiquitous) / 5
	for i := range s.perRelease {
		var p int
		switch {
		case i < ubiquitous:
			p = i
		case i < ubiquitous+nPopular:
			p = ubiquitous + rng.IntN(popular)
		default:
			p = ubiquitous + popular + rng.IntN(tail)
		}
		if seen[p] {
			p = ubiquitous + popular + rng.IntN(tail) // a rare repeat: another tail package
		}
		seen[p] = true
		emit(p, rng.IntN(30), i < 20)
	}
}

// seedRows streams the rows of every table in insertion order.
type seeder interface {
	rows(table string, cols []string, n int, row func(i int) []any) error
}

func seed(b *testing.B, sd seeder, s shape) {
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	rng := mrand.New(mrand.NewPCG(1, 2))
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	must(sd.rows("organization", []string{"id", "name", "size_class", "authority", "created_at"}, s.orgs, func(i int) []any {
		return []any{i + 1, fmt.Sprintf("Maker %d", i), "medium", false, now}
	}))
	nProducts := s.orgs * s.productsPerOrg
	must(sd.rows("product", []string{"id", "organization", "name", "category", "cra_class", "created_at"}, nProducts, func(i int) []any {
		return []any{i + 1, i/s.productsPerOrg + 1, fmt.Sprintf("Product %d", i), "router", "default", now}
	}))
	must(sd.rows("release", []string{"id", "product", "version", "support_end", "created_at", "devices_on_market"}, s.releases(), func(i int) []any {
		var devices any
		if i%10 != 0 {
			devices = int64(rng.IntN(100000))
		}
		return []any{i + 1, i/s.releasesPerProduct + 1, fmt.Sprintf("%d.0", i%s.releasesPerProduct), "2031-12", now, devices}
	}))
	must(sd.rows("sbom", []string{"id", "release", "format", "sha256", "components", "uploaded_at"}, s.releases(), func(i int) []any {
		return []any{i + 1, i + 1, "cyclonedx-json", fmt.Sprintf("%064x", i), s.perRelease, now}
	}))
	// Components, release by release.
	type comp struct {
		pkg, ver int
		direct   bool
	}
	var cur []comp
	rel := -1
	must(sd.rows("component", []string{"sbom", "release", "ref", "name", "version", "purl", "direct", "ecosystem", "lookup", "match_version", "vcs_commit", "base_purl"},
		s.releases()*s.perRelease, func(i int) []any {
			r, k := i/s.perRelease, i%s.perRelease
			if r != rel {
				rel, cur = r, cur[:0]
				s.components(rng, func(p, v int, d bool) { cur = append(cur, comp{p, v, d}) })
			}
			c := cur[k]
			name, ver := pkgName(c.pkg), pkgVersion(c.ver)
			return []any{r + 1, r + 1, fmt.Sprintf("c%d", k), name, ver, "pkg:npm/" + name + "@" + ver, c.direct, "npm", name, ver, "", "pkg:npm/" + name}
		}))
	// A finding of core0 in every release, and a VEX statement in every tenth.
	must(sd.rows("finding", []string{"release", "vulnerability", "purl", "severity", "score", "exploited", "data", "first_seen", "updated_at"}, s.releases(), func(i int) []any {
		return []any{i + 1, "GHSA-core-0000-0000", "pkg:npm/core0@" + pkgVersion(0), "HIGH", 7.5, false, "{}", now, now}
	}))
	must(sd.rows("vex_statement", []string{"release", "vulnerability", "purl", "status", "justification", "impact", "action", "author", "created_at"}, s.releases()/10, func(i int) []any {
		return []any{i*10 + 1, "GHSA-core-0000-0000", "pkg:npm/core0@" + pkgVersion(0), "not_affected", "component_not_present", "", "", "bench", now}
	}))
}

// sqliteSeeder inserts through its own connection in one transaction, many rows per statement.
type sqliteSeeder struct{ tx *sql.Tx }

func (s sqliteSeeder) rows(table string, cols []string, n int, row func(int) []any) error {
	per := max(1, 30000/len(cols))
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",") + ")"
	args := make([]any, 0, per*len(cols))
	for i := 0; i < n; i += per {
		m := min(per, n-i)
		args = args[:0]
		for j := range m {
			args = append(args, row(i+j)...)
		}
		q := "INSERT INTO " + table + " (" + strings.Join(cols, ",") + ") VALUES " + strings.TrimSuffix(strings.Repeat(one+",", m), ",")
		if _, err := s.tx.Exec(q, args...); err != nil {
			return fmt.Errorf("seed %s: %w", table, err)
		}
	}
	return nil
}

// pgSeeder copies rows with COPY FROM (pgx CopyFrom).
type pgSeeder struct {
	ctx context.Context
	tx  pgx.Tx
}

func (s pgSeeder) rows(table string, cols []string, n int, row func(int) []any) error {
	i := 0
	_, err := s.tx.CopyFrom(s.ctx, pgx.Identifier{table}, cols, pgx.CopyFromFunc(func() ([]any, error) {
		if i == n {
			return nil, nil
		}
		i++
		return row(i - 1), nil
	}))
	if err != nil {
		return fmt.Errorf("seed %s: %w", table, err)
	}
	if slices.Contains(cols, "id") {
		_, err = s.tx.Exec(s.ctx, fmt.Sprintf("SELECT setval(pg_get_serial_sequence('%s', 'id'), (SELECT max(id) FROM %s))", table, table))
	}
	return err
}

// benchDSN is the PostgreSQL database the benchmark seeded.
var benchDSN string

// backendPIDs lists the server processes of the benchmark database's sessions.
func backendPIDs(b *testing.B, _ *store.DB) []int {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, benchDSN)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	var pids []int
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			b.Fatal(err)
		}
		pids = append(pids, pid)
	}
	b.Logf("PostgreSQL backends measured: %v", pids)
	return pids
}

var benchClock = func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) }

// openSeeded returns a store of the dialect seeded with shape s.
func openSeeded(b *testing.B, dialect string, s shape) *store.DB {
	if os.Getenv("SIEGEL_BENCH_PORTFOLIO") == "" {
		b.Skip("set SIEGEL_BENCH_PORTFOLIO=1 to seed millions of occurrences and run this benchmark")
	}
	ctx := context.Background()
	start := time.Now()
	var st *store.DB
	switch dialect {
	case "sqlite":
		dir := b.TempDir()
		var err error
		if st, err = store.OpenSQLite(ctx, dir, benchClock); err != nil {
			b.Fatal(err)
		}
		raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "siegel.sqlite")+"?_pragma=busy_timeout(10000)&_pragma=cache_size(-524288)&_pragma=synchronous(OFF)&_time_format=sqlite")
		if err != nil {
			b.Fatal(err)
		}
		defer raw.Close()
		raw.SetMaxOpenConns(1)
		tx, err := raw.Begin()
		if err != nil {
			b.Fatal(err)
		}
		// The component table's indexes are dropped for the load and built again after it, with
		// the store's own definitions: one sort per index instead of millions of random inserts.
		defs := queryStrings(b, func(q string) (*sql.Rows, error) { return tx.Query(q) },
			`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'component' AND sql IS NOT NULL`)
		for name := range defs {
			if _, err := tx.Exec("DROP INDEX " + name); err != nil {
				b.Fatal(err)
			}
		}
		seed(b, sqliteSeeder{tx}, s)
		for _, def := range defs {
			if _, err := tx.Exec(def); err != nil {
				b.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		if _, err := raw.Exec("ANALYZE"); err != nil {
			b.Fatal(err)
		}
	case "postgres":
		admin := os.Getenv("SIEGEL_TEST_POSTGRES")
		if admin == "" {
			admin = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
		}
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			b.Skipf("no PostgreSQL at %s: %v", admin, err)
		}
		rb := make([]byte, 6)
		rand.Read(rb)
		name := "siegel_bench_" + hex.EncodeToString(rb)
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() {
			conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			conn.Close(context.Background())
		})
		u, _ := url.Parse(admin)
		u.Path = "/" + name
		benchDSN = u.String()
		if st, err = store.OpenPostgres(ctx, u.String(), benchClock); err != nil {
			b.Fatal(err)
		}
		pc, err := pgx.Connect(ctx, u.String())
		if err != nil {
			b.Fatal(err)
		}
		defer pc.Close(ctx)
		tx, err := pc.Begin(ctx)
		if err != nil {
			b.Fatal(err)
		}
		defs := map[string]string{}
		rows, err := tx.Query(ctx, `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'component' AND indexdef NOT LIKE 'CREATE UNIQUE%'`)
		if err != nil {
			b.Fatal(err)
		}
		for rows.Next() {
			var name, def string
			if err := rows.Scan(&name, &def); err != nil {
				b.Fatal(err)
			}
			defs[name] = def
		}
		rows.Close()
		for name := range defs {
			if _, err := tx.Exec(ctx, "DROP INDEX "+name); err != nil {
				b.Fatal(err)
			}
		}
		seed(b, pgSeeder{ctx, tx}, s)
		for _, def := range defs {
			if _, err := tx.Exec(ctx, def); err != nil {
				b.Fatal(err)
			}
		}
		if err := tx.Commit(ctx); err != nil {
			b.Fatal(err)
		}
		if _, err := pc.Exec(ctx, "VACUUM ANALYZE"); err != nil {
			b.Fatal(err)
		}
	}
	b.Cleanup(func() { st.Close() })
	b.Logf("%s: seeded %d releases, %d occurrences in %v", dialect, s.releases(), s.releases()*s.perRelease, time.Since(start).Round(time.Second))
	return st
}

// queryStrings reads (name, text) rows into a map.
func queryStrings(b *testing.B, query func(string) (*sql.Rows, error), q string) map[string]string {
	rows, err := query(q)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			b.Fatal(err)
		}
		out[k] = v
	}
	return out
}

// benchAdvisories writes OSV records for the ubiquitous and some popular packages (affected
// from 1.0.0 below 1.1.5) and imports them with the real importer.
func benchAdvisories(b *testing.B) *vulndb.DB {
	dir := b.TempDir()
	for i := range ubiquitous + 10 {
		rec := map[string]any{"schema_version": "1.6.0", "id": fmt.Sprintf("GHSA-bench-%04d-0000", i), "modified": "2026-11-01T00:00:00Z",
			"aliases": []string{fmt.Sprintf("CVE-2026-9%04d", i)}, "summary": "bench",
			"affected": []any{map[string]any{"package": map[string]string{"ecosystem": "npm", "name": pkgName(i)},
				"ranges": []any{map[string]any{"type": "ECOSYSTEM", "events": []any{map[string]string{"introduced": "1.0.0"}, map[string]string{"fixed": "1.1.5"}}}}}}}
		data, _ := json.Marshal(rec)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("r%d.json", i)), data, 0o600); err != nil {
			b.Fatal(err)
		}
	}
	db, err := vulndb.Open(context.Background(), b.TempDir(), true)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if _, err := db.ImportOSVPath(context.Background(), dir, benchClock(), nil); err != nil {
		b.Fatal(err)
	}
	return db
}

// whereUsedMix is the query mix: ubiquitous, popular and rare components, any version, one
// version, a range, an advisory, across all manufacturers and for one manufacturer.
func whereUsedMix(rng *mrand.Rand) []Query {
	var qs []Query
	for range 20 {
		u, p, t := pkgName(rng.IntN(ubiquitous)), pkgName(ubiquitous+rng.IntN(popular)), pkgName(ubiquitous+popular+rng.IntN(tail))
		org := int64(1 + rng.IntN(200))
		qs = append(qs,
			Query{PURL: "pkg:npm/" + u},
			Query{PURL: "pkg:npm/" + p},
			Query{PURL: "pkg:npm/" + t},
			Query{PURL: "pkg:npm/" + u + "@" + pkgVersion(rng.IntN(30))},
			Query{PURL: "pkg:npm/" + u, Range: "vers:npm/>=1.1.0|<1.2.0"},
			Query{PURL: "pkg:npm/" + p, Range: ">=1.0.5|<1.2.5"},
			Query{PURL: "pkg:npm/" + u, Org: org},
			Query{Advisory: fmt.Sprintf("CVE-2026-9%04d", rng.IntN(ubiquitous))},
			Query{Advisory: fmt.Sprintf("GHSA-bench-%04d-0000", ubiquitous+rng.IntN(10)), Offset: 100},
			Query{Advisory: fmt.Sprintf("GHSA-bench-%04d-0000", rng.IntN(ubiquitous)), Org: org},
		)
	}
	return qs
}

func benchWhereUsed(b *testing.B, dialect string) {
	st := openSeeded(b, dialect, shape{orgs: 200, productsPerOrg: 5, releasesPerProduct: 10, perRelease: 500})
	db := benchAdvisories(b)
	qs := whereUsedMix(mrand.New(mrand.NewPCG(3, 4)))
	ctx := context.Background()
	// Warm the caches once, as a running server's are.
	for _, q := range qs {
		if _, err := WhereUsed(ctx, st, db, q); err != nil {
			b.Fatal(err)
		}
	}
	var lat, cpu []time.Duration
	items := 0
	server := serverCPU(b, dialect, st)
	b.ResetTimer()
	for b.Loop() {
		for _, q := range qs {
			t0, c0, s0 := time.Now(), cpuTime(), server()
			res, err := WhereUsed(ctx, st, db, q)
			lat, cpu = append(lat, time.Since(t0)), append(cpu, cpuTime()-c0+server()-s0)
			if err != nil {
				b.Fatal(err)
			}
			items += len(res.Items)
		}
	}
	p := func(ds []time.Duration, q float64) float64 {
		slices.Sort(ds)
		return float64(ds[int(q*float64(len(ds)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(p(lat, 0.5), "p50-ms")
	b.ReportMetric(p(lat, 0.95), "p95-ms")
	b.ReportMetric(p(lat, 1), "max-ms")
	// The CPU time per query, the client's and (PostgreSQL) the server backends': on a loaded
	// machine wall time mostly waits for a core, CPU time is the query's own cost.
	b.ReportMetric(p(cpu, 0.95), "p95-cpu-ms")
	b.ReportMetric(float64(items)/float64(len(lat)), "items/query")
}

// serverCPU returns a function giving the CPU time the PostgreSQL backends serving the store's
// database have used so far (from /proc/PID/schedstat: the server runs on this machine); for
// SQLite, which runs in the process, zero.
func serverCPU(b *testing.B, dialect string, st *store.DB) func() time.Duration {
	if dialect != "postgres" {
		return func() time.Duration { return 0 }
	}
	// The pool's connections are open after the warm-up; their backends are the pids of the
	// database's sessions.
	pids := backendPIDs(b, st)
	return func() time.Duration {
		var sum time.Duration
		for _, pid := range pids {
			data, err := os.ReadFile(fmt.Sprintf("/proc/%d/schedstat", pid))
			if err != nil {
				continue
			}
			var ns int64
			fmt.Sscan(string(data), &ns)
			sum += time.Duration(ns)
		}
		return sum
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkWhereUsedSQLite(b *testing.B)   { benchWhereUsed(b, "sqlite") }
func BenchmarkWhereUsedPostgres(b *testing.B) { benchWhereUsed(b, "postgres") }

// benchInventory ranks 10,000 SBOMs of 100 components each (1,000,000 occurrences) from 200
// manufacturers: reading every occurrence from the store and building the inventory.
func benchInventory(b *testing.B, dialect string) {
	st := openSeeded(b, dialect, shape{orgs: 200, productsPerOrg: 5, releasesPerProduct: 10, perRelease: 100})
	ctx := context.Background()
	var inv *Inventory
	c0 := cpuTime()
	for b.Loop() {
		var err error
		if inv, err = BuildInventory(ctx, st, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-c0)/1e9/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(len(inv.Components)), "published")
	b.ReportMetric(float64(inv.Critical), "critical")
}

func BenchmarkInventorySQLite(b *testing.B)   { benchInventory(b, "sqlite") }
func BenchmarkInventoryPostgres(b *testing.B) { benchInventory(b, "postgres") }
