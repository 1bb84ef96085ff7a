package sbom

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	gojson "github.com/goccy/go-json"

	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/purl"
)

// Property names that carry model fields CycloneDX has no direct place for. The filename property
// is the one BSI TR-03183-2 (v2.1, section 8.1.x, CycloneDX mapping) prescribes.
const (
	propFilename  = "bsi:component:filename"
	propExtraCPE  = "siegel:cpe"
	cdxSpecWriter = cdx.SpecVersion1_6
)

// cdxSpecVersions are the CycloneDX versions Siegel reads; 1.0 and 1.1 have no JSON form and
// carry no dependency graph.
var cdxSpecVersions = map[cdx.SpecVersion]string{
	cdx.SpecVersion1_2: "1.2", cdx.SpecVersion1_3: "1.3", cdx.SpecVersion1_4: "1.4",
	cdx.SpecVersion1_5: "1.5", cdx.SpecVersion1_6: "1.6", cdx.SpecVersion1_7: "1.7",
}

func decodeCycloneDX(name string, data []byte, f Format, limits input.Limits, each func(Component) error) (*Document, error) {
	var bom cdx.BOM
	sent := 0 // components the streaming reader handed to each before it gave up
	if f == CycloneDXXML {
		if err := checkXML(name, data, limits.MaxDepth); err != nil {
			return nil, err
		}
		if err := xml.Unmarshal(data, &bom); err != nil {
			return nil, xmlError(name, data, err)
		}
		bom.SpecVersion = 0
		for v, ns := range cdxXMLNamespaces() {
			if ns == bom.XMLNS {
				bom.SpecVersion = v
			}
		}
		if bom.SpecVersion == 0 {
			return nil, &input.Error{File: name, Line: 1, Pointer: "/bom/@xmlns", Rule: "spec version",
				Err: fmt.Errorf("unknown CycloneDX namespace %q; Siegel reads CycloneDX 1.2 to 1.7", bom.XMLNS)}
		}
	} else {
		doc, n, err := decodeCycloneDXStream(name, data, each)
		sent = n
		if err == nil {
			return doc, nil
		} else if err != errFastJSON {
			return nil, err
		}
		if err := fastUnmarshal(data, &bom); err != nil {
			// Decode again with encoding/json, whose errors carry the byte offset that becomes
			// the line and column of the message.
			bom = cdx.BOM{}
			if err := json.Unmarshal(data, &bom); err != nil {
				return nil, jsonError(name, data, err)
			}
		}
		if bom.BOMFormat != cdx.BOMFormat {
			return nil, &input.Error{File: name, Pointer: "/bomFormat", Rule: "schema",
				Err: fmt.Errorf("bomFormat is %q, want %q", bom.BOMFormat, cdx.BOMFormat)}
		}
	}
	spec, ok := cdxSpecVersions[bom.SpecVersion]
	if !ok {
		return nil, &input.Error{File: name, Pointer: ptr(f, "/specVersion", "/bom/@xmlns"), Rule: "spec version",
			Err: fmt.Errorf("CycloneDX %s is not supported; Siegel reads CycloneDX 1.2 to 1.7", bom.SpecVersion)}
	}
	c := cdxReader{name: name, format: f, refs: map[string]string{}}
	doc := &Document{Format: f, SpecVersion: spec, Serial: bom.SerialNumber, Version: bom.Version}
	if bom.Vulnerabilities != nil {
		doc.VulnerabilityEntries = len(*bom.Vulnerabilities)
	}
	if err := c.metadata(doc, bom.Metadata); err != nil {
		return nil, err
	}
	meta := len(doc.Components)
	if bom.Components != nil {
		doc.Components = slices.Grow(doc.Components, len(*bom.Components))
		if err := c.components(doc, *bom.Components, ptr(f, "/components", "/bom/components/component")); err != nil {
			return nil, err
		}
	}
	if bom.Services != nil {
		if err := c.services(doc, *bom.Services, ptr(f, "/services", "/bom/services/service")); err != nil {
			return nil, err
		}
	}
	if err := c.dependencies(doc, bom.Dependencies, bom.Compositions); err != nil {
		return nil, err
	}
	if each != nil {
		// As the streaming reader would have: the list's components, then the metadata's, each
		// handed over once.
		if err := handOver(append(doc.Components[min(meta+sent, len(doc.Components)):], doc.Components[:meta]...), each, &sent); err != nil {
			return nil, err
		}
		doc.Components = nil
	}
	return doc, nil
}

