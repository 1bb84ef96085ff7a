package vulndb

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Live sources.
const (
	osvBaseURL = "https://osv-vulnerabilities.storage.googleapis.com"
	kevURL     = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
	epssURL    = "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz"
	euvdURL    = "https://euvdservices.enisa.europa.eu/api/exploitedvulnerabilities"
)

// DefaultEcosystems are fetched from osv.dev when no ecosystem list is given.
var DefaultEcosystems = []string{"Go", "npm", "PyPI", "Maven", "RubyGems", "NuGet", "crates.io", "Packagist",
	"Hex", "Pub", "Debian", "Ubuntu", "Alpine", "Red Hat", "AlmaLinux", "Rocky Linux", "SUSE", "openSUSE", "Bitnami"}

// Sources names what an update reads; each is a URL or a local path. Empty fields are skipped.
type Sources struct {
	OSV         string   // osv.dev layout base URL or local path (directory, all.zip, JSON file)
	Ecosystems  []string // fetched from an OSV base URL
	Incremental bool     // only records changed since the last update (modified_id.csv)
	KEV         string   // CISA KEV catalogue (JSON)
	EPSS        string   // FIRST EPSS scores (CSV, may be gzipped)
	EUVD        string   // ENISA EUVD exploited vulnerabilities (an API response)
	EUVDSearch  string   // other EUVD API responses (ids and aliases)
	UserAgent   string
}

// LiveSources are the public feeds.
func LiveSources() Sources {
	return Sources{OSV: osvBaseURL, Ecosystems: DefaultEcosystems, KEV: kevURL, EPSS: epssURL, EUVD: euvdURL}
}

// Update imports every source given, in order OSV, KEV, EPSS, EUVD, and returns one result per
// imported source. It stops at the first source that fails; what was imported before stays.
func (db *DB) Update(ctx context.Context, src Sources, now time.Time, log *slog.Logger) ([]Result, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ua := src.UserAgent
	if ua == "" {
		ua = "siegel"
	}
	var results []Result
	if src.OSV != "" {
		var rs []Result
		var err error
		if src.Incremental {
			rs, err = db.updateOSV(ctx, src.OSV, src.Ecosystems, now, log, ua)
		} else {
			rs, err = db.fetchOSV(ctx, src.OSV, src.Ecosystems, now, log, ua)
		}
		results = append(results, rs...)
		if err != nil {
			return results, err
		}
		n := 0
		for _, r := range rs {
			n += r.Snapshot.Records
		}
		log.Info("loaded feed", "feed", FeedOSV, "from", src.OSV, "records", n)
	}
	feeds := []struct {
		name, src string
		imp       func(string, io.Reader) (Result, error)
	}{
		{FeedKEV, src.KEV, func(n string, r io.Reader) (Result, error) { return db.ImportKEV(ctx, n, r, now) }},
		{FeedEPSS, src.EPSS, func(n string, r io.Reader) (Result, error) { return db.ImportEPSS(ctx, n, r, now) }},
		{FeedEUVD, src.EUVD, func(n string, r io.Reader) (Result, error) { return db.ImportEUVD(ctx, n, r, true, now) }},
		{FeedEUVD, src.EUVDSearch, func(n string, r io.Reader) (Result, error) { return db.ImportEUVD(ctx, n, r, false, now) }},
	}
	for _, f := range feeds {
		if f.src == "" {
			continue
		}
		r, err := importFeed(ctx, f.src, ua, f.imp)
		if err != nil {
			return results, err
		}
		log.Info("loaded feed", "feed", f.name, "from", f.src, "records", r.Snapshot.Records, "skipped", r.Snapshot.Skipped)
		results = append(results, r)
	}
	db.warnMissing(ctx, log)
	if len(results) > 0 {
		// Count the advisories per ecosystem now, so that no scan pays for it.
		if _, err := db.Holdings(ctx); err != nil {
			return results, err
		}
	}
	return results, nil
}

