package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/vulndb"
)

// Live sources, used when `siegel db update` is given none.
const (
	osvBaseURL = "https://osv-vulnerabilities.storage.googleapis.com"
	kevURL     = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
	epssURL    = "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz"
	euvdURL    = "https://euvdservices.enisa.europa.eu/api/exploitedvulnerabilities"
)

// defaultOSVEcosystems are fetched from osv.dev when no ecosystem list is given.
var defaultOSVEcosystems = []string{"Go", "npm", "PyPI", "Maven", "RubyGems", "NuGet", "crates.io", "Packagist",
	"Hex", "Pub", "Debian", "Ubuntu", "Alpine", "Red Hat", "AlmaLinux", "Rocky Linux", "SUSE", "openSUSE", "Bitnami"}

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
	return &Command{
		Name:    "update",
		Summary: "import OSV records, the KEV catalogue and EPSS scores from the network or local files",
		Help: `Each of --source, --kev, --epss and --euvd takes a URL or a local path (for machines without
network).
--source reads OSV records: a directory in the osv.dev layout (<Ecosystem>/all.zip), one all.zip,
a directory of OSV JSON files, one JSON file, or a base URL in the osv.dev layout, from which the
archives of --ecosystems are fetched. --euvd reads ENISA's list of exploited vulnerabilities (an
EUVD API response); --euvd-search other EUVD responses, for EUVD ids. Without any source, all
live feeds are fetched.

Each source's records replace what that source held before (records withdrawn or removed upstream
disappear). Malformed records are reported and skipped; they never stop an import. Every import
records a snapshot: source, time, record count, SHA-256 of the input.`,
		Example: "siegel db update\nsiegel db update --source ../mirror/osv --kev ../mirror/known_exploited_vulnerabilities.json",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&dir, "db", "", "data directory (default: $SIEGEL_DB or the user cache directory)")
			fs.StringVar(&source, "source", "", "OSV records: URL or local path")
			fs.StringVar(&kev, "kev", "", "CISA KEV catalogue (JSON): URL or local file")
			fs.StringVar(&epss, "epss", "", "FIRST EPSS scores (CSV, may be gzipped): URL or local file")
			fs.StringVar(&euvd, "euvd", "", "ENISA EUVD exploited vulnerabilities (an API response): URL or local file")
			fs.StringVar(&euvdAll, "euvd-search", "", "other ENISA EUVD API responses (ids and aliases, not marked exploited): URL or local file")
			fs.BoolVar(&incremental, "incremental", false, "fetch only OSV records changed since the last update (<Ecosystem>/modified_id.csv)")
			fs.StringVar(&ecosystems, "ecosystems", strings.Join(defaultOSVEcosystems, ","), "ecosystems fetched from an OSV base URL")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 {
				return usagef("update takes no arguments; run 'siegel db update --help'")
			}
			if source == "" && kev == "" && epss == "" && euvd == "" && euvdAll == "" {
				source, kev, epss, euvd = osvBaseURL, kevURL, epssURL, euvdURL
			}
			db, err := vulndb.Open(ctx, dbDir(env, dir), true)
			if err != nil {
				return err
			}
			defer db.Close()
			now := env.Now()
			var results []vulndb.Result
			if source != "" {
				var rs []vulndb.Result
				var err error
				if incremental {
					rs, err = updateOSV(ctx, env, db, source, strings.Split(ecosystems, ","), now)
				} else {
					rs, err = importOSV(ctx, env, db, source, strings.Split(ecosystems, ","), now)
				}
				results = append(results, rs...)
				if err != nil {
					return err
				}
			}
			if kev != "" {
				r, err := importFeed(ctx, kev, func(name string, rd io.Reader) (vulndb.Result, error) { return db.ImportKEV(ctx, name, rd, now) })
				if err != nil {
					return err
				}
				results = append(results, r)
			}
			if epss != "" {
				r, err := importFeed(ctx, epss, func(name string, rd io.Reader) (vulndb.Result, error) { return db.ImportEPSS(ctx, name, rd, now) })
				if err != nil {
					return err
				}
				results = append(results, r)
			}
			for _, e := range []struct {
				src       string
				exploited bool
			}{{euvd, true}, {euvdAll, false}} {
				if e.src == "" {
					continue
				}
				r, err := importFeed(ctx, e.src, func(name string, rd io.Reader) (vulndb.Result, error) {
					return db.ImportEUVD(ctx, name, rd, e.exploited, now)
				})
				if err != nil {
					return err
				}
				results = append(results, r)
			}
			for _, r := range results {
				for _, p := range r.Problems {
					env.Log.Warn("record skipped", "source", r.Snapshot.Source, "record", p.Record, "err", p.Err)
				}
				fmt.Fprintf(env.Stdout, "%-20s %7d records, %d skipped, sha256 %s\n", r.Snapshot.Source, r.Snapshot.Records, r.Snapshot.Skipped, short(r.Snapshot.Digest))
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

func isURL(s string) bool { return strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://") }

// importOSV imports from a local path, or downloads the archives of each ecosystem from a base URL.
func importOSV(ctx context.Context, env *Env, db *vulndb.DB, source string, ecosystems []string, now time.Time) ([]vulndb.Result, error) {
	if !isURL(source) {
		return db.ImportOSVPath(ctx, source, now, env.Log)
	}
	tmp, err := os.MkdirTemp("", "siegel-osv-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if strings.HasSuffix(source, ".zip") {
		p := filepath.Join(tmp, "all.zip")
		if err := download(ctx, source, p); err != nil {
			return nil, err
		}
		return db.ImportOSVPath(ctx, p, now, env.Log)
	}
	for _, eco := range ecosystems {
		eco = strings.TrimSpace(eco)
		if eco == "" {
			continue
		}
		p := filepath.Join(tmp, eco, "all.zip")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, err
		}
		u := strings.TrimSuffix(source, "/") + "/" + strings.ReplaceAll(eco, " ", "%20") + "/all.zip"
		env.Log.Info("downloading", "url", u)
		if err := download(ctx, u, p); err != nil {
			return nil, err
		}
	}
	return db.ImportOSVPath(ctx, tmp, now, env.Log)
}

// updateOSV applies the records changed since the last update of each ecosystem, as listed by
// <source>/<Ecosystem>/modified_id.csv (a URL or a local directory in the osv.dev layout). An
// ecosystem never imported before is imported whole.
func updateOSV(ctx context.Context, env *Env, db *vulndb.DB, source string, ecosystems []string, now time.Time) ([]vulndb.Result, error) {
	if !isURL(source) {
		entries, err := os.ReadDir(source)
		if err != nil {
			return nil, fmt.Errorf("OSV source: %w", err)
		}
		ecosystems = ecosystems[:0:0]
		for _, e := range entries {
			if _, err := os.Stat(filepath.Join(source, e.Name(), "modified_id.csv")); err == nil {
				ecosystems = append(ecosystems, e.Name())
			}
		}
	}
	var out []vulndb.Result
	for _, eco := range ecosystems {
		eco = strings.TrimSpace(eco)
		if eco == "" {
			continue
		}
		src := "osv:" + eco
		since, err := db.Latest(ctx, src)
		if err != nil {
			return out, err
		}
		base := strings.TrimSuffix(source, "/") + "/" + strings.ReplaceAll(eco, " ", "%20")
		if !isURL(source) {
			base = filepath.Join(source, eco)
		}
		if since.IsZero() {
			env.Log.Info("no earlier import; importing the whole ecosystem", "ecosystem", eco)
			var rs []vulndb.Result
			if isURL(source) {
				rs, err = importOSV(ctx, env, db, source, []string{eco}, now)
			} else if _, serr := os.Stat(filepath.Join(base, "all.zip")); serr == nil {
				rs, err = db.ImportOSVPath(ctx, filepath.Join(base, "all.zip"), now, env.Log)
			} else {
				continue
			}
			out = append(out, rs...)
			if err != nil {
				return out, err
			}
			continue
		}
		var csv io.Reader
		if isURL(source) {
			tmp, err := os.CreateTemp("", "siegel-modified-")
			if err != nil {
				return out, err
			}
			tmp.Close()
			defer os.Remove(tmp.Name())
			if err := download(ctx, base+"/modified_id.csv", tmp.Name()); err != nil {
				return out, err
			}
			f, err := os.Open(tmp.Name())
			if err != nil {
				return out, err
			}
			defer f.Close()
			csv = f
		} else {
			f, err := os.Open(filepath.Join(base, "modified_id.csv"))
			if err != nil {
				return out, err
			}
			defer f.Close()
			csv = f
		}
		changed, err := vulndb.ParseModifiedIDs(eco+"/modified_id.csv", csv, since)
		if err != nil {
			return out, err
		}
		fetch := func(id string) ([]byte, error) {
			if !isURL(source) {
				return os.ReadFile(filepath.Join(base, id+".json"))
			}
			tmp := filepath.Join(os.TempDir(), "siegel-osv-"+id+".json")
			defer os.Remove(tmp)
			if err := download(ctx, base+"/"+id+".json", tmp); err != nil {
				return nil, err
			}
			return os.ReadFile(tmp)
		}
		r, err := db.UpdateOSV(ctx, src, changed, fetch, now)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

// importFeed opens a local file or downloads a URL and hands it to imp.
func importFeed(ctx context.Context, src string, imp func(string, io.Reader) (vulndb.Result, error)) (vulndb.Result, error) {
	if isURL(src) {
		tmp, err := os.CreateTemp("", "siegel-feed-")
		if err != nil {
			return vulndb.Result{}, err
		}
		tmp.Close()
		defer os.Remove(tmp.Name())
		if err := download(ctx, src, tmp.Name()); err != nil {
			return vulndb.Result{}, err
		}
		f, err := os.Open(tmp.Name())
		if err != nil {
			return vulndb.Result{}, err
		}
		defer f.Close()
		return imp(src, f)
	}
	f, err := os.Open(src)
	if err != nil {
		return vulndb.Result{}, fmt.Errorf("open feed: %w", err)
	}
	defer f.Close()
	return imp(src, f)
}

// download fetches a URL into a file, bounded in size and time.
func download(ctx context.Context, url, dst string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", "siegel/"+buildVersion())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("download %s: %w (without network, pass local files: see 'siegel db update --help')", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("download %s: %s", url, resp.Status)
	}
	f, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, io.LimitReader(resp.Body, 4<<30)); err != nil {
		f.Close()
		return fmt.Errorf("download %s: %w", url, err)
	}
	return f.Close()
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
			w := env.Stdout
			fmt.Fprintf(w, "database:   %s\nadvisories: %d (%d withdrawn)\npackages:   %d\nKEV:        %d\nEPSS:       %d\nEUVD:       %d\n",
				st.Path, st.Advisories, st.Withdrawn, st.Packages, st.KEV, st.EPSS, st.EUVD)
			for _, s := range st.Snapshots {
				fmt.Fprintf(w, "  %-20s %s  %7d records  %d skipped  sha256 %s\n", s.Source, s.Taken.Format(time.RFC3339), s.Records, s.Skipped, short(s.Digest))
			}
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
