// Package dossier renders the conformity dossier of a product release under the Cyber Resilience
// Act (Regulation (EU) 2024/2847): a draft EU declaration of conformity laid out along Annex V and
// a technical documentation skeleton laid out along Annex VII, each as printable HTML and as PDF.
//
// The documents are drafts for the manufacturer: what the release data gives is filled in, and
// every item the data cannot give is a marked placeholder saying what the manufacturer has to
// add. The same input always renders the same bytes; the only time shown is Dossier.GeneratedAt.
package dossier

import (
	"fmt"
	"time"

	"github.com/siegel-oss/siegel/internal/catalog"
)

// Kind selects the document to render.
type Kind int

// Documents of the dossier.
const (
	// DeclarationOfConformity is the draft EU declaration of conformity (CRA Annex V).
	DeclarationOfConformity Kind = iota + 1
	// TechnicalDocumentation is the technical documentation skeleton (CRA Annex VII).
	TechnicalDocumentation
)

// String returns the kind's name as the CLI spells it.
func (k Kind) String() string {
	switch k {
	case DeclarationOfConformity:
		return "declaration-of-conformity"
	case TechnicalDocumentation:
		return "technical-documentation"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// ErrUnknownKind is returned (wrapped) for a Kind that is neither document.
var ErrUnknownKind = fmt.Errorf("dossier: unknown document kind")

// Dossier is everything known about one release that the two documents draw on. Empty fields
// render as placeholders, never as empty values.
type Dossier struct {
	Manufacturer Manufacturer
	Product      Product
	Release      Release
	// Route is the conformity assessment route of the product's class; Procedure is the one
	// followed (catalog.ModuleA, ...), "" when not yet chosen.
	Route     catalog.Route
	Procedure string
	// Standards are the harmonised standards, common specifications, certification schemes and
	// other technical specifications applied ("ETSI EN 303 645 V2.1.1", "BSI TR-03148").
	Standards       []string
	Verdicts        []catalog.Verdict
	Vulnerabilities Vulnerabilities
	Cases           []Case
	NotifiedBody    *NotifiedBody // nil when no notified body took part
	Issue           Issue
	// GeneratedAt is when the dossier was generated (shown, and the PDF's creation date). It is
	// passed in, so the same input renders the same bytes.
	GeneratedAt time.Time
}

// Manufacturer is the economic operator that places the product on the market.
type Manufacturer struct {
	Name    string
	Address string // postal address, lines separated by "\n"
	Email   string // contact for the declaration and for vulnerability reports
	// Representative is the authorised representative in the Union, nil when there is none.
	Representative *Representative
}

// Representative is an authorised representative (CRA Art. 18).
type Representative struct {
	Name    string
	Address string
}

// Product is the product with digital elements.
type Product struct {
	Name     string
	Model    string // type or model designation
	Category string // router, smart-consumer-device, ...
	CRAClass string // catalog.ClassDefault, catalog.ClassImportantI, ...
	// AnnexEntry is the Annex III or IV entry of an important or critical product ("Annex III
	// class I point 12: routers, modems ... "), "" for a default product.
	AnnexEntry      string
	Description     string
	IntendedPurpose string
}

// Release is the version placed on the market.
type Release struct {
	Version        string
	PlacedOnMarket string // YYYY-MM-DD, "" when not yet placed on the market
	SupportEnd     string // YYYY-MM: support ends with this month
	// SupportJustification gives the reasons for a support period under five years, "" when
	// there are none recorded.
	SupportJustification string
	// SupportExpectedUseMonths and SupportBasis are the structured reason for a period under
	// five years (CRA Art. 13(8) third subparagraph); 0 and "" when none is recorded.
	SupportExpectedUseMonths int
	SupportBasis             string
	SBOMRef                  string // where the SBOM is kept (store id or URI)
	SBOMDigest               string // e.g. "sha256:..."
	SBOMFormat               string // e.g. "CycloneDX 1.6"
	ImageDigest              string // digest of the released image or artefact
}

// Vulnerabilities summarises the release's known vulnerabilities at generation time.
type Vulnerabilities struct {
	Open      int // affected or under investigation, no fix in the release
	Exploited int // open and known to be actively exploited
	Fixed     int // fixed in this release
	// Advisories are the ids of the security advisories published for the product.
	Advisories []string
}

// Case is a CRA Art. 14 reporting case of the release and how its stages went.
type Case struct {
	ID     string
	Type   string   // "exploited" or "incident"
	Met    []string // stages submitted in time (early-warning, notification, final-report)
	Missed []string // stages submitted late or not at all past their deadline
}

// NotifiedBody is the notified body that took part in the conformity assessment.
type NotifiedBody struct {
	Name        string
	Number      string // four-digit identification number
	Certificate string // identification of the certificate issued
}

// Issue is where, when and by whom the declaration is issued.
type Issue struct {
	Place    string
	Date     string // YYYY-MM-DD
	Name     string // signatory
	Function string // signatory's function
}

// CasesFrom summarises catalog cases: a stage is met when it was submitted by its deadline, and
// missed when it was not, whether submitted late or not yet submitted with the deadline passed
// at now. Stages still open before their deadline are in neither list.
func CasesFrom(cases []catalog.Case, now time.Time) []Case {
	out := make([]Case, 0, len(cases))
	for _, c := range cases {
		s := Case{ID: c.ID, Type: c.Type}
		for _, st := range c.Stages {
			switch {
			case st.Met:
				s.Met = append(s.Met, st.Stage)
			case !st.Submitted.IsZero() || (!st.Deadline.IsZero() && now.After(st.Deadline)):
				s.Missed = append(s.Missed, st.Stage)
			}
		}
		out = append(out, s)
	}
	return out
}

// VulnerabilitiesFrom counts the findings of a release: fixed ones are those fixed in the
// release or with VEX status fixed; not-affected ones are not counted; every other one is open.
// Advisories are listed by id, in the given order.
func VulnerabilitiesFrom(findings []catalog.Finding, advisories []catalog.Advisory) Vulnerabilities {
	var v Vulnerabilities
	for _, f := range findings {
		switch {
		case f.FixedInRelease || f.VEX == catalog.VEXFixed:
			v.Fixed++
		case f.VEX == catalog.VEXNotAffected:
		default:
			v.Open++
			if f.Exploited {
				v.Exploited++
			}
		}
	}
	for _, a := range advisories {
		v.Advisories = append(v.Advisories, a.ID)
	}
	return v
}
