// Package icsms exports a market surveillance case of Siegel with the fields authorities record
// in ICSMS, the EU's information and communication system for market surveillance (Regulation
// (EU) 2019/1020 Art. 34): the product, the economic operator, the checks made, the risk
// assessment and the measures taken, each claim with the ledger proofs behind it, so that whoever
// receives the file can check every statement against the signed logs without trusting the
// sender.
package icsms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/authority"
	"github.com/siegel-oss/siegel/internal/catalog"
	"github.com/siegel-oss/siegel/internal/cra"
	"github.com/siegel-oss/siegel/internal/ledger"
	"github.com/siegel-oss/siegel/internal/store"
)

// Format names this export's layout.
const Format = "siegel-icsms-case/1"

// Export is one procedure, exported.
type Export struct {
	Format      string    `json:"format"`
	GeneratedAt time.Time `json:"generatedAt"`
	Authority   string    `json:"authority"`
	Procedure   Procedure `json:"procedure"`
	Product     Product   `json:"product"`
	// EconomicOperator is the manufacturer (ICSMS: economic operator, role manufacturer).
	EconomicOperator Operator       `json:"economicOperator"`
	Checks           []Check        `json:"checks"`
	Reporting        []Reporting    `json:"reporting"`
	RiskAssessment   RiskAssessment `json:"riskAssessment"`
	Measures         []Measure      `json:"measures"`
	// Proofs are the ledger bundles behind the claims, by subject ("procedure/3", "release/7"):
	// each verifies on its own ('siegel ledger verify').
	Proofs map[string]*ledger.Bundle `json:"proofs"`
	// NotProven lists what the export states that no ledger statement proves.
	NotProven []string `json:"notProven"`
}

// Evidence points at the statements of a bundle in Proofs that prove a claim.
type Evidence struct {
	Subject string   `json:"subject"`
	Indexes []int64  `json:"indexes"`
	Types   []string `json:"types"`
}

// Procedure is the authority's case.
type Procedure struct {
	ID       int64             `json:"id"`
	Kind     string            `json:"kind"`
	Basis    string            `json:"basis"`
	Title    string            `json:"title"`
	State    string            `json:"state"`
	Next     string            `json:"next,omitempty"`
	Calendar string            `json:"calendar"`
	Clocks   []authority.Clock `json:"clocks"`
	Events   []authority.Event `json:"events"`
	Evidence Evidence          `json:"evidence"`
}

// Product is the product with digital elements (ICSMS: product identification).
type Product struct {
	ID              int64     `json:"id"`
	Name            string    `json:"name"`
	Category        string    `json:"category"`
	CRAClass        string    `json:"craClass"`
	ConformityRoute []string  `json:"conformityRoute"`
	Versions        []Version `json:"versions"`
	Evidence        Evidence  `json:"evidence"`
}

// Version is a release of the product placed on the market.
type Version struct {
	Release         int64    `json:"release"`
	Version         string   `json:"version"`
	PlacedOnMarket  string   `json:"placedOnMarket,omitempty"`
	SupportEnd      string   `json:"supportEnd"`
	DevicesOnMarket *int64   `json:"devicesOnMarket"`
	SBOMSHA256      string   `json:"sbomSha256,omitempty"`
	Labels          []string `json:"labels,omitempty"` // "ID: status"
	Evidence        Evidence `json:"evidence"`
}

// Operator is the economic operator.
type Operator struct {
	Name        string `json:"name"`
	Role        string `json:"role"`
	MemberState string `json:"memberState,omitempty"`
	SizeClass   string `json:"sizeClass,omitempty"`
	Steward     bool   `json:"steward"`
	// FineExemption is what CRA Art. 64(10) spares the operator, "" when nothing.
	FineExemption string `json:"fineExemption,omitempty"`
}

// Reporting is one Art. 14 reporting case of the product, its stages judged.
type Reporting struct {
	Case          int64             `json:"case"`
	Type          string            `json:"type"`
	Title         string            `json:"title"`
	Vulnerability string            `json:"vulnerability,omitempty"`
	AwareAt       time.Time         `json:"awareAt"`
	Stages        []authority.Stage `json:"stages"`
	Error         string            `json:"error,omitempty"`
	Evidence      Evidence          `json:"evidence"`
}

