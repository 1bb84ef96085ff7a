package match

import (
	"cmp"
	"strings"

	cvss20 "github.com/pandatix/go-cvss/20"
	cvss30 "github.com/pandatix/go-cvss/30"
	cvss31 "github.com/pandatix/go-cvss/31"
	cvss40 "github.com/pandatix/go-cvss/40"

	"github.com/siegel-oss/siegel/internal/vulndb"
)

// severityClass orders the sources of a severity by how much they say: a CVSS v3 or v4 base
// score computed from its vector beats a CVSS v2 one (an older scale without CRITICAL), which
// beats a qualitative rating (a database's or a distribution's word). Within a class the higher
// severity wins: a finding is never rated lower than one of its sources rates it.
type severityClass uint8

const (
	classNone severityClass = iota
	classRating
	classCVSS2
	classCVSS
)

// Names of the sources a severity can come from, as Assessment.Source gives them.
const (
	SourceDatabase     = "database_specific.severity" // GitHub, Bitnami: LOW, MODERATE, HIGH, CRITICAL
	SourceDatabaseCVSS = "database_specific.cvss"     // RustSec: a CVSS vector per affected entry
	SourceUbuntu       = "Ubuntu priority"            // severity type "Ubuntu": negligible .. critical
	SourceDebian       = "Debian urgency"             // ecosystem_specific.urgency: unimportant .. high
	SourceVendor       = "vendor rating"              // Red Hat's scale, leading an errata summary
	SourceEUVD         = "EUVD base score"
	aliasPrefix        = "alias "
)

// severityOf merges what record r says of the severity into a: every CVSS vector it states
// (record-wide or per affected entry, scored from the vector), then its qualitative ratings.
func severityOf(r *vulndb.Record, a *Assessment) {
	for _, s := range r.Severity {
		severityFromEntry(r.ID, s, a)
	}
	for _, af := range r.Affected {
		for _, s := range af.Severity {
			severityFromEntry(r.ID, s, a)
		}
		if v, ok := af.DatabaseSpecific["cvss"].(string); ok {
			if score, class, ok := cvssScore(v); ok {
				a.merge(class, score, v, ratingOf(class, score), SourceDatabaseCVSS, r.ID)
			}
		}
		if v, ok := af.DatabaseSpecific["severity"].(string); ok {
			a.mergeRating(githubRating(v), SourceDatabase, r.ID)
		}
		if v, ok := af.EcosystemSpecific["urgency"].(string); ok {
			a.mergeRating(debianRating(v), SourceDebian, r.ID)
		}
		if v, ok := af.EcosystemSpecific["ubuntu_priority"].(string); ok {
			a.mergeRating(ubuntuRating(v), SourceUbuntu, r.ID)
		}
		if rating := vendorRating(af.Package.Ecosystem, r.Summary); rating != "" {
			a.mergeRating(rating, SourceVendor, r.ID)
		}
	}
	if v, ok := r.DatabaseSpecific["severity"].(string); ok {
		a.mergeRating(githubRating(v), SourceDatabase, r.ID)
	}
}

// severityFromEntry merges one entry of an OSV severity list.
func severityFromEntry(id string, s vulndb.Severity, a *Assessment) {
	switch s.Type {
	case "Ubuntu":
		a.mergeRating(ubuntuRating(s.Score), SourceUbuntu, id)
		return
	case "CVSS_V2", "CVSS_V3", "CVSS_V4":
	default:
		return
	}
	if score, class, ok := cvssScore(s.Score); ok {
		a.merge(class, score, s.Score, ratingOf(class, score), s.Type, id)
	}
}

// merge takes a severity from a source of class c when it says more than what a holds. Between
// sources that say the same, the first by record id, source and vector wins, so that the
// outcome does not depend on the order they come in.
func (a *Assessment) merge(c severityClass, score float64, vector, severity, source, from string) {
	if r := cmp.Or(cmp.Compare(c, a.class), cmp.Compare(severityRank(severity), severityRank(a.Severity)), cmp.Compare(score, a.Score),
		strings.Compare(a.From, from), strings.Compare(a.Source, source), strings.Compare(a.Vector, vector)); r <= 0 {
		return
	}
	a.class, a.Score, a.Vector, a.Severity, a.Source, a.From = c, score, vector, severity, source, from
}

// mergeRating merges a qualitative rating; "" (not a rating) is ignored.
func (a *Assessment) mergeRating(severity, source, from string) {
	if severity != "" {
		a.merge(classRating, 0, "", severity, source, from)
	}
}

// Rated reports whether the assessment has a severity from any source.
func (a *Assessment) Rated() bool { return a.class != classNone }

