package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/cra"
	"github.com/siegel-oss/siegel/internal/ledger"
)

// Case is a CRA Art. 14 reporting case.
type Case struct {
	ID           int64
	Organization int64
	OrgSize      string // size class: Art. 64(10) spares micro and small enterprises some fines
	// The organization's Member State of main establishment, holiday region and steward flag
	// (see Organization): the case's clocks run in that State's calendar.
	MemberState   string
	HolidayRegion string
	Steward       bool
	Product       int64 // 0 for an incident not tied to a product
	ProductName   string
	Type          string // exploited, incident
	Vulnerability string // exploited: the finding's vulnerability id
	Title         string
	Evidence      string // what shows exploitation: "CISA KEV", "ENISA EUVD", or the manufacturer's own
	AwareAt       time.Time
	FixAvailable  time.Time // zero until a corrective or mitigating measure is available
	Closed        time.Time
	// ClosedReason says why a case was closed other than by its final report ("" then).
	ClosedReason string
	// IntermediateRequested is when the CSIRT asked for an intermediate report (Art. 14(6)),
	// IntermediateDue the date it set (zero: none), IntermediateRequestedBy who recorded it.
	IntermediateRequested   time.Time
	IntermediateDue         time.Time
	IntermediateRequestedBy string
	CreatedAt               time.Time
	Stages                  map[string]Submission
}

// Clock computes the case's deadlines in its organization's calendar: the one computation the
// server, the monitor, the labels and the CLI share.
func (c *Case) Clock() (cra.Clock, error) {
	return cra.CaseClock(c.Record())
}

// Submission is a stage of a report as submitted.
type Submission struct {
	Report      []byte
	Receipt     string
	SubmittedBy string
	SubmittedAt time.Time
	// Recipient is the CSIRT the stage went to (Art. 14(7)), "" when not recorded.
	Recipient string
}

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

const caseColumns = `c.id, c.organization, o.size_class, o.member_state, o.holiday_region, o.steward, COALESCE(c.product, 0), COALESCE(p.name, ''),
	c.type, c.vulnerability, c.title, c.evidence, c.aware_at, c.fix_available_at, c.closed_at, c.closed_reason,
	c.intermediate_requested_at, c.intermediate_due, c.intermediate_requested_by, c.created_at`

