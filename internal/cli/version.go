package cli

import (
	"context"
	"fmt"
)

// versionCommand prints Siegel's own version; its subcommand compare orders package versions.
func versionCommand() *Command {
	return &Command{
		Name:    "version",
		Summary: "print Siegel's version, or compare package versions",
		Example: "siegel version\nsiegel version compare PyPI 1.0rc1 1.0",
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) > 0 {
				return usagef("unknown command %q; run 'siegel version --help'", "siegel version "+args[0])
			}
			_, err := fmt.Fprintf(env.Stdout, "siegel %s\n", buildVersion())
			return err
		},
		Sub: []*Command{versionCompareCommand()},
	}
}
