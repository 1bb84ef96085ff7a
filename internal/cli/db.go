package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/vulndb"
)

// dbDir is the vulnerability database directory: --db, else SIEGEL_DB, else the cache directory.
func dbDir(env *Env, flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if v := env.Getenv("SIEGEL_DB"); v != "" {
		return v
	}
	return vulndb.DefaultDir()
}

func dbCommand() *Command {
	return &Command{
		Name:    "db",
		Summary: "update and inspect the local vulnerability database (OSV, CISA KEV, EPSS)",
		Help: `The vulnerability database is an SQLite index in the data directory (--db, SIEGEL_DB, or the user's
cache directory). Scans read it while an update runs; every update is one transaction.`,
		Example: "siegel db update\nsiegel db update --source ./mirror/osv --kev ./mirror/kev.json --epss ./mirror/epss.csv.gz\nsiegel db status",
		Sub:     []*Command{dbUpdateCommand(), dbStatusCommand(), dbExportCommand(), dbImportCommand()},
	}
}

func dbUpdateCommand() *Command {
	var dir, source, kev, epss, euvd, euvdAll, ecosystems string
	var incremental bool
	var hu healthUpdateFlags
	return &Command{
		Name:    "update",
		Summary: "import OSV records, the KEV catalogue and EPSS scores from the network or local files",
		Help: `Each of --source, --kev, --epss and --euvd takes a URL or a local path (for machines without
network).
--source reads OSV records: a directory in the osv.dev layout (<Ecosystem>/all.zip), one all.zip,
a directory of OSV JSON files, one JSON file, or a base URL in the osv.dev layout, from which the
archives of --ecosystems are fetched. A local --source folder may be a mirror holding the feeds
side by side: osv/ (the osv.dev layout), kev/known_exploited_vulnerabilities.json,
epss/epss_scores-current.csv.gz and euvd/euvd-exploited.json (each also accepted at the top of
the folder, or beside an OSV folder given directly); a feed named by its own flag wins over the
mirror's. --euvd reads ENISA's list of exploited vulnerabilities (an
EUVD API response); --euvd-search other EUVD responses, for EUVD ids. Without any source, all
live feeds are fetched.

Each source's records replace what that source held before (records withdrawn or removed upstream
disappear). A record whose fields matching does not need cannot be read is kept without them; a
record that cannot be matched (no id, unreadable affected entries) is skipped. Neither stops an
import; both are logged and listed by 'siegel db status'. Every import records a snapshot:
source, time, record count, SHA-256 of the input. Where each feed was loaded from is logged, and a
feed the database does not hold is a warning: what it tells (exploited vulnerabilities, for KEV
and EUVD) is then not known.

Component-health data (read by 'siegel scan --health' and the server) is stored beside the index
as health.json, replaced atomically: --eol reads endoflife.date product files (a folder, a .tar.gz
of its repository, a URL, or "live"); --go-proxy, --npm, --crates and --pypi read package status
(deprecated, retracted or yanked, last release) from a registry URL or a local folder in the
registry's layout; a folder is read whole, a URL is asked about the packages of the --health-for
SBOMs. --registries live names the four public registries.`,
		Example: "siegel db update\nsiegel db update --source ../mirror/osv --kev ../mirror/known_exploited_vulnerabilities.json",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&dir, "db", "", "data directory (default: $SIEGEL_DB or the user cache directory)")
			fs.StringVar(&source, "source", "", "OSV records: URL or local path")
			fs.StringVar(&kev, "kev", "", "CISA KEV catalogue (JSON): URL or local file")
			fs.StringVar(&epss, "epss", "", "FIRST EPSS scores (CSV, may be gzipped): URL or local file")
			fs.StringVar(&euvd, "euvd", "", "ENISA EUVD exploited vulnerabilities (an API response): URL or local file")
			fs.StringVar(&euvdAll, "euvd-search", "", "other ENISA EUVD API responses (ids and aliases, not marked exploited): URL or local file")
			fs.BoolVar(&incremental, "incremental", false, "fetch only OSV records changed since the last update (<Ecosystem>/modified_id.csv)")
			fs.StringVar(&ecosystems, "ecosystems", strings.Join(vulndb.DefaultEcosystems, ","), "ecosystems fetched from an OSV base URL")
			hu.add(fs)
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 {
				return usagef("update takes no arguments; run 'siegel db update --help'")
			}
			if source == "" && kev == "" && epss == "" && euvd == "" && euvdAll == "" && hu.any() {
				// Only component-health data was named.
				return hu.run(ctx, env, dbDir(env, dir))
			}
			if source == "" && kev == "" && epss == "" && euvd == "" && euvdAll == "" {
				l := vulndb.LiveSources()
				source, kev, epss, euvd = l.OSV, l.KEV, l.EPSS, l.EUVD
			}
			srcs := vulndb.Sources{OSV: source, KEV: kev, EPSS: epss, EUVD: euvd, EUVDSearch: euvdAll,
				Ecosystems: strings.Split(ecosystems, ","), Incremental: incremental, UserAgent: "siegel/" + buildVersion()}
			if fi, err := os.Stat(source); err == nil && fi.IsDir() {
				// A local folder may be a mirror holding the other feeds too: take what it has
				// for every feed not named.
				if srcs, _, err = vulndb.Mirror(source, srcs); err != nil {
					return err
				}
			}
			vulndb.LogSources(env.Log, srcs)
			db, err := vulndb.Open(ctx, dbDir(env, dir), true)
			if err != nil {
				return err
			}
			defer db.Close()
			printFeedOrigins(env, srcs)
			results, err := db.Update(ctx, srcs, env.Now(), env.Log)
			if err != nil {
				return err
			}
			for _, r := range results {
				for _, p := range r.Problems {
					msg := "record skipped"
					if p.Kept {
						msg = "record kept without fields it could not read"
					}
					env.Log.Warn(msg, "source", r.Snapshot.Source, "record", p.Record, "err", p.Err)
				}
				fmt.Fprintf(env.Stdout, "%-20s %7d records, %d skipped, %d kept with unreadable fields, sha256 %s\n", r.Snapshot.Source,
					r.Snapshot.Records, r.Snapshot.Skipped, len(r.Problems)-r.Snapshot.Skipped, short(r.Snapshot.Digest))
			}
			if hu.any() {
				return hu.run(ctx, env, dbDir(env, dir))
			}
			return nil
		},
	}
}

