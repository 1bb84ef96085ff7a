// Command rollout simulates staged rollouts of an update over a fleet of devices, driving
// Siegel's real planner and gate (internal/rollout), and compares them with two baselines
// under the same failures: hawkBit's threshold rule and Mender's time-based phases.
//
// The model. Each device that receives the update fails with probability p. A failing device
// is silent with probability -silent (it bricks at its reboot and never reports; a 100 % bad
// update bricks every device silently) and otherwise reports its failure. A device that
// succeeds reports "booted, healthy" after a delay drawn from a log-normal distribution (median
// -delay-median, spread -delay-sigma), and always before its deadline: a device that would report
// later is a failure, part of p. A loud failure reports after such a delay too; a silent device's
// outcome, for Siegel, is its deadline passing.
//
// Siegel. The plan is made by rollout.NewPlan over a synthetic fleet (hardware classes ×
// regions), with the default gate and deadlines. While the sequential test is undecided every
// outcome is simulated device by device, in time order, and fed to Rollout.Observe; once it has
// decided, a released wave's failures are drawn as a binomial count (stopping at the wave's
// failure limit, which is all the rules look at) and fed to Rollout.ObserveCounts. Only the
// devices whose order matters are simulated one by one.
//
// hawkBit (its documented rule): groups of the same sizes as Siegel's waves; a group's error
// share is its reported errors divided by the whole group's size, and at -hawkbit-error or
// more the rollout is paused (a halt); the next group starts when the group's reported
// successes reach -hawkbit-success of its size. Success is recorded when the device reports the
// installation, before its reboot, so a device that bricks at its reboot counts as a success;
// devices that never report are not timed out.
//
// Mender: phases of 5 %, 15 % and 80 % of the fleet, started two days apart. Mender itself
// never halts; abort is manual. The operator modelled looks once a day and aborts when the
// reported failures reach -mender-abort of the devices that have reported.
package main

import (
	"container/heap"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/siegel-oss/siegel/internal/rollout"
)

type config struct {
	fleet          int
	runs           int
	seed           uint64
	silent         float64
	delayMedian    time.Duration
	delaySigma     float64
	hawkbitError   float64
	hawkbitSuccess float64
	menderAbort    float64
	waves          []rollout.WaveSpec
}

func main() {
	var c config
	var ps, waves string
	flag.IntVar(&c.fleet, "fleet", 1_000_000, "devices in the fleet")
	flag.IntVar(&c.runs, "runs", 10_000, "simulated rollouts per failure probability")
	flag.Uint64Var(&c.seed, "seed", 1, "seed of the simulation's random numbers")
	flag.StringVar(&ps, "p", "0.005,0.01,0.05,0.2,1", "failure probabilities, comma-separated")
	flag.Float64Var(&c.silent, "silent", 0.5, "share of failures that are silent (a probability of 1 is always all silent)")
	flag.DurationVar(&c.delayMedian, "delay-median", 15*time.Minute, "median time from assignment to a device's report")
	flag.Float64Var(&c.delaySigma, "delay-sigma", 0.5, "spread (log-normal sigma) of the report delay")
	flag.StringVar(&waves, "waves", "100,1000,10000,100000", "Siegel's waves (counts; the rest of the fleet follows), also hawkBit's groups")
	flag.Float64Var(&c.hawkbitError, "hawkbit-error", 0.2, "hawkBit error threshold (errors / group size)")
	flag.Float64Var(&c.hawkbitSuccess, "hawkbit-success", 0.8, "hawkBit success threshold that starts the next group")
	flag.Float64Var(&c.menderAbort, "mender-abort", 0.2, "reported failure share at which the Mender operator aborts")
	flag.Parse()
	for _, w := range strings.Split(waves, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(w))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "rollout: -waves %q: want counts above 0\n", waves)
			os.Exit(2)
		}
		c.waves = append(c.waves, rollout.WaveSpec{Count: n})
	}
	var probs []float64
	for _, s := range strings.Split(ps, ",") {
		p, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || p < 0 || p > 1 {
			fmt.Fprintf(os.Stderr, "rollout: -p %q: want probabilities in [0, 1]\n", ps)
			os.Exit(2)
		}
		probs = append(probs, p)
	}
	if err := run(c, probs); err != nil {
		fmt.Fprintln(os.Stderr, "rollout:", err)
		os.Exit(1)
	}
}

