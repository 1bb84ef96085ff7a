package fixes

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/siegel-oss/siegel/internal/match"
	"github.com/siegel-oss/siegel/internal/store"
	"github.com/siegel-oss/siegel/internal/store/pgtest"
)

// The releases of one product, oldest first, each with its components and the findings matching
// gave it; pending leaves the release's matching queued.
type release struct {
	version  string
	web      string   // version of example.com/web (Go) in the release, "" when absent
	findings []string // ids of its findings in force in example.com/web
	aliases  []string // of every finding
	pending  bool
	// noVersion has example.com/web in the release without a version
	noVersion bool
}

func TestFind(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	later := func(d time.Duration) { now = now.Add(d) }
	t.Run("sqlite", func(t *testing.T) {
		st, err := store.OpenSQLite(t.Context(), t.TempDir(), clock)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		testFind(t, st, later)
	})
	t.Run("postgres", func(t *testing.T) {
		st, err := store.OpenPostgres(t.Context(), pgtest.Database(t), clock)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		testFind(t, st, later)
	})
}

// matched is a matching's outcome for a release: its findings and its coverage (kept with the
// time of the matching).
func matched(t *testing.T, st *store.DB, release int64, fs ...store.Finding) {
	t.Helper()
	cov := []byte(`{"components":2,"checked":2,"notChecked":0,"advisories":2,"ecosystems":[]}`)
	if _, err := st.ApplyFindingsBatch(t.Context(), []store.Outcome{{Release: release, Findings: fs, Coverage: cov}}, nil); err != nil {
		t.Fatal(err)
	}
}

func finding(id, purl string, aliases ...string) store.Finding {
	data, _ := json.Marshal(match.Finding{Identity: &match.Identity{ID: id, Aliases: aliases}})
	return store.Finding{Vulnerability: id, PURL: purl, Severity: "CRITICAL", Data: data}
}

