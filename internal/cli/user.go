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
		Sub:     []*Command{userPasswdCommand(), userListCommand(), userInviteCommand(), userDisableCommand(true), userDisableCommand(false)},
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
