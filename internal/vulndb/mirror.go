package vulndb

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
)

// File names of the feeds in a mirror folder: what the publishers call them.
var mirrorFiles = []struct {
	feed, dir string
	names     []string
}{
	{FeedKEV, "kev", []string{"known_exploited_vulnerabilities.json"}},
	{FeedEPSS, "epss", []string{"epss_scores-current.csv.gz", "epss_scores-current.csv"}},
	{FeedEUVD, "euvd", []string{"euvd-exploited.json"}},
}

// Mirror finds the feeds in a local mirror folder. A mirror holds the feeds side by side, each in
// a folder of its own or at the top: osv/ (the osv.dev layout, <Ecosystem>/all.zip), kev/ (CISA's
// known_exploited_vulnerabilities.json), epss/ (epss_scores-current.csv.gz) and euvd/
// (euvd-exploited.json). dir may also be the OSV folder itself: the other feeds are then looked
// for beside it (in the folder and in its parent's kev/, epss/ and euvd/). Fields of named that
// are set are kept (a feed named explicitly wins); the others are filled from what was found.
// Found lists each feed's origin, "" for a feed not found.
func Mirror(dir string, named Sources) (Sources, map[string]string, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return named, nil, fmt.Errorf("mirror folder: %w", err)
	}
	if !info.IsDir() {
		return named, nil, fmt.Errorf("mirror folder %s: not a directory", dir)
	}
	s := named
	osv := dir
	if fi, err := os.Stat(filepath.Join(dir, "osv")); err == nil && fi.IsDir() {
		osv = filepath.Join(dir, "osv")
	}
	if s.OSV == "" || filepath.Clean(s.OSV) == filepath.Clean(dir) {
		s.OSV = osv
	}
	// Where the other feeds may sit: the mirror's top, its feed folders, and beside an OSV folder.
	roots := []string{dir}
	if osv == dir {
		roots = append(roots, filepath.Dir(filepath.Clean(dir)))
	}
	dst := map[string]*string{FeedKEV: &s.KEV, FeedEPSS: &s.EPSS, FeedEUVD: &s.EUVD}
	for _, m := range mirrorFiles {
		if *dst[m.feed] != "" {
			continue
		}
	search:
		for _, root := range roots {
			for _, sub := range []string{"", m.dir} {
				if root != dir && sub == "" {
					continue // the parent of an OSV folder holds other things than feeds
				}
				for _, n := range m.names {
					if p := filepath.Join(root, sub, n); regularFile(p) {
						*dst[m.feed] = p
						break search
					}
				}
			}
		}
	}
	found := map[string]string{FeedOSV: s.OSV, FeedKEV: s.KEV, FeedEPSS: s.EPSS, FeedEUVD: s.EUVD}
	return s, found, nil
}

func regularFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// Configured returns each feed and the source an update reads it from, "" when none is given.
func (s Sources) Configured() map[string]string {
	return map[string]string{FeedOSV: s.OSV, FeedKEV: s.KEV, FeedEPSS: s.EPSS, FeedEUVD: s.EUVD}
}

// feedOrder lists the feeds in the order they are reported.
var feedOrder = []string{FeedOSV, FeedKEV, FeedEPSS, FeedEUVD}

// LogSources logs where each feed will be read from, and warns of each feed no source is given
// for: what it tells (exploited vulnerabilities for KEV and EUVD) will not be known.
func LogSources(log *slog.Logger, s Sources) {
	cfg := s.Configured()
	for _, f := range feedOrder {
		if cfg[f] != "" {
			log.Info("vulnerability feed", "feed", f, "from", cfg[f])
		} else {
			log.Warn("vulnerability feed not configured: what it tells will not be known", "feed", f, "consequence", feedConsequence[f])
		}
	}
}

// feedConsequence says what is not known without a feed.
var feedConsequence = map[string]string{
	FeedOSV:  "no advisories: no finding can be made",
	FeedKEV:  "no finding is marked actively exploited from CISA KEV, and no CRA Art. 14 case opens from it",
	FeedEPSS: "no exploit prediction scores",
	FeedEUVD: "no finding is marked actively exploited from ENISA EUVD, and no EUVD ids",
}

// warnMissing logs a warning for each feed the database does not hold.
func (db *DB) warnMissing(ctx context.Context, log *slog.Logger) {
	st, err := db.Status(ctx)
	if err != nil {
		log.Warn("vulnerability database status unknown", "err", err)
		return
	}
	for _, f := range st.Feeds {
		if f.Missing {
			log.Warn("feed missing from the vulnerability database", "feed", f.Name, "consequence", feedConsequence[f.Name])
		}
	}
}
