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
	// ExpiresAt ends the decision (a suppression with an expiry): from then on the finding is
	// open again, until someone decides anew. Nil: the decision holds until superseded.
	ExpiresAt *time.Time `json:",omitempty"`
	// Inherited marks a decision carried over from an earlier release of the product (Release
	// names it) that contains the same package version; not set on recorded statements.
	Inherited bool `json:"-"`
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
	if v.ExpiresAt != nil {
		e := v.ExpiresAt.UTC().Truncate(time.Microsecond)
		if !e.After(v.CreatedAt) {
			return nil, fmt.Errorf("the suppression would end %s, which has passed: give a later expiry", e.Format(time.RFC3339))
		}
		v.ExpiresAt = &e
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO vex_statement (release, vulnerability, purl, status, justification, impact, action, author, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), v.Release, v.Vulnerability, v.PURL, v.Status, v.Justification, v.Impact, v.Action, v.Author, v.CreatedAt, v.ExpiresAt)
		if err != nil {
			return err
		}
		// The decision carries to the later releases of the product: their counts change too,
		// counted once the product's row is held (see lockProducts).
		if err := s.lockProducts(ctx, tx, []int64{v.Release}); err != nil {
			return err
		}
		if err := s.summarizeFrom(ctx, tx, v.Release); err != nil {
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
			fmt.Sprintf("%s: %s %s%s%s", v.PURL, v.Status, v.Justification, cmpPrefix(" — ", v.Impact+v.Action), expiryText(v.ExpiresAt))); err != nil {
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

// CurrentVEX returns the statements in force for a release: the newest per vulnerability and
// package, unless it has expired (then the finding is open again).
func (s *DB) CurrentVEX(ctx context.Context, release int64) (map[VEXKey]VEX, error) {
	all, err := s.newestVEX(ctx, `WHERE release = ?`, release)
	if err != nil {
		return nil, err
	}
	now := s.now()
	for k, v := range all {
		if v.expired(now) {
			delete(all, k)
		}
	}
	return all, nil
}

// VEXHistory lists every statement about one finding, oldest first.
func (s *DB) VEXHistory(ctx context.Context, release int64, vulnerability, purl string) ([]VEX, error) {
	var out []VEX
	err := s.scanVEX(ctx, `WHERE release = ? AND vulnerability = ? AND purl = ? ORDER BY id`, []any{release, vulnerability, purl}, func(v VEX) { out = append(out, v) })
	return out, err
}

const vexColumns = `SELECT release, vulnerability, purl, status, justification, impact, action, author, created_at, expires_at FROM vex_statement `

func (s *DB) scanVEX(ctx context.Context, where string, args []any, each func(VEX)) error {
	rows, err := s.sql.QueryContext(ctx, s.rebind(vexColumns+where), args...)
	if err != nil {
		return mapError(err)
	}
	defer rows.Close()
	for rows.Next() {
		var v VEX
		var exp sql.NullTime
		if err := rows.Scan(&v.Release, &v.Vulnerability, &v.PURL, &v.Status, &v.Justification, &v.Impact, &v.Action, &v.Author, &v.CreatedAt, &exp); err != nil {
			return err
		}
		v.CreatedAt = v.CreatedAt.UTC()
		if exp.Valid {
			e := exp.Time.UTC()
			v.ExpiresAt = &e
		}
		each(v)
	}
	return rows.Err()
}

// newestVEX returns the newest statement per key among those where selects, expired or not.
func (s *DB) newestVEX(ctx context.Context, where string, args ...any) (map[VEXKey]VEX, error) {
	out := map[VEXKey]VEX{}
	err := s.scanVEX(ctx, where+` ORDER BY id`, args, func(v VEX) { out[VEXKey{v.Vulnerability, v.PURL}] = v })
	return out, err
}

func (v VEX) expired(now time.Time) bool { return v.ExpiresAt != nil && !v.ExpiresAt.After(now) }

// Expired reports whether the decision has ended (a suppression whose expiry passed).
func (v VEX) Expired(now time.Time) bool { return v.expired(now) }

func expiryText(t *time.Time) string {
	if t == nil {
		return ""
	}
	return ", until " + t.Format(time.RFC3339)
}

func cmpPrefix(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}
