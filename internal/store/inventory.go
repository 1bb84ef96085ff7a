package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/ledger"
	"github.com/siegel-oss/siegel/internal/purl"
)

// Organization is a manufacturer or an authority.
type Organization struct {
	ID        int64
	Name      string
	SizeClass string // micro, small, medium, large (CRA Art. 64(10) spares micro and small enterprises some fines)
	Authority bool
	// MemberState is the Member State of main establishment (ISO 3166-1 alpha-2, "" when not
	// set) and HolidayRegion the region whose public holidays apply there, if any: legal periods
	// run in its calendar and its CSIRT coordinator receives reports (CRA Art. 14(7)).
	MemberState   string
	HolidayRegion string
	// Steward marks an open-source software steward (CRA Art. 3(14)): not fined (Art. 64(10)(b)).
	Steward   bool
	CreatedAt time.Time
}

// Product is a product with digital elements.
type Product struct {
	ID           int64
	Organization int64
	Name         string
	Category     string // from the controlled list of categories, such as "router"; "" when it needs one
	// CategoryUnmapped is free text stored as the category before categories were a controlled
	// list, which maps to none of it; the product needs a category.
	CategoryUnmapped string
	CRAClass         string // default, important-i, important-ii, critical (CRA Annex III/IV)
	// Facts are what the manufacturer declared about the product's design, by name
	// ("uses-passwords", "update-mechanism", ...); they settle conditional requirements.
	Facts     map[string]bool
	CreatedAt time.Time
}

// Release is a version of a product placed on the market.
type Release struct {
	ID             int64
	Product        int64
	Version        string
	PlacedOnMarket string // YYYY-MM-DD, "" when not (yet) placed on the market
	SupportEnd     string // YYYY-MM: the support period ends with this month (CRA Art. 13(8))
	// SupportJustification gives the reasons for a support period under five years (Art. 13(8)).
	SupportJustification string
	// SupportExpectedUseMonths and SupportBasis are the structured reason for a period under five
	// years (Art. 13(8) third subparagraph): the time the product is expected to be in use, and
	// what that expectation rests on (a name of cra.SupportBases); 0 and "" when none is given.
	SupportExpectedUseMonths int
	SupportBasis             string
	// DevicesOnMarket is how many devices of the release are on the market, as the manufacturer
	// declares it; nil while not declared (unknown, not zero).
	DevicesOnMarket *int64
	CreatedAt       time.Time
}

// Component is one component of an uploaded SBOM.
type Component struct {
	Ref     string
	Name    string
	Version string
	PURL    string
	Direct  bool
	// How the component is looked up in the vulnerability database (empty when it cannot be):
	// the OSV ecosystem with release ("Debian:12"), the normalized lookup name, the version to
	// compare (a Debian binary package's source version, say) and the source commit.
	Ecosystem    string
	Lookup       string
	MatchVersion string
	Commit       string
}

// SBOM is an uploaded SBOM of a release.
type SBOM struct {
	ID         int64
	Release    int64
	Format     string
	SHA256     string
	Components int
	UploadedAt time.Time
	// TRMissing lists the BSI TR-03183-2 fields the SBOM lacks; nil when it was not checked.
	TRMissing []string
}

// SBOMContent is what storing an SBOM writes: the document's format and SHA-256, its components,
// the BSI TR-03183-2 fields it lacks (nil: not checked) and what component health reads of its
// components beyond name, version and purl. All of it is stored in one transaction.
type SBOMContent struct {
	Format, SHA256 string
	Components     []Component
	TRMissing      []string
	Facts          []ComponentFacts
}

var (
	yearMonth = regexp.MustCompile(`^\d{4}-(0[1-9]|1[0-2])$`)
	isoDate   = regexp.MustCompile(`^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$`)
)

