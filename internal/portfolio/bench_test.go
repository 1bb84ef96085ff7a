package portfolio

import (
	"context"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/store/bulkload"
	"github.com/siegel-oss/siegel/internal/vulndb"
)

// The portfolio benchmarks seed millions of component occurrences (a minute or more), so they
// run only when SIEGEL_BENCH_PORTFOLIO is set:
//
//	SIEGEL_BENCH_PORTFOLIO=1 go test ./internal/portfolio/ -run '^$' -bench 'WhereUsed|Inventory' -benchtime 3x
//
// PostgreSQL variants use the server of SIEGEL_TEST_POSTGRES (default the local one) and skip
// without one. A seeded store is kept for the next run (bench_seed_test.go), so only the first
// run with a given shape, seed and schema pays for seeding.

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

// seed streams the rows of every table in insertion order.
func seed(b *testing.B, sd bulkload.Loader, s shape) {
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	rng := mrand.New(mrand.NewPCG(1, 2))
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	must(sd.Rows("organization", []string{"id", "name", "size_class", "authority", "created_at"}, s.orgs, func(i int) []any {
		return []any{i + 1, fmt.Sprintf("Maker %d", i), "medium", false, now}
	}))
	nProducts := s.orgs * s.productsPerOrg
	must(sd.Rows("product", []string{"id", "organization", "name", "category", "cra_class", "created_at"}, nProducts, func(i int) []any {
		return []any{i + 1, i/s.productsPerOrg + 1, fmt.Sprintf("Product %d", i), "router", "default", now}
	}))
	must(sd.Rows("release", []string{"id", "product", "version", "support_end", "created_at", "devices_on_market"}, s.releases(), func(i int) []any {
		var devices any
		if i%10 != 0 {
			devices = int64(rng.IntN(100000))
		}
		return []any{i + 1, i/s.releasesPerProduct + 1, fmt.Sprintf("%d.0", i%s.releasesPerProduct), "2031-12", now, devices}
	}))
	must(sd.Rows("sbom", []string{"id", "release", "format", "sha256", "components", "uploaded_at"}, s.releases(), func(i int) []any {
		return []any{i + 1, i + 1, "cyclonedx-json", fmt.Sprintf("%064x", i), s.perRelease, now}
	}))
	// Components, release by release.
	type comp struct {
		pkg, ver int
		direct   bool
	}
	var cur []comp
	rel := -1
	must(sd.Rows("component", []string{"sbom", "release", "ref", "name", "version", "purl", "direct", "ecosystem", "lookup", "match_version", "vcs_commit", "base_purl"},
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
	must(sd.Rows("finding", []string{"release", "vulnerability", "purl", "severity", "score", "exploited", "data", "first_seen", "updated_at"}, s.releases(), func(i int) []any {
		return []any{i + 1, "GHSA-core-0000-0000", "pkg:npm/core0@" + pkgVersion(0), "HIGH", 7.5, false, "{}", now, now}
	}))
	must(sd.Rows("vex_statement", []string{"release", "vulnerability", "purl", "status", "justification", "impact", "action", "author", "created_at"}, s.releases()/10, func(i int) []any {
		return []any{i*10 + 1, "GHSA-core-0000-0000", "pkg:npm/core0@" + pkgVersion(0), "not_affected", "component_not_present", "", "", "bench", now}
	}))
}

var benchClock = func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) }

// benchAdvisories writes OSV records for the ubiquitous and some popular packages (affected
// from 1.0.0 below 1.1.5) and imports them with the real importer.
func benchAdvisories(b testing.TB) *vulndb.DB {
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
	type slow struct {
		q   Query
		cpu time.Duration
	}
	var worst []slow
	items := 0
	server := serverCPU(b, dialect)
	b.ResetTimer()
	for b.Loop() {
		for _, q := range qs {
			t0, c0, s0 := time.Now(), cpuTime(), server()
			res, err := WhereUsed(ctx, st, db, q)
			lat, cpu = append(lat, time.Since(t0)), append(cpu, cpuTime()-c0+server()-s0)
			if err != nil {
				b.Fatal(err)
			}
			worst = append(worst, slow{q, cpu[len(cpu)-1]})
			items += len(res.Items)
		}
	}
	p := func(ds []time.Duration, q float64) float64 {
		slices.Sort(ds)
		return float64(ds[int(q*float64(len(ds)-1))].Microseconds()) / 1000
	}
	slices.SortFunc(worst, func(x, y slow) int { return int(y.cpu - x.cpu) })
	for _, w := range worst[:min(5, len(worst))] {
		b.Logf("CPU %v: %+v", w.cpu.Round(time.Microsecond), w.q)
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
func serverCPU(b *testing.B, dialect string) func() time.Duration {
	if dialect != "postgres" {
		return func() time.Duration { return 0 }
	}
	// The pool's connections are open after the warm-up; their backends are the pids of the
	// database's sessions.
	pids, err := bulkload.SessionPIDs(context.Background(), benchDSN)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("PostgreSQL backends measured: %v", pids)
	return func() time.Duration { return bulkload.ProcessesCPU(pids) }
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
// manufacturers. CPU time is the process's and, on PostgreSQL, the server backends'.
func benchInventory(b *testing.B, dialect string) {
	st := openSeeded(b, dialect, shape{orgs: 200, productsPerOrg: 5, releasesPerProduct: 10, perRelease: 100})
	ctx := context.Background()
	if _, err := BuildInventory(ctx, st, Options{}); err != nil { // warm the caches and open the connections
		b.Fatal(err)
	}
	server := serverCPU(b, dialect)
	var inv *Inventory
	c0, s0 := cpuTime(), server()
	for b.Loop() {
		var err error
		if inv, err = BuildInventory(ctx, st, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-c0)/1e9/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(server()-s0)/1e9/float64(b.N), "server-cpu-s/op")
	b.ReportMetric(float64(len(inv.Components)), "published")
	b.ReportMetric(float64(inv.Critical), "critical")
}

func BenchmarkInventorySQLite(b *testing.B)   { benchInventory(b, "sqlite") }
func BenchmarkInventoryPostgres(b *testing.B) { benchInventory(b, "postgres") }
