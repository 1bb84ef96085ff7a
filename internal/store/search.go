package store

import (
	"context"
	"fmt"
	"strings"
)

// SearchHit is one answer of a portfolio search: a release, and the component or finding in it
// that matched the query.
type SearchHit struct {
	ProductID     int64
	Product       string
	ReleaseID     int64
	Release       string
	Name, Version string // the component's
	PURL          string
	Vulnerability string // set for a finding
	Severity      string
	Resolved      bool
}

// MaxSearch is the longest search query, in bytes.
const MaxSearch = 500

// SearchPortfolio searches the releases of an organization (all when org is 0): components
// whose name or purl contains q (case-insensitive), and findings whose vulnerability id or one of
// its aliases is q (case-insensitive: CVE, GHSA, OSV ids). It returns one page of each, ordered by
// product, release and name, and the totals.
func (s *DB) SearchPortfolio(ctx context.Context, org int64, q string, limit, offset int) (comps, findings []SearchHit, nComps, nFindings int, err error) {
	q = strings.TrimSpace(q)
	if q == "" || len(q) > MaxSearch {
		return nil, nil, 0, 0, fmt.Errorf("search %q: give a component name, purl or vulnerability id of 1 to %d bytes", q, MaxSearch)
	}
	if limit <= 0 || limit > MaxPageSize {
		limit = 50
	}
	orgWhere, orgArgs := "", []any{}
	if org > 0 {
		orgWhere, orgArgs = " AND p.organization = ?", []any{org}
	}
	like := "%" + likePrefix(strings.ToLower(q)) + "%"
	compWhere := ` FROM component c JOIN release r ON r.id = c.release JOIN product p ON p.id = r.product
		WHERE (lower(c.name) LIKE ? ESCAPE '\' OR lower(c.purl) LIKE ? ESCAPE '\')` + orgWhere
	compArgs := append([]any{like, like}, orgArgs...)
	if err := s.sql.QueryRowContext(ctx, s.rebind(`SELECT count(*)`+compWhere), compArgs...).Scan(&nComps); err != nil {
		return nil, nil, 0, 0, mapError(err)
	}
	comps, err = s.searchRows(ctx, `SELECT p.id, p.name, r.id, r.version, c.name, c.version, c.purl, '', '', false`+compWhere+
		` ORDER BY p.name, r.id, c.name, c.version, c.id LIMIT ? OFFSET ?`, append(compArgs, limit, offset))
	if err != nil {
		return nil, nil, 0, 0, err
	}
	// Aliases are in the finding's JSON as "aliases":["CVE-…", …]: a quoted id there is one.
	id := strings.ToUpper(q)
	alias := "%" + likePrefix(`"`+id+`"`) + "%"
	findWhere := ` FROM finding f JOIN release r ON r.id = f.release JOIN product p ON p.id = r.product
		WHERE (upper(f.vulnerability) = ? OR upper(f.data) LIKE ? ESCAPE '\')` + orgWhere
	findArgs := append([]any{id, alias}, orgArgs...)
	if err := s.sql.QueryRowContext(ctx, s.rebind(`SELECT count(*)`+findWhere), findArgs...).Scan(&nFindings); err != nil {
		return nil, nil, 0, 0, mapError(err)
	}
	findings, err = s.searchRows(ctx, `SELECT p.id, p.name, r.id, r.version, '', '', f.purl, f.vulnerability, f.severity, f.resolved_at IS NOT NULL`+findWhere+
		` ORDER BY p.name, r.id, f.vulnerability, f.purl LIMIT ? OFFSET ?`, append(findArgs, limit, offset))
	if err != nil {
		return nil, nil, 0, 0, err
	}
	return comps, findings, nComps, nFindings, nil
}

func (s *DB) searchRows(ctx context.Context, q string, args []any) ([]SearchHit, error) {
	rows, err := s.sql.QueryContext(ctx, s.rebind(q), args...)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	out := []SearchHit{}
	for rows.Next() {
		var h SearchHit
		if err := rows.Scan(&h.ProductID, &h.Product, &h.ReleaseID, &h.Release, &h.Name, &h.Version, &h.PURL, &h.Vulnerability, &h.Severity, &h.Resolved); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}
