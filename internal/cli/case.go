package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/calendar"
	"github.com/siegel-oss/siegel/internal/cra"
	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/store"
)

func caseCommand() *Command {
	return &Command{
		Name:    "case",
		Summary: "CRA Art. 14 reporting cases and their deadlines",
		Help: `Reporting cases track what CRA Art. 14 asks of a manufacturer: an early warning, a
notification and a final report for each actively exploited vulnerability (Art. 14(2)) and each
severe incident (Art. 14(4)), each with its deadline.`,
		Example: "siegel case list --data /var/lib/siegel --org ACME\nsiegel case deadlines --member-state DE --type exploited --aware 2026-09-11T08:30:00Z --fix-available 2026-09-18T10:00:00Z",
		Sub: []*Command{caseListCommand(), caseShowCommand(), caseSubmitCommand(), caseDecisionCommand(true), caseDecisionCommand(false),
			caseIntermediateCommand(), caseDeadlinesCommand()},
	}
}

func caseDeadlinesCommand() *Command {
	var typ, aware, fix, notified, state, region, holidays string
	var conservative, explain bool
	return &Command{
		Name:    "deadlines",
		Summary: "print the deadline of each reporting stage, for drills and audits",
		Help: `Prints one line per stage, "STAGE<TAB>DEADLINE": early-warning, notification, final-report.
A deadline is the instant the period expires, in RFC 3339 with the local offset of the Member
State given with --member-state (the State of the manufacturer's main establishment, whose CSIRT
receives the reports, CRA Art. 14(7)); a submission at any instant up to it, the last second
included, is on time. A period that ends at 24:00 prints as 00:00 of the next day. A deadline
whose clock has not started (no --fix-available for an exploited vulnerability, no --notified for
an incident) prints "-".

Periods follow Regulation (EEC, Euratom) No 1182/71 Art. 3 in the Member State's time zone and
public holidays: the hour (for 24 and 72 hours) or the day (for 14 days and one month) of the
event is not counted; hours end with their last hour; days and months end at 24:00 local of
their last day, moved to the end of the next working day when that is a Saturday, Sunday or
public holiday (Art. 3(4)). --region adds a region's holidays (e.g. DE-BY). Without
--member-state the count runs in UTC with no public holidays, and a note on stderr says so.
--holidays adds more days from a file (one YYYY-MM-DD per line, # comments), e.g. days a State
declares year by year.

--conservative prints instead the earliest reading: the minimum over every reading (exact
24 or 72 hours, 14 x 24 hours, the same local time 14 days or one month later, the legal end),
never later than the legal deadline. --explain adds the earliest deadline, the provision with
the calendar used, and how the legal end was counted, as three more columns.

Art. 64(10): micro and small enterprises are not fined for a missed 24-hour early warning; the
deadline itself still applies and is printed.`,
		Example: `siegel case deadlines --member-state DE --type exploited --aware 2026-09-11T08:30:00+02:00 --fix-available 2026-09-19T00:30:00+02:00
siegel case deadlines --member-state FR --type incident --aware 2026-11-10T07:00:00Z --notified 2026-11-10T15:00:00Z --explain`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&typ, "type", "", "exploited (Art. 14(2)) or incident (Art. 14(4))")
			fs.StringVar(&aware, "aware", "", "when the manufacturer became aware (RFC 3339)")
			fs.StringVar(&fix, "fix-available", "", "when a corrective or mitigating measure became available (exploited)")
			fs.StringVar(&notified, "notified", "", "when the incident notification was submitted (incident)")
			fs.StringVar(&state, "member-state", "", "Member State of main establishment, ISO 3166-1 alpha-2 (DE, FR, ...; EL for Greece too)")
			fs.StringVar(&region, "region", "", "region whose public holidays apply too, e.g. DE-BY (needs --member-state)")
			fs.StringVar(&holidays, "holidays", "", "file of more public holidays, one YYYY-MM-DD per line (# comments)")
			fs.BoolVar(&conservative, "conservative", false, "print the earliest reading instead of the legal deadlines")
			fs.BoolVar(&explain, "explain", false, "add the earliest deadline, the provision and the counting as columns")
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
			cal := calendar.UTC()
			switch {
			case state != "":
				var err error
				if cal, err = calendar.ForState(state, region); err != nil {
					return usagef("%v", err)
				}
			case region != "":
				return usagef("--region needs --member-state")
			default:
				fmt.Fprintln(env.Stderr, "note: no --member-state: counting in UTC with no public holidays; give the Member State of main establishment (CRA Art. 14(7)) for the legal deadlines")
			}
			if holidays != "" {
				days, err := readHolidays(holidays)
				if err != nil {
					return err
				}
				cal = cal.WithHolidays(holidays, days)
			}
			ds, err := cra.Deadlines(f, cal)
			if err != nil {
				return err
			}
			stamp := func(t time.Time) string { return t.In(cal.Location()).Format(time.RFC3339) }
			for _, d := range ds {
				at, early := "-", "-"
				if d.Pending == "" {
					at, early = stamp(d.Legal), stamp(d.Conservative)
					if conservative {
						at = early
					}
				}
				if explain {
					how := d.Counting
					if d.Pending != "" {
						how = d.Pending
					}
					fmt.Fprintf(env.Stdout, "%s\t%s\t%s\t%s\t%s\n", d.Stage, at, early, d.Basis, how)
					continue
				}
				fmt.Fprintf(env.Stdout, "%s\t%s\n", d.Stage, at)
			}
			return nil
		},
	}
}

