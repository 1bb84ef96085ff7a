package cli

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/siegel-oss/siegel/internal/store"
)

// caseDecisionCommand closes (close=true) or reopens a case, with the reason; both are written
// to the ledger.
func caseDecisionCommand(close bool) *Command {
	var data, database, org, reason, by string
	name, summary, help := "reopen", "reopen a closed case, with the reason", `Reopens a closed case: its clocks run again and its stages can be submitted. The reason and
who decided are written to the ledger with the reopening.`
	if close {
		name, summary, help = "close", "close a case without a final report, with the reason", `Closes a case that needs no further report: the vulnerability was triaged as not affecting the
product, the advisory it came from was withdrawn, or the case duplicates another. The reason is
required; it and who decided are written to the ledger with the closing. A closed case raises no
overdue alerts and suspends no label; 'siegel case reopen' undoes it.`
	}
	return &Command{
		Name:    name,
		Args:    "ID",
		Summary: summary,
		Help:    help,
		Example: "siegel case " + name + " --data /var/lib/siegel --org ACME --reason 'triaged: the vulnerable function is not built in' --by psirt@acme.example 12",
		Flags: func(fs *flag.FlagSet) {
			caseStoreFlags(fs, &data, &database, &org)
			fs.StringVar(&reason, "reason", "", "why (required)")
			fs.StringVar(&by, "by", "", "who decides (required)")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if reason == "" || by == "" {
				return usagef("--reason and --by are required")
			}
			st, c, err := loadCase(ctx, env, data, database, org, args)
			if err != nil {
				return err
			}
			defer st.Close()
			ctx = store.WithActor(ctx, "cli:"+by)
			if close {
				err = st.CloseCase(ctx, c.ID, reason, by)
			} else {
				err = st.ReopenCase(ctx, c.ID, reason, by)
			}
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(env.Stdout, "case %d: %sd (%s)\n", c.ID, name, reason)
			return err
		},
	}
}

func caseIntermediateCommand() *Command {
	var data, database, org, requested, due, by string
	return &Command{
		Name:    "request-intermediate",
		Args:    "ID",
		Summary: "record that the CSIRT asked for an intermediate report (CRA Art. 14(6))",
		Help: `Records the request of the CSIRT designated as coordinator for an intermediate report on
relevant status updates (Art. 14(6)), with the date it set (--due; none when it set none). The
case then has an intermediate-report stage, submitted with 'siegel case submit --stage
intermediate-report'.`,
		Example: "siegel case request-intermediate --data /var/lib/siegel --org ACME --requested 2026-11-20T09:00:00+01:00 --due 2026-11-27T17:00:00+01:00 --by psirt@acme.example 12",
		Flags: func(fs *flag.FlagSet) {
			caseStoreFlags(fs, &data, &database, &org)
			fs.StringVar(&requested, "requested", "", "when the CSIRT made the request (RFC 3339, required)")
			fs.StringVar(&due, "due", "", "when the intermediate report is due, as the CSIRT set it (RFC 3339)")
			fs.StringVar(&by, "by", "", "who records it (required)")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if requested == "" || by == "" {
				return usagef("--requested and --by are required")
			}
			var at, until time.Time
			var err error
			if at, err = time.Parse(time.RFC3339, requested); err != nil {
				return usagef("--requested %q: give an RFC 3339 time", requested)
			}
			if due != "" {
				if until, err = time.Parse(time.RFC3339, due); err != nil {
					return usagef("--due %q: give an RFC 3339 time", due)
				}
			}
			st, c, err := loadCase(ctx, env, data, database, org, args)
			if err != nil {
				return err
			}
			defer st.Close()
			if err := st.RequestIntermediate(store.WithActor(ctx, "cli:"+by), c.ID, at, until, by); err != nil {
				return err
			}
			_, err = fmt.Fprintf(env.Stdout, "case %d: intermediate report requested %s\n", c.ID, at.Format(time.RFC3339))
			return err
		},
	}
}
