package cli

import (
	"bytes"
	"context"
	"flag"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// invokeCLI runs the CLI in-process and returns its exit code and output.
func invokeCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	getenv := func(k string) string {
		if k == "SOURCE_DATE_EPOCH" {
			return "1767225600"
		}
		return ""
	}
	code = Run(context.Background(), args, strings.NewReader(stdin), &out, &errOut, getenv)
	return code, out.String(), errOut.String()
}

// TestEveryCommandIsDocumented walks the command tree: every command has a summary and an
// example, and its --help works and exits 0.
func TestEveryCommandIsDocumented(t *testing.T) {
	var walk func(c *Command, path []string)
	walk = func(c *Command, path []string) {
		name := strings.Join(path, " ")
		t.Run(name, func(t *testing.T) {
			if c.Summary == "" {
				t.Errorf("%s has no summary", name)
			}
			if c.Example == "" {
				t.Errorf("%s has no example", name)
			}
			code, out, _ := invokeCLI(t, "", append(path[1:], "--help")...)
			if code != ExitOK || !strings.Contains(out, "Usage:") {
				t.Errorf("%s --help: exit %d, output %q", name, code, out)
			}
		})
		for _, s := range c.Sub {
			walk(s, append(append([]string(nil), path...), s.Name))
		}
	}
	walk(rootCommand(), []string{"siegel"})
}

func TestParseInterleaved(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantPos  []string
		wantFlag string
	}{
		{"flags first", []string{"--to", "x", "in"}, []string{"in"}, "x"},
		{"flags after", []string{"in", "--to", "x"}, []string{"in"}, "x"},
		{"stdin dash", []string{"-", "--to=x"}, []string{"-"}, "x"},
		{"double dash", []string{"--to", "x", "--", "--to", "y"}, []string{"--to", "y"}, "x"},
		{"several", []string{"a", "--to", "x", "b"}, []string{"a", "b"}, "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := newFlagSetForTest()
			to := fs.String("to", "", "")
			pos, err := parseInterleaved(fs, tt.args)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantPos, pos); diff != "" {
				t.Errorf("positional (-want +got):\n%s", diff)
			}
			if *to != tt.wantFlag {
				t.Errorf("--to = %q, want %q", *to, tt.wantFlag)
			}
		})
	}
}

func TestExitCodes(t *testing.T) {
	if code, _, errOut := invokeCLI(t, "", "no-such-command"); code != ExitUsage || !strings.Contains(errOut, "unknown command") {
		t.Errorf("unknown command: exit %d, stderr %q", code, errOut)
	}
	if code, _, errOut := invokeCLI(t, "", "sbom", "/nonexistent/path/for/siegel"); code != ExitError || !strings.Contains(errOut, "no such file") {
		t.Errorf("missing path: exit %d, stderr %q", code, errOut)
	}
	if code, out, _ := invokeCLI(t, "", "version"); code != ExitOK || !strings.HasPrefix(out, "siegel ") {
		t.Errorf("version: exit %d, stdout %q", code, out)
	}
}

func newFlagSetForTest() *flag.FlagSet { return flag.NewFlagSet("test", flag.ContinueOnError) }

func TestAuthorityFine(t *testing.T) {
	code, out, _ := invokeCLI(t, "", "authority", "fine", "--provision", "Annex I", "--provision", "Art. 20", "--turnover", "1000000000")
	if code != ExitOK || !strings.Contains(out, "maximum\tEUR 25,000,000") || !strings.Contains(out, "Art. 20\tup to EUR 20,000,000") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	if code, _, _ := invokeCLI(t, "", "authority", "fine", "--provision", "Article 13"); code != ExitUsage {
		t.Errorf("a provision that does not parse: exit %d, want %d", code, ExitUsage)
	}
}
