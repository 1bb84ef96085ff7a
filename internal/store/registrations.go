package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/authority"
	"github.com/siegel-oss/siegel/internal/cra"
	"github.com/siegel-oss/siegel/internal/ledger"
	"github.com/siegel-oss/siegel/internal/purl"
)

// Registration is a product a manufacturer registered with a market surveillance authority: from
// then on the authority sees the product's scoped view (CRA Chapter V).
type Registration struct {
	Authority     int64
	AuthorityName string
	Product       int64
	ProductName   string
	Organization  int64 // the manufacturer
	RegisteredAt  time.Time
	Actor         string
}

// RegisterProduct registers a product of org with an authority organization, in the audit trail
// and the ledger of the manufacturer in the same transaction. Registering twice is a conflict;
// naming an organization that is not an authority, or another organization's product, is
// ErrInvalid or ErrNotFound.
func (s *DB) RegisterProduct(ctx context.Context, org, product, authorityOrg int64, actor string) (*Registration, error) {
	r := &Registration{Authority: authorityOrg, Product: product, Organization: org, RegisteredAt: s.now(), Actor: actor}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var owner int64
		if err := tx.QueryRowContext(ctx, s.rebind(`SELECT organization, name FROM product WHERE id = ?`), product).Scan(&owner, &r.ProductName); err != nil {
			return fmt.Errorf("product %d: %w", product, mapError(err))
		}
		if owner != org {
			return fmt.Errorf("product %d: %w", product, ErrNotFound)
		}
		var isAuth bool
		if err := tx.QueryRowContext(ctx, s.rebind(`SELECT name, authority FROM organization WHERE id = ?`), authorityOrg).Scan(&r.AuthorityName, &isAuth); err != nil {
			return fmt.Errorf("authority %d: %w", authorityOrg, mapError(err))
		}
		if !isAuth {
			return fmt.Errorf("%w: organization %d (%s) is not a market surveillance authority", ErrInvalid, authorityOrg, r.AuthorityName)
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO product_registration (authority, product, registered_at, actor) VALUES (?, ?, ?, ?)`),
			authorityOrg, product, r.RegisteredAt, actor); err != nil {
			return mapError(err)
		}
		subject := fmt.Sprintf("product/%d", product)
		if err := s.audit(ctx, tx, org, "product.registered", subject, "registered with "+r.AuthorityName); err != nil {
			return err
		}
		return s.appendLedger(ctx, tx, org, ledger.ProductRegistered, subject, map[string]any{"authority": r.AuthorityName, "authorityId": authorityOrg, "at": r.RegisteredAt})
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Registrations returns the products registered with an authority (authorityOrg != 0) or the
// registrations of a manufacturer's products (org != 0), by product.
func (s *DB) Registrations(ctx context.Context, authorityOrg, org int64) ([]Registration, error) {
	q := `SELECT r.authority, a.name, r.product, p.name, p.organization, r.registered_at, r.actor FROM product_registration r
		JOIN product p ON p.id = r.product JOIN organization a ON a.id = r.authority WHERE `
	var arg int64
	switch {
	case authorityOrg != 0 && org == 0:
		q, arg = q+`r.authority = ?`, authorityOrg
	case org != 0 && authorityOrg == 0:
		q, arg = q+`p.organization = ?`, org
	default:
		return nil, errors.New("registrations: name the authority or the manufacturer, not both")
	}
	rows, err := s.sql.QueryContext(ctx, s.rebind(q+` ORDER BY r.product, r.authority`), arg)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	var out []Registration
	for rows.Next() {
		var r Registration
		if err := rows.Scan(&r.Authority, &r.AuthorityName, &r.Product, &r.ProductName, &r.Organization, &r.RegisteredAt, &r.Actor); err != nil {
			return nil, err
		}
		r.RegisteredAt = r.RegisteredAt.UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}

// Registered reports whether product is registered with the authority.
func (s *DB) Registered(ctx context.Context, authorityOrg, product int64) (bool, error) {
	var n int
	err := s.sql.QueryRowContext(ctx, s.rebind(`SELECT count(*) FROM product_registration WHERE authority = ? AND product = ?`), authorityOrg, product).Scan(&n)
	return n > 0, mapError(err)
}

// MarketRecord is what a manufacturer declares about a release placed on the market that the
// Art. 58(1) formal non-compliance checklist reads. A nil fact is not recorded: the checklist
// then neither passes nor fails it.
type MarketRecord struct {
	Release           int64
	CEMarking         *bool  // the CE marking is affixed (Art. 30)
	Declaration       *bool  // the EU declaration of conformity is drawn up (Art. 28)
	NotifiedBody      string // the notified body's four-digit number, where the route needs one (Art. 30(3))
	TechnicalDocs     *bool  // the technical documentation is available and complete (Art. 31)
	DisclosureContact string // single point of contact for vulnerability reports (Art. 13(17), Annex II(2))
	UpdatedAt         time.Time
}

// CheckMarketRecord checks the form of a market record's fields.
func CheckMarketRecord(m MarketRecord) error {
	if nb := m.NotifiedBody; nb != "" {
		if len(nb) != 4 || strings.Trim(nb, "0123456789") != "" {
			return fmt.Errorf("notifiedBody %q: a notified body's identification number has four digits (NANDO)", nb)
		}
	}
	if c := m.DisclosureContact; c != "" {
		if len(c) > 500 {
			return errors.New("disclosureContact: at most 500 characters")
		}
		if _, err := mail.ParseAddress(c); err != nil {
			u, uerr := url.Parse(c)
			if uerr != nil || (u.Scheme != "https" && u.Scheme != "mailto") || (u.Host == "" && u.Opaque == "") {
				return fmt.Errorf("disclosureContact %q: give an e-mail address or an https:// or mailto: URL", c)
			}
		}
	}
	return nil
}

// SetMarketRecord records a release's market facts, replacing the earlier ones, with the ledger
// statement of the manufacturer in the same transaction.
func (s *DB) SetMarketRecord(ctx context.Context, m MarketRecord) error {
	if err := CheckMarketRecord(m); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	m.UpdatedAt = s.now()
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var org int64
		if err := tx.QueryRowContext(ctx, s.rebind(`SELECT p.organization FROM release r JOIN product p ON p.id = r.product WHERE r.id = ?`), m.Release).Scan(&org); err != nil {
			return fmt.Errorf("release %d: %w", m.Release, mapError(err))
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO release_market_record (release, ce_marking, declaration, notified_body, technical_docs, disclosure_contact, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (release) DO UPDATE SET ce_marking = excluded.ce_marking, declaration = excluded.declaration,
			notified_body = excluded.notified_body, technical_docs = excluded.technical_docs, disclosure_contact = excluded.disclosure_contact, updated_at = excluded.updated_at`),
			m.Release, nullBool(m.CEMarking), nullBool(m.Declaration), m.NotifiedBody, nullBool(m.TechnicalDocs), m.DisclosureContact, m.UpdatedAt); err != nil {
			return mapError(err)
		}
		subject := fmt.Sprintf("release/%d", m.Release)
		if err := s.audit(ctx, tx, org, "release.market-record", subject, "market record declared"); err != nil {
			return err
		}
		return s.appendLedger(ctx, tx, org, ledger.MarketRecordDeclared, subject, map[string]any{"ceMarking": m.CEMarking, "declaration": m.Declaration,
			"notifiedBody": m.NotifiedBody, "technicalDocs": m.TechnicalDocs, "disclosureContact": m.DisclosureContact})
	})
}