func short(digest string) string {
	if len(digest) > 16 {
		return digest[:16]
	}
	return digest
}

func dbStatusCommand() *Command {
	var dir, format string
	return &Command{
		Name:    "status",
		Summary: "show what the vulnerability database holds and when each source was updated",
		Example: "siegel db status\nsiegel db status --format json",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&dir, "db", "", "data directory (default: $SIEGEL_DB or the user cache directory)")
			fs.StringVar(&format, "format", "text", "text or json")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 {
				return usagef("status takes no arguments")
			}
			db, err := vulndb.Open(ctx, dbDir(env, dir), false)
			if err != nil {
				return err
			}
			defer db.Close()
			st, err := db.Status(ctx)
			if err != nil {
				return err
			}
			if format == "json" {
				enc := json.NewEncoder(env.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(st)
			}
			printDBStatus(env, st)
			return nil
		},
	}
}

func dbExportCommand() *Command {
	var dir string
	return &Command{
		Name:    "export",
		Args:    "FILE",
		Summary: "write the vulnerability database to one file, for machines without network",
		Example: "siegel db export vulndb-2026-11-22.sqlite",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&dir, "db", "", "data directory (default: $SIEGEL_DB or the user cache directory)")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 {
				return usagef("export takes one FILE")
			}
			db, err := vulndb.Open(ctx, dbDir(env, dir), false)
			if err != nil {
				return err
			}
			defer db.Close()
			return db.Export(ctx, args[0])
		},
	}
}

func dbImportCommand() *Command {
	var dir string
	return &Command{
		Name:    "import",
		Args:    "FILE",
		Summary: "replace the vulnerability database with a bundle made by 'siegel db export'",
		Example: "siegel db import --db /var/lib/siegel vulndb-2026-11-22.sqlite",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&dir, "db", "", "data directory (default: $SIEGEL_DB or the user cache directory)")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 {
				return usagef("import takes one FILE")
			}
			st, err := vulndb.Import(ctx, dbDir(env, dir), args[0])
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(env.Stdout, "imported %d advisories, %d KEV entries, %d EPSS scores into %s\n", st.Advisories, st.KEV, st.EPSS, st.Path)
			return err
		},
	}
}

// printDBStatus writes `db status` as text: each feed with its date and count, or MISSING (and a
// warning on standard error), the latest snapshot of each source, and every record the latest
// imports skipped or kept without fields they could not read.
func printDBStatus(env *Env, st *vulndb.Status) {
	w := env.Stdout
	fmt.Fprintf(w, "database:   %s\nadvisories: %d (%d withdrawn)\npackages:   %d\n", st.Path, st.Advisories, st.Withdrawn, st.Packages)
	fmt.Fprintln(w, "feeds:")
	for _, f := range st.Feeds {
		if f.Missing {
			fmt.Fprintf(w, "  %-11s MISSING\n", f.Name)
			env.Log.Warn("feed missing from the vulnerability database: what it tells is not known", "feed", f.Name,
				"fix", "siegel db update with the feed named (see 'siegel db update --help')")
			continue
		}
		fmt.Fprintf(w, "  %-11s %7d records  dated %s  loaded %s from %s\n", f.Name, f.Records, cmpOr(f.Dated, "(not stated)"),
			f.Updated.Format(time.RFC3339), cmpOr(f.Origin, "(not recorded)"))
	}
	fmt.Fprintln(w, "sources:")
	for _, s := range st.Snapshots {
		fmt.Fprintf(w, "  %-20s %s  %7d records  %d skipped  sha256 %s\n", s.Source, s.Taken.Format(time.RFC3339), s.Records, s.Skipped, short(s.Digest))
	}
	if st.Skipped+st.Kept == 0 {
		return
	}
	fmt.Fprintf(w, "records skipped: %d; kept without fields that could not be read: %d\n", st.Skipped, st.Kept)
	for _, p := range st.Problems {
		what := "skipped"
		if p.Kept {
			what = "kept"
		}
		fmt.Fprintf(w, "  %-7s %-20s %s: %s\n", what, p.Source, p.Record, p.Err)
	}
	if n := st.Skipped + st.Kept - len(st.Problems); n > 0 {
		fmt.Fprintf(w, "  ... and %d more (--format json lists the first %d)\n", n, vulndb.MaxListedProblems)
	}
}

// printFeedOrigins says where an update reads each feed from, or that it reads none.
func printFeedOrigins(env *Env, s vulndb.Sources) {
	cfg := s.Configured()
	for _, f := range []string{vulndb.FeedOSV, vulndb.FeedKEV, vulndb.FeedEPSS, vulndb.FeedEUVD} {
		fmt.Fprintf(env.Stdout, "%-11s %s\n", f, cmpOr(cfg[f], "not given"))
	}
}
