package sbom

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/purl"
)

// spdxDoc is the part of an SPDX 2.x document Siegel uses. The JSON and tag-value readers both
// fill it; positions (line for tag-value, index for JSON pointers) are kept for error messages.
type spdxDoc struct {
	SPDXVersion       string             `json:"spdxVersion"`
	DataLicense       string             `json:"dataLicense"`
	SPDXID            string             `json:"SPDXID"`
	Name              string             `json:"name"`
	DocumentNamespace string             `json:"documentNamespace"`
	CreationInfo      spdxCreationInfo   `json:"creationInfo"`
	DocumentDescribes []string           `json:"documentDescribes,omitempty"`
	Packages          []spdxPackage      `json:"packages,omitempty"`
	Files             []spdxFile         `json:"files,omitempty"`
	Relationships     []spdxRelationship `json:"relationships,omitempty"`
	ExtractedLicenses []spdxExtracted    `json:"hasExtractedLicensingInfos,omitempty"`

	line       int // tag-value: line of SPDXVersion
	tagValue   bool
	snippetIDs []string
}

type spdxCreationInfo struct {
	Created  string   `json:"created"`
	Creators []string `json:"creators"`
}

type spdxPackage struct {
	SPDXID                string            `json:"SPDXID"`
	Name                  string            `json:"name"`
	VersionInfo           string            `json:"versionInfo,omitempty"`
	PackageFileName       string            `json:"packageFileName,omitempty"`
	Supplier              string            `json:"supplier,omitempty"`
	Originator            string            `json:"originator,omitempty"`
	DownloadLocation      string            `json:"downloadLocation"`
	FilesAnalyzed         *bool             `json:"filesAnalyzed,omitempty"`
	Checksums             []spdxChecksum    `json:"checksums,omitempty"`
	LicenseConcluded      string            `json:"licenseConcluded,omitempty"`
	LicenseDeclared       string            `json:"licenseDeclared,omitempty"`
	CopyrightText         string            `json:"copyrightText,omitempty"`
	Description           string            `json:"description,omitempty"`
	ExternalRefs          []spdxExternalRef `json:"externalRefs,omitempty"`
	PrimaryPackagePurpose string            `json:"primaryPackagePurpose,omitempty"`
	Comment               string            `json:"comment,omitempty"`

	line int
}

type spdxFile struct {
	SPDXID   string `json:"SPDXID"`
	FileName string `json:"fileName"`
	line     int
}

type spdxChecksum struct {
	Algorithm string `json:"algorithm"`
	Value     string `json:"checksumValue"`
}

type spdxExternalRef struct {
	Category string `json:"referenceCategory"`
	Type     string `json:"referenceType"`
	Locator  string `json:"referenceLocator"`
}

type spdxRelationship struct {
	Element string `json:"spdxElementId"`
	Type    string `json:"relationshipType"`
	Related string `json:"relatedSpdxElement"`
	line    int
}

type spdxExtracted struct {
	LicenseID     string `json:"licenseId"`
	ExtractedText string `json:"extractedText"`
	Name          string `json:"name,omitempty"`
}

func decodeSPDXJSON(name string, data []byte, limits input.Limits) (*Document, error) {
	var d spdxDoc
	if err := fastUnmarshal(data, &d); err != nil {
		d = spdxDoc{}
		if err := json.Unmarshal(data, &d); err != nil {
			return nil, jsonError(name, data, err)
		}
	}
	return d.toDocument(name, SPDXJSON)
}

// spdxErr positions an error at a tag-value line or a JSON pointer.
func (d *spdxDoc) spdxErr(name string, line int, pointer, rule, format string, args ...any) error {
	e := &input.Error{File: name, Rule: rule, Err: fmt.Errorf(format, args...)}
	if d.tagValue {
		e.Line = line
	} else {
		e.Pointer = pointer
	}
	return e
}

