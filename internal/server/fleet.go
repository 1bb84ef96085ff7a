package server

import (
	"context"
	"errors"
	"time"

	"github.com/siegel-oss/siegel/internal/server/app"
)

// RolloutConfig is app.RolloutConfig: the configuration lives with the dependencies the handlers share.
type RolloutConfig = app.RolloutConfig

// FlushHeartbeats writes the devices' heartbeats gathered since the last flush.
func (s *Server) FlushHeartbeats(ctx context.Context) error {
	return s.Devices().FlushHeartbeats(ctx)
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
	return errors.Join(s.Delivery().Tick(ctx), s.FlushHeartbeats(ctx))
}
