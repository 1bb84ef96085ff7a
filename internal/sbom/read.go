package sbom

import (
	"fmt"
	"io"

	"github.com/siegel-oss/siegel/internal/input"
)

// Read decodes the SBOM in r, detecting its format from the content. name identifies the input in
// error messages (a file name, or "-" for standard input). Every error is an *input.Error.
func Read(name string, r io.Reader, limits input.Limits) (*Document, error) {
	data, err := input.ReadAll(name, r, limits)
	if err != nil {
		return nil, err
	}
	return Decode(name, data, limits)
}

// Decode is Read for a document already in memory.
func Decode(name string, data []byte, limits input.Limits) (*Document, error) {
	return decode(name, data, limits, nil)
}

// DecodeEach is Decode for a reader that needs each component only once, such as vulnerability
// matching: every component is handed to each as soon as it is read and is not kept, so that a
// large CycloneDX JSON SBOM is never held in the model whole. Components come in the order they
// are read; CycloneDX's metadata.component comes last. The returned Document has everything but
// its Components. An error from each stops decoding and is returned as it is.
func DecodeEach(name string, data []byte, limits input.Limits, each func(Component) error) (*Document, error) {
	doc, err := decode(name, data, limits, each)
	if err != nil || doc.Components == nil {
		return doc, err
	}
	// The format has no streaming reader: the document was decoded whole.
	var n int
	if err := handOver(doc.Components, each, &n); err != nil {
		return nil, err
	}
	doc.Components = nil
	return doc, nil
}

// handOver hands comps to each in order, counting in *n those it took.
func handOver(comps []Component, each func(Component) error, n *int) error {
	for _, c := range comps {
		if err := each(c); err != nil {
			return err
		}
		*n++
	}
	return nil
}

// decode reads data; a CycloneDX JSON document is streamed to each when it is not nil.
func decode(name string, data []byte, limits input.Limits, each func(Component) error) (*Document, error) {
	if limits.MaxDepth <= 0 {
		limits.MaxDepth = input.DefaultMaxDepth
	}
	if input.LooksBinary(data) {
		return nil, &input.Error{File: name, Line: 1, Column: 1, Rule: "format",
			Err: fmt.Errorf("binary data, not an SBOM; give a CycloneDX (JSON or XML) or SPDX (JSON, tag-value or 3.0 JSON-LD) document")}
	}
	format, err := Detect(data)
	if err != nil {
		return nil, &input.Error{File: name, Line: 1, Column: 1, Rule: "format", Err: err}
	}
	switch format {
	case CycloneDXJSON, SPDXJSON, SPDX3JSONLD:
		if err := input.CheckJSONStructure(name, data, limits.MaxDepth); err != nil {
			return nil, err
		}
	}
	var doc *Document
	switch format {
	case CycloneDXJSON, CycloneDXXML:
		doc, err = decodeCycloneDX(name, data, format, limits, limitEach(name, each))
	case SPDXJSON:
		doc, err = decodeSPDXJSON(name, data, limits)
	case SPDXTagValue:
		doc, err = decodeSPDXTagValue(name, data, limits)
	case SPDX3JSONLD:
		doc, err = decodeSPDX3(name, data, limits)
	default:
		return nil, &input.Error{File: name, Rule: "format", Err: fmt.Errorf("format %s cannot be read", format)}
	}
	if err == nil {
		err = checkLimits(name, doc)
	}
	if err != nil {
		return nil, err
	}
	return doc, nil
}

// Write encodes doc in format f. CycloneDX is written as spec version 1.6, SPDX as 2.3.
func Write(w io.Writer, doc *Document, f Format) error {
	switch f {
	case CycloneDXJSON, CycloneDXXML:
		return encodeCycloneDX(w, doc, f)
	case SPDXJSON:
		return encodeSPDXJSON(w, doc)
	}
	return fmt.Errorf("cannot write SBOM format %q; choose cyclonedx-json, cyclonedx-xml or spdx-json", f)
}

// WritableFormats lists the formats Write supports, for help texts and flag validation.
var WritableFormats = []Format{CycloneDXJSON, CycloneDXXML, SPDXJSON}
