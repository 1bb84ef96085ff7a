package cli

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/ledger"
)

func ledgerCommand() *Command {
	return &Command{
		Name:    "ledger",
		Summary: "the tamper-evident record of what was known and done, and when",
		Help: `Siegel appends a signed statement to an append-only Merkle log (RFC 6962 hashing, signed-note
checkpoints) with every change that matters to an obligation: SBOMs published, support periods
declared, VEX decisions, awareness of exploited vulnerabilities, fixes available, report stages
submitted, advisories published. Statements commit to their content with a salted hash; the
content can be revealed selectively.`,
		Example: "siegel ledger export --data /var/lib/siegel --org ACME --subject case/3 --out case-3.bundle.json\nsiegel ledger verify case-3.bundle.json",
		Sub:     []*Command{ledgerCheckpointCommand(), ledgerExportCommand(), ledgerVerifyCommand(), ledgerWitnessKeyCommand(), ledgerWitnessCommand()},
	}
}

func ledgerCheckpointCommand() *Command {
	var data, database string
	return &Command{
		Name:    "checkpoint",
		Summary: "print the latest signed checkpoint and the key that verifies it",
		Example: "siegel ledger checkpoint --data /var/lib/siegel",
		Flags: func(fs *flag.FlagSet) {
			storeFlags(fs, &data, &database)
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 {
				return usagef("checkpoint takes no arguments")
			}
			st, err := openStore(ctx, env, dataDir(env, data), database)
			if err != nil {
				return err
			}
			defer st.Close()
			signed, _, vkey, err := st.LedgerCheckpoint(ctx)
			if err != nil {
				return err
			}
			fmt.Fprint(env.Stdout, signed)
			fmt.Fprintf(env.Stderr, "verifier key: %s\n", vkey)
			return nil
		},
	}
}

func ledgerExportCommand() *Command {
	var data, database, org, subject, out, tsa, tsaRoots string
	var withhold bool
	return &Command{
		Name:    "export",
		Summary: "write a self-contained evidence bundle for a subject",
		Help: `Writes the statements about SUBJECT (release/12, case/3, advisory/7; a trailing / takes every
subject under it) with their inclusion proofs, a freshly signed checkpoint and the verifier key,
and, for each subject, the proof from the checkpoint's subject map that these are all the
statements about it up to the checkpoint (left out when some belong to another organization:
the bundle then proves inclusion only, and says so).
Contents and salts are revealed unless --withhold is given (the statements still prove that they
existed, and when). With --tsa the bundle's checkpoint is time-stamped by that RFC 3161
time-stamping authority: the bundle then proves the statements existed by the TSA's clock, not
only by the log operator's.`,
		Example: "siegel ledger export --data /var/lib/siegel --org ACME --subject case/3 --out case-3.bundle.json",
		Flags: func(fs *flag.FlagSet) {
			caseStoreFlags(fs, &data, &database, &org)
			fs.StringVar(&subject, "subject", "", "KIND/ID (required)")
			fs.StringVar(&out, "out", "", "bundle file (required)")
			fs.BoolVar(&withhold, "withhold", false, "leave the contents out")
			fs.StringVar(&tsa, "tsa", "", "URL of an RFC 3161 time-stamping authority to time-stamp the checkpoint")
			fs.StringVar(&tsaRoots, "tsa-roots", "", "PEM file of the CA certificates the TSA's certificate must chain to (default: the system's)")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 || subject == "" || out == "" {
				return usagef("export needs --subject KIND/ID and --out FILE")
			}
			st, o, err := caseStore(ctx, env, data, database, org)
			if err != nil {
				return err
			}
			defer st.Close()
			b, err := st.LedgerBundle(ctx, o.ID, subject, !withhold)
			if err != nil {
				return err
			}
			if tsa != "" {
				roots, err := loadRoots(tsaRoots)
				if err != nil {
					return err
				}
				token, at, err := ledger.RequestTimestamp(ctx, &http.Client{Timeout: time.Minute}, tsa, b.Checkpoint, roots)
				if err != nil {
					return err
				}
				b.Timestamp = token
				fmt.Fprintf(env.Stderr, "checkpoint time-stamped by %s at %s\n", tsa, at.Format(time.RFC3339))
			}
			body, err := json.MarshalIndent(b, "", "  ")
			if err != nil {
				return err
			}
			if err := os.WriteFile(out, append(body, '\n'), 0o644); err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "%d statements about %s written to %s\n", len(b.Entries), subject, out)
			if r, err := ledger.Check(b); err == nil {
				writeProven(env.Stdout, r)
			}
			return nil
		},
	}
}

