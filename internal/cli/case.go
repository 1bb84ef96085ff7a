package cli

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/cra"
)

func caseCommand() *Command {
	return &Command{
		Name:    "case",
		Summary: "CRA Art. 14 reporting cases and their deadlines",
		Help: `Reporting cases track what CRA Art. 14 asks of a manufacturer: an early warning, a
notification and a final report for each actively exploited vulnerability (Art. 14(2)) and each
severe incident (Art. 14(4)), each with its deadline.`,
		Example: "siegel case deadlines --type exploited --aware 2026-09-11T08:30:00Z --fix-available 2026-09-18T10:00:00Z",
		Sub:     []*Command{caseDeadlinesCommand()},
	}
}

func caseDeadlinesCommand() *Command {
	var typ, aware, fix, notified, holidays string
	var conservative, explain bool
	return &Command{
		Name:    "deadlines",
		Summary: "print the deadline of each reporting stage, for drills and audits",
		Help: `Prints one line per stage, "STAGE<TAB>DEADLINE", in RFC 3339 UTC: early-warning,
notification, final-report. A deadline whose clock has not started (no --fix-available for an
exploited vulnerability, no --notified for an incident) prints "-".

Hours are counted as exact hours from --aware. Periods in days and months follow Regulation
(EEC, Euratom) No 1182/71 Art. 3: the day of the event is not counted, the period ends with the
last second (UTC) of its last day, and a last day that is a Saturday, Sunday or a date in
--holidays moves to the end of the next working day. --conservative prints instead the earliest
reading (the period counted from the exact moment, never extended); --explain adds the
conservative deadline and the provision as two more columns.

Art. 64(10): micro and small enterprises are not fined for a missed 24-hour early warning; the
deadline itself still applies and is printed.`,
		Example: `siegel case deadlines --type exploited --aware 2026-09-11T08:30:00Z --fix-available 2026-09-18T10:00:00Z
siegel case deadlines --type incident --aware 2026-11-10T07:00:00Z --notified 2026-11-10T15:00:00Z --explain`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&typ, "type", "", "exploited (Art. 14(2)) or incident (Art. 14(4))")
			fs.StringVar(&aware, "aware", "", "when the manufacturer became aware (RFC 3339)")
			fs.StringVar(&fix, "fix-available", "", "when a corrective or mitigating measure became available (exploited)")
			fs.StringVar(&notified, "notified", "", "when the incident notification was submitted (incident)")
			fs.StringVar(&holidays, "holidays", "", "file of public holidays, one YYYY-MM-DD per line (# comments)")
			fs.BoolVar(&conservative, "conservative", false, "print the conservative deadlines instead of the legal ones")
			fs.BoolVar(&explain, "explain", false, "add the conservative deadline and the provision as columns")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 {
				return usagef("deadlines takes no arguments")
			}
			if typ != cra.Exploited && typ != cra.Incident {
				return usagef("--type must be exploited or incident")
			}
			f := cra.Facts{Type: typ}
			for _, p := range []struct {
				name, val string
				dst       *time.Time
			}{{"--aware", aware, &f.Aware}, {"--fix-available", fix, &f.FixAvailable}, {"--notified", notified, &f.NotificationSubmitted}} {
				if p.val == "" {
					continue
				}
				t, err := time.Parse(time.RFC3339, p.val)
				if err != nil {
					return usagef("%s %q: give an RFC 3339 time such as 2026-09-11T08:30:00Z", p.name, p.val)
				}
				*p.dst = t
			}
			if f.Aware.IsZero() {
				return usagef("--aware is required")
			}
			cal := cra.Calendar{Holidays: map[string]bool{}}
			if holidays != "" {
				if err := readHolidays(holidays, cal.Holidays); err != nil {
					return err
				}
			}
			ds, err := cra.Deadlines(f, cal)
			if err != nil {
				return err
			}
			for _, d := range ds {
				at := "-"
				if d.Pending == "" {
					at = d.Legal.Format(time.RFC3339)
					if conservative {
						at = d.Conservative.Format(time.RFC3339)
					}
				}
				if explain {
					cons := "-"
					if d.Pending == "" {
						cons = d.Conservative.Format(time.RFC3339)
					}
					fmt.Fprintf(env.Stdout, "%s\t%s\t%s\t%s\n", d.Stage, at, cons, d.Basis)
					continue
				}
				fmt.Fprintf(env.Stdout, "%s\t%s\n", d.Stage, at)
			}
			return nil
		},
	}
}

func readHolidays(path string, into map[string]bool) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("holidays: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if _, err := time.Parse(time.DateOnly, line); err != nil {
			return fmt.Errorf("%s:%d: %q is not a date YYYY-MM-DD", path, n, line)
		}
		into[line] = true
	}
	return sc.Err()
}