func run(c config, probs []float64) error {
	start := time.Now()
	plan, err := rollout.NewPlan(rollout.PlanRequest{
		Rollout: "sim", Version: "2", Waves: c.waves, Gate: rollout.DefaultGate(), Seed: c.seed,
	}, syntheticFleet(c.fleet))
	if err != nil {
		return err
	}
	g := plan.Gate
	fmt.Printf("fleet %d devices, %d strata; %d runs per p; seed %d\n", plan.Fleet, len(plan.Strata), c.runs, c.seed)
	fmt.Printf("Siegel: waves %s; SPRT p0 %g p1 %g alpha %g beta %g, failure cap %d, wave budget %g; deadline %s; exposure bound %d (limit %d)\n",
		sizes(plan), g.P0, g.P1, g.Alpha, g.Beta, g.MaxFailures, g.WaveAlpha, plan.Deadlines.Default.Allowed(), plan.ExposureBound, plan.ExposureLimit)
	fmt.Printf("hawkBit: groups as Siegel's waves, error threshold %g of the group, next group at %g successes; Mender: 5/15/80 %% two days apart, operator aborts at %g reported failures, checking daily\n",
		c.hawkbitError, c.hawkbitSuccess, c.menderAbort)
	fmt.Printf("failures silent: %g (p = 100 %% is run all silent and all loud); report delay log-normal, median %s, sigma %g\n\n", c.silent, c.delayMedian, c.delaySigma)
	fmt.Printf("%-11s | %-39s | %-22s | %-22s\n", "", "Siegel", "hawkBit", "Mender")
	fmt.Printf("%-11s | %7s %10s %8s %10s | %7s %14s | %7s %14s\n", "p", "halt", "exposed", "max", "hours", "halt", "exposed", "halt", "exposed")
	type row struct {
		label     string
		p, silent float64
	}
	var rows []row
	for _, p := range probs {
		switch {
		case p == 1:
			// A completely bad update: bricking silently is the case the bound is about;
			// reporting every failure is the baselines' best case.
			rows = append(rows, row{"100% silent", 1, 1}, row{"100% loud", 1, 0})
		default:
			rows = append(rows, row{fmt.Sprintf("%g%%", p*100), p, c.silent})
		}
	}
	var why, targets strings.Builder
	failed := false
	target := func(ok bool, format string, args ...any) {
		verdict := "met"
		if !ok {
			verdict, failed = "MISSED", true
		}
		fmt.Fprintf(&targets, "target "+format+": %s\n", append(args, verdict)...)
	}
	for i, rw := range rows {
		p, silent := rw.p, rw.silent
		rng := rand.New(rand.NewPCG(c.seed, uint64(i)))
		var s, h, m stats
		causes := map[string]int{}
		for range c.runs {
			halted, exposed, hours, cause, err := simulateSiegel(rng, plan, p, silent, c)
			if err != nil {
				return err
			}
			s.add(halted, exposed, hours)
			causes[cause]++
			halted, exposed = simulateHawkbit(rng, plan, p, silent, c)
			h.add(halted, exposed, 0)
			halted, exposed = simulateMender(rng, plan.Fleet, p, silent, c)
			m.add(halted, exposed, 0)
		}
		fmt.Printf("%-11s | %6.2f%% %10.1f %8d %10.2f | %6.2f%% %14.1f | %6.2f%% %14.1f\n",
			rw.label, s.haltPct(), s.meanExposed(), s.maxExposed, s.meanHours(),
			h.haltPct(), h.meanExposed(), m.haltPct(), m.meanExposed())
		switch {
		case p == g.P0:
			target(s.haltPct() <= 100*g.Alpha+0.5, "false halts at p0 = %g %% at most alpha + 0.5 points (%.2f %%): %.2f %%", 100*p, 100*g.Alpha+0.5, s.haltPct())
		case p == g.P1:
			target(100-s.haltPct() <= 100*g.Beta+1, "missed halts at p1 = %g %% at most beta + 1 point (%.2f %%): %.2f %%", 100*p, 100*g.Beta+1, 100-s.haltPct())
		case p == 1 && silent == 1:
			target(s.maxExposed <= 200, "a silently bricking update reaches at most 200 devices: at most %d", s.maxExposed)
		}
		exact, _ := g.Characteristic(p)
		fmt.Fprintf(&why, "%-11s   Siegel's halts by cause: sequential test %d, failure cap %d, wave failure limit %d (of %d runs); the test with its cap rejects with probability %.3f %% exactly\n",
			rw.label, causes[rollout.CauseSPRT], causes[rollout.CauseFailureCap], causes[rollout.CauseWaveLimit], c.runs, 100*exact)
	}
	fmt.Printf("\n%s\n%s", why.String(), targets.String())
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	fmt.Printf("%d simulated rollouts of each system in %.1f s wall, %.1f s CPU (one goroutine; the plan over the fleet included)\n",
		c.runs*len(rows), time.Since(start).Seconds(), cpu.Seconds())
	if failed {
		return fmt.Errorf("a target was missed")
	}
	return nil
}

