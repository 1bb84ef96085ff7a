package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/siegel-oss/siegel/internal/firmware"
	"github.com/siegel-oss/siegel/internal/lab"
	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/store"
)

// A server that sits in the lab network runs lab tests itself: a job of the lab lane (one run at
// a time) probes the device under test and stores the result as evidence of the release, as an
// uploaded 'siegel lab run' result would be. Config.LabAllow names the lab's ranges; there is no
// default, and without it the server refuses to start a run.

// runLabJob runs the lab tests of a job and stores the result as the release's newest lab run.
// The credentials tried are those the release's newest firmware analysis verified, then the
// default lists; the keys it found are compared with those the device serves.
func (s *Server) runLabJob(ctx context.Context, j *store.Job, owner string, progress func(string)) error {
	var p app.LabJob
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return fmt.Errorf("payload: %w", err)
	}
	// An earlier run of this job that stored its lab run and stopped before finishing has done
	// the work: finish with what it stored.
	switch lr, err := s.Store.LabRunOfJob(ctx, j.ID); {
	case err == nil:
		return s.Store.SetJobResult(ctx, j.ID, owner, labJobResult(lr))
	case !errors.Is(err, store.ErrNotFound):
		return s.jobInternal(j, err)
	}
	if j.Attempts > maxFirmwareAttempts {
		return fmt.Errorf("the lab run against %s stopped %d times before it finished (the server was restarted, or lost the job); start it again", p.Target, j.Attempts-1)
	}
	scope, err := s.LabScope()
	if err != nil {
		return err
	}
	ctx = store.WithActor(ctx, p.Actor)
	cfg := lab.Config{Target: p.Target, WANTargets: p.WANTargets, Scope: scope, TCPPorts: p.TCPPorts, UDPPorts: p.UDPPorts,
		BruteForceAttempts: lab.DefaultBruteForce, Log: s.Log}
	if facts, err := s.releaseFirmwareFacts(ctx, p.Release); err != nil {
		return s.jobInternal(j, err)
	} else if facts != nil {
		cfg.Firmware = facts
		cfg.Credentials = append(cfg.Credentials, facts.Credentials...)
	}
	for _, d := range firmware.DefaultCredentials() {
		cfg.Credentials = append(cfg.Credentials, lab.Credential{User: d.User, Password: d.Password, Source: d.Source})
	}
	var mu sync.Mutex
	stage := "starting"
	cfg.Progress = func(st string) {
		mu.Lock()
		stage = st
		mu.Unlock()
	}
	start := time.Now()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			mu.Lock()
			progress(fmt.Sprintf("lab run against %s: %s (%s so far)", p.Target, stage, time.Since(start).Round(time.Second)))
			mu.Unlock()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	res, err := lab.Run(ctx, cfg)
	close(done)
	wg.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		return fmt.Errorf("the lab run was refused: %w", err)
	}
	progress("storing the lab run")
	lr, err := s.StoreLabRun(ctx, p.Release, j.ID, res)
	if err != nil {
		return s.jobInternal(j, err)
	}
	return s.Store.SetJobResult(ctx, j.ID, owner, labJobResult(lr))
}

// labJobResult is what a lab job that stored lr tells its caller.
func labJobResult(lr *store.LabRun) app.LabJobResult {
	return app.LabJobResult{LabRun: lr.ID, Failed: lr.Failed, TranscriptSHA256: lr.TranscriptSHA256}
}

// releaseFirmwareFacts reads what the newest firmware analysis of the release found, nil
// without one.
func (s *Server) releaseFirmwareFacts(ctx context.Context, release int64) (*lab.FirmwareFacts, error) {
	list, err := s.Store.FirmwareAnalyses(ctx, release)
	if err != nil || len(list) == 0 {
		return nil, err
	}
	fa, err := s.Store.FirmwareAnalysisByID(ctx, list[0].ID)
	if err != nil {
		return nil, err
	}
	return lab.ReadFirmwareFacts(bytes.NewReader(fa.Report), fa.ImageName)
}
