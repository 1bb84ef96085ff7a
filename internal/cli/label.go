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
	var key string
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
statement was altered), or a payload that is not a valid statement (the field is named).`,
		Example: "siegel label verify --key issuer.pub SGL-2026-000042.statement.json\nsiegel label verify --key MCowBQYDK2VwAyEA... --json statement.json",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&key, "key", "", "the issuer's public key: a file (PEM or base64) or base64 (required)")
			fs.BoolVar(&asJSON, "json", false, "print the verified statement as JSON")
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
			if asJSON {
				enc := json.NewEncoder(env.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(st)
			}
			printLabelSummary(env.Stdout, st, label.KeyID(pub))
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
