package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/authority"
	"github.com/siegel-oss/siegel/internal/authority/icsms"
	"github.com/siegel-oss/siegel/internal/catalog"
	"github.com/siegel-oss/siegel/internal/cra"
	"github.com/siegel-oss/siegel/internal/store"
)

// A product's record is what its manufacturer states to a market surveillance authority about
// it: the facts the authority's scoped view is made of (authority_view.go). On one server the
// view reads them from the store; across two, the manufacturer's server writes them as a
// statement of its ledger and pushes that statement, with every other statement about the
// product, to the authority's server (package api, authority_records_push.go), which checks them against the
// checkpoint it witnessed. Both views are rendered from the same facts by the same code, so an
// authority sees the same thing wherever its manufacturers run.
//
// The facts hold counts of components, never their names; the components with an actively
// exploited vulnerability, which a sweep needs to count fan-in across manufacturers, travel as
// pseudonyms (componentPseudonym).

// RecordFormat names the version of the facts' JSON.
const RecordFormat = "siegel-authority-record/v1"

// maxRecordFacts bounds the facts of one product's record.
const maxRecordFacts = 1 << 20

// RecordFacts are what a manufacturer states to an authority about one product (its record).
type RecordFacts struct {
	Format         string             `json:"format"`
	Product        RecordProduct      `json:"product"`
	Manufacturer   recordManufacturer `json:"manufacturer"`
	RegisteredWith string             `json:"registeredWith"` // the authority's organization name
	RegisteredAt   time.Time          `json:"registeredAt"`
	Releases       []RecordRelease    `json:"releases"`
	Cases          []RecordCase       `json:"cases"`
}

// RecordProduct is the product a record is about.
type RecordProduct struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Category string `json:"category"`
	CRAClass string `json:"craClass"`
}

type recordManufacturer struct {
	Name          string `json:"name"`
	SizeClass     string `json:"sizeClass"`
	Steward       bool   `json:"steward"`
	MemberState   string `json:"memberState"`
	HolidayRegion string `json:"holidayRegion"`
}

// RecordRelease is one of a record's releases.
type RecordRelease struct {
	ID                       int64                    `json:"id"`
	Version                  string                   `json:"version"`
	PlacedOnMarket           string                   `json:"placedOnMarket"`
	SupportEnd               string                   `json:"supportEnd"`
	SupportJustification     string                   `json:"supportJustification"`
	SupportExpectedUseMonths int                      `json:"supportExpectedUseMonths"`
	SupportBasis             string                   `json:"supportBasis"`
	CreatedAt                time.Time                `json:"createdAt"`
	DevicesOnMarket          *int64                   `json:"devicesOnMarket"`
	Labels                   []ViewLabelJSON          `json:"labels"`
	Components               store.ComponentAggregate `json:"components"`
	SBOM                     bool                     `json:"sbom"`
	MarketRecord             MarketRecordJSON         `json:"marketRecord"`
	// Exploited holds the pseudonyms of the components with an actively exploited
	// vulnerability (componentPseudonym).
	Exploited []string `json:"exploited"`
}

// RecordCase is one of a record's Art. 14 cases.
type RecordCase struct {
	ID                    int64                `json:"id"`
	Type                  string               `json:"type"`
	Title                 string               `json:"title"`
	Vulnerability         string               `json:"vulnerability"`
	Evidence              string               `json:"evidence"`
	AwareAt               time.Time            `json:"awareAt"`
	FixAvailable          time.Time            `json:"fixAvailable"`
	Closed                time.Time            `json:"closed"`
	ClosedReason          string               `json:"closedReason"`
	CreatedAt             time.Time            `json:"createdAt"`
	Submitted             map[string]time.Time `json:"submitted"`
	Recipients            map[string]string    `json:"recipients"`
	IntermediateRequested time.Time            `json:"intermediateRequested"`
	IntermediateDue       time.Time            `json:"intermediateDue"`
}