func cdxXMLNamespaces() map[cdx.SpecVersion]string {
	m := map[cdx.SpecVersion]string{}
	for v := cdx.SpecVersion1_0; v <= cdx.SpecVersion1_7; v++ {
		m[v] = "http://cyclonedx.org/schema/bom/" + v.String()
	}
	return m
}

// ptr picks the JSON pointer or the XML element path for a location.
func ptr(f Format, jsonPtr, xmlPath string) string {
	if f == CycloneDXXML {
		return xmlPath
	}
	return jsonPtr
}

type cdxReader struct {
	name   string
	format Format
	refs   map[string]string // bom-ref -> pointer of its first use
	n      int               // components seen, for generated refs
}

func (c *cdxReader) errf(pointer, rule, format string, args ...any) error {
	return &input.Error{File: c.name, Pointer: pointer, Rule: rule, Err: fmt.Errorf(format, args...)}
}

func (c *cdxReader) metadata(doc *Document, m *cdx.Metadata) error {
	if m == nil {
		return nil
	}
	if m.Timestamp != "" {
		t, err := time.Parse(time.RFC3339, m.Timestamp)
		if err != nil {
			return c.errf(ptr(c.format, "/metadata/timestamp", "/bom/metadata/timestamp"), "schema",
				"timestamp %q is not an RFC 3339 date-time", m.Timestamp)
		}
		doc.Created = t.UTC()
	}
	if m.Tools != nil {
		if m.Tools.Tools != nil {
			for _, t := range *m.Tools.Tools {
				doc.Creators = append(doc.Creators, Creator{Kind: CreatorTool, Name: joinNonEmpty(" ", t.Vendor, t.Name), Version: t.Version})
			}
		}
		if m.Tools.Components != nil {
			for _, t := range *m.Tools.Components {
				doc.Creators = append(doc.Creators, Creator{Kind: CreatorTool, Name: joinNonEmpty("/", t.Group, t.Name), Version: t.Version})
			}
		}
		if m.Tools.Services != nil {
			for _, t := range *m.Tools.Services {
				doc.Creators = append(doc.Creators, Creator{Kind: CreatorTool, Name: joinNonEmpty("/", t.Group, t.Name), Version: t.Version})
			}
		}
	}
	if m.Authors != nil {
		for _, a := range *m.Authors {
			doc.Creators = append(doc.Creators, Creator{Kind: CreatorPerson, Name: a.Name, Email: a.Email})
		}
	}
	for _, org := range []*cdx.OrganizationalEntity{m.Manufacturer, m.Manufacture} {
		if org != nil {
			doc.Creators = append(doc.Creators, orgCreator(org))
			break
		}
	}
	if m.Component != nil {
		if err := c.components(doc, []cdx.Component{*m.Component}, ptr(c.format, "/metadata/component", "/bom/metadata/component")); err != nil {
			return err
		}
		doc.Subject = doc.Components[0].Ref
		doc.Name = doc.Components[0].Name
	}
	return nil
}

// contact returns the creator's URL, else its email address.
func (cr Creator) contact() string { return cmpOr(cr.URL, cr.Email) }

func orgCreator(org *cdx.OrganizationalEntity) Creator {
	cr := Creator{Kind: CreatorOrganization, Name: org.Name}
	if org.URL != nil && len(*org.URL) > 0 {
		cr.URL = (*org.URL)[0]
	}
	if org.Contact != nil {
		for _, ct := range *org.Contact {
			if ct.Email != "" {
				cr.Email = ct.Email
				break
			}
		}
	}
	return cr
}

// components flattens a component list (and nested components) into doc.Components. base is the
// pointer of the list; for metadata.component it is the pointer of the single component.
func (c *cdxReader) components(doc *Document, list []cdx.Component, base string) error {
	single := strings.HasSuffix(base, "/metadata/component")
	for i := range list {
		p := base
		if !single {
			if c.format == CycloneDXXML {
				p = base + "[" + strconv.Itoa(i+1) + "]"
			} else {
				p = base + "/" + strconv.Itoa(i)
			}
		}
		if err := c.componentTree(doc, &list[i], p); err != nil {
			return err
		}
	}
	return nil
}

// componentTree adds a component and its nested components.
func (c *cdxReader) componentTree(doc *Document, in *cdx.Component, p string) error {
	comp, err := c.component(in, p)
	if err != nil {
		return err
	}
	doc.Components = append(doc.Components, comp)
	if in.Components != nil {
		return c.components(doc, *in.Components, p+ptr(c.format, "/components", "/components/component"))
	}
	return nil
}

