package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/match"
	"github.com/siegel-oss/siegel/internal/store"
	"github.com/siegel-oss/siegel/internal/store/bulkload"
	"github.com/siegel-oss/siegel/internal/store/pgtest"
	"github.com/siegel-oss/siegel/internal/vulndb/vulndbtest"
)

// BenchmarkReleasePage renders the web page of the last of a product's five releases of 500
// components each, the last one with 60 findings in force, as bench/platform's portfolio
// has them, on each database:
//
//	go test ./internal/server/ -run '^$' -bench ReleasePage -benchtime 200x
//
// Besides the wall time it reports this process's CPU time a page (cpu-ms/op) and, on
// PostgreSQL, that of the database's server processes (pg-cpu-ms/op): on a shared machine the
// wall time mostly measures the others.
func BenchmarkReleasePage(b *testing.B) {
	now := func() time.Time { return time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) }
	b.Run("sqlite", func(b *testing.B) {
		st, err := store.OpenSQLite(b.Context(), b.TempDir(), now)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { st.Close() })
		vdir := b.TempDir()
		if err := vulndbtest.Open(b).Export(b.Context(), filepath.Join(vdir, "vulndb.sqlite")); err != nil {
			b.Fatal(err)
		}
		benchReleasePage(b, st, vdir, nil)
	})
	b.Run("postgres", func(b *testing.B) {
		dsn := pgtest.Database(b)
		st, err := store.OpenPostgres(b.Context(), dsn, now)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { st.Close() })
		vulndbtest.OpenAt(b, dsn) // the vulnerability database in PostgreSQL too, as servers sharing one have it
		benchReleasePage(b, st, dsn, func() time.Duration {
			pids, err := bulkload.SessionPIDs(context.Background(), dsn)
			if err != nil {
				b.Fatal(err)
			}
			return bulkload.ProcessesCPU(pids)
		})
	})
}

// benchReleasePage seeds the product and measures its last release's page, the server reading
// the vulnerability database at vloc; pgCPU, when not nil, reads the database's CPU time.
func benchReleasePage(b *testing.B, st *store.DB, vloc string, pgCPU func() time.Duration) {
	ctx := b.Context()
	last, session := seedReleasePage(b, st)
	h := New(Config{Store: st, VulnDB: vloc}).Handler()
	get := func() string {
		req := httptest.NewRequestWithContext(ctx, "GET", "/releases/"+itoa(last), nil)
		req.AddCookie(&http.Cookie{Name: webSessionCookie, Value: session})
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("release page: %d %s", rec.Code, rec.Body.String())
		}
		return rec.Body.String()
	}
	// The first request reads the health data and warms the statements; its page is the one
	// measured: the release is a security update and lists a page of findings.
	if page := get(); !strings.Contains(page, "Security update: fixes CVE-2026-") || strings.Count(page, `<a href="/releases/`+itoa(last)+`/findings/`) != 50 {
		b.Fatalf("the release page lacks its security update or its 50 findings: %s", page)
	}
	if pgCPU == nil {
		pgCPU = func() time.Duration { return 0 }
	}
	b.ReportAllocs()
	n, t0, c0, p0 := 0, time.Now(), processCPU(), pgCPU()
	for b.Loop() {
		get()
		n++
	}
	b.ReportMetric(float64(time.Since(t0))/1e6/float64(n), "ms/op")
	b.ReportMetric(float64(processCPU()-c0)/1e6/float64(n), "cpu-ms/op")
	if st.Dialect() == store.Postgres {
		b.ReportMetric(float64(pgCPU()-p0)/1e6/float64(n), "pg-cpu-ms/op")
	}
}

// processCPU is the CPU time (user and system) this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// seedReleasePage stores a product of five releases of 500 PyPI components, drawn from 800
// packages so that consecutive releases share most of them, a tenth moving from version 1.0.0 to
// 1.0.1 in each release; every fifth package has a finding at 1.0.0, fixed in 1.0.1. It returns the last release and a
// session of a PSIRT user of the product's organization.
func seedReleasePage(b *testing.B, st *store.DB) (last int64, session string) {
	ctx := b.Context()
	org, err := st.CreateOrganization(ctx, "ACME", "medium", false)
	if err != nil {
		b.Fatal(err)
	}
	prod, err := st.CreateProduct(ctx, org.ID, "HomeRouter", "router", "default")
	if err != nil {
		b.Fatal(err)
	}
	for r := range 5 {
		rel, err := st.CreateRelease(ctx, prod.ID, fmt.Sprintf("%d.0", r+1), "", "2031-12")
		if err != nil {
			b.Fatal(err)
		}
		var comps []store.Component
		var fs []store.Finding
		for i := range 500 {
			p := (r*75 + i) % 800
			v := "1.0.0"
			if p/5%10 < r { // a tenth of the packages move on in each release, fixing their findings
				v = "1.0.1"
			}
			name := fmt.Sprintf("pkg-%05d", p)
			purl := "pkg:pypi/" + name + "@" + v
			comps = append(comps, store.Component{Ref: name, Name: name, Version: v, PURL: purl, Direct: i < 20,
				Ecosystem: "PyPI", Lookup: name, MatchVersion: v})
			if p%5 != 0 || v != "1.0.0" {
				continue
			}
			id := fmt.Sprintf("CVE-2026-%05d", p)
			data, err := json.Marshal(match.Finding{
				Identity:   &match.Identity{ID: id, Aliases: []string{"PYSEC-BENCH-" + itoa(int64(p))}, Records: []string{"PYSEC-BENCH-" + itoa(int64(p))}, Summary: "flaw " + itoa(int64(p))},
				Package:    &match.Package{Ref: name, Name: name, Version: v, PURL: purl, Ecosystem: "PyPI", Lookup: name},
				Assessment: &match.Assessment{Severity: "CRITICAL", Score: 9.8, Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Source: "CVSS_V3"},
				Fixed:      []string{"1.0.1"}})
			if err != nil {
				b.Fatal(err)
			}
			fs = append(fs, store.Finding{Vulnerability: id, PURL: purl, Severity: "CRITICAL", Score: 9.8, Data: data})
		}
		if _, err := st.AddSBOM(ctx, rel.ID, store.SBOMContent{Format: "cyclonedx-json", SHA256: fmt.Sprintf("%064x", r+1), Components: comps}); err != nil {
			b.Fatal(err)
		}
		cov, err := json.Marshal(match.Coverage{Components: 500, Checked: 500, Advisories: 5000,
			Ecosystems: []match.EcosystemCoverage{{Ecosystem: "PyPI", Advisories: 5000, Components: 500, Checked: 500}}})
		if err != nil {
			b.Fatal(err)
		}
		// The matching the upload queued, done: these are its findings.
		job, err := st.ClaimJob(ctx, "bench", time.Minute, "match-release")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := st.ApplyFindingsBatch(ctx, []store.Outcome{{Release: rel.ID, Findings: fs, Coverage: cov}}, nil); err != nil {
			b.Fatal(err)
		}
		if err := st.FinishJob(ctx, job.ID, "bench"); err != nil {
			b.Fatal(err)
		}
		last = rel.ID
	}
	if _, err := st.CreateUser(ctx, org.ID, "psirt@acme.example", "a long benchmark password", "psirt"); err != nil {
		b.Fatal(err)
	}
	session, _, err = st.Login(ctx, "psirt@acme.example", "a long benchmark password", time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	return last, session
}
