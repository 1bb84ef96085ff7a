package rollout

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Device is a member of the fleet as the planner sees it.
type Device struct {
	ID            string `json:"id"`
	HardwareClass string `json:"hardwareClass"`
	Region        string `json:"region"`
}

// Stratum is a group of devices drawn from together: one hardware class in one region.
type Stratum struct {
	HardwareClass string `json:"hardwareClass"`
	Region        string `json:"region"`
	Devices       int    `json:"devices"`
}

// WaveSpec asks for a wave of Count devices or of Percent of the fleet (one of the two).
type WaveSpec struct {
	Count   int     `json:"count,omitempty"`
	Percent float64 `json:"percent,omitempty"`
}

// Duration is a time.Duration written in JSON as Go duration text ("1h5m0s").
type Duration time.Duration

// MarshalJSON writes the duration as text.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads duration text.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration: want text such as \"30m\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// Timing is how long a device may take to report success: its deadline after assignment is
// Install + Reboot + Heartbeats × Heartbeat.
type Timing struct {
	Install    Duration `json:"install"`
	Reboot     Duration `json:"reboot"`
	Heartbeat  Duration `json:"heartbeat"`
	Heartbeats int      `json:"heartbeats"`
}

// Allowed is the time a device has after assignment.
func (t Timing) Allowed() time.Duration {
	return time.Duration(t.Install) + time.Duration(t.Reboot) + time.Duration(t.Heartbeats)*time.Duration(t.Heartbeat)
}

// Deadlines gives each device its report deadline: Default, or the timing of its hardware class.
type Deadlines struct {
	Default Timing            `json:"default"`
	Classes map[string]Timing `json:"classes,omitempty"`
}

// DefaultDeadlines allows 30 minutes to install, 5 to reboot and two 15-minute heartbeats.
func DefaultDeadlines() Deadlines {
	return Deadlines{Default: Timing{
		Install: Duration(30 * time.Minute), Reboot: Duration(5 * time.Minute),
		Heartbeat: Duration(15 * time.Minute), Heartbeats: 2,
	}}
}

// Deadline is the time by which a device of hardwareClass assigned at assigned must have
// reported success; after it, its silence is a failure.
func (d Deadlines) Deadline(hardwareClass string, assigned time.Time) time.Time {
	t, ok := d.Classes[hardwareClass]
	if !ok {
		t = d.Default
	}
	return assigned.Add(t.Allowed())
}

// Preflight is a check run on the artifact before the first wave: Command with the artifact's
// path appended; a non-zero exit (or exceeding Timeout) stops the rollout before any device.
type Preflight struct {
	Command []string `json:"command"`
	Timeout Duration `json:"timeout,omitempty"`
}

// PlanRequest is what a user asks for.
type PlanRequest struct {
	Rollout string     `json:"rollout"` // the rollout's identifier
	Version string     `json:"version"` // the version the rollout installs
	Waves   []WaveSpec `json:"waves"`   // the first is the canary
	Gate    GateParams `json:"gate"`
	// Deadlines default to DefaultDeadlines when Default.Heartbeats and all durations are zero.
	Deadlines Deadlines `json:"deadlines"`
	Seed      uint64    `json:"seed"` // drawn by the caller; recorded, so the draw is reproducible
	// ExposureLimit is the highest exposure bound accepted; 0 means the default,
	// min(0.1 % of the fleet, 1,000 devices).
	ExposureLimit int        `json:"exposureLimit,omitempty"`
	Preflight     *Preflight `json:"preflight,omitempty"`
}

// Wave is a planned wave: Size devices, the next Size of the plan's release order. FailureLimit
// halts the rollout when the wave's failures reach it (see NewPlan).
type Wave struct {
	Size         int `json:"size"`
	FailureLimit int `json:"failureLimit"`
}

