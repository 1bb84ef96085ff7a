package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// Portfolio sort orders.
const (
	SortRisk = "risk" // most exploited findings in force first, then critical, then high
	SortName = "name"
)

// PortfolioQuery asks for one page of an organization's products.
type PortfolioQuery struct {
	Sort   string // SortRisk or SortName ("" is SortName)
	Limit  int    // products per page (1 to MaxPageSize)
	Offset int
}

// MaxPageSize is the most products one page holds.
const MaxPageSize = 500

// PortfolioRow is a product with the number of its releases and the findings in force across them.
type PortfolioRow struct {
	Product
	Releases int
	Summary  Summary
}

// Portfolio returns one page of an organization's products, sorted and cut in the database so
// that the cost of a page does not grow with the portfolio, and the number of products in all.
// Ties are broken by name and id: every product appears on exactly one page.
func (s *DB) Portfolio(ctx context.Context, org int64, q PortfolioQuery) ([]PortfolioRow, int, error) {
	if q.Limit < 1 || q.Limit > MaxPageSize || q.Offset < 0 {
		return nil, 0, fmt.Errorf("portfolio page: limit %d, offset %d: %w", q.Limit, q.Offset, ErrInvalid)
	}
	var total int
	if err := s.reader().QueryRowContext(ctx, s.rebind(`SELECT count(*) FROM product WHERE organization = ?`), org).Scan(&total); err != nil {
		return nil, 0, mapError(err)
	}
	// Both orders read product_summary, kept with the findings: the risk order walks its index
	// (organization, exploited, critical, high, name, product), the name order the product's
	// (organization, name); either way a page costs its own rows, not the portfolio's.
	cols := `p.id, p.organization, p.name, p.category, p.category_unmapped, p.cra_class, p.created_at, p.facts,
		m.releases, m.exploited, m.critical, m.high, m.medium, m.low, m.unrated, m.total`
	var query string
	switch q.Sort {
	case SortRisk:
		query = `SELECT ` + cols + ` FROM product_summary m JOIN product p ON p.id = m.product WHERE m.organization = ?
			ORDER BY m.exploited DESC, m.critical DESC, m.high DESC, m.name, m.product LIMIT ? OFFSET ?`
	case SortName, "":
		query = `SELECT ` + cols + ` FROM product p JOIN product_summary m ON m.product = p.id WHERE p.organization = ?
			ORDER BY p.name, p.id LIMIT ? OFFSET ?`
	default:
		return nil, 0, fmt.Errorf("portfolio sort %q (want %s or %s): %w", q.Sort, SortRisk, SortName, ErrInvalid)
	}
	args := []any{org, q.Limit, q.Offset}
	rows, err := s.reader().QueryContext(ctx, s.rebind(query), args...)
	if err != nil {
		return nil, 0, mapError(err)
	}
	defer rows.Close()
	page := []PortfolioRow{}
	for rows.Next() {
		var r PortfolioRow
		var facts sql.NullString
		m := &r.Summary
		if err := rows.Scan(&r.ID, &r.Organization, &r.Name, &r.Category, &r.CategoryUnmapped, &r.CRAClass, &r.CreatedAt, &facts,
			&r.Releases, &m.Exploited, &m.Critical, &m.High, &m.Medium, &m.Low, &m.Unrated, &m.Total); err != nil {
			return nil, 0, err
		}
		r.CreatedAt, m.ID = r.CreatedAt.UTC(), r.ID
		if err := r.readFacts(facts); err != nil {
			return nil, 0, err
		}
		page = append(page, r)
	}
	return page, total, rows.Err()
}

// ProductCoverages returns the coverage kept for the releases of the products.
func (s *DB) ProductCoverages(ctx context.Context, products []int64) ([]Coverage, error) {
	if len(products) == 0 {
		return nil, nil
	}
	args := make([]any, len(products))
	for i, p := range products {
		args[i] = p
	}
	return s.coverages(ctx, `SELECT c.release, r.product, c.coverage, c.updated_at FROM release_coverage c
		JOIN release r ON r.id = c.release WHERE r.product IN (?`+strings.Repeat(", ?", len(products)-1)+`) ORDER BY c.release`, args...)
}
