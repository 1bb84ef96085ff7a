package cli

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"
)

// rootCommand returns the command tree. Each command lives in its own file.
func rootCommand() *Command {
	root := &Command{
		Name:    "siegel",
		Summary: "measurable, provable and enforceable security for software products and devices",
		Help: `Siegel inventories the components of product releases (SBOMs, lockfiles, root filesystems),
checks SBOMs against BSI TR-03183-2, and compares versions under each ecosystem's rules.

Results go to standard output, logs to standard error (SIEGEL_LOG_LEVEL=debug|info|warn|error).
Exit codes: 0 ok, 1 error, 2 usage, 3 policy violation (see --fail-on).`,
		Example: `siegel sbom ./my-product > my-product.cdx.json
siegel sbom validate --fail-on incomplete my-product.cdx.json
siegel help sbom convert`,
	}
	root.Sub = []*Command{
		sbomCommand(),
		scanCommand(),
		firmwareCommand(),
		labCommand(),
		dbCommand(),
		serveCommand(),
		tokenCommand(),
		userCommand(),
		orgCommand(),
		pushCommand(),
		backupCommand(),
		caseCommand(),
		advisoryCommand(),
		ledgerCommand(),
		labelCommand(),
		authorityCommand(),
		rolloutCommand(),
		whereUsedCommand(),
		agentCommand(),
		versionCommand(),
		helpCommand(root),
	}
	return root
}

// helpCommand prints the help of any command: "siegel help sbom convert".
func helpCommand(root *Command) *Command {
	return &Command{
		Name:    "help",
		Args:    "[COMMAND...]",
		Summary: "show help for a command",
		Example: "siegel help sbom validate",
		Run: func(ctx context.Context, env *Env, args []string) error {
			cmd, path := root, []string{"siegel"}
			for _, a := range args {
				sub := cmd.find(a)
				if sub == nil {
					return usagef("unknown command %q; run 'siegel --help' for the list", strings.Join(append(path, a), " "))
				}
				cmd, path = sub, append(path, a)
			}
			printHelp(env.Stdout, cmd, path)
			return nil
		},
	}
}

// buildVersion returns the module version and VCS revision the binary was built from.
func buildVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := info.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = "+dirty"
			}
		}
	}
	if rev != "" {
		v += fmt.Sprintf(" (%.12s%s)", rev, modified)
	}
	return v + " " + info.GoVersion
}
