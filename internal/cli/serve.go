package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/server"
	"github.com/siegel-oss/siegel/internal/store"
	"github.com/siegel-oss/siegel/internal/vulndb"
)

// dataDir is the server's data directory: --data, else SIEGEL_DATA, else ./siegel-data.
func dataDir(env *Env, flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if v := env.Getenv("SIEGEL_DATA"); v != "" {
		return v
	}
	return "siegel-data"
}

// openStore opens PostgreSQL when a postgres:// URL is given, else SQLite in the data directory.
func openStore(ctx context.Context, env *Env, data, database string) (*store.DB, error) {
	if strings.HasPrefix(database, "postgres://") || strings.HasPrefix(database, "postgresql://") {
		return store.OpenPostgres(ctx, database, env.Now)
	}
	if database != "" {
		return nil, usagef("--database must be a postgres:// URL (leave it out for the embedded SQLite store)")
	}
	return store.OpenSQLite(ctx, data, env.Now)
}

func serveCommand() *Command {
	var addr, data, database, firstOrg, dbSource string
	return &Command{
		Name:    "serve",
		Summary: "run the Siegel server: JSON API, health, metrics",
		Help: `Serves the JSON API under /api/v1 (described by /api/v1/openapi.json), /healthz, /readyz and
/metrics. The store is SQLite in the data directory (--data, SIEGEL_DATA) unless --database names a
PostgreSQL server; several servers can share one PostgreSQL. Findings come from the vulnerability
database in <data>/vulndb (fill it with 'siegel db update --db <data>/vulndb').

API calls need "Authorization: Bearer TOKEN"; create tokens with 'siegel token create'.
On the first run (no users yet) the server creates the organization named by --org and an
administrator, and prints the one-time login. An empty vulnerability database is filled in the
background, from --db-source when given (for machines without network), else from the live feeds.
On SIGINT or SIGTERM the server stops accepting connections, reports not ready, and lets running
requests finish (up to 30 s).`,
		Example: `siegel serve --addr 127.0.0.1:8080 --data /var/lib/siegel
siegel serve --database postgres://siegel@db.internal/siegel`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&addr, "addr", "", "listen address (default: $SIEGEL_ADDR or 127.0.0.1:8080)")
			fs.StringVar(&data, "data", "", "data directory (default: $SIEGEL_DATA or ./siegel-data)")
			fs.StringVar(&database, "database", "", "PostgreSQL URL; the embedded SQLite store when empty")
			fs.StringVar(&firstOrg, "org", "My Organization", "name of the organization created on the first run")
			fs.StringVar(&dbSource, "db-source", "", "fill an empty vulnerability database from this OSV directory or bundle (default: the live feeds)")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 {
				return usagef("serve takes no arguments")
			}
			if addr == "" {
				addr = cmpOr(env.Getenv("SIEGEL_ADDR"), "127.0.0.1:8080")
			}
			dir := dataDir(env, data)
			st, err := openStore(ctx, env, dir, database)
			if err != nil {
				return err
			}
			defer st.Close()
			login, err := firstRun(ctx, st, firstOrg)
			if err != nil {
				return err
			}
			vdir := filepath.Join(dir, "vulndb")
			go fillVulnDB(ctx, env, vdir, dbSource)
			srv := server.New(server.Config{Store: st, VulnDB: vdir, Log: env.Log, Now: env.Now})
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return fmt.Errorf("listen on %s: %w", addr, err)
			}
			hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
			env.Log.Info("serving", "url", "http://"+ln.Addr().String(), "store", st.Dialect(), "data", dir)
			fmt.Fprintf(env.Stdout, "siegel serving on http://%s\n", ln.Addr())
			if login != "" {
				fmt.Fprintln(env.Stdout, login)
			}
			errc := make(chan error, 1)
			go func() { errc <- hs.Serve(ln) }()
			select {
			case err := <-errc:
				return err
			case <-ctx.Done():
			}
			srv.SetReady(false)
			shutdown, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := hs.Shutdown(shutdown); err != nil {
				return fmt.Errorf("shutdown: %w", err)
			}
			env.Log.Info("stopped")
			return nil
		},
	}
}

func tokenCommand() *Command {
	var data, database, org, role, name, size string
	create := &Command{
		Name:    "create",
		Summary: "create an API token for an organization (and the organization if needed)",
		Help: `Prints a new API token. Only its hash is stored: keep the token, it cannot be shown again.
Roles: ` + strings.Join(store.Roles, ", ") + `. An authority token reads every organization's data.`,
		Example: "siegel token create --data /var/lib/siegel --org 'ACME Networks GmbH' --role psirt",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&data, "data", "", "data directory (default: $SIEGEL_DATA or ./siegel-data)")
			fs.StringVar(&database, "database", "", "PostgreSQL URL; the embedded SQLite store when empty")
			fs.StringVar(&org, "org", "", "organization name (required)")
			fs.StringVar(&role, "role", "psirt", "role: "+strings.Join(store.Roles, ", "))
			fs.StringVar(&name, "name", "", "what the token is for, such as \"ci\"")
			fs.StringVar(&size, "size", "medium", "size class of a new organization: micro, small, medium, large")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 || org == "" {
				return usagef("token create needs --org NAME (and no arguments)")
			}
			st, err := openStore(ctx, env, dataDir(env, data), database)
			if err != nil {
				return err
			}
			defer st.Close()
			o, err := st.OrganizationByName(ctx, org)
			if errors.Is(err, store.ErrNotFound) {
				o, err = st.CreateOrganization(ctx, org, size, role == "authority")
			}
			if err != nil {
				return err
			}
			secret, _, err := st.CreateToken(ctx, o.ID, role, name)
			if err != nil {
				return usagef("%v", err)
			}
			_, err = fmt.Fprintln(env.Stdout, secret)
			return err
		},
	}
	return &Command{Name: "token", Summary: "manage API tokens", Example: create.Example, Sub: []*Command{create}}
}

