// Package monitor keeps findings current: it runs the store's durable background jobs — updating
// the vulnerability database on a schedule or on demand, matching releases after an SBOM upload,
// re-matching only the components an update touched, and delivering the notifications those
// changes raise. Any number of servers may run a monitor on one store: jobs are leased, and a job
// whose server died is taken over when its lease runs out.
package monitor

import (
	"cmp"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/siegel-oss/siegel/internal/cra"
	"github.com/siegel-oss/siegel/internal/health"
	"github.com/siegel-oss/siegel/internal/match"
	"github.com/siegel-oss/siegel/internal/notify"
	"github.com/siegel-oss/siegel/internal/store"
	"github.com/siegel-oss/siegel/internal/vulndb"
)

// Job kinds.
const (
	KindUpdate = "db-update"
	KindMatch  = "match-release" // queued by the store with every SBOM upload
	// KindMatchBulk is a release matched again in full because the whole database changed (a
	// first import): the same work as KindMatch under the same dedup key, but in the bulk lane
	// until an upload to the release brings it into the uploads lane.
	KindMatchBulk = "match-release-bulk"
	KindRematch   = "rematch" // the components a database update touched, in a bounded set of releases
	KindDeliver   = "deliver"
	KindClocks    = "case-clocks" // reminders of reporting deadlines, every ClockInterval
	KindLabels    = "label-check" // re-decides every label's status after findings or clocks change
)

// ClockInterval is how often reporting deadlines are looked at; DueWithin is how early before a
// deadline the organization hears of it.
const (
	ClockInterval = 15 * time.Minute
	DueWithin     = 6 * time.Hour
)

// updateKey is the dedup key of the one scheduled or requested database update.
const updateKey = "db-update"

// Config is what a monitor needs.
type Config struct {
	Store *store.DB
	// VulnDB is where the vulnerability database lives: a directory (SQLite), or the store's
	// postgres:// URL, where every server reads and updates the same one.
	VulnDB string
	// Sources are what an update reads (the live feeds, or local files for air-gapped installs).
	Sources vulndb.Sources
	// Interval between scheduled updates; zero: updates only on demand.
	Interval time.Duration
	// BaseURL of the web UI, for links in notifications ("" leaves them out).
	BaseURL string
	Mailer  *notify.Mailer // nil: e-mail channels cannot be delivered
	Log     *slog.Logger
	Now     func() time.Time
	// Lease is how long a job stays with this server without a heartbeat (default 30 s); a
	// server that died loses its jobs to another (or to itself, restarted) after that long.
	Lease time.Duration
	// Poll is how often an idle monitor looks for due jobs (default 2 s).
	Poll time.Duration
	// MatchBatch is how many releases re-matching records per transaction (default 100).
	MatchBatch int
	// RematchChunk is how many releases one re-matching job covers (default 100): an update that
	// touches many releases becomes several jobs, which several servers share.
	RematchChunk int
	// Workers is how many jobs of the bulk lane (database updates, re-matching) this server runs
	// at once (default 1). Uploads and notifications have lanes of their own, so they never wait
	// behind bulk work.
	Workers int
	// LabelCheck re-decides the status of every security label (set with SetLabelCheck); it
	// runs after matching and with every reporting-clock check.
	LabelCheck func(ctx context.Context) (changed int, err error)
	// MaxDBAge is how old a feed may be before a release's coverage calls it stale (default
	// match.DefaultMaxAge).
	MaxDBAge time.Duration
	// Webhooks is the client webhooks are delivered with (notify.AddressPolicy.Client); nil
	// reaches public addresses only.
	Webhooks *http.Client
	// FirmwareWorkers is how many firmware analyses this server runs at once (default 1): each
	// holds its image and what it unpacks to in memory (see Handle).
	FirmwareWorkers int
}

// Monitor runs jobs.
type Monitor struct {
	cfg   Config
	owner string
	mu    sync.Mutex // serializes writes to the vulnerability database within this process

	hookMu   sync.Mutex // guards cfg.LabelCheck and handlers
	handlers map[string]Handler

	readMu sync.Mutex
	reader *vulndb.DB // kept open across jobs: its package index is read once per update

	healthMu  sync.Mutex
	health    *health.Cache // component-health data beside the vulnerability database
	healthDay string        // the UTC day end-of-life notices were last queued
	wakeMu    sync.Mutex
	wakers    []chan struct{}     // one per running worker
	inputRead func(release int64) // called once a match has read a release's components (tests)
}

