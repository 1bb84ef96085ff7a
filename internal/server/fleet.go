package server

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/siegel-oss/siegel/internal/rollout/delivery"
	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/server/device"
)

// RolloutConfig is app.RolloutConfig: the configuration lives with the dependencies the handlers share.
type RolloutConfig = app.RolloutConfig

// fleet is the server's rollout service and its device side (package device), made once.
type fleet struct {
	once    sync.Once
	svc     *delivery.Service
	devices *device.API
}

func (s *Server) delivery() *delivery.Service {
	s.fleet.once.Do(func() {
		s.fleet.svc = &delivery.Service{Store: s.Store, TargetsKey: s.Rollout.TargetsKey, Expiry: s.Rollout.Expiry, Now: s.Now, Log: s.Log}
		s.fleet.devices = device.New(device.Config{Store: s.Store, Delivery: s.fleet.svc, Now: s.Now, Fail: s.Fail})
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
	tick := s.Rollout.Tick
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
			s.Log.Error("rollout tick", "err", err)
		}
	}
}

// RolloutTick runs one tick of RunRollouts.
func (s *Server) RolloutTick(ctx context.Context) error {
	return errors.Join(s.delivery().Tick(ctx), s.FlushHeartbeats(ctx))
}
