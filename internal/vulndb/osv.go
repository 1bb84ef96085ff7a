// Package vulndb keeps a local, indexed copy of vulnerability data — OSV records, the CISA Known
// Exploited Vulnerabilities catalogue, FIRST EPSS scores — and answers "which advisories name this
// package?" without reading every record.
package vulndb

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/purl"
	"github.com/siegel-oss/siegel/internal/version"
)

// Record is an OSV record (https://ossf.github.io/osv-schema/), the fields Siegel uses.
type Record struct {
	SchemaVersion string     `json:"schema_version,omitempty"`
	ID            string     `json:"id"`
	Modified      time.Time  `json:"modified"`
	Published     *time.Time `json:"published,omitempty"`
	Withdrawn     *time.Time `json:"withdrawn,omitempty"`
	Aliases       []string   `json:"aliases,omitempty"`
	Related       []string   `json:"related,omitempty"`
	Upstream      []string   `json:"upstream,omitempty"`
	Summary       string     `json:"summary,omitempty"`
	Details       string     `json:"details,omitempty"`
	Severity      []Severity `json:"severity,omitempty"`
	Affected      []Affected `json:"affected,omitempty"`
	References    []struct {
		Type string `json:"type"`
		URL  string `json:"url"`
	} `json:"references,omitempty"`
	DatabaseSpecific map[string]any `json:"database_specific,omitempty"`

	// Unusable lists the fields that could not be read and were left out (Siegel's own key, not
	// OSV's): the record is kept, and whoever reads it learns what it lacks.
	Unusable []UnusableField `json:"siegel_unusable,omitempty"`
}

// Severity is a severity score of a given type: CVSS_V2, CVSS_V3, CVSS_V4 (a vector) or Ubuntu.
type Severity struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

// Package identifies the affected package.
type Package struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	PURL      string `json:"purl,omitempty"`
}

// Affected is one affected[] entry.
type Affected struct {
	Package           Package         `json:"package"`
	Severity          []Severity      `json:"severity,omitempty"`
	Ranges            []version.Range `json:"ranges,omitempty"`
	Versions          []string        `json:"versions,omitempty"`
	EcosystemSpecific map[string]any  `json:"ecosystem_specific,omitempty"`
	DatabaseSpecific  map[string]any  `json:"database_specific,omitempty"`
}

// ParseRecord decodes and checks one OSV record. name identifies it in errors (a file name, or
// "all.zip!ID.json").
func ParseRecord(name string, data []byte) (*Record, error) {
	if err := input.CheckJSONDepth(name, data, 64); err != nil {
		return nil, err
	}
	var r Record
	if err := json.Unmarshal(data, &r); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, input.JSONError(name, data, err)
		}
		// A value of the wrong type somewhere (such as a "modified" time of "1-01-01T00:00:00Z",
		// which is not RFC 3339): read the record field by field, so that only a field matching
		// needs can cost the record.
		if err := r.decodeLenient(name, data); err != nil {
			return nil, err
		}
	}
	if err := r.check(); err != nil {
		return nil, &input.Error{File: name, Pointer: err.pointer, Rule: "OSV schema", Err: err.err}
	}
	return &r, nil
}

type schemaErr struct {
	pointer string
	err     error
}

// check enforces what the OSV schema requires and what matching depends on.
func (r *Record) check() *schemaErr {
	if r.ID == "" {
		return &schemaErr{"/id", errors.New("record has no id")}
	}
	// "modified" is required by the schema, but real feeds carry the zero time
	// (0001-01-01T00:00:00Z) as a placeholder, so a zero time is accepted.
	for i, a := range r.Affected {
		at := fmt.Sprintf("/affected/%d", i)
		if a.Package.Ecosystem == "" && len(a.Ranges) > 0 && a.Ranges[0].Type != version.RangeGit {
			return &schemaErr{at + "/package/ecosystem", errors.New("affected package has no ecosystem")}
		}
		for j, rg := range a.Ranges {
			switch rg.Type {
			case version.RangeEcosystem, version.RangeSemVer, version.RangeGit:
			default:
				return &schemaErr{fmt.Sprintf("%s/ranges/%d/type", at, j), fmt.Errorf("range type %q is not ECOSYSTEM, SEMVER or GIT", rg.Type)}
			}
			if len(rg.Events) == 0 {
				return &schemaErr{fmt.Sprintf("%s/ranges/%d/events", at, j), errors.New("range has no events")}
			}
			for k, e := range rg.Events {
				n := 0
				for _, s := range []string{e.Introduced, e.Fixed, e.LastAffected, e.Limit} {
					if s != "" {
						n++
					}
				}
				if n != 1 {
					return &schemaErr{fmt.Sprintf("%s/ranges/%d/events/%d", at, j, k), errors.New("an event must have exactly one of introduced, fixed, last_affected, limit")}
				}
			}
		}
	}
	return nil
}

// CVEs returns the record's CVE ids: its id when it is one, and its CVE aliases.
func (r *Record) CVEs() []string {
	var out []string
	for _, id := range append([]string{r.ID}, r.Aliases...) {
		if strings.HasPrefix(id, "CVE-") {
			out = append(out, id)
		}
	}
	return out
}

// Key is how a package is looked up: the base ecosystem (without release) and the name,
// normalized as the ecosystem compares names.
type Key struct {
	Ecosystem string
	Name      string
}

// PackageKey normalizes an OSV package name for lookup: PyPI names per PEP 503, names of
// case-insensitive registries (NuGet, Go module paths as purls spell them, Packagist) in lower case.
func PackageKey(ecosystem, name string) Key {
	base, _, _ := strings.Cut(ecosystem, ":")
	switch base {
	case "PyPI":
		name = purl.NormalizePyPI(name)
	case "NuGet", "Go", "Packagist", "Hackage":
		name = strings.ToLower(name)
	}
	return Key{Ecosystem: base, Name: name}
}

// forMatching returns the part of the record that matching and reporting read: ids, summary,
// severities and affected packages with their ranges — without details, references and the
// ecosystem-specific data (Go's import lists make up much of a Go record).
func (r *Record) forMatching() *Record {
	m := &Record{ID: r.ID, Modified: r.Modified, Published: r.Published, Withdrawn: r.Withdrawn,
		Aliases: r.Aliases, Summary: r.Summary, Severity: r.Severity, Unusable: r.Unusable}
	if sev, ok := r.DatabaseSpecific["severity"]; ok {
		m.DatabaseSpecific = map[string]any{"severity": sev}
	}
	m.Affected = make([]Affected, len(r.Affected))
	for i, a := range r.Affected {
		m.Affected[i] = Affected{Package: a.Package, Severity: a.Severity, Ranges: a.Ranges, Versions: a.Versions,
			EcosystemSpecific: keepKeys(a.EcosystemSpecific, ratingKeys), DatabaseSpecific: keepKeys(a.DatabaseSpecific, ratingKeys)}
	}
	return m
}

// ratingKeys are the keys of an affected entry's ecosystem- and database-specific data that
// rate its severity: Debian's urgency, Ubuntu's priority, RustSec's CVSS vector, a severity.
var ratingKeys = []string{"urgency", "ubuntu_priority", "cvss", "severity"}

// keepKeys returns the entries of m under keys with a non-null value, or nil for none.
func keepKeys(m map[string]any, keys []string) map[string]any {
	var out map[string]any
	for _, k := range keys {
		if v, ok := m[k]; ok && v != nil {
			if out == nil {
				out = map[string]any{}
			}
			out[k] = v
		}
	}
	return out
}
