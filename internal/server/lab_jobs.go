package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/siegel-oss/siegel/internal/firmware"
	"github.com/siegel-oss/siegel/internal/lab"
	"github.com/siegel-oss/siegel/internal/monitor"
	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/store"
)

// A server that sits in the lab network runs lab tests itself: a job of the lab lane (one run at
// a time) probes the device under test and stores the result as evidence of the release, as an
// uploaded 'siegel lab run' result would be. Config.LabAllow names the lab's ranges; there is no
// default, and without it the server refuses to start a run.

// maxLabQueued bounds the lab runs waiting for the lab lane.
const maxLabQueued = 4

// labJob is the payload of a lab run job.
type labJob struct {
	Release      int64          `json:"release"`
	Organization int64          `json:"organization"`
	Target       string         `json:"target"`
	WANTargets   []string       `json:"wanTargets,omitempty"`
	TCPPorts     []int          `json:"tcpPorts,omitempty"`
	UDPPorts     map[string]int `json:"udpPorts,omitempty"`
	Actor        string         `json:"actor"`
}

// labJobResult is what a finished lab run job produced.
type labJobResult struct {
	LabRun           int64  `json:"labRun"`
	Failed           int    `json:"failed"`
	TranscriptSHA256 string `json:"transcriptSha256"`
}

// labRequest is the body of POST /api/v1/releases/{id}/lab-runs/jobs and the release page's form.
type labRequest struct {
	Target     string         `json:"target"`
	WANTargets []string       `json:"wanTargets"`
	TCPPorts   []int          `json:"tcpPorts"` // empty: the 1,000 most common
	UDPPorts   map[string]int `json:"udpPorts"` // a UDP service's port by name, where it differs
}

// errNoLab answers a lab run asked of a server that has no lab network.
var errNoLab = errors.New("this server runs no lab tests: it has no lab network (start it with --lab-allow CIDR naming the lab's ranges); or run 'siegel lab run' in the lab and upload its JSON result to POST /api/v1/releases/{id}/lab-runs")

// labScope is the server's lab ranges, or errNoLab.
func (s *Server) labScope() (lab.Scope, error) {
	if len(s.LabAllow) == 0 {
		return nil, errNoLab
	}
	return lab.ParseScope(s.LabAllow)
}

// labRequestError is a lab run request refused for what it asks (a target outside the lab's
// ranges, a bad port): the asker can fix it.
type labRequestError struct{ error }

// checkLabRequest validates a request against the lab ranges: targets are resolved, and every
// address must lie inside them (the run checks again before each probe). Its errors are errNoLab
// or a labRequestError.
func (s *Server) checkLabRequest(ctx context.Context, q *labRequest) error {
	scope, err := s.labScope()
	if err != nil {
		return err
	}
	if err := checkLabTargets(ctx, scope, q); err != nil {
		return labRequestError{err}
	}
	return nil
}

func checkLabTargets(ctx context.Context, scope lab.Scope, q *labRequest) error {
	q.Target = strings.TrimSpace(q.Target)
	if q.Target == "" {
		return errors.New("name the device under test: its LAN address (target)")
	}
	if len(q.WANTargets) > 4 || len(q.TCPPorts) > 65535 || len(q.UDPPorts) > 16 {
		return errors.New("at most 4 WAN targets, 65,535 TCP ports and 16 UDP services")
	}
	if _, err := scope.Resolve(ctx, q.Target); err != nil {
		return fmt.Errorf("target: %w", err)
	}
	for _, w := range q.WANTargets {
		if _, err := scope.Resolve(ctx, strings.TrimSpace(w)); err != nil {
			return fmt.Errorf("WAN target: %w", err)
		}
	}
	for _, p := range q.TCPPorts {
		if p < 1 || p > 65535 {
			return fmt.Errorf("TCP port %d: want 1 to 65535", p)
		}
	}
	for name, p := range q.UDPPorts {
		if p < 1 || p > 65535 {
			return fmt.Errorf("UDP port %s=%d: want 1 to 65535", name, p)
		}
	}
	return nil
}