func isURL(s string) bool { return strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://") }

// importOSV imports from a local path, or downloads the archives of each ecosystem from a base URL.
func (db *DB) fetchOSV(ctx context.Context, source string, ecosystems []string, now time.Time, log *slog.Logger, ua string) ([]Result, error) {
	if !isURL(source) {
		return db.ImportOSVPath(ctx, source, now, log)
	}
	tmp, err := os.MkdirTemp("", "siegel-osv-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if strings.HasSuffix(source, ".zip") {
		p := filepath.Join(tmp, "all.zip")
		if err := download(ctx, source, p, ua); err != nil {
			return nil, err
		}
		return db.importOSVFrom(ctx, p, source, now, log)
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
		log.Info("downloading", "url", u)
		if err := download(ctx, u, p, ua); err != nil {
			return nil, err
		}
	}
	return db.importOSVFrom(ctx, tmp, source, now, log)
}

// importOSVFrom imports the local copy p of the OSV records at origin.
func (db *DB) importOSVFrom(ctx context.Context, p, origin string, now time.Time, log *slog.Logger) ([]Result, error) {
	rs, err := db.importOSVPath(ctx, p, now, log)
	if err == nil {
		err = db.noteOSV(ctx, origin, now)
	}
	return rs, err
}

// updateOSV applies the records changed since the last update of each ecosystem, as listed by
// <source>/<Ecosystem>/modified_id.csv (a URL or a local directory in the osv.dev layout). An
// ecosystem never imported before is imported whole.
func (db *DB) updateOSV(ctx context.Context, source string, ecosystems []string, now time.Time, log *slog.Logger, ua string) ([]Result, error) {
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
	var out []Result
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
			log.Info("no earlier import; importing the whole ecosystem", "ecosystem", eco)
			var rs []Result
			if isURL(source) {
				rs, err = db.fetchOSV(ctx, source, []string{eco}, now, log, ua)
			} else if _, serr := os.Stat(filepath.Join(base, "all.zip")); serr == nil {
				rs, err = db.ImportOSVPath(ctx, filepath.Join(base, "all.zip"), now, log)
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
			if err := download(ctx, base+"/modified_id.csv", tmp.Name(), ua); err != nil {
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
		changed, err := ParseModifiedIDs(eco+"/modified_id.csv", csv, since)
		if err != nil {
			return out, err
		}
		fetch := func(id string) ([]byte, error) {
			if !isURL(source) {
				return os.ReadFile(filepath.Join(base, id+".json"))
			}
			tmp := filepath.Join(os.TempDir(), "siegel-osv-"+id+".json")
			defer os.Remove(tmp)
			if err := download(ctx, base+"/"+id+".json", tmp, ua); err != nil {
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
	return out, db.noteOSV(ctx, source, now)
}

// importFeed opens a local file or downloads a URL and hands it to imp.
func importFeed(ctx context.Context, src, ua string, imp func(string, io.Reader) (Result, error)) (Result, error) {
	if isURL(src) {
		tmp, err := os.CreateTemp("", "siegel-feed-")
		if err != nil {
			return Result{}, err
		}
		tmp.Close()
		defer os.Remove(tmp.Name())
		if err := download(ctx, src, tmp.Name(), ua); err != nil {
			return Result{}, err
		}
		f, err := os.Open(tmp.Name())
		if err != nil {
			return Result{}, err
		}
		defer f.Close()
		return imp(src, f)
	}
	f, err := os.Open(src)
	if err != nil {
		return Result{}, fmt.Errorf("open feed: %w", err)
	}
	defer f.Close()
	return imp(src, f)
}

// download fetches a URL into a file, bounded in size and time.
func download(ctx context.Context, url, dst, ua string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", ua)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("download %s: %w (without network, load local files or a bundle: 'siegel serve --db-source DIR' or 'siegel db update --source DIR', and --kev, --epss, --euvd for the other feeds, or a mirror folder holding osv/, kev/, epss/ and euvd/)", url, err)
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
