package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/siegel-oss/siegel/internal/ledger"
)

// VEX statuses and not_affected justifications, as OpenVEX and CSAF name them.
var (
	VEXStatuses       = []string{"under_investigation", "affected", "not_affected", "fixed"}
	VEXJustifications = []string{"component_not_present", "vulnerable_code_not_present", "vulnerable_code_not_in_execute_path",
		"vulnerable_code_cannot_be_controlled_by_adversary", "inline_mitigations_already_exist"}
)

// VEX is a triage decision about one vulnerability in one package of a release.
type VEX struct {
	Release       int64
	Vulnerability string
	PURL          string
	Status        string
	Justification string // not_affected: one of VEXJustifications, or an Impact statement
	Impact        string
	Action        string // affected: what users should do
	Author        string
	CreatedAt     time.Time
}

// SetVEX records a triage decision. Statements are never changed or deleted: a new one supersedes
// the previous, and all of them stay as the record of who decided what, when.
func (s *DB) SetVEX(ctx context.Context, v VEX) (*VEX, error) {
	if !slices.Contains(VEXStatuses, v.Status) {
		return nil, fmt.Errorf("status %q: choose one of %v", v.Status, VEXStatuses)
	}
	if v.Status == "not_affected" && !slices.Contains(VEXJustifications, v.Justification) && v.Impact == "" {
		return nil, fmt.Errorf("not_affected needs a justification (%v) or an impact statement", VEXJustifications)
	}
	if v.Status != "not_affected" && v.Justification != "" {
		return nil, fmt.Errorf("a justification only goes with not_affected")
	}
	if v.Vulnerability == "" || v.Author == "" {
		return nil, fmt.Errorf("a VEX statement needs the vulnerability and its author")
	}
	v.CreatedAt = s.now()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO vex_statement (release, vulnerability, purl, status, justification, impact, action, author, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`), v.Release, v.Vulnerability, v.PURL, v.Status, v.Justification, v.Impact, v.Action, v.Author, v.CreatedAt)
		if err != nil {
			return err
		}
		if err := s.summarize(ctx, tx, v.Release); err != nil {
			return err
		}
		org, err := s.releaseOrg(ctx, tx, v.Release)
		if err != nil {
			return err
		}
		if err := s.appendLedger(ctx, tx, org, ledger.VEXDecision, fmt.Sprintf("release/%d", v.Release), v); err != nil {
			return err
		}
		if err := s.auditRelease(ctx, tx, v.Release, "vex.set", fmt.Sprintf("release/%d/finding/%s", v.Release, v.Vulnerability),
			fmt.Sprintf("%s: %s %s%s", v.PURL, v.Status, v.Justification, cmpPrefix(" — ", v.Impact+v.Action))); err != nil {
			return err
		}
		return s.summarizeProducts(ctx, tx, []int64{v.Release})
	})
	if err != nil {
		return nil, fmt.Errorf("record VEX statement: %w", err)
	}
	return &v, nil
}

// VEXKey identifies what a statement is about.
type VEXKey struct{ Vulnerability, PURL string }

// CurrentVEX returns the statements in force for a release: the newest per vulnerability and package.
func (s *DB) CurrentVEX(ctx context.Context, release int64) (map[VEXKey]VEX, error) {
	rows, err := s.reader().QueryContext(ctx, s.rebind(`SELECT release, vulnerability, purl, status, justification, impact, action, author, created_at
		FROM vex_statement WHERE release = ? ORDER BY id`), release)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	out := map[VEXKey]VEX{}
	for rows.Next() {
		var v VEX
		if err := rows.Scan(&v.Release, &v.Vulnerability, &v.PURL, &v.Status, &v.Justification, &v.Impact, &v.Action, &v.Author, &v.CreatedAt); err != nil {
			return nil, err
		}
		v.CreatedAt = v.CreatedAt.UTC()
		out[VEXKey{v.Vulnerability, v.PURL}] = v
	}
	return out, rows.Err()
}

// VEXHistory lists every statement about one finding, oldest first.
func (s *DB) VEXHistory(ctx context.Context, release int64, vulnerability, purl string) ([]VEX, error) {
	rows, err := s.sql.QueryContext(ctx, s.rebind(`SELECT release, vulnerability, purl, status, justification, impact, action, author, created_at
		FROM vex_statement WHERE release = ? AND vulnerability = ? AND purl = ? ORDER BY id`), release, vulnerability, purl)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	var out []VEX
	for rows.Next() {
		var v VEX
		if err := rows.Scan(&v.Release, &v.Vulnerability, &v.PURL, &v.Status, &v.Justification, &v.Impact, &v.Action, &v.Author, &v.CreatedAt); err != nil {
			return nil, err
		}
		v.CreatedAt = v.CreatedAt.UTC()
		out = append(out, v)
	}
	return out, rows.Err()
}

func cmpPrefix(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}
