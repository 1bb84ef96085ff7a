package delivery

import (
	"context"

	"github.com/siegel-oss/siegel/internal/rollout"
	"github.com/siegel-oss/siegel/internal/store"
)

// WaveCounts are the live counts of one wave.
type WaveCounts struct {
	Wave       int `json:"wave"`
	Size       int `json:"size"`
	Released   int `json:"released"`
	Downloaded int `json:"downloaded"`
	Installed  int `json:"installed"`
	Succeeded  int `json:"succeeded"`
	Failed     int `json:"failed"`
	Open       int `json:"open"`
}

// PathPoint is the sequential test after its n-th outcome.
type PathPoint struct {
	N       int     `json:"n"`
	LLR     float64 `json:"llr"`
	Success bool    `json:"success"`
}

// Status is a rollout as its page and API show it.
type Status struct {
	ID       int64            `json:"id"`
	Product  int64            `json:"product"`
	Kind     string           `json:"kind"`
	Parent   int64            `json:"parent,omitempty"`
	Version  string           `json:"version"`
	Status   string           `json:"status"`
	Reason   string           `json:"reason,omitempty"`
	Plan     rollout.Plan     `json:"plan"`
	Waves    []WaveCounts     `json:"waves"`
	Path     []PathPoint      `json:"path"`
	Lower    float64          `json:"lower"`
	Upper    float64          `json:"upper"`
	Decision rollout.Decision `json:"decision"`
}

// Status reads a rollout's plan, live counts per wave and the path of its sequential test.
func (s *Service) Status(ctx context.Context, org, id int64) (*Status, error) {
	r, err := s.Store.RolloutByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.Organization != org {
		return nil, store.ErrNotFound
	}
	ro, err := restore(r)
	if err != nil {
		return nil, err
	}
	rows, err := s.Store.RolloutDevices(ctx, id)
	if err != nil {
		return nil, err
	}
	plan := ro.Plan()
	st := &Status{ID: r.ID, Product: r.Product, Kind: r.Kind, Parent: r.Parent, Version: r.Version, Status: r.Status, Reason: r.Reason, Plan: plan}
	st.Lower, st.Upper = plan.Gate.Boundaries()
	st.Decision = ro.State().Test.Decision
	for w, wv := range plan.Waves {
		st.Waves = append(st.Waves, WaveCounts{Wave: w, Size: wv.Size})
	}
	for _, d := range rows {
		if d.Wave < 0 || d.Wave >= len(st.Waves) {
			continue
		}
		c := &st.Waves[d.Wave]
		c.Released++
		switch d.Event {
		case rollout.EventDownloaded:
			c.Downloaded++
		case rollout.EventInstalled, rollout.EventBooted:
			c.Downloaded++
			c.Installed++
		}
		switch {
		case d.Outcome == "":
			c.Open++
		case d.Success:
			c.Succeeded++
		default:
			c.Failed++
		}
	}
	// The sequential test takes outcomes in release order (rows come in it): its path runs up
	// to the first released device without an outcome.
	succ, fail := 0, 0
	for _, d := range rows {
		if d.Outcome == "" {
			break
		}
		if d.Success {
			succ++
		} else {
			fail++
		}
		st.Path = append(st.Path, PathPoint{N: succ + fail, LLR: plan.Gate.LLR(succ, fail), Success: d.Success})
	}
	return st, nil
}
