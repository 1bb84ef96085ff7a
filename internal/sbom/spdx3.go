package sbom

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/purl"
)

// spdx3Element holds the properties of an SPDX 3.0.1 graph element that Siegel uses, for every
// element type at once (the JSON-LD serialization is a flat @graph of typed objects).
type spdx3Element struct {
	Type    string `json:"type"`
	AtType  string `json:"@type"`
	SpdxID  string `json:"spdxId"`
	AtID    string `json:"@id"`
	Name    string `json:"name"`
	Summary string `json:"summary"`
	Desc    string `json:"description"`

	// CreationInfo: either an inline object or a blank-node reference.
	CreationInfo json.RawMessage `json:"creationInfo"`
	SpecVersion  string          `json:"specVersion"`
	Created      string          `json:"created"`
	CreatedBy    []string        `json:"createdBy"`
	CreatedUsing []string        `json:"createdUsing"`

	RootElement []string `json:"rootElement"`

	PackageVersion string `json:"software_packageVersion"`
	PackageURL     string `json:"software_packageUrl"`
	PrimaryPurpose string `json:"software_primaryPurpose"`
	// AdditionalPurpose carries TR-03183-2's executable, archive and structured properties in
	// SPDX 3 (section 8.2): "executable", "archive" and "container" each present or not.
	AdditionalPurpose []string `json:"software_additionalPurpose"`
	SuppliedBy        string   `json:"suppliedBy"`
	OriginatedBy      []string `json:"originatedBy"`
	VerifiedUsing     []struct {
		Algorithm string `json:"algorithm"`
		HashValue string `json:"hashValue"`
	} `json:"verifiedUsing"`
	ExternalIdentifier []struct {
		Type       string `json:"externalIdentifierType"`
		Identifier string `json:"identifier"`
	} `json:"externalIdentifier"`

	From             string   `json:"from"`
	To               []string `json:"to"`
	RelationshipType string   `json:"relationshipType"`
	Completeness     string   `json:"completeness"`

	LicenseExpression string `json:"simplelicensing_licenseExpression"`
}

func (e *spdx3Element) id() string   { return cmpOr(e.SpdxID, e.AtID) }
func (e *spdx3Element) kind() string { return cmpOr(e.Type, e.AtType) }

