package monitor_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/match"
	"github.com/siegel-oss/siegel/internal/monitor"
	"github.com/siegel-oss/siegel/internal/sbom"
	"github.com/siegel-oss/siegel/internal/store"
	"github.com/siegel-oss/siegel/internal/store/storetest"
	"github.com/siegel-oss/siegel/internal/vulndb"
)

// pypi turns package names into stored components at version 1.0.
func pypi(names ...string) []store.Component {
	var comps []store.Component
	for _, n := range names {
		c := sbom.Component{Ref: n, Name: n, Version: "1.0", PURL: "pkg:pypi/" + n + "@1.0"}
		p, _ := match.PackageOf(c)
		comps = append(comps, store.Component{Ref: n, Name: n, Version: "1.0", PURL: c.PURL, Ecosystem: p.Ecosystem, Lookup: p.Lookup, MatchVersion: p.Version})
	}
	return comps
}

// openFindings lists the vulnerabilities in force in a release.
func openFindings(t *testing.T, st *store.DB, release int64) []string {
	t.Helper()
	fs, _, err := st.Findings(t.Context(), release, store.FindingFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range fs {
		out = append(out, f.Vulnerability)
	}
	slices.Sort(out)
	return out
}

// monitorWith returns a monitor on st with a database of one advisory per name (CVE-2026-000i
// for the i-th), imported.
func monitorWith(t *testing.T, st *store.DB, cfg monitor.Config, names ...string) *monitor.Monitor {
	osv := t.TempDir()
	for i, n := range names {
		writeAdvisory(t, osv, fmt.Sprintf("PYSEC-%d", i+1), "2026-01-01T00:00:00Z", n, "2.0", fmt.Sprintf("CVE-2026-%04d", i+1))
	}
	cfg.Store, cfg.VulnDB, cfg.Sources = st, t.TempDir(), vulndb.Sources{OSV: osv}
	mon := monitor.New(cfg)
	t.Cleanup(func() { mon.Close() })
	if err := mon.RequestUpdate(t.Context()); err != nil {
		t.Fatal(err)
	}
	drain(t, mon)
	return mon
}

// newRelease creates a product (and the organization, the first time) with one release.
func newRelease(t *testing.T, st *store.DB, version string) int64 {
	t.Helper()
	ctx := t.Context()
	org, err := st.FirstOrganization(ctx)
	if err != nil {
		if org, err = st.CreateOrganization(ctx, "ACME", "small", false); err != nil {
			t.Fatal(err)
		}
	}
	prod, err := st.CreateProduct(ctx, org.ID, "Router "+version, "router", "default")
	if err != nil {
		t.Fatal(err)
	}
	rel, err := st.CreateRelease(ctx, prod.ID, version, "2026-03-01", "2031-12")
	if err != nil {
		t.Fatal(err)
	}
	return rel.ID
}

// An SBOM uploaded while its release is being matched — after the job read the components — is
// matched too: the job runs once more.
func TestUploadDuringMatch(t *testing.T) {
	storetest.EachDialect(t, time.Now, func(t *testing.T, st *store.DB) {
		ctx := t.Context()
		mon := monitorWith(t, st, monitor.Config{}, "alpha", "kevpkg")
		rel := newRelease(t, st, "1.0")
		if _, err := st.AddSBOM(ctx, rel, store.SBOMContent{Format: "cyclonedx-json", SHA256: "aa", Components: pypi("alpha")}); err != nil {
			t.Fatal(err)
		}
		read, proceed := make(chan struct{}), make(chan struct{})
		var once sync.Once
		monitor.SetInputRead(mon, func(int64) {
			once.Do(func() {
				close(read)
				<-proceed
			})
		})
		done := make(chan error, 1)
		go func() {
			_, err := mon.RunOnce(context.Background())
			done <- err
		}()
		<-read // the job holds the first SBOM's components
		if _, err := st.AddSBOM(ctx, rel, store.SBOMContent{Format: "cyclonedx-json", SHA256: "bb", Components: pypi("kevpkg")}); err != nil {
			t.Fatal(err)
		}
		close(proceed)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if pending, _ := st.Pending(ctx, "match-release/"+fmt.Sprint(rel)); !pending {
			t.Error("the upload during the matching left no matching to do")
		}
		drain(t, mon)
		if got := openFindings(t, st, rel); !slices.Equal(got, []string{"CVE-2026-0001", "CVE-2026-0002"}) {
			t.Errorf("findings %v, want those of both SBOMs", got)
		}
		if pending, _ := st.Pending(ctx, "match-release/"+fmt.Sprint(rel)); pending {
			t.Error("still matching after the queue drained")
		}
	})
}

// Uploads have a lane of their own: an upload is matched while the bulk lane is busy.
func TestUploadNotBehindBulk(t *testing.T) {
	storetest.EachDialect(t, time.Now, func(t *testing.T, st *store.DB) {
		ctx := t.Context()
		mon := monitorWith(t, st, monitor.Config{Poll: 20 * time.Millisecond}, "alpha", "beta")
		busy, upload := newRelease(t, st, "1.0"), newRelease(t, st, "2.0")
		if _, err := st.AddSBOM(ctx, busy, store.SBOMContent{Format: "cyclonedx-json", SHA256: "bb", Components: pypi("beta")}); err != nil {
			t.Fatal(err)
		}
		drain(t, mon)
		// A full re-matching of busy, as after a first import, that holds the bulk lane.
		if _, err := st.Enqueue(ctx, monitor.KindMatchBulk, map[string]int64{"release": busy}, fmt.Sprint("match-release/", busy), time.Time{}); err != nil {
			t.Fatal(err)
		}
		held, release := make(chan struct{}), make(chan struct{})
		monitor.SetInputRead(mon, func(r int64) {
			if r == busy {
				close(held)
				<-release
			}
		})
		runCtx, stop := context.WithCancel(ctx)
		ran := make(chan struct{})
		go func() {
			mon.Run(runCtx)
			close(ran)
		}()
		defer func() { stop(); <-ran }()
		<-held
		if _, err := st.AddSBOM(ctx, upload, store.SBOMContent{Format: "cyclonedx-json", SHA256: "cc", Components: pypi("alpha")}); err != nil {
			t.Fatal(err)
		}
		mon.Wake()
		deadline := time.After(time.Minute)
		for len(openFindings(t, st, upload)) == 0 {
			select {
			case <-deadline:
				t.Fatal("the upload was not matched while the bulk lane was busy")
			case <-time.After(20 * time.Millisecond):
			}
		}
		bulkState := func() string { return must(st.Jobs(ctx, monitor.KindMatchBulk, 1))[0].State }
		if s := bulkState(); s != "running" {
			t.Errorf("the held bulk job is %s", s)
		}
		close(release)
		for bulkState() != "done" {
			select {
			case <-deadline:
				t.Fatal("the bulk job did not finish")
			case <-time.After(20 * time.Millisecond):
			}
		}
	})
}

// An update touching many releases becomes re-matching jobs of bounded size that several servers
// share; one whose server died is taken over after its lease.
func TestRematchSplit(t *testing.T) {
	storetest.EachDialect(t, time.Now, func(t *testing.T, st *store.DB) {
		ctx := t.Context()
		osv := t.TempDir()
		writeAdvisory(t, osv, "PYSEC-1", "2026-01-01T00:00:00Z", "alpha", "2.0", "CVE-2026-0001")
		cfg := monitor.Config{Store: st, VulnDB: t.TempDir(), Sources: vulndb.Sources{OSV: osv}, RematchChunk: 2}
		a, b := monitor.New(cfg), monitor.New(cfg) // two servers on one store (and here one vulnerability database)
		defer a.Close()
		defer b.Close()
		if err := a.RequestUpdate(ctx); err != nil {
			t.Fatal(err)
		}
		drain(t, a)
		var rels []int64
		for i := range 5 {
			r := newRelease(t, st, fmt.Sprint(i, ".0"))
			if _, err := st.AddSBOM(ctx, r, store.SBOMContent{Format: "cyclonedx-json", SHA256: "dd", Components: pypi("alpha", "gamma")}); err != nil {
				t.Fatal(err)
			}
			rels = append(rels, r)
		}
		drain(t, a)
		// The update: alpha's advisory now says 1.0 is not affected; gamma gets one.
		writeAdvisory(t, osv, "PYSEC-1", "2026-02-01T00:00:00Z", "alpha", "0.9", "CVE-2026-0001")
		writeAdvisory(t, osv, "PYSEC-2", "2026-02-01T00:00:00Z", "gamma", "2.0", "CVE-2026-0002")
		if err := a.RequestUpdate(ctx); err != nil {
			t.Fatal(err)
		}
		if ran, err := a.RunOnce(ctx); !ran || err != nil { // the import
			t.Fatal(ran, err)
		}
		jobs, _ := st.Jobs(ctx, monitor.KindRematch, 10)
		var covered []int64
		for _, j := range jobs {
			var p struct{ Releases []int64 }
			json.Unmarshal(j.Payload, &p)
			if len(p.Releases) > 2 {
				t.Errorf("job %d covers %d releases, more than the chunk", j.ID, len(p.Releases))
			}
			covered = append(covered, p.Releases...)
		}
		slices.Sort(covered)
		if len(jobs) != 3 || !slices.Equal(covered, rels) {
			t.Fatalf("%d rematch jobs covering %v, want 3 covering %v", len(jobs), covered, rels)
		}
		// A third server takes a job and dies; a and b share the rest, and take over the dead one.
		if j, err := st.ClaimJob(ctx, "dead-server", -time.Second); err != nil || j == nil || j.Kind != monitor.KindRematch {
			t.Fatalf("claim %+v %v", j, err)
		}
		for _, m := range []*monitor.Monitor{a, b, a} {
			if ran, err := m.RunOnce(ctx); !ran || err != nil {
				t.Fatal(ran, err)
			}
		}
		if ran, _ := b.RunOnce(ctx); ran {
			drain(t, b) // label checks and the like, if any
		}
		for _, r := range rels {
			if got := openFindings(t, st, r); !slices.Equal(got, []string{"CVE-2026-0002"}) {
				t.Errorf("release %d: findings %v after the update", r, got)
			}
		}
		for _, j := range must(st.Jobs(ctx, monitor.KindRematch, 10)) {
			if j.State != "done" {
				t.Errorf("rematch job %d %s: %s", j.ID, j.State, j.LastError)
			}
		}
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
