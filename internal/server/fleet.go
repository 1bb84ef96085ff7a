package server

import (
	"context"
	"crypto/ed25519"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/siegel-oss/siegel/internal/rollout/delivery"
	"github.com/siegel-oss/siegel/internal/rollout/repo"
	"github.com/siegel-oss/siegel/internal/server/device"
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

// fleet is the server's rollout service and its device side (package device), made once.
type fleet struct {
	once    sync.Once
	svc     *delivery.Service
	devices *device.API
}

func (s *Server) delivery() *delivery.Service {
	s.fleet.once.Do(func() {
		s.fleet.svc = &delivery.Service{Store: s.cfg.Store, TargetsKey: s.cfg.Rollout.TargetsKey, Expiry: s.cfg.Rollout.Expiry, Now: s.cfg.Now, Log: s.cfg.Log}
		s.fleet.devices = device.New(device.Config{Store: s.cfg.Store, Delivery: s.fleet.svc, Now: s.cfg.Now, Fail: s.Fail})
	})
	return s.fleet.svc
}

// devices is the device side: the endpoints devices call and the update repository.
func (s *Server) devices() *device.API {
	s.delivery()
	return s.fleet.devices
}

// rolloutFail answers an error of the rollout service.
func (s *Server) rolloutFail(w http.ResponseWriter, r *http.Request, err error) {
	device.RolloutError(w, r, err, s.Fail)
}

// FlushHeartbeats writes the devices' heartbeats gathered since the last flush.
func (s *Server) FlushHeartbeats(ctx context.Context) error {
	return s.devices().FlushHeartbeats(ctx)
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
