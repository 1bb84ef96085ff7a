package cli

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/rollout"
	"github.com/siegel-oss/siegel/internal/rollout/delivery"
	"github.com/siegel-oss/siegel/internal/rollout/repo"
	"github.com/siegel-oss/siegel/internal/store"
)

// rolloutDeliveryCommands are the commands that publish updates and run rollouts against the
// store (the server judges reports and deadlines).
func rolloutDeliveryCommands() []*Command {
	return []*Command{rolloutInitCommand(), rolloutPublishCommand(), rolloutDevicesCommand(), rolloutPlanCommand(), rolloutStatusCommand(),
		rolloutControlCommand("pause"), rolloutControlCommand("resume"), rolloutControlCommand("abort")}
}

// rolloutFlags are the flags every rollout command shares.
type rolloutFlags struct {
	data, database, org, product string
}

func (f *rolloutFlags) register(fs *flag.FlagSet, product bool) {
	caseStoreFlags(fs, &f.data, &f.database, &f.org)
	if product {
		fs.StringVar(&f.product, "product", "", "product name or id (required)")
	}
}

// open opens the store and resolves the organization and, when asked for, the product.
func (f *rolloutFlags) open(ctx context.Context, env *Env, needProduct bool) (*store.DB, *store.Organization, *store.Product, error) {
	if needProduct && f.product == "" {
		return nil, nil, nil, usagef("--product is required")
	}
	st, o, err := caseStore(ctx, env, f.data, f.database, f.org)
	if err != nil {
		return nil, nil, nil, err
	}
	if !needProduct {
		return st, o, nil, nil
	}
	ps, err := st.Products(ctx, o.ID)
	if err != nil {
		st.Close()
		return nil, nil, nil, err
	}
	for i := range ps {
		if ps[i].Name == f.product || strconv.FormatInt(ps[i].ID, 10) == f.product {
			return st, o, &ps[i], nil
		}
	}
	st.Close()
	return nil, nil, nil, fmt.Errorf("organization %s has no product %q", o.Name, f.product)
}

