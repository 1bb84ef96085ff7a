package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// CoverageTotals sums what the kept coverages of a product's matched releases say, for the
// portfolio: it reads these counts, kept beside each coverage record, instead of decoding every
// record.
type CoverageTotals struct {
	Releases   int // releases with a kept coverage (matched at least once)
	Components int
	Checked    int // as each matching stated it, against the database as it was then
	// Checkable counts, by base ecosystem, the components with a version to compare: a
	// database holding advisories of the ecosystem checks them.
	Checkable map[string]int
}

// coverageCounts are the fields of a coverage record (match.Coverage as JSON) the kept counts
// take from it.
type coverageCounts struct {
	Components int `json:"components"`
	Checked    int `json:"checked"`
	Ecosystems []struct {
		Ecosystem  string `json:"ecosystem"`
		Components int    `json:"components"`
		NoVersion  int    `json:"noVersion"`
		BadVersion int    `json:"unparseableVersion"`
	} `json:"ecosystems"`
}

// keepCoverage stores a release's coverage record with the counts the portfolio sums of it.
func (s *DB) keepCoverage(ctx context.Context, tx *sql.Tx, release int64, data []byte, now time.Time) error {
	var c coverageCounts
	if err := json.Unmarshal(data, &c); err != nil {
		return fmt.Errorf("coverage record: %w", err)
	}
	if _, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO release_coverage (release, coverage, updated_at, components, checked) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (release) DO UPDATE SET coverage = excluded.coverage, updated_at = excluded.updated_at, components = excluded.components, checked = excluded.checked`),
		release, string(data), now, c.Components, c.Checked); err != nil {
		return mapError(err)
	}
	if _, err := tx.ExecContext(ctx, s.rebind(`DELETE FROM release_coverage_ecosystem WHERE release = ?`), release); err != nil {
		return mapError(err)
	}
	checkable := map[string]int{}
	for _, e := range c.Ecosystems {
		checkable[e.Ecosystem] += e.Components - e.NoVersion - e.BadVersion
	}
	if len(checkable) == 0 {
		return nil
	}
	args := make([]any, 0, 3*len(checkable))
	for _, eco := range slices.Sorted(maps.Keys(checkable)) {
		args = append(args, release, eco, checkable[eco])
	}
	_, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO release_coverage_ecosystem (release, ecosystem, checkable) VALUES `+
		strings.TrimSuffix(strings.Repeat("(?, ?, ?),", len(checkable)), ",")), args...)
	return mapError(err)
}

// ProductCoverageTotals sums the kept coverage counts of the products' releases, by product; a
// product none of whose releases was matched has no entry.
func (s *DB) ProductCoverageTotals(ctx context.Context, products []int64) (map[int64]CoverageTotals, error) {
	if len(products) == 0 {
		return map[int64]CoverageTotals{}, nil
	}
	in, args := idsIn(products)
	return s.coverageTotals(ctx, "r.product", "r.product IN "+in, args)
}

// ReleaseCoverageTotals is the kept coverage counts of each matched release of a product, by
// release (Releases is 1 in each).
func (s *DB) ReleaseCoverageTotals(ctx context.Context, product int64) (map[int64]CoverageTotals, error) {
	return s.coverageTotals(ctx, "r.id", "r.product = ?", []any{product})
}

// coverageTotals sums kept coverage counts of the releases where selects, grouped by key (an
// expression over the release r).
func (s *DB) coverageTotals(ctx context.Context, key, where string, args []any) (map[int64]CoverageTotals, error) {
	out := map[int64]CoverageTotals{}
	rows, err := s.reader().QueryContext(ctx, s.rebind(`SELECT `+key+`, count(*), sum(c.components), sum(c.checked) FROM release_coverage c
		JOIN release r ON r.id = c.release WHERE `+where+` GROUP BY `+key), args...)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k int64
		t := CoverageTotals{Checkable: map[string]int{}}
		if err := rows.Scan(&k, &t.Releases, &t.Components, &t.Checked); err != nil {
			return nil, err
		}
		out[k] = t
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	erows, err := s.reader().QueryContext(ctx, s.rebind(`SELECT `+key+`, e.ecosystem, sum(e.checkable) FROM release_coverage_ecosystem e
		JOIN release r ON r.id = e.release WHERE `+where+` GROUP BY `+key+`, e.ecosystem`), args...)
	if err != nil {
		return nil, mapError(err)
	}
	defer erows.Close()
	for erows.Next() {
		var k int64
		var eco string
		var n int
		if err := erows.Scan(&k, &eco, &n); err != nil {
			return nil, err
		}
		if t, ok := out[k]; ok {
			t.Checkable[eco] = n
		}
	}
	return out, erows.Err()
}
