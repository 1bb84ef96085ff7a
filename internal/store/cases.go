package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/siegel-oss/siegel/internal/ledger"
)

// Case is a CRA Art. 14 reporting case.
type Case struct {
	ID            int64
	Organization  int64
	OrgSize       string // size class: Art. 64(10) spares micro and small enterprises some fines
	Product       int64  // 0 for an incident not tied to a product
	ProductName   string
	Type          string // exploited, incident
	Vulnerability string // exploited: the finding's vulnerability id
	Title         string
	Evidence      string // what shows exploitation: "CISA KEV", "ENISA EUVD", or the manufacturer's own
	AwareAt       time.Time
	FixAvailable  time.Time // zero until a corrective or mitigating measure is available
	Closed        time.Time
	CreatedAt     time.Time
	Stages        map[string]Submission
}

// Submission is a stage of a report as submitted.
type Submission struct {
	Report      []byte
	Receipt     string
	SubmittedBy string
	SubmittedAt time.Time
}

// Case stages, in order (as internal/cra names them).
var caseStages = []string{"early-warning", "notification", "final-report"}

// openExploitedCase opens, in tx, the case for an exploited vulnerability of the release's
// product unless one exists or the release is not on the market. It reports whether it opened one.
func (s *DB) openExploitedCase(ctx context.Context, tx *sql.Tx, release int64, vuln, title, evidence string, now time.Time) (bool, error) {
	var org, product int64
	var placed sql.NullString
	if err := tx.QueryRowContext(ctx, s.rebind(`SELECT p.organization, p.id, r.placed_on_market FROM release r JOIN product p ON p.id = r.product WHERE r.id = ?`), release).
		Scan(&org, &product, &placed); err != nil {
		return false, err
	}
	if !placed.Valid || placed.String == "" || placed.String > now.Format(time.DateOnly) {
		return false, nil // not (yet) placed on the market: Art. 14 does not apply
	}
	var id int64
	err := tx.QueryRowContext(ctx, s.rebind(`INSERT INTO cra_case (organization, product, type, vulnerability, title, evidence, aware_at, created_at)
		VALUES (?, ?, 'exploited', ?, ?, ?, ?, ?) ON CONFLICT (product, vulnerability) WHERE type = 'exploited' DO NOTHING RETURNING id`),
		org, product, vuln, title, evidence, now, now).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := s.appendLedger(ctx, tx, org, ledger.ExploitedAware, fmt.Sprintf("case/%d", id),
		map[string]any{"vulnerability": vuln, "evidence": evidence, "release": release, "product": product, "awareAt": now.UTC()}); err != nil {
		return false, err
	}
	return true, s.audit(ctx, tx, org, "case.open", fmt.Sprintf("case/%d", id), fmt.Sprintf("exploited %s (%s), release %d", vuln, evidence, release))
}

// OpenIncident opens a case for a severe incident by hand.
func (s *DB) OpenIncident(ctx context.Context, org, product int64, title string, aware time.Time) (*Case, error) {
	c := &Case{Organization: org, Product: product, Type: "incident", Title: title, Evidence: "reported by the manufacturer", AwareAt: aware.UTC(), CreatedAt: s.now()}
	if title == "" || aware.IsZero() {
		return nil, fmt.Errorf("an incident needs a title and the time of awareness")
	}
	var prod any
	if product != 0 {
		prod = product
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, s.rebind(`INSERT INTO cra_case (organization, product, type, vulnerability, title, evidence, aware_at, created_at)
			VALUES (?, ?, 'incident', '', ?, ?, ?, ?) RETURNING id`), org, prod, title, c.Evidence, c.AwareAt, c.CreatedAt).Scan(&c.ID); err != nil {
			return err
		}
		return s.audit(ctx, tx, org, "case.open", fmt.Sprintf("case/%d", c.ID), "incident: "+title)
	})
	if err != nil {
		return nil, fmt.Errorf("open incident: %w", err)
	}
	return c, nil
}

const caseColumns = `c.id, c.organization, o.size_class, COALESCE(c.product, 0), COALESCE(p.name, ''), c.type, c.vulnerability, c.title, c.evidence,
	c.aware_at, c.fix_available_at, c.closed_at, c.created_at`

