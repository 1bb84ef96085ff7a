// Package vex is Siegel's one model of VEX statements — what a manufacturer states about a
// vulnerability in a product or in components of it — with readers and writers for the three
// formats in use: OpenVEX, CycloneDX (vulnerabilities with analysis) and CSAF 2.0 (csaf_vex).
// Statements move between the formats without being lost; what a format cannot say (the exact
// OpenVEX justification in CycloneDX, for instance) travels in that format's extension points.
package vex

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/input"
)

// Status of a vulnerability in a product (the OpenVEX and CSAF vocabulary).
type Status string

// Statuses.
const (
	NotAffected        Status = "not_affected"
	Affected           Status = "affected"
	Fixed              Status = "fixed"
	UnderInvestigation Status = "under_investigation"
)

// Justifications for not_affected, as OpenVEX and CSAF (flags) name them.
var Justifications = []string{"component_not_present", "vulnerable_code_not_present", "vulnerable_code_not_in_execute_path",
	"vulnerable_code_cannot_be_controlled_by_adversary", "inline_mitigations_already_exist"}

// Statement says what is known of one vulnerability in one product, or in some of its components.
type Statement struct {
	Vulnerability string    `json:"vulnerability"`
	Aliases       []string  `json:"aliases,omitempty"`
	Product       string    `json:"product"`              // purl, CPE or name of the product
	Components    []string  `json:"components,omitempty"` // purls of the components concerned; none: the product as such
	Status        Status    `json:"status"`
	Justification string    `json:"justification,omitempty"` // not_affected
	Impact        string    `json:"impact,omitempty"`        // not_affected: why it cannot be exploited
	Action        string    `json:"action,omitempty"`        // affected: what users should do
	Timestamp     time.Time `json:"timestamp,omitzero"`
	// CVSS is the vulnerability's CVSS v3 vector and Score its base score, when known: CSAF
	// gives them for the products that are affected (6.2.3).
	CVSS  string  `json:"cvss,omitempty"`
	Score float64 `json:"score,omitempty"`
}

// Check reports what makes a statement unusable under the rules all three formats share.
func (s Statement) Check() error {
	switch {
	case s.Vulnerability == "":
		return errors.New("no vulnerability id")
	case s.Product == "":
		return errors.New("no product")
	}
	switch s.Status {
	case NotAffected:
		if s.Justification == "" && s.Impact == "" {
			return errors.New("not_affected needs a justification or an impact statement")
		}
		if s.Justification != "" && !slices.Contains(Justifications, s.Justification) {
			return fmt.Errorf("justification %q is not one of %v", s.Justification, Justifications)
		}
	case Affected, Fixed, UnderInvestigation:
		if s.Justification != "" {
			return errors.New("a justification only goes with not_affected")
		}
	default:
		return fmt.Errorf("status %q is not one of not_affected, affected, fixed, under_investigation", s.Status)
	}
	return nil
}

// Document is a set of statements from one author.
type Document struct {
	ID         string
	Author     string
	Timestamp  time.Time
	Statements []Statement
}

// Formats.
const (
	OpenVEX   = "openvex"
	CycloneDX = "cyclonedx"
	CSAF      = "csaf"
)

// Formats lists the formats, for messages.
var Formats = []string{OpenVEX, CycloneDX, CSAF}

// Decode reads a VEX document in any of the formats, detected from its content.
func Decode(name string, data []byte, lim input.Limits) (*Document, string, error) {
	if lim.MaxBytes > 0 && int64(len(data)) > lim.MaxBytes {
		return nil, "", &input.Error{File: name, Rule: "size limit", Err: fmt.Errorf("larger than %d bytes", lim.MaxBytes)}
	}
	if err := input.CheckJSONDepth(name, data, 64); err != nil {
		return nil, "", err
	}
	var probe struct {
		Context  string          `json:"@context"`
		BOM      string          `json:"bomFormat"`
		Document json.RawMessage `json:"document"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, "", input.JSONError(name, data, err)
	}
	var doc *Document
	var format string
	var err error
	switch {
	case strings.Contains(probe.Context, "openvex"):
		format = OpenVEX
		doc, err = decodeOpenVEX(name, data)
	case probe.BOM == "CycloneDX":
		format = CycloneDX
		doc, err = decodeCycloneDX(name, data)
	case len(probe.Document) > 0:
		format = CSAF
		doc, err = decodeCSAF(name, data)
	default:
		return nil, "", &input.Error{File: name, Rule: "VEX format", Err: errors.New("neither OpenVEX (@context), CycloneDX (bomFormat) nor CSAF (document)")}
	}
	if err != nil {
		return nil, "", err
	}
	for i, s := range doc.Statements {
		if err := s.Check(); err != nil {
			return nil, "", &input.Error{File: name, Pointer: fmt.Sprintf("statement %d (%s)", i, s.Vulnerability), Rule: "VEX statement", Err: err}
		}
	}
	return doc, format, nil
}

// Encode writes the document in a format.
func (d *Document) Encode(format string, pub Publisher) ([]byte, error) {
	var buf bytes.Buffer
	var err error
	switch format {
	case OpenVEX:
		err = d.encodeOpenVEX(&buf)
	case CycloneDX:
		err = d.encodeCycloneDX(&buf)
	case CSAF:
		err = d.encodeCSAF(&buf, pub)
	default:
		return nil, fmt.Errorf("VEX format %q: choose one of %v", format, Formats)
	}
	return buf.Bytes(), err
}

// Lookup returns the newest statement about the vulnerability (by id or alias) in the component
// of the product, or about the product as such; nil when there is none.
func (d *Document) Lookup(ids []string, product, component string) *Statement {
	var best *Statement
	for i := range d.Statements {
		s := &d.Statements[i]
		if !sameProduct(s.Product, product) {
			continue
		}
		if !slices.Contains(ids, s.Vulnerability) && !slices.ContainsFunc(s.Aliases, func(a string) bool { return slices.Contains(ids, a) }) {
			continue
		}
		if len(s.Components) > 0 && !slices.ContainsFunc(s.Components, func(c string) bool { return samePURL(c, component) }) {
			continue
		}
		if best == nil || !s.Timestamp.Before(best.Timestamp) {
			best = s
		}
	}
	return best
}

// sameProduct compares product identifiers; "" (any product) matches every product.
func sameProduct(a, b string) bool {
	return a == b || b == "" || a == "" || samePURL(a, b)
}

// samePURL compares purls ignoring qualifiers and subpath; a purl without version matches every
// version of the package.
func samePURL(a, b string) bool {
	if a == b {
		return true
	}
	if !strings.HasPrefix(a, "pkg:") || !strings.HasPrefix(b, "pkg:") {
		return false
	}
	cut := func(p string) (string, string) {
		p, _, _ = strings.Cut(p, "#")
		p, _, _ = strings.Cut(p, "?")
		base, ver, _ := strings.Cut(p, "@")
		return base, ver
	}
	ba, va := cut(a)
	bb, vb := cut(b)
	return ba == bb && (va == "" || vb == "" || va == vb)
}
