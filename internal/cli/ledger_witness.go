package cli

import (
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/ledger"
)

func ledgerWitnessKeyCommand() *Command {
	var name, out string
	return &Command{
		Name:    "witness-key",
		Summary: "make a witness key: the private key to a file, the verifier key to standard output",
		Help: `A witness checks that a log never shows two histories: it keeps the last checkpoint it saw and
cosigns a new one only when a consistency proof shows the new tree extends the old. Give the
verifier key to the log's operator (siegel serve --witness KEY) and to everyone who checks
cosigned checkpoints.`,
		Example: "siegel ledger witness-key --name witness.example.org --out witness.key",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&name, "name", "", "the witness's name, such as its domain")
			fs.StringVar(&out, "out", "", "file for the private key (created, mode 0600)")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if name == "" || out == "" || len(args) != 0 {
				return usagef("witness-key needs --name and --out")
			}
			skey, vkey, err := ledger.NewWitnessKey(name)
			if err != nil {
				return err
			}
			f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return fmt.Errorf("witness-key: %w", err)
			}
			if _, err := f.WriteString(skey + "\n"); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
			fmt.Fprintln(env.Stdout, vkey)
			return nil
		},
	}
}

func ledgerWitnessCommand() *Command {
	var keyFile, logKey, state string
	return &Command{
		Name:    "witness",
		Args:    "SERVER_URL",
		Summary: "witness a Siegel ledger: check the latest checkpoint is consistent with the last one seen, and cosign it",
		Help: `One round of witnessing: fetch the server's latest signed checkpoint, verify the log's signature
(--log-key), and, when --state holds an earlier checkpoint, fetch and check the consistency proof
from it. Only then cosign the checkpoint (C2SP tlog-cosignature) and send the cosignature to the
server; the checkpoint becomes the new state. A checkpoint that is not consistent with the state
(a forked or rewritten history) is not cosigned: the command exits 1 and says so, and the state
keeps the evidence. Run it from cron on a machine the log's operator does not control.`,
		Example: "siegel ledger witness --key witness.key --log-key 'siegel.example+1a2b3c4d+AQ...' --state witness.state https://siegel.example",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&keyFile, "key", "", "the witness's private key file (from 'siegel ledger witness-key')")
			fs.StringVar(&logKey, "log-key", "", "the log's verifier key (siegel ledger checkpoint prints it)")
			fs.StringVar(&state, "state", "", "file that keeps the last checkpoint witnessed")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 || keyFile == "" || logKey == "" || state == "" {
				return usagef("witness needs --key, --log-key, --state and the server's URL")
			}
			base := strings.TrimRight(args[0], "/")
			skeyData, err := os.ReadFile(keyFile)
			if err != nil {
				return fmt.Errorf("witness key: %w", err)
			}
			client := &http.Client{Timeout: 30 * time.Second}
			get := func(path string) (string, error) {
				req, _ := http.NewRequestWithContext(ctx, "GET", base+path, nil)
				resp, err := client.Do(req)
				if err != nil {
					return "", err
				}
				defer resp.Body.Close()
				body, err := input.ReadAll(base+path, resp.Body, input.Limits{MaxBytes: 1 << 20})
				if err != nil {
					return "", err
				}
				if resp.StatusCode != http.StatusOK {
					return "", fmt.Errorf("GET %s: %s: %s", path, resp.Status, strings.TrimSpace(string(body)))
				}
				return string(body), nil
			}
			signed, err := get("/ledger/checkpoint")
			if err != nil {
				return err
			}
			cp, err := ledger.OpenCheckpoint(signed, logKey)
			if err != nil {
				return fmt.Errorf("the server's checkpoint: %w", err)
			}
			if old, err := os.ReadFile(state); err == nil {
				prev, err := ledger.OpenCheckpoint(string(old), logKey)
				if err != nil {
					return fmt.Errorf("state %s: %w", state, err)
				}
				var proof []tlog.Hash
				if prev.Size > 0 && prev.Size < cp.Size {
					text, err := get("/ledger/consistency?from=" + strconv.FormatInt(prev.Size, 10) + "&to=" + strconv.FormatInt(cp.Size, 10))
					if err != nil {
						return err
					}
					for _, line := range strings.Fields(text) {
						h, err := base64.StdEncoding.DecodeString(line)
						if err != nil || len(h) != tlog.HashSize {
							return fmt.Errorf("consistency proof: %q is not a hash", line)
						}
						proof = append(proof, tlog.Hash(h))
					}
				}
				if prev.Size > 0 {
					if err := ledger.CheckConsistency(prev, cp, proof); err != nil {
						return fmt.Errorf("not cosigned: %w (the last checkpoint witnessed stays in %s as evidence)", err, state)
					}
				}
			} else if !errors.Is(err, os.ErrNotExist) {
				return err
			}
			line, err := ledger.Cosign(cp, strings.TrimSpace(string(skeyData)), time.Now())
			if err != nil {
				return err
			}
			req, _ := http.NewRequestWithContext(ctx, "POST", base+"/ledger/cosignature", strings.NewReader(signed+line))
			req.Header.Set("Content-Type", "text/plain")
			resp, err := client.Do(req)
			if err != nil {
				return err
			}
			msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			if resp.StatusCode != http.StatusNoContent {
				return fmt.Errorf("the server refused the cosignature: %s: %s", resp.Status, strings.TrimSpace(string(msg)))
			}
			if err := os.WriteFile(state+".tmp", []byte(signed), 0o644); err != nil {
				return err
			}
			if err := os.Rename(state+".tmp", state); err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "cosigned %s checkpoint %d\n", cp.Origin, cp.Size)
			return nil
		},
	}
}