// loadRoots reads a PEM file of CA certificates; "" means the system's roots (nil).
func loadRoots(file string) (*x509.CertPool, error) {
	if file == "" {
		return nil, nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("--tsa-roots: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("--tsa-roots %s: no PEM certificate in it", file)
	}
	return pool, nil
}

func ledgerVerifyCommand() *Command {
	var key, tsaRoots, subject string
	return &Command{
		Name:    "verify",
		Args:    "BUNDLE",
		Summary: "check an evidence bundle offline and say what it proves (exit 0 valid, 1 invalid)",
		Help: `Checks the checkpoint's signature, that every statement is in the log the checkpoint signs, in
log order, and that every revealed content matches its statement's commitment. Then it says, per
subject, whether the bundle is complete: a bundle proves it holds every statement about a subject
up to its checkpoint when the checkpoint's subject map counts exactly its statements about the
subject and names its last one as the latest, and the statements' hash chain is unbroken.
Otherwise (bundles of format v1, written before subject maps, or a subject some of whose
statements belong to another organization) it proves only that its statements are in the log,
NOT that there are no others, and says so. --subject makes completeness for that subject a
condition of success. The bundle is read strictly: a key unknown, misspelt or missing is an error.

--key pins the verifier key you obtained out of band (otherwise the bundle's own key is used,
which proves integrity but not who signed). A bundle with an RFC 3161 time-stamp has it checked
too: the TSA's signature, its certificate chain to --tsa-roots (or the system's roots) and the
stamped checkpoint. Prints each statement on success; names the entry and the failed check
otherwise.`,
		Example: "siegel ledger verify --key 'siegel.ledger/5f2c...+a1b2c3d4+AbCd...' --subject case/3 case-3.bundle.json",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&key, "key", "", "the verifier key to trust")
			fs.StringVar(&tsaRoots, "tsa-roots", "", "PEM file of the CA certificates a time-stamping authority must chain to (default: the system's)")
			fs.StringVar(&subject, "subject", "", "KIND/ID the bundle must prove complete (exit 1 otherwise)")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 {
				return usagef("verify takes one BUNDLE")
			}
			b, r, err := verifiedBundle(args[0], key)
			if err != nil {
				return err
			}
			cp := r.Checkpoint
			stamped := ""
			if b.Timestamp != nil {
				roots, err := loadRoots(tsaRoots)
				if err != nil {
					return err
				}
				at, err := ledger.VerifyTimestamp(b.Timestamp, b.Checkpoint, roots)
				if err != nil {
					return fmt.Errorf("%s: invalid: %w", args[0], err)
				}
				stamped = ", time-stamped " + at.Format(time.RFC3339)
			}
			fmt.Fprintf(env.Stdout, "valid: %d statements in log %s of %d entries%s\n", len(b.Entries), cp.Origin, cp.Size, stamped)
			writeProven(env.Stdout, r)
			for _, e := range b.Entries {
				revealed := ""
				if e.Content != nil {
					revealed = "\t" + string(e.Content)
				}
				fmt.Fprintf(env.Stdout, "%d\t%s\t%s\t%s\t%s%s\n", e.Index, e.Statement.Time.Format("2006-01-02T15:04:05Z07:00"), e.Statement.Type, e.Statement.Subject, e.Statement.Actor, revealed)
			}
			if subject != "" && !r.Complete(subject) {
				return fmt.Errorf("%s: does not prove that it holds every statement about %s (see above)", args[0], subject)
			}
			return nil
		},
	}
}

// writeProven says, per subject, what a verified bundle proves.
func writeProven(w io.Writer, r ledger.Report) {
	if r.Format == ledger.BundleFormatV1 {
		fmt.Fprintf(w, "inclusion only: a %s bundle proves that its statements are in the log, NOT that they are all the statements about their subjects\n", ledger.BundleFormatV1)
		return
	}
	for _, s := range r.Subjects {
		if s.Complete {
			fmt.Fprintf(w, "complete for subject %s: %d of %d statements up to checkpoint %d", s.Subject, s.Statements, s.Statements, r.Checkpoint.Size)
			if s.Unchained > 0 {
				fmt.Fprintf(w, " (%d written before statements were hash-chained: counted by the subject map, ordered by log index)", s.Unchained)
			}
			fmt.Fprintln(w)
			continue
		}
		fmt.Fprintf(w, "inclusion only for subject %s: %d statements are in the log; that there are no others is NOT proven", s.Subject, s.Statements)
		if !r.Checkpoint.HasSubjects {
			fmt.Fprint(w, " (the checkpoint is from before the log kept a subject map)")
		}
		fmt.Fprintln(w)
	}
	switch {
	case strings.HasSuffix(r.Scope, "/"):
		fmt.Fprintf(w, "subjects under %s: the bundle holds %d; that no other subject under it has statements is NOT proven\n", r.Scope, len(r.Subjects))
	case len(r.Subjects) == 0:
		fmt.Fprintf(w, "no statement about %s: that the log holds none is NOT proven\n", r.Scope)
	}
}