func nullBool(b *bool) any {
	if b == nil {
		return nil
	}
	return *b
}

// MarketRecordOf returns a release's market record; one never declared has every fact nil.
func (s *DB) MarketRecordOf(ctx context.Context, release int64) (MarketRecord, error) {
	m := MarketRecord{Release: release}
	var ce, doc, docs sql.NullBool
	err := s.sql.QueryRowContext(ctx, s.rebind(`SELECT ce_marking, declaration, notified_body, technical_docs, disclosure_contact, updated_at
		FROM release_market_record WHERE release = ?`), release).Scan(&ce, &doc, &m.NotifiedBody, &docs, &m.DisclosureContact, &m.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return m, nil
	}
	if err != nil {
		return m, mapError(err)
	}
	m.UpdatedAt = m.UpdatedAt.UTC()
	for _, p := range []struct {
		src sql.NullBool
		dst **bool
	}{{ce, &m.CEMarking}, {doc, &m.Declaration}, {docs, &m.TechnicalDocs}} {
		if p.src.Valid {
			v := p.src.Bool
			*p.dst = &v
		}
	}
	return m, nil
}

// ComponentAggregate is what the authority's view shows of a release's components: counts,
// never a named list (a private component list leaves the manufacturer only inside a case).
type ComponentAggregate struct {
	Components int            `json:"components"`
	Direct     int            `json:"direct"`
	Ecosystems map[string]int `json:"ecosystems"`
	// Exploited counts the distinct components with an actively exploited vulnerability in
	// force that is not triaged not affected.
	Exploited int `json:"exploited"`
}

