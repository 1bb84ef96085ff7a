package monitor_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/monitor"
	"github.com/siegel-oss/siegel/internal/store"
)

// blockingJob installs a firmware handler that reports when it started and then runs until its
// context ends, and queues one job for it.
func blockingJob(t *testing.T, st *store.DB, mon *monitor.Monitor) (started chan int64, stopped chan error) {
	started, stopped = make(chan int64, 1), make(chan error, 1)
	mon.Handle(monitor.KindFirmware, func(ctx context.Context, j *store.Job, owner string, progress func(string)) error {
		progress("working")
		started <- j.ID
		<-ctx.Done()
		stopped <- context.Cause(ctx)
		return ctx.Err()
	})
	if _, err := st.Enqueue(t.Context(), monitor.KindFirmware, map[string]int{"release": 1}, "", time.Time{}); err != nil {
		t.Fatal(err)
	}
	return started, stopped
}

// TestLostLeaseStopsJob: a job whose lease another server took over (this server stalled past
// it) is stopped through its context, and left to the new holder: neither finished nor failed.
func TestLostLeaseStopsJob(t *testing.T) {
	// Each server reads its own clock. This server's stands still, so its lease, renewed by
	// every heartbeat, never reaches past 12:00:00.2; the other server's reads an hour later, so
	// to it the lease has run out whenever it looks. (On one shared clock moved forward, a
	// heartbeat between the move and the other's claim would renew the lease, and the claim
	// would find nothing due.)
	at := func(t time.Time) func() time.Time { return func() time.Time { return t } }
	noon := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	st, err := store.OpenSQLite(t.Context(), dir, at(noon))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	other, err := store.OpenSQLite(t.Context(), dir, at(noon.Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	mon := monitor.New(monitor.Config{Store: st, VulnDB: t.TempDir(), Lease: 200 * time.Millisecond})
	defer mon.Close()
	started, stopped := blockingJob(t, st, mon)
	type outcome struct {
		ran bool
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		ran, err := mon.RunOnce(t.Context())
		done <- outcome{ran, err}
	}()
	id := <-started
	j, err := other.ClaimJob(t.Context(), "other-server", time.Hour, monitor.KindFirmware)
	if err != nil || j == nil || j.ID != id {
		t.Fatalf("take-over claim: %+v, %v", j, err)
	}
	if cause := <-stopped; !errors.Is(cause, store.ErrLeaseLost) {
		t.Errorf("job stopped with cause %v, want the lost lease", cause)
	}
	if o := <-done; !o.ran || o.err != nil {
		t.Errorf("RunOnce = %v, %v", o.ran, o.err)
	}
	d, err := st.JobByID(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if d.State != "running" || d.Attempts != 2 {
		t.Errorf("job after the take-over: state %s, attempts %d; want it running under the new holder", d.State, d.Attempts)
	}
}

// TestHeartbeatFailureStopsJob: a server that cannot renew a job's lease (its store is gone)
// stops the job before the lease could run out, instead of running on unowned.
func TestHeartbeatFailureStopsJob(t *testing.T) {
	dir := t.TempDir()
	st, err := store.OpenSQLite(t.Context(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// The monitor's own connection to the store, which the test cuts.
	ms, err := store.OpenSQLite(t.Context(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	mon := monitor.New(monitor.Config{Store: ms, VulnDB: t.TempDir(), Lease: 200 * time.Millisecond})
	defer mon.Close()
	started, stopped := blockingJob(t, st, mon)
	done := make(chan bool, 1)
	go func() {
		ran, _ := mon.RunOnce(t.Context())
		done <- ran
	}()
	id := <-started
	ms.Close()
	if cause := <-stopped; !errors.Is(cause, monitor.ErrHeartbeat) {
		t.Errorf("job stopped with cause %v, want a heartbeat failure", cause)
	}
	if !<-done {
		t.Error("RunOnce reports no job")
	}
	if d, err := st.JobByID(t.Context(), id); err != nil || d.State != "running" {
		t.Errorf("job %+v (%v): want it left running, for its lease to run out and the job to run again", d, err)
	}
}

// TestFirmwareLane: firmware analyses run only in their lane, FirmwareWorkers at once; an idle
// bulk worker takes a later job of another kind and leaves a due analysis waiting.
func TestFirmwareLane(t *testing.T) {
	st, err := store.OpenSQLite(t.Context(), t.TempDir(), func() time.Time { return time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) })
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	mon := monitor.New(monitor.Config{Store: st, VulnDB: t.TempDir(), Poll: 20 * time.Millisecond, Workers: 1, FirmwareWorkers: 1})
	var mu sync.Mutex
	active, most := 0, 0
	first, release := make(chan struct{}), make(chan struct{})
	hold := make(chan struct{}, 1)
	hold <- struct{}{} // taken by the first analysis, which holds its worker until released
	done := make(chan int64, 2)
	mon.Handle(monitor.KindFirmware, func(ctx context.Context, j *store.Job, owner string, progress func(string)) error {
		mu.Lock()
		active++
		most = max(most, active)
		mu.Unlock()
		select {
		case <-hold:
			close(first)
			<-release
		default:
		}
		mu.Lock()
		active--
		mu.Unlock()
		done <- j.ID
		return nil
	})
	other := make(chan struct{})
	mon.Handle("test-other", func(ctx context.Context, j *store.Job, owner string, progress func(string)) error {
		close(other)
		return nil
	})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go mon.Run(ctx)
	enqueue := func(kind string) int64 {
		id, err := st.EnqueueJob(t.Context(), kind, map[string]int{})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	enqueue(monitor.KindFirmware)
	<-first
	second := enqueue(monitor.KindFirmware)
	enqueue("test-other") // queued after the second analysis, with the same due time
	select {              // the bulk worker takes it, passing over the older analysis
	case <-other:
	case <-time.After(30 * time.Second): // a guard against hanging, not a measurement
		t.Fatal("the bulk worker never ran the other job: it is busy with an analysis")
	}
	if d, err := st.JobByID(t.Context(), second); err != nil || d.State != "queued" {
		t.Errorf("second analysis while the first runs: %+v %v, want it queued", d, err)
	}
	close(release)
	<-done
	if id := <-done; id != second {
		t.Errorf("finished job %d, want %d", id, second)
	}
	mu.Lock()
	defer mu.Unlock()
	if most != 1 {
		t.Errorf("%d analyses ran at once, want 1", most)
	}
}
