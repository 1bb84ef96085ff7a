package vex

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/siegel-oss/siegel/internal/input"
)

// propJustification carries the exact OpenVEX/CSAF justification through CycloneDX, whose own
// justification vocabulary is coarser.
const propJustification = "siegel:vex:justification"

var (
	toCDXState = map[Status]cdx.ImpactAnalysisState{NotAffected: cdx.IASNotAffected, Affected: cdx.IASExploitable,
		Fixed: cdx.IASResolved, UnderInvestigation: cdx.IASInTriage}
	// The usual correspondence of the two justification vocabularies (CISA's VEX status
	// justifications paper lists the OpenVEX/CSAF ones; CycloneDX 1.4 added its own).
	toCDXJustification = map[string]cdx.ImpactAnalysisJustification{
		"component_not_present":                             cdx.IAJCodeNotPresent,
		"vulnerable_code_not_present":                       cdx.IAJCodeNotPresent,
		"vulnerable_code_not_in_execute_path":               cdx.IAJCodeNotReachable,
		"vulnerable_code_cannot_be_controlled_by_adversary": cdx.IAJRequiresEnvironment,
		"inline_mitigations_already_exist":                  cdx.IAJProtectedByMitigatingControl,
	}
	fromCDXJustification = map[cdx.ImpactAnalysisJustification]string{
		cdx.IAJCodeNotPresent:               "vulnerable_code_not_present",
		cdx.IAJCodeNotReachable:             "vulnerable_code_not_in_execute_path",
		cdx.IAJRequiresConfiguration:        "vulnerable_code_cannot_be_controlled_by_adversary",
		cdx.IAJRequiresDependency:           "vulnerable_code_cannot_be_controlled_by_adversary",
		cdx.IAJRequiresEnvironment:          "vulnerable_code_cannot_be_controlled_by_adversary",
		cdx.IAJProtectedByCompiler:          "inline_mitigations_already_exist",
		cdx.IAJProtectedAtRuntime:           "inline_mitigations_already_exist",
		cdx.IAJProtectedAtPerimeter:         "inline_mitigations_already_exist",
		cdx.IAJProtectedByMitigatingControl: "inline_mitigations_already_exist",
	}
)

func decodeCycloneDX(name string, data []byte) (*Document, error) {
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(data), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		return nil, input.JSONError(name, data, err)
	}
	d := &Document{ID: bom.SerialNumber}
	refs := map[string]string{} // bom-ref -> identifier (purl when there is one)
	product, productRef := "", ""
	if m := bom.Metadata; m != nil {
		if t, err := time.Parse(time.RFC3339, m.Timestamp); err == nil {
			d.Timestamp = t.UTC()
		}
		if m.Component != nil {
			product, productRef = componentID(*m.Component), m.Component.BOMRef
		}
		if m.Tools != nil && m.Tools.Components != nil && len(*m.Tools.Components) > 0 {
			d.Author = (*m.Tools.Components)[0].Name
		}
		if m.Manufacturer != nil {
			d.Author = m.Manufacturer.Name
		}
	}
	if bom.Components != nil {
		for _, c := range *bom.Components {
			refs[c.BOMRef] = componentID(c)
		}
	}
	if bom.Vulnerabilities == nil {
		return d, nil
	}
	for i, v := range *bom.Vulnerabilities {
		s := Statement{Vulnerability: v.ID, Product: product, Status: UnderInvestigation, Action: v.Recommendation, Timestamp: d.Timestamp}
		if v.References != nil {
			for _, r := range *v.References {
				s.Aliases = append(s.Aliases, r.ID)
			}
		}
		if a := v.Analysis; a != nil {
			switch a.State {
			case cdx.IASNotAffected, cdx.IASFalsePositive:
				s.Status = NotAffected
				s.Justification = fromCDXJustification[a.Justification]
				s.Impact = a.Detail
			case cdx.IASExploitable:
				s.Status = Affected
				if s.Action == "" {
					s.Action = a.Detail
				}
			case cdx.IASResolved, cdx.IASResolvedWithPedigree:
				s.Status = Fixed
			case cdx.IASInTriage, "":
				s.Status = UnderInvestigation
			default:
				return nil, &input.Error{File: name, Pointer: fmt.Sprintf("/vulnerabilities/%d/analysis/state", i), Rule: "CycloneDX VEX", Err: fmt.Errorf("unknown state %q", a.State)}
			}
			if t, err := time.Parse(time.RFC3339, a.LastUpdated); err == nil {
				s.Timestamp = t.UTC()
			}
		}
		if v.Properties != nil {
			for _, p := range *v.Properties {
				if p.Name == propJustification && s.Status == NotAffected {
					s.Justification = p.Value
				}
			}
		}
		if v.Affects != nil {
			for _, af := range *v.Affects {
				if af.Ref == productRef && productRef != "" {
					continue
				}
				id := refs[af.Ref]
				if id == "" {
					id = af.Ref // a BOM-Link or a purl
				}
				s.Components = append(s.Components, id)
			}
		}
		d.Statements = append(d.Statements, s)
	}
	return d, nil
}

