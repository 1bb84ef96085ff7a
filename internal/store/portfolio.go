package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/siegel-oss/siegel/internal/purl"
)

// The portfolio's reads: where a component is used across releases, and the occurrences the
// inventory of critical components aggregates. Where-used reads go through the component_base
// index (base purl, version, release), the component_lookup_release index (lookup name,
// ecosystem, version compared, commit, release) and, for one organization, the
// component_release_base index (release, base purl, version, direct): the version counts come
// from an index alone, and a page of occurrences is chosen from index entries and reads only the
// rows it shows.

// backfillBasePURL fills component.base_purl for rows stored before the column existed, in
// batches of one transaction each, so a large store is converted once at start-up.
func (s *DB) backfillBasePURL(ctx context.Context) error {
	for {
		var done bool
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			rows, err := tx.QueryContext(ctx, s.rebind(`SELECT id, purl FROM component WHERE base_purl = '' AND purl <> '' LIMIT 5000`))
			if err != nil {
				return err
			}
			type row struct {
				id   int64
				base string
			}
			var todo []row
			for rows.Next() {
				var r row
				var p string
				if err := rows.Scan(&r.id, &p); err != nil {
					rows.Close()
					return err
				}
				r.base = purl.Base(p)
				todo = append(todo, r)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			done = len(todo) < 5000
			for _, r := range todo {
				if r.base == "" {
					r.base = "-" // a purl of blanks: never looked at again
				}
				if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE component SET base_purl = ? WHERE id = ?`), r.base, r.id); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("fill the base purls of stored components: %w", err)
		}
		if done {
			return nil
		}
	}
}

// SetReleaseDevices records how many devices of a release are on the market (nil: unknown), in
// the audit trail.
func (s *DB) SetReleaseDevices(ctx context.Context, release int64, devices *int64) error {
	if devices != nil && *devices < 0 {
		return fmt.Errorf("devices on the market %d: give a count of zero or more, or none when unknown", *devices)
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.rebind(`UPDATE release SET devices_on_market = ? WHERE id = ?`), devices, release)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("release %d: %w", release, ErrNotFound)
		}
		detail := "unknown"
		if devices != nil {
			detail = strconv.FormatInt(*devices, 10)
		}
		return s.auditRelease(ctx, tx, release, "release.devices", fmt.Sprintf("release/%d", release), "devices on the market: "+detail)
	})
}

// VersionCount is how many occurrences a version of a component has.
type VersionCount struct {
	Version string
	Count   int
}

// Scope is whose releases a component query reads: one organization's (Org), those of the
// products registered with a market surveillance authority (Authority: CRA Chapter V gives an
// authority the products it oversees, not every manufacturer's composition), both, or, with
// neither, every release.
type Scope struct {
	Org       int64
	Authority int64
}

// filter restricts a component query to the scope's releases. They are a set the query reads
// once: a component used everywhere is then found by seeking each of these releases in the
// (release, base purl) index, or its occurrences are checked against the set, instead of
// joining every occurrence to its release and product.
func (sc Scope) filter() (where string, args []any) {
	if sc.Org > 0 {
		where, args = " AND c.release IN (SELECT r0.id FROM release r0 JOIN product p0 ON p0.id = r0.product WHERE p0.organization = ?)", []any{sc.Org}
	}
	if sc.Authority > 0 {
		where += " AND c.release IN (SELECT r1.id FROM release r1 JOIN product_registration g1 ON g1.product = r1.product WHERE g1.authority = ?)"
		args = append(args, sc.Authority)
	}
	return where, args
}

// ComponentVersions counts the occurrences of each version of the component with base purl base
// (purl.Base), in the releases of scope.
func (s *DB) ComponentVersions(ctx context.Context, base string, scope Scope) ([]VersionCount, error) {
	where, args := scope.filter()
	rows, err := s.sql.QueryContext(ctx, s.rebind(`SELECT c.version, count(*) FROM component c WHERE c.base_purl = ?`+where+` GROUP BY c.version ORDER BY c.version`),
		append([]any{base}, args...)...)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	var out []VersionCount
	for rows.Next() {
		var v VersionCount
		if err := rows.Scan(&v.Version, &v.Count); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// MatchGroup is a set of occurrences that an advisory's affected entry treats alike: one
// ecosystem (with release), version compared and commit.
type MatchGroup struct {
	Ecosystem    string
	MatchVersion string
	Commit       string
	Count        int
}

// LookupGroups groups the occurrences of the package an advisory names (its OSV ecosystem
// without release and its lookup name, as vulndb.PackageKey normalizes it) by ecosystem, version
// compared and commit, in the releases of scope.
func (s *DB) LookupGroups(ctx context.Context, ecosystem, lookup string, scope Scope) ([]MatchGroup, error) {
	where, args := scope.filter()
	// The ecosystem itself or any release of it ("Debian" and "Debian:12"): ':' + 1 is ';'.
	rows, err := s.sql.QueryContext(ctx, s.rebind(`SELECT c.ecosystem, c.match_version, c.vcs_commit, count(*) FROM component c
		WHERE c.lookup = ? AND (c.ecosystem = ? OR (c.ecosystem > ? AND c.ecosystem < ?))`+where+`
		GROUP BY c.ecosystem, c.match_version, c.vcs_commit ORDER BY c.ecosystem, c.match_version, c.vcs_commit`),
		append([]any{lookup, ecosystem, ecosystem + ":", ecosystem + ";"}, args...)...)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	var out []MatchGroup
	for rows.Next() {
		var g MatchGroup
		if err := rows.Scan(&g.Ecosystem, &g.MatchVersion, &g.Commit, &g.Count); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// OccurrenceQuery selects component occurrences: either by base purl and (when Versions is not
// nil) versions, or by lookup name and the match groups an advisory affects.
type OccurrenceQuery struct {
	Base     string
	Versions []string // nil: every version
	Lookup   string
	Groups   []MatchGroup // with Lookup: the groups to list (Count ignored)
	Scope    Scope        // whose releases; the zero Scope: all
	Limit    int
	Offset   int
}

// Occurrence is one component of one release: where a component is used.
type Occurrence struct {
	OrgID        int64
	Organization string
	ProductID    int64
	Product      string
	ReleaseID    int64
	Release      string
	Name         string
	Version      string
	PURL         string
	Direct       bool
}

// Occurrences lists a page of the occurrences q selects, ordered by component version and
// release (the index's order, so a page costs what it shows).
func (s *DB) Occurrences(ctx context.Context, q OccurrenceQuery) ([]Occurrence, error) {
	var where []string
	var args []any
	order := "c.version, c.release, c.id"
	matched := false
	switch {
	case q.Base != "":
		where, args = append(where, "c.base_purl = ?"), append(args, q.Base)
		if q.Versions != nil {
			if len(q.Versions) == 0 {
				return nil, nil
			}
			where = append(where, "c.version IN ("+placeholders(len(q.Versions))+")")
			for _, v := range q.Versions {
				args = append(args, v)
			}
		}
	case q.Lookup != "":
		if len(q.Groups) == 0 {
			return nil, nil
		}
		// The groups as a list of row values: a planner checks each index entry of the lookup
		// name against it, where an OR of the groups has PostgreSQL read a table row per match.
		var vals []string
		for _, g := range q.Groups {
			vals = append(vals, "(?, ?, ?)")
			args = append(args, g.Ecosystem, g.MatchVersion, g.Commit)
		}
		where = append([]string{"c.lookup = ?", "(c.ecosystem, c.match_version, c.vcs_commit) IN (VALUES " + strings.Join(vals, ", ") + ")"}, where...)
		args = append([]any{q.Lookup}, args...)
		order = "c.release, c.id"
		// Matched first, then ordered: the lookup index yields each group in release order but
		// not the groups together, and a planner that walks the release index instead to skip
		// the sort reads the occurrences of every component (PostgreSQL does, seconds long).
		matched = true
	default:
		return nil, fmt.Errorf("occurrences: give a base purl or a lookup name")
	}
	if w, a := q.Scope.filter(); w != "" {
		where, args = append(where, strings.TrimPrefix(w, " AND ")), append(args, a...)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	args = append(args, limit, max(q.Offset, 0))
	// The page's rows are chosen from the index alone (it holds the columns selected on and
	// ordered by, and the row id), and only they are read and joined: the matches of a component
	// in every release are sorted as index entries, not as joined rows.
	page := `SELECT c.id FROM component c WHERE ` + strings.Join(where, " AND ") + ` ORDER BY ` + order + ` LIMIT ? OFFSET ?`
	with := ""
	if matched {
		with = `WITH m AS MATERIALIZED (SELECT c.id, c.release FROM component c WHERE ` + strings.Join(where, " AND ") + `) `
		page = `SELECT m.id FROM m ORDER BY m.release, m.id LIMIT ? OFFSET ?`
	}
	rows, err := s.sql.QueryContext(ctx, s.rebind(with+`SELECT o.id, o.name, p.id, p.name, r.id, r.version, c.name, c.version, c.purl, c.direct
		FROM (`+page+`) page
		JOIN component c ON c.id = page.id JOIN release r ON r.id = c.release JOIN product p ON p.id = r.product JOIN organization o ON o.id = p.organization
		ORDER BY `+order), args...)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	out := []Occurrence{}
	for rows.Next() {
		var o Occurrence
		if err := rows.Scan(&o.OrgID, &o.Organization, &o.ProductID, &o.Product, &o.ReleaseID, &o.Release, &o.Name, &o.Version, &o.PURL, &o.Direct); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// ReleasePURL identifies one component occurrence by release and purl, as findings and VEX
// statements do.
type ReleasePURL struct {
	Release int64
	PURL    string
}

// OccurrenceFinding is a finding of an occurrence with the VEX status in force ("" when none).
type OccurrenceFinding struct {
	Vulnerability string
	Severity      string
	Exploited     bool
	Resolved      bool
	VEX           string
}

// OccurrenceFindings returns, per occurrence of keys, its findings with their VEX status: only
// those in force, or, when vulns is given, those of these vulnerability ids (an advisory and its
// aliases) whether in force or resolved.
func (s *DB) OccurrenceFindings(ctx context.Context, keys []ReleasePURL, vulns []string) (map[ReleasePURL][]OccurrenceFinding, error) {
	out := map[ReleasePURL][]OccurrenceFinding{}
	if len(keys) == 0 {
		return out, nil
	}
	want := make(map[ReleasePURL]bool, len(keys))
	rels, purls := map[int64]bool{}, map[string]bool{}
	var args []any
	var relArgs, purlArgs []any
	for _, k := range keys {
		want[k] = true
		if !rels[k.Release] {
			rels[k.Release] = true
			relArgs = append(relArgs, k.Release)
		}
		if !purls[k.PURL] {
			purls[k.PURL] = true
			purlArgs = append(purlArgs, k.PURL)
		}
	}
	args = append(append(args, relArgs...), purlArgs...)
	filter := " AND f.resolved_at IS NULL"
	if len(vulns) > 0 {
		filter = " AND f.vulnerability IN (" + placeholders(len(vulns)) + ")"
		for _, v := range vulns {
			args = append(args, v)
		}
	}
	// The status in force: own or inherited from an earlier release, unless expired.
	now := s.now()
	rows, err := s.sql.QueryContext(ctx, s.rebind(`SELECT f.release, f.purl, f.vulnerability, f.severity, f.exploited, f.resolved_at IS NOT NULL,
		`+vexInForce+`
		FROM finding f WHERE f.release IN (`+placeholders(len(relArgs))+`) AND f.purl IN (`+placeholders(len(purlArgs))+`)`+filter+`
		ORDER BY f.release, f.purl, f.vulnerability`), append([]any{now, now}, args...)...)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k ReleasePURL
		var f OccurrenceFinding
		if err := rows.Scan(&k.Release, &k.PURL, &f.Vulnerability, &f.Severity, &f.Exploited, &f.Resolved, &f.VEX); err != nil {
			return nil, err
		}
		if want[k] {
			out[k] = append(out[k], f)
		}
	}
	return out, rows.Err()
}

// OccurrenceVEX returns the VEX status in force per occurrence of keys for any of the
// vulnerability ids vulns (an advisory and its aliases): a statement may exist without a finding
// (the advisory was triaged before matching, or matching no longer finds it).
func (s *DB) OccurrenceVEX(ctx context.Context, keys []ReleasePURL, vulns []string) (map[ReleasePURL]string, error) {
	out := map[ReleasePURL]string{}
	if len(keys) == 0 || len(vulns) == 0 {
		return out, nil
	}
	want := map[ReleasePURL]bool{}
	rels := map[int64]bool{}
	var args []any
	for _, k := range keys {
		want[k] = true
		if !rels[k.Release] {
			rels[k.Release] = true
			args = append(args, k.Release)
		}
	}
	nrel := len(args)
	for _, v := range vulns {
		args = append(args, v)
	}
	rows, err := s.sql.QueryContext(ctx, s.rebind(`SELECT release, purl, status FROM vex_statement
		WHERE release IN (`+placeholders(nrel)+`) AND vulnerability IN (`+placeholders(len(vulns))+`) ORDER BY id`), args...)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k ReleasePURL
		var status string
		if err := rows.Scan(&k.Release, &k.PURL, &status); err != nil {
			return nil, err
		}
		if want[k] {
			out[k] = status // ordered by id: the newest is in force
		}
	}
	return out, rows.Err()
}

// InventoryRelease is what the inventory of critical components needs of a release: its product,
// organization and declared devices on the market (nil: unknown).
type InventoryRelease struct {
	ID           int64
	Product      int64
	Organization int64
	Devices      *int64
}

// InventoryReleases lists every release of every manufacturer (organizations that are not
// authorities).
func (s *DB) InventoryReleases(ctx context.Context) ([]InventoryRelease, error) {
	rows, err := s.sql.QueryContext(ctx, s.rebind(`SELECT r.id, r.product, p.organization, r.devices_on_market FROM release r
		JOIN product p ON p.id = r.product JOIN organization o ON o.id = p.organization WHERE o.authority = ? ORDER BY r.id`), false)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	var out []InventoryRelease
	for rows.Next() {
		var r InventoryRelease
		if err := rows.Scan(&r.ID, &r.Product, &r.Organization, &r.Devices); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// EachOccurrence calls fn for every component occurrence of every release: the release, the
// base purl (valid only during the call) and whether the SBOM's graph makes it a direct
// dependency. Rows without a purl are left out: they name no package anyone could look up. The
// columns read are all in the component_release_base index, which SQLite reads instead of the
// wide table.
func (s *DB) EachOccurrence(ctx context.Context, fn func(release int64, base []byte, direct bool) error) error {
	const q = `SELECT release, base_purl, direct FROM component WHERE base_purl <> '' AND base_purl <> '-'`
	if s.dialect == Postgres {
		return s.eachOccurrencePostgres(ctx, q, fn)
	}
	rows, err := s.sql.QueryContext(ctx, q)
	if err != nil {
		return mapError(err)
	}
	defer rows.Close()
	var rel int64
	var base sql.RawBytes
	var direct bool
	for rows.Next() {
		if err := rows.Scan(&rel, &base, &direct); err != nil {
			return err
		}
		if err := fn(rel, base, direct); err != nil {
			return err
		}
	}
	return rows.Err()
}
