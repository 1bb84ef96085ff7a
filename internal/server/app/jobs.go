package app

import (
	"encoding/json"
	"time"
)

// JobStatus is one background job as its caller follows it.
type JobStatus struct {
	ID         int64     `json:"id"`
	Kind       string    `json:"kind"`
	State      string    `json:"state"` // queued, running, done, failed
	Attempts   int       `json:"attempts"`
	Progress   string    `json:"progress,omitempty"` // while it runs
	Error      string    `json:"error,omitempty"`    // why it failed (or why its last attempt did)
	CreatedAt  time.Time `json:"createdAt"`
	FinishedAt time.Time `json:"finishedAt,omitzero"`
	// Release, Image, Size and SHA256 describe a firmware analysis's image.
	Release int64  `json:"release,omitempty"`
	Image   string `json:"image,omitempty"`
	Size    int64  `json:"size,omitempty"`
	SHA256  string `json:"sha256,omitempty"`
	// Result is what a finished job produced (a firmware analysis: the analysis, the SBOM made from
	// its inventory, what it counted).
	Result json.RawMessage `json:"result,omitempty"`
	// Analysis is the URL of a finished firmware analysis.
	Analysis string `json:"analysis,omitempty"`
	// Target is a lab run's device; LabRun the lab run a finished one stored.
	Target string `json:"target,omitempty"`
	LabRun int64  `json:"labRun,omitempty"`
}
