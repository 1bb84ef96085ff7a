package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/agent"
	"github.com/siegel-oss/siegel/internal/rollout/repo"
	"github.com/siegel-oss/siegel/internal/server"
)

func agentCommand() *Command {
	var server, tokenFile, rootFile, dir, hw, version, health string
	var interval time.Duration
	var once bool
	return &Command{
		Name:    "agent",
		Summary: "the reference device agent: fetch, verify (TUF), install A/B and report updates",
		Help: `Runs on a device: polls --server for an assignment every --interval, verifies the product's TUF
metadata from the trusted root (--root, the 1.root.json of 'siegel rollout init') and the target's
length and hashes, refuses a release counter below the installed one, installs into the inactive
of two slots under --dir, switches to it and runs --health-command (with SIEGEL_VERSION set);
if that fails, it falls back to the other slot. It reports downloaded, installed, booted (with
the running version and the health verdict) or failed with a typed reason (tuf-rollback,
tuf-freeze, tuf-mix-and-match, tuf-endless-data, tuf-wrong-hash, tuf-unknown-target,
tuf-signature, release-counter, ...). The device token is read from --token-file or
$SIEGEL_DEVICE_TOKEN. --once takes one step and exits (1 when the update was refused).`,
		Example: "siegel agent --server https://updates.acme.example --token-file /etc/siegel/token --root /etc/siegel/root.json --dir /var/lib/siegel-agent --hardware-class hr-2 --version 4.2.0",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&server, "server", "", "the Siegel server's URL (required)")
			fs.StringVar(&tokenFile, "token-file", "", "file holding the device token (default: $SIEGEL_DEVICE_TOKEN)")
			fs.StringVar(&rootFile, "root", "", "trusted root metadata of the product's repository (required)")
			fs.StringVar(&dir, "dir", "", "state directory: slots, trusted metadata (required)")
			fs.StringVar(&hw, "hardware-class", "", "this device's hardware class (required)")
			fs.StringVar(&version, "version", "", "factory version, used on the first run")
			fs.StringVar(&health, "health-command", "", "command checking the system after an update (exit 0: healthy)")
			fs.DurationVar(&interval, "interval", 30*time.Second, "time between polls")
			fs.BoolVar(&once, "once", false, "take one step and exit")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 || server == "" || rootFile == "" || dir == "" || hw == "" {
				return usagef("agent needs --server, --root, --dir and --hardware-class")
			}
			token := env.Getenv("SIEGEL_DEVICE_TOKEN")
			if tokenFile != "" {
				b, err := os.ReadFile(tokenFile)
				if err != nil {
					return fmt.Errorf("device token: %w", err)
				}
				token = strings.TrimSpace(string(b))
			}
			if token == "" {
				return usagef("give the device token with --token-file or $SIEGEL_DEVICE_TOKEN")
			}
			root, err := os.ReadFile(rootFile)
			if err != nil {
				return fmt.Errorf("trusted root: %w", err)
			}
			cfg := agent.Config{Server: server, Token: token, Dir: dir, Root: root, HardwareClass: hw, Version: version, Now: env.Now, Log: env.Log}
			if health != "" {
				fields := strings.Fields(health)
				cfg.Health = func(ctx context.Context, v string) error {
					cmd := exec.CommandContext(ctx, fields[0], fields[1:]...)
					cmd.Env = append(os.Environ(), "SIEGEL_VERSION="+v)
					cmd.Stdout, cmd.Stderr = env.Stderr, env.Stderr
					return cmd.Run()
				}
			}
			a, err := agent.New(cfg)
			if err != nil {
				return err
			}
			if once {
				err := a.Step(ctx)
				fmt.Fprintf(env.Stdout, "running %s\n", a.Running().Version)
				return err
			}
			err = a.Run(ctx, interval)
			if errors.Is(err, agent.ErrBricked) {
				return err
			}
			return nil
		},
	}
}

// rolloutConfig reads the server's rollout settings: the targets key file (flag, else
// $SIEGEL_ROLLOUT_TARGETS_KEY_FILE; none disables publishing and automatic rollbacks).
func rolloutConfig(env *Env, keyFile string, tick time.Duration) (server.RolloutConfig, error) {
	if keyFile == "" {
		keyFile = env.Getenv("SIEGEL_ROLLOUT_TARGETS_KEY_FILE")
	}
	cfg := server.RolloutConfig{Tick: tick}
	if keyFile == "" {
		return cfg, nil
	}
	k, err := repo.ReadKeyFile(keyFile)
	if err != nil {
		return cfg, err
	}
	cfg.TargetsKey = k
	return cfg, nil
}