// componentID is how a CycloneDX component is named in statements: its purl, else its CPE,
// else name@version.
func componentID(c cdx.Component) string {
	switch {
	case c.PackageURL != "":
		return c.PackageURL
	case c.CPE != "":
		return c.CPE
	case c.Version != "":
		return c.Name + "@" + c.Version
	}
	return c.Name
}

func (d *Document) encodeCycloneDX(w io.Writer) error {
	bom := cdx.NewBOM()
	bom.SpecVersion = cdx.SpecVersion1_6
	bom.SerialNumber = d.ID
	if !strings.HasPrefix(bom.SerialNumber, "urn:uuid:") {
		bom.SerialNumber = ""
	}
	bom.Metadata = &cdx.Metadata{Timestamp: d.Timestamp.UTC().Format(time.RFC3339)}
	if d.Author != "" {
		bom.Metadata.Manufacturer = &cdx.OrganizationalEntity{Name: d.Author}
	}
	// One document describes one product in CycloneDX (metadata.component).
	product := ""
	if len(d.Statements) > 0 {
		product = d.Statements[0].Product
		bom.Metadata.Component = cdxComponent(product, cdx.ComponentTypeApplication)
	}
	var comps []cdx.Component
	seen := map[string]bool{product: true}
	var vulns []cdx.Vulnerability
	for i, s := range d.Statements {
		if s.Product != product {
			return fmt.Errorf("a CycloneDX VEX document describes one product (its metadata component): statement %d is about %s, not %s; write one document per product", i, s.Product, product)
		}
		v := cdx.Vulnerability{BOMRef: fmt.Sprintf("vex-%d", i+1), ID: s.Vulnerability}
		if len(s.Aliases) > 0 {
			refs := make([]cdx.VulnerabilityReference, 0, len(s.Aliases))
			for _, a := range s.Aliases {
				refs = append(refs, cdx.VulnerabilityReference{ID: a, Source: &cdx.Source{Name: sourceOf(a)}})
			}
			v.References = &refs
		}
		a := &cdx.VulnerabilityAnalysis{State: toCDXState[s.Status]}
		if !s.Timestamp.IsZero() {
			a.LastUpdated = s.Timestamp.UTC().Format(time.RFC3339)
		}
		switch s.Status {
		case NotAffected:
			a.Justification = toCDXJustification[s.Justification]
			a.Detail = s.Impact
			if s.Justification != "" {
				v.Properties = &[]cdx.Property{{Name: propJustification, Value: s.Justification}}
			}
		case Affected:
			v.Recommendation = s.Action
			if s.Action != "" {
				a.Response = &[]cdx.ImpactAnalysisResponse{cdx.IARUpdate}
			}
		}
		v.Analysis = a
		targets := s.Components
		if len(targets) == 0 {
			targets = []string{s.Product}
		}
		var affects []cdx.Affects
		for _, t := range targets {
			if !seen[t] {
				seen[t] = true
				comps = append(comps, *cdxComponent(t, cdx.ComponentTypeLibrary))
			}
			affects = append(affects, cdx.Affects{Ref: t})
		}
		v.Affects = &affects
		vulns = append(vulns, v)
	}
	if len(comps) > 0 {
		bom.Components = &comps
	}
	bom.Vulnerabilities = &vulns
	enc := cdx.NewBOMEncoder(w, cdx.BOMFileFormatJSON)
	enc.SetPretty(true)
	return enc.EncodeVersion(bom, cdx.SpecVersion1_6)
}

// cdxComponent makes a component whose bom-ref is its identifier.
func cdxComponent(id string, typ cdx.ComponentType) *cdx.Component {
	c := &cdx.Component{BOMRef: id, Type: typ, Name: id}
	switch {
	case strings.HasPrefix(id, "pkg:"):
		c.PackageURL = id
		name := strings.TrimPrefix(id, "pkg:")
		name, _, _ = strings.Cut(name, "?")
		if i := strings.LastIndex(name, "/"); i >= 0 {
			name = name[i+1:]
		}
		c.Name, c.Version, _ = strings.Cut(name, "@")
	case strings.HasPrefix(id, "cpe:"):
		c.CPE = id
	}
	return c
}

// sourceOf names the database an id belongs to.
func sourceOf(id string) string {
	prefix, _, _ := strings.Cut(id, "-")
	switch prefix {
	case "CVE":
		return "NVD"
	case "GHSA":
		return "GitHub"
	case "EUVD":
		return "ENISA"
	}
	return prefix
}
