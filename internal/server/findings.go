package server

import (
	"context"

	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/store"
)

// loadFindings reads a release's findings with their VEX status.
func (s *Server) loadFindings(ctx context.Context, release int64, f store.FindingFilter) ([]app.FindingView, int, error) {
	xs, total, err := s.Store.Findings(ctx, release, f)
	if err != nil {
		return nil, 0, err
	}
	vex, err := s.Store.EffectiveVEX(ctx, release)
	if err != nil {
		return nil, 0, err
	}
	out := make([]app.FindingView, 0, len(xs))
	for _, x := range xs {
		v, err := app.ViewFinding(x, vex)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, v)
	}
	return out, total, nil
}