// adopt takes another vulnerability's assessment, as stated by an alias record: the source says
// which record it was.
func (a *Assessment) adopt(b *Assessment) {
	a.merge(b.class, b.Score, b.Vector, b.Severity, aliasPrefix+b.Source, b.From)
}

// CVSSBaseScore is the base score of a CVSS v3.0, v3.1 or v4.0 vector; false when the vector
// does not parse or is of another version.
func CVSSBaseScore(vector string) (float64, bool) {
	score, class, ok := cvssScore(vector)
	return score, ok && class == classCVSS
}

// cvssScore computes the base score of a CVSS vector: v4.0 and v3.x with their prefix, v2 as
// OSV writes it (no prefix, or "(AV:N/...)").
func cvssScore(vector string) (float64, severityClass, bool) {
	switch {
	case strings.HasPrefix(vector, "CVSS:4.0/"):
		v, err := cvss40.ParseVector(vector)
		if err != nil {
			return 0, classNone, false
		}
		return v.Score(), classCVSS, true
	case strings.HasPrefix(vector, "CVSS:3.1/"):
		v, err := cvss31.ParseVector(vector)
		if err != nil {
			return 0, classNone, false
		}
		return v.BaseScore(), classCVSS, true
	case strings.HasPrefix(vector, "CVSS:3.0/"):
		v, err := cvss30.ParseVector(vector)
		if err != nil {
			return 0, classNone, false
		}
		return v.BaseScore(), classCVSS, true
	case strings.HasPrefix(vector, "AV:") || strings.HasPrefix(vector, "(AV:"):
		v, err := cvss20.ParseVector(strings.Trim(vector, "()"))
		if err != nil {
			return 0, classNone, false
		}
		return v.BaseScore(), classCVSS2, true
	}
	return 0, classNone, false
}

// ratingOf is the qualitative rating of a base score in its CVSS version's scale.
func ratingOf(c severityClass, score float64) string {
	if c == classCVSS2 {
		// CVSS v2 has no qualitative scale of its own; NVD's (Low below 4, High from 7) is the
		// one in use, and it has no CRITICAL.
		switch {
		case score >= 7:
			return "HIGH"
		case score >= 4:
			return "MEDIUM"
		}
		return "LOW"
	}
	return Rating(score)
}

// Rating maps a CVSS score to its qualitative rating (CVSS v3.1 specification, section 5).
func Rating(score float64) string {
	switch {
	case score >= 9:
		return "CRITICAL"
	case score >= 7:
		return "HIGH"
	case score >= 4:
		return "MEDIUM"
	case score > 0:
		return "LOW"
	}
	return "NONE"
}

// githubRating reads the GitHub Advisory Database's rating (also Bitnami's).
func githubRating(v string) string {
	switch strings.ToUpper(v) {
	case "CRITICAL", "HIGH", "LOW":
		return strings.ToUpper(v)
	case "MODERATE", "MEDIUM":
		return "MEDIUM"
	}
	return ""
}

// debianRating reads the Debian security tracker's urgency. "unimportant" is Debian's word for
// an issue that does not affect the security of its package in practice: rated LOW, not NONE,
// since the vulnerability is present. "not yet assigned" and "end-of-life" are no rating.
func debianRating(v string) string {
	switch strings.TrimSuffix(strings.ToLower(v), "*") { // "low*": the urgency of a DSA/DLA
	case "high":
		return "HIGH"
	case "medium":
		return "MEDIUM"
	case "low", "unimportant":
		return "LOW"
	}
	return ""
}

// ubuntuRating reads Ubuntu's priority: negligible, low, medium, high, critical.
func ubuntuRating(v string) string {
	switch strings.ToLower(v) {
	case "critical":
		return "CRITICAL"
	case "high":
		return "HIGH"
	case "medium":
		return "MEDIUM"
	case "low", "negligible":
		return "LOW"
	}
	return ""
}

// vendorRating reads the severity that leads the summary of a Red Hat-family erratum
// ("Important: kernel security update"), on Red Hat's four-point scale: Critical, Important,
// Moderate, Low. Only for the ecosystems whose advisories are written that way.
func vendorRating(ecosystem, summary string) string {
	base, _, _ := strings.Cut(ecosystem, ":")
	switch base {
	case "Red Hat", "AlmaLinux", "Rocky Linux":
	default:
		return ""
	}
	word, _, ok := strings.Cut(summary, ":")
	if !ok {
		return ""
	}
	switch word {
	case "Critical":
		return "CRITICAL"
	case "Important":
		return "HIGH"
	case "Moderate":
		return "MEDIUM"
	case "Low":
		return "LOW"
	}
	return ""
}