// ReleaseComponentAggregate counts the components of a release's latest SBOM by ecosystem.
func (s *DB) ReleaseComponentAggregate(ctx context.Context, release int64) (ComponentAggregate, error) {
	a := ComponentAggregate{Ecosystems: map[string]int{}}
	cs, err := s.ReleaseComponents(ctx, release)
	if err != nil {
		return a, err
	}
	for _, c := range cs {
		a.Components++
		if c.Direct {
			a.Direct++
		}
		eco := "unknown"
		if t, _, ok := strings.Cut(strings.TrimPrefix(c.PURL, "pkg:"), "/"); ok && strings.HasPrefix(c.PURL, "pkg:") {
			eco = t
		}
		a.Ecosystems[eco]++
	}
	ex, err := s.ExploitedComponents(ctx, release)
	if err != nil {
		return a, err
	}
	a.Exploited = len(ex)
	return a, nil
}

// ExploitedComponents returns the version-agnostic purls of a release's components with an
// actively exploited vulnerability in force whose newest VEX statement is not "not_affected" or
// "fixed": what an Art. 60 sweep ranks.
func (s *DB) ExploitedComponents(ctx context.Context, release int64) ([]string, error) {
	rows, err := s.sql.QueryContext(ctx, s.rebind(`SELECT f.purl, COALESCE((SELECT v.status FROM vex_statement v WHERE v.release = f.release
		AND v.vulnerability = f.vulnerability AND v.purl = f.purl ORDER BY v.id DESC LIMIT 1), '')
		FROM finding f WHERE f.release = ? AND f.exploited = ? AND f.resolved_at IS NULL ORDER BY f.purl`), release, true)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	seen := map[string]bool{}
	var out []string
	for rows.Next() {
		var p, status string
		if err := rows.Scan(&p, &status); err != nil {
			return nil, err
		}
		if status == "not_affected" || status == "fixed" {
			continue
		}
		b := purl.Base(p)
		if b == "" {
			b = p
		}
		if !seen[b] {
			seen[b] = true
			out = append(out, b)
		}
	}
	return out, rows.Err()
}

// ProductCases returns the reporting cases of a product, oldest first.
func (s *DB) ProductCases(ctx context.Context, product int64) ([]Case, error) {
	return s.scanCases(ctx, `WHERE c.product = ? ORDER BY c.id`, product)
}

// AsManufacturer is the organization as the timeliness rules read it: its size class, steward
// status and Member State of main establishment (CRA Art. 14, 64(10)).
func (o *Organization) AsManufacturer() authority.Manufacturer {
	return authority.Manufacturer{Name: o.Name, SizeClass: o.SizeClass, Steward: o.Steward,
		Establishment: cra.Establishment{MemberState: o.MemberState, Region: o.HolidayRegion}}
}