// SetLabelCheck installs the function that re-decides label statuses (the server owns labels).
func (m *Monitor) SetLabelCheck(f func(ctx context.Context) (int, error)) {
	m.hookMu.Lock()
	defer m.hookMu.Unlock()
	m.cfg.LabelCheck = f
}

func (m *Monitor) labelCheck() func(ctx context.Context) (int, error) {
	m.hookMu.Lock()
	defer m.hookMu.Unlock()
	return m.cfg.LabelCheck
}

// vulnDB returns the long-lived read handle of the vulnerability database, current as of the
// latest update (vulndb.ErrNoDatabase before the first).
func (m *Monitor) vulnDB(ctx context.Context) (*vulndb.DB, error) {
	m.readMu.Lock()
	defer m.readMu.Unlock()
	if m.reader == nil {
		db, err := vulndb.Open(ctx, m.cfg.VulnDB, false)
		if err != nil {
			return nil, err
		}
		m.reader = db
	}
	if _, err := m.reader.Refresh(ctx); err != nil {
		return nil, err
	}
	return m.reader, nil
}

// Close releases the vulnerability database handle.
func (m *Monitor) Close() error {
	m.readMu.Lock()
	defer m.readMu.Unlock()
	if m.reader == nil {
		return nil
	}
	err := m.reader.Close()
	m.reader = nil
	return err
}

// New returns a monitor; Run starts it.
func New(cfg Config) *Monitor {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 30 * time.Second
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 2 * time.Second
	}
	if cfg.MatchBatch <= 0 {
		cfg.MatchBatch = 100
	}
	if cfg.RematchChunk <= 0 {
		cfg.RematchChunk = 100
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 1
	}
	if cfg.FirmwareWorkers <= 0 {
		cfg.FirmwareWorkers = 1
	}
	host, _ := os.Hostname()
	var b [4]byte
	crand.Read(b[:])
	return &Monitor{cfg: cfg, owner: fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b[:]))}
}

// Wake makes an idle monitor look for jobs now (after something was queued).
func (m *Monitor) Wake() {
	m.wakeMu.Lock()
	defer m.wakeMu.Unlock()
	for _, w := range m.wakers {
		select {
		case w <- struct{}{}:
		default:
		}
	}
}

// RequestUpdate queues a database update to run now (or brings a scheduled one forward).
func (m *Monitor) RequestUpdate(ctx context.Context) error {
	added, err := m.cfg.Store.Enqueue(ctx, KindUpdate, struct{}{}, updateKey, time.Time{})
	if err == nil && !added {
		_, err = m.cfg.Store.RunNow(ctx, updateKey)
	}
	m.Wake()
	return err
}

// Run runs jobs until ctx ends, in lanes (see Lanes): one worker for uploads, one for
// notifications, and Config.Workers for the bulk lane. With an interval, it makes sure an update
// is scheduled: when the database is empty or older than the interval, at once.
func (m *Monitor) Run(ctx context.Context) error {
	defer m.Close()
	if err := m.schedule(ctx); err != nil {
		return err
	}
	if _, err := m.cfg.Store.Enqueue(ctx, KindClocks, struct{}{}, KindClocks, time.Time{}); err != nil {
		return err
	}
	var wg sync.WaitGroup
	for _, l := range Lanes {
		n := 1
		switch {
		case l.Kinds == nil:
			n = m.cfg.Workers
		case l.Name == "firmware":
			n = m.cfg.FirmwareWorkers
		case l.Name == "lab" && m.handler(KindLab) == nil:
			n = 0 // only a server in the lab network (it installs the handler) takes lab runs
		}
		for range n {
			wake := make(chan struct{}, 1)
			m.wakeMu.Lock()
			m.wakers = append(m.wakers, wake)
			m.wakeMu.Unlock()
			wg.Go(func() { m.work(ctx, l, wake) })
		}
	}
	wg.Wait()
	return nil
}

// Lane is a share of the job queue that workers of its own take jobs from.
type Lane struct {
	Name   string
	Kinds  []string // nil: any kind
	Except []string // with Kinds nil: kinds this lane leaves to their own lanes
}