func (c *cdxReader) component(in *cdx.Component, p string) (Component, error) {
	c.n++
	out := Component{
		Ref: in.BOMRef, Type: string(in.Type), Group: in.Group, Name: in.Name, Version: in.Version,
		Description: in.Description, Scope: string(in.Scope),
	}
	if in.PackageURL != "" {
		canon, err := purl.Canonical(in.PackageURL)
		if err != nil {
			return out, c.errf(p+ptr(c.format, "/purl", "/purl"), "purl", "%v", err)
		}
		// Keep one string where the document's purl is already canonical and its bom-ref is the
		// purl, as generators often write it: a large SBOM then holds each purl once.
		if canon == in.PackageURL {
			canon = in.PackageURL
		}
		if out.Ref == canon {
			out.Ref = canon
		}
		out.PURL = canon
	}
	if out.Ref == "" {
		// Components without a bom-ref cannot take part in the graph; give them a ref that cannot
		// collide with a document's own (bom-refs with a leading "#" are reserved for BOM-Links).
		out.Ref = "#siegel-component-" + strconv.Itoa(c.n)
	} else if first, dup := c.refs[out.Ref]; dup {
		refPtr := ptr(c.format, "/bom-ref", "/@bom-ref")
		return out, c.errf(p+refPtr, "unique bom-ref", "bom-ref %q is already used at %s; every bom-ref must be unique", out.Ref, first+refPtr)
	}
	c.refs[out.Ref] = p // the component's pointer; the bom-ref's is derived when reported
	if in.Name == "" {
		return out, c.errf(p+ptr(c.format, "/name", "/name"), "schema", "component has no name")
	}
	if in.CPE != "" {
		out.CPEs = append(out.CPEs, in.CPE)
	}
	if in.Hashes != nil {
		for j, h := range *in.Hashes {
			hh, err := cdxHash(h)
			if err != nil {
				return out, c.errf(p+ptr(c.format, "/hashes/"+strconv.Itoa(j), "/hashes/hash["+strconv.Itoa(j+1)+"]"), "hash", "%v", err)
			}
			out.Hashes = appendHash(out.Hashes, hh)
		}
	}
	if in.ExternalReferences != nil {
		for _, r := range *in.ExternalReferences {
			if r.Type != cdx.ERTypeDistribution || r.Hashes == nil {
				continue
			}
			for _, h := range *r.Hashes {
				if hh, err := cdxHash(h); err == nil {
					out.Hashes = appendHash(out.Hashes, hh)
				}
			}
		}
	}
	if in.Licenses != nil {
		out.Licenses = cdxLicenses(*in.Licenses)
	}
	if in.Supplier != nil {
		out.Supplier = in.Supplier.Name
	}
	switch {
	case in.Authors != nil && len(*in.Authors) > 0:
		var names []string
		for _, a := range *in.Authors {
			names = append(names, joinNonEmpty(" ", a.Name, angle(a.Email)))
			if out.AuthorContact == "" && a.Email != "" {
				out.AuthorContact = a.Email
			}
		}
		out.Author = strings.Join(names, ", ")
	case in.Author != "":
		out.Author = in.Author
	case in.Manufacturer != nil:
		out.Author = in.Manufacturer.Name
	}
	if in.Manufacturer != nil && out.AuthorContact == "" {
		// TR-03183-2 8.1 maps the component creator to the manufacturer's URL or contact email.
		out.AuthorContact = orgCreator(in.Manufacturer).contact()
	}
	if in.SWID != nil {
		out.SWID = in.SWID.TagID
	}
	if in.Properties != nil {
		for _, prop := range *in.Properties {
			switch prop.Name {
			case propFilename:
				out.Files = appendUnique(out.Files, prop.Value)
			case propExtraCPE:
				out.CPEs = appendUnique(out.CPEs, prop.Value)
			default:
				out.Properties = append(out.Properties, Property{Name: prop.Name, Value: prop.Value})
			}
		}
	}
	if in.Evidence != nil && in.Evidence.Occurrences != nil {
		for _, o := range *in.Evidence.Occurrences {
			if o.Location != "" {
				out.Files = appendUnique(out.Files, o.Location)
			}
		}
	}
	return out, nil
}

