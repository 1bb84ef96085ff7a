package cli

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/siegel-oss/siegel/internal/authority"
	"github.com/siegel-oss/siegel/internal/calendar"
	"github.com/siegel-oss/siegel/internal/cra"
	"github.com/siegel-oss/siegel/internal/store"
)

// establishment is the flags that set an organization's Member State of main establishment, its
// holiday region and the steward flag. Empty means "leave as it is"; --member-state none clears.
type establishment struct {
	memberState, region, steward, sizeClass string
}

func (e *establishment) flags(fs *flag.FlagSet) {
	fs.StringVar(&e.memberState, "member-state", "", "Member State of main establishment, ISO 3166-1 alpha-2 (one of "+strings.Join(calendar.States(), " ")+"; none clears): deadlines run in its calendar (CRA Art. 14(7))")
	fs.StringVar(&e.region, "holiday-region", "", "region whose public holidays apply too, such as DE-BY (none clears)")
	fs.StringVar(&e.steward, "steward", "", "yes if the organization is an open-source software steward (CRA Art. 64(10)(b)), no if not")
	fs.StringVar(&e.sizeClass, "size-class", "", "micro, small, medium or large (Recommendation 2003/361/EC; 'siegel authority size' computes it): CRA Art. 64(10)(a) depends on it")
}

func (e *establishment) given() bool {
	return e.memberState != "" || e.region != "" || e.steward != "" || e.sizeClass != ""
}

// check refuses a Member State or region without a calendar before anything is created.
func (e *establishment) check() error {
	if err := authority.CheckSizeClass(e.sizeClass); err != nil {
		return usagef("--size-class: %v", err)
	}
	if e.memberState == "" || e.memberState == "none" {
		return nil
	}
	region := e.region
	if region == "none" {
		region = ""
	}
	if err := cra.CheckEstablishment(cra.Establishment{MemberState: strings.ToUpper(e.memberState), Region: region}); err != nil {
		return usagef("%v", err)
	}
	return nil
}

// apply records the flags given on the organization, keeping what they leave out.
func (e *establishment) apply(ctx context.Context, st *store.DB, o *store.Organization) (*store.Organization, error) {
	if !e.given() {
		return o, nil
	}
	ms, region, steward := o.MemberState, o.HolidayRegion, o.Steward
	pick := func(flag string, v *string) {
		switch flag {
		case "":
		case "none":
			*v = ""
		default:
			*v = flag
		}
	}
	pick(e.memberState, &ms)
	pick(e.region, &region)
	switch e.steward {
	case "":
	case "yes", "true":
		steward = true
	case "no", "false":
		steward = false
	default:
		return nil, usagef("--steward %q: give yes or no", e.steward)
	}
	ms = strings.ToUpper(ms)
	if err := cra.CheckEstablishment(cra.Establishment{MemberState: ms, Region: region}); err != nil {
		return nil, usagef("%v", err)
	}
	if err := st.SetEstablishment(ctx, o.ID, ms, region, steward); err != nil {
		return nil, err
	}
	if e.sizeClass != "" {
		if err := st.SetSizeClass(ctx, o.ID, e.sizeClass); err != nil {
			return nil, usagef("--size-class: %v", err)
		}
	}
	return st.OrganizationByID(ctx, o.ID)
}

// describeOrg prints an organization's establishment and what follows from it.
func describeOrg(o *store.Organization) string {
	cal, err := cra.Establishment{MemberState: o.MemberState, Region: o.HolidayRegion}.Calendar()
	counted := cra.NoMemberState
	switch {
	case err != nil:
		counted = err.Error()
	case cal.State() != "":
		counted = cal.Describe()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "organization\t%s\n", o.Name)
	fmt.Fprintf(&b, "member-state\t%s\n", cmpOr(o.MemberState, "-"))
	fmt.Fprintf(&b, "holiday-region\t%s\n", cmpOr(o.HolidayRegion, "-"))
	fmt.Fprintf(&b, "size\t%s\n", o.SizeClass)
	fmt.Fprintf(&b, "steward\t%v\n", o.Steward)
	fmt.Fprintf(&b, "deadlines\t%s\n", counted)
	if f := cra.Fines(o.SizeClass, o.Steward); f != "" {
		fmt.Fprintf(&b, "fines\t%s\n", f)
	}
	return b.String()
}

func orgCommand() *Command {
	var data, database, org string
	var est establishment
	set := &Command{
		Name:    "set",
		Summary: "set an organization's Member State of main establishment, holiday region and steward flag",
		Help: `Records where the organization has its main establishment. CRA Art. 14(7) sends its reports
to that Member State's CSIRT designated as coordinator, and Siegel counts every legal period
(Reg. 1182/71) in that State's time zone and public holidays, with those of --holiday-region.
Without a Member State, deadlines are counted in UTC without public holidays, and every place
that shows them says so. Prints the organization's settings.`,
		Example: "siegel org set --data /var/lib/siegel --org 'ACME Networks GmbH' --member-state DE --holiday-region DE-BY",
		Flags: func(fs *flag.FlagSet) {
			caseStoreFlags(fs, &data, &database, &org)
			est.flags(fs)
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 {
				return usagef("org set takes no arguments")
			}
			if !est.given() {
				return usagef("give --member-state, --holiday-region, --steward or --size-class")
			}
			if err := est.check(); err != nil {
				return err
			}
			st, o, err := caseStore(ctx, env, data, database, org)
			if err != nil {
				return err
			}
			defer st.Close()
			ctx = store.WithActor(ctx, "cli")
			if o, err = est.apply(ctx, st, o); err != nil {
				return err
			}
			_, err = fmt.Fprint(env.Stdout, describeOrg(o))
			return err
		},
	}
	show := &Command{
		Name:    "show",
		Summary: "print an organization's Member State, holiday region, size class and steward flag",
		Example: "siegel org show --data /var/lib/siegel --org 'ACME Networks GmbH'",
		Flags:   func(fs *flag.FlagSet) { caseStoreFlags(fs, &data, &database, &org) },
		Run: func(ctx context.Context, env *Env, args []string) error {
			st, o, err := caseStore(ctx, env, data, database, org)
			if err != nil {
				return err
			}
			defer st.Close()
			_, err = fmt.Fprint(env.Stdout, describeOrg(o))
			return err
		},
	}
	return &Command{Name: "org", Summary: "an organization's establishment: Member State, holidays, steward", Example: set.Example, Sub: []*Command{set, show}}
}
