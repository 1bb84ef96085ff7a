package sbom

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// The CycloneDX JSON schemas and XML schemas (XSD), as published (see schema/NOTICE).
//
//go:embed schema/*.json schema/*.xsd
var schemaFS embed.FS

// SchemaProblem is one violation of a format's schema.
type SchemaProblem struct {
	Pointer string `json:"pointer"`        // JSON pointer into the document; for XML, the element path
	Line    int    `json:"line,omitempty"` // XML: line of the element at fault
	Message string `json:"message"`
}

// maxSchemaProblems bounds the report; a broken generator repeats one mistake thousands of times.
const maxSchemaProblems = 100

var schemaPrinter = message.NewPrinter(language.English)

var (
	schemaOnce sync.Mutex
	schemas    = map[string]*jsonschema.Schema{}
)

// cycloneDXSchema compiles (once) the JSON schema of a CycloneDX spec version.
func cycloneDXSchema(spec string) (*jsonschema.Schema, error) {
	schemaOnce.Lock()
	defer schemaOnce.Unlock()
	if s, ok := schemas[spec]; ok {
		return s, nil
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	entries, err := schemaFS.ReadDir("schema")
	if err != nil {
		return nil, err
	}
	var target string
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		data, err := schemaFS.ReadFile("schema/" + e.Name())
		if err != nil {
			return nil, err
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("embedded schema %s: %w", e.Name(), err)
		}
		// Register each schema under its file name (how the bom schemas refer to spdx and jsf)
		// and under its $id.
		url := "http://cyclonedx.org/schema/" + e.Name()
		if err := c.AddResource(url, doc); err != nil {
			return nil, err
		}
		if e.Name() == "bom-"+spec+".schema.json" {
			target = url
		}
	}
	if target == "" {
		return nil, fmt.Errorf("no JSON schema for CycloneDX %s", spec)
	}
	s, err := c.Compile(target)
	if err != nil {
		return nil, fmt.Errorf("compile CycloneDX %s schema: %w", spec, err)
	}
	schemas[spec] = s
	return s, nil
}

// CheckSchema validates data, which must be in format f, against the format's schema. CycloneDX
// JSON is validated against the published JSON schema of its spec version; CycloneDX XML against
// the published XML schema (XSD) of its spec version with the SPDX licence schema it imports;
// SPDX against the required fields of the SPDX specification (2.3 clauses 6-7, 3.0.1 Core
// profile).
func CheckSchema(data []byte, f Format) ([]SchemaProblem, error) {
	switch f {
	case CycloneDXJSON, CycloneDXXML:
		return checkCycloneDXSchema(data, f)
	case SPDXJSON, SPDXTagValue:
		return checkSPDX2Fields(data, f)
	case SPDX3JSONLD:
		return checkSPDX3Fields(data)
	}
	return nil, fmt.Errorf("no schema check for format %s", f)
}

