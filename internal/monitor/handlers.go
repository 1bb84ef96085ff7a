package monitor

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/siegel-oss/siegel/internal/store"
)

// KindFirmware is the analysis of an uploaded firmware image. The server, which owns firmware
// analyses, installs its handler (Handle); it runs in the firmware lane only.
const KindFirmware = "firmware-analysis"

// KindLab is a lab run the server makes itself against a device on its lab network; the server
// installs its handler, and it runs in the lab lane only, one at a time (a run keeps its own
// rate limit, and two runs would share the device).
const KindLab = "lab-run"

// Handler runs a job of a kind the monitor does not run itself. ctx ends when the job's lease is
// lost or cannot be renewed (context.Cause says which); owner is the holder of the lease, for
// store calls that need it (SetJobResult); progress reports how far the job is.
type Handler func(ctx context.Context, j *store.Job, owner string, progress func(string)) error

// Handle installs the handler of jobs of kind.
func (m *Monitor) Handle(kind string, h Handler) {
	m.hookMu.Lock()
	defer m.hookMu.Unlock()
	if m.handlers == nil {
		m.handlers = map[string]Handler{}
	}
	m.handlers[kind] = h
}

func (m *Monitor) handler(kind string) Handler {
	m.hookMu.Lock()
	defer m.hookMu.Unlock()
	return m.handlers[kind]
}

// ErrHeartbeat is the cause of a job's context when its lease could not be renewed for so long
// that it may have run out: another server may take the job over, so this one stops.
var ErrHeartbeat = errors.New("the job's lease could not be renewed")

// runLane claims and runs one due job of the lane.
func (m *Monitor) runLane(ctx context.Context, l Lane) (bool, error) {
	if l.Kinds != nil || len(l.Except) == 0 {
		return m.runOne(ctx, l.Kinds)
	}
	j, err := m.cfg.Store.ClaimJobExcept(ctx, m.owner, m.cfg.Lease, l.Except...)
	if err != nil || j == nil {
		return false, err
	}
	return m.runJob(ctx, j)
}

// heartbeat renews the lease of job id every quarter lease, with the latest progress, until ctx
// ends. A lease lost to another server, or one that could not be renewed for three quarters of
// its length (the store is unreachable, so the lease may run out before the next try), stops the
// job through lost.
func (m *Monitor) heartbeat(ctx context.Context, id int64, progress <-chan string, lost context.CancelCauseFunc) {
	t := time.NewTicker(m.cfg.Lease / 4)
	defer t.Stop()
	last := ""
	renewed := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case p := <-progress:
			last = p
		case <-t.C:
		}
		err := m.cfg.Store.Heartbeat(ctx, id, m.owner, m.cfg.Lease, last)
		switch {
		case err == nil:
			renewed = time.Now()
		case errors.Is(err, store.ErrLeaseLost):
			lost(err)
			return
		case ctx.Err() != nil:
			return
		case time.Since(renewed) >= m.cfg.Lease*3/4:
			lost(fmt.Errorf("%w for %s: %w", ErrHeartbeat, time.Since(renewed).Round(time.Millisecond), err))
			return
		default:
			m.cfg.Log.Warn("job heartbeat failed; trying again", "job", id, "err", err)
		}
	}
}
