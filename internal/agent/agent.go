// Package agent is the device side of Siegel's staged rollouts, the reference client that
// integrators adapt and that tests and simulations run: it polls the server for an assignment,
// verifies the product's TUF metadata and the target with go-tuf's updater (signatures and
// thresholds, versions, expiry, snapshot consistency, target length and hashes), checks the
// release counter against rollback, installs into the inactive one of two slots (A/B), switches
// slot and reboots (simulated: the switch and a health check after it, resumed after a restart),
// and reports each step. A refusal is reported with a typed reason, so the server can count it
// and record it.
package agent

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"
	"github.com/theupdateframework/go-tuf/v2/metadata/config"
	"github.com/theupdateframework/go-tuf/v2/metadata/fetcher"
	"github.com/theupdateframework/go-tuf/v2/metadata/updater"

	"github.com/siegel-oss/siegel/internal/rollout/repo"
)

// Config is what an agent needs.
type Config struct {
	// Server is the Siegel server's base URL (http://host:port).
	Server string
	// Token is the device's own token (from enrollment).
	Token string
	// Dir holds the agent's state: trusted metadata, the two slots and state.json.
	Dir string
	// Root is the trusted root metadata the device was shipped with (1.root.json of its
	// product's repository); later roots are fetched and verified against it.
	Root []byte
	// HardwareClass is the device's hardware class; a target for another is refused.
	HardwareClass string
	// Version is the version installed at the factory, used when Dir holds no state yet.
	Version string
	// HTTP is the client for the server and the repository (default http.DefaultClient).
	HTTP *http.Client
	// Now is the clock (default time.Now); metadata expiry is judged against it.
	Now func() time.Time
	// Health checks the system after booting into a slot; an error means unhealthy, and the
	// device falls back to the other slot. ErrBricked makes the device go silent instead, as a
	// crashed device would (simulations and tests).
	Health func(ctx context.Context, version string) error
	Log    *slog.Logger
}

// ErrBricked, returned by a health check, simulates a device that crashed on its new image: it
// reports nothing more.
var ErrBricked = errors.New("device bricked")

// Reasons of a refused update, reported to the server with EventFailed.
const (
	ReasonRollback       = "tuf-rollback"         // metadata older than the trusted version
	ReasonFreeze         = "tuf-freeze"           // expired metadata
	ReasonMixAndMatch    = "tuf-mix-and-match"    // metadata inconsistent with the snapshot/timestamp
	ReasonEndlessData    = "tuf-endless-data"     // more bytes than the metadata allows
	ReasonWrongHash      = "tuf-wrong-hash"       // target bytes that do not match their hashes
	ReasonUnknownTarget  = "tuf-unknown-target"   // a target the signed targets do not list
	ReasonSignature      = "tuf-signature"        // too few valid signatures for the role's threshold
	ReasonCounter        = "release-counter"      // a release counter below the one installed
	ReasonHardwareClass  = "wrong-hardware-class" // a target for another hardware class
	ReasonTargetMismatch = "target-mismatch"      // a target that is not the version assigned
	ReasonRepository     = "tuf-repository"       // the repository could not be read
	ReasonInstall        = "install-failed"
)

// RefusedError is an update the agent refused, with its typed reason.
type RefusedError struct {
	Reason string
	Err    error
}

func (e *RefusedError) Error() string { return e.Reason + ": " + e.Err.Error() }
func (e *RefusedError) Unwrap() error { return e.Err }