func readKeys(paths string) ([]ed25519.PrivateKey, error) {
	var keys []ed25519.PrivateKey
	for _, p := range strings.Split(paths, ",") {
		k, err := repo.ReadKeyFile(strings.TrimSpace(p))
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// keyOrNew reads a key file, or creates it with a fresh key when create is set and it does not
// exist.
func keyOrNew(path string, create bool) (ed25519.PrivateKey, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) && create {
		return repo.WriteNewKeyFile(path)
	}
	return repo.ReadKeyFile(path)
}

func rolloutInitCommand() *Command {
	var f rolloutFlags
	var rootKeys, targetsKey, rootOut string
	var threshold int
	var create bool
	return &Command{
		Name:    "init",
		Summary: "create a product's signed update repository (TUF)",
		Help: `Creates the product's TUF repository: root metadata signed by every --root-key (its threshold:
--threshold, default all of them), a targets key (--targets-key) and an online snapshot and
timestamp key, which is kept in the store and re-signs before expiry. Root and targets keys are
Ed25519 PKCS #8 PEM files; keep the root keys offline (they sign only root metadata), and give the
targets key to 'siegel serve --rollout-targets-key' and 'siegel rollout publish'. --create makes
missing key files (mode 0600).

Writes the trusted root (1.root.json) to --root-out: ship it with every device; the agent trusts
nothing else.`,
		Example: "siegel rollout init --org ACME --product HomeRouter --root-key root1.pem,root2.pem --threshold 2 --targets-key targets.pem --create --root-out root.json",
		Flags: func(fs *flag.FlagSet) {
			f.register(fs, true)
			fs.StringVar(&rootKeys, "root-key", "", "root key files, comma-separated (required)")
			fs.IntVar(&threshold, "threshold", 0, "signatures root metadata needs (default: every root key)")
			fs.StringVar(&targetsKey, "targets-key", "", "targets key file (required)")
			fs.BoolVar(&create, "create", false, "create key files that do not exist")
			fs.StringVar(&rootOut, "root-out", "", "write the trusted root metadata here (default: standard output)")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 || rootKeys == "" || targetsKey == "" {
				return usagef("init needs --root-key FILES and --targets-key FILE, and no arguments")
			}
			var roots []ed25519.PrivateKey
			for _, p := range strings.Split(rootKeys, ",") {
				k, err := keyOrNew(strings.TrimSpace(p), create)
				if err != nil {
					return err
				}
				roots = append(roots, k)
			}
			tk, err := keyOrNew(targetsKey, create)
			if err != nil {
				return err
			}
			st, o, p, err := f.open(ctx, env, true)
			if err != nil {
				return err
			}
			defer st.Close()
			root, err := (&delivery.Service{Store: st, Now: env.Now}).Init(ctx, o.ID, p.ID, roots, threshold, tk)
			if err != nil {
				return err
			}
			if rootOut == "" {
				_, err = env.Stdout.Write(append(root, '\n'))
				return err
			}
			return os.WriteFile(rootOut, root, 0o644)
		},
	}
}

func rolloutPublishCommand() *Command {
	var f rolloutFlags
	var targetsKey, version, hw, contentType, reference, name string
	var length int64
	return &Command{
		Name:    "publish",
		Args:    "[FILE]",
		Summary: "add an update artifact to the product's signed repository",
		Help: `Publishes FILE (or, with --reference NAME@sha256:HEX and --length, an artifact kept in an OCI
registry) as version --version for devices of --hardware-class: a new target with the next
release counter of the class, signed into new targets, snapshot and timestamp metadata.
--content-type says what it is: code (default), configuration or "signature data"; content
updates go through the same repository, plans and gates as code. Prints the target as JSON.`,
		Example: "siegel rollout publish --org ACME --product HomeRouter --targets-key targets.pem --version 4.3.0 --hardware-class hr-2 firmware-4.3.0.bin",
		Flags: func(fs *flag.FlagSet) {
			f.register(fs, true)
			fs.StringVar(&targetsKey, "targets-key", "", "targets key file (required)")
			fs.StringVar(&version, "version", "", "the version (required)")
			fs.StringVar(&hw, "hardware-class", "", "the hardware class the artifact is for (required)")
			fs.StringVar(&contentType, "content-type", repo.ContentCode, "code, configuration or \"signature data\"")
			fs.StringVar(&reference, "reference", "", "OCI-style reference NAME@sha256:HEX instead of a FILE")
			fs.Int64Var(&length, "length", 0, "the referenced artifact's length in bytes (with --reference)")
			fs.StringVar(&name, "name", "", "file name in the repository (default: FILE's base name, or 'artifact')")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if targetsKey == "" || version == "" || hw == "" || (len(args) == 1) == (reference != "") || len(args) > 1 {
				return usagef("publish needs --targets-key, --version, --hardware-class and either FILE or --reference")
			}
			tk, err := repo.ReadKeyFile(targetsKey)
			if err != nil {
				return err
			}
			var content []byte
			if len(args) == 1 {
				r, err := openInput(env, args[0])
				if err != nil {
					return err
				}
				content, err = input.ReadAll(args[0], r, input.Limits{MaxBytes: 4 << 30})
				r.Close()
				if err != nil {
					return err
				}
				if name == "" {
					name = baseName(args[0])
				}
			}
			if name == "" {
				name = "artifact"
			}
			st, o, p, err := f.open(ctx, env, true)
			if err != nil {
				return err
			}
			defer st.Close()
			pub, err := (&delivery.Service{Store: st, TargetsKey: tk, Now: env.Now}).Publish(ctx, o.ID, p.ID,
				repo.Artifact{Name: name, Version: version, HardwareClass: hw, ContentType: contentType, Reference: reference, Length: length}, content)
			if err != nil {
				return err
			}
			return printJSON(env, pub)
		},
	}
}

func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}