func (s *DB) scanCases(ctx context.Context, q string, args ...any) ([]Case, error) {
	rows, err := s.sql.QueryContext(ctx, s.rebind(`SELECT `+caseColumns+` FROM cra_case c JOIN organization o ON o.id = c.organization
		LEFT JOIN product p ON p.id = c.product `+q), args...)
	if err != nil {
		return nil, mapError(err)
	}
	var out []Case
	for rows.Next() {
		var c Case
		var fix, closed sql.NullTime
		if err := rows.Scan(&c.ID, &c.Organization, &c.OrgSize, &c.Product, &c.ProductName, &c.Type, &c.Vulnerability, &c.Title, &c.Evidence,
			&c.AwareAt, &fix, &closed, &c.CreatedAt); err != nil {
			rows.Close()
			return nil, err
		}
		c.AwareAt, c.CreatedAt = c.AwareAt.UTC(), c.CreatedAt.UTC()
		if fix.Valid {
			c.FixAvailable = fix.Time.UTC()
		}
		if closed.Valid {
			c.Closed = closed.Time.UTC()
		}
		c.Stages = map[string]Submission{}
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		srows, err := s.sql.QueryContext(ctx, s.rebind(`SELECT stage, report, receipt, submitted_by, submitted_at FROM cra_case_stage WHERE case_id = ?`), out[i].ID)
		if err != nil {
			return nil, err
		}
		for srows.Next() {
			var st string
			var sub Submission
			var report string
			if err := srows.Scan(&st, &report, &sub.Receipt, &sub.SubmittedBy, &sub.SubmittedAt); err != nil {
				srows.Close()
				return nil, err
			}
			sub.Report, sub.SubmittedAt = []byte(report), sub.SubmittedAt.UTC()
			out[i].Stages[st] = sub
		}
		srows.Close()
	}
	return out, nil
}

// Cases lists an organization's cases, newest first.
func (s *DB) Cases(ctx context.Context, org int64) ([]Case, error) {
	return s.scanCases(ctx, `WHERE c.organization = ? ORDER BY c.id DESC`, org)
}

// CaseByID returns a case.
func (s *DB) CaseByID(ctx context.Context, id int64) (*Case, error) {
	cs, err := s.scanCases(ctx, `WHERE c.id = ?`, id)
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, ErrNotFound
	}
	return &cs[0], nil
}