// services flattens a service list (and nested services) into doc.Services. Services take part
// in the dependency graph (CycloneDX 1.2+ dependency refs name "a component or service"), so
// their bom-refs go into the same table as the components' and must be unique with them.
func (c *cdxReader) services(doc *Document, list []cdx.Service, base string) error {
	for i := range list {
		in := &list[i]
		p := base + ptr(c.format, "/"+strconv.Itoa(i), "["+strconv.Itoa(i+1)+"]")
		c.n++
		out := Service{Ref: in.BOMRef, Group: in.Group, Name: in.Name, Version: in.Version,
			Description: in.Description, Authenticated: in.Authenticated,
			CrossesTrustBoundary: in.CrossesTrustBoundary, TrustZone: in.TrustZone}
		if out.Ref == "" {
			out.Ref = "#siegel-service-" + strconv.Itoa(c.n)
		} else if first, dup := c.refs[out.Ref]; dup {
			refPtr := ptr(c.format, "/bom-ref", "/@bom-ref")
			return c.errf(p+refPtr, "unique bom-ref", "bom-ref %q is already used at %s; every bom-ref must be unique", out.Ref, first+refPtr)
		}
		c.refs[out.Ref] = p
		if in.Name == "" {
			return c.errf(p+ptr(c.format, "/name", "/name"), "schema", "service has no name")
		}
		if in.Provider != nil {
			out.Provider = in.Provider.Name
		}
		if in.Endpoints != nil {
			out.Endpoints = append(out.Endpoints, *in.Endpoints...)
		}
		if in.Licenses != nil {
			out.Licenses = cdxLicenses(*in.Licenses)
		}
		if in.Properties != nil {
			for _, prop := range *in.Properties {
				out.Properties = append(out.Properties, Property{Name: prop.Name, Value: prop.Value})
			}
		}
		doc.Services = append(doc.Services, out)
		if in.Services != nil {
			if err := c.services(doc, *in.Services, p+ptr(c.format, "/services", "/services/service")); err != nil {
				return err
			}
		}
	}
	return nil
}

func angle(email string) string {
	if email == "" {
		return ""
	}
	return "<" + email + ">"
}

func cdxHash(h cdx.Hash) (Hash, error) {
	alg, ok := ParseHashAlgorithm(string(h.Algorithm))
	if !ok {
		return Hash{}, fmt.Errorf("unknown hash algorithm %q", h.Algorithm)
	}
	v := strings.ToLower(strings.TrimSpace(h.Value))
	if !ValidHashValue(alg, v) {
		return Hash{}, fmt.Errorf("%s value %q is not a hex digest of the right length", alg, h.Value)
	}
	return Hash{Algorithm: alg, Value: v}, nil
}

