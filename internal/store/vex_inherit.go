package store

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
)

// vexInForce is the status in force of finding f as SQL (its arguments: now, now): the newest
// statement about it in its own release, unless expired; without one, the newest statement of
// the latest earlier release of the product, unless expired; else the empty string.
const vexInForce = `COALESCE(
	(SELECT CASE WHEN v.expires_at IS NULL OR v.expires_at > ? THEN v.status ELSE '' END FROM vex_statement v
		WHERE v.release = f.release AND v.vulnerability = f.vulnerability AND v.purl = f.purl ORDER BY v.id DESC LIMIT 1),
	(SELECT CASE WHEN v.expires_at IS NULL OR v.expires_at > ? THEN v.status ELSE '' END FROM vex_statement v
		WHERE v.release IN (SELECT e.id FROM release e WHERE e.product = (SELECT product FROM release WHERE id = f.release) AND e.id < f.release)
		AND v.vulnerability = f.vulnerability AND v.purl = f.purl ORDER BY v.release DESC, v.id DESC LIMIT 1),
	'')`

// EffectiveVEX returns the decisions in force for the findings of a release: its own (the newest
// per vulnerability and package, unless expired), and for a package version it has no statement
// about that the release has a finding of, the decision of the latest earlier release of the same product about the same package
// version (the purl carries the version), marked Inherited, its Release naming its origin. A
// statement of the release itself overrides an inherited one; an expired decision, own or
// inherited, leaves the finding open. Releases are ordered as they were recorded.
func (s *DB) EffectiveVEX(ctx context.Context, release int64) (map[VEXKey]VEX, error) {
	own, err := s.newestVEX(ctx, `WHERE release = ?`, release)
	if err != nil {
		return nil, err
	}
	// Ordered by release, then statement: the latest earlier release's newest statement wins.
	latest := map[VEXKey]VEX{}
	if err := s.scanVEX(ctx, `WHERE release IN (SELECT e.id FROM release e WHERE e.product = (SELECT product FROM release WHERE id = ?) AND e.id < ?)
		AND EXISTS (SELECT 1 FROM finding f WHERE f.release = ? AND f.vulnerability = vex_statement.vulnerability AND f.purl = vex_statement.purl)
		ORDER BY release, id`, []any{release, release, release}, func(v VEX) { latest[VEXKey{v.Vulnerability, v.PURL}] = v }); err != nil {
		return nil, err
	}
	now := s.now()
	out := map[VEXKey]VEX{}
	for k, v := range own {
		if !v.expired(now) {
			out[k] = v
		}
	}
	for k, v := range latest {
		if _, ok := own[k]; ok || v.expired(now) {
			continue
		}
		v.Inherited = true
		out[k] = v
	}
	return out, nil
}

// summarizeFrom recomputes the counts of a release and of the later releases of its product,
// which inherit its decisions.
func (s *DB) summarizeFrom(ctx context.Context, tx *sql.Tx, release int64) error {
	rows, err := tx.QueryContext(ctx, s.rebind(`SELECT e.id FROM release e WHERE e.product = (SELECT product FROM release WHERE id = ?) AND e.id >= ? ORDER BY e.id`), release, release)
	if err != nil {
		return err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range ids {
		if err := s.summarize(ctx, tx, id); err != nil {
			return fmt.Errorf("count findings of release %d: %w", id, err)
		}
	}
	return nil
}

// CountExpiredSuppressions takes the counts of findings again for the releases whose decisions
// expired since the last call (and the later releases of their products, which inherit them), so
// that an expired suppression counts as open in the portfolio too. It returns how many decisions
// expired. The monitor calls it periodically; the finding lists apply expiry when read.
func (s *DB) CountExpiredSuppressions(ctx context.Context) (int, error) {
	var n int
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		now := s.now()
		rows, err := tx.QueryContext(ctx, s.rebind(`SELECT id, release FROM vex_statement WHERE expires_at IS NOT NULL AND expires_at <= ? AND expiry_counted = ? ORDER BY id`), now, false)
		if err != nil {
			return err
		}
		var ids []int64
		releases := map[int64]bool{}
		for rows.Next() {
			var id, rel int64
			if err := rows.Scan(&id, &rel); err != nil {
				rows.Close()
				return err
			}
			ids, releases[rel] = append(ids, id), true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if err := s.lockProducts(ctx, tx, slices.Sorted(maps.Keys(releases))); err != nil {
			return err
		}
		for rel := range releases {
			if err := s.summarizeFrom(ctx, tx, rel); err != nil {
				return err
			}
		}
		if err := s.summarizeProducts(ctx, tx, slices.Sorted(maps.Keys(releases))); err != nil {
			return err
		}
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE vex_statement SET expiry_counted = ? WHERE id = ?`), true, id); err != nil {
				return err
			}
		}
		n = len(ids)
		return nil
	})
	return n, err
}
