package cli

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/label"
)

func labelCommand() *Command {
	return &Command{
		Name:    "label",
		Summary: "the IT-security label: signed statements of a release's label status",
		Help: `A label is issued per product release against requirement catalogs; its status (valid,
suspended, revoked) is published as a label statement, a JSON document in a DSSE envelope signed
with the issuer's Ed25519 key. Every status change is a new statement with the next sequence
number. The label's public page, which its QR code opens, shows the latest statement.`,
		Example: "siegel label verify --key issuer.pub SGL-2026-000042.statement.json",
		Sub:     []*Command{labelVerifyCommand()},
	}
}

func labelVerifyCommand() *Command {
	var key, register, at string
	var asJSON bool
	return &Command{
		Name:    "verify",
		Args:    "STATEMENT",
		Summary: "check a signed label statement offline (exit 0 valid, 1 invalid)",
		Help: `Checks that STATEMENT ("-" for standard input) is a DSSE envelope holding a label statement
signed by --key, and that the statement is well formed. --key is a file holding the issuer's
public key, as a PEM "PUBLIC KEY" block or base64 of the raw 32-byte key, or that base64 itself.
Obtain it from the issuer out of band.

Prints a summary of the statement (with --json: the statement itself) and exits 0 when the
signature holds, whatever the status of the label: a suspended or revoked label is stated
validly too, and the status is printed. Exits 1 naming the failed check otherwise: not an
envelope, wrong payload type, signed by another key, a signature that does not verify (the
statement was altered), or a payload that is not a valid statement (the field is named).

--at TIME (RFC 3339) also checks that the label's term covered that instant, and --register FILE
that the statement is the label's current one according to the issuer's signed register (served at
/labels/register.json, verified with the same key): a statement superseded by a later one (a
suspension, a revocation) or a term that did not cover --at exits 1, saying which.`,
		Example: "siegel label verify --key issuer.pub SGL-2026-000042.statement.json\nsiegel label verify --key MCowBQYDK2VwAyEA... --json statement.json\nsiegel label verify --key issuer.pub --register register.json --at 2027-06-01T00:00:00Z SGL-2026-000042.statement.json",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&key, "key", "", "the issuer's public key: a file (PEM or base64) or base64 (required)")
			fs.BoolVar(&asJSON, "json", false, "print the verified statement as JSON")
			fs.StringVar(&register, "register", "", "the issuer's signed label register: check the statement is the current one")
			fs.StringVar(&at, "at", "", "an instant (RFC 3339): check the label's term covered it")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 || key == "" {
				return usagef("verify needs --key PUBLIC_KEY and one STATEMENT")
			}
			pub, err := readLabelKey(key)
			if err != nil {
				return err
			}
			name := args[0]
			r, err := openInput(env, name)
			if err != nil {
				return err
			}
			data, err := input.ReadAll(name, r, input.Limits{MaxBytes: label.MaxEnvelopeBytes})
			r.Close()
			if err != nil {
				return fmt.Errorf("%s: invalid: %w", name, err)
			}
			st, err := label.Verify(data, pub)
			if err != nil {
				return fmt.Errorf("%s: invalid: %w", name, err)
			}
			var atTime time.Time
			if at != "" {
				if atTime, err = time.Parse(time.RFC3339, at); err != nil {
					return usagef("--at %q: give an RFC 3339 time such as 2027-06-01T00:00:00Z", at)
				}
			}
			if asJSON {
				enc := json.NewEncoder(env.Stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(st); err != nil {
					return err
				}
			} else {
				printLabelSummary(env.Stdout, st, label.KeyID(pub))
			}
			var problems []string
			if at != "" {
				ok, why := st.InTerm(atTime)
				fmt.Fprintf(env.Stderr, "term at %s: %s\n", atTime.UTC().Format(time.RFC3339), why)
				if !ok {
					problems = append(problems, "the term did not cover "+at+": "+why)
				}
			}
			if register != "" {
				f, err := os.Open(register)
				if err != nil {
					return fmt.Errorf("--register: %w", err)
				}
				rdata, err := input.ReadAll(register, f, input.Limits{MaxBytes: label.MaxRegisterBytes})
				f.Close()
				if err != nil {
					return fmt.Errorf("--register %s: %w", register, err)
				}
				reg, err := label.VerifyRegister(rdata, pub)
				if err != nil {
					return fmt.Errorf("--register %s: invalid: %w", register, err)
				}
				standing := reg.Check(st, data)
				fmt.Fprintf(env.Stderr, "register: %s\n", standing.Why)
				if !standing.Current {
					problems = append(problems, standing.Why)
				}
			}
			if len(problems) > 0 {
				return fmt.Errorf("%s: signed, but %s", name, strings.Join(problems, "; "))
			}
			return nil
		},
	}
}

// readLabelKey reads --key: a file if one of that name exists, else the value itself as base64.
func readLabelKey(key string) (ed25519.PublicKey, error) {
	data, err := readKeyFile(key)
	switch {
	case err == nil:
		pub, err := label.ParsePublicKey(data)
		if err != nil {
			return nil, fmt.Errorf("--key %s: %w", key, err)
		}
		return pub, nil
	case errors.Is(err, fs.ErrNotExist):
		// Not a file: perhaps the key itself (base64 may hold "/", so no telling by the look).
		if pub, perr := label.ParsePublicKey([]byte(key)); perr == nil {
			return pub, nil
		}
		return nil, fmt.Errorf("--key: %w", err)
	default:
		return nil, fmt.Errorf("--key: %w", err)
	}
}

// readKeyFile reads a key file, refusing more than a key could be (--key /dev/zero must not hang).
func readKeyFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return input.ReadAll(name, f, input.Limits{MaxBytes: 64 << 10})
}

func printLabelSummary(w io.Writer, st label.Statement, keyID string) {
	stamp := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	fmt.Fprintf(w, "valid statement, signed by key %s\n", keyID)
	fmt.Fprintf(w, "label     %s (statement %d)\n", st.LabelID, st.Sequence)
	status := fmt.Sprintf("%s since %s", st.Status, stamp(st.StatusSince))
	if st.Reason != "" {
		status += ": " + st.Reason
	}
	fmt.Fprintf(w, "status    %s\n", status)
	fmt.Fprintf(w, "product   %s (%s, CRA class %s) by %s\n", st.Product.Name, st.Product.Category, st.Product.CRAClass, st.Manufacturer.Name)
	fmt.Fprintf(w, "release   %s, security support until %s\n", st.Release.Version, st.Release.SupportEnd)
	fmt.Fprintf(w, "issued    %s by %s\n", stamp(st.IssuedAt), st.Issuer.Name)
	if !st.ValidUntil.IsZero() {
		fmt.Fprintf(w, "term      until %s\n", stamp(st.ValidUntil))
	}
	cats := make([]string, len(st.Catalogs))
	for i, c := range st.Catalogs {
		cats[i] = c.ID + " " + c.Version
	}
	fmt.Fprintf(w, "catalogs  %s\n", strings.Join(cats, ", "))
	c := st.Verdicts.Counts
	fmt.Fprintf(w, "verdicts  %d pass (%d attested), %d fail, %d need attestation, %d not applicable\n",
		c.Pass, len(st.Verdicts.Attested), c.Fail, c.NeedsAttestation, c.NotApplicable)
	if len(st.Verdicts.Failed) > 0 {
		fmt.Fprintf(w, "failed    %s\n", strings.Join(st.Verdicts.Failed, ", "))
	}
	fmt.Fprintf(w, "page      %s\n", st.PageURL)
}