func (s *DB) scanCases(ctx context.Context, q string, args ...any) ([]Case, error) {
	rows, err := s.sql.QueryContext(ctx, s.rebind(`SELECT `+caseColumns+` FROM cra_case c JOIN organization o ON o.id = c.organization
		LEFT JOIN product p ON p.id = c.product `+q), args...)
	if err != nil {
		return nil, mapError(err)
	}
	var out []Case
	for rows.Next() {
		var c Case
		var fix, closed, ireq, idue sql.NullTime
		if err := rows.Scan(&c.ID, &c.Organization, &c.OrgSize, &c.MemberState, &c.HolidayRegion, &c.Steward, &c.Product, &c.ProductName,
			&c.Type, &c.Vulnerability, &c.Title, &c.Evidence, &c.AwareAt, &fix, &closed, &c.ClosedReason,
			&ireq, &idue, &c.IntermediateRequestedBy, &c.CreatedAt); err != nil {
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
		if ireq.Valid {
			c.IntermediateRequested = ireq.Time.UTC()
		}
		if idue.Valid {
			c.IntermediateDue = idue.Time.UTC()
		}
		c.Stages = map[string]Submission{}
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		srows, err := s.sql.QueryContext(ctx, s.rebind(`SELECT stage, report, receipt, submitted_by, submitted_at, recipient FROM cra_case_stage WHERE case_id = ?`), out[i].ID)
		if err != nil {
			return nil, err
		}
		for srows.Next() {
			var st string
			var sub Submission
			var report string
			if err := srows.Scan(&st, &report, &sub.Receipt, &sub.SubmittedBy, &sub.SubmittedAt, &sub.Recipient); err != nil {
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

// ErrInvalid marks a request the records refuse (a time in the future, a missing reason): the
// caller's to correct, not a fault of the store.
var ErrInvalid = errors.New("invalid")

// SetFixAvailable records when a corrective or mitigating measure became available: the final
// report's clock of an exploited-vulnerability case runs from it. A time after now is refused: a
// measure is recorded once it is available.
func (s *DB) SetFixAvailable(ctx context.Context, id int64, at time.Time) error {
	if now := s.now(); at.After(now) {
		return fmt.Errorf("%w: the measure is recorded as available at %s, after now (%s): record it once it is available",
			ErrInvalid, at.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
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

// RequestIntermediate records that the CSIRT asked for an intermediate report (Art. 14(6)) at
// requested, due at due (zero when it set no date).
func (s *DB) RequestIntermediate(ctx context.Context, id int64, requested, due time.Time, by string) error {
	if requested.IsZero() || by == "" {
		return fmt.Errorf("%w: an intermediate report request needs when the CSIRT made it and who records it", ErrInvalid)
	}
	if now := s.now(); requested.After(now) {
		return fmt.Errorf("%w: the request is dated %s, after now: record it once it is made", ErrInvalid, requested.UTC().Format(time.RFC3339))
	}
	if !due.IsZero() && due.Before(requested) {
		return fmt.Errorf("%w: the intermediate report is due (%s) before it was requested (%s)", ErrInvalid, due.UTC().Format(time.RFC3339), requested.UTC().Format(time.RFC3339))
	}
	c, err := s.CaseByID(ctx, id)
	if err != nil {
		return err
	}
	if !c.IntermediateRequested.IsZero() {
		return fmt.Errorf("%w: the intermediate report of case %d was requested on %s", ErrConflict, id, c.IntermediateRequested.Format(time.RFC3339))
	}
	var dueArg any
	if !due.IsZero() {
		dueArg = due.UTC()
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE cra_case SET intermediate_requested_at = ?, intermediate_due = ?, intermediate_requested_by = ? WHERE id = ?`),
			requested.UTC(), dueArg, by, id); err != nil {
			return err
		}
		if err := s.appendLedger(ctx, tx, c.Organization, ledger.IntermediateRequested, fmt.Sprintf("case/%d", id),
			map[string]any{"requested": requested.UTC(), "due": dueArg, "recordedBy": by}); err != nil {
			return err
		}
		return s.audit(ctx, tx, c.Organization, "case.intermediate-requested", fmt.Sprintf("case/%d", id), "requested "+requested.UTC().Format(time.RFC3339))
	})
}

// CloseCase closes a case without a final report, for the reason given (the vulnerability was
// triaged not affecting the product, the advisory was withdrawn, ...). The closing is written to
// the ledger in the same transaction.
func (s *DB) CloseCase(ctx context.Context, id int64, reason, by string) error {
	return s.setClosed(ctx, id, true, reason, by)
}

// ReopenCase reopens a closed case, for the reason given; its clocks run again.
func (s *DB) ReopenCase(ctx context.Context, id int64, reason, by string) error {
	return s.setClosed(ctx, id, false, reason, by)
}

func (s *DB) setClosed(ctx context.Context, id int64, closing bool, reason, by string) error {
	reason = strings.TrimSpace(reason)
	verb := map[bool]string{true: "close", false: "reopen"}[closing]
	if reason == "" || by == "" {
		return fmt.Errorf("%w: to %s a case, give the reason and who decides", ErrInvalid, verb)
	}
	c, err := s.CaseByID(ctx, id)
	if err != nil {
		return err
	}
	if closing != c.Closed.IsZero() {
		return fmt.Errorf("%w: case %d is already %sd", ErrConflict, id, map[bool]string{true: "close", false: "reopene"}[closing])
	}
	now := s.now()
	kind, action := ledger.CaseReopened, "case.reopen"
	var closedAt any
	closedReason := ""
	if closing {
		kind, action, closedAt, closedReason = ledger.CaseClosed, "case.close", now, reason
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE cra_case SET closed_at = ?, closed_reason = ? WHERE id = ?`), closedAt, closedReason, id); err != nil {
			return err
		}
		if err := s.appendLedger(ctx, tx, c.Organization, kind, fmt.Sprintf("case/%d", id), map[string]any{"reason": reason, "by": by, "at": now.UTC()}); err != nil {
			return err
		}
		return s.audit(ctx, tx, c.Organization, action, fmt.Sprintf("case/%d", id), reason)
	})
}

// SubmitStage records that a stage was submitted to the CSIRT coordinator of the organization's
// Member State of main establishment (see SubmitStageTo).
func (s *DB) SubmitStage(ctx context.Context, id int64, stage string, report []byte, receipt, by string) error {
	return s.SubmitStageTo(ctx, id, stage, report, receipt, by, "")
}

// SubmitStageTo records that a stage was submitted, with the report as sent, the receipt the
// authority gave and the CSIRT that received it (Art. 14(7); when recipient is "", the CSIRT
// coordinator of the organization's Member State of main establishment, if one is set). Stages
// are submitted in order, each once; the intermediate report only when requested; the final
// report closes the case.
func (s *DB) SubmitStageTo(ctx context.Context, id int64, stage string, report []byte, receipt, by, recipient string) error {
	i := slices.Index(cra.ReportingStages, stage)
	if i < 0 {
		return fmt.Errorf("%w: stage %q: choose one of %v", ErrInvalid, stage, cra.ReportingStages)
	}
	if receipt == "" || by == "" {
		return fmt.Errorf("%w: a submission needs the receipt id and who submitted it", ErrInvalid)
	}
	c, err := s.CaseByID(ctx, id)
	if err != nil {
		return err
	}
	if _, done := c.Stages[stage]; done {
		return fmt.Errorf("%w: %s of case %d was submitted on %s", ErrConflict, stage, id, c.Stages[stage].SubmittedAt.Format(time.RFC3339))
	}
	if !c.Closed.IsZero() {
		return fmt.Errorf("%w: case %d is closed: reopen it first", ErrConflict, id)
	}
	for _, before := range cra.ReportingStages[:i] {
		if _, ok := c.Stages[before]; !ok && before != cra.IntermediateReport {
			return fmt.Errorf("%w: submit the %s first", ErrInvalid, before)
		}
	}
	if stage == cra.IntermediateReport && c.IntermediateRequested.IsZero() {
		return fmt.Errorf("%w: an intermediate report is submitted on request of the CSIRT (Art. 14(6)): record the request first", ErrInvalid)
	}
	if stage == cra.FinalReport && c.Type == cra.Exploited && c.FixAvailable.IsZero() {
		return fmt.Errorf("%w: the final report follows a corrective or mitigating measure: record when it became available first", ErrInvalid)
	}
	if recipient = strings.TrimSpace(recipient); recipient == "" {
		recipient = cra.CSIRTCoordinator(c.MemberState)
	}
	now := s.now()
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO cra_case_stage (case_id, stage, report, receipt, submitted_by, submitted_at, recipient) VALUES (?, ?, ?, ?, ?, ?, ?)`),
			id, stage, string(report), receipt, by, now, recipient); err != nil {
			return err
		}
		if stage == cra.FinalReport {
			if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE cra_case SET closed_at = ? WHERE id = ?`), now, id); err != nil {
				return err
			}
		}
		if err := s.appendLedger(ctx, tx, c.Organization, ledger.CaseStageSubmitted, fmt.Sprintf("case/%d", id),
			map[string]any{"stage": stage, "receipt": receipt, "submittedBy": by, "recipient": recipient, "report": json.RawMessage(report)}); err != nil {
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
