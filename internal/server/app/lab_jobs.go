package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/siegel-oss/siegel/internal/lab"
	"github.com/siegel-oss/siegel/internal/monitor"
	"github.com/siegel-oss/siegel/internal/store"
)

// maxLabQueued bounds the lab runs waiting for the lab lane.
const maxLabQueued = 4

// LabJob is the payload of a lab run job.
type LabJob struct {
	Release      int64          `json:"release"`
	Organization int64          `json:"organization"`
	Target       string         `json:"target"`
	WANTargets   []string       `json:"wanTargets,omitempty"`
	TCPPorts     []int          `json:"tcpPorts,omitempty"`
	UDPPorts     map[string]int `json:"udpPorts,omitempty"`
	Actor        string         `json:"actor"`
}

// LabJobResult is what a finished lab run job produced.
type LabJobResult struct {
	LabRun           int64  `json:"labRun"`
	Failed           int    `json:"failed"`
	TranscriptSHA256 string `json:"transcriptSha256"`
}

// LabRequest is the body of POST /api/v1/releases/{id}/lab-runs/jobs and the release page's form.
type LabRequest struct {
	Target     string         `json:"target"`
	WANTargets []string       `json:"wanTargets"`
	TCPPorts   []int          `json:"tcpPorts"` // empty: the 1,000 most common
	UDPPorts   map[string]int `json:"udpPorts"` // a UDP service's port by name, where it differs
}

// ErrNoLab answers a lab run asked of a server that has no lab network.
var ErrNoLab = errors.New("this server runs no lab tests: it has no lab network (start it with --lab-allow CIDR naming the lab's ranges); or run 'siegel lab run' in the lab and upload its JSON result to POST /api/v1/releases/{id}/lab-runs")

// LabScope is the server's lab ranges, or errNoLab.
func (s *Deps) LabScope() (lab.Scope, error) {
	if len(s.LabAllow) == 0 {
		return nil, ErrNoLab
	}
	return lab.ParseScope(s.LabAllow)
}

// LabRequestError is a lab run request refused for what it asks (a target outside the lab's
// ranges, a bad port): the asker can fix it.
type LabRequestError struct{ Err error }

// Error is the refusal's text.
func (e LabRequestError) Error() string { return e.Err.Error() }

// CheckLabRequest validates a request against the lab ranges: targets are resolved, and every
// address must lie inside them (the run checks again before each probe). Its errors are errNoLab
// or a labRequestError.
func (s *Deps) CheckLabRequest(ctx context.Context, q *LabRequest) error {
	scope, err := s.LabScope()
	if err != nil {
		return err
	}
	if err := checkLabTargets(ctx, scope, q); err != nil {
		return LabRequestError{Err: err}
	}
	return nil
}

func checkLabTargets(ctx context.Context, scope lab.Scope, q *LabRequest) error {
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

// QueueLab queues the run of a checked request, returning the job's id.
func (s *Deps) QueueLab(ctx context.Context, rel *store.Release, prod *store.Product, q LabRequest) (int64, error) {
	stats, err := s.Store.QueueStats(ctx)
	if err != nil {
		return 0, err
	}
	for _, st := range stats {
		if st.Kind == monitor.KindLab && st.Due+st.Scheduled+st.Running >= maxLabQueued {
			return 0, ErrLabBusy
		}
	}
	p := LabJob{Release: rel.ID, Organization: prod.Organization, Target: q.Target, WANTargets: q.WANTargets,
		TCPPorts: q.TCPPorts, UDPPorts: q.UDPPorts, Actor: store.Actor(ctx)}
	id, err := s.Store.EnqueueJob(ctx, monitor.KindLab, p)
	if err != nil {
		return 0, err
	}
	s.Wake()
	return id, nil
}

// ErrLabBusy is a lab run refused because too many wait for the lab.
var ErrLabBusy = fmt.Errorf("%d lab runs already wait for the lab; try again when some are done", maxLabQueued)

// labJobStatus fills a lab run job's status for a reader of its organization.
func labJobStatus(out *JobStatus, j *store.JobDetail, canRead func(org int64) bool) (*JobStatus, error) {
	var p LabJob
	if err := json.Unmarshal(j.Payload, &p); err != nil || !canRead(p.Organization) {
		return nil, store.ErrNotFound
	}
	out.Release, out.Target, out.Result = p.Release, p.Target, j.Result
	var res LabJobResult
	if j.State == "done" && json.Unmarshal(j.Result, &res) == nil && res.LabRun > 0 {
		out.LabRun = res.LabRun
	}
	return out, nil
}