// SetFixAvailable records when a corrective or mitigating measure became available: the final
// report's clock of an exploited-vulnerability case runs from it.
func (s *DB) SetFixAvailable(ctx context.Context, id int64, at time.Time) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var org int64
		if err := tx.QueryRowContext(ctx, s.rebind(`SELECT organization FROM cra_case WHERE id = ?`), id).Scan(&org); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE cra_case SET fix_available_at = ? WHERE id = ?`), at.UTC(), id); err != nil {
			return err
		}
		if err := s.appendLedger(ctx, tx, org, ledger.FixReleased, fmt.Sprintf("case/%d", id), map[string]any{"fixAvailable": at.UTC()}); err != nil {
			return err
		}
		return s.audit(ctx, tx, org, "case.fix-available", fmt.Sprintf("case/%d", id), at.UTC().Format(time.RFC3339))
	})
}

// SubmitStage records that a stage was submitted, with the report as sent and the receipt the
// authority gave. Stages are submitted in order, each once; the final report closes the case.
func (s *DB) SubmitStage(ctx context.Context, id int64, stage string, report []byte, receipt, by string) error {
	i := slices.Index(caseStages, stage)
	if i < 0 {
		return fmt.Errorf("stage %q: choose one of %v", stage, caseStages)
	}
	if receipt == "" || by == "" {
		return fmt.Errorf("a submission needs the receipt id and who submitted it")
	}
	c, err := s.CaseByID(ctx, id)
	if err != nil {
		return err
	}
	if _, done := c.Stages[stage]; done {
		return fmt.Errorf("%w: %s of case %d was submitted on %s", ErrConflict, stage, id, c.Stages[stage].SubmittedAt.Format(time.RFC3339))
	}
	for _, before := range caseStages[:i] {
		if _, ok := c.Stages[before]; !ok {
			return fmt.Errorf("submit the %s first", before)
		}
	}
	if stage == "final-report" && c.Type == "exploited" && c.FixAvailable.IsZero() {
		return fmt.Errorf("the final report follows a corrective or mitigating measure: record when it became available first")
	}
	now := s.now()
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO cra_case_stage (case_id, stage, report, receipt, submitted_by, submitted_at) VALUES (?, ?, ?, ?, ?, ?)`),
			id, stage, string(report), receipt, by, now); err != nil {
			return err
		}
		if stage == "final-report" {
			if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE cra_case SET closed_at = ? WHERE id = ?`), now, id); err != nil {
				return err
			}
		}
		if err := s.appendLedger(ctx, tx, c.Organization, ledger.CaseStageSubmitted, fmt.Sprintf("case/%d", id),
			map[string]any{"stage": stage, "receipt": receipt, "submittedBy": by, "report": json.RawMessage(report)}); err != nil {
			return err
		}
		return s.audit(ctx, tx, c.Organization, "case.submit", fmt.Sprintf("case/%d", id), stage+", receipt "+receipt)
	})
}

// CaseReleases lists the releases of the case's product that have the case's vulnerability in
// force, with the packages concerned.
func (s *DB) CaseReleases(ctx context.Context, c *Case) ([]Finding, error) {
	if c.Type != "exploited" {
		return nil, nil
	}
	rows, err := s.sql.QueryContext(ctx, s.rebind(`SELECT f.id, f.release, f.vulnerability, f.purl, f.severity, f.score, f.exploited, f.data, f.first_seen, f.updated_at, f.resolved_at IS NOT NULL
		FROM finding f JOIN release r ON r.id = f.release WHERE r.product = ? AND f.vulnerability = ? ORDER BY f.release, f.purl`), c.Product, c.Vulnerability)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	var out []Finding
	for rows.Next() {
		var x Finding
		var data string
		if err := rows.Scan(&x.ID, &x.Release, &x.Vulnerability, &x.PURL, &x.Severity, &x.Score, &x.Exploited, &data, &x.FirstSeen, &x.UpdatedAt, &x.Resolved); err != nil {
			return nil, err
		}
		x.Data = []byte(data)
		out = append(out, x)
	}
	return out, rows.Err()
}

// OpenCases lists the cases of every organization that are not closed.
func (s *DB) OpenCases(ctx context.Context) ([]Case, error) {
	return s.scanCases(ctx, `WHERE c.closed_at IS NULL ORDER BY c.id`)
}

// OpenExploitedCase opens a case by hand for a vulnerability the manufacturer has its own
// evidence of being exploited, in a release on the market. It returns the case (an existing one
// when the product already has a case for the vulnerability).
func (s *DB) OpenExploitedCase(ctx context.Context, release int64, vulnerability, title, evidence string, aware time.Time) (*Case, error) {
	if vulnerability == "" || evidence == "" || aware.IsZero() {
		return nil, fmt.Errorf("an exploited-vulnerability case needs the vulnerability, the evidence of exploitation and the time of awareness")
	}
	var placed sql.NullString
	if err := s.sql.QueryRowContext(ctx, s.rebind(`SELECT placed_on_market FROM release WHERE id = ?`), release).Scan(&placed); err != nil {
		return nil, mapError(err)
	}
	if !placed.Valid || placed.String == "" || placed.String > s.now().Format(time.DateOnly) {
		return nil, fmt.Errorf("release %d is not placed on the market: Art. 14 applies to products made available", release)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := s.openExploitedCase(ctx, tx, release, vulnerability, cmp.Or(title, vulnerability), "manufacturer: "+evidence, aware.UTC())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("open case: %w", err)
	}
	var product int64
	if err := s.sql.QueryRowContext(ctx, s.rebind(`SELECT product FROM release WHERE id = ?`), release).Scan(&product); err != nil {
		return nil, mapError(err)
	}
	cs, err := s.scanCases(ctx, `WHERE c.product = ? AND c.vulnerability = ? AND c.type = 'exploited'`, product, vulnerability)
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, ErrNotFound
	}
	return &cs[0], nil
}
