package sbom

import (
	"slices"
	"strings"
)

// Fields that BSI TR-03183-2 (version 2.1) requires of an SBOM. The names are Siegel's; the
// clause is where the TR defines the field. Section 5.2.1 lists the fields of the SBOM itself,
// 5.2.2 the fields every component must carry; 5.2.4 adds identifiers (CPE, purl) "if they exist",
// which for a component from a package ecosystem they always do.
const (
	FieldCreator      = "creator"   // 5.2.1: email address or URL of the entity that created the SBOM
	FieldTimestamp    = "timestamp" // 5.2.1: date and time of the SBOM's compilation
	FieldCompCreator  = "component creator"
	FieldName         = "name"
	FieldVersion      = "version"
	FieldFilename     = "filename"
	FieldDependencies = "dependencies with completeness"
	FieldLicence      = "distribution licence"
	FieldSHA512       = "SHA-512 hash"
	FieldExecutable   = "executable property"
	FieldArchive      = "archive property"
	FieldStructured   = "structured property"
	FieldIdentifier   = "identifier (purl or CPE)"
)

// TR-03183-2 section references for each field, printed in reports.
var trClauses = map[string]string{
	FieldCreator: "5.2.1", FieldTimestamp: "5.2.1",
	FieldCompCreator: "5.2.2", FieldName: "5.2.2", FieldVersion: "5.2.2", FieldFilename: "5.2.2",
	FieldDependencies: "5.2.2", FieldLicence: "5.2.2", FieldSHA512: "5.2.2", FieldExecutable: "5.2.2",
	FieldArchive: "5.2.2", FieldStructured: "5.2.2", FieldIdentifier: "5.2.4",
}

// TRClause returns the TR-03183-2 section that defines field.
func TRClause(field string) string { return trClauses[field] }

// Property names TR-03183-2 defines for CycloneDX (section 8, CycloneDX mapping).
const (
	PropBSIExecutable = "bsi:component:executable"
	PropBSIArchive    = "bsi:component:archive"
	PropBSIStructured = "bsi:component:structured"
)

// ComponentGap lists the fields one component lacks.
type ComponentGap struct {
	Ref     string   `json:"ref"`
	Name    string   `json:"name"`
	Version string   `json:"version,omitempty"`
	Missing []string `json:"missing"`
}

// CompletenessReport is a TR-03183-2 completeness report.
type CompletenessReport struct {
	Document   []string       `json:"document,omitempty"` // SBOM-level fields missing
	Components []ComponentGap `json:"components,omitempty"`
	// MissingCount counts, per field, the components that lack it.
	MissingCount map[string]int `json:"missingCount,omitempty"`
	Total        int            `json:"total"` // components checked
}

// Complete reports whether nothing is missing.
func (r *CompletenessReport) Complete() bool { return len(r.Document) == 0 && len(r.Components) == 0 }

// CheckTR03183 reports which fields TR-03183-2 requires that doc and its components lack.
func CheckTR03183(doc *Document) *CompletenessReport {
	r := &CompletenessReport{MissingCount: map[string]int{}, Total: len(doc.Components)}
	if !slices.ContainsFunc(doc.Creators, func(c Creator) bool {
		return c.Kind != CreatorTool && (c.Email != "" || c.URL != "")
	}) {
		r.Document = append(r.Document, FieldCreator)
	}
	if doc.Created.IsZero() {
		r.Document = append(r.Document, FieldTimestamp)
	}
	deps := make(map[string]Completeness, len(doc.Dependencies))
	for _, d := range doc.Dependencies {
		deps[d.Ref] = d.Completeness
	}
	for _, c := range doc.Components {
		var missing []string
		add := func(ok bool, field string) {
			if !ok {
				missing = append(missing, field)
				r.MissingCount[field]++
			}
		}
		add(c.Author != "" || c.Supplier != "", FieldCompCreator)
		add(c.Name != "", FieldName)
		add(c.Version != "", FieldVersion)
		add(len(c.Files) > 0, FieldFilename)
		add(deps[c.Ref] != CompletenessUnknown, FieldDependencies)
		add(slices.ContainsFunc(c.Licenses, func(l License) bool { return l.Kind == LicenseConcluded }), FieldLicence)
		add(slices.ContainsFunc(c.Hashes, func(h Hash) bool { return h.Algorithm == SHA512 }), FieldSHA512)
		add(hasProperty(c, PropBSIExecutable), FieldExecutable)
		add(hasProperty(c, PropBSIArchive), FieldArchive)
		add(hasProperty(c, PropBSIStructured), FieldStructured)
		add(c.PURL != "" || len(c.CPEs) > 0, FieldIdentifier)
		if len(missing) > 0 {
			r.Components = append(r.Components, ComponentGap{Ref: c.Ref, Name: c.Name, Version: c.Version, Missing: missing})
		}
	}
	return r
}

func hasProperty(c Component, name string) bool {
	return slices.ContainsFunc(c.Properties, func(p Property) bool {
		return p.Name == name && strings.TrimSpace(p.Value) != ""
	})
}
