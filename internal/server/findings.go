package server

import (
	"context"
	"strings"

	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/store"
)

// loadFindings reads a release's findings with their VEX status.
func (s *Server) loadFindings(ctx context.Context, release int64, f store.FindingFilter) ([]app.FindingView, int, error) {
	xs, total, err := s.cfg.Store.Findings(ctx, release, f)
	if err != nil {
		return nil, 0, err
	}
	vex, err := s.cfg.Store.EffectiveVEX(ctx, release)
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

// vexInput is a triage decision as the API and the form take it.
type vexInput struct {
	PURL          string `json:"purl"`
	Status        string `json:"status"`
	Justification string `json:"justification"`
	Impact        string `json:"impact"`
	Action        string `json:"action"`
	// ExpiresAt makes the decision a suppression that ends then (YYYY-MM-DD: at the end of that
	// day, UTC; or an RFC 3339 time).
	ExpiresAt string `json:"expiresAt"`
}

// setVEX records a triage decision about a finding of the release.
func (s *Server) setVEX(ctx context.Context, release int64, vuln string, in vexInput, author string) (*store.VEX, error) {
	if _, err := s.cfg.Store.FindingByKey(ctx, release, vuln, in.PURL); err != nil {
		return nil, err
	}
	exp, err := parseExpiry(in.ExpiresAt)
	if err != nil {
		return nil, err
	}
	return s.cfg.Store.SetVEX(ctx, store.VEX{Release: release, Vulnerability: vuln, PURL: in.PURL, Status: in.Status,
		Justification: in.Justification, Impact: strings.TrimSpace(in.Impact), Action: strings.TrimSpace(in.Action), Author: author, ExpiresAt: exp})
}
