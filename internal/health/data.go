package health

import (
	"time"
)

// Data is the imported health data: endoflife.date products and registry status per package.
// Build it with the importers (ParseProduct, ParseGoMod, ParseNPM, ParseCrate, ParsePyPI) or read
// it with Load; call Index before Check or Assess after changing it.
type Data struct {
	Products []Product            `json:"products,omitempty"`
	Packages map[string]*Package  `json:"packages,omitempty"` // by version-less purl, e.g. pkg:npm/left-pad
	Sources  map[string]time.Time `json:"sources,omitempty"`  // data date per source name

	idx *index
}

// Product is one endoflife.date product.
type Product struct {
	Name     string    `json:"name"` // the product's slug (its file name without .md)
	Title    string    `json:"title,omitempty"`
	PURLs    []string  `json:"purls,omitempty"` // identifiers: version-less package URLs
	CPEs     []string  `json:"cpes,omitempty"`  // identifiers: CPE names
	Repology []string  `json:"repology,omitempty"`
	Cycles   []Cycle   `json:"cycles"`
	DataDate time.Time `json:"data_date,omitzero"`
}

// Cycle is one release cycle of a product ("3.12", "22.04", "8").
type Cycle struct {
	Name        string    `json:"cycle"`
	ReleaseDate time.Time `json:"release_date,omitzero"`
	EOL         Support   `json:"eol,omitzero"`  // end of life (security support)
	EOAS        Support   `json:"eoas,omitzero"` // end of active support
	EOES        Support   `json:"eoes,omitzero"` // end of extended (paid) support
	LTS         bool      `json:"lts,omitempty"`
	Latest      string    `json:"latest,omitempty"`
	LatestDate  time.Time `json:"latest_date,omitzero"`
}

// Support is an end-of-support field: a date, or only a yes/no when the source gives no date.
type Support struct {
	Date  time.Time `json:"date,omitzero"`
	Ended bool      `json:"ended,omitempty"` // the source says true without a date
	Known bool      `json:"known,omitempty"` // the field was present
}

// EndedBy reports whether support has ended at t.
func (s Support) EndedBy(t time.Time) bool {
	if !s.Date.IsZero() {
		return !t.Before(s.Date)
	}
	return s.Ended
}

// Package is the registry status of one package (version-less purl).
type Package struct {
	PURL     string    `json:"purl"`
	Source   string    `json:"source"`
	DataDate time.Time `json:"data_date,omitzero"`
	// Deprecated marks the whole package deprecated (Go's "// Deprecated:" module comment, PyPI's
	// project status "deprecated"); DeprecationMessage is the publisher's text.
	Deprecated         bool   `json:"deprecated,omitempty"`
	DeprecationMessage string `json:"deprecation_message,omitempty"`
	// Archived is PyPI's project status "archived": no more releases expected.
	Archived bool `json:"archived,omitempty"`
	// Versions holds per-version status (npm deprecation, crates.io and PyPI yanks).
	Versions map[string]VersionStatus `json:"versions,omitempty"`
	// Retractions are Go retract directives: version intervals, inclusive.
	Retractions []Retraction `json:"retractions,omitempty"`
	// LastRelease is the newest release's date, zero when the source does not give it.
	LastRelease time.Time `json:"last_release,omitzero"`
}

// VersionStatus is the status of one published version.
type VersionStatus struct {
	Deprecated string `json:"deprecated,omitempty"` // deprecation message (npm)
	Yanked     bool   `json:"yanked,omitempty"`
	Reason     string `json:"reason,omitempty"` // yank reason when given
}

// Retraction is one Go retract directive: every version from Low to High inclusive.
type Retraction struct {
	Low       string `json:"low"`
	High      string `json:"high"`
	Rationale string `json:"rationale,omitempty"`
}

// AddPackages adds (or replaces) the registry status of packages, keyed by their version-less
// purl, and records each source's newest data date.
func (d *Data) AddPackages(ps []*Package) {
	if d.Packages == nil {
		d.Packages = map[string]*Package{}
	}
	if d.Sources == nil {
		d.Sources = map[string]time.Time{}
	}
	for _, p := range ps {
		k, ok := PackageKey(p.PURL)
		if !ok {
			continue
		}
		p.PURL = k
		d.Packages[k] = p
		if p.DataDate.After(d.Sources[p.Source]) {
			d.Sources[p.Source] = p.DataDate
		}
	}
	d.idx = nil
}
