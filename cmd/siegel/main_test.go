package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/siegel-oss/siegel/internal/cli"
)

// TestMain lets the testscript files run "siegel" as a command in this test binary, and
// "siegel-exit N ARGS..." which runs siegel ARGS and succeeds only if it exits with code N, so that
// scripts can assert the exact exit code (testscript's "! exec" accepts any failure).
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"siegel": func() {
			os.Exit(cli.Run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
		},
		"siegel-exit": func() {
			if len(os.Args) < 2 {
				fmt.Fprintln(os.Stderr, "usage: siegel-exit CODE ARGS...")
				os.Exit(2)
			}
			want, err := strconv.Atoi(os.Args[1])
			if err != nil {
				fmt.Fprintln(os.Stderr, "siegel-exit: bad code:", err)
				os.Exit(2)
			}
			got := cli.Run(context.Background(), os.Args[2:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
			if got != want {
				fmt.Fprintf(os.Stderr, "siegel-exit: exit code %d, want %d\n", got, want)
				os.Exit(1)
			}
			os.Exit(0)
		},
	})
}

// TestScripts runs the end-to-end command-line tests in testdata/script/*.txtar.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("SOURCE_DATE_EPOCH", "1767225600") // 2026-01-01T00:00:00Z
			return nil
		},
	})
}
