// Package cli is Siegel's command-line front door: commands, flags, help and output formats.
// It turns arguments into calls on the pipeline stages and their results into text or JSON.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"
)

// Exit codes. They carry meaning for scripts and CI pipelines.
const (
	ExitOK     = 0 // success
	ExitError  = 1 // the command failed
	ExitUsage  = 2 // the command line was wrong
	ExitPolicy = 3 // the command worked and found a policy violation (see --fail-on)
)

// Env is what a command may touch of the outside world. Nothing else is global.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	Log    *slog.Logger
	Now    func() time.Time // UTC clock
}

// Command is one command or command group.
type Command struct {
	Name    string // the word that selects it
	Args    string // argument synopsis, such as "FILE"
	Summary string // one line for command lists
	Help    string // paragraphs shown by --help, after the usage line
	Example string // one or more example invocations, shown by --help
	// Flags declares the command's flags; it is called once per invocation.
	Flags func(fs *flag.FlagSet)
	// Run runs the command with the arguments left after flags. Commands with Sub and no Run print
	// their help.
	Run func(ctx context.Context, env *Env, args []string) error
	Sub []*Command
}

// UsageError is returned for a malformed command line; it maps to exit code 2.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

func usagef(format string, args ...any) error { return &UsageError{Msg: fmt.Sprintf(format, args...)} }

// ErrPolicy is wrapped by errors that report a --fail-on policy violation; it maps to exit code 3.
var ErrPolicy = errors.New("policy violation")

// Run runs Siegel with the given arguments (without the program name) and returns the exit code.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	env := &Env{
		Stdin:  stdin,
		Stdout: stdout,
		Stderr: stderr,
		Getenv: getenv,
		Log:    newLogger(stderr, getenv("SIEGEL_LOG_LEVEL")),
		Now:    func() time.Time { return time.Now().UTC() },
	}
	root := rootCommand()
	err := dispatch(ctx, env, root, []string{"siegel"}, args)
	return exitCode(env, err)
}

func exitCode(env *Env, err error) int {
	var ue *UsageError
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, flag.ErrHelp):
		return ExitOK
	case errors.As(err, &ue):
		fmt.Fprintf(env.Stderr, "siegel: %s\n", ue.Msg)
		return ExitUsage
	case errors.Is(err, ErrPolicy):
		fmt.Fprintf(env.Stderr, "siegel: %v\n", err)
		return ExitPolicy
	default:
		fmt.Fprintf(env.Stderr, "siegel: %v\n", err)
		return ExitError
	}
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil || level == "" {
		l = slog.LevelWarn
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

// dispatch finds the command named by args under cmd and runs it. path is the command path so far.
func dispatch(ctx context.Context, env *Env, cmd *Command, path, args []string) error {
	if len(cmd.Sub) > 0 && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		if sub := cmd.find(args[0]); sub != nil {
			return dispatch(ctx, env, sub, append(path, sub.Name), args[1:])
		}
		if cmd.Run == nil {
			return usagef("unknown command %q; run '%s --help' for the list", strings.Join(append(path, args[0]), " "), strings.Join(path, " "))
		}
	}
	fs := flag.NewFlagSet(strings.Join(path, " "), flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if cmd.Flags != nil {
		cmd.Flags(fs)
	}
	positional, err := parseInterleaved(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printHelp(env.Stdout, cmd, path)
			return flag.ErrHelp
		}
		return usagef("%v; run '%s --help' for usage", err, strings.Join(path, " "))
	}
	if cmd.Run == nil {
		printHelp(env.Stdout, cmd, path)
		if len(positional) > 0 {
			return usagef("unknown command %q", strings.Join(append(path, positional[0]), " "))
		}
		return nil
	}
	return cmd.Run(ctx, env, positional)
}

// parseInterleaved parses flags wherever they appear among the arguments, so that
// "siegel sbom convert in.json --to spdx-json" works as users expect. Arguments after "--" are
// positional whatever they look like; a lone "-" (standard input) is positional.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		// flag.Parse stops at "--" (consuming it) or at the first non-flag argument.
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), nil
		}
		if len(rest) == 0 {
			return positional, nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

func (c *Command) find(name string) *Command {
	for _, s := range c.Sub {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// printHelp writes the help text of cmd, reached by path.
func printHelp(w io.Writer, cmd *Command, path []string) {
	name := strings.Join(path, " ")
	if cmd.Summary != "" {
		fmt.Fprintf(w, "%s — %s\n\n", name, cmd.Summary)
	}
	usage := name
	if len(cmd.Sub) > 0 && cmd.Run == nil {
		usage += " COMMAND"
	}
	if cmd.Flags != nil {
		usage += " [flags]"
	}
	if cmd.Args != "" {
		usage += " " + cmd.Args
	}
	fmt.Fprintf(w, "Usage:\n  %s\n", usage)
	if cmd.Help != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(cmd.Help))
	}
	if len(cmd.Sub) > 0 {
		fmt.Fprintf(w, "\nCommands:\n")
		for _, s := range cmd.Sub {
			fmt.Fprintf(w, "  %-12s %s\n", s.Name, s.Summary)
		}
	}
	if cmd.Flags != nil {
		fs := flag.NewFlagSet(name, flag.ContinueOnError)
		cmd.Flags(fs)
		fmt.Fprintf(w, "\nFlags:\n")
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
	if cmd.Example != "" {
		fmt.Fprintf(w, "\nExample:\n")
		for line := range strings.Lines(strings.TrimSpace(cmd.Example)) {
			fmt.Fprintf(w, "  %s", line)
		}
		fmt.Fprintln(w)
	}
	if len(cmd.Sub) > 0 {
		fmt.Fprintf(w, "\nRun '%s COMMAND --help' for more about a command.\n", name)
	}
}

// openInput opens a named input; "-" is standard input. The caller closes the result.
func openInput(env *Env, name string) (io.ReadCloser, error) {
	if name == "-" {
		return io.NopCloser(env.Stdin), nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("open input: %w", err)
	}
	return f, nil
}
