package rollout

import (
	"time"
)

// Device report events, in the order a healthy update produces them.
const (
	EventDownloaded = "downloaded"
	EventInstalled  = "installed"
	EventBooted     = "booted"
	EventFailed     = "failed"
)

// Report is what a device says about its assignment.
type Report struct {
	Device string    `json:"device"`
	Event  string    `json:"event"`
	At     time.Time `json:"at"`
	// Version is the version the device runs (for EventBooted: after its reboot).
	Version string `json:"version,omitempty"`
	// Healthy is the device's own health verdict after booting.
	Healthy bool   `json:"healthy,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// Outcome reasons.
const (
	ReasonHealthy   = "booted-healthy" // the only success
	ReasonUnhealthy = "booted-unhealthy"
	ReasonFellBack  = "fell-back" // booted, but on another version: it fell back to the other slot
	ReasonFailed    = "failed"    // the device reported a failure
	ReasonSilent    = "silent"    // no success by the deadline
)

// Outcome is the final result of one device's assignment: exactly one per released device.
// Position is the device's place in the plan's release order (see Plan.Order and Release).
type Outcome struct {
	Device   string    `json:"device"`
	Position int       `json:"position"`
	Success  bool      `json:"success"`
	Reason   string    `json:"reason"`
	At       time.Time `json:"at"`
}

// Judge turns the report of the device at position on its assignment to version into its
// outcome; final is false
// for reports that decide nothing yet (downloaded, installed). Success means booted on version
// and healthy: booted on another version is a fall-back, a failure.
func Judge(r Report, position int, version string) (o Outcome, final bool) {
	o = Outcome{Device: r.Device, Position: position, At: r.At}
	switch r.Event {
	case EventBooted:
		switch {
		case r.Version != version:
			o.Reason = ReasonFellBack
		case !r.Healthy:
			o.Reason = ReasonUnhealthy
		default:
			o.Success, o.Reason = true, ReasonHealthy
		}
		return o, true
	case EventFailed:
		o.Reason = ReasonFailed
		return o, true
	}
	return o, false
}

// Silent is the outcome of a device that had not succeeded by its deadline: silence is failure.
func Silent(device string, position int, deadline time.Time) Outcome {
	return Outcome{Device: device, Position: position, Reason: ReasonSilent, At: deadline}
}