// classify names the reason of a go-tuf error; download tells whether it arose downloading the
// target (a hash mismatch there is a wrong target, in metadata a mix-and-match).
func classify(err error, download bool) *RefusedError {
	var (
		bad     *metadata.ErrBadVersionNumber
		eq      *metadata.ErrEqualVersionNumber
		exp     *metadata.ErrExpiredMetadata
		unsig   *metadata.ErrUnsignedMetadata
		lenMis  *metadata.ErrDownloadLengthMismatch
		hashMis *metadata.ErrLengthOrHashMismatch
		rep     *metadata.ErrRepository
	)
	reason := ReasonRepository
	switch {
	case errors.As(err, &lenMis):
		reason = ReasonEndlessData
	case errors.As(err, &exp):
		reason = ReasonFreeze
	case errors.As(err, &unsig):
		reason = ReasonSignature
	case errors.As(err, &hashMis):
		reason = ReasonMixAndMatch
		if download {
			reason = ReasonWrongHash
		}
	case errors.As(err, &bad):
		reason = ReasonRollback
		if strings.Contains(bad.Msg, "expected") {
			reason = ReasonMixAndMatch // a role's version differs from what the snapshot names
		}
	case errors.As(err, &eq):
		reason = ReasonRollback
	case errors.As(err, &rep):
		reason = ReasonRepository
	}
	return &RefusedError{Reason: reason, Err: err}
}

// Slot is what one of the two slots holds.
type Slot struct {
	Version string `json:"version"`
	Counter int64  `json:"releaseCounter"`
	SHA256  string `json:"sha256,omitempty"`
	Target  string `json:"target,omitempty"`
}

// State is the agent's persistent state.
type State struct {
	Active string          `json:"active"` // "a" or "b"
	Slots  map[string]Slot `json:"slots"`
	// Booting is the slot switched to and not yet confirmed by a health check (a restart in the
	// middle resumes the check).
	Booting string `json:"booting,omitempty"`
	// Rollout and Event: the last assignment worked on and the last event reported for it.
	Rollout int64  `json:"rollout,omitempty"`
	Event   string `json:"event,omitempty"`
}

// Agent is one device.
type Agent struct {
	cfg   Config
	state State
}