func printJSON(env *Env, v any) error {
	enc := json.NewEncoder(env.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func rolloutDevicesCommand() *Command {
	var f rolloutFlags
	var file string
	return &Command{
		Name:    "devices",
		Summary: "enroll devices from a CSV file, or list the fleet",
		Help: `With --enroll FILE (CSV: name,hardware class,region,installed version; "-" for standard input)
enrolls the devices and prints each one's token (name<TAB>id<TAB>token): give it to the device's
agent, it is not shown again. Without it, lists the fleet.`,
		Example: "siegel rollout devices --org ACME --product HomeRouter --enroll fleet.csv > tokens.tsv",
		Flags: func(fs *flag.FlagSet) {
			f.register(fs, true)
			fs.StringVar(&file, "enroll", "", "CSV of devices to enroll")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 {
				return usagef("devices takes no arguments")
			}
			st, o, p, err := f.open(ctx, env, true)
			if err != nil {
				return err
			}
			defer st.Close()
			if file == "" {
				ds, err := st.Devices(ctx, p.ID)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tNAME\tHARDWARE CLASS\tREGION\tVERSION\tLAST SEEN")
				for _, d := range ds {
					seen := "-"
					if !d.LastSeen.IsZero() {
						seen = d.LastSeen.Format("2006-01-02T15:04:05Z")
					}
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", d.ID, d.Name, d.HardwareClass, d.Region, d.Version, seen)
				}
				return tw.Flush()
			}
			r, err := openInput(env, file)
			if err != nil {
				return err
			}
			data, err := input.ReadAll(file, r, input.Limits{MaxBytes: 64 << 20})
			r.Close()
			if err != nil {
				return err
			}
			var nds []store.NewDevice
			for i, line := range strings.Split(string(data), "\n") {
				line = strings.TrimSpace(line)
				if line == "" || strings.HasPrefix(line, "#") {
					continue
				}
				fs := strings.Split(line, ",")
				if len(fs) != 4 {
					return fmt.Errorf("%s:%d: want name,hardware class,region,installed version", file, i+1)
				}
				nds = append(nds, store.NewDevice{Name: strings.TrimSpace(fs[0]), HardwareClass: strings.TrimSpace(fs[1]), Region: strings.TrimSpace(fs[2]), Version: strings.TrimSpace(fs[3])})
			}
			ds, toks, err := st.AddDevices(ctx, o.ID, p.ID, nds)
			if err != nil {
				return err
			}
			for i, d := range ds {
				fmt.Fprintf(env.Stdout, "%s\t%d\t%s\n", d.Name, d.ID, toks[i])
			}
			return nil
		},
	}
}

func rolloutPlanCommand() *Command {
	var f rolloutFlags
	var version, waves, preflight string
	var p0, p1, alpha, beta float64
	var maxFailures, limit int
	return &Command{
		Name:    "plan",
		Summary: "plan and start a rollout; prints its exposure bound",
		Help: `Plans a rollout of --version over the product's devices that run another version and whose
hardware class has it published: --waves sizes, comma-separated, each a count or a percentage
of the fleet (the first is the canary; a last wave takes the rest), devices drawn at random within
strata of hardware class and region. The gate is Wald's sequential test on the devices'
outcomes (--p0, --p1, --alpha, --beta) with a cap on failures; a device that has not booted the
new version healthily by its deadline counts as failed.

Prints the plan's exposure bound: how many devices a completely bad update could reach before the
gates halt it. A plan above --exposure-limit (default: 0.1 % of the fleet or 1,000 devices,
whichever is smaller) is refused (exit 3). --preflight runs a command on the artifact
(COMMAND ARGS...; the artifact's path is appended) before wave 1; a failure halts the rollout.`,
		Example: "siegel rollout plan --org ACME --product HomeRouter --version 4.3.0 --waves 10,1%,10%",
		Flags: func(fs *flag.FlagSet) {
			f.register(fs, true)
			g := rollout.DefaultGate()
			fs.StringVar(&version, "version", "", "the version to roll out (required)")
			fs.StringVar(&waves, "waves", "", "wave sizes: counts or percentages, comma-separated (required)")
			fs.Float64Var(&p0, "p0", g.P0, "failure rate of a good update")
			fs.Float64Var(&p1, "p1", g.P1, "failure rate of a bad update")
			fs.Float64Var(&alpha, "alpha", g.Alpha, "chance of halting a good update")
			fs.Float64Var(&beta, "beta", g.Beta, "chance of passing a bad update")
			fs.IntVar(&maxFailures, "max-failures", g.MaxFailures, "failures that halt whatever the test says")
			fs.IntVar(&limit, "exposure-limit", 0, "highest exposure bound accepted (default min(0.1 % of the fleet, 1000))")
			fs.StringVar(&preflight, "preflight", "", "pre-flight check command run on the artifact before wave 1")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 || version == "" || waves == "" {
				return usagef("plan needs --version and --waves, and no arguments")
			}
			var specs []rollout.WaveSpec
			for _, w := range strings.Split(waves, ",") {
				w = strings.TrimSpace(w)
				if pct, ok := strings.CutSuffix(w, "%"); ok {
					v, err := strconv.ParseFloat(pct, 64)
					if err != nil {
						return usagef("--waves %q: %q is not a percentage", waves, w)
					}
					specs = append(specs, rollout.WaveSpec{Percent: v})
					continue
				}
				n, err := strconv.Atoi(w)
				if err != nil {
					return usagef("--waves %q: %q is not a count or a percentage", waves, w)
				}
				specs = append(specs, rollout.WaveSpec{Count: n})
			}
			g := rollout.DefaultGate()
			g.P0, g.P1, g.Alpha, g.Beta, g.MaxFailures = p0, p1, alpha, beta, maxFailures
			in := delivery.PlanInput{Version: version, Waves: specs, Gate: &g, ExposureLimit: limit}
			st, o, p, err := f.open(ctx, env, true)
			if err != nil {
				return err
			}
			defer st.Close()
			svc := &delivery.Service{Store: st, Now: env.Now, Log: env.Log}
			if preflight != "" {
				res, err := preflightArtifact(ctx, st, p.ID, version, strings.Fields(preflight))
				if err != nil {
					return err
				}
				in.Preflight, in.PreflightRun = &rollout.Preflight{Command: strings.Fields(preflight)}, res
			}
			ro, plan, err := svc.Plan(ctx, o.ID, p.ID, in, "cli")
			var ee *rollout.ExposureError
			if errors.As(err, &ee) {
				fmt.Fprintf(env.Stdout, "exposure bound: %d devices (limit %d)\n", ee.Bound, ee.Limit)
				return fmt.Errorf("%w: plan refused: %v", ErrPolicy, err)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "rollout %d: version %s to %d devices in %d waves\nexposure bound: %d devices (limit %d)\n",
				ro.ID, plan.Version, plan.Fleet, len(plan.Waves), plan.ExposureBound, plan.ExposureLimit)
			return nil
		},
	}
}

func rolloutStatusCommand() *Command {
	var f rolloutFlags
	var asJSON bool
	return &Command{
		Name:    "status",
		Args:    "[ROLLOUT]",
		Summary: "show a rollout's waves, counts and gate, or list the product's rollouts",
		Example: "siegel rollout status --org ACME 12",
		Flags: func(fs *flag.FlagSet) {
			f.register(fs, true)
			fs.BoolVar(&asJSON, "json", false, "print JSON")
			// --product is needed only to list
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) > 1 {
				return usagef("status takes at most one ROLLOUT")
			}
			st, o, prod, err := f.open(ctx, env, len(args) == 0)
			if err != nil {
				return err
			}
			defer st.Close()
			if len(args) == 0 {
				p := prod.ID
				rs, err := st.Rollouts(ctx, o.ID, p)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tKIND\tVERSION\tSTATUS\tREASON")
				for _, r := range rs {
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", r.ID, r.Kind, r.Version, r.Status, r.Reason)
				}
				return tw.Flush()
			}
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return usagef("ROLLOUT is a number")
			}
			s, err := (&delivery.Service{Store: st, Now: env.Now}).Status(ctx, o.ID, id)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(env, s)
			}
			fmt.Fprintf(env.Stdout, "rollout %d (%s) of version %s: %s", s.ID, s.Kind, s.Version, s.Status)
			if s.Reason != "" {
				fmt.Fprintf(env.Stdout, ": %s", s.Reason)
			}
			last := 0.0
			if len(s.Path) > 0 {
				last = s.Path[len(s.Path)-1].LLR
			}
			fmt.Fprintf(env.Stdout, "\nexposure bound %d devices (limit %d); sequential test: %s, log-likelihood ratio %.3f between %.3f and %.3f\n",
				s.Plan.ExposureBound, s.Plan.ExposureLimit, s.Decision, last, s.Lower, s.Upper)
			tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "WAVE\tSIZE\tRELEASED\tDOWNLOADED\tINSTALLED\tSUCCEEDED\tFAILED\tOPEN")
			for _, w := range s.Waves {
				fmt.Fprintf(tw, "%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n", w.Wave+1, w.Size, w.Released, w.Downloaded, w.Installed, w.Succeeded, w.Failed, w.Open)
			}
			return tw.Flush()
		},
	}
}

