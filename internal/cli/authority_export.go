package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/siegel-oss/siegel/internal/authority/icsms"
)

func authorityExportCommand() *Command {
	var data, database, authorityName, out string
	var id int64
	return &Command{
		Name:    "export",
		Summary: "export a market surveillance procedure with its ICSMS fields and the ledger proofs behind each claim (JSON)",
		Help: `Writes one procedure of the authority as JSON: the procedure with its state and clocks; the product,
the economic operator, the checks (the Art. 58(1) checklist of each release, filled from the
manufacturer's records: a fact not recorded is unknown, never passed), the Art. 14 reporting of
the product judged to the minute, what the risk assessment rests on, and the measures taken, as
ICSMS records them. Each claim points at statements of a ledger bundle included in the file; each
bundle verifies on its own ('siegel ledger verify'). notProven lists what no statement proves.`,
		Example: "siegel authority export --authority BSI --procedure 3 --out procedure-3.json",
		Flags: func(fs *flag.FlagSet) {
			storeFlags(fs, &data, &database)
			fs.StringVar(&authorityName, "authority", "", "the authority organization whose procedure it is")
			fs.Int64Var(&id, "procedure", 0, "the procedure's id")
			fs.StringVar(&out, "out", "", "file to write (default: standard output)")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 || authorityName == "" || id <= 0 {
				return usagef("export needs --authority NAME and --procedure ID")
			}
			st, err := openStore(ctx, env, dataDir(env, data), database)
			if err != nil {
				return err
			}
			defer st.Close()
			org, err := st.OrganizationByName(ctx, authorityName)
			if err != nil {
				return fmt.Errorf("authority %q: %w", authorityName, err)
			}
			if !org.Authority {
				return fmt.Errorf("organization %q is not an authority", authorityName)
			}
			x, err := icsms.Build(ctx, st, org.ID, id, env.Now())
			if err != nil {
				return fmt.Errorf("procedure %d of %s: %w", id, authorityName, err)
			}
			data, err := json.MarshalIndent(x, "", "  ")
			if err != nil {
				return err
			}
			data = append(data, '\n')
			if out == "" {
				_, err = env.Stdout.Write(data)
				return err
			}
			return os.WriteFile(out, data, 0o600)
		},
	}
}