// Plan is an accepted rollout plan. Together with the fleet it was drawn from (which its
// InventoryDigest identifies) it determines which devices each wave holds (see Plan.Order).
type Plan struct {
	Rollout         string     `json:"rollout"`
	Version         string     `json:"version"`
	Kind            string     `json:"kind"`             // "update" or "rollback"
	Parent          string     `json:"parent,omitempty"` // for a rollback, the rollout it undoes
	Fleet           int        `json:"fleet"`
	InventoryDigest string     `json:"inventoryDigest"`
	Strata          []Stratum  `json:"strata"`
	Seed            uint64     `json:"seed"`
	Waves           []Wave     `json:"waves"`
	Gate            GateParams `json:"gate"`
	Deadlines       Deadlines  `json:"deadlines"`
	ExposureBound   int        `json:"exposureBound"`
	ExposureLimit   int        `json:"exposureLimit"`
	Preflight       *Preflight `json:"preflight,omitempty"`
}

// Plan kinds.
const (
	KindUpdate   = "update"
	KindRollback = "rollback"
)

// MaxFleet bounds the devices of one plan.
const MaxFleet = 100_000_000

// ErrPlan is wrapped by the errors of NewPlan for a request that cannot be planned.
var ErrPlan = errors.New("invalid rollout plan")

// ExposureError refuses a plan whose exposure bound is above its limit.
type ExposureError struct {
	Bound, Limit int
}

func (e *ExposureError) Error() string {
	return fmt.Sprintf("rollout plan: a completely bad update could reach %d devices before the gate halts it, above the limit of %d: make the canary wave smaller or raise the limit", e.Bound, e.Limit)
}

// DefaultExposureLimit is min(0.1 % of the fleet, 1,000 devices).
func DefaultExposureLimit(fleet int) int {
	return min(fleet/1000, 1000)
}

// NewPlan plans a rollout over fleet: it sizes the waves (a final wave takes the devices the
// requested waves leave), sets each wave's failure limit, computes the exposure bound and
// refuses the plan (with an *ExposureError) when the bound is above the limit.
//
// A wave's failure limit is the smallest L with P(X ≥ L) ≤ WaveAlpha / number of waves for X
// binomial with the wave's size and P0: at P0 all limits together halt a good update with
// probability at most WaveAlpha.
func NewPlan(req PlanRequest, fleet []Device) (Plan, error) {
	if err := req.Gate.Validate(); err != nil {
		return Plan{}, err
	}
	if req.Rollout == "" {
		return Plan{}, fmt.Errorf("%w: the rollout needs an identifier", ErrPlan)
	}
	if len(fleet) == 0 {
		return Plan{}, fmt.Errorf("%w: the fleet has no device", ErrPlan)
	}
	if len(fleet) > MaxFleet {
		return Plan{}, fmt.Errorf("%w: %d devices: at most %d are planned at once", ErrPlan, len(fleet), MaxFleet)
	}
	if len(req.Waves) == 0 {
		return Plan{}, fmt.Errorf("%w: at least one wave (the canary) is needed", ErrPlan)
	}
	digest, strata, err := inventory(fleet)
	if err != nil {
		return Plan{}, err
	}
	sizes, err := waveSizes(req.Waves, len(fleet))
	if err != nil {
		return Plan{}, err
	}
	dl := req.Deadlines
	if dl.Default == (Timing{}) {
		dl.Default = DefaultDeadlines().Default
	}
	p := Plan{
		Rollout: req.Rollout, Version: req.Version, Kind: KindUpdate,
		Fleet: len(fleet), InventoryDigest: digest, Strata: strata, Seed: req.Seed,
		Gate: req.Gate, Deadlines: dl, ExposureLimit: req.ExposureLimit, Preflight: req.Preflight,
	}
	if p.ExposureLimit == 0 {
		p.ExposureLimit = DefaultExposureLimit(len(fleet))
	}
	p.Waves = waves(sizes, req.Gate)
	p.ExposureBound = ExposureBound(p)
	if p.ExposureBound > p.ExposureLimit {
		return p, &ExposureError{Bound: p.ExposureBound, Limit: p.ExposureLimit}
	}
	return p, nil
}

// waves sets the failure limits of waves of the given sizes.
func waves(sizes []int, g GateParams) []Wave {
	ws := make([]Wave, len(sizes))
	for i, n := range sizes {
		ws[i] = Wave{Size: n, FailureLimit: FailureLimit(n, g.P0, g.WaveAlpha/float64(len(sizes)))}
	}
	return ws
}