func readHolidays(path string) ([]calendar.Holiday, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("holidays: %w", err)
	}
	defer f.Close()
	return parseHolidays(f, path)
}

// maxHolidayBytes bounds a holidays file: a century of days fits many times over.
const maxHolidayBytes = 1 << 20

// parseHolidays reads one YYYY-MM-DD per line, with blank lines and # comments.
func parseHolidays(r io.Reader, name string) ([]calendar.Holiday, error) {
	var days []calendar.Holiday
	lr := &io.LimitedReader{R: r, N: maxHolidayBytes + 1}
	sc := bufio.NewScanner(lr)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		d, err := time.Parse(time.DateOnly, line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %q is not a date YYYY-MM-DD", name, n, line)
		}
		days = append(days, calendar.Holiday{Date: d, Name: "public holiday from " + name})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if lr.N <= 0 {
		return nil, fmt.Errorf("%s: larger than %d bytes; give one date per line", name, maxHolidayBytes)
	}
	return days, nil
}

// caseStore opens the store and the organization the case commands work on.
func caseStore(ctx context.Context, env *Env, data, database, org string) (*store.DB, *store.Organization, error) {
	if org == "" {
		return nil, nil, usagef("--org NAME is required")
	}
	st, err := openStore(ctx, env, dataDir(env, data), database)
	if err != nil {
		return nil, nil, err
	}
	o, err := st.OrganizationByName(ctx, org)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, o, nil
}

func caseStoreFlags(fs *flag.FlagSet, data, database, org *string) {
	storeFlags(fs, data, database)
	fs.StringVar(org, "org", "", "organization name (required)")
}

// storeFlags are the flags that name the store a command reads directly: the data directory's
// SQLite store, or a PostgreSQL database.
func storeFlags(fs *flag.FlagSet, data, database *string) {
	fs.StringVar(data, "data", "", "data directory (default: $SIEGEL_DATA or ./siegel-data)")
	fs.StringVar(database, "database", "", "PostgreSQL URL; the embedded SQLite store when empty")
}

func caseListCommand() *Command {
	var data, database, org string
	return &Command{
		Name:    "list",
		Summary: "list an organization's reporting cases with the next deadline",
		Help: `Prints one line per case: ID, TYPE, STATE, NEXT STAGE, its legal deadline (RFC 3339, in the
time zone of the Member State of main establishment) or why its clock has not started, and the
title. Overdue stages are marked OVERDUE. A first line, starting with "#", says whose calendar the
deadlines are counted in ('siegel org set --member-state' sets it).`,
		Example: "siegel case list --data /var/lib/siegel --org ACME",
		Flags:   func(fs *flag.FlagSet) { caseStoreFlags(fs, &data, &database, &org) },
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 {
				return usagef("list takes no arguments")
			}
			st, o, err := caseStore(ctx, env, data, database, org)
			if err != nil {
				return err
			}
			defer st.Close()
			cs, err := st.Cases(ctx, o.ID)
			if err != nil {
				return err
			}
			for i := range cs {
				v, err := app.BuildCase(ctx, st, &cs[i], env.Now())
				if err != nil {
					return err
				}
				if i == 0 {
					fmt.Fprintf(env.Stdout, "# deadlines counted in: %s\n", v.Calendar)
				}
				state, next, due := "open", "-", "-"
				switch {
				case !v.Closed.IsZero():
					state = "closed"
				case v.BeforeApplication != "":
					state = "before-application" // aware before Art. 14 applied (Art. 71(2)): no deadlines
				}
				for _, sv := range v.Stages {
					if sv.Submitted.IsZero() {
						next, due = sv.Stage, sv.Pending
						if sv.Pending == "" {
							due = sv.Deadline.Format(time.RFC3339)
							if sv.Overdue {
								due += " OVERDUE"
							}
						}
						break
					}
				}
				fmt.Fprintf(env.Stdout, "%d\t%s\t%s\t%s\t%s\t%s\n", v.ID, v.Type, state, next, due, v.Title)
			}
			return nil
		},
	}
}

