package sbom

import (
	"fmt"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Fields that BSI TR-03183-2 (version 2.1) requires of an SBOM. The names are Siegel's; the
// clause is where the TR defines the field. Section 4 names the formats and their lowest
// versions, 5.2.1 the fields of the SBOM itself, 5.2.2 the fields every component must carry;
// 5.2.4 adds identifiers (CPE, purl, SWID) "if they exist", which for a component from a package
// ecosystem they always do.
const (
	FieldFormat       = "format version" // 4: CycloneDX 1.6 or later, SPDX 3.0.1 or later
	FieldNoVulns      = "no vulnerability information"
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
	FieldIdentifier   = "identifier (purl, CPE or SWID)"
)

// TR-03183-2 section references for each field, printed in reports. The TR's statement that an
// SBOM carries no vulnerability information is cited without a section number: it has not been
// checked against the published text.
var trClauses = map[string]string{
	FieldFormat: "4", FieldNoVulns: "v2.1, on vulnerability information (section unverified)",
	FieldCreator: "5.2.1", FieldTimestamp: "5.2.1",
	FieldCompCreator: "5.2.2", FieldName: "5.2.2", FieldVersion: "5.2.2", FieldFilename: "5.2.2",
	FieldDependencies: "5.2.2", FieldLicence: "5.2.2", FieldSHA512: "5.2.2", FieldExecutable: "5.2.2",
	FieldArchive: "5.2.2", FieldStructured: "5.2.2", FieldIdentifier: "5.2.4",
}

// TRClause returns the TR-03183-2 section that defines field.
func TRClause(field string) string { return trClauses[field] }

// Property names TR-03183-2 defines for CycloneDX (section 8.1, CycloneDX mapping), and the only
// values each may take (5.2.2).
const (
	PropBSIExecutable = "bsi:component:executable"
	PropBSIArchive    = "bsi:component:archive"
	PropBSIStructured = "bsi:component:structured"
)

// Values of the three properties.
const (
	ValExecutable    = "executable"
	ValNonExecutable = "non-executable"
	ValArchive       = "archive"
	ValNoArchive     = "no archive"
	ValStructured    = "structured"
	ValUnstructured  = "unstructured"
)

var propValues = map[string][2]string{
	PropBSIExecutable: {ValExecutable, ValNonExecutable},
	PropBSIArchive:    {ValArchive, ValNoArchive},
	PropBSIStructured: {ValStructured, ValUnstructured},
}

// Lowest format versions TR-03183-2 v2.1 accepts (section 4).
var trMinVersion = map[Format]string{
	CycloneDXJSON: "1.6", CycloneDXXML: "1.6", SPDXJSON: "3.0.1", SPDXTagValue: "3.0.1", SPDX3JSONLD: "3.0.1",
}

// ComponentGap lists the fields one component lacks. Problems says why a field that is present
// does not count (a path given as the filename, a value outside the TR's), one line per field.
type ComponentGap struct {
	Ref      string   `json:"ref"`
	Name     string   `json:"name"`
	Version  string   `json:"version,omitempty"`
	Missing  []string `json:"missing"`
	Problems []string `json:"problems,omitempty"`
}

// CompletenessReport is a TR-03183-2 completeness report.
type CompletenessReport struct {
	Document         []string       `json:"document,omitempty"` // SBOM-level fields missing or wrong
	DocumentProblems []string       `json:"documentProblems,omitempty"`
	Components       []ComponentGap `json:"components,omitempty"`
	// MissingCount counts, per field, the components that lack it.
	MissingCount map[string]int `json:"missingCount,omitempty"`
	Total        int            `json:"total"` // components checked
}

// Complete reports whether nothing is missing.
func (r *CompletenessReport) Complete() bool { return len(r.Document) == 0 && len(r.Components) == 0 }

// CheckTR03183 reports which fields TR-03183-2 requires that doc and its components lack, or
// carry in a form the TR does not accept.
func CheckTR03183(doc *Document) *CompletenessReport {
	r := &CompletenessReport{MissingCount: map[string]int{}, Total: len(doc.Components)}
	docProblem := func(field, why string) {
		r.Document = append(r.Document, field)
		if why != "" {
			r.DocumentProblems = append(r.DocumentProblems, field+": "+why)
		}
	}
	if min, ok := trMinVersion[doc.Format]; ok && !versionAtLeast(doc.SpecVersion, min) {
		docProblem(FieldFormat, fmt.Sprintf("%s %s is older than %s, the lowest version TR-03183-2 v2.1 accepts", doc.Format, doc.SpecVersion, min))
	}
	if n := doc.VulnerabilityEntries + len(doc.Vulnerabilities); n > 0 {
		docProblem(FieldNoVulns, fmt.Sprintf("the SBOM carries %d vulnerabilities; TR-03183-2 keeps them out of the SBOM (publish them as CSAF or VEX)", n))
	}
	if !slices.ContainsFunc(doc.Creators, func(c Creator) bool {
		return c.Kind != CreatorTool && (validEmail(c.Email) || validURL(c.URL))
	}) {
		docProblem(FieldCreator, "")
	}
	if doc.Created.IsZero() {
		docProblem(FieldTimestamp, "")
	}
	deps := make(map[string]Completeness, len(doc.Dependencies))
	for _, d := range doc.Dependencies {
		deps[d.Ref] = d.Completeness
	}
	for _, c := range doc.Components {
		var missing, problems []string
		add := func(ok bool, field string) {
			if !ok {
				missing = append(missing, field)
				r.MissingCount[field]++
			}
		}
		why := func(field, format string, args ...any) bool {
			problems = append(problems, field+": "+fmt.Sprintf(format, args...))
			return false
		}
		add(componentCreator(c, why), FieldCompCreator)
		add(c.Name != "", FieldName)
		add(c.Version != "", FieldVersion)
		add(filename(c, why), FieldFilename)
		add(deps[c.Ref] != CompletenessUnknown, FieldDependencies)
		add(distributionLicence(c, why), FieldLicence)
		add(slices.ContainsFunc(c.Hashes, func(h Hash) bool { return h.Algorithm == SHA512 }), FieldSHA512)
		add(propertyValue(c, PropBSIExecutable, FieldExecutable, why), FieldExecutable)
		add(propertyValue(c, PropBSIArchive, FieldArchive, why), FieldArchive)
		add(propertyValue(c, PropBSIStructured, FieldStructured, why), FieldStructured)
		add(c.PURL != "" || len(c.CPEs) > 0 || c.SWID != "", FieldIdentifier)
		if len(missing) > 0 {
			r.Components = append(r.Components, ComponentGap{Ref: c.Ref, Name: c.Name, Version: c.Version, Missing: missing, Problems: problems})
		}
	}
	return r
}

// componentCreator: 5.2.2 asks for the email address or URL of the component's creator; a bare
// name does not identify it.
func componentCreator(c Component, why func(string, string, ...any) bool) bool {
	if validEmail(c.AuthorContact) || validURL(c.AuthorContact) {
		return true
	}
	if name := cmpOr(c.Author, c.Supplier); name != "" {
		return why(FieldCompCreator, "%q is a name; TR-03183-2 5.2.2 asks for the creator's email address or URL", name)
	}
	return false
}

// filename: 5.2.2 asks for the component's file name, not a path to it.
func filename(c Component, why func(string, string, ...any) bool) bool {
	if slices.ContainsFunc(c.Files, isBareFilename) {
		return true
	}
	if len(c.Files) > 0 {
		return why(FieldFilename, "%q is a path; TR-03183-2 5.2.2 asks for the file's name alone", c.Files[0])
	}
	return false
}

func isBareFilename(s string) bool {
	return s != "" && s != "." && s != ".." && !strings.ContainsAny(s, `/\`)
}

// distributionLicence: 5.2.2 asks for the licences under which the component may be
// distributed (a concluded licence); NOASSERTION says that nobody concluded one.
func distributionLicence(c Component, why func(string, string, ...any) bool) bool {
	concluded := false
	for _, l := range c.Licenses {
		if l.Kind != LicenseConcluded {
			continue
		}
		concluded = true
		if e := strings.TrimSpace(l.Expression); e != "" && e != "NOASSERTION" {
			return true
		}
	}
	if concluded {
		return why(FieldLicence, "NOASSERTION states no licence")
	}
	return false
}

// propertyValue: each of the three properties takes one of two values (5.2.2).
func propertyValue(c Component, name, field string, why func(string, string, ...any) bool) bool {
	allowed := propValues[name]
	for _, p := range c.Properties {
		if p.Name != name {
			continue
		}
		if v := strings.TrimSpace(p.Value); v == allowed[0] || v == allowed[1] {
			return true
		}
		return why(field, "%q is neither %q nor %q", p.Value, allowed[0], allowed[1])
	}
	return false
}

func validEmail(s string) bool {
	if s == "" || strings.ContainsAny(s, " <>") {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s
}

func validURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// versionAtLeast compares dotted version numbers ("1.5" < "1.6", "2.3" < "3.0.1").
func versionAtLeast(v, min string) bool {
	a, b := strings.Split(v, "."), strings.Split(min, ".")
	for i := range max(len(a), len(b)) {
		x, y := 0, 0
		if i < len(a) {
			x, _ = strconv.Atoi(a[i])
		}
		if i < len(b) {
			y, _ = strconv.Atoi(b[i])
		}
		if x != y {
			return x > y
		}
	}
	return true
}