// waveSizes turns the requested waves into sizes that cover the fleet exactly.
func waveSizes(specs []WaveSpec, fleet int) ([]int, error) {
	var sizes []int
	total := 0
	for i, s := range specs {
		var n int
		switch {
		case s.Count > 0 && s.Percent == 0:
			n = s.Count
		case s.Count == 0 && s.Percent > 0 && s.Percent <= 100:
			n = max(1, int(math.Round(s.Percent/100*float64(fleet))))
		default:
			return nil, fmt.Errorf("%w: wave %d: give a count above 0 or a percentage in (0, 100], not both", ErrPlan, i+1)
		}
		total += n
		if total > fleet {
			return nil, fmt.Errorf("%w: waves 1 to %d hold %d devices, the fleet only %d", ErrPlan, i+1, total, fleet)
		}
		sizes = append(sizes, n)
	}
	if total < fleet {
		sizes = append(sizes, fleet-total)
	}
	return sizes, nil
}

// inventory returns the digest of the fleet (SHA-256 of its devices sorted by identifier, one
// "id TAB hardware class TAB region" line each) and its strata, sorted.
func inventory(fleet []Device) (string, []Stratum, error) {
	ds := slices.Clone(fleet)
	slices.SortFunc(ds, func(a, b Device) int { return strings.Compare(a.ID, b.ID) })
	h := sha256.New()
	count := map[[2]string]int{}
	for i, d := range ds {
		if d.ID == "" || strings.ContainsAny(d.ID+d.HardwareClass+d.Region, "\t\n") {
			return "", nil, fmt.Errorf("%w: device %d: an identifier is needed, and no field may hold a tab or newline", ErrPlan, i+1)
		}
		if i > 0 && ds[i-1].ID == d.ID {
			return "", nil, fmt.Errorf("%w: device %q is in the fleet twice", ErrPlan, d.ID)
		}
		fmt.Fprintf(h, "%s\t%s\t%s\n", d.ID, d.HardwareClass, d.Region)
		count[[2]string{d.HardwareClass, d.Region}]++
	}
	var strata []Stratum
	for k, n := range count {
		strata = append(strata, Stratum{HardwareClass: k[0], Region: k[1], Devices: n})
	}
	slices.SortFunc(strata, compareStrata)
	return hex.EncodeToString(h.Sum(nil)), strata, nil
}

func compareStrata(a, b Stratum) int {
	if c := strings.Compare(a.HardwareClass, b.HardwareClass); c != 0 {
		return c
	}
	return strings.Compare(a.Region, b.Region)
}

// FailureLimit returns the smallest L with P(X ≥ L) ≤ alpha for X binomial(n, p); n+1 (a limit
// never reached) when alpha is 0.
func FailureLimit(n int, p, alpha float64) int {
	if alpha <= 0 || n == 0 {
		return n + 1
	}
	// Sum the upper tail from far above the mean downwards, in probabilities relative to the
	// mode's (so nothing underflows), until it exceeds alpha.
	mode := int(math.Floor(float64(n+1) * p))
	mode = min(mode, n)
	logMode := logBinom(n, mode, p)
	sd := math.Sqrt(float64(n) * p * (1 - p))
	top := min(n, mode+int(40*sd)+60)
	// Relative pmf values from top down to 0 by the ratio pmf(k-1)/pmf(k) = k(1-p)/((n-k+1)p).
	rel := math.Exp(logBinom(n, top, p) - logMode)
	tail := 0.0
	scale := math.Exp(logMode)
	for k := top; k >= 0; k-- {
		tail += rel * scale
		if tail > alpha {
			return k + 1
		}
		if k > 0 {
			rel *= float64(k) * (1 - p) / (float64(n-k+1) * p)
		}
	}
	return 0
}

// logBinom is the log of the binomial(n, p) probability of k.
func logBinom(n, k int, p float64) float64 {
	a, _ := math.Lgamma(float64(n + 1))
	b, _ := math.Lgamma(float64(k + 1))
	c, _ := math.Lgamma(float64(n - k + 1))
	return a - b - c + float64(k)*math.Log(p) + float64(n-k)*math.Log1p(-p)
}
