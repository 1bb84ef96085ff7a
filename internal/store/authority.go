package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/siegel-oss/siegel/internal/authority"
	"github.com/siegel-oss/siegel/internal/cra"
)

// AllCases returns every manufacturer's reporting cases, by organization, for an authority's
// view of reporting timeliness.
func (s *DB) AllCases(ctx context.Context) ([]Case, error) {
	return s.scanCases(ctx, `WHERE o.authority = ? ORDER BY c.organization, c.id`, false)
}

// ManufacturerOrganizations returns the organizations that are not authorities, by id.
func (s *DB) ManufacturerOrganizations(ctx context.Context) ([]Organization, error) {
	return s.organizationsOfKind(ctx, false)
}

// AuthorityOrganizations returns the organizations that are authorities, by id.
func (s *DB) AuthorityOrganizations(ctx context.Context) ([]Organization, error) {
	return s.organizationsOfKind(ctx, true)
}

func (s *DB) organizationsOfKind(ctx context.Context, authority bool) ([]Organization, error) {
	rows, err := s.sql.QueryContext(ctx, s.rebind(orgSelect+`WHERE authority = ? ORDER BY id`), authority)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	var out []Organization
	for rows.Next() {
		o, err := scanOrganization(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *o)
	}
	return out, rows.Err()
}

// Record is what the case's clocks run from, as cra counts them.
func (c *Case) Record() cra.Record {
	r := cra.Record{Facts: cra.Facts{Type: c.Type, Aware: c.AwareAt, FixAvailable: c.FixAvailable},
		IntermediateRequested: c.IntermediateRequested, IntermediateDue: c.IntermediateDue,
		Establishment: cra.Establishment{MemberState: c.MemberState, Region: c.HolidayRegion}}
	if n, ok := c.Stages[cra.Notification]; ok {
		r.NotificationSubmitted = n.SubmittedAt
	}
	return r
}

// Submitted maps each submitted stage to when it was submitted.
func (c *Case) Submitted() map[string]time.Time {
	out := make(map[string]time.Time, len(c.Stages))
	for stage, sub := range c.Stages {
		out[stage] = sub.SubmittedAt
	}
	return out
}

// TimelinessInputs pairs each manufacturer with its cases, as the authority's view reads them.
func TimelinessInputs(orgs []Organization, cases []Case) []authority.ManufacturerInput {
	idx := map[int64]int{}
	out := make([]authority.ManufacturerInput, 0, len(orgs))
	for _, o := range orgs {
		idx[o.ID] = len(out)
		out = append(out, authority.ManufacturerInput{Manufacturer: o.AsManufacturer()})
	}
	for i := range cases {
		c := &cases[i]
		j, ok := idx[c.Organization]
		if !ok {
			continue
		}
		out[j].Cases = append(out[j].Cases, authority.CaseInput{ID: c.ID, Title: c.Title, Type: c.Type, Product: c.ProductName,
			Vulnerability: c.Vulnerability, Record: c.Record(), Submitted: c.Submitted()})
	}
	return out
}

// SetSizeClass records an organization's size class (micro, small, medium, large under
// Recommendation 2003/361/EC; "" when not stated): CRA Art. 64(10)(a) depends on it.
func (s *DB) SetSizeClass(ctx context.Context, org int64, class string) error {
	if err := authority.CheckSizeClass(class); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.rebind(`UPDATE organization SET size_class = ? WHERE id = ?`), class, org)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("organization %d: %w", org, ErrNotFound)
		}
		return s.audit(ctx, tx, org, "organization.size-class", fmt.Sprintf("organization/%d", org), "size class "+class)
	})
}
