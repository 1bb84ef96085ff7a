// Command lab starts a lab of the labnet package (a device under test in network namespaces,
// running real daemons), prints its addresses and ground truth as JSON, and keeps it up until
// interrupted or until -for has passed; then it removes everything. Run it as root:
//
//	go run ./bench/lab -profile mirai
//
// With -check it instead starts the lab, runs nothing, removes it at once and prints how long
// the start took (the figure for "seconds per lab start"). With -exec it runs a shell command
// while the lab is up and removes the lab when the command ends; the command finds the lab in
// its environment: LAB_LAN, LAB_WAN, LAB_WAN6 (the device's addresses), LAB_TRUTH (a file with
// the JSON printed otherwise), LAB_DIR, LAB_NAMESPACE and LAB_PROFILE. For example:
//
//	go run ./bench/lab -profile mirai -exec 'nmap -n -Pn -p- $LAB_LAN $LAB_WAN; testssl --protocols $LAB_LAN:443'
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/siegel-oss/siegel/internal/lab/labnet"
)

func main() {
	profile := flag.String("profile", "mirai", "device profile: mirai or hardened")
	hold := flag.Duration("for", 0, "keep the lab up this long (0: until interrupted)")
	check := flag.Bool("check", false, "start the lab, print the start time and remove it")
	command := flag.String("exec", "", "run this shell command while the lab is up, then remove the lab")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, log, labnet.Profile(*profile), *hold, *check, *command))
}

func run(ctx context.Context, log *slog.Logger, profile labnet.Profile, hold time.Duration, check bool, command string) int {
	if err := labnet.Available(profile); err != nil {
		log.Error("lab unavailable", "err", err)
		return 1
	}
	start := time.Now()
	l, err := labnet.Launch(ctx, profile, labnet.Options{Logger: log})
	if err != nil {
		log.Error("start lab", "err", err)
		return 1
	}
	took := time.Since(start)
	defer func() {
		if err := l.Close(); err != nil {
			log.Error("stop lab", "err", err)
		}
	}()
	if check {
		fmt.Printf("profile=%s start=%s\n", profile, took.Round(time.Millisecond))
		return 0
	}
	out := map[string]any{
		"profile": profile, "lan": l.LAN, "wan": l.WAN, "wan6": l.WAN6,
		"tester_lan": l.TesterLAN, "tester_wan": l.TesterWAN, "tester_wan6": l.TesterWAN6,
		"allow": l.Allow(), "dut_namespace": l.DUTNamespace, "dir": l.Dir, "start": took.String(),
		"truth": l.Truth,
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		log.Error("encode", "err", err)
		return 1
	}
	if command != "" {
		return runCommand(ctx, log, l, b, command)
	}
	os.Stdout.Write(append(b, '\n'))
	if hold > 0 {
		select {
		case <-ctx.Done():
		case <-time.After(hold):
		}
	} else {
		<-ctx.Done()
	}
	return 0
}

// runCommand runs the shell command with the lab in its environment and returns its exit code.
func runCommand(ctx context.Context, log *slog.Logger, l *labnet.Lab, truthJSON []byte, command string) int {
	truth := filepath.Join(l.Dir, "truth.json")
	if err := os.WriteFile(truth, truthJSON, 0o644); err != nil {
		log.Error("write truth", "err", err)
		return 1
	}
	cmd := exec.CommandContext(ctx, "sh", "-c", command)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), "LAB_LAN="+l.LAN.String(), "LAB_WAN="+l.WAN.String(), "LAB_WAN6="+l.WAN6.String(),
		"LAB_TRUTH="+truth, "LAB_DIR="+l.Dir, "LAB_NAMESPACE="+l.DUTNamespace, "LAB_PROFILE="+string(l.Profile))
	if err := cmd.Run(); err != nil {
		log.Error("command", "err", err)
		if cmd.ProcessState != nil && cmd.ProcessState.ExitCode() > 0 {
			return cmd.ProcessState.ExitCode()
		}
		return 1
	}
	return 0
}