// CreateOrganization adds an organization.
func (s *DB) CreateOrganization(ctx context.Context, name, sizeClass string, authority bool) (*Organization, error) {
	o := &Organization{Name: name, SizeClass: sizeClass, Authority: authority, CreatedAt: s.now()}
	if name == "" {
		return nil, fmt.Errorf("organization name is empty")
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, s.rebind(`INSERT INTO organization (name, size_class, authority, created_at) VALUES (?, ?, ?, ?) RETURNING id`),
			o.Name, o.SizeClass, o.Authority, o.CreatedAt).Scan(&o.ID)
	})
	if err != nil {
		return nil, fmt.Errorf("create organization %q: %w", name, err)
	}
	return o, nil
}

// SetEstablishment records an organization's Member State of main establishment, its holiday
// region and whether it is an open-source software steward. The caller validates the State
// against the calendars it knows (cra.CheckEstablishment).
func (s *DB) SetEstablishment(ctx context.Context, org int64, memberState, region string, steward bool) error {
	memberState, region = strings.ToUpper(strings.TrimSpace(memberState)), strings.TrimSpace(region)
	if memberState == "" && region != "" {
		return fmt.Errorf("a holiday region needs the Member State it belongs to")
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.rebind(`UPDATE organization SET member_state = ?, holiday_region = ?, steward = ? WHERE id = ?`), memberState, region, steward, org)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("organization %d: %w", org, ErrNotFound)
		}
		return s.audit(ctx, tx, org, "organization.establishment", fmt.Sprintf("organization/%d", org),
			fmt.Sprintf("member state %q, holiday region %q, open-source steward %v", memberState, region, steward))
	})
}

// CreateProduct adds a product to an organization.
func (s *DB) CreateProduct(ctx context.Context, org int64, name, category, craClass string) (*Product, error) {
	p := &Product{Organization: org, Name: name, Category: category, CRAClass: craClass, CreatedAt: s.now()}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, s.rebind(`INSERT INTO product (organization, name, category, cra_class, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`),
			p.Organization, p.Name, p.Category, p.CRAClass, p.CreatedAt).Scan(&p.ID); err != nil {
			return err
		}
		if err := s.insertProductSummary(ctx, tx, p); err != nil {
			return err
		}
		return s.audit(ctx, tx, org, "product.create", fmt.Sprintf("product/%d", p.ID), fmt.Sprintf("%s (%s, CRA class %s)", name, category, craClass))
	})
	if err != nil {
		return nil, fmt.Errorf("create product %q: %w", name, err)
	}
	return p, nil
}

// CreateRelease adds a release of a product.
func (s *DB) CreateRelease(ctx context.Context, product int64, version, placedOnMarket, supportEnd string) (*Release, error) {
	return s.AddRelease(ctx, Release{Product: product, Version: version, PlacedOnMarket: placedOnMarket, SupportEnd: supportEnd})
}