func appendHash(hs []Hash, h Hash) []Hash {
	for _, x := range hs {
		if x == h {
			return hs
		}
	}
	return append(hs, h)
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

func cdxLicenses(ls cdx.Licenses) []License {
	var out []License
	for _, l := range ls {
		kind := LicenseDeclared
		if l.Acknowledgement != nil && *l.Acknowledgement == cdx.LicenseAcknowledgementConcluded {
			kind = LicenseConcluded
		}
		switch {
		case l.Expression != "":
			out = append(out, License{Expression: l.Expression, Kind: kind})
		case l.License != nil:
			if l.License.Acknowledgement == cdx.LicenseAcknowledgementConcluded {
				kind = LicenseConcluded
			}
			if e := cmpOr(l.License.ID, l.License.Name); e != "" {
				out = append(out, License{Expression: e, Kind: kind})
			}
		}
	}
	return out
}

func (c *cdxReader) dependencies(doc *Document, deps *[]cdx.Dependency, comps *[]cdx.Composition) error {
	byRef := map[string]int{}
	if deps != nil {
		for i, d := range *deps {
			p := ptr(c.format, "/dependencies/"+strconv.Itoa(i), "/bom/dependencies/dependency["+strconv.Itoa(i+1)+"]")
			if _, ok := c.refs[d.Ref]; !ok {
				return c.errf(p+ptr(c.format, "/ref", "/@ref"), "dangling reference",
					"dependency names bom-ref %q, which no component or service has", d.Ref)
			}
			entry := Dependency{Ref: d.Ref}
			if d.Dependencies != nil {
				for j, to := range *d.Dependencies {
					if _, ok := c.refs[to]; !ok {
						return c.errf(p+ptr(c.format, "/dependsOn/"+strconv.Itoa(j), "/dependency["+strconv.Itoa(j+1)+"]/@ref"),
							"dangling reference", "dependsOn names bom-ref %q, which no component or service has", to)
					}
					entry.DependsOn = appendUnique(entry.DependsOn, to)
				}
			}
			if k, seen := byRef[d.Ref]; seen {
				for _, to := range entry.DependsOn {
					doc.Dependencies[k].DependsOn = appendUnique(doc.Dependencies[k].DependsOn, to)
				}
				continue
			}
			byRef[d.Ref] = len(doc.Dependencies)
			doc.Dependencies = append(doc.Dependencies, entry)
		}
	}
	if comps == nil {
		return nil
	}
	for _, comp := range *comps {
		var completeness Completeness
		switch {
		case comp.Aggregate == cdx.CompositionAggregateComplete:
			completeness = CompletenessComplete
		case strings.HasPrefix(string(comp.Aggregate), "incomplete"):
			completeness = CompletenessIncomplete
		default:
			continue
		}
		var refs []cdx.BOMReference
		if comp.Dependencies != nil {
			refs = append(refs, *comp.Dependencies...)
		}
		for _, r := range refs {
			ref := string(r)
			if _, ok := c.refs[ref]; !ok {
				continue // compositions may name services or vulnerabilities
			}
			k, seen := byRef[ref]
			if !seen {
				k = len(doc.Dependencies)
				byRef[ref] = k
				doc.Dependencies = append(doc.Dependencies, Dependency{Ref: ref})
			}
			doc.Dependencies[k].Completeness = completeness
		}
	}
	return nil
}

func checkXML(name string, data []byte, maxDepth int) error {
	return input.CheckXML(name, data, maxDepth)
}

func xmlError(name string, data []byte, err error) error { return input.XMLError(name, err) }

// jsonError positions an encoding/json error.
func jsonError(name string, data []byte, err error) error { return input.JSONError(name, data, err) }

func encodeCycloneDX(w io.Writer, doc *Document, f Format) error {
	bom := cdx.NewBOM()
	bom.SpecVersion = cdxSpecWriter
	bom.JSONSchema = "http://cyclonedx.org/schema/bom-1.6.schema.json"
	bom.XMLNS = "http://cyclonedx.org/schema/bom/1.6"
	bom.Version = max(doc.Version, 1)
	bom.SerialNumber = doc.Serial
	if !strings.HasPrefix(bom.SerialNumber, "urn:uuid:") {
		bom.SerialNumber = contentSerial(doc)
	}
	meta := &cdx.Metadata{}
	if !doc.Created.IsZero() {
		meta.Timestamp = doc.Created.UTC().Format(time.RFC3339)
	}
	var tools []cdx.Component
	for _, cr := range doc.Creators {
		switch cr.Kind {
		case CreatorTool:
			tools = append(tools, cdx.Component{Type: cdx.ComponentTypeApplication, Name: cr.Name, Version: cr.Version})
		case CreatorPerson:
			if meta.Authors == nil {
				meta.Authors = &[]cdx.OrganizationalContact{}
			}
			*meta.Authors = append(*meta.Authors, cdx.OrganizationalContact{Name: cr.Name, Email: cr.Email})
		case CreatorOrganization:
			if meta.Manufacturer == nil {
				org := &cdx.OrganizationalEntity{Name: cr.Name}
				if cr.URL != "" {
					org.URL = &[]string{cr.URL}
				}
				if cr.Email != "" {
					org.Contact = &[]cdx.OrganizationalContact{{Email: cr.Email}}
				}
				meta.Manufacturer = org
			}
		}
	}
	if len(tools) > 0 {
		meta.Tools = &cdx.ToolsChoice{Components: &tools}
	}
	comps := make([]cdx.Component, 0, len(doc.Components))
	for i := range doc.Components {
		c := cdxComponent(&doc.Components[i])
		if c.BOMRef == doc.Subject && doc.Subject != "" {
			meta.Component = &c
			continue
		}
		comps = append(comps, c)
	}
	if meta.Component == nil && doc.Name != "" {
		// A document without a subject component still names what it describes.
		meta.Component = &cdx.Component{Type: cdx.ComponentTypeApplication, Name: doc.Name}
	}
	if len(doc.Properties) > 0 {
		props := make([]cdx.Property, len(doc.Properties))
		for i, p := range doc.Properties {
			props[i] = cdx.Property{Name: p.Name, Value: p.Value}
		}
		meta.Properties = &props
	}
	bom.Metadata = meta
	bom.Components = &comps
	if len(doc.Services) > 0 {
		svcs := make([]cdx.Service, len(doc.Services))
		for i := range doc.Services {
			svcs[i] = cdxService(&doc.Services[i])
		}
		bom.Services = &svcs
	}

	var deps []cdx.Dependency
	var complete, incomplete []cdx.BOMReference
	for _, d := range doc.Dependencies {
		on := make([]string, len(d.DependsOn))
		copy(on, d.DependsOn)
		deps = append(deps, cdx.Dependency{Ref: d.Ref, Dependencies: &on})
		switch d.Completeness {
		case CompletenessComplete:
			complete = append(complete, cdx.BOMReference(d.Ref))
		case CompletenessIncomplete:
			incomplete = append(incomplete, cdx.BOMReference(d.Ref))
		}
	}
	if len(deps) > 0 {
		bom.Dependencies = &deps
	}
	var compositions []cdx.Composition
	if len(complete) > 0 {
		compositions = append(compositions, cdx.Composition{Aggregate: cdx.CompositionAggregateComplete, Dependencies: &complete})
	}
	if len(incomplete) > 0 {
		compositions = append(compositions, cdx.Composition{Aggregate: cdx.CompositionAggregateIncomplete, Dependencies: &incomplete})
	}
	if len(compositions) > 0 {
		bom.Compositions = &compositions
	}

	if len(doc.Vulnerabilities) > 0 {
		vs := make([]cdx.Vulnerability, 0, len(doc.Vulnerabilities))
		for _, v := range doc.Vulnerabilities {
			vs = append(vs, cdxVulnerability(v))
		}
		bom.Vulnerabilities = &vs
	}
	format := cdx.BOMFileFormatJSON
	if f == CycloneDXXML {
		format = cdx.BOMFileFormatXML
	}
	enc := cdx.NewBOMEncoder(w, format)
	enc.SetPretty(true)
	// The BOM is built as 1.6 already; EncodeVersion would deep-copy it to convert.
	if err := enc.Encode(bom); err != nil {
		return fmt.Errorf("encode CycloneDX: %w", err)
	}
	return nil
}

func cdxComponent(c *Component) cdx.Component {
	out := cdx.Component{
		BOMRef: c.Ref, Type: cdx.ComponentType(cmpOr(c.Type, "library")), Group: c.Group, Name: c.Name,
		Version: c.Version, Description: c.Description, Scope: cdx.Scope(c.Scope), PackageURL: c.PURL,
	}
	var props []cdx.Property
	for i, cpe := range c.CPEs {
		if i == 0 {
			out.CPE = cpe
		} else {
			props = append(props, cdx.Property{Name: propExtraCPE, Value: cpe})
		}
	}
	if len(c.Hashes) > 0 {
		hs := make([]cdx.Hash, len(c.Hashes))
		for i, h := range c.Hashes {
			hs[i] = cdx.Hash{Algorithm: cdx.HashAlgorithm(h.Algorithm), Value: h.Value}
		}
		out.Hashes = &hs
	}
	if ls := cdxLicenseChoices(c.Licenses); ls != nil {
		out.Licenses = &ls
	}
	if c.Supplier != "" {
		out.Supplier = &cdx.OrganizationalEntity{Name: c.Supplier}
	}
	switch {
	case strings.Contains(c.AuthorContact, "://"):
		out.Manufacturer = &cdx.OrganizationalEntity{Name: c.Author, URL: &[]string{c.AuthorContact}}
	case c.AuthorContact != "":
		out.Authors = &[]cdx.OrganizationalContact{{Name: c.Author, Email: c.AuthorContact}}
	case c.Author != "":
		out.Authors = &[]cdx.OrganizationalContact{{Name: c.Author}}
	}
	if c.SWID != "" {
		out.SWID = &cdx.SWID{TagID: c.SWID, Name: c.Name, Version: c.Version}
	}
	for _, f := range c.Files {
		props = append(props, cdx.Property{Name: propFilename, Value: f})
	}
	for _, p := range c.Properties {
		props = append(props, cdx.Property{Name: p.Name, Value: p.Value})
	}
	if len(props) > 0 {
		out.Properties = &props
	}
	return out
}

// cdxLicenseChoices writes licences as CycloneDX licence choices; nil for none.
func cdxLicenseChoices(in []License) cdx.Licenses {
	if len(in) == 0 {
		return nil
	}
	ls := make(cdx.Licenses, 0, len(in))
	for _, l := range in {
		ack := cdx.LicenseAcknowledgementDeclared
		if l.Kind == LicenseConcluded {
			ack = cdx.LicenseAcknowledgementConcluded
		}
		if isListedLicense(l.Expression) {
			ls = append(ls, cdx.LicenseChoice{License: &cdx.License{ID: l.Expression, Acknowledgement: ack}})
		} else if isExpression(l.Expression) || strings.HasPrefix(l.Expression, "LicenseRef-") {
			ls = append(ls, cdx.LicenseChoice{Expression: l.Expression, Acknowledgement: &ack})
		} else {
			ls = append(ls, cdx.LicenseChoice{License: &cdx.License{Name: l.Expression, Acknowledgement: ack}})
		}
	}
	return ls
}

// cdxService writes a service; nested services were flattened on reading and are written flat.
func cdxService(s *Service) cdx.Service {
	out := cdx.Service{BOMRef: s.Ref, Group: s.Group, Name: s.Name, Version: s.Version,
		Description: s.Description, Authenticated: s.Authenticated,
		CrossesTrustBoundary: s.CrossesTrustBoundary, TrustZone: s.TrustZone}
	if s.Provider != "" {
		out.Provider = &cdx.OrganizationalEntity{Name: s.Provider}
	}
	if len(s.Endpoints) > 0 {
		eps := slices.Clone(s.Endpoints)
		out.Endpoints = &eps
	}
	if ls := cdxLicenseChoices(s.Licenses); ls != nil {
		out.Licenses = &ls
	}
	if len(s.Properties) > 0 {
		ps := make([]cdx.Property, len(s.Properties))
		for i, p := range s.Properties {
			ps[i] = cdx.Property{Name: p.Name, Value: p.Value}
		}
		out.Properties = &ps
	}
	return out
}

// isLicenseID reports whether s looks like a single SPDX licence id (or LicenseRef).
func isLicenseID(s string) bool {
	if s == "" || strings.ContainsAny(s, " ()") {
		return false
	}
	for _, r := range s {
		if !(r == '-' || r == '.' || r == '+' || r == ':' || '0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') {
			return false
		}
	}
	return true
}

// isExpression reports whether s is a compound SPDX licence expression.
func isExpression(s string) bool {
	for _, op := range []string{" AND ", " OR ", " WITH "} {
		if strings.Contains(s, op) {
			return true
		}
	}
	return false
}

// contentSerial derives a stable urn:uuid serial number from the document content, so the same
// inventory always yields the same SBOM (reproducible builds).
func contentSerial(doc *Document) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00", doc.Name, doc.Subject, doc.Created.UTC().Format(time.RFC3339))
	for _, c := range doc.Components {
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00", c.Ref, c.Name, c.Version, c.PURL)
	}
	for _, d := range doc.Dependencies {
		fmt.Fprintf(h, "%s>%s\x00", d.Ref, strings.Join(d.DependsOn, ","))
	}
	s := h.Sum(nil)
	s[6] = s[6]&0x0f | 0x50 // version 5 layout (name-based, SHA)
	s[8] = s[8]&0x3f | 0x80 // RFC 4122 variant
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", s[0:4], s[4:6], s[6:8], s[8:10], s[10:16])
}

