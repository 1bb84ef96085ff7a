package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// idsIn is "(?, ?, ...)" with its arguments, for a non-empty list of ids.
func idsIn(ids []int64) (string, []any) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return `(?` + strings.Repeat(", ?", len(ids)-1) + `)`, args
}

// FindingsInForce returns the findings not resolved of several releases, by release, each
// release's in the order Findings lists them by default: one query where a page needs the
// findings of a product's earlier releases. Each has its ID, Release, Vulnerability, PURL and
// Aliases, and nothing else: what tells the vulnerabilities a later release fixed, without
// decoding every finding's record or reading the columns it does not need (their times, which
// the SQLite driver parses per row, were half the cost of the statement; FirstSeen reads the
// few that are needed).
func (s *DB) FindingsInForce(ctx context.Context, releases []int64) (map[int64][]Finding, error) {
	out := map[int64][]Finding{}
	if len(releases) == 0 {
		return out, nil
	}
	in, args := idsIn(releases)
	rows, err := s.reader().QueryContext(ctx, s.rebind(`SELECT id, release, vulnerability, purl, aliases
		FROM finding WHERE release IN `+in+` AND resolved_at IS NULL ORDER BY release, `+findingOrder(FindingFilter{})), args...)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	for rows.Next() {
		var x Finding
		var aliases sql.RawBytes
		if err := rows.Scan(&x.ID, &x.Release, &x.Vulnerability, &x.PURL, &aliases); err != nil {
			return nil, err
		}
		if len(aliases) > 2 { // not "[]"
			if err := json.Unmarshal(aliases, &x.Aliases); err != nil {
				return nil, fmt.Errorf("finding %d: aliases: %w", x.ID, err)
			}
		}
		out[x.Release] = append(out[x.Release], x)
	}
	return out, rows.Err()
}

// FirstSeen returns when each of several findings was first seen; a finding not stored is left
// out.
func (s *DB) FirstSeen(ctx context.Context, findings []int64) (map[int64]time.Time, error) {
	return s.timesByID(ctx, `SELECT id, first_seen FROM finding WHERE id IN `, findings)
}

// MatchedAt returns when each of several releases was last matched, fully or for the packages
// an update of the vulnerability database touched (when its coverage was last kept); a release
// never matched is left out.
func (s *DB) MatchedAt(ctx context.Context, releases []int64) (map[int64]time.Time, error) {
	return s.timesByID(ctx, `SELECT release, updated_at FROM release_coverage WHERE release IN `, releases)
}

// timesByID runs query, which selects an id and a time and ends where the list of ids goes,
// and returns the times by id.
func (s *DB) timesByID(ctx context.Context, query string, ids []int64) (map[int64]time.Time, error) {
	out := map[int64]time.Time{}
	if len(ids) == 0 {
		return out, nil
	}
	in, args := idsIn(ids)
	rows, err := s.reader().QueryContext(ctx, s.rebind(query+in), args...)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var at time.Time
		if err := rows.Scan(&id, &at); err != nil {
			return nil, err
		}
		out[id] = at.UTC()
	}
	return out, rows.Err()
}

// Package is how a component of a release is looked up: its purl and version, and its lookup
// key in the vulnerability database (base ecosystem and name; empty when it is not looked up).
type Package struct {
	PURL, Version, Ecosystem, Lookup string
}

// maxPURLFilter is the most purls PackagesByPURL names to the database.
const maxPURLFilter = 1000

// wantedPURLs lists the distinct purls of several releases, sorted (one statement text for the
// same set).
func wantedPURLs(purls map[int64][]string) []string {
	var all []string
	for _, ps := range purls {
		all = append(all, ps...)
	}
	slices.Sort(all)
	return slices.Compact(all)
}

// PackagesByPURL returns, by release, the packages of several releases' components that have one
// of the purls given for their release, in the order ReleaseComponents lists the components. The
// releases' rows are read by the release index and the purls picked here: on PostgreSQL that
// costs less than probing the purl index once per purl, the plan it chooses for either
// condition in SQL.
func (s *DB) PackagesByPURL(ctx context.Context, purls map[int64][]string) (map[int64][]Package, error) {
	out := map[int64][]Package{}
	want := map[int64]map[string]bool{}
	var releases []int64
	for r, ps := range purls {
		if len(ps) == 0 {
			continue
		}
		releases = append(releases, r)
		want[r] = map[string]bool{}
		for _, p := range ps {
			want[r][p] = true
		}
	}
	if len(releases) == 0 {
		return out, nil
	}
	in, args := idsIn(releases)
	// The purls are also named to the database, as an expression it cannot answer from the purl
	// index, so that only the wanted rows leave it (at 2,000 products x 5 releases x 500
	// components, four earlier releases: 2.6 ms instead of 4.5 ms on PostgreSQL). Past
	// maxPURLFilter, the rows are picked here alone.
	filter := ""
	if all := wantedPURLs(purls); len(all) <= maxPURLFilter {
		filter = ` AND purl || '' IN (?` + strings.Repeat(", ?", len(all)-1) + `)`
		for _, p := range all {
			args = append(args, p)
		}
	}
	rows, err := s.reader().QueryContext(ctx, s.rebind(`SELECT release, purl, version, ecosystem, lookup
		FROM component WHERE release IN `+in+filter+` ORDER BY release, purl, name, version, ref`), args...)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	// Most rows are not wanted: they are scanned without copying their values, and only the
	// wanted ones are copied out.
	var release int64
	var purl, version, ecosystem, lookup sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&release, &purl, &version, &ecosystem, &lookup); err != nil {
			return nil, err
		}
		if want[release][string(purl)] {
			out[release] = append(out[release], Package{PURL: string(purl), Version: string(version), Ecosystem: string(ecosystem), Lookup: string(lookup)})
		}
	}
	return out, rows.Err()
}
