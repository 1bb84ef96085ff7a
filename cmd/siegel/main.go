// Command siegel makes the security of software products and connected devices measurable,
// provable and enforceable. See README.md for a tour.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/siegel-oss/siegel/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