func joinNonEmpty(sep string, parts ...string) string {
	var keep []string
	for _, p := range parts {
		if p != "" {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, sep)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// decodeCycloneDXStream reads a CycloneDX JSON document component by component, converting each
// to the model as soon as it is decoded, so that a large SBOM is never held twice in memory; with
// each, components are handed to it and not kept at all. Semantic errors are returned as
// *input.Error, errors from each as they are; JSON it cannot follow as errFastJSON, and the caller
// then decodes the whole document to report the problem with its position.
func decodeCycloneDXStream(name string, data []byte, each func(Component) error) (doc *Document, sent int, err error) {
	defer func() {
		if r := recover(); r != nil {
			doc, err = nil, errFastJSON
		}
	}()
	dec := gojson.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != gojson.Delim('{') {
		return nil, sent, errFastJSON
	}
	var bom cdx.BOM
	vulns := 0
	c := cdxReader{name: name, format: CycloneDXJSON, refs: map[string]string{}}
	comps := &Document{}
	if each == nil {
		// Every component has a "type": counting them sizes the slice once instead of doubling it.
		comps.Components = make([]Component, 0, bytes.Count(data, []byte(`"type"`)))
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, sent, errFastJSON
		}
		key, _ := t.(string)
		var derr error
		switch key {
		case "components":
			if t, err := dec.Token(); err != nil || t != gojson.Delim('[') {
				return nil, sent, errFastJSON
			}
			for i := 0; dec.More(); i++ {
				var in cdx.Component
				if err := dec.Decode(&in); err != nil {
					return nil, sent, errFastJSON
				}
				if err := c.componentTree(comps, &in, "/components/"+strconv.Itoa(i)); err != nil {
					return nil, sent, err
				}
				if each != nil {
					if err := handOver(comps.Components, each, &sent); err != nil {
						return nil, sent, err
					}
					comps.Components = comps.Components[:0]
				}
			}
			if t, err := dec.Token(); err != nil || t != gojson.Delim(']') {
				return nil, sent, errFastJSON
			}
			continue
		case "bomFormat":
			derr = dec.Decode(&bom.BOMFormat)
		case "specVersion":
			derr = dec.Decode(&bom.SpecVersion)
		case "serialNumber":
			derr = dec.Decode(&bom.SerialNumber)
		case "version":
			derr = dec.Decode(&bom.Version)
		case "metadata":
			derr = dec.Decode(&bom.Metadata)
		case "services":
			derr = dec.Decode(&bom.Services)
		case "dependencies":
			derr = dec.Decode(&bom.Dependencies)
		case "compositions":
			derr = dec.Decode(&bom.Compositions)
		case "vulnerabilities":
			var vs []gojson.RawMessage
			derr = dec.Decode(&vs)
			vulns = len(vs)
		default:
			var skip gojson.RawMessage
			derr = dec.Decode(&skip)
		}
		if derr != nil {
			return nil, sent, errFastJSON
		}
	}
	if t, err := dec.Token(); err != nil || t != gojson.Delim('}') {
		return nil, sent, errFastJSON
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, sent, errFastJSON // trailing data
	}
	if bom.BOMFormat != cdx.BOMFormat {
		return nil, sent, &input.Error{File: name, Pointer: "/bomFormat", Rule: "schema",
			Err: fmt.Errorf("bomFormat is %q, want %q", bom.BOMFormat, cdx.BOMFormat)}
	}
	spec, ok := cdxSpecVersions[bom.SpecVersion]
	if !ok {
		return nil, sent, &input.Error{File: name, Pointer: "/specVersion", Rule: "spec version",
			Err: fmt.Errorf("CycloneDX %s is not supported; Siegel reads CycloneDX 1.2 to 1.7", bom.SpecVersion)}
	}
	doc = &Document{Format: CycloneDXJSON, SpecVersion: spec, Serial: bom.SerialNumber, Version: bom.Version, VulnerabilityEntries: vulns}
	if err := c.metadata(doc, bom.Metadata); err != nil {
		return nil, sent, err
	}
	if each != nil {
		if err := handOver(doc.Components, each, &sent); err != nil {
			return nil, sent, err
		}
		doc.Components = nil
	} else {
		// The metadata's components go first. comps was sized by counting "type" keys, which the
		// metadata component has too, so this moves the slice's elements rather than copying it.
		doc.Components = slices.Insert(comps.Components, 0, doc.Components...)
	}
	if bom.Services != nil {
		if err := c.services(doc, *bom.Services, "/services"); err != nil {
			return nil, sent, err
		}
	}
	if err := c.dependencies(doc, bom.Dependencies, bom.Compositions); err != nil {
		return nil, sent, err
	}
	return doc, sent, nil
}

func cdxVulnerability(v Vulnerability) cdx.Vulnerability {
	out := cdx.Vulnerability{ID: v.ID, Description: v.Description, Recommendation: v.Recommendation}
	if v.SourceName != "" {
		out.Source = &cdx.Source{Name: v.SourceName, URL: v.SourceURL}
	}
	if !v.Published.IsZero() {
		out.Published = v.Published.UTC().Format(time.RFC3339)
	}
	if len(v.Aliases) > 0 {
		refs := make([]cdx.VulnerabilityReference, 0, len(v.Aliases))
		for _, a := range v.Aliases {
			refs = append(refs, cdx.VulnerabilityReference{ID: a, Source: &cdx.Source{Name: aliasSource(a)}})
		}
		out.References = &refs
	}
	if len(v.Ratings) > 0 {
		rs := make([]cdx.VulnerabilityRating, 0, len(v.Ratings))
		for _, r := range v.Ratings {
			cr := cdx.VulnerabilityRating{Severity: cdx.Severity(r.Severity), Method: cdx.ScoringMethod(r.Method), Vector: r.Vector}
			if r.Score > 0 {
				score := r.Score
				cr.Score = &score
			}
			rs = append(rs, cr)
		}
		out.Ratings = &rs
	}
	if len(v.Affects) > 0 {
		as := make([]cdx.Affects, 0, len(v.Affects))
		for _, ref := range v.Affects {
			as = append(as, cdx.Affects{Ref: ref})
		}
		out.Affects = &as
	}
	if len(v.Properties) > 0 {
		ps := make([]cdx.Property, 0, len(v.Properties))
		for _, p := range v.Properties {
			ps = append(ps, cdx.Property{Name: p.Name, Value: p.Value})
		}
		out.Properties = &ps
	}
	return out
}

// aliasSource names the database an id comes from, by its prefix.
func aliasSource(id string) string {
	prefix, _, _ := strings.Cut(id, "-")
	switch prefix {
	case "CVE":
		return "NVD"
	case "GHSA":
		return "GitHub Advisory Database"
	case "EUVD":
		return "ENISA EUVD"
	}
	return "OSV"
}