// AddRelease adds a release with all its fields.
func (s *DB) AddRelease(ctx context.Context, in Release) (*Release, error) {
	version, placedOnMarket, supportEnd := in.Version, in.PlacedOnMarket, in.SupportEnd
	if !yearMonth.MatchString(supportEnd) {
		return nil, fmt.Errorf("support end %q: want YYYY-MM", supportEnd)
	}
	if placedOnMarket != "" && !isoDate.MatchString(placedOnMarket) {
		return nil, fmt.Errorf("placed-on-market date %q: want YYYY-MM-DD", placedOnMarket)
	}
	r := &Release{Product: in.Product, Version: version, PlacedOnMarket: placedOnMarket, SupportEnd: supportEnd,
		SupportJustification: strings.TrimSpace(in.SupportJustification), SupportExpectedUseMonths: in.SupportExpectedUseMonths,
		SupportBasis: strings.TrimSpace(in.SupportBasis), DevicesOnMarket: in.DevicesOnMarket, CreatedAt: s.now()}
	if r.DevicesOnMarket != nil && *r.DevicesOnMarket < 0 {
		return nil, fmt.Errorf("devices on the market %d: give a count of zero or more, or none when unknown", *r.DevicesOnMarket)
	}
	var pom any
	if placedOnMarket != "" {
		pom = placedOnMarket
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, s.rebind(`INSERT INTO release (product, version, placed_on_market, support_end, support_justification, support_expected_use_months, support_basis, created_at, devices_on_market)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			r.Product, r.Version, pom, r.SupportEnd, r.SupportJustification, r.SupportExpectedUseMonths, r.SupportBasis, r.CreatedAt, r.DevicesOnMarket).Scan(&r.ID); err != nil {
			return err
		}
		org, err := s.releaseOrg(ctx, tx, r.ID)
		if err != nil {
			return err
		}
		if err := s.appendLedger(ctx, tx, org, ledger.SupportDeclared, fmt.Sprintf("release/%d", r.ID),
			map[string]any{"version": version, "placedOnMarket": placedOnMarket, "supportEnd": supportEnd, "justification": r.SupportJustification,
				"expectedUseMonths": r.SupportExpectedUseMonths, "basis": r.SupportBasis}); err != nil {
			return err
		}
		if err := s.auditRelease(ctx, tx, r.ID, "release.create", fmt.Sprintf("release/%d", r.ID), fmt.Sprintf("version %s, placed on market %s, support until %s", version, placedOnMarket, supportEnd)); err != nil {
			return err
		}
		return s.summarizeProducts(ctx, tx, []int64{r.ID})
	})
	if err != nil {
		return nil, fmt.Errorf("create release %q: %w", version, err)
	}
	return r, nil
}

// Release returns a release.
func (s *DB) Release(ctx context.Context, id int64) (*Release, error) {
	r := &Release{}
	var pom sql.NullString
	err := s.reader().QueryRowContext(ctx, s.rebind(`SELECT id, product, version, placed_on_market, support_end, support_justification, support_expected_use_months, support_basis, created_at, devices_on_market FROM release WHERE id = ?`), id).
		Scan(&r.ID, &r.Product, &r.Version, &pom, &r.SupportEnd, &r.SupportJustification, &r.SupportExpectedUseMonths, &r.SupportBasis, &r.CreatedAt, &r.DevicesOnMarket)
	if err != nil {
		return nil, fmt.Errorf("release %d: %w", id, mapError(err))
	}
	r.PlacedOnMarket = pom.String
	r.CreatedAt = r.CreatedAt.UTC()
	return r, nil
}

// AddSBOM stores an SBOM of a release, its components and their facts in one transaction: a
// reader sees all of it or none. The same SBOM (by SHA-256) uploaded twice to one release is a
// conflict, so concurrent uploads of one file store it once.
func (s *DB) AddSBOM(ctx context.Context, release int64, c SBOMContent) (*SBOM, error) {
	var b *SBOM
	err := s.inTx(ctx, func(tx *sql.Tx) (err error) {
		b, err = s.insertSBOM(ctx, tx, release, c)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store SBOM of release %d: %w", release, err)
	}
	return b, nil
}

// ReleaseComponents lists the components of all SBOMs of a release, ordered by purl and name.
func (s *DB) ReleaseComponents(ctx context.Context, release int64) ([]Component, error) {
	rows, err := s.reader().QueryContext(ctx, s.rebind(`SELECT ref, name, version, purl, direct, ecosystem, lookup, match_version, vcs_commit
		FROM component WHERE release = ? ORDER BY purl, name, version, ref`), release)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	var out []Component
	for rows.Next() {
		var c Component
		if err := rows.Scan(&c.Ref, &c.Name, &c.Version, &c.PURL, &c.Direct, &c.Ecosystem, &c.Lookup, &c.MatchVersion, &c.Commit); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Where is one release that ships a package: the answer to "where is this component used?".
type Where struct {
	Organization string
	Product      string
	Release      string
	Version      string // of the component
}

// WhereUsed lists the releases whose SBOMs contain a purl (exact, or with any version when the
// purl has none: "pkg:npm/lodash" matches every lodash), across all organizations.
func (s *DB) WhereUsed(ctx context.Context, purl string) ([]Where, error) {
	q := `SELECT DISTINCT o.name, p.name, r.version, c.version FROM component c
		JOIN release r ON r.id = c.release JOIN product p ON p.id = r.product JOIN organization o ON o.id = p.organization
		WHERE c.purl = ? OR c.purl LIKE ? ESCAPE '\' ORDER BY o.name, p.name, r.version, c.version`
	rows, err := s.sql.QueryContext(ctx, s.rebind(q), purl, likePrefix(purl)+"@%")
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	var out []Where
	for rows.Next() {
		var w Where
		if err := rows.Scan(&w.Organization, &w.Product, &w.Release, &w.Version); err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// likePrefix escapes LIKE's wildcards and its escape character: purls may contain '_' (in names)
// and '%' (percent-encoding).
func likePrefix(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// Products lists the products of an organization by name.
func (s *DB) Products(ctx context.Context, org int64) ([]Product, error) {
	rows, err := s.sql.QueryContext(ctx, s.rebind(`SELECT id, organization, name, category, category_unmapped, cra_class, created_at, facts FROM product WHERE organization = ? ORDER BY name, id`), org)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	out := []Product{}
	for rows.Next() {
		var p Product
		var facts sql.NullString
		if err := rows.Scan(&p.ID, &p.Organization, &p.Name, &p.Category, &p.CategoryUnmapped, &p.CRAClass, &p.CreatedAt, &facts); err != nil {
			return nil, err
		}
		p.CreatedAt = p.CreatedAt.UTC()
		if err := p.readFacts(facts); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Product returns a product.
func (s *DB) Product(ctx context.Context, id int64) (*Product, error) {
	p := &Product{}
	var facts sql.NullString
	err := s.reader().QueryRowContext(ctx, s.rebind(`SELECT id, organization, name, category, category_unmapped, cra_class, created_at, facts FROM product WHERE id = ?`), id).
		Scan(&p.ID, &p.Organization, &p.Name, &p.Category, &p.CategoryUnmapped, &p.CRAClass, &p.CreatedAt, &facts)
	if err != nil {
		return nil, fmt.Errorf("product %d: %w", id, mapError(err))
	}
	p.CreatedAt = p.CreatedAt.UTC()
	return p, p.readFacts(facts)
}

func (p *Product) readFacts(facts sql.NullString) error {
	if !facts.Valid {
		return nil
	}
	if err := json.Unmarshal([]byte(facts.String), &p.Facts); err != nil {
		return fmt.Errorf("product %d: stored facts: %w", p.ID, err)
	}
	return nil
}

// SetProductFacts records what the manufacturer declares about a product's design (replacing
// earlier declarations), in the audit trail and the ledger: declarations decide which
// requirements apply, so who declared what, when, is evidence.
func (s *DB) SetProductFacts(ctx context.Context, id int64, facts map[string]bool) error {
	j, err := json.Marshal(facts)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var org int64
		if err := tx.QueryRowContext(ctx, s.rebind(`SELECT organization FROM product WHERE id = ?`), id).Scan(&org); err != nil {
			return mapError(err)
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE product SET facts = ? WHERE id = ?`), string(j), id); err != nil {
			return mapError(err)
		}
		if err := s.audit(ctx, tx, org, "product.facts", fmt.Sprintf("product/%d", id), string(j)); err != nil {
			return err
		}
		return s.appendLedger(ctx, tx, org, ledger.FactsDeclared, fmt.Sprintf("product/%d", id), facts)
	})
}

// SetProductCategory changes a product's category (the caller checks it against the controlled
// list), in the audit trail and the ledger: the category decides which catalogs apply, so who
// changed it from what to what, and when, is evidence. Setting the category it has changes
// nothing and records nothing.
func (s *DB) SetProductCategory(ctx context.Context, id int64, category string) error {
	if category == "" {
		return fmt.Errorf("product %d: the category is empty", id)
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var org int64
		var old, unmapped string
		if err := tx.QueryRowContext(ctx, s.rebind(`SELECT organization, category, category_unmapped FROM product WHERE id = ?`), id).Scan(&org, &old, &unmapped); err != nil {
			return fmt.Errorf("product %d: %w", id, mapError(err))
		}
		if old == category && unmapped == "" {
			return nil
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE product SET category = ?, category_unmapped = '' WHERE id = ?`), category, id); err != nil {
			return mapError(err)
		}
		from := old
		if from == "" {
			from = "none (was " + strconv.Quote(unmapped) + ")"
		}
		subject := fmt.Sprintf("product/%d", id)
		if err := s.audit(ctx, tx, org, "product.category", subject, from+" -> "+category); err != nil {
			return err
		}
		return s.appendLedger(ctx, tx, org, ledger.CategoryDeclared, subject, map[string]string{"category": category, "previous": old, "previousUnmapped": unmapped})
	})
}

// Releases lists the releases of a product, newest first.
func (s *DB) Releases(ctx context.Context, product int64) ([]Release, error) {
	rows, err := s.reader().QueryContext(ctx, s.rebind(`SELECT id, product, version, placed_on_market, support_end, support_justification, support_expected_use_months, support_basis, created_at, devices_on_market FROM release WHERE product = ? ORDER BY created_at DESC, id DESC`), product)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	out := []Release{}
	for rows.Next() {
		var r Release
		var pom sql.NullString
		if err := rows.Scan(&r.ID, &r.Product, &r.Version, &pom, &r.SupportEnd, &r.SupportJustification, &r.SupportExpectedUseMonths, &r.SupportBasis, &r.CreatedAt, &r.DevicesOnMarket); err != nil {
			return nil, err
		}
		r.PlacedOnMarket, r.CreatedAt = pom.String, r.CreatedAt.UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}

// ReleaseCounts counts the releases of each product of an organization.
func (s *DB) ReleaseCounts(ctx context.Context, org int64) (map[int64]int, error) {
	rows, err := s.sql.QueryContext(ctx, s.rebind(`SELECT r.product, count(*) FROM release r JOIN product p ON p.id = r.product
		WHERE p.organization = ? GROUP BY r.product`), org)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}

// EndingSupport is a release whose support period ends soon, with its owner.
type EndingSupport struct {
	Organization int64
	Product      string
	Release
}

// ReleasesEndingSupport lists the releases, across organizations, whose support ends in or
// before the month until (YYYY-MM) and not before the month from.
func (s *DB) ReleasesEndingSupport(ctx context.Context, from, until string) ([]EndingSupport, error) {
	rows, err := s.sql.QueryContext(ctx, s.rebind(`SELECT p.organization, p.name, r.id, r.product, r.version, COALESCE(r.placed_on_market, ''), r.support_end, r.support_justification, r.support_expected_use_months, r.support_basis, r.created_at
		FROM release r JOIN product p ON p.id = r.product WHERE r.support_end >= ? AND r.support_end <= ? ORDER BY r.support_end, r.id`), from, until)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	var out []EndingSupport
	for rows.Next() {
		var e EndingSupport
		if err := rows.Scan(&e.Organization, &e.Product, &e.ID, &e.Release.Product, &e.Version, &e.PlacedOnMarket, &e.SupportEnd, &e.SupportJustification, &e.SupportExpectedUseMonths, &e.SupportBasis, &e.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// ReleaseInfo is what notifications say of a release.
type ReleaseInfo struct {
	Organization int64
	ProductName  string
	Version      string
}

// ReleaseInfos returns the organization, product name and version of releases.
func (s *DB) ReleaseInfos(ctx context.Context, ids []int64) (map[int64]ReleaseInfo, error) {
	out := make(map[int64]ReleaseInfo, len(ids))
	for len(ids) > 0 {
		n := min(len(ids), 500)
		batch := ids[:n]
		ids = ids[n:]
		args := make([]any, len(batch))
		for i, id := range batch {
			args[i] = id
		}
		rows, err := s.sql.QueryContext(ctx, s.rebind(`SELECT r.id, p.organization, p.name, r.version FROM release r JOIN product p ON p.id = r.product
			WHERE r.id IN (`+strings.TrimSuffix(strings.Repeat("?,", n), ",")+`)`), args...)
		if err != nil {
			return nil, mapError(err)
		}
		for rows.Next() {
			var id int64
			var info ReleaseInfo
			if err := rows.Scan(&id, &info.Organization, &info.ProductName, &info.Version); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = info
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// LatestSBOM returns the newest SBOM uploaded for a release, or ErrNotFound.
func (s *DB) LatestSBOM(ctx context.Context, release int64) (*SBOM, error) {
	b := &SBOM{}
	var missing sql.NullString
	err := s.sql.QueryRowContext(ctx, s.rebind(`SELECT id, release, format, sha256, components, uploaded_at, tr03183_missing FROM sbom
		WHERE release = ? ORDER BY id DESC LIMIT 1`), release).Scan(&b.ID, &b.Release, &b.Format, &b.SHA256, &b.Components, &b.UploadedAt, &missing)
	if err != nil {
		return nil, mapError(err)
	}
	if missing.Valid {
		if err := json.Unmarshal([]byte(missing.String), &b.TRMissing); err != nil {
			return nil, fmt.Errorf("sbom %d: stored TR-03183-2 result: %w", b.ID, err)
		}
		if b.TRMissing == nil {
			b.TRMissing = []string{}
		}
	}
	return b, nil
}

// insertSBOM stores an SBOM, its components and their facts in tx, queues the release's matching
// and records the upload in the ledger and the audit trail.
func (s *DB) insertSBOM(ctx context.Context, tx *sql.Tx, release int64, c SBOMContent) (*SBOM, error) {
	comps, format, sha256 := c.Components, c.Format, c.SHA256
	b := &SBOM{Release: release, Format: format, SHA256: sha256, Components: len(comps), UploadedAt: s.now(), TRMissing: c.TRMissing}
	if err := tx.QueryRowContext(ctx, s.rebind(`INSERT INTO sbom (release, format, sha256, components, uploaded_at, tr03183_missing) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`),
		b.Release, b.Format, b.SHA256, b.Components, b.UploadedAt, trMissingColumn(c.TRMissing)).Scan(&b.ID); err != nil {
		return nil, err
	}
	// Many rows per statement: one round trip (and one statement execution) per batch.
	var err error
	const cols, batch = 12, 200
	var stmt *sql.Stmt
	defer func() {
		if stmt != nil {
			stmt.Close()
		}
	}()
	args := make([]any, 0, cols*batch)
	for i := 0; i < len(comps); i += batch {
		part := comps[i:min(i+batch, len(comps))]
		args = args[:0]
		for _, c := range part {
			args = append(args, b.ID, release, c.Ref, c.Name, c.Version, c.PURL, c.Direct, c.Ecosystem, c.Lookup, c.MatchVersion, c.Commit, purl.Base(c.PURL))
		}
		q := s.rebind(`INSERT INTO component (sbom, release, ref, name, version, purl, direct, ecosystem, lookup, match_version, vcs_commit, base_purl) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?),", len(part)), ","))
		if len(part) == batch {
			if stmt == nil {
				if stmt, err = tx.PrepareContext(ctx, q); err != nil {
					return nil, err
				}
			}
			_, err = stmt.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, q, args...)
		}
		if err != nil {
			return nil, err
		}
	}
	if err := s.insertComponentFacts(ctx, tx, b.ID, c.Facts); err != nil {
		return nil, err
	}
	// Matching runs in the background; queued in this transaction, it cannot be lost.
	if err := s.enqueueMatch(ctx, tx, release); err != nil {
		return nil, err
	}
	org, err := s.releaseOrg(ctx, tx, release)
	if err != nil {
		return nil, err
	}
	if err := s.appendLedger(ctx, tx, org, ledger.SBOMPublished, fmt.Sprintf("release/%d", release),
		map[string]any{"sbom": b.ID, "format": format, "sha256": sha256, "components": len(comps)}); err != nil {
		return nil, err
	}
	return b, s.auditRelease(ctx, tx, release, "sbom.upload", fmt.Sprintf("sbom/%d", b.ID), fmt.Sprintf("%s, %d components, sha256 %s", format, len(comps), sha256))
}
