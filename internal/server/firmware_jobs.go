package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"

	"github.com/siegel-oss/siegel/internal/firmware"
	"github.com/siegel-oss/siegel/internal/firmware/unpack"
	"github.com/siegel-oss/siegel/internal/sbom"
	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/store"
)

// Firmware analysis runs as a job of the store's queue, not in the request that uploads the
// image: the upload streams to a file of the firmware directory and is answered 202 with the
// job, which a monitor's firmware lane runs (monitor.Config.FirmwareWorkers at once) within
// a memory budget.
const (
	// DefaultFirmwareMemory is the memory one analysis may take by default: the image, and what
	// it unpacks to.
	DefaultFirmwareMemory = 1 << 30
	// maxFirmwareAttempts: an analysis that stopped this often without finishing (the server
	// died or lost the job's lease each time) is given up instead of tried again.
	maxFirmwareAttempts = 3
	// firmwareJobTimeout bounds one analysis.
	firmwareJobTimeout = 30 * time.Minute
)

// firmwareMemory is the memory budget of one analysis.
func (s *Server) firmwareMemory() int64 {
	if s.FirmwareMemory > 0 {
		return s.FirmwareMemory
	}
	return DefaultFirmwareMemory
}

// runFirmwareJob analyses a spooled image: the analysis is stored (evidence for the conformity
// verdicts) and its inventory becomes the release's newest SBOM, which is matched. Errors of the
// image (a limit, a broken format) fail the job with what to do; a job stopped from outside
// (shutdown, a lost lease) keeps its image, to run again.
func (s *Server) runFirmwareJob(ctx context.Context, j *store.Job, owner string, progress func(string)) error {
	var p app.FirmwareJob
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return fmt.Errorf("payload: %w", err)
	}
	dir, err := s.FirmwareSpoolDir()
	if err != nil {
		return s.jobInternal(j, err)
	}
	path := filepath.Join(dir, filepath.Base(p.File))
	ctx = store.WithActor(ctx, p.Actor)
	// An earlier run of this job that stored its analysis and stopped before finishing (its
	// server stopped, or lost the lease) has done the work: finish with what it stored.
	var res app.FirmwareResult
	switch fa, err := s.Store.FirmwareAnalysisOfJob(ctx, j.ID); {
	case err == nil:
		if res, err = firmwareResultOf(fa); err != nil {
			return s.jobInternal(j, err)
		}
	case !errors.Is(err, store.ErrNotFound):
		return s.jobInternal(j, err)
	default:
		rep, err := s.analyseSpooled(ctx, j, p, path, progress)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			os.Remove(path)
			return err
		}
		progress("storing the analysis")
		if res, err = s.storeFirmware(ctx, j.ID, p, rep); err != nil {
			return s.jobInternal(j, err)
		}
	}
	if err := s.Store.SetJobResult(ctx, j.ID, owner, res); err != nil {
		return err
	}
	os.Remove(path)
	s.Wake()
	return nil
}

// jobInternal logs a failure on the server's side and returns what the job's caller is told.
func (s *Server) jobInternal(j *store.Job, err error) error {
	s.Log.Error("job failed", "job", j.ID, "kind", j.Kind, "err", err)
	return fmt.Errorf("internal error (job %d); the server's log has the details under this job", j.ID)
}

