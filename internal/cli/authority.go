package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/authority"
	"github.com/siegel-oss/siegel/internal/store"
)

func authorityCommand() *Command {
	return &Command{
		Name:    "authority",
		Summary: "what a market surveillance authority decides by rule: fine ceilings, size classes",
		Example: "siegel authority fine --provision 'Annex I' --turnover 1000000000",
		Sub:     []*Command{authorityTimelinessCommand(), authorityFineCommand(), authoritySizeCommand(), authorityExportCommand()},
	}
}

// listFlag is a flag that may be given several times.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ", ") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func authorityFineCommand() *Command {
	var (
		provisions                               listFlag
		turnover, sizeClass, format              string
		steward, notUndertaking, notManufacturer bool
	)
	return &Command{
		Name:    "fine",
		Summary: "the ceiling of a CRA administrative fine (Art. 64), with its reasons",
		Help: `Prints, for each infringed provision, the paragraph of CRA Art. 64 that sets its ceiling: the
fixed amount or, for an undertaking, the share of total worldwide annual turnover for the
preceding financial year, whichever is higher (64(2): EUR 15 million or 2.5 %; 64(3): EUR 10
million or 2 %; 64(4): EUR 5 million or 1 %); and the exemptions of Art. 64(10): none for an
open-source software steward, none for a micro or small manufacturer's missed 24-hour early
warning (Art. 14(2)(a), 14(4)(a)). The result is a maximum, never a fine: the amount is the
authority's decision under Art. 64(5). Without --turnover only the fixed amounts are known.

Provisions: "Annex I", "Art. 13(6)", "Art. 14(2)(a)", "Art. 30(2)", or "misleading-information"
for incorrect, incomplete or misleading information in reply to a request (Art. 64(4)).`,
		Example: `siegel authority fine --provision 'Art. 14(2)(a)' --size-class small --turnover 8000000
siegel authority fine --provision 'Annex I' --provision 'Art. 20' --turnover 1000000000 --format json`,
		Flags: func(fs *flag.FlagSet) {
			fs.Var(&provisions, "provision", "an infringed provision (repeatable)")
			fs.StringVar(&turnover, "turnover", "", "total worldwide annual turnover for the preceding financial year, in euros")
			fs.StringVar(&sizeClass, "size-class", "", "micro, small, medium or large (Recommendation 2003/361/EC; see 'siegel authority size')")
			fs.BoolVar(&steward, "steward", false, "the offender is an open-source software steward (Art. 24)")
			fs.BoolVar(&notUndertaking, "not-undertaking", false, "the offender is not an undertaking: the turnover share does not apply")
			fs.BoolVar(&notManufacturer, "not-manufacturer", false, "the offender is not the manufacturer (Art. 64(10)(a) spares manufacturers only)")
			fs.StringVar(&format, "format", "text", "text or json")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 {
				return usagef("fine takes no arguments; name the provisions with --provision")
			}
			if format != "text" && format != "json" {
				return usagef("--format %q: choose text or json", format)
			}
			o := authority.Offender{Undertaking: !notUndertaking, Manufacturer: !notManufacturer, SizeClass: sizeClass, Steward: steward}
			if turnover != "" {
				n, err := strconv.ParseInt(strings.ReplaceAll(turnover, "_", ""), 10, 64)
				if err != nil || n < 0 || n > 1<<53 {
					return usagef("--turnover %q: a whole number of euros", turnover)
				}
				e := authority.EUR(n)
				o.Turnover = &e
			}
			var ps []authority.Provision
			for _, p := range provisions {
				ps = append(ps, authority.Provision(p))
			}
			est, err := authority.EstimateFine(o, ps, authority.Factors{})
			if err != nil {
				return usagef("%v", err)
			}
			if format == "json" {
				enc := json.NewEncoder(env.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(est)
			}
			for _, l := range est.Lines {
				ceiling := "no Union ceiling"
				switch {
				case l.Exempt != "":
					ceiling = "no fine"
				case l.Tier != "":
					ceiling = "up to " + l.Maximum.String()
				}
				fmt.Fprintf(env.Stdout, "%s\t%s\n", l.Provision, ceiling)
				for _, r := range l.Reasons {
					fmt.Fprintf(env.Stdout, "  %s\n", r)
				}
			}
			fmt.Fprintf(env.Stdout, "maximum\t%s\n", est.Maximum)
			for _, n := range est.Notes {
				fmt.Fprintf(env.Stdout, "  %s\n", n)
			}
			return nil
		},
	}
}

