package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/siegel-oss/siegel/internal/version"
)

// errSomeLines reports that batch mode printed an error for at least one line.
var errSomeLines = errors.New("some lines could not be compared")

func versionCompareCommand() *Command {
	return &Command{
		Name:    "compare",
		Args:    "ECOSYSTEM [A B]",
		Summary: "compare two versions under an ecosystem's rules",
		Help: `Prints -1, 0 or 1 as version A sorts before, equal to, or after version B under the rules
of ECOSYSTEM, spelled as OSV spells it (case-sensitive): Go, npm, PyPI, Maven, RubyGems, NuGet,
crates.io, Packagist, Hex, Pub, CRAN, Hackage, SwiftURL, Debian, Ubuntu, Alpine, Red Hat,
AlmaLinux, Rocky Linux, SUSE, openSUSE, Mageia, Azure Linux, and more (run without A and B on an
empty input to list them). A release suffix such as Debian:12 or Alpine:v3.20 is accepted.

Without A and B, reads lines "A<TAB>B" from standard input and prints one result per line, in
order. A line whose versions are invalid for the ecosystem prints "error: REASON"; the command then
exits with status 1 after the last line.`,
		Example: `siegel version compare PyPI 1.0rc1 1.0
siegel version compare Debian 1:2.0~rc1-1 1:2.0-1
printf '1.2.3\t1.10.0\n' | siegel version compare npm`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 && len(args) != 3 {
				return usagef("compare takes ECOSYSTEM A B, or ECOSYSTEM alone to read A<TAB>B lines from standard input")
			}
			cmp, err := version.Lookup(args[0])
			if err != nil {
				return usagef("%v; known ecosystems: %s", err, strings.Join(version.Ecosystems(), ", "))
			}
			if len(args) == 3 {
				r, err := version.Compare(cmp, args[1], args[2])
				if err != nil {
					return err
				}
				_, err = fmt.Fprintln(env.Stdout, r)
				return err
			}
			return compareLines(ctx, env, cmp)
		},
	}
}

// compareLines is the batch mode: one comparison per input line, results in input order.
func compareLines(ctx context.Context, env *Env, cmp version.Comparator) error {
	sc := bufio.NewScanner(env.Stdin)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	w := bufio.NewWriter(env.Stdout)
	failed := 0
	for n := 1; sc.Scan(); n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		line := strings.TrimSuffix(sc.Text(), "\r")
		a, b, ok := strings.Cut(line, "\t")
		if !ok {
			failed++
			fmt.Fprintf(w, "error: line %d is not A<TAB>B\n", n)
			continue
		}
		r, err := version.Compare(cmp, a, b)
		if err != nil {
			failed++
			fmt.Fprintf(w, "error: %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
			continue
		}
		fmt.Fprintln(w, r)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read standard input: %w", err)
	}
	if failed > 0 {
		return fmt.Errorf("%w: %d line(s) printed an error", errSomeLines, failed)
	}
	return nil
}