// RiskAssessment gathers what the risk assessment rests on. Siegel does not grade the risk: the
// authority's evaluation (Art. 54(1)) does, and its finding is quoted from the procedure.
type RiskAssessment struct {
	Basis string `json:"basis"`
	// Finding is the authority's recorded finding (the reason of the non-compliance step),
	// "" while it recorded none.
	Finding string `json:"finding,omitempty"`
	// ExploitedComponents counts, per release, the components with an actively exploited
	// vulnerability that the manufacturer did not triage as not affected or fixed.
	ExploitedComponents map[string]int `json:"exploitedComponents"`
	// OpenFindings counts, per release, the vulnerability findings in force by severity.
	OpenFindings    map[string]store.Summary `json:"openFindings"`
	DevicesOnMarket *int64                   `json:"devicesOnMarket"`
}

// Measure is a measure of the procedure (ICSMS: measures taken).
type Measure struct {
	At       time.Time `json:"at"`
	Type     string    `json:"type"`
	Basis    string    `json:"basis"`
	Detail   string    `json:"detail,omitempty"`
	Due      time.Time `json:"due,omitzero"`
	Evidence Evidence  `json:"evidence"`
}

// Build exports procedure id of the authority authorityOrg at now; a procedure of another
// authority, or about a product not registered with it, is not found.
func Build(ctx context.Context, st *store.DB, authorityOrg, id int64, now time.Time) (*Export, error) {
	pr, err := st.ProcedureByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if pr.Authority != authorityOrg {
		return nil, fmt.Errorf("procedure %d: %w", id, store.ErrNotFound)
	}
	// The export reveals the manufacturer's ledger statements about the product: only to an
	// authority the product is registered with.
	if ok, err := st.Registered(ctx, authorityOrg, pr.Product); err != nil {
		return nil, err
	} else if !ok {
		return nil, fmt.Errorf("procedure %d: product %d is not registered with this authority: %w", id, pr.Product, store.ErrNotFound)
	}
	authOrg, err := st.OrganizationByID(ctx, authorityOrg)
	if err != nil {
		return nil, err
	}
	prod, err := st.Product(ctx, pr.Product)
	if err != nil {
		return nil, err
	}
	man, err := st.OrganizationByID(ctx, prod.Organization)
	if err != nil {
		return nil, err
	}
	x := &Export{Format: Format, GeneratedAt: now.UTC(), Authority: authOrg.Name, Proofs: map[string]*ledger.Bundle{},
		Checks: []Check{}, Reporting: []Reporting{}, Measures: []Measure{}, NotProven: []string{}}
	b := bundler{ctx: ctx, st: st, x: x}

	// The procedure, its clocks in the authority's calendar, every step in the authority's ledger.
	cal, err := cra.Establishment{MemberState: authOrg.MemberState, Region: authOrg.HolidayRegion}.Calendar()
	if err != nil {
		return nil, err
	}
	status, err := pr.Domain().StatusAt(cal, now)
	if err != nil {
		return nil, err
	}
	procSubject := fmt.Sprintf("procedure/%d", pr.ID)
	x.Procedure = Procedure{ID: pr.ID, Kind: pr.Kind, Basis: kindBasis(pr.Kind), Title: pr.Title, State: status.State, Next: status.Next,
		Calendar: cal.Describe(), Clocks: status.Clocks, Events: pr.Events}
	if x.Procedure.Clocks == nil {
		x.Procedure.Clocks = []authority.Clock{}
	}
	if x.Procedure.Evidence, err = b.evidence(pr.Authority, procSubject, ledger.ProcedureEvent); err != nil {
		return nil, err
	}
	bySeq := map[int]int64{} // event number -> its statement's log index
	for _, e := range x.Proofs[procSubject].Entries {
		var c struct {
			Seq int `json:"seq"`
		}
		if json.Unmarshal(e.Content, &c) == nil && c.Seq > 0 {
			bySeq[c.Seq] = e.Index
		}
	}
	for i, e := range pr.Events {
		m, ok := measureOf(pr.Kind, e)
		if ok {
			m.Evidence = Evidence{Subject: procSubject, Indexes: []int64{}, Types: []string{}}
			if idx, ok := bySeq[i+1]; ok {
				m.Evidence.Indexes, m.Evidence.Types = []int64{idx}, []string{ledger.ProcedureEvent}
			} else {
				x.NotProven = append(x.NotProven, fmt.Sprintf("measure %d (%s): no ledger statement of the step", i+1, e.Action))
			}
			x.Measures = append(x.Measures, m)
		}
		if e.Action == authority.ActNonCompliant {
			x.RiskAssessment.Finding = e.Reason
		}
	}

	x.EconomicOperator = Operator{Name: man.Name, Role: "manufacturer", MemberState: man.MemberState, SizeClass: man.SizeClass, Steward: man.Steward,
		FineExemption: cra.Fines(man.SizeClass, man.Steward)}
	x.NotProven = append(x.NotProven, "economic operator: name, size class, Member State and steward status are the organization's records, not ledger statements")

	route := catalog.ConformityRoute(prod.CRAClass)
	x.Product = Product{ID: prod.ID, Name: prod.Name, Category: prod.Category, CRAClass: prod.CRAClass, Versions: []Version{}}
	for _, o := range route.Options {
		x.Product.ConformityRoute = append(x.Product.ConformityRoute, o.Procedure+" ("+o.Basis+")")
	}
	productSubject := fmt.Sprintf("product/%d", prod.ID)
	if x.Product.Evidence, err = b.evidence(prod.Organization, productSubject, ledger.ProductRegistered, ledger.CategoryDeclared, ledger.FactsDeclared); err != nil {
		return nil, err
	}
	if len(x.Product.Evidence.Indexes) == 0 {
		x.NotProven = append(x.NotProven, "product: no ledger statement records its registration, category or facts")
	}

	// The releases: versions, checks of Art. 58(1), what the risk assessment rests on.
	rels, err := st.Releases(ctx, prod.ID)
	if err != nil {
		return nil, err
	}
	labels, err := st.Labels(ctx, prod.Organization)
	if err != nil {
		return nil, err
	}
	sums, err := st.ReleaseSummaries(ctx, prod.ID)
	if err != nil {
		return nil, err
	}
	x.RiskAssessment.Basis = kindBasis(pr.Kind) + "; the authority grades the risk, Siegel gives what it rests on"
	x.RiskAssessment.ExploitedComponents = map[string]int{}
	x.RiskAssessment.OpenFindings = map[string]store.Summary{}
	devicesDeclared := false
	var devices int64
	for i := range rels {
		rel := &rels[i]
		v := Version{Release: rel.ID, Version: rel.Version, PlacedOnMarket: rel.PlacedOnMarket, SupportEnd: rel.SupportEnd, DevicesOnMarket: rel.DevicesOnMarket}
		if sb, err := st.LatestSBOM(ctx, rel.ID); err == nil {
			v.SBOMSHA256 = sb.SHA256
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		for _, l := range labels {
			if l.Release == rel.ID {
				v.Labels = append(v.Labels, l.ID+": "+l.Status)
			}
		}
		subject := fmt.Sprintf("release/%d", rel.ID)
		if v.Evidence, err = b.evidence(prod.Organization, subject, ledger.SupportDeclared, ledger.SBOMPublished, ledger.MarketRecordDeclared); err != nil {
			return nil, err
		}
		if rel.DevicesOnMarket != nil {
			devicesDeclared = true
			devices += *rel.DevicesOnMarket
			x.NotProven = append(x.NotProven, fmt.Sprintf("release %s: the number of devices on the market is in the audit trail, not the ledger", rel.Version))
		}
		x.Product.Versions = append(x.Product.Versions, v)
		checks, err := Checklist(ctx, st, prod, rel)
		if err != nil {
			return nil, err
		}
		x.Checks = append(x.Checks, checks...)
		ex, err := st.ExploitedComponents(ctx, rel.ID)
		if err != nil {
			return nil, err
		}
		x.RiskAssessment.ExploitedComponents[rel.Version] = len(ex)
		x.RiskAssessment.OpenFindings[rel.Version] = sums[rel.ID]
	}
	if devicesDeclared {
		x.RiskAssessment.DevicesOnMarket = &devices
	}
	if len(x.Checks) > 0 {
		x.NotProven = append(x.NotProven, "checks: the findings are computed at export time from the records the release evidence points to; a fact not recorded is listed as unknown, never as passed")
	}

	// The Art. 14 reporting cases of the product, judged in the manufacturer's calendar.
	cases, err := st.ProductCases(ctx, prod.ID)
	if err != nil {
		return nil, err
	}
	mf := man.AsManufacturer()
	for i := range cases {
		c := &cases[i]
		r := Reporting{Case: c.ID, Type: c.Type, Title: c.Title, Vulnerability: c.Vulnerability, AwareAt: c.AwareAt, Stages: []authority.Stage{}}
		if stages, _, err := authority.Timeliness(mf, c.Record(), c.Submitted(), now); err != nil {
			r.Error = err.Error()
		} else {
			r.Stages = stages
		}
		if r.Evidence, err = b.evidence(prod.Organization, fmt.Sprintf("case/%d", c.ID), ledger.ExploitedAware, ledger.CaseStageSubmitted,
			ledger.FixReleased, ledger.CaseClosed, ledger.CaseReopened, ledger.IntermediateRequested); err != nil {
			return nil, err
		}
		x.Reporting = append(x.Reporting, r)
	}
	return x, nil
}

// bundler exports the ledger bundle of each subject once, with contents revealed: the export is
// the case file, where the statements' contents belong.
type bundler struct {
	ctx context.Context
	st  *store.DB
	x   *Export
}

// evidence adds the bundle of subject (statements of org) and points at its statements of the
// given types.
func (b bundler) evidence(org int64, subject string, types ...string) (Evidence, error) {
	bd, ok := b.x.Proofs[subject]
	if !ok {
		var err error
		if bd, err = b.st.LedgerBundle(b.ctx, org, subject, true); err != nil {
			return Evidence{}, fmt.Errorf("ledger bundle of %s: %w", subject, err)
		}
		b.x.Proofs[subject] = bd
	}
	ev := Evidence{Subject: subject, Indexes: []int64{}, Types: []string{}}
	for _, e := range bd.Entries {
		if slices.Contains(types, e.Statement.Type) {
			ev.Indexes = append(ev.Indexes, e.Index)
			if !slices.Contains(ev.Types, e.Statement.Type) {
				ev.Types = append(ev.Types, e.Statement.Type)
			}
		}
	}
	return ev, nil
}

func kindBasis(kind string) string {
	switch kind {
	case authority.SignificantRisk:
		return "CRA Art. 54: product presenting a significant cybersecurity risk"
	case authority.FormalNonCompliance:
		return "CRA Art. 58: formal non-compliance"
	}
	return "CRA Chapter V"
}

// measureOf maps a procedure step to an ICSMS measure; steps that are not measures (opening,
// objections) are left out.
func measureOf(kind string, e authority.Event) (Measure, bool) {
	m := Measure{At: e.At, Detail: e.Reason, Due: e.Due}
	switch e.Action {
	case authority.ActNonCompliant:
		m.Type, m.Basis = "corrective action required of the economic operator", "Art. 54(2)"
		if kind == authority.FormalNonCompliance {
			m.Basis = "Art. 58(1)"
		}
	case authority.ActCorrected:
		m.Type, m.Basis = "corrective action taken by the economic operator (voluntary measure)", "Art. 54(2), 58(1)"
	case authority.ActProvisional:
		m.Type, m.Basis = "provisional measure: prohibition, restriction, withdrawal or recall (compulsory)", "Art. 54(4)-(5)"
	case authority.ActPersists:
		m.Type, m.Basis = "restriction or prohibition, withdrawal or recall (compulsory)", "Art. 58(2)"
	case authority.ActDecision:
		m.Type, m.Basis = "Commission decision on the national measure: "+strings.ToLower(e.Reason), "Art. 55(1)-(2)"
	case authority.ActCompliant:
		m.Type, m.Basis = "no measure: the product was found compliant", "Art. 54(1)"
	default:
		return Measure{}, false
	}
	return m, true
}