func (d *spdxDoc) toDocument(name string, f Format) (*Document, error) {
	spec, ok := strings.CutPrefix(d.SPDXVersion, "SPDX-")
	if !ok || !slices.Contains([]string{"2.1", "2.2", "2.3"}, spec) {
		return nil, d.spdxErr(name, d.line, "/spdxVersion", "spec version",
			"spdxVersion %q is not supported; Siegel reads SPDX 2.2 and 2.3 (and 3.0.1 as JSON-LD)", d.SPDXVersion)
	}
	doc := &Document{Format: f, SpecVersion: spec, Serial: d.DocumentNamespace, Name: d.Name}
	if d.CreationInfo.Created != "" {
		t, err := time.Parse(time.RFC3339, d.CreationInfo.Created)
		if err != nil {
			return nil, d.spdxErr(name, d.line, "/creationInfo/created", "schema", "created %q is not a date-time such as 2026-01-31T12:00:00Z", d.CreationInfo.Created)
		}
		doc.Created = t.UTC()
	}
	for _, c := range d.CreationInfo.Creators {
		doc.Creators = append(doc.Creators, parseSPDXCreator(c))
	}

	known := map[string]bool{d.SPDXID: true, "NONE": true, "NOASSERTION": true}
	for _, s := range d.snippetIDs {
		known[s] = true
	}
	files := map[string]string{}
	for _, fl := range d.Files {
		known[fl.SPDXID] = true
		files[fl.SPDXID] = fl.FileName
	}
	extracted := map[string]string{}
	for _, x := range d.ExtractedLicenses {
		if x.Name != "" && x.Name != "NOASSERTION" && !isLicenseID(x.Name) {
			extracted[x.LicenseID] = x.Name
		}
	}
	refs := map[string]int{}
	for i := range d.Packages {
		p := &d.Packages[i]
		at := "/packages/" + strconv.Itoa(i)
		if p.SPDXID == "" {
			return nil, d.spdxErr(name, p.line, at+"/SPDXID", "schema", "package %q has no SPDXID", p.Name)
		}
		if _, dup := refs[p.SPDXID]; dup || known[p.SPDXID] {
			return nil, d.spdxErr(name, p.line, at+"/SPDXID", "unique SPDXID", "SPDXID %q is used more than once", p.SPDXID)
		}
		if p.Name == "" {
			return nil, d.spdxErr(name, p.line, at+"/name", "schema", "package %s has no name", p.SPDXID)
		}
		c := Component{Ref: p.SPDXID, Name: p.Name, Version: p.VersionInfo, Description: p.Description,
			Type: strings.ToLower(p.PrimaryPackagePurpose)}
		if p.PackageFileName != "" {
			c.Files = []string{p.PackageFileName}
		}
		c.Supplier = spdxAgentName(p.Supplier)
		c.Author = spdxAgentName(p.Originator)
		if c.Author != "" {
			c.AuthorContact = parseSPDXCreator(p.Originator).Email
		}
		for j, cs := range p.Checksums {
			alg, ok := ParseHashAlgorithm(cs.Algorithm)
			v := strings.ToLower(strings.TrimSpace(cs.Value))
			if !ok {
				continue // SPDX also allows MD2, MD4, MD6, SHA224, ADLER32, which Siegel does not carry
			}
			if !ValidHashValue(alg, v) {
				return nil, d.spdxErr(name, p.line, at+"/checksums/"+strconv.Itoa(j), "hash", "%s value %q is not a hex digest of the right length", alg, cs.Value)
			}
			c.Hashes = appendHash(c.Hashes, Hash{Algorithm: alg, Value: v})
		}
		for _, l := range []struct {
			expr string
			kind LicenseKind
		}{{p.LicenseDeclared, LicenseDeclared}, {p.LicenseConcluded, LicenseConcluded}} {
			if l.expr != "" && l.expr != "NOASSERTION" && l.expr != "NONE" {
				if n, ok := extracted[l.expr]; ok {
					l.expr = n // a free-text licence the writer turned into a LicenseRef
				}
				c.Licenses = append(c.Licenses, License{Expression: l.expr, Kind: l.kind})
			}
		}
		for j, r := range p.ExternalRefs {
			switch r.Type {
			case "purl":
				if c.PURL != "" {
					continue
				}
				canon, err := purl.Canonical(r.Locator)
				if err != nil {
					return nil, d.spdxErr(name, p.line, at+"/externalRefs/"+strconv.Itoa(j)+"/referenceLocator", "purl", "%v", err)
				}
				c.PURL = canon
			case "cpe23Type", "cpe22Type":
				c.CPEs = appendUnique(c.CPEs, r.Locator)
			case "swid":
				c.SWID = cmpOr(c.SWID, r.Locator)
			}
		}
		refs[p.SPDXID] = len(doc.Components)
		doc.Components = append(doc.Components, c)
	}
	for id := range refs {
		known[id] = true
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
	var described []string
	described = append(described, d.DocumentDescribes...)
	for i, r := range d.Relationships {
		at := "/relationships/" + strconv.Itoa(i)
		for _, end := range []struct{ id, field string }{{r.Element, "spdxElementId"}, {r.Related, "relatedSpdxElement"}} {
			if !known[end.id] && !strings.HasPrefix(end.id, "DocumentRef-") {
				return nil, d.spdxErr(name, r.line, at+"/"+end.field, "dangling reference",
					"relationship %s names %q, which no element of the document has", r.Type, end.id)
			}
		}
		from, to := r.Element, r.Related
		switch r.Type {
		case "DESCRIBES":
			if r.Element == d.SPDXID {
				described = append(described, r.Related)
			}
			continue
		case "DESCRIBED_BY":
			if r.Related == d.SPDXID {
				described = append(described, r.Element)
			}
			continue
		case "CONTAINS":
			if _, isPkg := refs[from]; isPkg {
				if fn, isFile := files[to]; isFile && fn != "" {
					c := &doc.Components[refs[from]]
					c.Files = appendUnique(c.Files, fn)
				}
			}
			continue
		case "DEPENDS_ON":
		case "DEPENDENCY_OF", "DEV_DEPENDENCY_OF", "BUILD_DEPENDENCY_OF", "RUNTIME_DEPENDENCY_OF",
			"OPTIONAL_DEPENDENCY_OF", "PROVIDED_DEPENDENCY_OF", "TEST_DEPENDENCY_OF":
			from, to = to, from
		default:
			continue
		}
		if _, ok := refs[from]; !ok {
			continue // edges from files, snippets or other documents are outside the component graph
		}
		switch to {
		case "NONE":
			dep(from).Completeness = CompletenessComplete
		case "NOASSERTION":
			dep(from).Completeness = CompletenessIncomplete
		default:
			if _, ok := refs[to]; ok {
				e := dep(from)
				e.DependsOn = appendUnique(e.DependsOn, to)
			}
		}
	}
	for _, s := range described {
		if _, ok := refs[s]; ok {
			doc.Subject = s
			break
		}
	}
	return doc, nil
}

// parseSPDXCreator parses "Tool: name-1.2", "Organization: ACME (psirt@acme.example)" and
// "Person: Jane Doe (jane@example.org)".
func parseSPDXCreator(s string) Creator {
	kind, rest, _ := strings.Cut(s, ":")
	rest = strings.TrimSpace(rest)
	cr := Creator{Name: rest}
	switch strings.TrimSpace(kind) {
	case "Tool":
		cr.Kind = CreatorTool
		if i := strings.LastIndexByte(rest, '-'); i > 0 && i+1 < len(rest) && rest[i+1] >= '0' && rest[i+1] <= '9' {
			cr.Name, cr.Version = rest[:i], rest[i+1:]
		}
		return cr
	case "Organization":
		cr.Kind = CreatorOrganization
	default:
		cr.Kind = CreatorPerson
	}
	if i := strings.LastIndexByte(rest, '('); i >= 0 && strings.HasSuffix(rest, ")") {
		cr.Name = strings.TrimSpace(rest[:i])
		cr.Email = strings.TrimSpace(rest[i+1 : len(rest)-1])
	}
	return cr
}

// spdxAgentName strips the "Organization: " or "Person: " prefix and the email of an SPDX agent.
func spdxAgentName(s string) string {
	if s == "" || s == "NOASSERTION" {
		return ""
	}
	cr := parseSPDXCreator(s)
	return cr.Name
}

var spdxIDUnsafe = regexp.MustCompile(`[^A-Za-z0-9.\-]+`)

// spdxHashNames maps Siegel's algorithms to SPDX 2.3 checksum algorithm names.
var spdxHashNames = map[HashAlgorithm]string{
	MD5: "MD5", SHA1: "SHA1", SHA256: "SHA256", SHA384: "SHA384", SHA512: "SHA512",
	SHA3_256: "SHA3-256", SHA3_384: "SHA3-384", SHA3_512: "SHA3-512",
	BLAKE2b256: "BLAKE2b-256", BLAKE2b384: "BLAKE2b-384", BLAKE2b512: "BLAKE2b-512", BLAKE3: "BLAKE3",
}

func encodeSPDXJSON(w io.Writer, doc *Document) error {
	out := spdxDoc{
		SPDXVersion: "SPDX-2.3", DataLicense: "CC0-1.0", SPDXID: "SPDXRef-DOCUMENT",
		Name: cmpOr(doc.Name, "sbom"), DocumentNamespace: doc.Serial,
	}
	if !strings.Contains(out.DocumentNamespace, "://") {
		out.DocumentNamespace = "https://spdx.siegel.invalid/" + strings.TrimPrefix(contentSerial(doc), "urn:uuid:")
	}
	created := doc.Created
	if created.IsZero() {
		created = time.Unix(0, 0)
	}
	out.CreationInfo.Created = created.UTC().Format(time.RFC3339)
	for _, cr := range doc.Creators {
		switch cr.Kind {
		case CreatorTool:
			out.CreationInfo.Creators = append(out.CreationInfo.Creators, "Tool: "+joinNonEmpty("-", cr.Name, cr.Version))
		case CreatorOrganization:
			out.CreationInfo.Creators = append(out.CreationInfo.Creators, "Organization: "+cr.Name+emailSuffix(cr.Email))
		case CreatorPerson:
			out.CreationInfo.Creators = append(out.CreationInfo.Creators, "Person: "+cr.Name+emailSuffix(cr.Email))
		}
	}
	if len(out.CreationInfo.Creators) == 0 {
		out.CreationInfo.Creators = []string{"Tool: siegel"}
	}

	ids := make(map[string]string, len(doc.Components)+len(doc.Services))
	used := map[string]bool{"SPDXRef-DOCUMENT": true}
	assign := func(ref string, n int) {
		id := ref
		if !strings.HasPrefix(id, "SPDXRef-") || spdxIDUnsafe.MatchString(id) {
			id = "SPDXRef-" + strings.Trim(spdxIDUnsafe.ReplaceAllString(ref, "-"), "-")
		}
		if id == "SPDXRef-" || used[id] {
			id = "SPDXRef-Package-" + strconv.Itoa(n)
		}
		used[id] = true
		ids[ref] = id
	}
	for i, c := range doc.Components {
		assign(c.Ref, i+1)
	}
	for i, sv := range doc.Services {
		assign(sv.Ref, len(doc.Components)+i+1)
	}
	extracted := map[string]string{}
	for _, c := range doc.Components {
		p := spdxPackage{
			SPDXID: ids[c.Ref], Name: c.Name, VersionInfo: c.Version, DownloadLocation: "NOASSERTION",
			Description: c.Description, PrimaryPackagePurpose: strings.ToUpper(c.Type),
			LicenseConcluded: "NOASSERTION", LicenseDeclared: "NOASSERTION", CopyrightText: "NOASSERTION",
		}
		if !slices.Contains([]string{"APPLICATION", "FRAMEWORK", "LIBRARY", "CONTAINER", "OPERATING-SYSTEM",
			"DEVICE", "FIRMWARE", "SOURCE", "ARCHIVE", "FILE", "INSTALL", "OTHER"}, p.PrimaryPackagePurpose) {
			p.PrimaryPackagePurpose = ""
		}
		f := false
		p.FilesAnalyzed = &f
		if len(c.Files) > 0 {
			p.PackageFileName = c.Files[0]
		}
		if c.Supplier != "" {
			p.Supplier = "Organization: " + c.Supplier
		}
		if c.Author != "" {
			p.Originator = "Organization: " + c.Author
			if c.AuthorContact != "" && !strings.Contains(c.AuthorContact, "://") {
				p.Originator += " (" + c.AuthorContact + ")"
			}
		}
		for _, h := range c.Hashes {
			if n, ok := spdxHashNames[h.Algorithm]; ok {
				p.Checksums = append(p.Checksums, spdxChecksum{Algorithm: n, Value: h.Value})
			}
		}
		for _, l := range c.Licenses {
			expr := l.Expression
			if !isLicenseID(expr) && !isExpression(expr) {
				ref := "LicenseRef-" + strings.Trim(spdxIDUnsafe.ReplaceAllString(expr, "-"), "-")
				extracted[ref] = expr
				expr = ref
			}
			if l.Kind == LicenseConcluded {
				p.LicenseConcluded = expr
			} else {
				p.LicenseDeclared = expr
			}
		}
		if c.PURL != "" {
			p.ExternalRefs = append(p.ExternalRefs, spdxExternalRef{Category: "PACKAGE-MANAGER", Type: "purl", Locator: c.PURL})
		}
		for _, cpe := range c.CPEs {
			typ := "cpe23Type"
			if strings.HasPrefix(cpe, "cpe:/") {
				typ = "cpe22Type"
			}
			p.ExternalRefs = append(p.ExternalRefs, spdxExternalRef{Category: "SECURITY", Type: typ, Locator: cpe})
		}
		out.Packages = append(out.Packages, p)
	}
	// SPDX 2.3 has no services: each is written as a package of purpose OTHER whose comment
	// says it is a service and where it is reached, so that it and the edges to it survive.
	for _, sv := range doc.Services {
		p := spdxPackage{
			SPDXID: ids[sv.Ref], Name: sv.Name, VersionInfo: sv.Version, DownloadLocation: "NOASSERTION",
			Description: sv.Description, PrimaryPackagePurpose: "OTHER",
			LicenseConcluded: "NOASSERTION", LicenseDeclared: "NOASSERTION", CopyrightText: "NOASSERTION",
			Comment: strings.TrimSpace("CycloneDX service " + strings.Join(sv.Endpoints, " ")),
		}
		f := false
		p.FilesAnalyzed = &f
		if sv.Provider != "" {
			p.Supplier = "Organization: " + sv.Provider
		}
		for _, l := range sv.Licenses {
			if isLicenseID(l.Expression) || isExpression(l.Expression) {
				p.LicenseDeclared = l.Expression
			}
		}
		out.Packages = append(out.Packages, p)
	}
	for _, ref := range slices.Sorted(maps.Keys(extracted)) {
		out.ExtractedLicenses = append(out.ExtractedLicenses, spdxExtracted{LicenseID: ref, Name: extracted[ref], ExtractedText: extracted[ref]})
	}
	if doc.Subject != "" {
		if id, ok := ids[doc.Subject]; ok {
			out.DocumentDescribes = nil
			out.Relationships = append(out.Relationships, spdxRelationship{Element: out.SPDXID, Type: "DESCRIBES", Related: id})
		}
	}
	for _, d := range doc.Dependencies {
		from, ok := ids[d.Ref]
		if !ok {
			continue
		}
		for _, to := range d.DependsOn {
			if t, ok := ids[to]; ok {
				out.Relationships = append(out.Relationships, spdxRelationship{Element: from, Type: "DEPENDS_ON", Related: t})
			}
		}
		switch {
		case d.Completeness == CompletenessComplete && len(d.DependsOn) == 0:
			out.Relationships = append(out.Relationships, spdxRelationship{Element: from, Type: "DEPENDS_ON", Related: "NONE"})
		case d.Completeness == CompletenessIncomplete:
			out.Relationships = append(out.Relationships, spdxRelationship{Element: from, Type: "DEPENDS_ON", Related: "NOASSERTION"})
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&out); err != nil {
		return fmt.Errorf("encode SPDX: %w", err)
	}
	return nil
}

func emailSuffix(email string) string {
	if email == "" {
		return ""
	}
	return " (" + email + ")"
}
