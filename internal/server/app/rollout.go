package app

import (
	"encoding/json"
	"time"

	"github.com/siegel-oss/siegel/internal/store"
)

// RolloutJSON is a rollout as answered.
type RolloutJSON struct {
	ID            int64     `json:"id"`
	Product       int64     `json:"product"`
	Kind          string    `json:"kind"`
	Parent        int64     `json:"parent,omitempty"`
	Version       string    `json:"version"`
	Status        string    `json:"status"`
	Reason        string    `json:"reason,omitempty"`
	ExposureBound int       `json:"exposureBound"`
	ExposureLimit int       `json:"exposureLimit"`
	CreatedAt     time.Time `json:"createdAt"`
}

// RolloutSummary is ro as answered.
func RolloutSummary(ro *store.Rollout) RolloutJSON {
	var plan struct {
		ExposureBound int `json:"exposureBound"`
		ExposureLimit int `json:"exposureLimit"`
	}
	_ = json.Unmarshal(ro.Plan, &plan) // written by the store from a valid plan
	return RolloutJSON{ID: ro.ID, Product: ro.Product, Kind: ro.Kind, Parent: ro.Parent, Version: ro.Version, Status: ro.Status, Reason: ro.Reason,
		ExposureBound: plan.ExposureBound, ExposureLimit: plan.ExposureLimit, CreatedAt: ro.CreatedAt}
}
