package cli

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/siegel-oss/siegel/internal/csaf"
	"github.com/siegel-oss/siegel/internal/server"
)

func advisoryCommand() *Command {
	return &Command{
		Name:    "advisory",
		Summary: "publish and list signed CSAF security advisories",
		Help: `Advisories are CSAF 2.0 security advisories written from the findings and triage of every
release of a product, signed with the provider's OpenPGP key and served by 'siegel serve' under
/.well-known/csaf/ (a CSAF trusted provider).`,
		Example: "siegel advisory publish --data /var/lib/siegel --org ACME --product 'HomeRouter X1' --base-url https://siegel.acme.example CVE-2026-2002",
		Sub:     []*Command{advisoryPublishCommand(), advisoryListCommand()},
	}
}

func advisoryPublishCommand() *Command {
	var data, database, org, product, base, cvss string
	return &Command{
		Name:    "publish",
		Args:    "VULNERABILITY",
		Summary: "publish (or revise) the advisory of a vulnerability in a product",
		Help: `Writes the advisory from the current findings and VEX statements of every release of the
product: affected releases with what users should do, fixed ones (a later release that ships
the package at a version outside the affected ranges fixed it: affected releases are told to
update to it), and those not affected with the reason. The severity comes from the database's
CVSS v3 vector; without one, give yours with --cvss (CRA Annex I Part II (4) asks for it).
Publishing again adds a revision. Prints the tracking id and the document's URL.`,
		Example: "siegel advisory publish --org ACME --product 'HomeRouter X1' --base-url https://siegel.acme.example CVE-2026-2002",
		Flags: func(fs *flag.FlagSet) {
			caseStoreFlags(fs, &data, &database, &org)
			fs.StringVar(&product, "product", "", "product name (required)")
			fs.StringVar(&base, "base-url", "", "the provider's public https address (required)")
			fs.StringVar(&cvss, "cvss", "", "your CVSS v3.1 vector of the vulnerability, when the database has none or you assess it otherwise")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 || product == "" || base == "" {
				return usagef("publish takes VULNERABILITY, --product and --base-url")
			}
			st, _, err := caseStore(ctx, env, data, database, org)
			if err != nil {
				return err
			}
			defer st.Close()
			srv := server.New(server.Config{Store: st, Log: env.Log, Now: env.Now, ProviderOrg: org})
			a, err := srv.PublishAdvisory(ctx, base, org, product, args[0], cvss)
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "%s version %d\t%s%s/%s\n", a.TrackingID, len(a.Revisions), base, csaf.Distribution,
				csaf.Entry{TrackingID: a.TrackingID, Initial: a.Initial}.Path())
			return nil
		},
	}
}

func advisoryListCommand() *Command {
	var data, database, org string
	return &Command{
		Name:    "list",
		Summary: "list an organization's advisories",
		Help:    `Prints one line per advisory: TRACKING-ID, VERSION, LAST CHANGE (RFC 3339), VULNERABILITY, TITLE.`,
		Example: "siegel advisory list --data /var/lib/siegel --org ACME",
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
			as, err := st.Advisories(ctx, o.ID)
			if err != nil {
				return err
			}
			for _, a := range as {
				fmt.Fprintf(env.Stdout, "%s\t%d\t%s\t%s\t%s\n", a.TrackingID, len(a.Revisions), a.Current.Format(time.RFC3339), a.Vulnerability, a.Title)
			}
			return nil
		},
	}
}