// ComponentPseudonym stands for a version-agnostic purl in a record: the hex SHA-256 of it. The
// authority can count how many products share a component without being told its name; a
// component of a public ecosystem can still be recognised by hashing its purl (the
// vulnerabilities it is counted for are public too), a private one cannot.
func ComponentPseudonym(purl string) string {
	h := sha256.Sum256([]byte("siegel-component\x00" + purl))
	return hex.EncodeToString(h[:])
}

// RecordOf gathers a product's record from the store: the facts as its manufacturer holds them.
func (s *Deps) RecordOf(ctx context.Context, prod *store.Product, registeredWith string, registeredAt time.Time) (RecordFacts, error) {
	org, err := s.Store.OrganizationByID(ctx, prod.Organization)
	if err != nil {
		return RecordFacts{}, err
	}
	f := RecordFacts{Format: RecordFormat, Product: RecordProduct{ID: prod.ID, Name: prod.Name, Category: prod.Category, CRAClass: prod.CRAClass},
		Manufacturer:   recordManufacturer{Name: org.Name, SizeClass: org.SizeClass, Steward: org.Steward, MemberState: org.MemberState, HolidayRegion: org.HolidayRegion},
		RegisteredWith: registeredWith, RegisteredAt: registeredAt.UTC(), Releases: []RecordRelease{}, Cases: []RecordCase{}}
	rels, err := s.Store.Releases(ctx, prod.ID)
	if err != nil {
		return f, err
	}
	labels, err := s.Store.Labels(ctx, prod.Organization)
	if err != nil {
		return f, err
	}
	for i := range rels {
		rel := &rels[i]
		rr := RecordRelease{ID: rel.ID, Version: rel.Version, PlacedOnMarket: rel.PlacedOnMarket, SupportEnd: rel.SupportEnd,
			SupportJustification: rel.SupportJustification, SupportExpectedUseMonths: rel.SupportExpectedUseMonths, SupportBasis: rel.SupportBasis,
			CreatedAt: rel.CreatedAt.UTC(), DevicesOnMarket: rel.DevicesOnMarket, Labels: []ViewLabelJSON{}, Exploited: []string{}}
		for _, l := range labels {
			if l.Release == rel.ID {
				vl := ViewLabelJSON{ID: l.ID, Status: l.Status, Reason: l.Reason, ValidUntil: l.ValidUntil.UTC()}
				if s.Conformity != nil {
					vl.PageURL = s.Conformity.PageURL(l.ID)
				}
				rr.Labels = append(rr.Labels, vl)
			}
		}
		if rr.Components, err = s.Store.ReleaseComponentAggregate(ctx, rel.ID); err != nil {
			return f, err
		}
		switch sb, err := s.Store.LatestSBOM(ctx, rel.ID); {
		case err == nil:
			rr.SBOM = sb != nil
		case !errors.Is(err, store.ErrNotFound):
			return f, err
		}
		m, err := s.Store.MarketRecordOf(ctx, rel.ID)
		if err != nil {
			return f, err
		}
		rr.MarketRecord = ToMarketRecord(m)
		rr.MarketRecord.UpdatedAt = rr.MarketRecord.UpdatedAt.UTC()
		ex, err := s.Store.ExploitedComponents(ctx, rel.ID)
		if err != nil {
			return f, err
		}
		for _, c := range ex {
			rr.Exploited = append(rr.Exploited, ComponentPseudonym(c))
		}
		f.Releases = append(f.Releases, rr)
	}
	cases, err := s.Store.ProductCases(ctx, prod.ID)
	if err != nil {
		return f, err
	}
	for i := range cases {
		c := &cases[i]
		rc := RecordCase{ID: c.ID, Type: c.Type, Title: c.Title, Vulnerability: c.Vulnerability, Evidence: c.Evidence, AwareAt: c.AwareAt.UTC(),
			FixAvailable: utc(c.FixAvailable), Closed: utc(c.Closed), ClosedReason: c.ClosedReason, CreatedAt: c.CreatedAt.UTC(),
			Submitted: map[string]time.Time{}, Recipients: map[string]string{},
			IntermediateRequested: utc(c.IntermediateRequested), IntermediateDue: utc(c.IntermediateDue)}
		for stage, sub := range c.Stages {
			rc.Submitted[stage] = sub.SubmittedAt.UTC()
			if sub.Recipient != "" {
				rc.Recipients[stage] = sub.Recipient
			}
		}
		f.Cases = append(f.Cases, rc)
	}
	return f, nil
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

// Manufacturer is the record's manufacturer as the timeliness rules read it.
func (f *RecordFacts) manufacturer() authority.Manufacturer {
	m := f.Manufacturer
	return authority.Manufacturer{Name: m.Name, SizeClass: m.SizeClass, Steward: m.Steward,
		Establishment: cra.Establishment{MemberState: m.MemberState, Region: m.HolidayRegion}}
}

// StoreCase is a recorded case as the store would hold it, in the manufacturer's calendar.
func (f *RecordFacts) StoreCase(c RecordCase, org int64) store.Case {
	sc := store.Case{ID: c.ID, Organization: org, OrgSize: f.Manufacturer.SizeClass, MemberState: f.Manufacturer.MemberState,
		HolidayRegion: f.Manufacturer.HolidayRegion, Steward: f.Manufacturer.Steward, Product: f.Product.ID, ProductName: f.Product.Name,
		Type: c.Type, Vulnerability: c.Vulnerability, Title: c.Title, Evidence: c.Evidence, AwareAt: c.AwareAt, FixAvailable: c.FixAvailable,
		Closed: c.Closed, ClosedReason: c.ClosedReason, IntermediateRequested: c.IntermediateRequested, IntermediateDue: c.IntermediateDue,
		CreatedAt: c.CreatedAt, Stages: map[string]store.Submission{}}
	for stage, at := range c.Submitted {
		sc.Stages[stage] = store.Submission{SubmittedAt: at, Recipient: c.Recipients[stage]}
	}
	return sc
}

// view renders the scoped view of a record at now. man names the manufacturer as the authority
// knows it (its organization on the authority's server); the rest is the record's.
func (f *RecordFacts) view(manufacturerID int64, manufacturerName string, now time.Time) ViewProductJSON {
	m := f.Manufacturer
	v := ViewProductJSON{ID: f.Product.ID, Name: f.Product.Name, Category: f.Product.Category, CRAClass: f.Product.CRAClass,
		ConformityRoute: catalog.ConformityRoute(f.Product.CRAClass), RegisteredAt: f.RegisteredAt, Releases: []viewReleaseJSON{}, Cases: []ViewCaseJSON{},
		Manufacturer: ViewManufacturerJSON{ID: manufacturerID, Name: manufacturerName, SizeClass: m.SizeClass, Steward: m.Steward, MemberState: m.MemberState,
			Exemption: cra.Fines(m.SizeClass, m.Steward)}}
	for _, rr := range f.Releases {
		rel := store.Release{ID: rr.ID, Product: f.Product.ID, Version: rr.Version, PlacedOnMarket: rr.PlacedOnMarket, SupportEnd: rr.SupportEnd,
			SupportJustification: rr.SupportJustification, SupportExpectedUseMonths: rr.SupportExpectedUseMonths, SupportBasis: rr.SupportBasis,
			DevicesOnMarket: rr.DevicesOnMarket, CreatedAt: rr.CreatedAt}
		vr := viewReleaseJSON{ID: rr.ID, Version: rr.Version, PlacedOnMarket: rr.PlacedOnMarket, SupportEnd: rr.SupportEnd,
			Support: ViewRelease(rel, f.Product.Category).Support, DevicesOnMarket: rr.DevicesOnMarket, Labels: rr.Labels, Components: rr.Components,
			MarketRecord: rr.MarketRecord}
		if vr.Labels == nil {
			vr.Labels = []ViewLabelJSON{}
		}
		mr := rr.MarketRecord
		vr.Checklist = icsms.FromFacts(f.Product.CRAClass, rr.ID, rr.Version, authority.ReleaseFacts{CEMarking: mr.CEMarking, DeclarationDrawnUp: mr.Declaration,
			NotifiedBodyNumber: mr.NotifiedBody, TechnicalDocs: mr.TechnicalDocs, SBOM: rr.SBOM, SupportEnd: rr.SupportEnd, DisclosureContact: mr.DisclosureContact})
		v.Releases = append(v.Releases, vr)
	}
	man := f.manufacturer()
	for _, rc := range f.Cases {
		c := f.StoreCase(rc, manufacturerID)
		vc := ViewCaseJSON{ID: c.ID, Type: c.Type, Title: c.Title, Vulnerability: c.Vulnerability, Evidence: c.Evidence, AwareAt: c.AwareAt,
			FixAvailable: c.FixAvailable, Closed: c.Closed, ClosedReason: c.ClosedReason, CreatedAt: c.CreatedAt, Submitted: c.Submitted(),
			IntermediateRequested: c.IntermediateRequested, IntermediateDue: c.IntermediateDue, Stages: []authority.Stage{}}
		if len(rc.Recipients) > 0 {
			vc.Recipients = rc.Recipients
		}
		stages, clock, err := authority.Timeliness(man, c.Record(), c.Submitted(), now)
		if err != nil {
			vc.Error = err.Error()
		} else {
			vc.Stages, vc.Calendar = stages, clock.Calendar
		}
		v.Cases = append(v.Cases, vc)
	}
	return v
}

// sweepProduct is what the Art. 60 sweep reads of the record.
func (f *RecordFacts) sweepProduct() authority.SweepProduct {
	sp := authority.SweepProduct{Product: f.Product.Name, Category: f.Product.Category}
	if sp.Category == "" {
		sp.Category = "(no category)"
	}
	seen := map[string]bool{}
	for _, rr := range f.Releases {
		if rr.DevicesOnMarket != nil {
			if sp.Devices == nil {
				sp.Devices = new(int64)
			}
			*sp.Devices += *rr.DevicesOnMarket
		}
		for _, c := range rr.Exploited {
			if !seen[c] {
				seen[c] = true
				sp.Exploited = append(sp.Exploited, c)
			}
		}
	}
	return sp
}

// DecodeRecordFacts reads a record's facts as a manufacturer's ledger revealed them: at most
// maxRecordFacts bytes of one JSON object of the known format, no unknown field (a record
// carries nothing the view does not show), every name and list within bounds.
func DecodeRecordFacts(data []byte) (RecordFacts, error) {
	var f RecordFacts
	if len(data) > maxRecordFacts {
		return f, fmt.Errorf("record: %d bytes, more than the %d a record may have", len(data), maxRecordFacts)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return f, fmt.Errorf("record: byte %d: %w", se.Offset, err)
		case errors.As(err, &te):
			return f, fmt.Errorf("record: byte %d: field %s: %w", te.Offset, te.Field, err)
		}
		return f, fmt.Errorf("record: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return f, fmt.Errorf("record: byte %d: data after the record's object", dec.InputOffset())
	}
	if f.Format != RecordFormat {
		return f, fmt.Errorf("record: format %q, want %s", f.Format, RecordFormat)
	}
	if f.Product.ID <= 0 || strings.TrimSpace(f.Product.Name) == "" || f.RegisteredWith == "" || f.RegisteredAt.IsZero() {
		return f, errors.New("record: the product's id and name, and the authority and time of its registration, are required")
	}
	if len(f.Releases) > 10000 || len(f.Cases) > 10000 {
		return f, errors.New("record: at most 10000 releases and 10000 cases")
	}
	for i, rr := range f.Releases {
		if rr.DevicesOnMarket != nil && *rr.DevicesOnMarket < 0 {
			return f, fmt.Errorf("record: releases[%d]: a negative number of devices on the market", i)
		}
		for j, c := range rr.Exploited {
			if b, err := hex.DecodeString(c); err != nil || len(b) != sha256.Size {
				return f, fmt.Errorf("record: releases[%d].exploited[%d]: not a component pseudonym (the hex of a SHA-256)", i, j)
			}
		}
	}
	return f, nil
}
