package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/ledger"
	"github.com/siegel-oss/siegel/internal/rollout"
)

func rolloutReplayCommand() *Command {
	var key string
	var asJSON bool
	return &Command{
		Name:    "replay",
		Args:    "BUNDLE",
		Summary: "recompute every rollout decision in a ledger bundle and say whether each matches (exit 0 all match, 1 otherwise)",
		Help: `Verifies the bundle (as 'siegel ledger verify' does), takes the rollout records it holds (statements
of type rollout-*, whose contents must be revealed) and recomputes every decision from the
records' own inputs: the plan's wave failure limits and exposure bound, then, running the
rollout rules from the start, each release, each gate evaluation (counts, log-likelihood ratio,
boundaries, decision and the running digest of the outcomes judged one by one), each halt and
completion, given the outcomes, pauses, resumes and aborts the records hold. Prints one line per
record: its sequence number, kind, what it decided and "match" or "MISMATCH" with what the
recomputation gave. After a rollout's first mismatch its later records are not checked.

A bundle that is not complete for a rollout's subject (see 'siegel ledger verify') may lack
records; the replay checks the records it has and says that completeness is not proven.`,
		Example: "siegel ledger export --subject rollout/ --out rollouts.bundle.json\nsiegel rollout replay rollouts.bundle.json",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&key, "key", "", "the verifier key to trust (default: the bundle's own)")
			fs.BoolVar(&asJSON, "json", false, "write the checks as JSON")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 {
				return usagef("replay takes one BUNDLE")
			}
			b, r, err := verifiedBundle(args[0], key)
			if err != nil {
				return err
			}
			recs, err := rollout.RecordsFromBundle(b)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			if len(recs) == 0 {
				return fmt.Errorf("%s: holds no rollout record: export the subject rollout/ID (or rollout/) with contents", args[0])
			}
			res := rollout.Replay(recs)
			if asJSON {
				enc := json.NewEncoder(env.Stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(res); err != nil {
					return err
				}
			} else {
				last := ""
				for _, c := range res.Checks {
					if c.Rollout != last {
						last = c.Rollout
						completeness := "complete: every statement about it up to the checkpoint is in the bundle"
						if !r.Complete(rollout.SubjectPrefix + c.Rollout) {
							completeness = "completeness NOT proven: records may be missing"
						}
						fmt.Fprintf(env.Stdout, "rollout %s (%s)\n", c.Rollout, completeness)
					}
					verdict := "match"
					if !c.Match {
						verdict = "MISMATCH: " + c.Detail
					}
					fmt.Fprintf(env.Stdout, "%d\t%s\t%s\t%s\n", c.Seq, c.Kind, c.Decision, verdict)
				}
			}
			if res.Mismatches > 0 {
				return fmt.Errorf("%s: %d of %d records of %d rollouts do not match their recomputation", args[0], res.Mismatches, len(res.Checks), res.Rollouts)
			}
			fmt.Fprintf(env.Stderr, "all %d records of %d rollouts match their recomputation\n", len(res.Checks), res.Rollouts)
			return nil
		},
	}
}

// verifiedBundle reads the bundle at path and checks it (ledger.Check), signed by key when key
// is not empty.
func verifiedBundle(path, key string) (*ledger.Bundle, ledger.Report, error) {
	b, err := readBundle(path)
	if err != nil {
		return nil, ledger.Report{}, err
	}
	if key != "" && key != b.VerifierKey {
		return nil, ledger.Report{}, errors.New(path + ": invalid: signed with another key than --key")
	}
	r, err := ledger.Check(b)
	if err != nil {
		return nil, ledger.Report{}, fmt.Errorf("%s: invalid: %w", path, err)
	}
	return b, r, nil
}

// readBundle reads and strictly decodes a ledger bundle file.
func readBundle(path string) (*ledger.Bundle, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	data, err := input.ReadAll(path, f, input.Limits{MaxBytes: ledger.MaxBundleBytes})
	f.Close()
	if err != nil {
		return nil, err
	}
	b, err := ledger.DecodeBundle(bytes.NewReader(data))
	if err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, fmt.Errorf("%s: invalid: %w", path, input.JSONError(path, data, err))
		}
		return nil, fmt.Errorf("%s: invalid: %w", path, err)
	}
	return b, nil
}