// Lanes: an upload's matching and the notifications it raises never wait behind a database
// update or the re-matching of many releases; bulk workers, when idle, take any due job.
var Lanes = []Lane{
	{Name: "uploads", Kinds: []string{KindMatch}},
	{Name: "notifications", Kinds: []string{KindDeliver, KindClocks, KindLabels}},
	// Firmware analyses run only in their lane, FirmwareWorkers at once: each needs up to its
	// memory budget, so idle bulk workers must not take more of them.
	{Name: "firmware", Kinds: []string{KindFirmware}},
	{Name: "lab", Kinds: []string{KindLab}},
	{Name: "bulk", Except: []string{KindFirmware, KindLab}},
}

// work runs the jobs of a lane until ctx ends.
func (m *Monitor) work(ctx context.Context, l Lane, wake <-chan struct{}) {
	for {
		ran, err := m.runLane(ctx, l)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			m.cfg.Log.Error("job loop", "lane", l.Name, "err", err)
		}
		if ran {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-time.After(m.cfg.Poll):
		}
	}
}

// schedule queues the next update unless one is queued.
func (m *Monitor) schedule(ctx context.Context) error {
	if m.cfg.Interval <= 0 {
		return nil
	}
	next := m.cfg.Now()
	if last := m.lastUpdate(ctx); !last.IsZero() {
		next = last.Add(m.cfg.Interval)
	}
	_, err := m.cfg.Store.Enqueue(ctx, KindUpdate, struct{}{}, updateKey, next)
	return err
}

// lastUpdate is the time of the newest snapshot of the vulnerability database.
func (m *Monitor) lastUpdate(ctx context.Context) time.Time {
	db, err := vulndb.Open(ctx, m.cfg.VulnDB, false)
	if err != nil {
		return time.Time{}
	}
	defer db.Close()
	st, err := db.Status(ctx)
	if err != nil {
		return time.Time{}
	}
	var last time.Time
	for _, s := range st.Snapshots {
		if s.Taken.After(last) {
			last = s.Taken
		}
	}
	return last
}

// RunOnce claims and runs one due job of any kind; it reports whether there was one.
func (m *Monitor) RunOnce(ctx context.Context) (bool, error) {
	return m.runOne(ctx, nil)
}

// runOne claims and runs one due job of the kinds (any when nil).
func (m *Monitor) runOne(ctx context.Context, kinds []string) (bool, error) {
	j, err := m.cfg.Store.ClaimJob(ctx, m.owner, m.cfg.Lease, kinds...)
	if err != nil || j == nil {
		return false, err
	}
	return m.runJob(ctx, j)
}

// runJob runs a claimed job under its lease and records how it ended.
func (m *Monitor) runJob(ctx context.Context, j *store.Job) (bool, error) {
	var err error
	log := m.cfg.Log.With("job", j.ID, "kind", j.Kind, "attempt", j.Attempts)
	// Keep the lease while the job runs; a lease lost (this server stalled past it, and another
	// took the job over) stops the job here, so that it never runs twice at once.
	jobCtx, lost := context.WithCancelCause(ctx)
	defer lost(nil)
	hb, stop := context.WithCancel(ctx)
	progress := make(chan string, 1)
	var wg sync.WaitGroup
	wg.Go(func() { m.heartbeat(hb, j.ID, progress, lost) })
	report := func(p string) {
		select {
		case progress <- p:
		default:
		}
	}
	start := time.Now()
	err = m.run(jobCtx, j, report)
	m.idle()
	stop()
	wg.Wait()
	if ctx.Err() != nil {
		return true, nil // shutting down: the lease runs out and the job runs again
	}
	if cause := context.Cause(jobCtx); errors.Is(cause, store.ErrLeaseLost) {
		log.Warn("job taken over by another server: stopped", "err", err)
		return true, nil
	} else if errors.Is(cause, ErrHeartbeat) {
		// The lease cannot be kept: the job stopped, and runs again once the lease runs out.
		log.Error("job stopped: its lease could not be renewed", "err", cause)
		return true, nil
	}
	var retry *retryError
	switch {
	case err == nil:
		log.Info("job done", "took", time.Since(start).Round(time.Millisecond))
		err = m.cfg.Store.FinishJob(ctx, j.ID, m.owner)
		if err == nil && j.Kind == KindUpdate {
			err = m.schedule(ctx)
		}
		if err == nil && j.Kind == KindClocks {
			_, err = m.cfg.Store.Enqueue(ctx, KindClocks, struct{}{}, KindClocks, m.cfg.Now().Add(ClockInterval))
		}
		if err == nil && m.labelCheck() != nil && (j.Kind == KindMatch || j.Kind == KindMatchBulk || j.Kind == KindRematch || j.Kind == KindClocks) {
			_, err = m.cfg.Store.EnqueueChange(ctx, KindLabels, struct{}{}, KindLabels)
		}
	case errors.As(err, &retry):
		log.Warn("job failed; will retry", "err", retry.err, "at", retry.at)
		err = m.cfg.Store.RetryJob(ctx, j.ID, m.owner, retry.err, retry.at)
	default:
		log.Error("job failed", "err", err)
		err = m.cfg.Store.FailJob(ctx, j.ID, m.owner, err)
		if err == nil && j.Kind == KindUpdate {
			err = m.schedule(ctx)
		}
	}
	return true, err
}