func authoritySizeCommand() *Command {
	return &Command{
		Name:    "size",
		Args:    "YEAR:STAFF:TURNOVER:BALANCE...",
		Summary: "an enterprise's size class under Recommendation 2003/361/EC",
		Help: `Prints the size class (micro, small, medium, large) after the last of the given closed
accounting periods, oldest first, each as YEAR:STAFF:TURNOVER:BALANCE (staff in annual work
units, amounts in euros, consolidated with partner and linked enterprises as Annex Art. 6 asks).
A status changes only when the ceilings are crossed in two consecutive periods (Annex Art. 4(2)).`,
		Example: `siegel authority size 2024:45:9000000:7000000 2025:60:12000000:11000000`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) == 0 {
				return usagef("size takes one YEAR:STAFF:TURNOVER:BALANCE per closed accounting period, oldest first")
			}
			var fs []authority.Figures
			for _, a := range args {
				parts := strings.Split(a, ":")
				if len(parts) != 4 {
					return usagef("%q: write YEAR:STAFF:TURNOVER:BALANCE", a)
				}
				year, err1 := strconv.Atoi(parts[0])
				staff, err2 := strconv.ParseFloat(parts[1], 64)
				turn, err3 := strconv.ParseInt(parts[2], 10, 64)
				bal, err4 := strconv.ParseInt(parts[3], 10, 64)
				if err1 != nil || err2 != nil || err3 != nil || err4 != nil {
					return usagef("%q: YEAR and amounts are whole numbers, STAFF a number", a)
				}
				fs = append(fs, authority.Figures{Year: year, Staff: staff, Turnover: turn, BalanceSheet: bal})
			}
			s, err := authority.Classify(fs)
			if err != nil {
				return usagef("%v", err)
			}
			fmt.Fprintln(env.Stdout, s.Class)
			for _, r := range s.Reasons {
				fmt.Fprintf(env.Stdout, "  %s\n", r)
			}
			return nil
		},
	}
}

func authorityTimelinessCommand() *Command {
	var data, database, format string
	return &Command{
		Name:    "timeliness",
		Summary: "every manufacturer's CRA Art. 14 stages, met or missed, and whether a miss can be fined",
		Help: `Prints, for every manufacturer in the store, each reporting case's stages: the deadline in the
calendar of its Member State of main establishment, when the stage was submitted, and whether it
was met, missed (and by how many minutes, rounded up), is overdue, open or not yet running; for a
miss, the Art. 64(2) ceiling or the Art. 64(10) exemption that applies (micro and small
manufacturers for the 24-hour early warning, open-source software stewards for everything).
A case whose clocks cannot be computed is listed as not judged, with the reason.`,
		Example: "siegel authority timeliness --data /var/lib/siegel\nsiegel authority timeliness --database postgres://siegel@db/siegel --format json",
		Flags: func(fs *flag.FlagSet) {
			storeFlags(fs, &data, &database)
			fs.StringVar(&format, "format", "text", "text or json")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 {
				return usagef("timeliness takes no arguments")
			}
			if format != "text" && format != "json" {
				return usagef("--format %q: choose text or json", format)
			}
			st, err := openStore(ctx, env, dataDir(env, data), database)
			if err != nil {
				return err
			}
			defer st.Close()
			orgs, err := st.ManufacturerOrganizations(ctx)
			if err != nil {
				return err
			}
			cases, err := st.AllCases(ctx)
			if err != nil {
				return err
			}
			now := env.Now()
			report := authority.Report(store.TimelinessInputs(orgs, cases), now)
			if format == "json" {
				enc := json.NewEncoder(env.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]any{"asOf": now.UTC(), "manufacturers": report})
			}
			w := env.Stdout
			if len(report) == 0 {
				fmt.Fprintln(env.Stderr, "no manufacturer in the store: nothing to judge")
			}
			for _, m := range report {
				fmt.Fprintf(w, "%s\t%s\t%d fineable, %d exempt, %d not judged\n", m.Name, cmp.Or(m.SizeClass, "size class not stated"), m.Summary.Fineable, m.Summary.Exempt, m.NotJudged)
				for _, c := range m.Cases {
					if c.Error != "" {
						fmt.Fprintf(w, "  case %d\tnot judged: %s\n", c.ID, c.Error)
						continue
					}
					for _, s := range c.Stages {
						line := fmt.Sprintf("  case %d\t%s\t%s", c.ID, s.Stage, s.Outcome)
						if !s.Deadline.IsZero() {
							line += "\tdue " + s.Deadline.Format(time.RFC3339)
						}
						if s.LateMinutes > 0 {
							line += fmt.Sprintf("\tlate %d min", s.LateMinutes)
						}
						if s.Fine != "" {
							line += "\t" + s.Fine
						}
						fmt.Fprintln(w, line)
					}
				}
			}
			return nil
		},
	}
}
