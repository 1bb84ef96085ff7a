package vulndb

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Details is what a person needs to act on an advisory, from its record as imported: the
// summary and details (Markdown, as OSV gives them), the references, and the CWE ids.
type Details struct {
	ID         string
	Aliases    []string
	Summary    string
	Details    string
	References []Reference
	CWEs       []string
	Severity   []Severity
	Source     string // the feed the record came from
}

// Reference is a link of an advisory and what it is (ADVISORY, FIX, WEB, ...).
type Reference struct {
	Type string
	URL  string
}

// AdvisoryDetails returns the details of the records ids (withdrawn ones included: a finding may
// still name one), in id order; ids not in the database are left out.
func (db *DB) AdvisoryDetails(ctx context.Context, ids []string) ([]Details, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	ids, err := db.readIDs(slices.Clone(ids))
	if err != nil {
		return nil, err
	}
	var out []Details
	err = db.inBatches(ctx, ids, func(in string, args []any) error {
		return db.query(ctx, `SELECT id, source, record FROM advisory WHERE id IN `+in, args, func(rows *sql.Rows) error {
			var id, source string
			var blob []byte
			if err := rows.Scan(&id, &source, &blob); err != nil {
				return err
			}
			var r Record
			if err := json.Unmarshal(blob, &r); err != nil {
				return fmt.Errorf("stored record %s is corrupt: %w", id, err)
			}
			d := Details{ID: r.ID, Aliases: r.Aliases, Summary: r.Summary, Details: r.Details, Severity: r.Severity, Source: source, CWEs: cweIDs(r.DatabaseSpecific)}
			for _, ref := range r.References {
				d.References = append(d.References, Reference{Type: ref.Type, URL: ref.URL})
			}
			out = append(out, d)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read advisory details: %w", err)
	}
	slices.SortFunc(out, func(a, b Details) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// cweIDs reads the CWE ids of a record's database_specific (GitHub's cwe_ids, and the same key
// other databases use), keeping only well-formed ones.
func cweIDs(ds map[string]any) []string {
	var out []string
	list, _ := ds["cwe_ids"].([]any)
	for _, x := range list {
		s, _ := x.(string)
		if n, ok := strings.CutPrefix(strings.ToUpper(strings.TrimSpace(s)), "CWE-"); ok && n != "" && strings.Trim(n, "0123456789") == "" {
			out = append(out, "CWE-"+n)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
