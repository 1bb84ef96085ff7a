package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/siegel-oss/siegel/internal/store"
)

// invitationTTL is how long an invitation link made on the command line works (as in the web UI).
const invitationTTL = 7 * 24 * time.Hour

// accountFlags are the flags of the user and token commands: the store, and the organization
// (the first one when not given: an installation has one manufacturer most of the time).
type accountFlags struct{ data, database, org string }

func (a *accountFlags) flags(fs *flag.FlagSet) {
	storeFlags(fs, &a.data, &a.database)
	fs.StringVar(&a.org, "org", "", "organization name (default: the first organization)")
}

// open opens the store and finds the organization.
func (a *accountFlags) open(ctx context.Context, env *Env) (*store.DB, *store.Organization, error) {
	if a.org != "" {
		return caseStore(ctx, env, a.data, a.database, a.org)
	}
	st, err := openStore(ctx, env, dataDir(env, a.data), a.database)
	if err != nil {
		return nil, nil, err
	}
	o, err := st.FirstOrganization(ctx)
	if err != nil {
		st.Close()
		return nil, nil, fmt.Errorf("%w (create one with 'siegel serve' or 'siegel token create --org NAME')", err)
	}
	return st, o, nil
}

// with runs fn on the opened store and organization, and closes the store.
func (a *accountFlags) with(ctx context.Context, env *Env, fn func(st *store.DB, o *store.Organization) error) error {
	st, o, err := a.open(ctx, env)
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(st, o)
}

func dateOrDash(t time.Time, layout string) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(layout)
}

func userListCommand() *Command {
	var a accountFlags
	return &Command{
		Name:    "list",
		Summary: "list an organization's users with role and state",
		Help: `Prints one line per user: ID, E-MAIL, ROLE, STATE (active, invited, disabled), the second
factor (totp or -), single sign-on (sso or -) and when the account was made.`,
		Example: "siegel user list --data /var/lib/siegel",
		Flags:   a.flags,
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 {
				return usagef("list takes no arguments")
			}
			return a.with(ctx, env, func(st *store.DB, o *store.Organization) error {
				us, err := st.ListUsers(ctx, o.ID)
				if err != nil {
					return err
				}
				return writeUsers(env.Stdout, us)
			})
		},
	}
}

func writeUsers(w io.Writer, us []store.UserInfo) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tE-MAIL\tROLE\tSTATE\t2FA\tSSO\tCREATED")
	for _, u := range us {
		state := "active"
		switch {
		case !u.DisabledAt.IsZero():
			state = "disabled"
		case u.Invited:
			state = "invited"
		}
		twofa, sso := "-", "-"
		if u.TOTP {
			twofa = "totp"
		}
		if u.SSO {
			sso = "sso"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.Email, u.Role, state, twofa, sso, u.CreatedAt.Format(time.DateOnly))
	}
	return tw.Flush()
}

func userInviteCommand() *Command {
	var a accountFlags
	var email, role, baseURL string
	return &Command{
		Name:    "invite",
		Summary: "invite a user: prints the one-time link where they set their password",
		Help: `Records a user of the organization with --role and prints the invitation link (valid 7 days,
once). Only a digest of the link is stored: pass it on now. Roles: ` + strings.Join(store.InviteRoles, ", ") + `.
The link starts with --base-url, the server's public address.`,
		Example: "siegel user invite --data /var/lib/siegel --email pia@acme.example --role psirt --base-url https://siegel.acme.example",
		Flags: func(fs *flag.FlagSet) {
			a.flags(fs)
			fs.StringVar(&email, "email", "", "the invitee's e-mail address (required)")
			fs.StringVar(&role, "role", "psirt", "role: "+strings.Join(store.InviteRoles, ", "))
			fs.StringVar(&baseURL, "base-url", "", "public URL of the server, for the link (required)")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 || email == "" || baseURL == "" {
				return usagef("invite takes --email and --base-url, and no arguments")
			}
			return a.with(ctx, env, func(st *store.DB, o *store.Organization) error {
				secret, u, err := st.InviteUser(store.WithActor(ctx, "cli"), o.ID, email, role, invitationTTL)
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(env.Stdout, "%s/invite/%s\n", strings.TrimSuffix(baseURL, "/"), secret)
				env.Log.Info("invited", "email", u.Email, "role", u.Role, "expires", env.Now().Add(invitationTTL).UTC().Format(time.RFC3339))
				return err
			})
		},
	}
}

