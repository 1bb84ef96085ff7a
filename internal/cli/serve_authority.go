package cli

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/ledger"
	"github.com/siegel-oss/siegel/internal/server"
)

// authorityServeFlags are the serve flags of ledger witnessing between a manufacturer's server
// and its market surveillance authority's: the witness key an authority's server cosigns with,
// and where a manufacturer's server pushes its checkpoints.
type authorityServeFlags struct {
	witnessKey, url, tokenFile, witness string
	interval                            time.Duration
}

func (a *authorityServeFlags) flags(fs *flag.FlagSet) {
	fs.StringVar(&a.witnessKey, "witness-key", "", "witness private key file (siegel ledger witness-key) with which this server's authorities cosign the manufacturers' ledgers they witness (default: $SIEGEL_WITNESS_KEY_FILE)")
	fs.StringVar(&a.url, "authority-url", "", "URL of the market surveillance authority's Siegel server that witnesses this server's ledger: checkpoints are pushed there, and the records of the products registered with it ({\"remoteAuthority\": NAME})")
	fs.StringVar(&a.tokenFile, "authority-token-file", "", "file holding this organization's API token on the authority's server (default: $SIEGEL_AUTHORITY_TOKEN)")
	fs.StringVar(&a.witness, "authority-witness", "", "the authority's witness verifier key: its cosignatures are checked with it before they are kept")
	fs.DurationVar(&a.interval, "authority-push-interval", 10*time.Minute, "time between pushes of the ledger and the records to the authority")
}

// config reads the keys and the token and checks they fit together, before the server starts.
func (a *authorityServeFlags) config(env *Env) (witnessKey string, push server.AuthorityPush, err error) {
	keyFile := a.witnessKey
	if keyFile == "" {
		keyFile = env.Getenv("SIEGEL_WITNESS_KEY_FILE")
	}
	if keyFile != "" {
		data, err := os.ReadFile(keyFile)
		if err != nil {
			return "", push, fmt.Errorf("--witness-key: %w", err)
		}
		witnessKey = strings.TrimSpace(string(data))
		if _, err := ledger.WitnessOf(witnessKey); err != nil {
			return "", push, fmt.Errorf("--witness-key %s: %w", keyFile, err)
		}
	}
	if a.url == "" {
		if a.tokenFile != "" || a.witness != "" {
			return "", push, usagef("--authority-token-file and --authority-witness need --authority-url")
		}
		return witnessKey, push, nil
	}
	if !strings.HasPrefix(a.url, "https://") && !strings.HasPrefix(a.url, "http://") {
		return "", push, usagef("--authority-url %q: want an http(s):// URL", a.url)
	}
	token := env.Getenv("SIEGEL_AUTHORITY_TOKEN")
	if a.tokenFile != "" {
		data, err := os.ReadFile(a.tokenFile)
		if err != nil {
			return "", push, fmt.Errorf("--authority-token-file: %w", err)
		}
		token = strings.TrimSpace(string(data))
	}
	if token == "" {
		return "", push, usagef("--authority-url needs a token: --authority-token-file or $SIEGEL_AUTHORITY_TOKEN")
	}
	if _, err := ledger.ParseWitness(a.witness); err != nil {
		return "", push, usagef("--authority-witness: %v (the authority's witness verifier key)", err)
	}
	if a.interval < time.Minute {
		return "", push, usagef("--authority-push-interval: at least one minute")
	}
	return witnessKey, server.AuthorityPush{URL: a.url, Token: token, Witness: a.witness, Interval: a.interval}, nil
}
