package cli

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/ledger"
	"github.com/siegel-oss/siegel/internal/monitor"
	"github.com/siegel-oss/siegel/internal/store"
	"github.com/siegel-oss/siegel/internal/vulndb"
)

// TestKillDuringImportAndRematch kills the real server binary with SIGKILL in the middle of a
// vulnerability database import and in the middle of re-matching the releases an update touched,
// restarts it on the same data directory, and checks that nothing was lost or duplicated: the
// database holds exactly the generated advisories with one snapshot per successful import, the
// interrupted jobs ran again to completion, and every release has exactly the findings it should,
// open or resolved.
func TestKillDuringImportAndRematch(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the server for about half a minute")
	}
	if runtime.GOOS == "windows" {
		t.Skip("needs SIGKILL and SIGTERM")
	}
	began := time.Now()
	ctx := t.Context()
	tmp := t.TempDir()
	d := crashSet{packages: 3000, perPackage: 10, releases: 40, components: 200}
	bin := buildSiegel(t, tmp)

	osvDir := filepath.Join(tmp, "osv")
	genStart := time.Now()
	d.writeOSV(t, osvDir, nil)
	t.Logf("wrote %d OSV records in %v", d.advisories(), time.Since(genStart).Round(time.Millisecond))
	source := "osv:dir:" + filepath.Clean(osvDir)

	data := filepath.Join(tmp, "data")
	vdir := filepath.Join(data, "vulndb")
	token := adminToken(t, bin, data)

	// 1. The first run queues the first import; kill the server while it runs.
	s1 := startCrashServer(t, bin, data, osvDir, token, "run 1")
	s1.waitFor("the first import to run", 60*time.Second, func() bool {
		st := s1.dbStatus()
		return len(st.Updates) == 1 && st.Updates[0].State == "running"
	})
	running := time.Now()
	// The import is one transaction of several seconds on this data: kill it shortly after it
	// started (that it had not committed is checked below).
	time.Sleep(250 * time.Millisecond)
	s1.kill()
	killedAfter := time.Since(running)
	// Nothing of the import may be visible: the transaction never committed.
	if st := vulndbStatus(t, vdir); st != nil && (st.Advisories != 0 || len(st.Snapshots) != 0) {
		t.Fatalf("the import committed before the kill (%d advisories, %d snapshots): it was too quick to interrupt; generate more records", st.Advisories, len(st.Snapshots))
	}
	updateJob := storeJobs(t, data, "db-update")
	if len(updateJob) != 1 || updateJob[0].State != "running" || updateJob[0].Attempts != 1 {
		t.Fatalf("update job after the kill: %+v", updateJob)
	}
	t.Logf("killed the server %v after the import was seen running (job %d still running, nothing committed)", killedAfter.Round(time.Millisecond), updateJob[0].ID)

	// 2. Restart: the job's lease runs out, the job runs again and completes.
	s2 := startCrashServer(t, bin, data, osvDir, token, "run 2")
	restarted := time.Now()
	s2.waitFor("the interrupted import to complete", 120*time.Second, func() bool {
		st := s2.dbStatus()
		return len(st.Updates) > 0 && st.Updates[0].State != "running" && st.Updates[0].State != "queued"
	})
	t.Logf("the import completed %v after the restart (%s)", time.Since(restarted).Round(time.Millisecond), s2.jobTook("db-update"))
	st := s2.dbStatus()
	if len(st.Updates) != 1 {
		t.Fatalf("update jobs after the restart: %+v", st.Updates)
	}
	if u := st.Updates[0]; u.ID != updateJob[0].ID || u.State != "done" || u.Attempts != 2 || u.LastError != "" {
		t.Errorf("the interrupted update job: %+v, want job %d done at attempt 2", u, updateJob[0].ID)
	}
	if st.Status == nil {
		t.Fatal("no vulnerability database after the import")
	}
	if st.Status.Advisories != d.advisories() || st.Status.Withdrawn != 0 || st.Status.Packages != d.packages {
		t.Errorf("database holds %d advisories (%d withdrawn) of %d packages, want %d of %d",
			st.Status.Advisories, st.Status.Withdrawn, st.Status.Packages, d.advisories(), d.packages)
	}
	if len(st.Status.Snapshots) != 1 || st.Status.Snapshots[0].Source != source ||
		st.Status.Snapshots[0].Records != d.advisories() || st.Status.Snapshots[0].Skipped != 0 {
		t.Errorf("snapshots %+v, want one of %s with %d records", st.Status.Snapshots, source, d.advisories())
	}
	checkVulnDBRows(t, vdir, source, 1, d.advisories())

	// 3. A product with releases, each with an SBOM: every component has one finding.
	uploadStart := time.Now()
	releases := d.createReleases(s2)
	t.Logf("uploaded %d SBOMs and matched them in %v", d.releases, time.Since(uploadStart).Round(time.Millisecond))

	// 4. Change the first advisory of every even-numbered package (now fixed in 0.5, so version
	// 1.0 is no longer affected), update, and kill the server while it re-matches.
	changed := func(p int) bool { return p%2 == 0 }
	unchanged := func(p int) bool { return !changed(p) }
	d.writeOSV(t, osvDir, changed)
	logMark := s2.logLen()
	if code := s2.call("POST", "/api/v1/db/update", "", nil); code != http.StatusAccepted {
		t.Fatalf("POST db/update: %d", code)
	}
	updateAsked := time.Now()
	// The re-matching logs "findings changed" for each release it changes: kill it half-way.
	changedLogged := func() int { return strings.Count(s2.logSince(logMark), `msg="findings changed"`) }
	s2.waitFor("the re-matching to reach half of the releases", 120*time.Second, func() bool { return changedLogged() >= d.releases/2 })
	s2.kill()
	t.Logf("killed the server %v after asking for the update (%s), when the re-matching had logged changed findings of %d releases",
		time.Since(updateAsked).Round(time.Millisecond), s2.jobTook("db-update"), changedLogged())
	rematch := storeJobs(t, data, "rematch")
	if len(rematch) != 1 || rematch[0].State != "running" || rematch[0].Attempts != 1 {
		t.Fatalf("rematch job after the kill: %+v, want one running", rematch)
	}
	rematched := releasesWithResolved(t, data, releases)
	if rematched == 0 || rematched == len(releases) {
		t.Fatalf("the kill came when %d of %d releases were re-matched: not during the re-matching", rematched, len(releases))
	}
	t.Logf("at the kill, re-matching job %d (progress %q) had re-matched %d of %d releases", rematch[0].ID, rematch[0].Progress, rematched, len(releases))

	// 5. Restart: the re-matching runs again and completes.
	s3 := startCrashServer(t, bin, data, osvDir, token, "run 3")
	restarted = time.Now()
	s3.waitFor("the interrupted re-matching to complete", 120*time.Second, func() bool {
		return s3.jobTook("rematch") != ""
	})
	t.Logf("the re-matching completed %v after the restart (%s)", time.Since(restarted).Round(time.Millisecond), s3.jobTook("rematch"))
	for r, id := range releases {
		open, resolved := s3.findings(id, false), s3.findings(id, true)
		if open.Matching {
			t.Errorf("release %d is still being matched", r)
		}
		if got, want := open.ids(), d.expected(r, unchanged); !slices.Equal(got, want) || open.Total != len(want) {
			t.Errorf("release %d: %d open findings (total %d), want %d: %s", r, len(got), open.Total, len(want), setDiff(got, want))
		}
		if got, want := resolved.ids(), d.expected(r, changed); !slices.Equal(got, want) || resolved.Total != len(want) {
			t.Errorf("release %d: %d resolved findings (total %d), want %d: %s", r, len(got), resolved.Total, len(want), setDiff(got, want))
		}
	}
	st = s3.dbStatus()
	if st.Status == nil || st.Status.Advisories != d.advisories() || len(st.Status.Snapshots) != 1 {
		t.Errorf("database after the update: %+v", st.Status)
	}
	s3.stop()

	// The store, read directly: every job done, each interrupted one exactly once more; exactly
	// one finding row per component and vulnerability.
	db, err := store.OpenSQLite(ctx, data, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	jobs, err := db.Jobs(ctx, "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, j := range jobs {
		if j.Kind == monitor.KindClocks || j.Kind == monitor.KindLabels {
			continue // periodic or follow-up work that may still be queued at any time
		}
		count[j.Kind]++
		if j.State != "done" || j.LastError != "" {
			t.Errorf("job %d (%s) is %s: %s", j.ID, j.Kind, j.State, j.LastError)
		}
		want := 1
		if j.ID == updateJob[0].ID || j.ID == rematch[0].ID {
			want = 2
		}
		if j.Attempts != want {
			t.Errorf("job %d (%s) ran %d times, want %d", j.ID, j.Kind, j.Attempts, want)
		}
	}
	if want := map[string]int{"db-update": 2, "match-release": d.releases, "rematch": 1}; !maps.Equal(count, want) {
		t.Errorf("jobs by kind %v, want %v", count, want)
	}
	for r, id := range releases {
		open, nOpen, err := db.Findings(ctx, id, store.FindingFilter{})
		if err != nil {
			t.Fatal(err)
		}
		resolved, nResolved, err := db.Findings(ctx, id, store.FindingFilter{Resolved: true})
		if err != nil {
			t.Fatal(err)
		}
		if nOpen+nResolved != d.components || len(open) != nOpen || len(resolved) != nResolved {
			t.Errorf("release %d: %d open + %d resolved finding rows, want %d in all", r, nOpen, nResolved, d.components)
		}
		if got, want := storeIDs(open), d.expected(r, unchanged); !slices.Equal(got, want) {
			t.Errorf("release %d: stored open findings differ: %s", r, setDiff(got, want))
		}
		if got, want := storeIDs(resolved), d.expected(r, changed); !slices.Equal(got, want) {
			t.Errorf("release %d: stored resolved findings differ: %s", r, setDiff(got, want))
		}
	}
	checkVulnDBRows(t, vdir, source, 2, d.advisories())
	// The ledger reopens consistent: every release's support period and SBOM are recorded once,
	// and the whole log verifies.
	b, err := db.LedgerBundle(ctx, 0, "release/", true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ledger.Verify(b); err != nil {
		t.Errorf("ledger after the kills: %v", err)
	}
	if len(b.Entries) != 2*d.releases {
		t.Errorf("ledger holds %d release statements, want %d (support period and SBOM of each)", len(b.Entries), 2*d.releases)
	}
	t.Logf("whole test: %v", time.Since(began).Round(time.Millisecond))
}

// TestKillAfterImportBeforeRematch kills the server during an update after its OSV import
// committed, while a later source of the same update (a large EPSS file beside the OSV records)
// is still importing: the update job has not yet queued the re-matching of what the OSV import
// changed. After the restart the update job runs again, and the findings that the committed
// changes resolve must be re-matched all the same: a crash may not lose them.
func TestKillAfterImportBeforeRematch(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the server")
	}
	if runtime.GOOS == "windows" {
		t.Skip("needs SIGKILL and SIGTERM")
	}
	began := time.Now()
	tmp := t.TempDir()
	d := crashSet{packages: 200, perPackage: 2, releases: 5, components: 40}
	bin := buildSiegel(t, tmp)
	osvDir := filepath.Join(tmp, "osv")
	d.writeOSV(t, osvDir, nil)
	writeCrashEPSS(t, filepath.Join(osvDir, "epss_scores-current.csv"), 100_000)
	source := "osv:dir:" + filepath.Clean(osvDir)
	data := filepath.Join(tmp, "data")
	vdir := filepath.Join(data, "vulndb")
	token := adminToken(t, bin, data)

	s1 := startCrashServer(t, bin, data, osvDir, token, "run 1")
	s1.waitFor("the first update", 120*time.Second, func() bool {
		st := s1.dbStatus()
		return len(st.Updates) == 1 && st.Updates[0].State == "done"
	})
	t.Logf("first update (OSV and EPSS): %s", s1.jobTook("db-update"))
	releases := d.createReleases(s1)

	// Change advisory 0 of the even-numbered packages, update, and kill the server as soon as the
	// OSV import committed (a new snapshot of the source) while the update job still runs.
	changed := func(p int) bool { return p%2 == 0 }
	unchanged := func(p int) bool { return !changed(p) }
	before := osvSnapshot(s1.dbStatus().Status, source)
	if before == nil {
		t.Fatalf("no snapshot of %s", source)
	}
	d.writeOSV(t, osvDir, changed)
	if code := s1.call("POST", "/api/v1/db/update", "", nil); code != http.StatusAccepted {
		t.Fatalf("POST db/update: %d", code)
	}
	asked := time.Now()
	s1.waitFor("the OSV import of the update to commit", 60*time.Second, func() bool {
		st := s1.dbStatus()
		snap := osvSnapshot(st.Status, source)
		if snap == nil || snap.Digest == before.Digest {
			return false
		}
		if st.Updates[0].State != "running" {
			t.Fatalf("the update completed before the kill: make the EPSS file larger (%s)", s1.jobTook("db-update"))
		}
		return true
	})
	s1.kill()
	t.Logf("killed the server %v after asking for the update, after its OSV import committed", time.Since(asked).Round(time.Millisecond))
	if st := vulndbStatus(t, vdir); osvSnapshot(st, source) == nil || osvSnapshot(st, source).Digest == before.Digest {
		t.Fatal("the OSV import of the update is not in the database after the kill")
	}
	updates := storeJobs(t, data, "db-update")
	if len(updates) != 2 || updates[0].State != "running" {
		t.Fatalf("update jobs after the kill: %+v, want the second running", updates)
	}
	t.Logf("at the kill: update job %d running, %d rematch jobs queued", updates[0].ID, len(storeJobs(t, data, "rematch")))

	s2 := startCrashServer(t, bin, data, osvDir, token, "run 2")
	s2.waitFor("the interrupted update to complete", 120*time.Second, func() bool {
		st := s2.dbStatus()
		return len(st.Updates) == 2 && st.Updates[0].State == "done"
	})
	t.Logf("the interrupted update completed at attempt %d (%s)", s2.dbStatus().Updates[0].Attempts, s2.jobTook("db-update"))
	// The re-matching is queued before the update job completes; give it ample time to run.
	want := func() bool {
		for r, id := range releases {
			if !slices.Equal(s2.findings(id, false).ids(), d.expected(r, unchanged)) ||
				!slices.Equal(s2.findings(id, true).ids(), d.expected(r, changed)) {
				return false
			}
		}
		return true
	}
	deadline := time.Now().Add(20 * time.Second)
	for !want() && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	for r, id := range releases {
		open, resolved := s2.findings(id, false), s2.findings(id, true)
		if got, want := open.ids(), d.expected(r, unchanged); !slices.Equal(got, want) {
			t.Errorf("release %d: %d open findings, want %d: %s", r, len(got), len(want), setDiff(got, want))
		}
		if got, want := resolved.ids(), d.expected(r, changed); !slices.Equal(got, want) {
			t.Errorf("release %d: %d resolved findings, want %d: %s", r, len(got), len(want), setDiff(got, want))
		}
	}
	s2.stop()
	if t.Failed() {
		var kinds []string
		for _, j := range storeJobs(t, data, "") {
			kinds = append(kinds, fmt.Sprintf("%d:%s:%s:attempt %d", j.ID, j.Kind, j.State, j.Attempts))
		}
		t.Logf("jobs in the store: %v", kinds)
	}
	t.Logf("whole test: %v", time.Since(began).Round(time.Millisecond))
}