// DBRetry is how long a matching job that found no usable vulnerability database waits before it
// looks again; an update that fills the database brings the waiting jobs forward.
const DBRetry = time.Minute

// waitForDB puts back a matching job that cannot read the vulnerability database: a job marked
// done without findings would say that nothing was found, which nobody checked.
func (m *Monitor) waitForDB(err error) error {
	return &retryError{err: fmt.Errorf("matching waits for a vulnerability database: %w", err), at: m.cfg.Now().Add(DBRetry)}
}

// idle tells the read handle that no job reads it now (see vulndb.DB.Idle).
func (m *Monitor) idle() {
	m.readMu.Lock()
	defer m.readMu.Unlock()
	if m.reader != nil {
		m.reader.Idle()
	}
}

// retryError asks for the job to run again at a given time.
type retryError struct {
	err error
	at  time.Time
}

func (e *retryError) Error() string { return e.err.Error() }

func (m *Monitor) run(ctx context.Context, j *store.Job, progress func(string)) error {
	switch j.Kind {
	case KindUpdate:
		return m.update(ctx, progress)
	case KindMatch, KindMatchBulk:
		var p struct{ Release int64 }
		if err := json.Unmarshal(j.Payload, &p); err != nil {
			return fmt.Errorf("payload: %w", err)
		}
		db, err := m.vulnDB(ctx)
		if err != nil {
			return m.waitForDB(err)
		}
		return m.matchRelease(ctx, db, p.Release, nil)
	case KindRematch:
		var p struct {
			Keys     []vulndb.Key
			Releases []int64 // none: every release with a component under the keys
		}
		if err := json.Unmarshal(j.Payload, &p); err != nil {
			return fmt.Errorf("payload: %w", err)
		}
		return m.rematch(ctx, p.Keys, p.Releases, progress)
	case KindClocks:
		return m.clocks(ctx)
	case KindLabels:
		check := m.labelCheck()
		if check == nil {
			return nil
		}
		n, err := check(ctx)
		if n > 0 {
			m.cfg.Log.Info("label statuses changed", "labels", n)
		}
		return err
	case KindDeliver:
		var p struct{ Notification int64 }
		if err := json.Unmarshal(j.Payload, &p); err != nil {
			return fmt.Errorf("payload: %w", err)
		}
		return m.deliver(ctx, p.Notification, j.Attempts)
	}
	if h := m.handler(j.Kind); h != nil {
		return h(ctx, j, m.owner, progress)
	}
	return fmt.Errorf("unknown job kind %q", j.Kind)
}

// update imports the sources and queues the re-matching of what changed.
func (m *Monitor) update(ctx context.Context, progress func(string)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	progress("importing")
	db, err := vulndb.Open(ctx, m.cfg.VulnDB, true)
	if err != nil {
		return err
	}
	defer db.Close()
	results, err := db.Update(ctx, m.cfg.Sources, m.cfg.Now(), m.cfg.Log)
	for _, r := range results {
		m.cfg.Log.Info("imported", "source", r.Snapshot.Source, "records", r.Snapshot.Records, "skipped", r.Snapshot.Skipped, "changed", len(r.Changed), "all", r.ChangedAll)
	}
	// Every import records what it changed in its own transaction; queue the re-matching of all
	// that is pending — also what an earlier, interrupted attempt (or 'siegel db update') left.
	if qerr := m.queuePending(ctx, db); qerr != nil {
		return qerr
	}
	if err != nil {
		return &retryError{err: err, at: m.cfg.Now().Add(15 * time.Minute)}
	}
	return nil
}

