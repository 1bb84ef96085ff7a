package vulndb

import (
	"cmp"
	"context"
	"database/sql"
	"slices"
)

// maxChanged bounds the package list an import reports; beyond it the import reports that
// everything changed, which is cheaper to act on than a list the size of the database.
const maxChanged = 50_000

// changeSet collects the packages whose advisories an import added, changed or removed, and the
// packages of advisories whose exploitation status changed.
type changeSet struct {
	keys map[Key]bool
	all  bool
}

func newChangeSet() *changeSet { return &changeSet{keys: map[Key]bool{}} }

func (c *changeSet) add(k Key) {
	if !c.all {
		c.keys[k] = true
		if len(c.keys) > maxChanged {
			c.all, c.keys = true, nil
		}
	}
}

// persistChanges records the set as pending re-matching, in the import's transaction.
func (db *DB) persistChanges(ctx context.Context, tx *sql.Tx, c *changeSet) error {
	if c.all {
		_, err := tx.ExecContext(ctx, `INSERT INTO pending_all (id) VALUES (1) ON CONFLICT DO NOTHING`)
		return err
	}
	if len(c.keys) == 0 {
		return nil
	}
	ins, err := db.newSink(ctx, tx, "pending_change", []string{"ecosystem text", "name text"}, 2, onConflictIgnore)
	if err != nil {
		return err
	}
	for k := range c.keys {
		if err := ins.add(k.Ecosystem, k.Name); err != nil {
			ins.close()
			return err
		}
	}
	return ins.close()
}

// PendingChanges returns what imports changed that has not been matched again: the packages, or
// all when everything must be.
func (db *DB) PendingChanges(ctx context.Context) (keys []Key, all bool, err error) {
	var n int
	if err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM pending_all`).Scan(&n); err != nil {
		return nil, false, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT ecosystem, name FROM pending_change ORDER BY ecosystem, name`)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	for rows.Next() {
		var k Key
		if err := rows.Scan(&k.Ecosystem, &k.Name); err != nil {
			return nil, false, err
		}
		keys = append(keys, k)
	}
	return keys, n > 0, rows.Err()
}

// ClearPendingChanges forgets the pending changes once their re-matching is queued elsewhere.
// Only the keys given are cleared: an import that committed meanwhile keeps its own.
func (db *DB) ClearPendingChanges(ctx context.Context, keys []Key, all bool) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if all {
		if _, err := tx.ExecContext(ctx, `DELETE FROM pending_all`); err != nil {
			return err
		}
	}
	st, err := tx.PrepareContext(ctx, db.rebind(`DELETE FROM pending_change WHERE ecosystem = ? AND name = ?`))
	if err != nil {
		return err
	}
	defer st.Close()
	for _, k := range keys {
		if _, err := st.ExecContext(ctx, k.Ecosystem, k.Name); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// fill copies the set into a result.
func (c *changeSet) fill(r *Result) {
	r.ChangedAll = c.all
	r.Changed = make([]Key, 0, len(c.keys))
	for k := range c.keys {
		r.Changed = append(r.Changed, k)
	}
	slices.SortFunc(r.Changed, func(a, b Key) int {
		return cmp.Or(cmp.Compare(a.Ecosystem, b.Ecosystem), cmp.Compare(a.Name, b.Name))
	})
}

// addAdvisory adds the packages the index lists for one advisory, as tx sees it.
func (c *changeSet) addAdvisory(ctx context.Context, stmt *sql.Stmt, id string) error {
	if c.all {
		return nil
	}
	return c.addRows(stmt.QueryContext(ctx, id))
}

// addCVEs adds to c the packages of every advisory that is, or is an alias of, one of the CVEs.
func (db *DB) addCVEs(ctx context.Context, tx *sql.Tx, c *changeSet, cves []string) error {
	if c.all || len(cves) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, db.rebind(`SELECT ecosystem, name FROM affected WHERE advisory = ?1
		UNION SELECT a.ecosystem, a.name FROM alias l JOIN affected a ON a.advisory = l.advisory WHERE l.alias = ?1`))
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, cve := range cves {
		if err := c.addRows(stmt.QueryContext(ctx, cve)); err != nil {
			return err
		}
	}
	return nil
}

func (c *changeSet) addRows(rows *sql.Rows, err error) error {
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k Key
		if err := rows.Scan(&k.Ecosystem, &k.Name); err != nil {
			return err
		}
		c.add(k)
	}
	return rows.Err()
}

// advisoryKeysQuery lists the packages of one advisory.
const advisoryKeysQuery = `SELECT ecosystem, name FROM affected WHERE advisory = ?`