func caseShowCommand() *Command {
	var data, database, org string
	return &Command{
		Name:    "show",
		Args:    "ID",
		Summary: "print a case as JSON: stages, legal and conservative deadlines, report drafts",
		Example: "siegel case show --data /var/lib/siegel --org ACME 12",
		Flags:   func(fs *flag.FlagSet) { caseStoreFlags(fs, &data, &database, &org) },
		Run: func(ctx context.Context, env *Env, args []string) error {
			st, c, err := loadCase(ctx, env, data, database, org, args)
			if err != nil {
				return err
			}
			defer st.Close()
			v, err := app.BuildCase(ctx, st, c, env.Now())
			if err != nil {
				return err
			}
			enc := json.NewEncoder(env.Stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(v)
		},
	}
}

func loadCase(ctx context.Context, env *Env, data, database, org string, args []string) (*store.DB, *store.Case, error) {
	if len(args) != 1 {
		return nil, nil, usagef("give the case ID")
	}
	id, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil {
		return nil, nil, usagef("case ID %q is not a number", args[0])
	}
	st, o, err := caseStore(ctx, env, data, database, org)
	if err != nil {
		return nil, nil, err
	}
	c, err := st.CaseByID(ctx, id)
	if err != nil || c.Organization != o.ID {
		st.Close()
		return nil, nil, fmt.Errorf("case %d of %s: not found", id, org)
	}
	return st, c, nil
}

func caseSubmitCommand() *Command {
	var data, database, org, stage, receipt, report, by, fixAt, csirt string
	return &Command{
		Name:    "submit",
		Args:    "ID",
		Summary: "record a stage of a case as submitted, with the receipt",
		Help: `Records that STAGE (early-warning, notification, intermediate-report, final-report) was submitted, with the
receipt id the reporting platform gave, and stores the report as sent: the file given with
--report, else the draft. Stages go in order; the final report of an exploited vulnerability
needs --fix-available (or an earlier record of it) and closes the case.`,
		Example: "siegel case submit --data /var/lib/siegel --org ACME --stage early-warning --receipt SRP-2026-0042 --by psirt@acme.example 12",
		Flags: func(fs *flag.FlagSet) {
			caseStoreFlags(fs, &data, &database, &org)
			fs.StringVar(&stage, "stage", "", "early-warning, notification, intermediate-report (on request, Art. 14(6)) or final-report")
			fs.StringVar(&receipt, "receipt", "", "receipt id of the submission (required)")
			fs.StringVar(&report, "report", "", "JSON file of the report as submitted (default: the draft)")
			fs.StringVar(&by, "by", "", "who submitted it (required)")
			fs.StringVar(&fixAt, "fix-available", "", "record when a corrective or mitigating measure became available (RFC 3339; not in the future)")
			fs.StringVar(&csirt, "csirt", "", "the CSIRT it was submitted to (default: the coordinator of the Member State of main establishment, CRA Art. 14(7))")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			st, c, err := loadCase(ctx, env, data, database, org, args)
			if err != nil {
				return err
			}
			defer st.Close()
			ctx = store.WithActor(ctx, "cli:"+by)
			if fixAt != "" {
				t, err := time.Parse(time.RFC3339, fixAt)
				if err != nil {
					return usagef("--fix-available %q: give an RFC 3339 time", fixAt)
				}
				if err := st.SetFixAvailable(ctx, c.ID, t); err != nil {
					return err
				}
				if c, err = st.CaseByID(ctx, c.ID); err != nil {
					return err
				}
			}
			var body []byte
			if report != "" {
				if body, err = os.ReadFile(report); err != nil {
					return err
				}
				if !json.Valid(body) {
					return fmt.Errorf("%s: not valid JSON", report)
				}
			} else {
				v, err := app.BuildCase(ctx, st, c, env.Now())
				if err != nil {
					return err
				}
				for _, sv := range v.Stages {
					if sv.Stage == stage {
						body, _ = json.Marshal(sv.Draft)
					}
				}
			}
			if err := st.SubmitStageTo(ctx, c.ID, stage, body, receipt, by, csirt); err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "case %d: %s recorded as submitted (receipt %s)\n", c.ID, stage, receipt)
			return nil
		},
	}
}