// queuePending queues the re-matching of the changes pending in the vulnerability database, then
// clears them there. A crash between the two re-matches them twice, which changes nothing.
func (m *Monitor) queuePending(ctx context.Context, db *vulndb.DB) error {
	keys, all, err := db.PendingChanges(ctx)
	if err != nil {
		return err
	}
	set := make(map[vulndb.Key]bool, len(keys))
	for _, k := range keys {
		set[k] = true
	}
	if err := m.queueRematch(ctx, all, set); err != nil {
		return err
	}
	return db.ClearPendingChanges(ctx, keys, all)
}

func (m *Monitor) queueRematch(ctx context.Context, all bool, keys map[vulndb.Key]bool) error {
	if all {
		ids, err := m.cfg.Store.AllReleaseIDs(ctx)
		if err != nil {
			return err
		}
		for _, id := range ids {
			key := "match-release/" + strconv.FormatInt(id, 10)
			added, err := m.cfg.Store.EnqueueChange(ctx, KindMatchBulk, map[string]int64{"release": id}, key)
			if err == nil && !added {
				_, err = m.cfg.Store.RunNow(ctx, key) // one waiting for a database runs now
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	if len(keys) == 0 {
		return nil
	}
	list := make([]vulndb.Key, 0, len(keys))
	for k := range keys {
		list = append(list, k)
	}
	slices.SortFunc(list, func(a, b vulndb.Key) int {
		return cmp.Or(strings.Compare(a.Ecosystem, b.Ecosystem), strings.Compare(a.Name, b.Name))
	})
	releases, err := m.cfg.Store.ReleasesByLookup(ctx, lookupPairs(list))
	if err != nil {
		return err
	}
	// Jobs of a bounded size, which several servers share; a release created after this look
	// is matched in full by its upload's job, against the database as it is then.
	for i := 0; i < len(releases); i += m.cfg.RematchChunk {
		chunk := releases[i:min(i+m.cfg.RematchChunk, len(releases))]
		if _, err := m.cfg.Store.Enqueue(ctx, KindRematch, map[string]any{"keys": list, "releases": chunk}, "", time.Time{}); err != nil {
			return err
		}
	}
	return nil
}

func lookupPairs(keys []vulndb.Key) [][2]string {
	pairs := make([][2]string, len(keys))
	for i, k := range keys {
		pairs[i] = [2]string{k.Ecosystem, k.Name}
	}
	return pairs
}

// rematch matches again the components looked up under the keys, release by release: in the
// releases given, or in all that have such components.
func (m *Monitor) rematch(ctx context.Context, keys []vulndb.Key, releases []int64, progress func(string)) error {
	comps, err := m.cfg.Store.ComponentsByLookup(ctx, lookupPairs(keys), releases...)
	if err != nil {
		return err
	}
	byRelease := map[int64][]store.Component{}
	var order []int64
	for _, c := range comps {
		if _, ok := byRelease[c.Release]; !ok {
			order = append(order, c.Release)
		}
		byRelease[c.Release] = append(byRelease[c.Release], c.Component)
	}
	if len(order) == 0 {
		return nil
	}
	db, err := m.vulnDB(ctx)
	if err != nil {
		return m.waitForDB(err)
	}
	// A pipeline of two: the next batch is matched (vulnerability database reads and CPU) while
	// the store writes the findings of the one before.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ready := make(chan *matchedBatch, 1)
	go func() {
		defer close(ready)
		for i := 0; i < len(order); i += m.cfg.MatchBatch {
			b, err := m.matchBatch(ctx, db, order[i:min(i+m.cfg.MatchBatch, len(order))], byRelease)
			if err != nil {
				b = &matchedBatch{err: err}
			}
			b.done = i
			select {
			case ready <- b:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	for b := range ready {
		if b.err != nil {
			return b.err
		}
		progress(fmt.Sprintf("%d of %d releases", b.done, len(order)))
		if err := m.applyBatch(ctx, b); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// matchRelease matches a release's components (only comps when given, else all of them) and
// records the outcome.
func (m *Monitor) matchRelease(ctx context.Context, db *vulndb.DB, release int64, comps []store.Component) error {
	var part map[int64][]store.Component
	if comps != nil {
		part = map[int64][]store.Component{release: comps}
	}
	return m.matchReleases(ctx, db, []int64{release}, part)
}

// matchReleases matches releases — for those in part only the components given, for the others
// all — and records the outcomes in one transaction.
func (m *Monitor) matchReleases(ctx context.Context, db *vulndb.DB, releases []int64, part map[int64][]store.Component) error {
	b, err := m.matchBatch(ctx, db, releases, part)
	if err != nil {
		return err
	}
	return m.applyBatch(ctx, b)
}

// matchedBatch is the outcome of matching a batch of releases, not yet stored.
type matchedBatch struct {
	releases []int64
	outcomes []store.Outcome
	byKey    map[string]*match.Finding // release, vulnerability, purl -> finding, for the events
	done     int                       // releases matched before this batch, for the progress
	err      error
}

// matchBatch matches the components of releases (those of part, or all of a release that part
// does not name) against the vulnerability database.
func (m *Monitor) matchBatch(ctx context.Context, db *vulndb.DB, releases []int64, part map[int64][]store.Component) (*matchedBatch, error) {
	b := &matchedBatch{releases: releases, outcomes: make([]store.Outcome, 0, len(releases)), byKey: map[string]*match.Finding{}}
	h, err := db.Holdings(ctx)
	if err != nil {
		return nil, err
	}
	opts := match.Options{Now: m.cfg.Now(), MaxAge: m.cfg.MaxDBAge}
	for _, release := range releases {
		comps, scoped := part[release]
		var scope map[string]bool
		if !scoped {
			var err error
			if comps, err = m.cfg.Store.ReleaseComponents(ctx, release); err != nil {
				return nil, err
			}
			if m.inputRead != nil {
				m.inputRead(release)
			}
		} else {
			scope = map[string]bool{}
		}
		pkgs, unknown := packagesOf(comps)
		for _, p := range pkgs {
			if scope != nil {
				scope[p.PURL] = true
			}
		}
		var fs []*match.Finding
		var coverage []byte
		if scoped {
			// Only some components were matched again: the coverage kept from the last full
			// matching is restated against the database as it is now.
			if fs, err = match.Match(ctx, db, pkgs); err != nil {
				return nil, err
			}
			if coverage, err = m.refreshCoverage(ctx, release, h, opts); err != nil {
				return nil, err
			}
		} else {
			res, err := match.Scan(ctx, db, pkgs, unknown, opts)
			if err != nil {
				return nil, err
			}
			fs = res.Findings
			if coverage, err = json.Marshal(res.Coverage); err != nil {
				return nil, err
			}
		}
		out := make([]store.Finding, 0, len(fs))
		for _, f := range fs {
			data, err := json.Marshal(f)
			if err != nil {
				return nil, err
			}
			out = append(out, store.Finding{Vulnerability: f.ID, PURL: f.Package.PURL, Severity: f.Severity, Score: f.Score, Exploited: f.IsExploited(), Data: data,
				Aliases: f.Aliases, Title: f.Summary, Evidence: evidence(f)})
			b.byKey[fmt.Sprint(release, " ", f.ID, " ", f.Package.PURL)] = f
		}
		b.outcomes = append(b.outcomes, store.Outcome{Release: release, Scope: scope, Findings: out, Coverage: coverage})
	}
	return b, nil
}

// applyBatch stores a matched batch's findings in one transaction, with the notifications and
// reporting cases their changes raise.
func (m *Monitor) applyBatch(ctx context.Context, b *matchedBatch) error {
	infos, err := m.cfg.Store.ReleaseInfos(ctx, b.releases)
	if err != nil {
		return err
	}
	changes, err := m.cfg.Store.ApplyFindingsBatch(ctx, b.outcomes, func(release int64, c store.FindingChange) store.Event {
		f := b.byKey[fmt.Sprint(release, " ", c.Finding.Vulnerability, " ", c.Finding.PURL)]
		info := infos[release]
		e := notify.Event{ID: store.NewEventID(), Kind: c.Kind, Organization: info.Organization, Product: info.ProductName,
			Release: info.Version, ReleaseID: release, Vulnerability: f.ID, Aliases: f.Aliases, Package: f.Package.PURL,
			Severity: f.Severity, PreviousSeverity: c.PreviousSeverity, Exploited: f.IsExploited(), Summary: f.Summary,
			Time: m.cfg.Now().UTC()}
		if m.cfg.BaseURL != "" {
			e.URL = fmt.Sprintf("%s/releases/%d/findings/%s?purl=%s", m.cfg.BaseURL, release, url.PathEscape(f.ID), url.QueryEscape(f.Package.PURL))
		}
		payload, _ := json.Marshal(e)
		return store.Event{ID: e.ID, Payload: payload}
	})
	if err != nil {
		return err
	}
	for _, release := range b.releases {
		if n := len(changes[release]); n > 0 {
			m.cfg.Log.Info("findings changed", "release", release, "changes", n)
		}
	}
	if len(changes) > 0 {
		m.Wake()
	}
	return nil
}

// Packages turns stored components into what matching looks up, skipping those it cannot.
func Packages(comps []store.Component) []match.Package {
	pkgs, _ := packagesOf(comps)
	return pkgs
}

// packagesOf turns stored components into what matching looks up, and those it cannot (no
// known ecosystem) into the packages a coverage counts as not checked.
func packagesOf(comps []store.Component) (pkgs, unknown []match.Package) {
	pkgs = make([]match.Package, 0, len(comps))
	seen := map[string]bool{}
	for _, c := range comps {
		key := c.PURL
		if key == "" {
			key = "ref:" + c.Ref
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		p := match.Package{Ref: c.Ref, Name: c.Name, Version: c.MatchVersion, PURL: c.PURL,
			Ecosystem: c.Ecosystem, Lookup: c.Lookup, Commit: c.Commit, Direct: c.Direct}
		if c.Ecosystem == "" || c.Lookup == "" {
			unknown = append(unknown, p)
			continue
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, unknown
}

// refreshCoverage restates the coverage kept for a release against the holdings h, or returns
// nil when none is kept (the release's next full matching states it).
func (m *Monitor) refreshCoverage(ctx context.Context, release int64, h *vulndb.Holdings, opts match.Options) ([]byte, error) {
	kept, err := m.cfg.Store.ReleaseCoverage(ctx, release)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	c, err := match.Restate(kept.Data, h, opts)
	if err != nil {
		return nil, fmt.Errorf("release %d: %w", release, err)
	}
	return json.Marshal(c)
}

// deliver sends one notification; failures are retried with back-off until MaxAttempts.
func (m *Monitor) deliver(ctx context.Context, id int64, attempt int) error {
	n, err := m.cfg.Store.NotificationByID(ctx, id)
	if err != nil {
		return err
	}
	if n.State != "pending" {
		return nil // delivered (or given up) before a crash
	}
	var e notify.Event
	if err := json.Unmarshal(n.Payload, &e); err != nil {
		return fmt.Errorf("notification %d: %w", id, err)
	}
	switch n.Channel.Kind {
	case "webhook":
		err = notify.Webhook{URL: n.Channel.Target, Secret: []byte(n.Channel.Secret), Client: m.cfg.Webhooks}.Deliver(ctx, e)
	case "email":
		if m.cfg.Mailer == nil {
			err = errors.New("no SMTP server configured: start the server with --smtp HOST:PORT")
		} else {
			err = m.cfg.Mailer.Deliver(ctx, n.Channel.Target, e)
		}
	default:
		err = fmt.Errorf("channel kind %q", n.Channel.Kind)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	final := err != nil && (notify.Permanent(err) || attempt >= notify.MaxAttempts)
	if rerr := m.cfg.Store.RecordDelivery(ctx, id, err, final); rerr != nil {
		return rerr
	}
	if err == nil || final {
		return nil // the job is done: delivered, or given up (recorded on the notification)
	}
	return &retryError{err: err, at: m.cfg.Now().Add(notify.Backoff(attempt, rand.Float64))}
}

// evidence names the sources that say a finding's vulnerability is exploited.
func evidence(f *match.Finding) string {
	var out []string
	if kev := f.KEV(); kev != nil {
		out = append(out, fmt.Sprintf("CISA KEV (%s, added %s)", kev.CVE, kev.DateAdded))
	}
	for _, e := range f.EUVDEntries() {
		if e.Exploited {
			out = append(out, "ENISA EUVD ("+e.ID+")")
		}
	}
	return strings.Join(out, "; ")
}

// basis is the provision a stage is due under and the calendar its deadline was counted in,
// with what to do when no Member State is set.
func basis(d cra.Deadline, clock cra.Clock) string {
	if clock.Calendar == cra.NoMemberState {
		return d.Basis + "; " + cra.NoMemberState
	}
	return d.Basis
}

// clocks tells each organization of reporting stages due within DueWithin and of those overdue,
// once each (the event ids say which stage and which warning).
func (m *Monitor) clocks(ctx context.Context) error {
	cases, err := m.cfg.Store.OpenCases(ctx)
	if err != nil {
		return err
	}
	now := m.cfg.Now().UTC()
	for _, c := range cases {
		clock, err := c.Clock()
		if err != nil {
			return fmt.Errorf("case %d: %w", c.ID, err)
		}
		for _, d := range clock.Deadlines {
			if _, done := c.Stages[d.Stage]; done || d.Pending != "" {
				continue
			}
			kind, word := "", ""
			switch {
			case !cra.OnTime(now, d.Legal):
				kind, word = store.EventCaseOverdue, "is overdue since"
			case d.Legal.Sub(now) <= DueWithin:
				kind, word = store.EventCaseDue, "is due"
			default:
				continue
			}
			e := notify.Event{ID: fmt.Sprintf("case-%d-%s-%s", c.ID, d.Stage, kind), Kind: kind, Organization: c.Organization, Product: c.ProductName,
				Vulnerability: c.Vulnerability, Time: now,
				Summary: fmt.Sprintf("CRA Art. 14 case %d (%s): the %s %s %s, %s. %s.", c.ID, c.Title, d.Stage, word,
					clock.FormatEndTagged(d.Legal), d.Legal.In(clock.Location).Format(time.RFC3339), basis(d, clock))}
			if m.cfg.BaseURL != "" {
				e.URL = fmt.Sprintf("%s/cases/%d", m.cfg.BaseURL, c.ID)
			}
			payload, _ := json.Marshal(e)
			if err := m.cfg.Store.QueueOrgEvent(ctx, c.Organization, c.Product, kind, store.Event{ID: e.ID, Payload: payload}); err != nil {
				return err
			}
		}
	}
	// Support periods ending within six months (CRA Art. 13(8): users must know when updates stop).
	ending, err := m.cfg.Store.ReleasesEndingSupport(ctx, now.Format("2006-01"), now.AddDate(0, 6, 0).Format("2006-01"))
	if err != nil {
		return err
	}
	for _, r := range ending {
		e := notify.Event{ID: fmt.Sprintf("support-%d-%s", r.ID, r.SupportEnd), Kind: store.EventSupportEnding, Organization: r.Organization,
			Product: r.Product, Release: r.Version, ReleaseID: r.ID, Time: now,
			Summary: fmt.Sprintf("The support period of %s %s ends with %s: security updates stop then, and users must be told (CRA Art. 13(8), (18)).", r.Product, r.Version, r.SupportEnd)}
		payload, _ := json.Marshal(e)
		if err := m.cfg.Store.QueueOrgEvent(ctx, r.Organization, r.Release.Product, store.EventSupportEnding, store.Event{ID: e.ID, Payload: payload}); err != nil {
			return err
		}
	}
	// Suppressions whose expiry passed count as open again in the portfolio's counts.
	if n, err := m.cfg.Store.CountExpiredSuppressions(ctx); err != nil {
		m.cfg.Log.Warn("expired suppressions not counted", "err", err)
	} else if n > 0 {
		m.cfg.Log.Info("suppressions expired", "decisions", n)
	}
	if err := m.healthNotices(ctx); err != nil {
		// The reporting clocks above matter more; the notices are tried again next time.
		m.cfg.Log.Warn("end-of-life notices not queued", "err", err)
	}
	m.Wake()
	return nil
}