func rolloutControlCommand(action string) *Command {
	var f rolloutFlags
	var reason, targetsKey string
	summary := map[string]string{"pause": "pause a rollout: no new releases until resumed",
		"resume": "resume a paused rollout", "abort": "abort a rollout: it halts and is rolled back"}[action]
	return &Command{
		Name:    action,
		Args:    "ROLLOUT",
		Summary: summary,
		Example: fmt.Sprintf("siegel rollout %s --org ACME --reason 'support hotline reports reboots' 12", action),
		Flags: func(fs *flag.FlagSet) {
			f.register(fs, false)
			fs.StringVar(&reason, "reason", "", "why (required; recorded in the ledger)")
			if action == "abort" {
				fs.StringVar(&targetsKey, "targets-key", "", "targets key file, to sign the rollback")
			}
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 || reason == "" {
				return usagef("%s needs ROLLOUT and --reason", action)
			}
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return usagef("ROLLOUT is a number")
			}
			svc := &delivery.Service{Now: env.Now, Log: env.Log}
			if targetsKey != "" {
				if svc.TargetsKey, err = repo.ReadKeyFile(targetsKey); err != nil {
					return err
				}
			}
			st, o, _, err := f.open(ctx, env, false)
			if err != nil {
				return err
			}
			defer st.Close()
			svc.Store = st
			if err := svc.Control(ctx, o.ID, id, action, reason, "cli"); err != nil {
				return err
			}
			s, err := svc.Status(ctx, o.ID, id)
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "rollout %d: %s\n", s.ID, s.Status)
			return nil
		},
	}
}

