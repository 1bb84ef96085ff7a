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
	"github.com/siegel-oss/siegel/internal/match"
	"github.com/siegel-oss/siegel/internal/monitor"
	"github.com/siegel-oss/siegel/internal/notify"
	"github.com/siegel-oss/siegel/internal/portfolio"
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
	var kevFeed, epssFeed, euvdFeed string
	var addr, data, database, firstOrg, dbSource, baseURL, smtpAddr, smtpFrom, smtpUser, csafOrg, labelIssuer string
	var est establishment
	var labelGrace time.Duration
	var witnesses stringList
	var inventoryK int
	var interval, lease time.Duration
	maxAge := ageFlag(match.DefaultMaxAge)
	var matchBatch int
	var workers int
	var smtpTLS bool
	var limits serveLimits
	var rolloutKey string
	var rolloutTick time.Duration
	var sso ssoFlags
	var authorityFlags authorityServeFlags
	return &Command{
		Name:    "serve",
		Summary: "run the Siegel server: web UI, JSON API, continuous monitoring",
		Help: `Serves the web UI, the JSON API under /api/v1 (described by /api/v1/openapi.json), /healthz,
/readyz and /metrics. The store is SQLite in the data directory (--data, SIEGEL_DATA) unless
--database names a PostgreSQL server; several servers can share one PostgreSQL.

Monitoring: the vulnerability database in <data>/vulndb (with --database, in the schema vulndb of
that PostgreSQL database, one copy that every server reads) is updated every --update-interval from
the live feeds (OSV, CISA KEV, FIRST EPSS, ENISA EUVD), or from --db-source for machines without
network: a mirror folder holding the feeds side by side (osv/ in the osv.dev layout,
kev/known_exploited_vulnerabilities.json, epss/epss_scores-current.csv.gz, euvd/euvd-exploited.json;
each also accepted at the top of the folder), an OSV folder or all.zip (the other feeds are then
looked for beside it), or a bundle made by 'siegel db export'. --kev, --epss and --euvd name a
feed wherever it is, and win over the mirror's. Where each feed is read from is logged at start;
a feed with no source is a warning, and the database page shows it as missing. Every SBOM upload is matched at once; after an update only the
components the changed advisories name are matched again. New findings, newly exploited ones and
changed severities are sent to the organization's notification channels (webhooks signed with
HMAC-SHA256, e-mail over --smtp). Background jobs live in the store: a restart resumes them.

CRA: an actively exploited vulnerability in a release on the market opens an Art. 14 reporting
case with its deadlines; reminders go out before and after each is due. Behind TLS (--base-url
https://...), /.well-known/csaf/ is a CSAF trusted provider for the advisories of --csaf-org, and
/ledger/checkpoint publishes the latest signed checkpoint of the ledger (with the cosignatures of
the --witness keys), /ledger/consistency?from=N&to=M its consistency proofs.

Labels: a release evaluated against the requirement catalogs (ETSI EN 303 645, BSI TR-03148, CRA
Annex I, BSI TR-03183-2) gets a security label when every mandatory requirement passes or is
attested. Its public page /label/{id} (what the QR code opens) shows the current status; each status
is a statement signed by --label-issuer. A label is suspended by itself when an actively exploited
vulnerability stays unfixed longer than --label-grace, a reporting deadline is missed, support ends
or a requirement no longer holds, and is valid again when the evidence holds; an authority revokes.

Firmware: an image uploaded for a release (API or release page, at most 512 MiB) is written to
<data>/firmware while it arrives and analysed by a background job, --firmware-workers at once, each
within --firmware-memory; GET /api/v1/jobs/{id} and the job's page show its progress. Servers that
share a PostgreSQL store must share that directory.

API calls need "Authorization: Bearer TOKEN"; create tokens with 'siegel token create'.
On the first run (no users yet) the server creates the organization named by --org and an
administrator, and prints the one-time login.
On SIGINT or SIGTERM the server stops accepting connections, reports not ready, and lets running
requests finish (up to 30 s).`,
		Example: `siegel serve
siegel serve --addr 127.0.0.1:8080 --data /var/lib/siegel --db-source /mnt/mirror/osv
siegel serve --database postgres://siegel@db.internal/siegel --smtp mail.internal:587 --smtp-from siegel@acme.example`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&addr, "addr", "", "listen address (default: $SIEGEL_ADDR or 127.0.0.1:8080)")
			storeFlags(fs, &data, &database)
			fs.StringVar(&firstOrg, "org", "My Organization", "name of the organization created on the first run")
			est.flags(fs) // applied to the organization created on the first run
			fs.StringVar(&dbSource, "db-source", "", "update the vulnerability database from this local mirror folder, OSV folder, all.zip or bundle (default: the live feeds)")
			fs.StringVar(&kevFeed, "kev", "", "CISA KEV catalogue (JSON): URL or local file (default: found in the --db-source mirror, else the live feed)")
			fs.StringVar(&epssFeed, "epss", "", "FIRST EPSS scores (CSV, may be gzipped): URL or local file (default: as --kev)")
			fs.StringVar(&euvdFeed, "euvd", "", "ENISA EUVD exploited vulnerabilities (an API response): URL or local file (default: as --kev)")
			fs.DurationVar(&interval, "update-interval", 6*time.Hour, "time between vulnerability database updates (0: only on demand)")
			fs.Var(&maxAge, "max-db-age", "pages warn when a feed of the vulnerability database is older than this (days such as 7d, or a duration)")
			fs.StringVar(&baseURL, "base-url", "", "public URL of this server (https://...), for links in notifications; the CSAF provider, advisories and CSAF VEX need it (their canonical URLs), links default to http://ADDR")
			fs.StringVar(&smtpAddr, "smtp", "", "SMTP server HOST:PORT for e-mail notifications")
			fs.StringVar(&smtpFrom, "smtp-from", "siegel@localhost", "sender address of e-mail notifications")
			fs.StringVar(&smtpUser, "smtp-user", "", "SMTP user name (the password is read from $SIEGEL_SMTP_PASSWORD)")
			fs.BoolVar(&smtpTLS, "smtp-starttls", false, "require STARTTLS (otherwise used when offered)")
			fs.StringVar(&csafOrg, "csaf-org", "", "organization whose advisories /.well-known/csaf/ publishes (default: the first organization)")
			fs.StringVar(&labelIssuer, "label-issuer", "Siegel", "name of the label issuer in signed label statements")
			fs.DurationVar(&labelGrace, "label-grace", 14*24*time.Hour, "how long an actively exploited vulnerability may stay unfixed before its labels are suspended")
			fs.Var(&witnesses, "witness", "verifier key of a witness whose ledger checkpoint cosignatures are accepted and served (repeatable)")
			fs.IntVar(&inventoryK, "inventory-k", portfolio.DefaultK, "least number of manufacturers a component must be used by to appear in the inventory of critical components (at least 2)")
			fs.IntVar(&matchBatch, "match-batch", 100, "releases re-matched per transaction after an update")
			fs.IntVar(&workers, "workers", 1, "bulk jobs (database updates, re-matching) this server runs at once; uploads and notifications have lanes of their own")
			fs.DurationVar(&lease, "job-lease", 30*time.Second, "how long a background job stays with a server that stopped answering before another takes it over")
			limits.flags(fs)
			fs.StringVar(&rolloutKey, "rollout-targets-key", "", "targets key file of the update repositories, for publishing and automatic rollbacks (default: $SIEGEL_ROLLOUT_TARGETS_KEY_FILE)")
			fs.DurationVar(&rolloutTick, "rollout-tick", 10*time.Second, "how often rollouts judge passed device deadlines")
			sso.flags(fs)
			authorityFlags.flags(fs)
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if inventoryK < 2 {
				return usagef("--inventory-k must be at least 2: below that one manufacturer's components would be published")
			}
			if len(args) != 0 {
				return usagef("serve takes no arguments")
			}
			if addr == "" {
				addr = cmpOr(env.Getenv("SIEGEL_ADDR"), "127.0.0.1:8080")
			}
			oidcConfig, err := sso.config(env, baseURL)
			if err != nil {
				return err
			}
			dir := dataDir(env, data)
			st, err := openStore(ctx, env, dir, database)
			if err != nil {
				return err
			}
			defer st.Close()
			login, err := firstRun(ctx, st, firstOrg, &est, dir)
			if err != nil {
				return err
			}
			// With PostgreSQL every server reads the one vulnerability database in the store's
			// database (schema vulndb), which one update job imports; with SQLite it is a file
			// beside the store.
			vdir := filepath.Join(dir, "vulndb")
			if st.Dialect() == store.Postgres {
				vdir = database
			}
			sources, err := serveSources(ctx, env, vdir, dbSource, vulndb.Sources{KEV: kevFeed, EPSS: epssFeed, EUVD: euvdFeed})
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return fmt.Errorf("listen on %s: %w", addr, err)
			}
			publicURL := strings.TrimSuffix(baseURL, "/")
			if baseURL == "" {
				baseURL = "http://" + ln.Addr().String()
			}
			if csafOrg == "" {
				if o, err := st.FirstOrganization(ctx); err == nil {
					csafOrg = o.Name
				}
			}
			mcfg := monitor.Config{Store: st, VulnDB: vdir, Sources: sources, Interval: interval, BaseURL: strings.TrimSuffix(baseURL, "/"), Log: env.Log, Now: env.Now, Lease: lease, MatchBatch: matchBatch, Workers: workers,
				MaxDBAge: time.Duration(maxAge)}
			if smtpAddr != "" {
				mcfg.Mailer = &notify.Mailer{Addr: smtpAddr, From: smtpFrom, Username: smtpUser, Password: env.Getenv("SIEGEL_SMTP_PASSWORD"), StartTLS: smtpTLS}
			}
			if sources.OSV == "" {
				mcfg.Interval = 0 // a bundle: nothing to update from
			}
			if err := limits.apply(&mcfg); err != nil {
				return err
			}
			mon := monitor.New(mcfg)
			if err := firstUpdate(ctx, mon, vdir, sources); err != nil {
				return err
			}
			rcfg, err := rolloutConfig(env, rolloutKey, rolloutTick)
			if err != nil {
				return err
			}
			witnessKey, authorityPush, err := authorityFlags.config(env)
			if err != nil {
				return err
			}
			srv := server.New(limits.server(server.Config{Store: st, VulnDB: vdir, Monitor: mon, Log: env.Log, Now: env.Now, MaxDBAge: time.Duration(maxAge), BaseURL: publicURL, ProviderOrg: csafOrg,
				LabelIssuer: labelIssuer, LabelGrace: labelGrace, Witnesses: witnesses, InventoryK: inventoryK, Rollout: rcfg,
				InitialPasswordFile: filepath.Join(dir, InitialPasswordFile), FirmwareDir: filepath.Join(dir, "firmware"), OIDC: oidcConfig, Mailer: mcfg.Mailer,
				WitnessKey: witnessKey, AuthorityPush: authorityPush}))
			hs := srv.HTTPServer()
			env.Log.Info("serving", "url", "http://"+ln.Addr().String(), "store", st.Dialect(), "data", dir)
			fmt.Fprintf(env.Stdout, "siegel serving on http://%s\n", ln.Addr())
			if login != "" {
				fmt.Fprintln(env.Stdout, login)
			}
			monCtx, stopMon := context.WithCancel(ctx)
			monDone := make(chan struct{})
			go func() {
				defer close(monDone)
				go srv.RunRollouts(monCtx)
				if authorityPush.URL != "" {
					go srv.RunAuthorityPush(monCtx)
				}
				if err := mon.Run(monCtx); err != nil {
					env.Log.Error("monitor stopped", "err", err)
				}
			}()
			errc := make(chan error, 1)
			go func() { errc <- hs.Serve(ln) }()
			select {
			case err := <-errc:
				stopMon()
				<-monDone
				return err
			case <-ctx.Done():
			}
			srv.SetReady(false)
			stopMon()
			shutdown, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := hs.Shutdown(shutdown); err != nil {
				return fmt.Errorf("shutdown: %w", err)
			}
			<-monDone
			srv.Close()
			env.Log.Info("stopped")
			return nil
		},
	}
}