func pushCommand() *Command {
	var server, release string
	return &Command{
		Name:    "push",
		Args:    "SBOM",
		Summary: "upload an SBOM for a release to a Siegel server (from CI)",
		Help: `Uploads SBOM (any format Siegel reads; "-" for standard input) to the release with id --release
on the server at --server (default $SIEGEL_SERVER), authenticating with the token in
$SIEGEL_TOKEN. The server validates the SBOM completely before storing it.`,
		Example: "SIEGEL_TOKEN=sgl_... siegel push --server https://siegel.example --release 42 app.cdx.json",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&server, "server", "", "server URL (default: $SIEGEL_SERVER)")
			fs.StringVar(&release, "release", "", "release id (required)")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 || release == "" {
				return usagef("push takes one SBOM and --release ID")
			}
			server = cmpOr(server, env.Getenv("SIEGEL_SERVER"))
			token := env.Getenv("SIEGEL_TOKEN")
			if server == "" || token == "" {
				return usagef("push needs --server (or SIEGEL_SERVER) and SIEGEL_TOKEN")
			}
			r, err := openInput(env, args[0])
			if err != nil {
				return err
			}
			data, err := input.ReadAll(args[0], r, input.DefaultLimits())
			r.Close()
			if err != nil {
				return err
			}
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(server, "/")+"/api/v1/releases/"+release+"/sboms", bytes.NewReader(data))
			if err != nil {
				return err
			}
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return fmt.Errorf("push: %w", err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			if resp.StatusCode != http.StatusCreated {
				var e struct{ Error string }
				json.Unmarshal(body, &e)
				return fmt.Errorf("push: server answered %s: %s", resp.Status, cmpOr(e.Error, strings.TrimSpace(string(body))))
			}
			_, err = env.Stdout.Write(body)
			return err
		},
	}
}

// firstRun creates, in a store without users, the first organization and an administrator with
// a random password, and returns the line telling how to log in (shown once).
func firstRun(ctx context.Context, st *store.DB, orgName string) (string, error) {
	n, err := st.Users(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	org, err := st.OrganizationByName(ctx, orgName)
	if errors.Is(err, store.ErrNotFound) {
		org, err = st.CreateOrganization(ctx, orgName, "medium", false)
	}
	if err != nil {
		return "", err
	}
	raw := make([]byte, 12)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	password := base64.RawURLEncoding.EncodeToString(raw)
	if _, err := st.CreateUser(ctx, org.ID, "admin@localhost", password, "admin"); err != nil {
		return "", err
	}
	return fmt.Sprintf("first run: log in as admin@localhost with password %s (shown once; change it)", password), nil
}

// fillVulnDB imports the vulnerability database in the background when it is empty: from
// source (a local OSV directory, zip or bundle made by 'siegel db export'), or from the live feeds.
func fillVulnDB(ctx context.Context, env *Env, dir, source string) {
	if _, err := os.Stat(filepath.Join(dir, "vulndb.sqlite")); err == nil {
		return
	}
	if strings.HasSuffix(source, ".sqlite") {
		if _, err := vulndb.Import(ctx, dir, source); err != nil {
			env.Log.Error("vulnerability database import failed", "source", source, "err", err)
		}
		return
	}
	db, err := vulndb.Open(ctx, dir, true)
	if err != nil {
		env.Log.Error("vulnerability database", "err", err)
		return
	}
	defer db.Close()
	env.Log.Info("filling the vulnerability database in the background", "source", cmpOr(source, "live feeds"))
	now := env.Now()
	if source != "" {
		_, err = importOSV(ctx, env, db, source, nil, now)
	} else {
		_, err = importOSV(ctx, env, db, osvBaseURL, defaultOSVEcosystems, now)
		if err == nil {
			_, err = importFeed(ctx, kevURL, func(n string, r io.Reader) (vulndb.Result, error) { return db.ImportKEV(ctx, n, r, now) })
		}
	}
	if err != nil {
		env.Log.Error("vulnerability database update failed; run 'siegel db update'", "err", err)
		return
	}
	env.Log.Info("vulnerability database ready")
}

func backupCommand() *Command {
	var data, database string
	restore := &Command{
		Name:    "restore",
		Args:    "FILE",
		Summary: "replace the SQLite store with a backup (stop the server first)",
		Example: "siegel backup restore --data /var/lib/siegel siegel-2026-11-22.sqlite",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&data, "data", "", "data directory (default: $SIEGEL_DATA or ./siegel-data)")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 {
				return usagef("restore takes one FILE")
			}
			return store.RestoreSQLite(ctx, dataDir(env, data), args[0])
		},
	}
	return &Command{
		Name:    "backup",
		Args:    "FILE",
		Summary: "write a consistent backup of the store while the server runs",
		Help: `Writes a copy of the SQLite store (one snapshot, taken while the server keeps running) to FILE.
For PostgreSQL, use pg_dump. Restore with 'siegel backup restore FILE'.`,
		Example: "siegel backup --data /var/lib/siegel siegel-2026-11-22.sqlite",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&data, "data", "", "data directory (default: $SIEGEL_DATA or ./siegel-data)")
			fs.StringVar(&database, "database", "", "PostgreSQL URL; the embedded SQLite store when empty")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 {
				return usagef("backup takes one FILE")
			}
			st, err := openStore(ctx, env, dataDir(env, data), database)
			if err != nil {
				return err
			}
			defer st.Close()
			return st.Backup(ctx, args[0])
		},
		Sub: []*Command{restore},
	}
}
