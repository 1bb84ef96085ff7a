// Command lab starts a lab of the labnet package (a device under test in network namespaces,
// running real daemons), prints its addresses and ground truth as JSON, and keeps it up until
// interrupted or until -for has passed; then it removes everything. Run it as root:
//
//	go run ./bench/lab -profile mirai
//
// With -check it instead starts the lab, runs nothing, removes it at once and prints how long
// the start took (the figure for "seconds per lab start").
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/siegel-oss/siegel/internal/lab/labnet"
)

func main() {
	profile := flag.String("profile", "mirai", "device profile: mirai or hardened")
	hold := flag.Duration("for", 0, "keep the lab up this long (0: until interrupted)")
	check := flag.Bool("check", false, "start the lab, print the start time and remove it")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, log, labnet.Profile(*profile), *hold, *check))
}

func run(ctx context.Context, log *slog.Logger, profile labnet.Profile, hold time.Duration, check bool) int {
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
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		log.Error("print", "err", err)
		return 1
	}
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