func checkCycloneDXSchema(data []byte, f Format) ([]SchemaProblem, error) {
	if f == CycloneDXXML {
		return checkCycloneDXXSD(data)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	m, _ := inst.(map[string]any)
	spec, _ := m["specVersion"].(string)
	s, err := cycloneDXSchema(spec)
	if err != nil {
		return nil, err
	}
	err = s.Validate(inst)
	var ve *jsonschema.ValidationError
	if err == nil {
		return nil, nil
	}
	if !errors.As(err, &ve) {
		return nil, err
	}
	var out []SchemaProblem
	seen := map[string]bool{}
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(out) >= maxSchemaProblems {
			return
		}
		if len(e.Causes) == 0 {
			msg := e.ErrorKind.LocalizedString(schemaPrinter)
			if len(msg) > 300 {
				msg = msg[:300] + "..." // enum lists such as the SPDX licence ids run to thousands of characters
			}
			p := SchemaProblem{Pointer: "/" + strings.Join(e.InstanceLocation, "/"), Message: msg}
			if p.Pointer == "/" {
				p.Pointer = ""
			}
			if key := p.Pointer + "\x00" + p.Message; !seen[key] {
				seen[key] = true
				out = append(out, p)
			}
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	return out, nil
}

// checkSPDX2Fields reports fields SPDX 2.x requires (spec clauses 6 "Document creation
// information" and 7 "Package information") that the document lacks.
func checkSPDX2Fields(data []byte, f Format) ([]SchemaProblem, error) {
	var d spdxDoc
	if f == SPDXJSON {
		if err := json.Unmarshal(data, &d); err != nil {
			return nil, err
		}
	} else {
		var err error
		if d, err = parseSPDXTagValue("", data); err != nil {
			return nil, err
		}
	}
	var out []SchemaProblem
	ver := strings.TrimPrefix(d.SPDXVersion, "SPDX-")
	miss := func(ptr, field, clause string) {
		if len(out) < maxSchemaProblems {
			out = append(out, SchemaProblem{Pointer: ptr, Message: fmt.Sprintf("required field %s is missing (SPDX %s clause %s)", field, ver, clause)})
		}
	}
	if d.DataLicense != "CC0-1.0" {
		out = append(out, SchemaProblem{Pointer: "/dataLicense", Message: fmt.Sprintf("dataLicense must be CC0-1.0, is %q (SPDX 2.3 clause 6.2)", d.DataLicense)})
	}
	if d.SPDXID != "SPDXRef-DOCUMENT" {
		out = append(out, SchemaProblem{Pointer: "/SPDXID", Message: fmt.Sprintf("document SPDXID must be SPDXRef-DOCUMENT, is %q (SPDX 2.3 clause 6.3)", d.SPDXID)})
	}
	if d.Name == "" {
		miss("/name", "name", "6.4")
	}
	if d.DocumentNamespace == "" {
		miss("/documentNamespace", "documentNamespace", "6.5")
	}
	if len(d.CreationInfo.Creators) == 0 {
		miss("/creationInfo/creators", "creators", "6.8")
	}
	if d.CreationInfo.Created == "" {
		miss("/creationInfo/created", "created", "6.9")
	}
	old := d.SPDXVersion == "SPDX-2.2" || d.SPDXVersion == "SPDX-2.1"
	for i, p := range d.Packages {
		at := fmt.Sprintf("/packages/%d/", i)
		if p.DownloadLocation == "" {
			miss(at+"downloadLocation", "downloadLocation", "7.7")
		}
		if old {
			// SPDX 2.2 still required these; 2.3 made them optional.
			for _, fld := range []struct{ v, name, clause string }{
				{p.LicenseConcluded, "licenseConcluded", "7.13"},
				{p.LicenseDeclared, "licenseDeclared", "7.15"},
			} {
				if fld.v == "" {
					miss(at+fld.name, fld.name, fld.clause)
				}
			}
		}
	}
	return out, nil
}

// checkSPDX3Fields checks what the SPDX 3.0.1 Core profile requires of every element: a type, an
// spdxId (blank nodes excepted) and creationInfo.
func checkSPDX3Fields(data []byte) ([]SchemaProblem, error) {
	var top struct {
		Graph []map[string]json.RawMessage `json:"@graph"`
	}
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, err
	}
	var out []SchemaProblem
	noCreationInfo := []string{"CreationInfo", "Hash", "ExternalIdentifier", "ExternalRef", "PackageVerificationCode"}
	for i, e := range top.Graph {
		at := fmt.Sprintf("/@graph/%d", i)
		var typ string
		if err := json.Unmarshal(cmpRaw(e["type"], e["@type"]), &typ); err != nil || typ == "" {
			out = append(out, SchemaProblem{Pointer: at + "/type", Message: "element has no type"})
			continue
		}
		if slices.Contains(noCreationInfo, typ) {
			continue
		}
		if e["spdxId"] == nil && e["@id"] == nil {
			out = append(out, SchemaProblem{Pointer: at + "/spdxId", Message: typ + " element has no spdxId"})
		}
		if e["creationInfo"] == nil {
			out = append(out, SchemaProblem{Pointer: at + "/creationInfo", Message: typ + " element has no creationInfo"})
		}
		if len(out) >= maxSchemaProblems {
			break
		}
	}
	return out, nil
}

func cmpRaw(a, b json.RawMessage) json.RawMessage {
	if a != nil {
		return a
	}
	if b != nil {
		return b
	}
	return json.RawMessage(`""`)
}

var (
	spdxIDsOnce sync.Once
	spdxIDs     map[string]bool
)

// isListedLicense reports whether id is on the SPDX licence list (or its exceptions) as the
// embedded CycloneDX spdx.schema.json enumerates it; only those may appear as a CycloneDX license.id.
func isListedLicense(id string) bool {
	spdxIDsOnce.Do(func() {
		spdxIDs = map[string]bool{}
		data, err := schemaFS.ReadFile("schema/spdx.schema.json")
		if err != nil {
			return
		}
		var s struct {
			Enum []string `json:"enum"`
		}
		if json.Unmarshal(data, &s) == nil {
			for _, e := range s.Enum {
				spdxIDs[e] = true
			}
		}
	})
	return spdxIDs[id]
}