// New opens (or starts) the agent's state in cfg.Dir.
func New(cfg Config) (*Agent, error) {
	if cfg.Server == "" || cfg.Token == "" || cfg.Dir == "" || len(cfg.Root) == 0 || cfg.HardwareClass == "" {
		return nil, errors.New("agent: server, token, state directory, trusted root and hardware class are required")
	}
	if cfg.HTTP == nil {
		cfg.HTTP = http.DefaultClient
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	for _, d := range []string{"tuf", "slots/a", "slots/b", "download"} {
		if err := os.MkdirAll(filepath.Join(cfg.Dir, d), 0o700); err != nil {
			return nil, fmt.Errorf("agent: %w", err)
		}
	}
	a := &Agent{cfg: cfg}
	data, err := os.ReadFile(a.path("state.json"))
	switch {
	case err == nil:
		if err := json.Unmarshal(data, &a.state); err != nil {
			return nil, fmt.Errorf("agent: %s: %w", a.path("state.json"), err)
		}
	case errors.Is(err, os.ErrNotExist):
		if cfg.Version == "" {
			return nil, errors.New("agent: a new device needs its factory version")
		}
		a.state = State{Active: "a", Slots: map[string]Slot{"a": {Version: cfg.Version}}}
		if err := a.save(); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("agent: %w", err)
	}
	return a, nil
}

func (a *Agent) path(p string) string { return filepath.Join(a.cfg.Dir, p) }

// save writes the state atomically (a crash leaves the old state or the new).
func (a *Agent) save() error {
	data, err := json.MarshalIndent(a.state, "", "  ")
	if err != nil {
		return err
	}
	tmp := a.path("state.json.tmp")
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	return os.Rename(tmp, a.path("state.json"))
}

// Running returns the version of the active slot.
func (a *Agent) Running() Slot { return a.state.Slots[a.state.Active] }

// State returns a copy of the agent's state.
func (a *Agent) State() State {
	st := a.state
	st.Slots = map[string]Slot{}
	for k, v := range a.state.Slots {
		st.Slots[k] = v
	}
	return st
}

// Assignment is the server's answer to a poll.
type Assignment struct {
	Rollout    int64  `json:"rollout"`
	Target     string `json:"target"`
	Version    string `json:"version"`
	Repository string `json:"repository"` // path or URL of the product's repository
}

// report is a device report.
type report struct {
	Rollout int64  `json:"rollout"`
	Event   string `json:"event"`
	Version string `json:"version,omitempty"`
	Healthy bool   `json:"healthy,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Detail  string `json:"detail,omitempty"`
}

func (a *Agent) call(ctx context.Context, method, path string, body any, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(a.cfg.Server, "/")+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+a.cfg.Token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.cfg.HTTP.Do(req)
	if err != nil {
		return 0, fmt.Errorf("agent: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return resp.StatusCode, fmt.Errorf("agent: %s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(msg)))
	}
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(out); err != nil {
			return resp.StatusCode, fmt.Errorf("agent: %s %s: %w", method, path, err)
		}
	} else {
		io.Copy(io.Discard, resp.Body)
	}
	return resp.StatusCode, nil
}

func (a *Agent) report(ctx context.Context, r report) error {
	_, err := a.call(ctx, http.MethodPost, "/api/v1/device/reports", r, nil)
	if err == nil {
		a.state.Rollout, a.state.Event = r.Rollout, r.Event
		err = a.save()
	}
	return err
}

// Poll asks the server for an assignment (nil when there is none).
func (a *Agent) Poll(ctx context.Context) (*Assignment, error) {
	var as Assignment
	code, err := a.call(ctx, http.MethodGet, "/api/v1/device/assignment?version="+a.Running().Version, nil, &as)
	if err != nil {
		return nil, err
	}
	if code == http.StatusNoContent {
		return nil, nil
	}
	return &as, nil
}

// Heartbeat tells the server the device is alive and which version it runs.
func (a *Agent) Heartbeat(ctx context.Context) error {
	_, err := a.call(ctx, http.MethodPost, "/api/v1/device/heartbeat", map[string]string{"version": a.Running().Version}, nil)
	return err
}

// Step resumes an interrupted boot check, then polls once and carries out the assignment, if
// any: verify, download, install, reboot, report. It returns the refusal (a *RefusedError, also
// reported) or ErrBricked when the device went silent.
func (a *Agent) Step(ctx context.Context) error {
	if a.state.Booting != "" {
		return a.boot(ctx, a.state.Rollout)
	}
	as, err := a.Poll(ctx)
	if err != nil || as == nil {
		return err
	}
	if as.Rollout == a.state.Rollout && a.state.Event == "booted" {
		return nil // reported already; the server has not yet closed the assignment
	}
	if err := a.apply(ctx, as); err != nil {
		var ref *RefusedError
		if errors.As(err, &ref) {
			if rerr := a.report(ctx, report{Rollout: as.Rollout, Event: "failed", Reason: ref.Reason, Detail: ref.Err.Error()}); rerr != nil {
				return errors.Join(err, rerr)
			}
		}
		return err
	}
	return a.boot(ctx, as.Rollout)
}

func (a *Agent) repoURL(as *Assignment) string {
	u := as.Repository
	if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		u = strings.TrimSuffix(a.cfg.Server, "/") + u
	}
	return strings.TrimSuffix(u, "/")
}

// apply verifies, downloads and installs the assigned target into the inactive slot, and
// switches to it.
func (a *Agent) apply(ctx context.Context, as *Assignment) error {
	base := a.repoURL(as)
	cfg, err := config.New(base+"/metadata", a.cfg.Root)
	if err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	cfg.LocalMetadataDir = a.path("tuf")
	cfg.LocalTargetsDir = a.path("download")
	cfg.RemoteTargetsURL = base + "/targets"
	f := fetcher.NewDefaultFetcher()
	f.SetHTTPClient(a.cfg.HTTP)
	cfg.Fetcher = f
	up, err := updater.New(cfg)
	if err != nil {
		return classify(err, false)
	}
	up.UnsafeSetRefTime(a.cfg.Now().UTC()) // the device's clock, injected in tests
	if err := up.Refresh(); err != nil {
		return classify(err, false)
	}
	if _, listed := up.GetTopLevelTargets()[as.Target]; !listed {
		// Only top-level targets are published; a target they do not list is not the
		// repository's, whatever the mirror or the assignment says.
		return &RefusedError{Reason: ReasonUnknownTarget, Err: fmt.Errorf("target %s is not listed in the signed targets metadata", as.Target)}
	}
	tf, err := up.GetTargetInfo(as.Target)
	if err != nil {
		return classify(err, false)
	}
	rel, err := repo.ReleaseOf(tf)
	if err != nil {
		return &RefusedError{Reason: ReasonTargetMismatch, Err: err}
	}
	switch {
	case rel.HardwareClass != a.cfg.HardwareClass:
		return &RefusedError{Reason: ReasonHardwareClass, Err: fmt.Errorf("target %s is for hardware class %s, this device is %s", as.Target, rel.HardwareClass, a.cfg.HardwareClass)}
	case rel.Version != as.Version:
		return &RefusedError{Reason: ReasonTargetMismatch, Err: fmt.Errorf("target %s is version %s, the assignment says %s", as.Target, rel.Version, as.Version)}
	case rel.Counter < a.Running().Counter:
		return &RefusedError{Reason: ReasonCounter, Err: fmt.Errorf("target %s has release counter %d, below the %d installed", as.Target, rel.Counter, a.Running().Counter)}
	}
	_, data, err := up.DownloadTarget(tf, a.path("download/target"), "")
	if err != nil {
		return classify(err, true)
	}
	if err := a.report(ctx, report{Rollout: as.Rollout, Event: "downloaded", Version: a.Running().Version}); err != nil {
		return err
	}
	inactive := "b"
	if a.state.Active == "b" {
		inactive = "a"
	}
	if err := os.WriteFile(a.path("slots/"+inactive+"/image"), data, 0o600); err != nil {
		return &RefusedError{Reason: ReasonInstall, Err: err}
	}
	sum := sha256.Sum256(data)
	a.state.Slots[inactive] = Slot{Version: rel.Version, Counter: rel.Counter, SHA256: hex.EncodeToString(sum[:]), Target: as.Target}
	if err := a.report(ctx, report{Rollout: as.Rollout, Event: "installed", Version: a.Running().Version}); err != nil {
		return err
	}
	// Switch slot and "reboot": the boot check below runs as the new system would after it.
	a.state.Booting = inactive
	return a.save()
}

// boot completes a switch to the slot being booted: the health check decides whether the new
// slot stays active or the device falls back to the other one; either way it reports the
// version it runs.
func (a *Agent) boot(ctx context.Context, rolloutID int64) error {
	next := a.state.Booting
	prev := a.state.Active
	a.state.Active = next
	healthy := true
	if a.cfg.Health != nil {
		if err := a.cfg.Health(ctx, a.state.Slots[next].Version); err != nil {
			if errors.Is(err, ErrBricked) {
				return ErrBricked
			}
			a.cfg.Log.Warn("health check failed after the update; falling back", "version", a.state.Slots[next].Version, "err", err)
			a.state.Active = prev
			healthy = false
		}
	}
	a.state.Booting = ""
	if err := a.save(); err != nil {
		return err
	}
	return a.report(ctx, report{Rollout: rolloutID, Event: "booted", Version: a.Running().Version, Healthy: healthy})
}

// Run polls every interval until ctx ends or the device is bricked, heartbeating in between.
func (a *Agent) Run(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		err := a.Step(ctx)
		switch {
		case errors.Is(err, ErrBricked):
			return err
		case err != nil:
			a.cfg.Log.Warn("agent step", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