func userDisableCommand(disable bool) *Command {
	var a accountFlags
	var email string
	name, summary := "enable", "enable a disabled user again"
	if disable {
		name, summary = "disable", "disable a user: their sessions and API tokens stop working at once"
	}
	return &Command{
		Name:    name,
		Summary: summary,
		Example: "siegel user " + name + " --data /var/lib/siegel --email pia@acme.example",
		Flags: func(fs *flag.FlagSet) {
			a.flags(fs)
			fs.StringVar(&email, "email", "", "the user's e-mail address (required)")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 || email == "" {
				return usagef("%s takes --email and no arguments", name)
			}
			return a.with(ctx, env, func(st *store.DB, o *store.Organization) error {
				u, err := st.UserByEmail(ctx, email)
				if err != nil {
					return err
				}
				if err := st.SetUserDisabled(store.WithActor(ctx, "cli"), o.ID, u.ID, disable); err != nil {
					return err
				}
				_, err = fmt.Fprintf(env.Stdout, "%s %sd\n", u.Email, name)
				return err
			})
		},
	}
}

func tokenListCommand() *Command {
	var a accountFlags
	return &Command{
		Name:    "list",
		Summary: "list an organization's API tokens (never their secrets)",
		Help: `Prints one line per token, newest first: ID, NAME, ROLE, the user who made it ("-" for one
made on the machine), when it was made and last used, when it expires, and its STATE (active,
expired or revoked).`,
		Example: "siegel token list --data /var/lib/siegel",
		Flags:   a.flags,
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 {
				return usagef("list takes no arguments")
			}
			return a.with(ctx, env, func(st *store.DB, o *store.Organization) error {
				ts, err := st.ListTokens(ctx, o.ID)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tNAME\tROLE\tOWNER\tCREATED\tLAST USED\tEXPIRES\tSTATE")
				for _, t := range ts {
					state := "active"
					switch {
					case !t.RevokedAt.IsZero():
						state = "revoked"
					case t.Expired(env.Now()):
						state = "expired"
					}
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.Role, cmpOr(t.Owner, "-"), t.CreatedAt.Format(time.DateOnly),
						dateOrDash(t.LastUsedAt, "2006-01-02 15:04"), dateOrDash(t.ExpiresAt, "2006-01-02 15:04"), state)
				}
				return tw.Flush()
			})
		},
	}
}

func tokenRevokeCommand() *Command {
	var a accountFlags
	return &Command{
		Name:    "revoke",
		Args:    "ID",
		Summary: "revoke an API token at once",
		Example: "siegel token revoke --data /var/lib/siegel 7",
		Flags:   a.flags,
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 {
				return usagef("revoke takes the token's ID (see 'siegel token list')")
			}
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || id <= 0 {
				return usagef("token ID %q: give the number 'siegel token list' shows", args[0])
			}
			return a.with(ctx, env, func(st *store.DB, o *store.Organization) error {
				if err := st.RevokeToken(store.WithActor(ctx, "cli"), o.ID, id); err != nil {
					return fmt.Errorf("revoke token %d: %w", id, err)
				}
				_, err = fmt.Fprintf(env.Stdout, "token %d revoked\n", id)
				return err
			})
		},
	}
}

// createToken makes an API token on the machine: without an expiry as before, or with one
// (recorded in the audit trail with its owner "-").
func createToken(ctx context.Context, env *Env, st *store.DB, org int64, role, name string, days int) (string, error) {
	if days < 0 || days > 3650 {
		return "", usagef("--expires-in-days %d: give 1 to 3650, or 0 for a token that never expires", days)
	}
	if days == 0 {
		secret, _, err := st.CreateToken(ctx, org, role, name)
		if err != nil {
			return "", usagef("%v", err)
		}
		return secret, nil
	}
	secret, _, err := st.IssueToken(ctx, store.NewToken{Organization: org, Role: role, Name: cmpOr(name, "cli"),
		Expires: env.Now().UTC().Add(time.Duration(days) * 24 * time.Hour).Truncate(time.Second)})
	if err != nil {
		return "", usagef("%v", err)
	}
	return secret, nil
}