func testFind(t *testing.T, st *store.DB, later func(time.Duration)) {
	org, _ := st.CreateOrganization(t.Context(), "ACME", "medium", false)
	prod, _ := st.CreateProduct(t.Context(), org.ID, "HomeRouter", "router", "default")
	rels := []release{
		{version: "4.2.0", web: "v1.9.2", findings: []string{"CVE-2026-2002"}, aliases: []string{"GO-2026-4001"}},
		{version: "4.2.1", web: "v1.9.2"},                // the same version without the finding: nothing to conclude
		{version: "4.3.0", web: "v1.9.3"},                // fixed
		{version: "4.3.1", web: "v1.9.4", pending: true}, // matching not finished
		{version: "4.4.0", web: "v1.9.5", findings: []string{"GO-2026-4001"}, aliases: []string{"CVE-2026-2002"}}, // has it, by another id
		{version: "4.5.0"},                // the package is gone: not a fixed version of it
		{version: "4.6.0", web: "v1.9.6"}, // fixed again
		// Versions matching could not compare: having no finding says nothing of them.
		{version: "4.7.0", web: "v1.9.x"},
		{version: "4.8.0", noVersion: true},
	}
	ids := map[string]int64{}
	for _, r := range rels {
		rel, err := st.CreateRelease(t.Context(), prod.ID, r.version, "", "2031-12")
		if err != nil {
			t.Fatal(err)
		}
		ids[r.version] = rel.ID
		comps := []store.Component{{Ref: "lib", Name: "example-lib", Version: "2.3.0", PURL: "pkg:pypi/example-lib@2.3.0", Ecosystem: "PyPI", Lookup: "example-lib", MatchVersion: "2.3.0"}}
		switch {
		case r.web != "":
			comps = append(comps, store.Component{Ref: "web", Name: "example.com/web", Version: r.web, PURL: "pkg:golang/example.com/web@" + r.web,
				Ecosystem: "Go", Lookup: "example.com/web", MatchVersion: r.web})
		case r.noVersion:
			comps = append(comps, store.Component{Ref: "web", Name: "example.com/web", PURL: "pkg:golang/example.com/web", Ecosystem: "Go", Lookup: "example.com/web"})
		}
		if _, err := st.AddSBOM(t.Context(), rel.ID, store.SBOMContent{Format: "CycloneDX", SHA256: r.version, Components: comps}); err != nil {
			t.Fatal(err)
		}
		var fs []store.Finding
		for _, id := range r.findings {
			fs = append(fs, finding(id, "pkg:golang/example.com/web@"+r.web, r.aliases...))
		}
		matched(t, st, rel.ID, fs...)
	}
	// Finish the matching jobs the uploads queued, but that of the pending release.
	var running int64 // the pending release's job, claimed and not finished
	for {
		j, err := st.ClaimJob(t.Context(), "test", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if j == nil {
			break
		}
		var p struct{ Release int64 }
		json.Unmarshal(j.Payload, &p)
		if p.Release != ids["4.3.1"] {
			st.FinishJob(t.Context(), j.ID, "test")
		} else {
			running = j.ID
		}
	}

	fixes, err := Find(t.Context(), st, prod.ID)
	if err != nil {
		t.Fatal(err)
	}
	type fix struct{ Vulnerability, Release, Affected, Component string }
	var got []fix
	for _, f := range fixes {
		got = append(got, fix{f.Vulnerability, f.Release.Version, f.Affected.Version, f.Component})
		if !f.Has("GO-2026-4001") {
			t.Errorf("%s: aliases %v", f.Vulnerability, f.Aliases)
		}
	}
	want := []fix{
		{"CVE-2026-2002", "4.3.0", "4.2.0", "pkg:golang/example.com/web@v1.9.3"},
		{"CVE-2026-2002", "4.6.0", "4.4.0", "pkg:golang/example.com/web@v1.9.6"}, // once, though 4.4.0's finding has another id
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("fixes (-want +got):\n%s", diff)
	}
	// The fixes of each release alone are those Find lists for it.
	for _, r := range rels {
		var want []Fix
		for _, f := range fixes {
			if f.Release.Version == r.version {
				want = append(want, f)
			}
		}
		comps, err := st.ReleaseComponents(t.Context(), ids[r.version])
		if err != nil {
			t.Fatal(err)
		}
		got, err := Of(t.Context(), st, prod.ID, ids[r.version], comps)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("fixes of %s (-Find +Of):\n%s", r.version, diff)
		}
	}

	// The pending release's matching ends while the fixes are being read, right after the
	// findings were: it finds CVE-2026-2002 in v1.9.4 too. Findings read before the matching
	// ended are not those of a matched release, so no reading may conclude that 4.3.1 fixed it.
	pendingRel := ids["4.3.1"]
	comps, err := st.ReleaseComponents(t.Context(), pendingRel)
	if err != nil {
		t.Fatal(err)
	}
	for _, read := range []struct {
		name  string
		fixes func(Store) ([]Fix, error)
	}{
		{"Find", func(st Store) ([]Fix, error) { return Find(t.Context(), st, prod.ID) }},
		{"Of", func(st Store) ([]Fix, error) { return Of(t.Context(), st, prod.ID, pendingRel, comps) }},
	} {
		if running == 0 { // matching queued again, and running
			if _, err := st.Enqueue(t.Context(), "match-release", map[string]int64{"release": pendingRel}, "match-release/"+strconv.FormatInt(pendingRel, 10), time.Time{}); err != nil {
				t.Fatal(err)
			}
			j, err := st.ClaimJob(t.Context(), "test", time.Minute)
			if err != nil || j == nil {
				t.Fatalf("claim the matching again: %v %v", j, err)
			}
			running = j.ID
		}
		ends := &matchingEnds{DB: st, end: func() {
			matched(t, st, pendingRel, finding("CVE-2026-2002", "pkg:golang/example.com/web@v1.9.4", "GO-2026-4001"))
			if err := st.FinishJob(t.Context(), running, "test"); err != nil {
				t.Fatal(err)
			}
		}}
		got, err := read.fixes(ends)
		if err != nil {
			t.Fatal(err)
		}
		if !ends.ended {
			t.Fatalf("%s: the matching did not end during the reads", read.name)
		}
		for _, f := range got {
			if f.Release.ID == pendingRel {
				t.Errorf("%s: 4.3.1, its matching ending between the reads, fixed %s", read.name, f.Vulnerability)
			}
		}
		// Back to no finding, for the next reading.
		matched(t, st, pendingRel)
		running = 0
	}

	// An update of the vulnerability database an hour later brings CVE-2026-3003, which affects
	// example.com/web v1.9.2. Re-matching reaches 4.2.0 first: until it reaches 4.3.0, 4.3.0's
	// having no finding of it says nothing, as it was matched against the database before.
	later(time.Hour)
	matched(t, st, ids["4.2.0"], finding("CVE-2026-2002", "pkg:golang/example.com/web@v1.9.2", "GO-2026-4001"),
		finding("CVE-2026-3003", "pkg:golang/example.com/web@v1.9.2"))
	fixesOf3003 := func() (out []string) {
		t.Helper()
		all, err := Find(t.Context(), st, prod.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range all {
			if f.Has("CVE-2026-3003") {
				out = append(out, f.Release.Version)
			}
		}
		return out
	}
	if got := fixesOf3003(); len(got) != 0 {
		t.Errorf("releases not matched since the update fixed CVE-2026-3003: %v", got)
	}
	later(time.Minute)
	matched(t, st, ids["4.3.0"]) // re-matched: still no finding
	if got := fixesOf3003(); !slices.Equal(got, []string{"4.3.0"}) {
		t.Errorf("CVE-2026-3003 fixed by %v, want 4.3.0 (re-matched since)", got)
	}
	comps, err = st.ReleaseComponents(t.Context(), ids["4.3.0"])
	if err != nil {
		t.Fatal(err)
	}
	if got, err := Of(t.Context(), st, prod.ID, ids["4.3.0"], comps); err != nil || len(got) != 2 {
		t.Errorf("fixes of 4.3.0 after its re-matching: %+v, %v; want CVE-2026-2002 and CVE-2026-3003", got, err)
	}
}

// matchingEnds is a store in which a release's matching ends (end runs) right after the first
// read of findings.
type matchingEnds struct {
	*store.DB
	end   func()
	ended bool
}

func (m *matchingEnds) FindingsInForce(ctx context.Context, releases []int64) (map[int64][]store.Finding, error) {
	fs, err := m.DB.FindingsInForce(ctx, releases)
	if !m.ended {
		m.ended = true
		m.end()
	}
	return fs, err
}