// preflightArtifact runs a pre-flight command on the artifact of version (the first hardware
// class's, written to a temporary file).
func preflightArtifact(ctx context.Context, st *store.DB, product int64, version string, cmd []string) (*rollout.PreflightResult, error) {
	rf, err := st.Repository(ctx, product)
	if err != nil {
		return nil, err
	}
	r, err := repo.Load(rf.Root, rf.Targets, rf.Snapshot, rf.Timestamp, repo.DefaultExpiry)
	if err != nil {
		return nil, err
	}
	for p, tf := range r.Targets.Signed.Targets {
		rel, err := repo.ReleaseOf(tf)
		if err != nil || rel.Version != version || rel.RollbackOf != "" {
			continue
		}
		data, err := st.TUFBlobContent(ctx, product, fmt.Sprintf("%x", []byte(tf.Hashes["sha256"])))
		if err != nil {
			return nil, fmt.Errorf("pre-flight: artifact %s: %w", p, err)
		}
		tmp, err := os.CreateTemp("", "siegel-preflight-*")
		if err != nil {
			return nil, err
		}
		defer os.Remove(tmp.Name())
		if _, err := tmp.Write(data); err != nil {
			tmp.Close()
			return nil, err
		}
		tmp.Close()
		res := rollout.RunPreflight(ctx, rollout.Preflight{Command: cmd}, tmp.Name(), p)
		return &res, nil
	}
	return nil, fmt.Errorf("pre-flight: version %s is not published", version)
}