// queueLab queues the run of a checked request, returning the job's id.
func (s *Server) queueLab(ctx context.Context, rel *store.Release, prod *store.Product, q labRequest) (int64, error) {
	stats, err := s.Store.QueueStats(ctx)
	if err != nil {
		return 0, err
	}
	for _, st := range stats {
		if st.Kind == monitor.KindLab && st.Due+st.Scheduled+st.Running >= maxLabQueued {
			return 0, errLabBusy
		}
	}
	p := labJob{Release: rel.ID, Organization: prod.Organization, Target: q.Target, WANTargets: q.WANTargets,
		TCPPorts: q.TCPPorts, UDPPorts: q.UDPPorts, Actor: store.Actor(ctx)}
	id, err := s.Store.EnqueueJob(ctx, monitor.KindLab, p)
	if err != nil {
		return 0, err
	}
	s.Wake()
	return id, nil
}

var errLabBusy = fmt.Errorf("%d lab runs already wait for the lab; try again when some are done", maxLabQueued)

// postLabJob starts a lab run of the release against a device on the server's lab network: 202
// with the job, whose progress and result GET /api/v1/jobs/{id} answers.
func (s *Server) postLabJob(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	rel, prod, ok := s.release(w, r, p)
	if !ok {
		return
	}
	if !p.CanWrite(prod.Organization) {
		writeError(w, http.StatusForbidden, "this token may not start lab runs")
		return
	}
	var q labRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&q); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("invalid JSON: %v; send {\"target\": \"LAN address\", \"wanTargets\": [...]}", err))
		return
	}
	var bad labRequestError
	if err := s.checkLabRequest(r.Context(), &q); errors.Is(err, errNoLab) {
		writeError(w, http.StatusConflict, err.Error())
		return
	} else if errors.As(err, &bad) {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	} else if err != nil {
		s.Fail(w, r, err)
		return
	}
	id, err := s.queueLab(r.Context(), rel, prod, q)
	if errors.Is(err, errLabBusy) {
		w.Header().Set("Retry-After", "60")
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	} else if err != nil {
		s.Fail(w, r, err)
		return
	}
	status := "/api/v1/jobs/" + strconv.FormatInt(id, 10)
	w.Header().Set("Location", status)
	writeJSON(w, http.StatusAccepted, map[string]any{"job": id, "state": "queued", "status": status, "target": q.Target})
}

// runLabJob runs the lab tests of a job and stores the result as the release's newest lab run.
// The credentials tried are those the release's newest firmware analysis verified, then the
// default lists; the keys it found are compared with those the device serves.
func (s *Server) runLabJob(ctx context.Context, j *store.Job, owner string, progress func(string)) error {
	var p labJob
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return fmt.Errorf("payload: %w", err)
	}
	if j.Attempts > maxFirmwareAttempts {
		return fmt.Errorf("the lab run against %s stopped %d times before it finished (the server was restarted, or lost the job); start it again", p.Target, j.Attempts-1)
	}
	scope, err := s.labScope()
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
	lr, err := s.storeLabRun(ctx, p.Release, res)
	if err != nil {
		return s.jobInternal(j, err)
	}
	return s.Store.SetJobResult(ctx, j.ID, owner, labJobResult{LabRun: lr.ID, Failed: lr.Failed, TranscriptSHA256: lr.TranscriptSHA256})
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

// labJobStatus fills a lab run job's status for a reader of its organization.
func labJobStatus(out *app.JobStatus, j *store.JobDetail, canRead func(org int64) bool) (*app.JobStatus, error) {
	var p labJob
	if err := json.Unmarshal(j.Payload, &p); err != nil || !canRead(p.Organization) {
		return nil, store.ErrNotFound
	}
	out.Release, out.Target, out.Result = p.Release, p.Target, j.Result
	var res labJobResult
	if j.State == "done" && json.Unmarshal(j.Result, &res) == nil && res.LabRun > 0 {
		out.LabRun = res.LabRun
	}
	return out, nil
}
