// Package delivery runs staged rollouts against the store: it keeps each product's signed update
// repository, plans rollouts over the product's fleet, turns device reports and passed deadlines
// into the outcomes the rollout's gates judge, assigns the waves the decisions release, and on a
// halt signs the rollback metadata and starts the rollback — each decision in one transaction
// with its ledger records and notifications. The decisions themselves are the rollout package's.
package delivery

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/siegel-oss/siegel/internal/notify"
	"github.com/siegel-oss/siegel/internal/rollout"
	"github.com/siegel-oss/siegel/internal/rollout/repo"
	"github.com/siegel-oss/siegel/internal/store"
)

// Service runs the rollouts of every product in a store.
type Service struct {
	Store *store.DB
	// TargetsKey signs targets metadata: publications and rollbacks. Without it the service can
	// plan and judge, but a halt cannot sign its rollback (it is recorded as pending).
	TargetsKey ed25519.PrivateKey
	Expiry     repo.Expiry
	Now        func() time.Time
	Log        *slog.Logger
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

func (s *Service) expiry() repo.Expiry {
	if s.Expiry == (repo.Expiry{}) {
		return repo.DefaultExpiry
	}
	return s.Expiry
}

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

// Errors callers map to a status or exit code.
var (
	ErrNoTargetsKey = errors.New("no targets key: start the server with --rollout-targets-key FILE (the key given to 'siegel rollout init')")
	ErrInput        = errors.New("invalid rollout request")
)

// Init creates a product's repository: root signed by the root keys with the threshold given,
// the targets key (its public half), and a new online key kept in the store.
func (s *Service) Init(ctx context.Context, org, product int64, rootKeys []ed25519.PrivateKey, threshold int, targetsKey ed25519.PrivateKey) ([]byte, error) {
	online := repo.NewKey()
	r, files, err := repo.Init(repo.Keys{Root: rootKeys, RootThreshold: threshold, Targets: targetsKey, Online: online}, s.expiry(), s.now())
	if err != nil {
		return nil, err
	}
	pemKey, err := repo.EncodeKey(online)
	if err != nil {
		return nil, err
	}
	tid, err := repo.KeyID(targetsKey)
	if err != nil {
		return nil, err
	}
	root, err := r.Root.ToBytes(false)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(root)
	ch := store.RepoChange{Files: toStore(files), Ledger: []store.LedgerItem{{Type: "update-repository-created", Subject: repoSubject(product),
		Content: map[string]any{"product": product, "rootSha256": hex.EncodeToString(sum[:]), "rootThreshold": r.Root.Signed.Roles["root"].Threshold, "targetsKeyId": tid}}}}
	if err := s.Store.CreateRepository(ctx, org, product, string(pemKey), tid, ch); err != nil {
		return nil, err
	}
	return root, nil
}

func repoSubject(product int64) string { return "update-repository/" + strconv.FormatInt(product, 10) }

func toStore(fs []repo.File) []store.TUFFile {
	out := make([]store.TUFFile, len(fs))
	for i, f := range fs {
		out[i] = store.TUFFile{Name: f.Name, Role: f.Role, Version: f.Version, Body: f.Body}
	}
	return out
}

func (s *Service) load(rf store.RepoFiles) (*repo.Repo, ed25519.PrivateKey, error) {
	r, err := repo.Load(rf.Root, rf.Targets, rf.Snapshot, rf.Timestamp, s.expiry())
	if err != nil {
		return nil, nil, err
	}
	online, err := repo.DecodeKey([]byte(rf.OnlineKey))
	if err != nil {
		return nil, nil, fmt.Errorf("online key: %w", err)
	}
	return r, online, nil
}

func (s *Service) targetsKeyFor(rf store.RepoFiles) error {
	if s.TargetsKey == nil {
		return ErrNoTargetsKey
	}
	id, err := repo.KeyID(s.TargetsKey)
	if err != nil {
		return err
	}
	if id != rf.TargetsKeyID {
		return fmt.Errorf("the targets key given (id %.12s) is not the one the repository trusts (%.12s)", id, rf.TargetsKeyID)
	}
	return nil
}

// Published is what a publication made.
type Published struct {
	Target  string       `json:"target"`
	Release repo.Release `json:"release"`
	SHA256  string       `json:"sha256"`
	Length  int64        `json:"length"`
}

// Publish adds an artifact to a product's repository: content holds its bytes, or is nil for one
// published by reference (a.Reference with its digest, a.Length given).
func (s *Service) Publish(ctx context.Context, org, product int64, a repo.Artifact, content []byte) (*Published, error) {
	if content != nil {
		sum := sha256.Sum256(content)
		a.SHA256, a.Length = sum[:], int64(len(content))
	} else {
		d, err := repo.Digest(a.Reference)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInput, err)
		}
		if a.Length <= 0 {
			return nil, fmt.Errorf("%w: an artifact published by reference needs its length in bytes", ErrInput)
		}
		a.SHA256 = d
	}
	var out Published
	err := s.Store.UpdateRepository(ctx, org, product, func(rf store.RepoFiles) (store.RepoChange, error) {
		if err := s.targetsKeyFor(rf); err != nil {
			return store.RepoChange{}, err
		}
		r, online, err := s.load(rf)
		if err != nil {
			return store.RepoChange{}, err
		}
		p, rel, files, err := r.Publish(a, s.TargetsKey, online, s.now())
		if err != nil {
			return store.RepoChange{}, fmt.Errorf("%w: %v", ErrInput, err)
		}
		out = Published{Target: p, Release: rel, SHA256: hex.EncodeToString(a.SHA256), Length: a.Length}
		return store.RepoChange{Files: toStore(files), Blob: &store.TUFBlob{SHA256: out.SHA256, Length: a.Length, Content: content},
			Ledger: []store.LedgerItem{{Type: "update-published", Subject: repoSubject(product), Content: out}}}, nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// PlanInput is what a user asks of a new rollout.
type PlanInput struct {
	Version       string                   `json:"version"`
	Waves         []rollout.WaveSpec       `json:"waves"`
	Gate          *rollout.GateParams      `json:"gate,omitempty"`
	Deadlines     *rollout.Deadlines       `json:"deadlines,omitempty"`
	ExposureLimit int                      `json:"exposureLimit,omitempty"`
	Seed          uint64                   `json:"seed,omitempty"`
	Preflight     *rollout.Preflight       `json:"-"`
	PreflightRun  *rollout.PreflightResult `json:"-"`
}

// Plan plans and starts a rollout of a published version over the product's devices that run
// another version and whose hardware class has that version published. A plan whose exposure
// bound is above its limit is returned with the *rollout.ExposureError and not started.
func (s *Service) Plan(ctx context.Context, org, product int64, in PlanInput, actor string) (*store.Rollout, rollout.Plan, error) {
	rf, err := s.Store.Repository(ctx, product)
	if err != nil {
		return nil, rollout.Plan{}, err
	}
	r, _, err := s.load(rf)
	if err != nil {
		return nil, rollout.Plan{}, err
	}
	devs, err := s.Store.Devices(ctx, product)
	if err != nil {
		return nil, rollout.Plan{}, err
	}
	var fleet []rollout.Device
	byID := map[string]store.Device{}
	targets := map[string]string{}
	for _, d := range devs {
		if d.Version == in.Version {
			continue
		}
		t, ok := targets[d.HardwareClass]
		if !ok {
			if p, _, _, err := r.Find(d.HardwareClass, in.Version); err == nil {
				t = p
			}
			targets[d.HardwareClass] = t
		}
		if t == "" {
			continue
		}
		id := strconv.FormatInt(d.ID, 10)
		fleet = append(fleet, rollout.Device{ID: id, HardwareClass: d.HardwareClass, Region: d.Region})
		byID[id] = d
	}
	if len(fleet) == 0 {
		return nil, rollout.Plan{}, fmt.Errorf("%w: no device of product %d awaits version %s (publish it for their hardware classes first)", ErrInput, product, in.Version)
	}
	req := rollout.PlanRequest{Rollout: "new", Version: in.Version, Waves: in.Waves, Gate: rollout.DefaultGate(), ExposureLimit: in.ExposureLimit, Seed: in.Seed, Preflight: in.Preflight}
	if in.Gate != nil {
		req.Gate = *in.Gate
	}
	if in.Deadlines != nil {
		req.Deadlines = *in.Deadlines
	}
	if req.Seed == 0 {
		var b [8]byte
		rand.Read(b[:])
		req.Seed = binary.LittleEndian.Uint64(b[:])
	}
	plan, err := rollout.NewPlan(req, fleet)
	if err != nil {
		if errors.Is(err, rollout.ErrPlan) || errors.Is(err, rollout.ErrGate) {
			err = fmt.Errorf("%w: %w", ErrInput, err)
		}
		return nil, plan, err
	}
	order, err := plan.Order(fleet)
	if err != nil {
		return nil, plan, err
	}
	nr := store.NewRollout{Product: product, Kind: rollout.KindUpdate, Version: in.Version, CreatedBy: actor}
	for _, id := range order {
		d := byID[id]
		nr.Devices = append(nr.Devices, store.RolloutDevice{Device: d.ID, Target: targets[d.HardwareClass], Version: in.Version, Previous: d.Version})
	}
	nr.Start = func(id int64) (*store.RolloutChange, error) {
		plan.Rollout = strconv.FormatInt(id, 10)
		ro, recs, err := rollout.Start(plan, s.now(), actor, in.PreflightRun)
		if err != nil {
			return nil, err
		}
		return s.change(ro, recs, nil, nil)
	}
	st, err := s.Store.CreateRollout(ctx, org, nr)
	return st, plan, err
}

// restore rebuilds a stored rollout's decision core.
func restore(r *store.Rollout) (*rollout.Rollout, error) {
	var plan rollout.Plan
	var st rollout.State
	if err := json.Unmarshal(r.Plan, &plan); err != nil {
		return nil, fmt.Errorf("rollout %d: plan: %w", r.ID, err)
	}
	if err := json.Unmarshal(r.State, &st); err != nil {
		return nil, fmt.Errorf("rollout %d: state: %w", r.ID, err)
	}
	return rollout.Restore(plan, st)
}

// change turns a decision's records into what the store writes: the new state, the releases,
// the ledger statements and the notifications; a halt that asks for it also gets its rollback
// (signed metadata and the rollback rollout), built by rollback.
func (s *Service) change(ro *rollout.Rollout, recs []rollout.Record, judged []store.Judged, rollback func(rollout.Record) (*store.RolloutChange, error)) (*store.RolloutChange, error) {
	st := ro.State()
	body, err := json.Marshal(st)
	if err != nil {
		return nil, err
	}
	plan := ro.Plan()
	planBody, err := json.Marshal(plan)
	if err != nil {
		return nil, err
	}
	ch := &store.RolloutChange{Plan: planBody, State: body, Status: string(st.Status), Reason: st.Reason, Judged: judged}
	for _, rec := range recs {
		ch.Ledger = append(ch.Ledger, store.LedgerItem{Type: rec.Kind, Subject: "rollout/" + rec.Rollout, Content: rec})
		switch {
		case rec.Release != nil:
			ch.Releases = append(ch.Releases, store.Released{Wave: rec.Release.Wave, From: rec.Release.From, To: rec.Release.To, At: rec.At, Deadline: plan.Deadlines.Deadline})
		case rec.Halt != nil:
			ch.Notify = append(ch.Notify, store.RolloutEvent{Kind: store.EventRolloutHalted, Event: event(store.EventRolloutHalted, rec, plan.Version, fmt.Sprintf("Rollout %s of version %s halted: %s", rec.Rollout, plan.Version, rec.Halt.Reason))})
			if rec.Halt.Rollback && rollback != nil {
				rb, err := rollback(rec)
				if err != nil {
					return nil, err
				}
				if rb != nil {
					ch.Repo, ch.Then = rb.Repo, rb.Then
					ch.Ledger = append(ch.Ledger, rb.Ledger...)
					ch.Notify = append(ch.Notify, rb.Notify...)
				}
			}
		}
	}
	return ch, nil
}

// event is a notification about a rollout's record, in the form the notification channels
// deliver.
func event(kind string, rec rollout.Record, version, summary string) store.Event {
	e := notify.Event{ID: fmt.Sprintf("%s-%s-%d", kind, rec.Rollout, rec.Seq), Kind: kind, Release: version, Summary: summary, Time: rec.At}
	payload, _ := json.Marshal(e)
	return store.Event{ID: e.ID, Payload: payload}
}

// Report is a device's report on its assignment.
type Report struct {
	Rollout int64  `json:"rollout"`
	Event   string `json:"event"`
	Version string `json:"version,omitempty"`
	Healthy bool   `json:"healthy,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Detail  string `json:"detail,omitempty"`
}

// Report records a device's report and, when it decides the device's outcome, lets the gates
// judge it — in one transaction with the records it leads to. A refusal by the device (a failed
// report with a reason) is recorded in the ledger with its reason.
func (s *Service) Report(ctx context.Context, dev *store.Device, rep Report) error {
	switch rep.Event {
	case rollout.EventDownloaded, rollout.EventInstalled, rollout.EventBooted, rollout.EventFailed:
	default:
		return fmt.Errorf("%w: event %q: use downloaded, installed, booted or failed", ErrInput, rep.Event)
	}
	if len(rep.Reason) > 64 || len(rep.Detail) > 2048 || len(rep.Version) > 128 {
		return fmt.Errorf("%w: reason, detail or version too long", ErrInput)
	}
	now := s.now()
	return s.Store.ChangeRollout(ctx, rep.Rollout, func(r *store.Rollout, tx *store.RolloutTx) (*store.RolloutChange, error) {
		if r.Product != dev.Product {
			return nil, store.ErrNotFound
		}
		rd, err := tx.Device(ctx, dev.ID)
		if err != nil {
			return nil, err
		}
		if rd.AssignedAt.IsZero() || rd.Outcome != "" {
			return nil, nil // not assigned, or judged already (a late report after its deadline)
		}
		if err := tx.Report(ctx, dev.ID, rep.Event, rep.Version, rep.Reason, now); err != nil {
			return nil, err
		}
		var refusal []store.LedgerItem
		if rep.Event == rollout.EventFailed {
			refusal = append(refusal, store.LedgerItem{Type: "rollout-device-failed", Subject: "rollout/" + strconv.FormatInt(r.ID, 10),
				Content: map[string]any{"rollout": r.ID, "device": dev.ID, "hardwareClass": dev.HardwareClass, "reason": rep.Reason, "detail": rep.Detail, "at": now}})
		}
		o, final := rollout.Judge(rollout.Report{Device: strconv.FormatInt(dev.ID, 10), Event: rep.Event, At: now, Version: rep.Version, Healthy: rep.Healthy, Reason: rep.Reason}, rd.Position, rd.Version)
		if !final {
			return &store.RolloutChange{Ledger: refusal}, nil
		}
		ch, err := s.observe(ctx, r, tx, now, []rollout.Outcome{o})
		if err != nil {
			return nil, err
		}
		ch.Ledger = append(refusal, ch.Ledger...)
		return ch, nil
	})
}

// observe counts outcomes and builds the change they lead to.
func (s *Service) observe(ctx context.Context, r *store.Rollout, tx *store.RolloutTx, now time.Time, os []rollout.Outcome) (*store.RolloutChange, error) {
	ro, err := restore(r)
	if err != nil {
		return nil, err
	}
	var recs []rollout.Record
	var judged []store.Judged
	for _, o := range os {
		rs, err := ro.Observe(now, o)
		if err != nil {
			return nil, err
		}
		recs = append(recs, rs...)
		id, _ := strconv.ParseInt(o.Device, 10, 64)
		st := ro.State()
		seq := 0
		for w := range st.Successes {
			seq += st.Successes[w] + st.Failures[w]
		}
		judged = append(judged, store.Judged{Device: id, Outcome: o.Reason, Success: o.Success, Seq: seq})
	}
	return s.change(ro, recs, judged, func(halt rollout.Record) (*store.RolloutChange, error) {
		return s.rollback(ctx, r, ro, tx, halt, now)
	})
}

// rollback signs, for each hardware class and previous version among the devices that received
// the update, a new targets version pointing back to the previous image, and plans the rollback
// rollout over those devices.
func (s *Service) rollback(ctx context.Context, r *store.Rollout, ro *rollout.Rollout, tx *store.RolloutTx, halt rollout.Record, now time.Time) (*store.RolloutChange, error) {
	exposed, err := tx.Exposed(ctx)
	if err != nil {
		return nil, err
	}
	if len(exposed) == 0 {
		return nil, nil
	}
	subject := "rollout/" + strconv.FormatInt(r.ID, 10)
	rf, err := tx.Repository(ctx, r.Product)
	if err != nil {
		return nil, err
	}
	if err := s.targetsKeyFor(rf); err != nil {
		s.log().Error("rollout halted but its rollback cannot be signed", "rollout", r.ID, "err", err)
		return &store.RolloutChange{Ledger: []store.LedgerItem{{Type: "rollout-rollback-pending", Subject: subject,
			Content: map[string]any{"rollout": r.ID, "reason": err.Error(), "devices": len(exposed)}}}}, nil
	}
	rp, online, err := s.load(rf)
	if err != nil {
		return nil, err
	}
	type group struct{ hw, prev string }
	targets := map[group]string{}
	var files []repo.File
	var devices []rollout.Device
	var rows []store.RolloutDevice
	signed := []map[string]any{}
	counts := map[string]int{}
	for _, d := range exposed {
		g := group{d.HardwareClass, d.Previous}
		t, ok := targets[g]
		if !ok {
			p, rel, fs, err := rp.Rollback(d.HardwareClass, d.Previous, r.Version, s.TargetsKey, online, now)
			if err != nil {
				return nil, fmt.Errorf("rollback of rollout %d: %w", r.ID, err)
			}
			files = append(files, fs...)
			targets[g], t = p, p
			signed = append(signed, map[string]any{"target": p, "hardwareClass": d.HardwareClass, "version": d.Previous, "releaseCounter": rel.Counter, "targetsVersion": rp.Targets.Signed.Version})
		}
		id := strconv.FormatInt(d.Device, 10)
		devices = append(devices, rollout.Device{ID: id, HardwareClass: d.HardwareClass, Region: d.Region})
		rows = append(rows, store.RolloutDevice{Device: d.Device, Target: t, Version: d.Previous, Previous: r.Version})
		counts[d.Previous]++
	}
	// The rollback's plan names the most common previous version; each device is judged against
	// its own (the version its row names).
	prev := ""
	for v, n := range counts {
		if n > counts[prev] || (n == counts[prev] && v < prev) {
			prev = v
		}
	}
	var b [8]byte
	rand.Read(b[:])
	seed := binary.LittleEndian.Uint64(b[:])
	plan, err := rollout.NewRollback(ro.Plan(), "new", prev, devices, seed)
	if err != nil {
		return nil, err
	}
	order, err := plan.Order(devices)
	if err != nil {
		return nil, err
	}
	pos := map[string]int{}
	for i, id := range order {
		pos[id] = i
	}
	slices.SortFunc(rows, func(a, b store.RolloutDevice) int {
		return pos[strconv.FormatInt(a.Device, 10)] - pos[strconv.FormatInt(b.Device, 10)]
	})
	rbRec := halt
	nr := &store.NewRollout{Product: r.Product, Kind: rollout.KindRollback, Parent: r.ID, Version: prev, CreatedBy: "siegel", Devices: rows}
	nr.Start = func(id int64) (*store.RolloutChange, error) {
		plan.Rollout = strconv.FormatInt(id, 10)
		rb, recs, err := rollout.Start(plan, now, "siegel", nil)
		if err != nil {
			return nil, err
		}
		return s.change(rb, recs, nil, nil)
	}
	return &store.RolloutChange{
		Repo: &store.RepoChange{Files: toStore(files)},
		Then: nr,
		Ledger: []store.LedgerItem{{Type: "rollout-rollback-signed", Subject: subject,
			Content: map[string]any{"rollout": r.ID, "halted": r.Version, "targets": signed, "devices": len(exposed)}}},
		Notify: []store.RolloutEvent{{Kind: store.EventRolloutRollback, Event: event(store.EventRolloutRollback, rbRec, prev,
			fmt.Sprintf("Rollout %d halted: %d devices that received version %s are sent back to %s by new signed targets metadata", r.ID, len(exposed), r.Version, prev))}},
	}, nil
}

// Tick judges every released device whose deadline passed without success (silence is failure)
// and re-signs repository metadata that nears its expiry. The server runs it every few seconds;
// a gate rejected by a deadline halts at the next tick.
func (s *Service) Tick(ctx context.Context) error {
	now := s.now()
	ids, err := s.Store.OverdueRollouts(ctx, now)
	if err != nil {
		return err
	}
	var errs []error
	for _, id := range ids {
		err := s.Store.ChangeRollout(ctx, id, func(r *store.Rollout, tx *store.RolloutTx) (*store.RolloutChange, error) {
			late, err := tx.Overdue(ctx, now)
			if err != nil || len(late) == 0 {
				return nil, err
			}
			os := make([]rollout.Outcome, len(late))
			for i, d := range late {
				os[i] = rollout.Silent(strconv.FormatInt(d.Device, 10), d.Position, d.Deadline)
			}
			return s.observe(ctx, r, tx, now, os)
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("rollout %d: %w", id, err))
		}
	}
	if err := s.pendingRollbacks(ctx, now); err != nil {
		errs = append(errs, err)
	}
	products, err := s.Store.RepositoryProducts(ctx)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, p := range products {
		err := s.Store.RefreshRepository(ctx, p, func(rf store.RepoFiles) (*store.RepoChange, error) {
			r, online, err := s.load(rf)
			if err != nil {
				return nil, err
			}
			files, err := r.Refresh(online, now)
			if err != nil || len(files) == 0 {
				return nil, err
			}
			return &store.RepoChange{Files: toStore(files)}, nil
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("repository of product %d: %w", p, err))
		}
	}
	return errors.Join(errs...)
}

// pendingRollbacks signs the rollbacks of halted rollouts that could not be signed when they
// halted (aborted from a command line without the targets key, say), once this service holds
// the key.
func (s *Service) pendingRollbacks(ctx context.Context, now time.Time) error {
	if s.TargetsKey == nil {
		return nil
	}
	ids, err := s.Store.UnrolledBack(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, id := range ids {
		err := s.Store.ChangeRollout(ctx, id, func(r *store.Rollout, tx *store.RolloutTx) (*store.RolloutChange, error) {
			ro, err := restore(r)
			if err != nil {
				return nil, err
			}
			st := ro.State()
			halt := rollout.Record{Kind: rollout.RecordHalted, Rollout: strconv.FormatInt(r.ID, 10), Seq: st.Seq, At: now}
			return s.rollback(ctx, r, ro, tx, halt, now)
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("rollback of rollout %d: %w", id, err))
		}
	}
	return errors.Join(errs...)
}

// Control pauses, resumes or aborts a rollout with a reason.
func (s *Service) Control(ctx context.Context, org, id int64, action, reason, actor string) error {
	if reason == "" {
		return fmt.Errorf("%w: give a reason", ErrInput)
	}
	now := s.now()
	return s.Store.ChangeRollout(ctx, id, func(r *store.Rollout, tx *store.RolloutTx) (*store.RolloutChange, error) {
		if r.Organization != org {
			return nil, store.ErrNotFound
		}
		ro, err := restore(r)
		if err != nil {
			return nil, err
		}
		var recs []rollout.Record
		switch action {
		case "pause":
			recs, err = ro.Pause(now, actor, reason)
		case "resume":
			recs, err = ro.Resume(now, actor, reason)
		case "abort":
			recs, err = ro.Abort(now, actor, reason)
		default:
			return nil, fmt.Errorf("%w: action %q: use pause, resume or abort", ErrInput, action)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInput, err)
		}
		return s.change(ro, recs, nil, func(halt rollout.Record) (*store.RolloutChange, error) {
			return s.rollback(ctx, r, ro, tx, halt, now)
		})
	})
}