func sizes(p rollout.Plan) string {
	var s []string
	for _, w := range p.Waves {
		s = append(s, strconv.Itoa(w.Size))
	}
	return strings.Join(s, " → ")
}

// syntheticFleet makes n devices in 4 hardware classes and 5 regions of unequal sizes.
func syntheticFleet(n int) []rollout.Device {
	classes := []string{"gw-a", "gw-a", "gw-a", "gw-b", "gw-b", "cam-1", "cam-2"}
	regions := []string{"eu-west", "eu-west", "eu-central", "us-east", "us-west", "ap-south"}
	fleet := make([]rollout.Device, n)
	for i := range fleet {
		fleet[i] = rollout.Device{ID: "dev-" + strconv.Itoa(i), HardwareClass: classes[i%len(classes)], Region: regions[(i/7)%len(regions)]}
	}
	return fleet
}

type stats struct {
	runs, halts int
	exposed     float64
	maxExposed  int
	hours       float64
}

func (s *stats) add(halted bool, exposed int, hours float64) {
	s.runs++
	if halted {
		s.halts++
	}
	s.exposed += float64(exposed)
	s.maxExposed = max(s.maxExposed, exposed)
	s.hours += hours
}

func (s *stats) haltPct() float64     { return 100 * float64(s.halts) / float64(s.runs) }
func (s *stats) meanExposed() float64 { return s.exposed / float64(s.runs) }
func (s *stats) meanHours() float64   { return s.hours / float64(s.runs) }

// event is one device's outcome at a time after the rollout's start.
type event struct {
	at       time.Duration
	position int
	success  bool
	reason   string
}

type events []event

func (e events) Len() int           { return len(e) }
func (e events) Less(i, j int) bool { return e[i].at < e[j].at }
func (e events) Swap(i, j int)      { e[i], e[j] = e[j], e[i] }
func (e *events) Push(x any)        { *e = append(*e, x.(event)) }
func (e *events) Pop() any {
	old := *e
	x := old[len(old)-1]
	*e = old[:len(old)-1]
	return x
}

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// simulateSiegel runs one rollout under plan and returns whether it halted, how many devices
// received the update, how many hours it took to halt or complete, and the halt's cause.
func simulateSiegel(rng *rand.Rand, plan rollout.Plan, p, silent float64, c config) (halted bool, exposed int, hours float64, cause string, err error) {
	allowed := plan.Deadlines.Default.Allowed()
	r, recs, err := rollout.Start(plan, t0, "sim", nil)
	if err != nil {
		return false, 0, 0, "", err
	}
	var queue events
	now := time.Duration(0)
	// handle acts on the releases among recs: device by device while the test is undecided,
	// in bulk once it has decided.
	var handle func(recs []rollout.Record) error
	handle = func(recs []rollout.Record) error {
		for _, rec := range recs {
			if rec.Halt != nil {
				cause = rec.Halt.Cause
			}
			if rec.Release == nil {
				continue
			}
			n, w := rec.Release.To-rec.Release.From, rec.Release.Wave
			if r.State().Test.Decision == rollout.Continue {
				for pos := rec.Release.From; pos < rec.Release.To; pos++ {
					heap.Push(&queue, deviceOutcome(rng, now, allowed, pos, p, silent, c))
				}
				continue
			}
			f := binomialUpTo(rng, n, p, plan.Waves[w].FailureLimit)
			now += allowed // a bulk wave is judged when its last deadline passes
			more, err := r.ObserveCounts(t0.Add(now), w, n-f, f)
			if err != nil {
				return err
			}
			if err := handle(more); err != nil {
				return err
			}
		}
		return nil
	}
	if err := handle(recs); err != nil {
		return false, 0, 0, "", err
	}
	for queue.Len() > 0 && r.State().Status == rollout.Running {
		e := heap.Pop(&queue).(event)
		now = max(now, e.at)
		more, err := r.Observe(t0.Add(now), rollout.Outcome{Position: e.position, Success: e.success, Reason: e.reason, At: t0.Add(e.at)})
		if err != nil {
			return false, 0, 0, "", err
		}
		if err := handle(more); err != nil {
			return false, 0, 0, "", err
		}
	}
	return r.State().Status == rollout.Halted, r.Released(), now.Hours(), cause, nil
}

