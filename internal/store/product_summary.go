package store

import (
	"context"
	"database/sql"
	"slices"
	"strings"
)

// summaryColumns are the counts product_summary keeps besides its key, organization and name.
const summaryColumns = `releases, exploited, critical, high, medium, low, unrated, total`

// insertProductSummary adds the (empty) counts of a new product, in its creating transaction.
func (s *DB) insertProductSummary(ctx context.Context, tx *sql.Tx, p *Product) error {
	_, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO product_summary (product, organization, name) VALUES (?, ?, ?)`), p.ID, p.Organization, p.Name)
	return err
}

// productsOf returns the products of releases, in id order, once each.
func (s *DB) productsOf(ctx context.Context, tx *sql.Tx, releases []int64) ([]int64, error) {
	if len(releases) == 0 {
		return nil, nil
	}
	var products []int64
	for batch := range slices.Chunk(releases, 500) {
		args := make([]any, len(batch))
		for i, r := range batch {
			args[i] = r
		}
		rows, err := tx.QueryContext(ctx, s.rebind(`SELECT DISTINCT product FROM release WHERE id IN (?`+strings.Repeat(", ?", len(batch)-1)+`)`), args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var p int64
			if err := rows.Scan(&p); err != nil {
				rows.Close()
				return nil, err
			}
			products = append(products, p)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	slices.Sort(products)
	return slices.Compact(products), nil
}

// lockProducts takes the kept-count rows of the products of releases, in id order, before a
// transaction counts any of their releases' findings. On PostgreSQL a count is a statement that
// reads what was committed when it starts: two transactions that count the same release (a
// matching of it, and a decision of an earlier release of its product, which the later ones
// inherit) would otherwise each write a count the other's changes are missing. Holding the
// product's row first makes the second wait and count after the first committed.
func (s *DB) lockProducts(ctx context.Context, tx *sql.Tx, releases []int64) error {
	products, err := s.productsOf(ctx, tx, releases)
	if err != nil {
		return err
	}
	return s.lockProductRows(ctx, tx, products)
}

// lockProductRows locks the kept-count rows of products, which are in id order (an update that
// changes nothing).
func (s *DB) lockProductRows(ctx context.Context, tx *sql.Tx, products []int64) error {
	for _, p := range products {
		if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE product_summary SET releases = releases WHERE product = ?`), p); err != nil {
			return err
		}
	}
	return nil
}

// summarizeProducts recounts the products of the releases from their releases' kept counts, in
// the transaction that changed those. It runs last in that transaction and takes the products in
// id order: each product's row is locked first (an update that changes nothing), so that the
// recount — a new statement, which on PostgreSQL reads what other transactions committed
// meanwhile — sees every release another transaction changed before taking the same lock. Two
// transactions changing releases of one product thus never lose each other's counts, and two
// batches touching the same products in another order wait instead of deadlocking.
func (s *DB) summarizeProducts(ctx context.Context, tx *sql.Tx, releases []int64) error {
	products, err := s.productsOf(ctx, tx, releases)
	if err != nil {
		return err
	}
	return s.recountProducts(ctx, tx, products)
}

// recountProducts takes the kept counts of products again from their releases' counts, locking
// their rows in id order first (see summarizeProducts). A caller that removed a release names
// its product here, since the release no longer leads to it.
func (s *DB) recountProducts(ctx context.Context, tx *sql.Tx, products []int64) error {
	products = slices.Clone(products)
	slices.Sort(products)
	products = slices.Compact(products)
	if err := s.lockProductRows(ctx, tx, products); err != nil {
		return err
	}
	for _, p := range products {
		if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE product_summary SET (`+summaryColumns+`) =
			(SELECT count(*), COALESCE(sum(m.exploited), 0), COALESCE(sum(m.critical), 0), COALESCE(sum(m.high), 0), COALESCE(sum(m.medium), 0),
				COALESCE(sum(m.low), 0), COALESCE(sum(m.unrated), 0), COALESCE(sum(m.total), 0)
			FROM release r LEFT JOIN release_summary m ON m.release = r.id WHERE r.product = ?) WHERE product = ?`), p, p); err != nil {
			return err
		}
	}
	return nil
}

// FreshProductSummaries counts the findings in force of each product of an organization from
// the findings and VEX statements themselves, bypassing the kept counts: what ProductSummaries
// must equal, for checking them.
func (s *DB) FreshProductSummaries(ctx context.Context, org int64) (map[int64]Summary, error) {
	now := s.now()
	return s.summaries(ctx, `SELECT p.id, COALESCE(sum(CASE WHEN f.exploited THEN 1 ELSE 0 END), 0),
			COALESCE(sum(CASE WHEN f.severity = 'CRITICAL' THEN 1 ELSE 0 END), 0), COALESCE(sum(CASE WHEN f.severity = 'HIGH' THEN 1 ELSE 0 END), 0),
			COALESCE(sum(CASE WHEN f.severity = 'MEDIUM' THEN 1 ELSE 0 END), 0), COALESCE(sum(CASE WHEN f.severity = 'LOW' THEN 1 ELSE 0 END), 0),
			COALESCE(sum(CASE WHEN f.id IS NULL OR f.severity IN ('CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'NONE') THEN 0 ELSE 1 END), 0), count(f.id)
		FROM product p LEFT JOIN release r ON r.product = p.id
		LEFT JOIN finding f ON f.release = r.id AND f.resolved_at IS NULL AND `+vexInForce+` NOT IN ('not_affected', 'fixed')
		WHERE p.organization = ? GROUP BY p.id`, now, now, org)
}