// decodeSPDX3 reads SPDX 3.0.1 in its JSON-LD serialization.
func decodeSPDX3(name string, data []byte, limits input.Limits) (*Document, error) {
	var top struct {
		Context json.RawMessage `json:"@context"`
		Graph   []spdx3Element  `json:"@graph"`
	}
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, jsonError(name, data, err)
	}
	if !strings.Contains(string(top.Context), "spdx.org/rdf/3.0") {
		return nil, &input.Error{File: name, Pointer: "/@context", Rule: "spec version",
			Err: fmt.Errorf("@context %s is not an SPDX 3.0 context; Siegel reads SPDX 3.0.1 JSON-LD", truncate(string(top.Context), 80))}
	}
	errAt := func(i int, field, rule, format string, args ...any) error {
		return &input.Error{File: name, Pointer: "/@graph/" + strconv.Itoa(i) + field, Rule: rule, Err: fmt.Errorf(format, args...)}
	}

	doc := &Document{Format: SPDX3JSONLD, SpecVersion: "3.0.1"}
	byID := map[string]int{}
	for i := range top.Graph {
		e := &top.Graph[i]
		id := e.id()
		if id == "" {
			continue
		}
		if j, dup := byID[id]; dup {
			return nil, errAt(i, "/spdxId", "unique spdxId", "spdxId %q is already used by /@graph/%d", id, j)
		}
		byID[id] = i
	}
	elem := func(id string) *spdx3Element {
		if i, ok := byID[id]; ok {
			return &top.Graph[i]
		}
		return nil
	}

	refs := map[string]int{}
	var roots []string
	for i := range top.Graph {
		e := &top.Graph[i]
		if strings.HasPrefix(e.kind(), "security_") {
			doc.VulnerabilityEntries++ // vulnerabilities and VEX assessments: the security profile
		}
		switch e.kind() {
		case "CreationInfo":
			if doc.Created.IsZero() && e.Created != "" {
				t, err := time.Parse(time.RFC3339, e.Created)
				if err != nil {
					return nil, errAt(i, "/created", "schema", "created %q is not a date-time", e.Created)
				}
				doc.Created = t.UTC()
				if e.SpecVersion != "" && !strings.HasPrefix(e.SpecVersion, "3.0") {
					return nil, errAt(i, "/specVersion", "spec version", "specVersion %q is not supported; Siegel reads SPDX 3.0.1", e.SpecVersion)
				}
				for _, by := range e.CreatedBy {
					if a := elem(by); a != nil {
						doc.Creators = append(doc.Creators, spdx3Agent(a))
					}
				}
				for _, by := range e.CreatedUsing {
					if a := elem(by); a != nil {
						doc.Creators = append(doc.Creators, Creator{Kind: CreatorTool, Name: a.Name})
					}
				}
			}
		case "SpdxDocument":
			doc.Serial, doc.Name = e.id(), e.Name
			roots = append(roots, e.RootElement...)
		case "software_Sbom":
			roots = append(roots, e.RootElement...)
		case "software_Package":
			if e.Name == "" {
				return nil, errAt(i, "/name", "schema", "package %s has no name", e.id())
			}
			c := Component{Ref: e.id(), Name: e.Name, Version: e.PackageVersion,
				Description: cmpOr(e.Desc, e.Summary), Type: strings.ReplaceAll(e.PrimaryPurpose, "operatingSystem", "operating-system")}
			if c.Ref == "" {
				c.Ref = "#siegel-graph-" + strconv.Itoa(i)
			}
			purls := []string{}
			if e.PackageURL != "" {
				purls = append(purls, e.PackageURL)
			}
			for _, x := range e.ExternalIdentifier {
				switch x.Type {
				case "packageUrl":
					purls = append(purls, x.Identifier)
				case "cpe23", "cpe22":
					c.CPEs = appendUnique(c.CPEs, x.Identifier)
				case "swid":
					c.SWID = cmpOr(c.SWID, x.Identifier)
				}
			}
			if len(purls) > 0 {
				canon, err := purl.Canonical(purls[0])
				if err != nil {
					return nil, errAt(i, "/software_packageUrl", "purl", "%v", err)
				}
				c.PURL = canon
			}
			for j, h := range e.VerifiedUsing {
				alg, ok := ParseHashAlgorithm(h.Algorithm)
				if !ok {
					continue
				}
				v := strings.ToLower(h.HashValue)
				if !ValidHashValue(alg, v) {
					return nil, errAt(i, "/verifiedUsing/"+strconv.Itoa(j), "hash", "%s value %q is not a hex digest of the right length", alg, h.HashValue)
				}
				c.Hashes = appendHash(c.Hashes, Hash{Algorithm: alg, Value: v})
			}
			if a := elem(e.SuppliedBy); a != nil {
				c.Supplier = a.Name
			}
			for _, o := range e.OriginatedBy {
				if a := elem(o); a != nil {
					c.Author = joinNonEmpty(", ", c.Author, a.Name)
					c.AuthorContact = cmpOr(c.AuthorContact, spdx3Agent(a).contact())
				}
			}
			c.Properties = setPurposeProperties(c.Properties, e.PrimaryPurpose, e.AdditionalPurpose)
			refs[c.Ref] = len(doc.Components)
			doc.Components = append(doc.Components, c)
		}
	}

	byRef := map[string]int{}
	dep := func(ref string) *Dependency {
		k, ok := byRef[ref]
		if !ok {
			k = len(doc.Dependencies)
			byRef[ref] = k
			doc.Dependencies = append(doc.Dependencies, Dependency{Ref: ref})
		}
		return &doc.Dependencies[k]
	}
	for i := range top.Graph {
		e := &top.Graph[i]
		if e.kind() != "Relationship" {
			continue
		}
		if elem(e.From) == nil && !spdx3External(e.From) {
			return nil, errAt(i, "/from", "dangling reference", "relationship names %q, which no element of the document has", e.From)
		}
		for j, to := range e.To {
			if elem(to) == nil && !spdx3External(to) {
				return nil, errAt(i, "/to/"+strconv.Itoa(j), "dangling reference", "relationship names %q, which no element of the document has", to)
			}
		}
		fromComp, isComp := refs[e.From]
		switch e.RelationshipType {
		case "describes":
			roots = append(roots, e.To...)
		case "dependsOn":
			if !isComp {
				continue
			}
			d := dep(e.From)
			for _, to := range e.To {
				if _, ok := refs[to]; ok {
					d.DependsOn = appendUnique(d.DependsOn, to)
				}
			}
			switch e.Completeness {
			case "complete":
				d.Completeness = CompletenessComplete
			case "incomplete":
				d.Completeness = CompletenessIncomplete
			}
		case "hasDeclaredLicense", "hasConcludedLicense":
			if !isComp {
				continue
			}
			kind := LicenseDeclared
			if e.RelationshipType == "hasConcludedLicense" {
				kind = LicenseConcluded
			}
			for _, to := range e.To {
				expr := spdx3License(to, elem(to))
				if expr != "" && expr != "NoAssertionLicense" && expr != "NoneLicense" {
					c := &doc.Components[fromComp]
					c.Licenses = append(c.Licenses, License{Expression: expr, Kind: kind})
				}
			}
		case "hasDistributionArtifact":
			// TR-03183-2 8.2: the file the component is distributed as gives its filename,
			// deployable hash and the three properties.
			if !isComp {
				continue
			}
			c := &doc.Components[fromComp]
			for _, to := range e.To {
				f := elem(to)
				if f == nil || f.kind() != "software_File" {
					continue
				}
				if f.Name != "" {
					c.Files = appendUnique(c.Files, f.Name)
				}
				for _, h := range f.VerifiedUsing {
					alg, ok := ParseHashAlgorithm(h.Algorithm)
					if v := strings.ToLower(h.HashValue); ok && ValidHashValue(alg, v) {
						c.Hashes = appendHash(c.Hashes, Hash{Algorithm: alg, Value: v})
					}
				}
				c.Properties = setPurposeProperties(c.Properties, f.PrimaryPurpose, f.AdditionalPurpose)
			}
		case "contains":
			if !isComp {
				continue
			}
			for _, to := range e.To {
				if f := elem(to); f != nil && f.kind() == "software_File" && f.Name != "" {
					c := &doc.Components[fromComp]
					c.Files = appendUnique(c.Files, f.Name)
				}
			}
		}
	}
	for _, r := range roots {
		if _, ok := refs[r]; ok {
			doc.Subject = r
			break
		}
	}
	if doc.Name == "" && doc.Subject != "" {
		doc.Name = doc.Components[refs[doc.Subject]].Name
	}
	return doc, nil
}