// deviceOutcome draws the outcome of a device assigned at now.
func deviceOutcome(rng *rand.Rand, now, allowed time.Duration, pos int, p, silent float64, c config) event {
	if rng.Float64() < p {
		if rng.Float64() < silent {
			return event{at: now + allowed, position: pos, reason: rollout.ReasonSilent}
		}
		return event{at: now + reportDelay(rng, allowed, c), position: pos, reason: rollout.ReasonFailed}
	}
	return event{at: now + reportDelay(rng, allowed, c), position: pos, success: true, reason: rollout.ReasonHealthy}
}

// reportDelay draws a report delay shorter than the deadline.
func reportDelay(rng *rand.Rand, allowed time.Duration, c config) time.Duration {
	for {
		d := time.Duration(float64(c.delayMedian) * math.Exp(c.delaySigma*rng.NormFloat64()))
		if d < allowed {
			return d
		}
	}
}

// binomialUpTo draws the number of failures among n devices failing with probability p, but
// stops counting at limit: the gaps between failures are geometric.
func binomialUpTo(rng *rand.Rand, n int, p float64, limit int) int {
	switch {
	case p <= 0:
		return 0
	case p >= 1:
		return min(n, limit)
	}
	lq := math.Log1p(-p)
	count, pos := 0, -1
	for count < limit {
		pos += 1 + int(math.Log(1-rng.Float64())/lq)
		if pos >= n {
			break
		}
		count++
	}
	return count
}

// binomial draws a binomial(n, p) count: exactly (geometric gaps) for a small mean, by the
// normal approximation for a mean of 50 or more, where the baselines' thresholds lie many
// standard deviations away from where the approximation errs.
func binomial(rng *rand.Rand, n int, p float64) int {
	mean := float64(n) * p
	if mean < 50 || p >= 1 {
		return binomialUpTo(rng, n, p, n)
	}
	v := math.Round(mean + math.Sqrt(mean*(1-p))*rng.NormFloat64())
	return int(min(max(v, 0), float64(n)))
}

// simulateHawkbit applies hawkBit's threshold rule to groups of the plan's wave sizes.
func simulateHawkbit(rng *rand.Rand, plan rollout.Plan, p, silent float64, c config) (bool, int) {
	exposed := 0
	for _, w := range plan.Waves {
		n := w.Size
		exposed += n
		loud := binomial(rng, n, p*(1-silent)) // silent ones reported success before rebooting
		if float64(loud) >= c.hawkbitError*float64(n) {
			return true, exposed
		}
		if float64(n-loud) < c.hawkbitSuccess*float64(n) {
			return false, exposed // the group never reaches its success threshold: stalled
		}
	}
	return false, exposed
}

// simulateMender runs 5 %, 15 % and 80 % phases two days apart with a daily-checking operator.
func simulateMender(rng *rand.Rand, fleet int, p, silent float64, c config) (bool, int) {
	phases := []int{fleet * 5 / 100, fleet * 15 / 100}
	phases = append(phases, fleet-phases[0]-phases[1])
	var exposed, loud, reported int
	for i, n := range phases {
		exposed += n
		failed := binomial(rng, n, p)
		quiet := binomial(rng, failed, silent)
		loud += failed - quiet
		reported += n - quiet
		if i == len(phases)-1 {
			break
		}
		// The operator's daily look a day after the phase started (and again a day later,
		// seeing the same reports) decides before the next phase starts.
		if reported > 0 && float64(loud) >= c.menderAbort*float64(reported) {
			return true, exposed
		}
	}
	return false, exposed
}
