// Package sbom reads and writes software bills of materials — CycloneDX (JSON, XML), SPDX 2.x
// (JSON, tag-value) and SPDX 3.0.1 (JSON-LD) — through one normalized model, and checks them for
// schema validity and for completeness against BSI TR-03183-2.
package sbom

import "time"

// Format names a serialization of an SBOM.
type Format string

// Formats Siegel reads. The writer supports the first three.
const (
	CycloneDXJSON Format = "cyclonedx-json"
	CycloneDXXML  Format = "cyclonedx-xml"
	SPDXJSON      Format = "spdx-json"
	SPDXTagValue  Format = "spdx-tag-value"
	SPDX3JSONLD   Format = "spdx3-jsonld"
)

// Document is an SBOM in Siegel's normalized model. It keeps what matters for inventory,
// vulnerability matching and completeness checks; it is not a lossless image of every format.
type Document struct {
	Format      Format    // format the document was read from
	SpecVersion string    // "1.6" for CycloneDX, "2.3" or "3.0.1" for SPDX
	Serial      string    // CycloneDX serialNumber, SPDX documentNamespace / spdxId of the document
	Version     int       // CycloneDX BOM version; 0 when absent
	Name        string    // document name (SPDX); the subject's name for CycloneDX
	Created     time.Time // creation time, UTC; zero when absent
	Creators    []Creator // who or what made the document (TR-03183-2 "creator of the SBOM")

	// Subject is the Ref of the component the document describes (CycloneDX metadata.component,
	// SPDX DESCRIBES); "" when the document names none. The subject is also in Components.
	Subject string

	Components []Component

	// Services are the external or internal services the subject uses or provides (CycloneDX
	// services, nested services flattened in document order). A SaaSBOM may hold nothing else.
	// Their refs share one name space with the components' and may appear in Dependencies.
	Services []Service

	Dependencies []Dependency // one entry per component or service that has outgoing edges or declared completeness

	// Vulnerabilities known to affect components of the document (written as a CycloneDX
	// vulnerability disclosure report, VDR). Readers leave it empty.
	Vulnerabilities []Vulnerability

	// Properties are statements about the document as a whole (CycloneDX metadata.properties),
	// such as what a vulnerability report checked. Readers leave it empty.
	Properties []Property `json:",omitempty"`

	// VulnerabilityEntries counts the vulnerability data a document read carries (CycloneDX
	// vulnerabilities, SPDX 3 security elements): BSI TR-03183-2 wants an SBOM without any.
	VulnerabilityEntries int
}

// Vulnerability is a known vulnerability and the components it affects.
type Vulnerability struct {
	ID             string // CVE, GHSA, OSV id ...
	SourceName     string // database that published it, such as "OSV"
	SourceURL      string
	Aliases        []string
	Description    string
	Ratings        []Rating
	Affects        []string // component refs
	Recommendation string
	Published      time.Time
	Properties     []Property
}

// Rating is a severity rating of a vulnerability.
type Rating struct {
	Score    float64
	Severity string // critical, high, medium, low, none, unknown
	Method   string // CVSSv31, CVSSv4, CVSSv3, other
	Vector   string
}

// CreatorKind says what made a document or supplied a component.
type CreatorKind string

// Creator kinds, following SPDX's creator prefixes.
const (
	CreatorTool         CreatorKind = "tool"
	CreatorOrganization CreatorKind = "organization"
	CreatorPerson       CreatorKind = "person"
)

// Creator is a tool, organization or person.
type Creator struct {
	Kind    CreatorKind
	Name    string
	Version string // tools only
	Email   string
	URL     string
}

// Component is one package, library, application, file or firmware in a document.
type Component struct {
	Ref      string // unique within the document: CycloneDX bom-ref, SPDX SPDXID / spdxId
	Type     string // CycloneDX component type: library, application, framework, container, operating-system, device, firmware, file
	Group    string // CycloneDX group (Maven groupId, npm scope)
	Name     string
	Version  string
	PURL     string   // package URL, canonical form
	CPEs     []string // CPE 2.3 (or 2.2 URI) names
	Hashes   []Hash
	Licenses []License
	Supplier string // organization that supplies the component
	Author   string // creator of the component (TR-03183-2 "component creator")
	// AuthorContact is the email address or URL of the component's creator (TR-03183-2 5.2.2
	// asks for one of them, not a name): CycloneDX authors[].email or manufacturer's url or
	// contact email, SPDX originator's email, SPDX 3 originatedBy's email or URL identifier.
	AuthorContact string
	SWID          string   // SWID tag id (TR-03183-2 5.2.4 "other unique identifiers")
	Files         []string // file names or paths of the component (TR-03183-2 "filename of the component")
	Description   string
	Scope         string // CycloneDX scope: required, optional, excluded; "" when unknown
	Properties    []Property
}

// Service is a service (an API, a hosted application, a SaaS) in a document: what NIS-2 and CRA
// Art. 13(5) ask a manufacturer to know of the remote data processing its product relies on.
type Service struct {
	Ref         string // unique within the document, shared with component refs
	Provider    string // organization that provides the service
	Group       string
	Name        string
	Version     string
	Description string
	Endpoints   []string // URLs the service is reached at
	// Authenticated and CrossesTrustBoundary are nil when the document does not say.
	Authenticated        *bool
	CrossesTrustBoundary *bool
	TrustZone            string // CycloneDX 1.6 trustZone
	Licenses             []License
	Properties           []Property
}

// HashAlgorithm names a digest algorithm, spelled as CycloneDX spells it.
type HashAlgorithm string

// Hash algorithms Siegel carries between formats.
const (
	MD5        HashAlgorithm = "MD5"
	SHA1       HashAlgorithm = "SHA-1"
	SHA256     HashAlgorithm = "SHA-256"
	SHA384     HashAlgorithm = "SHA-384"
	SHA512     HashAlgorithm = "SHA-512"
	SHA3_256   HashAlgorithm = "SHA3-256"
	SHA3_384   HashAlgorithm = "SHA3-384"
	SHA3_512   HashAlgorithm = "SHA3-512"
	BLAKE2b256 HashAlgorithm = "BLAKE2b-256"
	BLAKE2b384 HashAlgorithm = "BLAKE2b-384"
	BLAKE2b512 HashAlgorithm = "BLAKE2b-512"
	BLAKE3     HashAlgorithm = "BLAKE3"
)

// Hash is a digest of a component's distributable file. Value is lower-case hex.
type Hash struct {
	Algorithm HashAlgorithm
	Value     string
}

// LicenseKind distinguishes the licence the author declared from the one an analyst concluded.
type LicenseKind string

// Licence kinds.
const (
	LicenseDeclared  LicenseKind = "declared"
	LicenseConcluded LicenseKind = "concluded"
)

// License is an SPDX licence expression (or a single licence id or name) with its kind.
type License struct {
	Expression string
	Kind       LicenseKind
}

// Property is a name/value pair kept from the source document or added by an extractor
// (for example "siegel:source-package" or "siegel:location").
type Property struct {
	Name  string
	Value string
}

// Completeness says how complete a component's list of dependencies is, following CycloneDX
// compositions (aggregate) and TR-03183-2's requirement to state it.
type Completeness string

// Completeness values; Unknown is the zero value.
const (
	CompletenessUnknown    Completeness = ""
	CompletenessComplete   Completeness = "complete"
	CompletenessIncomplete Completeness = "incomplete"
)

// Dependency lists the components and services Ref directly depends on.
type Dependency struct {
	Ref          string
	DependsOn    []string
	Completeness Completeness
}