// serveSources turns --db-source and the feeds named by --kev, --epss and --euvd into what
// scheduled updates read, and logs where each feed comes from (a warning for each feed none is
// given for). A bundle is imported at once when the database is empty, and leaves nothing to
// update from.
func serveSources(ctx context.Context, env *Env, vdir, source string, named vulndb.Sources) (vulndb.Sources, error) {
	for _, p := range []string{named.KEV, named.EPSS, named.EUVD} {
		if p != "" && !isURL(p) && !fileExists(p) {
			return vulndb.Sources{}, usagef("feed file %s does not exist", p)
		}
	}
	var s vulndb.Sources
	switch {
	case source == "":
		s = vulndb.LiveSources()
		s.Incremental = true
		if named.KEV != "" {
			s.KEV = named.KEV
		}
		if named.EPSS != "" {
			s.EPSS = named.EPSS
		}
		if named.EUVD != "" {
			s.EUVD = named.EUVD
		}
	case strings.HasSuffix(source, ".sqlite"):
		if empty, err := vulndbEmpty(ctx, vdir); err != nil {
			return vulndb.Sources{}, err
		} else if empty {
			if _, err := vulndb.Import(ctx, vdir, source); err != nil {
				return vulndb.Sources{}, fmt.Errorf("import vulnerability database bundle: %w", err)
			}
		}
		env.Log.Info("vulnerability database from a bundle: no feed is updated", "bundle", source)
		return vulndb.Sources{}, nil
	default:
		info, err := os.Stat(source)
		if err != nil {
			return vulndb.Sources{}, fmt.Errorf("--db-source: %w", err)
		}
		s = named
		s.OSV = source
		if info.IsDir() {
			if s, _, err = vulndb.Mirror(source, s); err != nil {
				return vulndb.Sources{}, err
			}
		}
	}
	s.UserAgent = "siegel/" + buildVersion()
	vulndb.LogSources(env.Log, s)
	return s, nil
}

