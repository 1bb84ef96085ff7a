package rollout

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"time"
)

// PreflightResult is what a pre-flight check gave.
type PreflightResult struct {
	Command  []string `json:"command"`
	Artifact string   `json:"artifact"` // the artifact's digest or name as the caller gives it
	ExitCode int      `json:"exitCode"` // -1 when it did not run to an exit
	Passed   bool     `json:"passed"`
	Output   string   `json:"output,omitempty"` // the first MaxPreflightOutput bytes of its output
	Error    string   `json:"error,omitempty"`  // why it did not run to an exit
}

// MaxPreflightOutput bounds the output a pre-flight result keeps.
const MaxPreflightOutput = 4096

// Summary says in a line how the check ended.
func (p PreflightResult) Summary() string {
	switch {
	case p.Error != "":
		return p.Error
	case p.Passed:
		return "passed"
	}
	return fmt.Sprintf("exit status %d", p.ExitCode)
}

// DefaultPreflightTimeout bounds a check whose plan gives no timeout.
const DefaultPreflightTimeout = 5 * time.Minute

// RunPreflight runs the check on the artifact at path (appended to the command) and reports how
// it ended; artifact names the artifact in the result. A command that cannot start, or runs past
// its timeout, fails the check.
func RunPreflight(ctx context.Context, pf Preflight, path, artifact string) PreflightResult {
	res := PreflightResult{Command: pf.Command, Artifact: artifact, ExitCode: -1}
	if len(pf.Command) == 0 {
		res.Error = "the pre-flight check has no command"
		return res
	}
	timeout := time.Duration(pf.Timeout)
	if timeout <= 0 {
		timeout = DefaultPreflightTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	args := append(append([]string(nil), pf.Command[1:]...), path)
	cmd := exec.CommandContext(ctx, pf.Command[0], args...)
	var out limitedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	res.Output = out.String()
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		res.Error = fmt.Sprintf("the pre-flight check ran longer than %s", timeout)
	case errors.As(err, &exit):
		res.ExitCode = exit.ExitCode()
	case err != nil:
		res.Error = fmt.Sprintf("the pre-flight check did not run: %v", err)
	default:
		res.ExitCode, res.Passed = 0, true
	}
	return res
}

// limitedBuffer keeps the first MaxPreflightOutput bytes written to it.
type limitedBuffer struct{ bytes.Buffer }

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := MaxPreflightOutput - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
