package server

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/siegel-oss/siegel/internal/rollout/delivery"
	"github.com/siegel-oss/siegel/internal/rollout/repo"
	"github.com/siegel-oss/siegel/internal/store"
)

// RolloutConfig configures staged rollouts.
type RolloutConfig struct {
	// TargetsKey signs targets metadata (publications and automatic rollbacks); nil disables
	// both (plans still run; a halt records its rollback as pending).
	TargetsKey ed25519.PrivateKey
	// Tick is how often passed deadlines are judged and heartbeats written (default 10 s; a
	// gate rejected by a deadline halts within a tick).
	Tick time.Duration
	// Expiry of the repository's metadata (default repo.DefaultExpiry).
	Expiry repo.Expiry
}

// fleet is the server's device side: the rollout service, a short-lived cache of device
// tokens and the heartbeats not yet written.
type fleet struct {
	once    sync.Once
	svc     *delivery.Service
	mu      sync.Mutex
	tokens  map[string]cachedDevice
	seen    map[int64]time.Time
	flushMu sync.Mutex
}

type cachedDevice struct {
	dev *store.Device
	at  time.Time
}

// deviceTokenTTL is how long an authenticated device token is trusted without asking the store.
const deviceTokenTTL = 30 * time.Second

func (s *Server) delivery() *delivery.Service {
	s.fleet.once.Do(func() {
		s.fleet.svc = &delivery.Service{Store: s.cfg.Store, TargetsKey: s.cfg.Rollout.TargetsKey, Expiry: s.cfg.Rollout.Expiry, Now: s.cfg.Now, Log: s.cfg.Log}
		s.fleet.tokens = map[string]cachedDevice{}
		s.fleet.seen = map[int64]time.Time{}
	})
	return s.fleet.svc
}

// deviceAPI wraps a device endpoint: "Authorization: Bearer DEVICE_TOKEN".
func (s *Server) deviceAPI(h func(http.ResponseWriter, *http.Request, *store.Device)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		secret, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || secret == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="siegel-device"`)
			writeError(w, http.StatusUnauthorized, "missing device token")
			return
		}
		s.delivery()
		now := s.cfg.Now()
		s.fleet.mu.Lock()
		c, hit := s.fleet.tokens[secret]
		s.fleet.mu.Unlock()
		if !hit || now.Sub(c.at) > deviceTokenTTL || now.Before(c.at) {
			dev, err := s.cfg.Store.DeviceByToken(r.Context(), secret)
			if errors.Is(err, store.ErrUnauthorizedDevice) {
				writeError(w, http.StatusUnauthorized, "invalid device token")
				return
			}
			if err != nil {
				s.fail(w, r, err)
				return
			}
			c = cachedDevice{dev: dev, at: now}
			s.fleet.mu.Lock()
			if len(s.fleet.tokens) > 100_000 {
				clear(s.fleet.tokens)
			}
			s.fleet.tokens[secret] = c
			s.fleet.mu.Unlock()
		}
		s.fleet.mu.Lock()
		s.fleet.seen[c.dev.ID] = now
		s.fleet.mu.Unlock()
		h(w, r, c.dev)
	}
}

type assignmentJSON struct {
	Rollout    int64     `json:"rollout"`
	Target     string    `json:"target"`
	Version    string    `json:"version"`
	Repository string    `json:"repository"`
	Deadline   time.Time `json:"deadline"`
}

// deviceAssignment answers a poll: the open assignment, or 204. It reads one indexed row and
// writes nothing (the heartbeat it implies is batched).
func (s *Server) deviceAssignment(w http.ResponseWriter, r *http.Request, dev *store.Device) {
	a, err := s.cfg.Store.DeviceAssignment(r.Context(), dev.ID)
	if errors.Is(err, store.ErrNotFound) {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, assignmentJSON{Rollout: a.Rollout, Target: a.Target, Version: a.Version, Deadline: a.Deadline,
		Repository: "/tuf/" + strconv.FormatInt(a.Product, 10)})
}

func (s *Server) deviceHeartbeat(w http.ResponseWriter, r *http.Request, dev *store.Device) {
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) deviceReport(w http.ResponseWriter, r *http.Request, dev *store.Device) {
	var rep delivery.Report
	if !decodeJSON(w, r, &rep) {
		return
	}
	if err := s.delivery().Report(r.Context(), dev, rep); err != nil {
		s.rolloutFail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) rolloutFail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, delivery.ErrInput):
		writeError(w, http.StatusBadRequest, err.Error())
	case errors.Is(err, delivery.ErrNoTargetsKey):
		writeError(w, http.StatusServiceUnavailable, err.Error())
	default:
		s.fail(w, r, err)
	}
}

// FlushHeartbeats writes the heartbeats gathered since the last flush, in one transaction.
func (s *Server) FlushHeartbeats(ctx context.Context) error {
	s.delivery()
	s.fleet.flushMu.Lock()
	defer s.fleet.flushMu.Unlock()
	s.fleet.mu.Lock()
	seen := s.fleet.seen
	s.fleet.seen = map[int64]time.Time{}
	s.fleet.mu.Unlock()
	return s.cfg.Store.TouchDevices(ctx, seen)
}

// RunRollouts judges passed deadlines, re-signs expiring repository metadata and writes
// heartbeats every tick until ctx ends.
func (s *Server) RunRollouts(ctx context.Context) error {
	tick := s.cfg.Rollout.Tick
	if tick <= 0 {
		tick = 10 * time.Second
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return s.FlushHeartbeats(context.WithoutCancel(ctx))
		case <-t.C:
		}
		if err := s.RolloutTick(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Log.Error("rollout tick", "err", err)
		}
	}
}

// RolloutTick runs one tick of RunRollouts.
func (s *Server) RolloutTick(ctx context.Context) error {
	return errors.Join(s.delivery().Tick(ctx), s.FlushHeartbeats(ctx))
}

// tufMetadata serves a metadata file of a product's repository.
func (s *Server) tufMetadata(w http.ResponseWriter, r *http.Request) {
	product, ok := pathID(w, r, "product")
	if !ok {
		return
	}
	name := r.PathValue("name")
	if !strings.HasSuffix(name, ".json") || strings.Contains(name, "/") {
		writeError(w, http.StatusNotFound, "not found")
		return
	}
	body, err := s.cfg.Store.TUFFileBody(r.Context(), product, name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(body)
}

// tufTarget serves an artifact by its consistent-snapshot name (CLASS/VERSION/HASH.NAME).
func (s *Server) tufTarget(w http.ResponseWriter, r *http.Request) {
	product, ok := pathID(w, r, "product")
	if !ok {
		return
	}
	base := r.PathValue("file")
	sum, _, ok := strings.Cut(base, ".")
	if b, err := hex.DecodeString(sum); !ok || err != nil || len(b) != 32 {
		writeError(w, http.StatusNotFound, "not found")
		return
	}
	body, err := s.cfg.Store.TUFBlobContent(r.Context(), product, sum)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Write(body)
}
