package app

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/siegel-oss/siegel/internal/match"
	"github.com/siegel-oss/siegel/internal/store"
	"github.com/siegel-oss/siegel/internal/vulndb"
)

// Holdings reads what the vulnerability database holds, or nil when there is none (or no
// directory is configured).
func (s *Deps) Holdings(ctx context.Context) (*vulndb.Holdings, error) {
	if s.VulnDB == "" {
		return nil, nil
	}
	db, done, err := s.OpenVulnDB(ctx)
	if errors.Is(err, vulndb.ErrNoDatabase) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer done()
	return db.Holdings(ctx)
}

// CoverageOptions are the options a coverage is stated with: the server's clock and the age a
// feed may reach before it is stale.
func (s *Deps) CoverageOptions() match.Options {
	return match.Options{Now: s.Now(), MaxAge: s.MaxDBAge}
}

// releaseCoverage returns what the last matching of a release checked, restated against the
// database as it is now (its advisory counts and the age of its feeds); nil when the release
// was never matched.
func (s *Deps) releaseCoverage(ctx context.Context, release int64, h *vulndb.Holdings) (*match.Coverage, error) {
	kept, err := s.Store.ReleaseCoverage(ctx, release)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	c, err := match.Restate(kept.Data, h, s.CoverageOptions())
	if err != nil {
		return nil, fmt.Errorf("release %d: %w", release, err)
	}
	return c, nil
}

// ReadHook lets a test act between the reads of a page (a matching that commits between them).
func (s *Deps) ReadHook(step string) {
	if s.OnRead != nil {
		s.OnRead(step)
	}
}

// ReleaseState reads what decides whether a release's findings list is the whole answer:
// whether matching is pending or running, the database's holdings, and the coverage of the last
// matching. It must be read before the findings. Matching writes a release's findings and its
// coverage in one transaction and is pending until then, and each read sees at least what an
// earlier one saw; a list read after these is therefore at least as new as the coverage that
// qualifies it. Read the other way round, a matching that commits between the reads shows its
// coverage beside the empty list from before it: "no known vulnerabilities" for a release whose
// findings had just been written.
func (s *Deps) ReleaseState(ctx context.Context, release int64) (pending bool, h *vulndb.Holdings, cov *match.Coverage, err error) {
	if pending, err = s.Store.Pending(ctx, "match-release/"+strconv.FormatInt(release, 10)); err != nil {
		return false, nil, nil, err
	}
	s.ReadHook("pending")
	if h, err = s.Holdings(ctx); err != nil {
		return false, nil, nil, err
	}
	if cov, err = s.releaseCoverage(ctx, release, h); err != nil {
		return false, nil, nil, err
	}
	s.ReadHook("coverage")
	return pending, h, cov, nil
}

// DBWarnings are the warnings about the vulnerability database every page shows as a banner: an
// empty or stale database is never silent.
func (s *Deps) DBWarnings(ctx context.Context) []string {
	h, err := s.Holdings(ctx)
	return s.WarningsOf(h, err)
}

// WarningsOf are the banner's warnings about holdings h, read with the error err; never nil, so
// that a page that read the holdings already is not made to read them again.
func (s *Deps) WarningsOf(h *vulndb.Holdings, err error) []string {
	if err != nil {
		return []string{fmt.Sprintf("the vulnerability database cannot be read (%v): findings may be missing", err)}
	}
	if h == nil {
		return []string{"there is no vulnerability database yet: no component has been checked; an administrator runs an update (Vulnerability database page)"}
	}
	if w := match.DatabaseWarnings(h, s.CoverageOptions()); w != nil {
		return w
	}
	return []string{}
}