// analyseSpooled reads the image and analyses it within the memory budget: the image itself
// and at most the rest of the budget unpacked (and no more than MaxUnpack, nor the archive
// ratio). It reports how much is unpacked while it runs.
func (s *Server) analyseSpooled(ctx context.Context, j *store.Job, p app.FirmwareJob, path string, progress func(string)) (*firmware.Report, error) {
	if j.Attempts > maxFirmwareAttempts {
		return nil, fmt.Errorf("the analysis of %s stopped %d times before it finished (the server was restarted, or ran out of memory); lower --firmware-workers or raise the server's memory, and upload the image again", p.Image, j.Attempts-1)
	}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("the image %s is not in this server's firmware directory: with several servers the directory must be shared between them; upload the image again", p.Image)
	}
	if err != nil {
		return nil, s.jobInternal(j, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, s.jobInternal(j, err)
	}
	budget := s.firmwareMemory()
	room := budget - info.Size()
	if room <= 0 {
		return nil, fmt.Errorf("the image %s (%d MiB) does not fit the memory budget of a firmware analysis (%d MiB); ask the administrator to raise --firmware-memory", p.Image, info.Size()>>20, budget>>20)
	}
	unpackMax := min(s.unpackBudget(info.Size()), room)
	progress(fmt.Sprintf("reading the image (%d MiB)", info.Size()>>20))
	data := make([]byte, info.Size())
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, s.jobInternal(j, err)
	}
	f.Close()
	ctx, cancel := context.WithTimeout(ctx, firmwareJobTimeout)
	defer cancel()
	b := unpack.NewBudget(ctx, unpackMax, 0, 0)
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Go(func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			progress(fmt.Sprintf("unpacking and checking: %d of at most %d MiB unpacked", (unpackMax-b.Remaining())>>20, unpackMax>>20))
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	rep, err := firmware.Analyze(ctx, p.Image, data, firmware.Options{Budget: b, Log: s.Log})
	close(done)
	wg.Wait()
	switch {
	case err == nil:
		return rep, nil
	case errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil:
		return nil, fmt.Errorf("the analysis of %s took longer than %s and was stopped", p.Image, firmwareJobTimeout)
	case errors.Is(err, unpack.ErrLimit):
		// The unpacker's advice names the flags of 'siegel firmware scan'; the server's are named here.
		why := cliAdvice.ReplaceAllString(err.Error(), "")
		return nil, fmt.Errorf("%s exceeds the memory budget of a firmware analysis (%d MiB: the image and at most %d MiB unpacked); ask the administrator to raise --firmware-memory and --max-unpack: %s", p.Image, budget>>20, unpackMax>>20, why)
	}
	return nil, err
}

// cliAdvice is the unpacker's advice on the command line's flags, left out of a job's error.
var cliAdvice = regexp.MustCompile(` \(raise --max-[a-z]+ to go further\)`)

// storeFirmware keeps the analysis of a job and makes its inventory the release's newest SBOM,
// in one transaction, once per job.
func (s *Server) storeFirmware(ctx context.Context, job int64, p app.FirmwareJob, rep *firmware.Report) (app.FirmwareResult, error) {
	stored, err := json.Marshal(rep)
	if err != nil {
		return app.FirmwareResult{}, err
	}
	var buf bytes.Buffer
	if err := sbom.Write(&buf, rep.SBOM, sbom.CycloneDXJSON); err != nil {
		return app.FirmwareResult{}, err
	}
	fa := &store.FirmwareAnalysis{Release: p.Release, ImageName: p.Image, SHA256: rep.SHA256, Size: rep.Size, Report: stored, Job: job}
	inv := app.SBOMContent("firmware:"+string(sbom.CycloneDXJSON), buf.Bytes(), rep.SBOM)
	st, err := s.Store.AddJobFirmwareAnalysis(ctx, fa, &inv)
	if err != nil {
		return app.FirmwareResult{}, err
	}
	return app.FirmwareResult{Analysis: fa.ID, Components: len(rep.Components), Weaknesses: len(rep.Weaknesses), SBOM: st.SBOM}, nil
}

// firmwareResultOf is the result of a job whose analysis was stored by an earlier run.
func firmwareResultOf(fa *store.FirmwareAnalysis) (app.FirmwareResult, error) {
	var rep firmware.Report
	if err := json.Unmarshal(fa.Report, &rep); err != nil {
		return app.FirmwareResult{}, fmt.Errorf("stored analysis %d: %w", fa.ID, err)
	}
	return app.FirmwareResult{Analysis: fa.ID, Components: len(rep.Components), Weaknesses: len(rep.Weaknesses), SBOM: fa.SBOM}, nil
}
