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

// recountCoverage takes the kept coverage sums of products again from their releases' kept
// counts, in the transaction that changed those, after their kept-count rows were locked (see
// lockProducts).
func (s *DB) recountCoverage(ctx context.Context, tx *sql.Tx, products []int64) error {
	for _, p := range products {
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`UPDATE product_summary SET (coverage_releases, coverage_components, coverage_checked) =
				(SELECT count(*), COALESCE(sum(c.components), 0), COALESCE(sum(c.checked), 0) FROM release_coverage c
				JOIN release r ON r.id = c.release WHERE r.product = ?) WHERE product = ?`, []any{p, p}},
			{`DELETE FROM product_coverage_ecosystem WHERE product = ?`, []any{p}},
			{`INSERT INTO product_coverage_ecosystem (product, ecosystem, checkable) SELECT r.product, e.ecosystem, sum(e.checkable)
				FROM release_coverage_ecosystem e JOIN release r ON r.id = e.release WHERE r.product = ? GROUP BY r.product, e.ecosystem`, []any{p}},
		} {
			if _, err := tx.ExecContext(ctx, s.rebind(q.sql), q.args...); err != nil {
				return mapError(err)
			}
		}
	}
	return nil
}

// ProductCoverageTotals returns the kept coverage sums of products, by product; a product none
// of whose releases was matched has no entry.
func (s *DB) ProductCoverageTotals(ctx context.Context, products []int64) (map[int64]CoverageTotals, error) {
	if len(products) == 0 {
		return map[int64]CoverageTotals{}, nil
	}
	in, args := idsIn(products)
	return s.coverageTotals(ctx, `SELECT m.product, m.coverage_releases, m.coverage_components, m.coverage_checked, e.ecosystem, e.checkable
		FROM product_summary m LEFT JOIN product_coverage_ecosystem e ON e.product = m.product
		WHERE m.product IN `+in+` AND m.coverage_releases > 0`, args...)
}

// ReleaseCoverageTotals is the kept coverage counts of each matched release of a product, by
// release (Releases is 1 in each).
func (s *DB) ReleaseCoverageTotals(ctx context.Context, product int64) (map[int64]CoverageTotals, error) {
	return s.coverageTotals(ctx, `SELECT c.release, 1, c.components, c.checked, e.ecosystem, e.checkable FROM release_coverage c
		JOIN release r ON r.id = c.release LEFT JOIN release_coverage_ecosystem e ON e.release = c.release WHERE r.product = ?`, product)
}

// coverageTotals reads totals a query selects as (key, releases, components, checked,
// ecosystem, checkable), a row per ecosystem of a key (one with a null ecosystem when it has none).
func (s *DB) coverageTotals(ctx context.Context, q string, args ...any) (map[int64]CoverageTotals, error) {
	out := map[int64]CoverageTotals{}
	rows, err := s.reader().QueryContext(ctx, s.rebind(q), args...)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k int64
		var t CoverageTotals
		var eco sql.NullString
		var n sql.NullInt64
		if err := rows.Scan(&k, &t.Releases, &t.Components, &t.Checked, &eco, &n); err != nil {
			return nil, err
		}
		if prev, ok := out[k]; ok {
			t.Checkable = prev.Checkable
		} else {
			t.Checkable = map[string]int{}
		}
		if eco.Valid {
			t.Checkable[eco.String] = int(n.Int64)
		}
		out[k] = t
	}
	return out, rows.Err()
}