// osvSnapshot is the latest snapshot of source in st (nil when none).
func osvSnapshot(st *vulndb.Status, source string) *vulndb.Snapshot {
	if st == nil {
		return nil
	}
	for i := range st.Snapshots {
		if st.Snapshots[i].Source == source {
			return &st.Snapshots[i]
		}
	}
	return nil
}

// writeCrashEPSS writes an EPSS score file (FIRST's CSV) of n CVEs.
func writeCrashEPSS(t *testing.T, path string, n int) {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("#model_version:v2025.03.14,score_date:2026-11-20T00:00:00+0000\ncve,epss,percentile\n")
	for i := range n {
		fmt.Fprintf(&b, "CVE-2026-%07d,0.%05d,0.%05d\n", i, i%100000, (i*7)%100000)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// crashSet is the generated vulnerability database and inventory of a crash test: PyPI packages
// pkg0000.., each with perPackage advisories of which only the first affects version 1.0, and
// releases whose SBOMs name components packages at version 1.0 (one finding each).
type crashSet struct {
	packages, perPackage, releases, components int
}

func (d crashSet) advisories() int { return d.packages * d.perPackage }

// crashAdvisory is the id of advisory k of package p.
func crashAdvisory(p, k int) string { return fmt.Sprintf("PYSEC-CRASH-%04d-%d", p, k) }

// writeOSV writes the OSV records, one JSON file each. Advisory 0 of each package affects
// versions before 2.0; the others only versions 1k.0 to 1k.1. With change, the files of advisory
// 0 of the packages change selects are rewritten: modified later and fixed in 0.5 instead.
func (d crashSet) writeOSV(t *testing.T, dir string, change func(p int) bool) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// Writing many small files is mostly system time: spread it over the CPUs.
	workers := max(2, runtime.NumCPU())
	errs := make(chan error, workers)
	for w := range workers {
		go func() { errs <- d.writeOSVPart(dir, change, w, workers) }()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// writeOSVPart writes the records of the packages p with p%workers == part.
func (d crashSet) writeOSVPart(dir string, change func(p int) bool, part, workers int) error {
	for p := part; p < d.packages; p += workers {
		for k := range d.perPackage {
			introduced, fixed, modified := fmt.Sprintf("%d.0", 10+k), fmt.Sprintf("%d.1", 10+k), "2026-01-15T00:00:00Z"
			switch {
			case change != nil && (k != 0 || !change(p)):
				continue // unchanged: the file stays as it is
			case change != nil:
				introduced, fixed, modified = "0", "0.5", "2026-02-20T00:00:00Z"
			case k == 0:
				introduced, fixed = "0", "2.0"
			}
			rec := fmt.Sprintf(`{
  "schema_version": "1.6.0",
  "id": %q,
  "modified": %q,
  "published": "2026-01-01T00:00:00Z",
  "summary": "Crash test advisory %d of pkg%04d",
  "details": "Generated by a crash test of siegel serve. Versions from %s up to %s are affected.",
  "affected": [{
    "package": {"ecosystem": "PyPI", "name": "pkg%04d", "purl": "pkg:pypi/pkg%04d"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": %q}, {"fixed": %q}]}]
  }],
  "database_specific": {"severity": "HIGH"}
}
`, crashAdvisory(p, k), modified, k, p, introduced, fixed, p, p, introduced, fixed)
			if err := os.WriteFile(filepath.Join(dir, crashAdvisory(p, k)+".json"), []byte(rec), 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

// packagesOf lists the packages of release r: distinct ones (13 is prime to the even package
// counts used), alternately even- and odd-numbered.
func (d crashSet) packagesOf(r int) []int {
	ps := make([]int, d.components)
	for j := range ps {
		ps[j] = (r*37 + j*13) % d.packages
	}
	return ps
}

// sbom is the CycloneDX SBOM of release r.
func (d crashSet) sbom(r int) string {
	type comp struct {
		Type    string `json:"type"`
		Name    string `json:"name"`
		Version string `json:"version"`
		PURL    string `json:"purl"`
	}
	doc := struct {
		BOMFormat   string `json:"bomFormat"`
		SpecVersion string `json:"specVersion"`
		Version     int    `json:"version"`
		Components  []comp `json:"components"`
	}{BOMFormat: "CycloneDX", SpecVersion: "1.6", Version: 1}
	for _, p := range d.packagesOf(r) {
		name := fmt.Sprintf("pkg%04d", p)
		doc.Components = append(doc.Components, comp{"library", name, "1.0", "pkg:pypi/" + name + "@1.0"})
	}
	b, _ := json.Marshal(doc)
	return string(b)
}

// expected lists, sorted, the findings ("vulnerability purl") of release r whose package
// satisfies keep (all when nil).
func (d crashSet) expected(r int, keep func(p int) bool) []string {
	var out []string
	for _, p := range d.packagesOf(r) {
		if keep == nil || keep(p) {
			out = append(out, fmt.Sprintf("%s pkg:pypi/pkg%04d@1.0", crashAdvisory(p, 0), p))
		}
	}
	slices.Sort(out)
	return out
}

// createReleases creates a product with d.releases releases, uploads their SBOMs, waits until
// they are matched and checks that every component has its one finding.
func (d crashSet) createReleases(s *crashServer) []int64 {
	t := s.t
	t.Helper()
	var prod struct{ ID int64 }
	if code := s.call("POST", "/api/v1/products", `{"name":"Gateway","craClass":"important-i"}`, &prod); code != http.StatusCreated {
		t.Fatalf("create product: %d", code)
	}
	releases := make([]int64, d.releases)
	for r := range releases {
		var rel struct{ ID int64 }
		if code := s.call("POST", fmt.Sprintf("/api/v1/products/%d/releases", prod.ID), fmt.Sprintf(`{"version":"1.%d.0","supportEnd":"2031-12"}`, r), &rel); code != http.StatusCreated {
			t.Fatalf("create release %d: %d", r, code)
		}
		releases[r] = rel.ID
		var up struct{ Components int }
		if code := s.call("POST", fmt.Sprintf("/api/v1/releases/%d/sboms", rel.ID), d.sbom(r), &up); code != http.StatusCreated || up.Components != d.components {
			t.Fatalf("upload SBOM of release %d: %d, %d components", r, code, up.Components)
		}
	}
	s.waitFor("every release to be matched", 120*time.Second, func() bool {
		for _, id := range releases {
			if f := s.findings(id, false); f.Matching || f.Total != d.components {
				return false
			}
		}
		return true
	})
	for r, id := range releases {
		if got, want := s.findings(id, false).ids(), d.expected(r, nil); !slices.Equal(got, want) {
			t.Fatalf("release %d before the update: %d findings, want %d: %s", r, len(got), len(want), setDiff(got, want))
		}
	}
	return releases
}

// buildSiegel builds the siegel binary into dir.
func buildSiegel(t *testing.T, dir string) string {
	t.Helper()
	start := time.Now()
	bin := filepath.Join(dir, "siegel")
	build := exec.Command("go", "build", "-o", bin, "./cmd/siegel")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("built the binary in %v", time.Since(start).Round(time.Millisecond))
	return bin
}

// adminToken creates an admin token of ACME with 'siegel token create'.
func adminToken(t *testing.T, bin, data string) string {
	t.Helper()
	out, err := exec.Command(bin, "token", "create", "--data", data, "--org", "ACME", "--role", "admin").CombinedOutput()
	token := strings.TrimSpace(string(out))
	if err != nil || !strings.HasPrefix(token, "sgl_") {
		t.Fatalf("token create: %v\n%s", err, out)
	}
	return token
}

func storeIDs(fs []store.Finding) []string {
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		out = append(out, f.Vulnerability+" "+f.PURL)
	}
	slices.Sort(out)
	return out
}

// setDiff describes how two sorted lists differ (including duplicates in got).
func setDiff(got, want []string) string {
	var missing, extra, dup []string
	seen := map[string]int{}
	for _, g := range got {
		seen[g]++
		if seen[g] == 2 {
			dup = append(dup, g)
		}
	}
	for _, w := range want {
		if seen[w] == 0 {
			missing = append(missing, w)
		}
	}
	wantSet := map[string]bool{}
	for _, w := range want {
		wantSet[w] = true
	}
	for g := range seen {
		if !wantSet[g] {
			extra = append(extra, g)
		}
	}
	slices.Sort(extra)
	short := func(s []string) []string { return s[:min(len(s), 5)] }
	return fmt.Sprintf("%d missing %v, %d extra %v, %d duplicated %v", len(missing), short(missing), len(extra), short(extra), len(dup), short(dup))
}

// vulndbStatus reads the vulnerability database directly (nil when none was created).
func vulndbStatus(t *testing.T, vdir string) *vulndb.Status {
	t.Helper()
	db, err := vulndb.Open(t.Context(), vdir, false)
	if errors.Is(err, vulndb.ErrNoDatabase) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st, err := db.Status(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// checkVulnDBRows counts rows the vulndb API does not show: the snapshot history (Status shows
// only the latest snapshot per source) must have one row per successful import of the source,
// and the advisory and affected tables exactly the generated rows.
func checkVulnDBRows(t *testing.T, vdir, source string, imports, advisories int) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(vdir, "vulndb.sqlite")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []struct {
		sql  string
		want int
	}{
		{`SELECT count(*) FROM snapshot WHERE source = '` + strings.ReplaceAll(source, "'", "''") + `'`, imports},
		{`SELECT count(*) FROM snapshot`, imports},
		{`SELECT count(*) FROM advisory`, advisories},
		{`SELECT count(*) FROM affected`, advisories},
	} {
		var n int
		if err := db.QueryRowContext(t.Context(), q.sql).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
		if n != q.want {
			t.Errorf("%s: %d, want %d", q.sql, n, q.want)
		}
	}
}

// storeJobs reads the jobs of a kind from the store of a stopped server.
func storeJobs(t *testing.T, data, kind string) []store.JobInfo {
	t.Helper()
	db, err := store.OpenSQLite(t.Context(), data, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	jobs, err := db.Jobs(t.Context(), kind, 100)
	if err != nil {
		t.Fatal(err)
	}
	return jobs
}

// releasesWithResolved counts, in the store of a stopped server, the releases with a resolved
// finding: those the re-matching got to.
func releasesWithResolved(t *testing.T, data string, releases []int64) int {
	t.Helper()
	db, err := store.OpenSQLite(t.Context(), data, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	n := 0
	for _, id := range releases {
		_, total, err := db.Findings(t.Context(), id, store.FindingFilter{Resolved: true, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if total > 0 {
			n++
		}
	}
	return n
}

// crashServer is 'siegel serve' running as a child process.
type crashServer struct {
	t     *testing.T
	name  string
	cmd   *exec.Cmd
	url   string
	token string
	log   *lockedBuffer // standard output and error
	exit  chan struct{} // closed when the process has been waited for
	err   error         // of Wait, once exit is closed
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var servingLine = regexp.MustCompile(`siegel serving on (http://\S+)\n`)

func startCrashServer(t *testing.T, bin, data, osvDir, token, name string) *crashServer {
	t.Helper()
	s := &crashServer{t: t, name: name, token: token, log: &lockedBuffer{}, exit: make(chan struct{})}
	s.cmd = exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data", data, "--org", "ACME",
		"--db-source", osvDir, "--job-lease", "2s", "--update-interval", "0", "--match-batch", "4")
	env := []string{"SIEGEL_LOG_LEVEL=info"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SIEGEL_") {
			env = append(env, kv)
		}
	}
	s.cmd.Env = env
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		s.err = s.cmd.Wait()
		close(s.exit)
	}()
	t.Cleanup(func() {
		select {
		case <-s.exit:
		default:
			s.cmd.Process.Kill()
			<-s.exit
		}
		if t.Failed() {
			t.Logf("log of %s:\n%s", s.name, s.tail())
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		if m := servingLine.FindStringSubmatch(s.log.String()); m != nil {
			s.url = m[1]
			return s
		}
		select {
		case <-s.exit:
			t.Fatalf("%s exited before serving (%v):\n%s", name, s.err, s.log.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not start serving within 30 s:\n%s", name, s.log.String())
		}
	}
}

// tail is the end of the server's log.
func (s *crashServer) tail() string {
	l := s.log.String()
	if len(l) > 8000 {
		l = "...\n" + l[len(l)-8000:]
	}
	return l
}

func (s *crashServer) logLen() int { return len(s.log.String()) }

func (s *crashServer) logSince(mark int) string { return s.log.String()[mark:] }

var jobDone = regexp.MustCompile(`msg="job done" job=\d+ kind=(\S+) attempt=\d+ took=(\S+)`)

// jobTook describes the last completed job of a kind from the log ("" when none completed).
func (s *crashServer) jobTook(kind string) string {
	last := ""
	for _, m := range jobDone.FindAllStringSubmatch(s.log.String(), -1) {
		if m[1] == kind {
			last = kind + " job took " + m[2]
		}
	}
	return last
}

// kill ends the server with SIGKILL and waits for it.
func (s *crashServer) kill() {
	s.t.Helper()
	if err := s.cmd.Process.Kill(); err != nil {
		s.t.Fatal(err)
	}
	select {
	case <-s.exit:
	case <-time.After(10 * time.Second):
		s.t.Fatalf("%s did not die", s.name)
	}
}

// stop ends the server with SIGTERM and checks it shuts down cleanly.
func (s *crashServer) stop() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.t.Fatal(err)
	}
	select {
	case <-s.exit:
		if s.err != nil {
			s.t.Errorf("%s exited with %v after SIGTERM:\n%s", s.name, s.err, s.tail())
		}
	case <-time.After(40 * time.Second):
		s.t.Fatalf("%s did not stop after SIGTERM", s.name)
	}
}

// waitFor polls cond until it holds, failing with the server's log at the deadline.
func (s *crashServer) waitFor(what string, timeout time.Duration, cond func() bool) {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		select {
		case <-s.exit:
			s.t.Fatalf("%s exited (%v) while waiting for %s:\n%s", s.name, s.err, what, s.tail())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("%s: gave up after %v waiting for %s:\n%s", s.name, timeout, what, s.tail())
		}
	}
}

var crashClient = &http.Client{Timeout: 30 * time.Second}

// call sends an API request with the admin token and decodes the answer into into.
func (s *crashServer) call(method, path, body string, into any) int {
	s.t.Helper()
	req, err := http.NewRequestWithContext(s.t.Context(), method, s.url+path, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := crashClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v\n%s", method, path, err, s.tail())
	}
	defer resp.Body.Close()
	if into != nil && resp.StatusCode < 300 {
		if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
			s.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	return resp.StatusCode
}

type crashDBState struct {
	Status  *vulndb.Status
	Empty   bool
	Updates []struct {
		ID        int64
		State     string
		Attempts  int
		Progress  string
		LastError string
	}
}

func (s *crashServer) dbStatus() crashDBState {
	s.t.Helper()
	var st crashDBState
	if code := s.call("GET", "/api/v1/db/status", "", &st); code != http.StatusOK {
		s.t.Fatalf("GET db/status: %d", code)
	}
	return st
}

type crashFindings struct {
	Items []struct {
		ID      string
		Package struct{ PURL string }
	}
	Total    int
	Matching bool
}

// ids lists the findings as "vulnerability purl", sorted.
func (f crashFindings) ids() []string {
	out := make([]string, 0, len(f.Items))
	for _, x := range f.Items {
		out = append(out, x.ID+" "+x.Package.PURL)
	}
	slices.Sort(out)
	return out
}

func (s *crashServer) findings(release int64, resolved bool) crashFindings {
	s.t.Helper()
	var f crashFindings
	if code := s.call("GET", fmt.Sprintf("/api/v1/releases/%d/findings?limit=1000&resolved=%t", release, resolved), "", &f); code != http.StatusOK {
		s.t.Fatalf("GET findings of release %d: %d", release, code)
	}
	return f
}

// TestKillDuringLedgerAppends kills the server while releases are being created from several
// clients at once, each creation appending its support-period statement to the ledger in the
// same transaction: after the kill the log verifies, and it holds exactly one statement per
// release the store holds — no statement without its change, no change without its statement.
func TestKillDuringLedgerAppends(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the server")
	}
	if runtime.GOOS == "windows" {
		t.Skip("needs SIGKILL")
	}
	tmp := t.TempDir()
	bin := buildSiegel(t, tmp)
	data, osvDir := filepath.Join(tmp, "data"), filepath.Join(tmp, "osv")
	os.MkdirAll(osvDir, 0o755)
	token := adminToken(t, bin, data)
	s := startCrashServer(t, bin, data, osvDir, token, "run 1")
	var prod struct{ ID int64 }
	if code := s.call("POST", "/api/v1/products", `{"name":"Router"}`, &prod); code != 201 {
		t.Fatalf("create product %d", code)
	}
	var created atomic.Int64
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				body := fmt.Sprintf(`{"version":"%d.%d","placedOnMarket":"2026-01-05","supportEnd":"2031-12"}`, w, i)
				req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/products/%d/releases", s.url, prod.ID), strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json")
				resp, err := crashClient.Do(req)
				if err != nil {
					return // the server is gone
				}
				resp.Body.Close()
				if resp.StatusCode == 201 {
					created.Add(1)
				}
			}
		})
	}
	s.waitFor("200 releases created", 60*time.Second, func() bool { return created.Load() >= 200 })
	s.kill()
	wg.Wait()
	st, err := store.OpenSQLite(t.Context(), data, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rels, err := st.Releases(t.Context(), prod.ID)
	if err != nil {
		t.Fatal(err)
	}
	b, err := st.LedgerBundle(t.Context(), 0, "release/", true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ledger.Verify(b); err != nil {
		t.Fatalf("the ledger after the kill: %v", err)
	}
	if len(b.Entries) != len(rels) {
		t.Errorf("%d release statements for %d releases", len(b.Entries), len(rels))
	}
	seen := map[string]bool{}
	for _, e := range b.Entries {
		if seen[e.Statement.Subject] {
			t.Errorf("two statements about %s", e.Statement.Subject)
		}
		seen[e.Statement.Subject] = true
	}
	t.Logf("killed after %d acknowledged creations; the store holds %d releases, the log %d statements", created.Load(), len(rels), len(b.Entries))
}
