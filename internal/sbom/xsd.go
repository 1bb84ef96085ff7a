package sbom

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/xsd"
)

var (
	xsdMu   sync.Mutex
	xsdSets = map[string]*xsd.Set{}
)

// cycloneDXXSD compiles (once) the XML schema of a CycloneDX spec version with the SPDX licence
// schema every bom-1.x.xsd imports.
func cycloneDXXSD(spec string) (*xsd.Set, error) {
	xsdMu.Lock()
	defer xsdMu.Unlock()
	if s, ok := xsdSets[spec]; ok {
		return s, nil
	}
	s, err := xsd.Compile(schemaFS, "schema/bom-"+spec+".xsd", "schema/spdx.xsd")
	if err != nil {
		return nil, fmt.Errorf("compile CycloneDX %s XML schema: %w", spec, err)
	}
	xsdSets[spec] = s
	return s, nil
}

// xmlSpecVersion reads the CycloneDX spec version from the namespace of the root element.
func xmlSpecVersion(data []byte) (string, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return "", errors.New("no root element")
		}
		if err != nil {
			return "", err
		}
		if se, ok := tok.(xml.StartElement); ok {
			v, ok := strings.CutPrefix(se.Name.Space, "http://cyclonedx.org/schema/bom/")
			if !ok || se.Name.Local != "bom" {
				return "", fmt.Errorf("root element {%s}%s is not a CycloneDX bom", se.Name.Space, se.Name.Local)
			}
			return v, nil
		}
	}
}

// checkCycloneDXXSD validates a CycloneDX XML document against the published XSD of its spec
// version. Element paths and lines locate each problem.
func checkCycloneDXXSD(data []byte) ([]SchemaProblem, error) {
	// The validator refuses document type declarations and bounds the depth itself, in the one
	// pass it makes over the document.
	spec, err := xmlSpecVersion(data)
	if err != nil {
		return nil, err
	}
	known := false
	for _, v := range cdxSpecVersions {
		known = known || v == spec
	}
	if !known {
		return nil, fmt.Errorf("no XML schema for CycloneDX %q; Siegel reads CycloneDX 1.2 to 1.7", spec)
	}
	set, err := cycloneDXXSD(spec)
	if err != nil {
		return nil, err
	}
	problems, err := set.Validate(bytes.NewReader(data), xsd.Limits{MaxDepth: input.DefaultMaxDepth, MaxProblems: maxSchemaProblems})
	if err != nil {
		return nil, &input.Error{Rule: "XML", Err: err}
	}
	out := make([]SchemaProblem, 0, len(problems))
	for _, p := range problems {
		out = append(out, SchemaProblem{Pointer: p.Path, Line: p.Line, Message: p.Message})
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}
