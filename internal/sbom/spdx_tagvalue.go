package sbom

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/siegel-oss/siegel/internal/input"
)

// decodeSPDXTagValue reads the SPDX 2.x tag-value format: one "Tag: value" per line, values
// spanning lines enclosed in <text>...</text>. Tags Siegel does not use are skipped; a line that
// is neither a tag nor part of a text value is an error.
func decodeSPDXTagValue(name string, data []byte, limits input.Limits) (*Document, error) {
	d, err := parseSPDXTagValue(name, data)
	if err != nil {
		return nil, err
	}
	return d.toDocument(name, SPDXTagValue)
}

// parseSPDXTagValue reads the lines of a tag-value document into an spdxDoc.
func parseSPDXTagValue(name string, data []byte) (spdxDoc, error) {
	d := spdxDoc{tagValue: true}
	const (
		inDoc = iota
		inPackage
		inFile
		inSnippet
		inOther
	)
	section := inDoc
	lines := bytes.Split(data, []byte("\n"))
	for i := 0; i < len(lines); i++ {
		lineNo := i + 1
		line := strings.TrimRight(string(lines[i]), "\r")
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		tag, value, ok := strings.Cut(line, ":")
		if !ok || strings.ContainsAny(tag, " \t") {
			return d, &input.Error{File: name, Line: lineNo, Column: 1, Rule: "tag-value syntax",
				Err: fmt.Errorf("line is not \"Tag: value\": %q", truncate(trimmed, 60))}
		}
		value = strings.TrimSpace(value)
		if strings.HasPrefix(value, "<text>") {
			value = strings.TrimPrefix(value, "<text>")
			start := lineNo
			for !strings.Contains(value, "</text>") {
				i++
				if i >= len(lines) {
					return d, &input.Error{File: name, Line: start, Column: len(tag) + 3, Rule: "tag-value syntax",
						Err: fmt.Errorf("<text> value of %s is never closed with </text>", tag)}
				}
				value += "\n" + strings.TrimRight(string(lines[i]), "\r")
			}
			value, _, _ = strings.Cut(value, "</text>")
			value = strings.TrimSpace(value)
		}
		pkg := func() *spdxPackage { return &d.Packages[len(d.Packages)-1] }
		switch tag {
		case "SPDXVersion":
			d.SPDXVersion, d.line = value, lineNo
		case "DataLicense":
			d.DataLicense = value
		case "DocumentName":
			d.Name = value
		case "DocumentNamespace":
			d.DocumentNamespace = value
		case "Creator":
			d.CreationInfo.Creators = append(d.CreationInfo.Creators, value)
		case "Created":
			d.CreationInfo.Created = value
		case "PackageName":
			section = inPackage
			d.Packages = append(d.Packages, spdxPackage{Name: value, line: lineNo})
		case "FileName":
			section = inFile
			d.Files = append(d.Files, spdxFile{FileName: value, line: lineNo})
		case "SnippetSPDXID":
			section = inSnippet
			d.snippetIDs = append(d.snippetIDs, value)
		case "LicenseID":
			section = inOther
		case "SPDXID":
			switch section {
			case inDoc:
				d.SPDXID = value
			case inPackage:
				pkg().SPDXID = value
			case inFile:
				d.Files[len(d.Files)-1].SPDXID = value
			}
		case "Relationship":
			f := strings.Fields(value)
			if len(f) != 3 {
				return d, &input.Error{File: name, Line: lineNo, Column: len(tag) + 3, Rule: "tag-value syntax",
					Err: fmt.Errorf("Relationship must be \"ELEMENT TYPE RELATED\", got %q", value)}
			}
			d.Relationships = append(d.Relationships, spdxRelationship{Element: f[0], Type: f[1], Related: f[2], line: lineNo})
		default:
			if section != inPackage {
				continue
			}
			p := pkg()
			switch tag {
			case "PackageVersion":
				p.VersionInfo = value
			case "PackageFileName":
				p.PackageFileName = value
			case "PackageSupplier":
				p.Supplier = value
			case "PackageOriginator":
				p.Originator = value
			case "PackageDownloadLocation":
				p.DownloadLocation = value
			case "PackageChecksum":
				alg, v, ok := strings.Cut(value, ":")
				if !ok {
					return d, &input.Error{File: name, Line: lineNo, Column: len(tag) + 3, Rule: "tag-value syntax",
						Err: fmt.Errorf("PackageChecksum must be \"ALGORITHM: value\", got %q", value)}
				}
				p.Checksums = append(p.Checksums, spdxChecksum{Algorithm: strings.TrimSpace(alg), Value: strings.TrimSpace(v)})
			case "PackageLicenseConcluded":
				p.LicenseConcluded = value
			case "PackageLicenseDeclared":
				p.LicenseDeclared = value
			case "PackageDescription":
				p.Description = value
			case "PrimaryPackagePurpose":
				p.PrimaryPackagePurpose = value
			case "ExternalRef":
				f := strings.Fields(value)
				if len(f) < 3 {
					return d, &input.Error{File: name, Line: lineNo, Column: len(tag) + 3, Rule: "tag-value syntax",
						Err: fmt.Errorf("ExternalRef must be \"CATEGORY TYPE LOCATOR\", got %q", value)}
				}
				p.ExternalRefs = append(p.ExternalRefs, spdxExternalRef{Category: f[0], Type: f[1], Locator: f[2]})
			}
		}
	}
	if d.SPDXVersion == "" {
		return d, &input.Error{File: name, Line: 1, Rule: "schema", Err: fmt.Errorf("no SPDXVersion tag; this is not an SPDX tag-value document")}
	}
	return d, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
