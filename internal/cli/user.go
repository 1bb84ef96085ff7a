package cli

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"strings"

	"github.com/siegel-oss/siegel/internal/store"
)

func userCommand() *Command {
	return &Command{
		Name:    "user",
		Summary: "manage the server's users from the machine it runs on",
		Example: "siegel user passwd --data /var/lib/siegel --email admin@localhost",
		Sub:     []*Command{userPasswdCommand(), userListCommand(), userInviteCommand(), userRoleCommand(), userDisableCommand(true), userDisableCommand(false)},
	}
}

func userPasswdCommand() *Command {
	var data, database, email string
	var fromStdin bool
	return &Command{
		Name:    "passwd",
		Summary: "set a user's password in the store directly (when nobody can log in)",
		Help: `Sets the password of the user with --email in the store (the data directory's SQLite store, or
--database), ends the user's sessions and records the reset in the audit trail. It needs access
to the store, not to a running server: it is the way back in when the first run's password is
lost or an administrator forgot theirs.

Without --password-stdin a random password is made and printed once; with it, the first line of
standard input is the password (at least 12 characters).`,
		Example: "siegel user passwd --data /var/lib/siegel --email admin@localhost\nprintf '%s\\n' \"$NEW\" | siegel user passwd --data /var/lib/siegel --email ada@acme.example --password-stdin",
		Flags: func(fs *flag.FlagSet) {
			storeFlags(fs, &data, &database)
			fs.StringVar(&email, "email", "", "the user's e-mail address (required)")
			fs.BoolVar(&fromStdin, "password-stdin", false, "read the new password from the first line of standard input")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 || email == "" {
				return usagef("passwd takes --email and no arguments")
			}
			password, shown := "", false
			if fromStdin {
				line, err := bufio.NewReader(env.Stdin).ReadString('\n')
				if err != nil && line == "" {
					return fmt.Errorf("--password-stdin: no password on standard input")
				}
				password = strings.TrimRight(line, "\r\n")
			} else {
				raw := make([]byte, 12)
				if _, err := rand.Read(raw); err != nil {
					return err
				}
				password, shown = base64.RawURLEncoding.EncodeToString(raw), true
			}
			st, err := openStore(ctx, env, dataDir(env, data), database)
			if err != nil {
				return err
			}
			defer st.Close()
			if err := st.SetPassword(store.WithActor(ctx, "cli"), email, password); err != nil {
				return err
			}
			if shown {
				_, err = fmt.Fprintf(env.Stdout, "password of %s set to %s (shown once; sessions ended)\n", strings.ToLower(email), password)
			} else {
				_, err = fmt.Fprintf(env.Stdout, "password of %s set (sessions ended)\n", strings.ToLower(email))
			}
			return err
		},
	}
}

func userRoleCommand() *Command {
	var data, database string
	return &Command{
		Name:    "role",
		Summary: "give a user another role, from the machine the server runs on",
		Help: `Gives the user with the e-mail address EMAIL the role ROLE (` + strings.Join(store.InviteRoles, ", ") + `)
in the store (the data directory's SQLite store, or --database), as an administrator does in
the web UI or with PUT /api/v1/users/{id}/role: the change is in the audit trail and the ledger,
the user's sessions take the new role at their next request, and the user's API tokens with
rights the new role lacks are revoked. The last active administrator of an organisation keeps
the role: make another user admin first.`,
		Args:    "EMAIL ROLE",
		Example: "siegel user role --data /var/lib/siegel pia@acme.example admin",
		Flags: func(fs *flag.FlagSet) {
			storeFlags(fs, &data, &database)
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 2 || args[0] == "" {
				return usagef("role takes EMAIL and ROLE")
			}
			email, role := args[0], args[1]
			st, err := openStore(ctx, env, dataDir(env, data), database)
			if err != nil {
				return err
			}
			defer st.Close()
			u, err := st.UserByEmail(ctx, email)
			if err != nil {
				return err
			}
			if err := st.SetUserRole(store.WithActor(ctx, "cli"), u.Organization, u.ID, role); err != nil {
				return err
			}
			_, err = fmt.Fprintf(env.Stdout, "%s is %s\n", u.Email, role)
			return err
		},
	}
}