func isURL(s string) bool { return strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://") }

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// firstUpdate queues an update at once when the vulnerability database is empty: the first run
// fills it in the background (progress on the status page). Servers starting together on one
// PostgreSQL queue one update between them (the job's dedup key).
func firstUpdate(ctx context.Context, mon *monitor.Monitor, vdir string, sources vulndb.Sources) error {
	if sources.OSV == "" {
		return nil
	}
	if empty, err := vulndbEmpty(ctx, vdir); err != nil || !empty {
		return err
	}
	return mon.RequestUpdate(ctx)
}

// vulndbEmpty reports whether the vulnerability database at loc is missing or holds no import.
func vulndbEmpty(ctx context.Context, loc string) (bool, error) {
	db, err := vulndb.Open(ctx, loc, false)
	if errors.Is(err, vulndb.ErrNoDatabase) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	defer db.Close()
	st, err := db.Status(ctx)
	if err != nil {
		return false, err
	}
	return len(st.Snapshots) == 0, nil
}

func tokenCommand() *Command {
	var data, database, org, role, name, size string
	var expiresDays int
	var est establishment
	create := &Command{
		Name:    "create",
		Summary: "create an API token for an organization (and the organization if needed)",
		Help: `Prints a new API token. Only its hash is stored: keep the token, it cannot be shown again.
Roles: ` + strings.Join(store.Roles, ", ") + `. An authority token reads every organization's data.`,
		Example: "siegel token create --data /var/lib/siegel --org 'ACME Networks GmbH' --role psirt",
		Flags: func(fs *flag.FlagSet) {
			storeFlags(fs, &data, &database)
			fs.StringVar(&org, "org", "", "organization name (required)")
			fs.StringVar(&role, "role", "psirt", "role: "+strings.Join(store.Roles, ", "))
			fs.StringVar(&name, "name", "", "what the token is for, such as \"ci\"")
			fs.StringVar(&size, "size", "medium", "size class of a new organization: micro, small, medium, large")
			fs.IntVar(&expiresDays, "expires-in-days", 0, "the token stops working this many days from now (0: never)")
			est.flags(fs)
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 || org == "" {
				return usagef("token create needs --org NAME (and no arguments)")
			}
			if err := est.check(); err != nil {
				return err
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
			if o, err = est.apply(store.WithActor(ctx, "cli"), st, o); err != nil {
				return err
			}
			secret, err := createToken(store.WithActor(ctx, "cli"), env, st, o.ID, role, name, expiresDays)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(env.Stdout, secret)
			return err
		},
	}
	return &Command{Name: "token", Summary: "manage API tokens", Example: create.Example, Sub: []*Command{create, tokenListCommand(), tokenRevokeCommand()}}
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
// a random password, and returns the line telling how to log in (shown once). Servers starting
// together on one empty store may race: one of them sets up, the others find it done (they
// return no line).
func firstRun(ctx context.Context, st *store.DB, orgName string, est *establishment, dataDir string) (string, error) {
	var login string
	err := st.WithSetupLock(ctx, func() error {
		var err error
		login, err = setUp(ctx, st, orgName, est, dataDir)
		return err
	})
	return login, err
}

// InitialPasswordFile is where the first run keeps the administrator's password (mode 0600, in
// the data directory) until the first login, so that a first start that fails after creating
// the administrator does not lose it. The server removes it after the first successful login.
const InitialPasswordFile = "initial-admin-password"

// writeInitialPassword keeps the first administrator's credentials in the data directory.
func writeInitialPassword(dataDir, email, password string) (string, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", err
	}
	path := filepath.Join(dataDir, InitialPasswordFile)
	tmp, err := os.CreateTemp(dataDir, InitialPasswordFile+".*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return "", err
	}
	if _, err := fmt.Fprintf(tmp, "# The first administrator of this Siegel server. Removed after the first login.\n%s\n%s\n", email, password); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	return path, os.Rename(tmp.Name(), path)
}

// setUp is firstRun under the set-up lock. Where there is none (SQLite), a server that lost the
// race finds the organization or the administrator already there (ErrConflict).
func setUp(ctx context.Context, st *store.DB, orgName string, est *establishment, dataDir string) (string, error) {
	n, err := st.Users(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	if err := est.check(); err != nil {
		return "", err
	}
	org, err := st.OrganizationByName(ctx, orgName)
	if errors.Is(err, store.ErrNotFound) {
		org, err = st.CreateOrganization(ctx, orgName, "medium", false)
		if errors.Is(err, store.ErrConflict) {
			org, err = st.OrganizationByName(ctx, orgName)
		}
	}
	if err != nil {
		return "", err
	}
	if org, err = est.apply(store.WithActor(ctx, "serve"), st, org); err != nil {
		return "", err
	}
	raw := make([]byte, 12)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	password := base64.RawURLEncoding.EncodeToString(raw)
	if _, err := st.CreateUser(ctx, org.ID, "admin@localhost", password, "admin"); errors.Is(err, store.ErrConflict) {
		return "", nil // another server set up meanwhile
	} else if err != nil {
		return "", err
	}
	path, err := writeInitialPassword(dataDir, "admin@localhost", password)
	if err != nil {
		return "", fmt.Errorf("first run: the administrator admin@localhost was created, but its password could not be kept in the data directory (%v); set one with 'siegel user passwd --data %s --email admin@localhost'", err, dataDir)
	}
	return fmt.Sprintf("first run: log in as admin@localhost with password %s (kept in %s until the first login)", password, path), nil
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
			storeFlags(fs, &data, &database)
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
