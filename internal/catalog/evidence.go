package catalog

import (
	"fmt"
	"time"
)

// Evidence is what is known about one release, filled by the caller from its store. A nil
// pointer means "not recorded", which is different from "recorded and empty": no firmware
// analysis is not the same as an analysis that found nothing.
type Evidence struct {
	Product  Product
	Release  Release
	SBOM     *SBOMEvidence
	Scan     *ScanEvidence // the vulnerability matching run the findings come from
	Findings []Finding
	// Advisories are the published advisories (CSAF, say) of the product.
	Advisories   []Advisory
	Cases        []Case
	Firmware     *FirmwareEvidence
	Attestations []Attestation
	// Lab is the lab run against a device running the release (nil: none recorded).
	Lab *LabEvidence
}

// Product is the product the release belongs to.
type Product struct {
	Name     string
	Category string // router, smart-consumer-device, ...
	CRAClass string // ClassDefault, ClassImportantI, ClassImportantII, ClassCritical
	// Facts are what the manufacturer declared about the product's design, by name
	// (constrained-device, uses-passwords, update-mechanism, ...); they decide the conditions of
	// conditional requirements. An undeclared fact leaves its conditions open.
	Facts map[string]bool
}

// Release is the release evaluated.
type Release struct {
	Version        string
	PlacedOnMarket string // YYYY-MM-DD, "" when not yet placed on the market
	SupportEnd     string // YYYY-MM: support ends with this month
	// SupportJustification gives the reasons for a support period under five years (CRA
	// Art. 13(8): a product expected to be in use for less time), in words;
	// SupportExpectedUseMonths and SupportBasis give them structured: the expected use time and
	// what it rests on (a name of cra.SupportBases).
	SupportJustification     string
	SupportExpectedUseMonths int
	SupportBasis             string
}

// SBOMEvidence is the release's SBOM and, when it ran, its BSI TR-03183-2 completeness check.
type SBOMEvidence struct {
	Ref    string // where it is: a digest or a store id
	Format string
	// TRChecked says the TR-03183-2 completeness check ran; Missing lists the fields it found
	// missing (in the SBOM itself or in at least one component), named as internal/sbom names
	// them ("SHA-512 hash", "creator", ...).
	TRChecked bool
	Missing   []string
	// Checked lists the fields the check covers; empty means the fields the catalog marks
	// mandatory and evaluates with sbom-tr03183-field.
	Checked []string
}

// ScanEvidence records a vulnerability matching run and what it checked: a matching that found
// nothing shows an absence only for what it looked at.
type ScanEvidence struct {
	Ref string
	At  time.Time
	// Matched is false while the release's SBOM has not been matched against the vulnerability
	// database: its findings then say nothing.
	Matched bool
	// Components counts the SBOM's components, Checked those looked up in a database that held
	// advisories for their ecosystem; Advisories the advisories the database held.
	Components, Checked, Advisories int
	// KEV is whether the CISA KEV catalogue was loaded: without it no finding can be known as
	// actively exploited.
	KEV bool
}

// gap says why the scan cannot show that something is absent, or "" when it can: it never ran,
// the database was empty, components were left unchecked, or (exploited set) there was no
// exploitation feed.
func (s *ScanEvidence) gap(exploited bool) string {
	switch {
	case s == nil:
		return "no vulnerability scan recorded"
	case !s.Matched:
		return "the SBOM has not been matched against the vulnerability database yet"
	case s.Advisories == 0:
		return "the vulnerability database held no advisories when the release was matched: nothing was checked"
	case s.Checked < s.Components:
		return fmt.Sprintf("%d of %d components were not checked against the vulnerability database (no advisories for their ecosystem, no version or no known package type): a vulnerability in them cannot be excluded", s.Components-s.Checked, s.Components)
	case exploited && !s.KEV:
		return "no CISA KEV catalogue was loaded when the release was matched: no finding can be known as actively exploited"
	}
	return ""
}

// VEX statuses of a finding (OpenVEX spelling, as internal/vex uses).
const (
	VEXNotAffected        = "not_affected"
	VEXAffected           = "affected"
	VEXFixed              = "fixed"
	VEXUnderInvestigation = "under_investigation"
)

// Finding is one vulnerability found in the release.
type Finding struct {
	Vulnerability string
	Aliases       []string
	Component     string // purl
	Severity      string // critical, high, medium, low
	Exploited     bool   // actively exploited (CISA KEV, or the manufacturer's own knowledge)
	// FixedInRelease says this release contains the fix of a vulnerability an earlier release
	// of the product has: it ships the package at a version outside the affected ranges.
	FixedInRelease bool
	VEX            string // "" when not triaged
}

// Advisory is a published security advisory and the vulnerabilities it covers.
type Advisory struct {
	ID              string
	Vulnerabilities []string
	// FixedReleases are the release versions the advisory lists as fixed.
	FixedReleases []string
}

// Case is a CRA Art. 14 reporting case and its stages.
type Case struct {
	ID            string
	Type          string // "exploited" or "incident", as internal/cra spells them
	Vulnerability string // for an exploited vulnerability
	Stages        []CaseStage
}

// CaseStage is one stage of a case: when it is due and whether it was met.
type CaseStage struct {
	Stage     string // early-warning, notification, final-report
	Deadline  time.Time
	Submitted time.Time // zero when not submitted
	Met       bool      // submitted by the deadline
}

// FirmwareEvidence is the result of a firmware analysis of the release's image.
type FirmwareEvidence struct {
	Ref        string // image digest
	Weaknesses []Weakness
	// Files is how many files the analysis unpacked. With none, the absence of weaknesses
	// says nothing: the checks had nothing to look at.
	Files int
}

// Weakness is one weakness found in the image (internal/firmware's rule names: weak-credentials,
// telnet, private-key, permissions, hardening).
type Weakness struct {
	Rule     string
	ID       string
	Severity string
	Path     string
}

// Attestation is a signed statement that a requirement is met.
type Attestation struct {
	Requirement string
	Document    string // name of the document that supports it
	Digest      string // of the document
	SignedBy    string
	Role        string // manufacturer-admin, psirt, auditor, authority
	At          time.Time
}

// Results of a verdict.
const (
	Pass             = "pass"
	Fail             = "fail"
	NotApplicable    = "not-applicable"
	NeedsAttestation = "needs-attestation"
)

// Link points to a piece of evidence behind a verdict.
type Link struct {
	Kind string // sbom, scan, finding, advisory, case, firmware, weakness, release, attestation, fact, lab
	Ref  string
}

// Verdict is the outcome of one requirement for one release.
type Verdict struct {
	Requirement string
	Standard    string
	Reference   string
	Mandatory   bool   // the requirement's level is mandatory (whether or not it is conditional)
	Status      string // "M", "R C (3, 4)", ...
	Result      string
	Reason      string
	Attested    bool // the result rests on an attestation
	// Unverified: the reference could not be checked against the standard's published text.
	Unverified bool
	Evidence   []Link
}