// spdx3Agent turns a Person, Organization or Tool element into a Creator.
func spdx3Agent(a *spdx3Element) Creator {
	cr := Creator{Name: a.Name}
	switch a.kind() {
	case "Tool":
		cr.Kind = CreatorTool
	case "Organization":
		cr.Kind = CreatorOrganization
	default:
		cr.Kind = CreatorPerson
	}
	for _, x := range a.ExternalIdentifier {
		switch x.Type {
		case "email":
			cr.Email = x.Identifier
		case "urlScheme":
			cr.URL = x.Identifier
		}
	}
	return cr
}

// setPurposeProperties sets the executable, archive and structured properties from an SPDX 3
// artifact's additional purposes, as TR-03183-2 8.2 maps them: "executable", "archive" and
// "container" (structured) each present or absent. An artifact that lists no additional purpose
// states none of the three.
func setPurposeProperties(props []Property, primary string, additional []string) []Property {
	if len(additional) == 0 {
		return props
	}
	purposes := append([]string{primary}, additional...)
	for _, p := range []struct{ name, purpose string }{
		{PropBSIExecutable, "executable"}, {PropBSIArchive, "archive"}, {PropBSIStructured, "container"},
	} {
		v := propValues[p.name][1]
		if slices.Contains(purposes, p.purpose) {
			v = propValues[p.name][0]
		}
		props = slices.DeleteFunc(props, func(x Property) bool { return x.Name == p.name })
		props = append(props, Property{Name: p.name, Value: v})
	}
	return props
}

// spdx3License names the licence an element id stands for: a LicenseExpression's text, or the
// licence id at the end of a listed licence IRI such as https://spdx.org/licenses/MIT.
func spdx3License(id string, e *spdx3Element) string {
	if e != nil && e.LicenseExpression != "" {
		return e.LicenseExpression
	}
	if e != nil && e.Name != "" && !strings.Contains(id, "spdx.org/licenses/") {
		return e.Name
	}
	if i := strings.LastIndexByte(id, '/'); i >= 0 {
		return id[i+1:]
	}
	return id
}

// spdx3External reports whether an id names an element defined outside any document: the SPDX
// licence list and the individuals of the SPDX vocabulary (NoAssertionElement and the like).
func spdx3External(id string) bool {
	return strings.HasPrefix(id, "https://spdx.org/licenses/") || strings.HasPrefix(id, "https://spdx.org/rdf/3.0.1/terms/")
}
