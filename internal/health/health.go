// Package health gives each component occurrence a health verdict from offline data: end of life
// (endoflife.date), deprecation, retraction and yanking (the Go module proxy, npm, crates.io,
// PyPI), activity (the last release date), and a memory-safety class from its implementation
// language. A component the data does not cover gets the verdict Unknown, which is counted and
// shown, never dropped.
package health

import (
	"slices"
	"time"
)

// Kind is what one verdict says about a component occurrence.
type Kind string

// Verdict kinds, from the most to the least severe (see Rank).
const (
	EndOfLife    Kind = "eol"          // the component's release cycle reached its end of life
	Retracted    Kind = "retracted"    // the version was retracted (Go) or yanked (crates.io, PyPI)
	Deprecated   Kind = "deprecated"   // the package or version is marked deprecated by its publisher
	Mismatch     Kind = "mismatch"     // its support ends before the product release's support end
	Unmaintained Kind = "unmaintained" // no release for longer than the configured period
	Unknown      Kind = "unknown"      // no health data covers the component
	Supported    Kind = "supported"    // covered by data and none of the above applies
)

// Kinds lists every kind, most severe first.
var Kinds = []Kind{EndOfLife, Retracted, Deprecated, Mismatch, Unmaintained, Unknown, Supported}

// Rank orders kinds by severity: lower is worse. An unrecognised kind ranks last.
func (k Kind) Rank() int {
	if i := slices.Index(Kinds, k); i >= 0 {
		return i
	}
	return len(Kinds)
}

// Unhealthy reports whether the kind is a finding a policy can fail on (everything but Supported
// and Unknown).
func (k Kind) Unhealthy() bool { return k != Supported && k != Unknown && k.Rank() < len(Kinds) }

// Sources of health data, as named in verdicts.
const (
	SourceEndOfLife = "endoflife.date"
	SourceGoProxy   = "proxy.golang.org"
	SourceNPM       = "registry.npmjs.org"
	SourceCrates    = "crates.io"
	SourcePyPI      = "pypi.org"
)

// Verdict is one fact about a component occurrence with where it came from.
type Verdict struct {
	Kind     Kind      `json:"kind"`
	Source   string    `json:"source,omitempty"`   // SourceEndOfLife, SourceGoProxy, ...
	DataDate time.Time `json:"data_date,omitzero"` // when the source data was published or fetched

	// Product and Cycle name the endoflife.date product and release cycle matched.
	Product string `json:"product,omitempty"`
	Cycle   string `json:"cycle,omitempty"`
	// EndOfLife is the component's end of support (zero when the source gives none, or only says
	// "ended" without a date; then EndOfLifeUndated is true).
	EndOfLife        time.Time `json:"end_of_life,omitzero"`
	EndOfLifeUndated bool      `json:"end_of_life_undated,omitempty"`
	// ReleaseSupportEnd is the product release's support end a Mismatch was measured against.
	ReleaseSupportEnd time.Time `json:"release_support_end,omitzero"`
	// LastRelease is the package's newest release date, when the source gives it.
	LastRelease time.Time `json:"last_release,omitzero"`
	// Detail is the publisher's own words: deprecation message, retraction rationale, yank reason.
	Detail string `json:"detail,omitempty"`
}

// MemorySafety is a component's implementation-language class.
type MemorySafety string

// Memory-safety classes.
const (
	MemorySafe    MemorySafety = "memory-safe"
	NotMemorySafe MemorySafety = "not-memory-safe"
	MemoryUnknown MemorySafety = "unknown"
)

// Component is what health reads of one component occurrence.
type Component struct {
	Ref     string   `json:"ref,omitempty"` // the SBOM's reference, echoed in the result
	Name    string   `json:"name"`
	Version string   `json:"version,omitempty"`
	PURL    string   `json:"purl,omitempty"`
	CPEs    []string `json:"cpes,omitempty"`
	// Type is the CycloneDX component type (library, firmware, operating-system, ...).
	Type string `json:"type,omitempty"`
	// Properties are the SBOM's name/value properties (native-code markers, extractor, ...).
	Properties map[string]string `json:"properties,omitempty"`
	// Size is the component's code size in bytes when known (firmware), else 0.
	Size int64 `json:"size,omitempty"`
}

// Result is the health of one component occurrence.
type Result struct {
	Component Component `json:"component"`
	// Verdicts holds every verdict that applies, most severe first; never empty (Unknown when no
	// data covers the component, Supported when data covers it and nothing applies).
	Verdicts []Verdict `json:"verdicts"`
	// Memory is the memory-safety class and MemoryReason the rule that gave it.
	Memory       MemorySafety `json:"memory_safety"`
	MemoryReason string       `json:"memory_safety_reason"`
}

// Worst is the most severe verdict kind of the result.
func (r Result) Worst() Kind {
	if len(r.Verdicts) == 0 {
		return Unknown
	}
	return r.Verdicts[0].Kind
}

// Has reports whether any verdict of the result is of kind k.
func (r Result) Has(k Kind) bool {
	return slices.ContainsFunc(r.Verdicts, func(v Verdict) bool { return v.Kind == k })
}

// Options steer an assessment.
type Options struct {
	// Now is the time verdicts are given at (end of life passed or not, months since a release).
	Now time.Time
	// SupportEnd is the product release's support end; zero skips the mismatch check.
	SupportEnd time.Time
	// UnmaintainedAfter is the period without a release after which a package is unmaintained;
	// zero means DefaultUnmaintainedMonths.
	UnmaintainedMonths int
}

// DefaultUnmaintainedMonths is the default period without a release that makes a package unmaintained.
const DefaultUnmaintainedMonths = 24

// Report is the health of a set of component occurrences (one SBOM, one release).
type Report struct {
	Results []Result `json:"results"`
	// Counts holds the number of occurrences per worst kind; every occurrence counts once.
	Counts map[Kind]int `json:"counts"`
	Memory MemoryShare  `json:"memory_safety"`
	// Sources lists the health data used, with their data dates.
	Sources []SourceInfo `json:"sources"`
}

// SourceInfo names one loaded data source and its date.
type SourceInfo struct {
	Name     string    `json:"name"`
	DataDate time.Time `json:"data_date,omitzero"`
	Entries  int       `json:"entries"`
}

// MemoryShare counts a set of components by memory-safety class, by number and by code size.
type MemoryShare struct {
	Safe    int `json:"safe"`
	NotSafe int `json:"not_safe"`
	Unknown int `json:"unknown"`
	// The byte sums cover only components with a known size (firmware).
	SafeBytes    int64 `json:"safe_bytes"`
	NotSafeBytes int64 `json:"not_safe_bytes"`
	UnknownBytes int64 `json:"unknown_bytes"`
}
