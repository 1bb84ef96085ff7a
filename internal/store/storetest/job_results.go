package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/store"
)

// testJobResultsOnce: a job that stored its result and is run again (its server stopped before
// finishing it) finds that result instead of storing a second copy — no second analysis, SBOM,
// lab run or ledger statement.
func testJobResultsOnce(t *testing.T, s *store.DB) {
	ctx := t.Context()
	org := must(s.CreateOrganization(ctx, "Once GmbH", "small", false))
	p := must(s.CreateProduct(ctx, org.ID, "Gateway", "router", "default"))
	r := must(s.CreateRelease(ctx, p.ID, "1.0.0", "2026-03-01", "2031-12"))
	if _, err := s.FirmwareAnalysisOfJob(ctx, 41); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("no analysis of job 41 yet: %v", err)
	}
	inv := &store.SBOMContent{Format: "firmware:cyclonedx-json", SHA256: "ab12", Components: []store.Component{
		{Ref: "busybox", Name: "busybox", Version: "1.36.1", PURL: "pkg:generic/busybox@1.36.1"},
		{Ref: "dropbear", Name: "dropbear", Version: "2022.83", PURL: "pkg:generic/dropbear@2022.83"},
	}}
	var first *store.FirmwareAnalysis
	var firstSBOM int64
	for run := range 2 {
		a := &store.FirmwareAnalysis{Release: r.ID, ImageName: "gw.bin", SHA256: "ff00", Size: 1024, Report: []byte(`{"image":"gw.bin"}`), Job: 41}
		st, err := s.AddJobFirmwareAnalysis(ctx, a, inv)
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		sbom := st.SBOM
		if st.Before != (run == 1) || st.NewSBOM != (run == 0) {
			t.Errorf("run %d: %+v", run, st)
		}
		if run == 0 {
			first, firstSBOM = a, sbom
			if a.ID == 0 || sbom == 0 {
				t.Fatalf("first run stored analysis %d, SBOM %d", a.ID, sbom)
			}
			continue
		}
		if a.ID != first.ID || sbom != firstSBOM || !a.AnalysedAt.Equal(first.AnalysedAt) {
			t.Errorf("run again: analysis %d SBOM %d at %v, want %d, %d at %v", a.ID, sbom, a.AnalysedAt, first.ID, firstSBOM, first.AnalysedAt)
		}
	}
	got := must(s.FirmwareAnalysisOfJob(ctx, 41))
	if got.ID != first.ID || got.SBOM != firstSBOM || got.Job != 41 || string(got.Report) != `{"image":"gw.bin"}` {
		t.Errorf("analysis of job 41: %+v", got)
	}
	if n := len(must(s.FirmwareAnalyses(ctx, r.ID))); n != 1 {
		t.Errorf("%d analyses stored by one job run twice", n)
	}
	sboms := must(s.SBOMs(ctx, r.ID))
	if len(sboms) != 1 || sboms[0].ID != firstSBOM || sboms[0].Components != 2 {
		t.Errorf("SBOMs %+v, want one (%d) of 2 components", sboms, firstSBOM)
	}
	if n := len(must(s.ReleaseComponents(ctx, r.ID))); n != 2 {
		t.Errorf("%d components, want 2", n)
	}
	// Another job analysing the same image again keeps the SBOM already there.
	a2 := &store.FirmwareAnalysis{Release: r.ID, ImageName: "gw.bin", SHA256: "ff00", Size: 1024, Report: []byte(`{}`), Job: 42}
	if st, err := s.AddJobFirmwareAnalysis(ctx, a2, inv); err != nil || st.Before || st.NewSBOM || st.SBOM != firstSBOM || a2.ID == first.ID {
		t.Errorf("second job: analysis %d, %+v, %v", a2.ID, st, err)
	}
	if n := len(must(s.SBOMs(ctx, r.ID))); n != 1 {
		t.Errorf("%d SBOMs after the same image twice", n)
	}
	if _, err := s.AddJobFirmwareAnalysis(ctx, &store.FirmwareAnalysis{Release: r.ID, ImageName: "x", SHA256: "00", Report: []byte(`{}`)}, nil); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("an analysis without its job: %v", err)
	}

	started := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	var lab *store.LabRun
	for run := range 2 {
		l := &store.LabRun{Release: r.ID, Target: "198.18.0.1", TranscriptSHA256: fmt.Sprint("t", run), Result: []byte(`{"schema":"siegel-lab-run/1"}`), StartedAt: started, Job: 77}
		stored, err := s.AddJobLabRun(ctx, l)
		if err != nil || stored != (run == 1) {
			t.Fatalf("lab run %d: stored before %v, %v", run, stored, err)
		}
		if run == 0 {
			lab = l
		} else if l.ID != lab.ID || l.TranscriptSHA256 != "t0" || l.Job != 77 {
			t.Errorf("lab run again: %+v, want the first %+v", l, lab)
		}
	}
	if got := must(s.LabRunOfJob(ctx, 77)); got.ID != lab.ID {
		t.Errorf("lab run of job 77: %d, want %d", got.ID, lab.ID)
	}
	if _, err := s.LabRunOfJob(ctx, 78); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("lab run of a job that stored none: %v", err)
	}
	if n := len(must(s.LabRuns(ctx, r.ID))); n != 1 {
		t.Errorf("%d lab runs stored by one job run twice", n)
	}
	counts := map[string]int{}
	for _, e := range must(s.LedgerBundle(ctx, org.ID, fmt.Sprintf("release/%d", r.ID), false)).Entries {
		counts[e.Statement.Type]++
	}
	if counts["firmware-analysed"] != 2 || counts["lab-run-recorded"] != 1 || counts["sbom-published"] != 1 {
		t.Errorf("ledger statements %v: want 2 analyses (two jobs), 1 lab run, 1 SBOM", counts)
	}
}
