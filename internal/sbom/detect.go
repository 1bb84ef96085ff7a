package sbom

import (
	"bytes"
	"errors"
	"slices"
	"strings"
)

// ErrUnknownFormat is wrapped by Detect's error for content that is not an SBOM Siegel reads.
var ErrUnknownFormat = errors.New("not a CycloneDX or SPDX document")

// Detect tells the format of an SBOM from its content, never from a file name.
func Detect(data []byte) (Format, error) {
	text := bytes.TrimLeft(data, "\xef\xbb\xbf \t\r\n")
	if len(text) == 0 {
		return "", errors.New("empty document")
	}
	switch text[0] {
	case '{':
		keys := topLevelKeys(text, 64, "bomFormat", "spdxVersion", "SPDXID", "@context", "@graph")
		switch {
		case keys["bomFormat"] || keys["specVersion"] && keys["components"]:
			return CycloneDXJSON, nil
		case keys["spdxVersion"] || keys["SPDXID"]:
			return SPDXJSON, nil
		case keys["@context"] || keys["@graph"]:
			head := text
			if len(head) > 4096 {
				head = head[:4096]
			}
			if bytes.Contains(head, []byte("spdx.org/rdf/3")) {
				return SPDX3JSONLD, nil
			}
			return "", errors.New("JSON-LD document without the SPDX 3 context (https://spdx.org/rdf/3.0.1/spdx-context.jsonld)")
		}
		return "", ErrUnknownFormat
	case '<':
		head := text
		if len(head) > 4096 {
			head = head[:4096]
		}
		switch {
		case bytes.Contains(head, []byte("cyclonedx.org/schema/bom")):
			return CycloneDXXML, nil
		case bytes.Contains(head, []byte("spdx.org/rdf")):
			return "", errors.New("SPDX RDF/XML is not supported; convert it to SPDX JSON or tag-value")
		}
		return "", ErrUnknownFormat
	}
	// SPDX tag-value starts with comments or "SPDXVersion:".
	head := text
	if len(head) > 65536 {
		head = head[:65536]
	}
	for line := range strings.Lines(string(head)) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "SPDXVersion:") {
			return SPDXTagValue, nil
		}
		break
	}
	return "", ErrUnknownFormat
}

// topLevelKeys returns the member names of the JSON object that data starts with, scanning at
// most max of them and stopping at the first of decisive: the rest of a large document need not
// be read to tell its format. It does not validate the JSON; the decoder does that afterwards.
func topLevelKeys(data []byte, max int, decisive ...string) map[string]bool {
	keys := make(map[string]bool)
	depth := 0
	for i := 0; i < len(data) && len(keys) < max; i++ {
		switch data[i] {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return keys
			}
		case '"':
			start := i + 1
			for i++; i < len(data) && data[i] != '"'; i++ {
				if data[i] == '\\' {
					i++
				}
			}
			if depth != 1 || i >= len(data) {
				continue
			}
			end := i
			j := i + 1
			for j < len(data) && (data[j] == ' ' || data[j] == '\t' || data[j] == '\r' || data[j] == '\n') {
				j++
			}
			if j < len(data) && data[j] == ':' {
				key := string(data[start:end])
				keys[key] = true
				if slices.Contains(decisive, key) {
					return keys
				}
			}
		}
	}
	return keys
}
