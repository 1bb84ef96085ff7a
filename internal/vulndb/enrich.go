package vulndb

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Feeds is what the exploitation and scoring feeds say about a set of vulnerability ids.
type Feeds struct {
	KEV  map[string]Exploitation // CISA KEV entries by CVE
	EPSS map[string]EPSS         // EPSS scores by CVE
	EUVD map[string][]EUVD       // ENISA EUVD entries by alias (CVE, GHSA, ...), in id order
}

// feedBatch is how many ids one statement asks for.
const feedBatch = 128

// Feeds reads what KEV, EPSS and EUVD say about ids, from the snapshot lookups read; it sorts
// ids in place. EPSS and EUVD may cover hundreds of thousands of CVEs: a table with more rows
// than there are ids is read only for the ids (feedBatch per statement, through its primary
// key), a smaller one whole. The KEV catalogue, about a thousand entries, is read whole once.
func (db *DB) Feeds(ctx context.Context, ids []string) (*Feeds, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.read == nil {
		if err := db.beginRead(); err != nil {
			return nil, err
		}
	}
	if err := db.loadKEV(ctx); err != nil {
		return nil, err
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var cves []string
	for _, id := range ids {
		if strings.HasPrefix(id, "CVE-") {
			cves = append(cves, id)
		}
	}
	f := &Feeds{KEV: map[string]Exploitation{}, EPSS: map[string]EPSS{}, EUVD: map[string][]EUVD{}}
	for _, cve := range cves {
		if e, ok := db.kev[cve]; ok {
			f.KEV[cve] = e
		}
	}
	err := db.selectFor(ctx, cves, "epss", `SELECT cve, score, percentile, scored_on FROM epss`, "cve", "",
		func(rows *sql.Rows) error {
			var e EPSS
			if err := rows.Scan(&e.CVE, &e.Score, &e.Percentile, &e.Date); err != nil {
				return err
			}
			if _, asked := slices.BinarySearch(cves, e.CVE); asked { // the whole table may be read
				f.EPSS[e.CVE] = e
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("read EPSS scores: %w", err)
	}
	err = db.selectFor(ctx, ids, "euvd_alias", `SELECT a.alias, e.id, e.aliases, e.exploited, e.exploited_since, e.base_score, e.vector, e.updated
		FROM euvd_alias a JOIN euvd e ON e.id = a.euvd`, "a.alias", ` ORDER BY a.alias, e.id`,
		func(rows *sql.Rows) error {
			var alias, aj string
			var e EUVD
			if err := rows.Scan(&alias, &e.ID, &aj, &e.Exploited, &e.ExploitedSince, &e.BaseScore, &e.Vector, &e.Updated); err != nil {
				return err
			}
			if _, asked := slices.BinarySearch(ids, alias); !asked {
				return nil // read with the whole table
			}
			if err := json.Unmarshal([]byte(aj), &e.Aliases); err != nil {
				return fmt.Errorf("stored aliases of %s: %w", e.ID, err)
			}
			f.EUVD[alias] = append(f.EUVD[alias], e)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("read EUVD entries: %w", err)
	}
	return f, nil
}

// selectFor runs query for the rows whose column is one of the sorted ids, and calls row for
// each. When table holds no more rows than there are ids, the query runs once without a
// condition (row must then ignore the rows not asked for); otherwise with "column IN (...)" for
// feedBatch ids at a time. Called with db.mu held and the read transaction open.
func (db *DB) selectFor(ctx context.Context, ids []string, table, query, column, order string, row func(*sql.Rows) error) error {
	if len(ids) == 0 {
		return nil
	}
	var rows int
	count, err := db.stmt(`SELECT count(*) FROM (SELECT 1 FROM ` + table + ` LIMIT ?) AS t`)
	if err != nil {
		return err
	}
	if err := count.QueryRowContext(ctx, len(ids)+1).Scan(&rows); err != nil {
		return err
	}
	if rows <= len(ids) {
		return db.query(ctx, query+order, nil, row)
	}
	for len(ids) > 0 {
		n := min(len(ids), feedBatch)
		args := make([]any, n)
		for i, id := range ids[:n] {
			args[i] = id
		}
		if err := db.query(ctx, query+" WHERE "+column+" IN (?"+strings.Repeat(",?", n-1)+")"+order, args, row); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

// query runs a prepared statement of the read transaction and calls row for every row.
func (db *DB) query(ctx context.Context, query string, args []any, row func(*sql.Rows) error) error {
	st, err := db.stmt(query)
	if err != nil {
		return err
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := row(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// loadKEV reads the KEV catalogue once per snapshot. Called with db.mu held and the read
// transaction open.
func (db *DB) loadKEV(ctx context.Context) error {
	if db.kev != nil {
		return nil
	}
	st, err := db.stmt(`SELECT cve, date_added, due_date, ransomware, name FROM kev`)
	if err != nil {
		return err
	}
	rows, err := st.QueryContext(ctx)
	if err != nil {
		return fmt.Errorf("read KEV catalogue: %w", err)
	}
	defer rows.Close()
	m := map[string]Exploitation{}
	for rows.Next() {
		var e Exploitation
		if err := rows.Scan(&e.CVE, &e.DateAdded, &e.DueDate, &e.Ransomware, &e.Name); err != nil {
			return fmt.Errorf("read KEV catalogue: %w", err)
		}
		m[e.CVE] = e
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read KEV catalogue: %w", err)
	}
	db.kev = m
	return nil
}
