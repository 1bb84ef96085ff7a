// Package csaf writes CSAF 2.0 security advisories (csaf_security_advisory) from Siegel's
// records, signs them with OpenPGP, and lays out what a CSAF trusted provider serves: the
// provider metadata, the TLP:WHITE distribution with its ROLIE feed, index.txt and changes.csv,
// and the .sha512 and .asc files beside each document (OASIS CSAF v2.0, section 7).
package csaf

import (
	"cmp"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	gocsaf "github.com/gocsaf/csaf/v3/csaf"
	"github.com/siegel-oss/siegel/internal/match"
)

// Publisher issues the advisories.
type Publisher struct {
	Name      string
	Namespace string // https://... of the manufacturer
	Contact   string
}

// Release is one version of the product and what it has to do with the vulnerability.
type Release struct {
	Version string
	PURL    string
	Status  string // known_affected, fixed, known_not_affected, under_investigation
	Reason  string // not affected: the VEX justification label
	Impact  string // not affected: the impact statement
	Action  string // affected: what users should do, when the manufacturer said it
	// Issued is when the release was made available (placed on the market, or else recorded).
	Issued time.Time
	// KeepAvailableUntil is, for a fixed release, the last day the security update must stay
	// available to users (CRA Art. 13(9)); zero when not known.
	KeepAvailableUntil time.Time
}

// Input is what an advisory says.
type Input struct {
	Publisher Publisher
	// BaseURL is the provider's public https address: the advisory's canonical URL (its self
	// reference, CSAF 6.2.11) is its place in the provider's TLP:WHITE distribution there.
	BaseURL       string
	TrackingID    string
	Title         string
	Product       string
	Vulnerability string
	Aliases       []string
	Summary       string
	CVSSVector    string // CVSS:3.x vector, when known
	CVSSScore     float64
	Exploited     string     // how it is known to be exploited, "" when it is not
	Releases      []Release  // oldest first: a fixed release fixes the affected ones before it
	Revisions     []Revision // oldest first; the last is this version
}

// Revision is one entry of the revision history.
type Revision struct {
	Date    time.Time
	Summary string
}

var trackingID = regexp.MustCompile(`^[\S](.*[\S])?$`)

// Build writes the advisory. It checks the result against the CSAF 2.0 schema and the
// mandatory tests that apply to what Siegel writes.
func Build(in Input) ([]byte, error) {
	if in.Publisher.Name == "" || !strings.HasPrefix(in.Publisher.Namespace, "https://") && !strings.HasPrefix(in.Publisher.Namespace, "http://") {
		return nil, fmt.Errorf("CSAF needs the publisher's name and namespace (its https:// address)")
	}
	if !trackingID.MatchString(in.TrackingID) || len(in.Revisions) == 0 || len(in.Releases) == 0 {
		return nil, fmt.Errorf("an advisory needs a tracking id, a revision and at least one release")
	}
	if !strings.HasPrefix(in.BaseURL, "https://") {
		return nil, fmt.Errorf("an advisory's canonical URL is its https address in the provider's distribution: set the public base URL (--base-url https://...)")
	}
	first, last := in.Revisions[0].Date.UTC(), in.Revisions[len(in.Revisions)-1].Date.UTC()
	canonical := strings.TrimSuffix(in.BaseURL, "/") + Distribution + "/" + Entry{TrackingID: in.TrackingID, Initial: first}.Path()
	version := fmt.Sprint(len(in.Revisions))
	doc := map[string]any{}
	revs := []map[string]string{}
	for i, r := range in.Revisions {
		revs = append(revs, map[string]string{"date": r.Date.UTC().Format(time.RFC3339), "number": fmt.Sprint(i + 1), "summary": r.Summary})
	}
	notes := []map[string]string{{"category": "summary", "title": "Summary", "text": cmp.Or(in.Summary, in.Title)}}
	if in.Exploited != "" {
		notes = append(notes, map[string]string{"category": "general", "title": "Exploitation", "text": "This vulnerability is actively exploited: " + in.Exploited + "."})
	}
	doc["document"] = map[string]any{
		"category": "csaf_security_advisory", "csaf_version": "2.0", "lang": "en", "title": in.Title,
		"publisher":    map[string]string{"category": "vendor", "name": in.Publisher.Name, "namespace": in.Publisher.Namespace},
		"notes":        notes,
		"distribution": map[string]any{"tlp": map[string]string{"label": "WHITE", "url": "https://www.first.org/tlp/"}},
		"references":   []map[string]string{{"category": "self", "summary": "Canonical URL", "url": canonical}},
		"tracking": map[string]any{
			"id": in.TrackingID, "status": "final", "version": version, "revision_history": revs,
			"initial_release_date": first.Format(time.RFC3339), "current_release_date": last.Format(time.RFC3339),
			"generator": map[string]any{"date": last.Format(time.RFC3339), "engine": map[string]string{"name": "Siegel"}},
		},
	}
	// Product tree: vendor > product name > product version, one product id per release.
	var versions []map[string]any
	status := map[string][]string{}
	var flags, threats, remediations []map[string]any
	pids := make([]string, len(in.Releases))
	for i, r := range in.Releases {
		pids[i] = fmt.Sprintf("CSAFPID-%04d", i+1)
		prod := map[string]any{"name": in.Product + " " + r.Version, "product_id": pids[i]}
		if r.PURL != "" {
			prod["product_identification_helper"] = map[string]string{"purl": r.PURL}
		}
		versions = append(versions, map[string]any{"category": "product_version", "name": r.Version, "product": prod})
		status[r.Status] = append(status[r.Status], pids[i])
	}
	for i, r := range in.Releases {
		pid := pids[i]
		switch r.Status {
		case "known_affected", "under_investigation":
			// The fix is the first later release that has it (CSAF 3.2.3.12: vendor_fix).
			fix := -1
			for j := i + 1; j < len(in.Releases) && fix < 0; j++ {
				if in.Releases[j].Status == "fixed" {
					fix = j
				}
			}
			switch {
			case r.Action != "":
				remediations = append(remediations, map[string]any{"category": "vendor_fix", "details": r.Action, "product_ids": []string{pid}})
			case fix >= 0:
				f := in.Releases[fix]
				rem := map[string]any{"category": "vendor_fix", "product_ids": []string{pid},
					"details": "Update to " + in.Product + " " + f.Version + releasedOn(f.Issued) + " or later: it fixes the vulnerability."}
				if !f.Issued.IsZero() {
					rem["date"] = f.Issued.UTC().Format(time.RFC3339)
				}
				remediations = append(remediations, rem)
			case r.Status == "under_investigation":
				remediations = append(remediations, map[string]any{"category": "none_available", "details": "The vulnerability is under investigation; no fix is available yet.", "product_ids": []string{pid}})
			default:
				remediations = append(remediations, map[string]any{"category": "none_available", "details": "No fix is available yet.", "product_ids": []string{pid}})
			}
		case "fixed":
			if !r.KeepAvailableUntil.IsZero() {
				notes = append(notes, map[string]string{"category": "general", "title": "Availability of the security update " + r.Version,
					"text": fmt.Sprintf("%s %s%s is a security update: it remains available to users until at least %s (CRA Art. 13(9): ten years after issue, or the rest of the support period if longer).",
						in.Product, r.Version, releasedOn(r.Issued), r.KeepAvailableUntil.Format(time.DateOnly))})
			}
		case "known_not_affected":
			if r.Reason != "" {
				flags = append(flags, map[string]any{"label": r.Reason, "product_ids": []string{pid}})
			}
			if r.Impact != "" || r.Reason == "" {
				threats = append(threats, map[string]any{"category": "impact", "details": cmp.Or(r.Impact, "Not affected."), "product_ids": []string{pid}})
			}
		}
	}
	doc["document"].(map[string]any)["notes"] = notes
	doc["product_tree"] = map[string]any{"branches": []map[string]any{{
		"category": "vendor", "name": in.Publisher.Name,
		"branches": []map[string]any{{"category": "product_name", "name": in.Product, "branches": versions}},
	}}}
	vuln := map[string]any{"notes": []map[string]string{{"category": "description", "title": "Description", "text": cmp.Or(in.Summary, in.Vulnerability)}}}
	ps := map[string][]string{}
	for k, v := range status {
		ps[k] = v
	}
	vuln["product_status"] = ps
	var ids []map[string]string
	if strings.HasPrefix(in.Vulnerability, "CVE-") {
		vuln["cve"] = in.Vulnerability
	} else {
		ids = append(ids, map[string]string{"system_name": systemOf(in.Vulnerability), "text": in.Vulnerability})
	}
	var otherCVEs []string
	for _, a := range in.Aliases {
		if strings.HasPrefix(a, "CVE-") {
			// One CVE per vulnerability item; a CVE is never one of its ids (CSAF 6.2.17).
			if vuln["cve"] == nil {
				vuln["cve"] = a
			} else {
				otherCVEs = append(otherCVEs, a)
			}
			continue
		}
		ids = append(ids, map[string]string{"system_name": systemOf(a), "text": a})
	}
	if len(otherCVEs) > 0 {
		vuln["notes"] = append(vuln["notes"].([]map[string]string), map[string]string{"category": "other", "title": "Other CVE identifiers",
			"text": "The records this advisory rests on also name " + strings.Join(otherCVEs, ", ") + "."})
	}
	if len(ids) > 0 {
		vuln["ids"] = ids
	}
	if in.Exploited != "" {
		all := slices.Concat(status["known_affected"], status["fixed"], status["under_investigation"])
		if len(all) > 0 {
			threats = append(threats, map[string]any{"category": "exploit_status", "details": "Actively exploited: " + in.Exploited + ".", "product_ids": all})
		}
	}
	// The score is the vulnerability's in the products that have it; a fixed product has none
	// (CSAF 6.2.19: its environmental score would be 0).
	if strings.HasPrefix(in.CVSSVector, "CVSS:3.") && in.CVSSScore > 0 {
		affected := slices.Concat(status["known_affected"], status["under_investigation"])
		if len(affected) > 0 {
			vuln["scores"] = []map[string]any{{"products": affected, "cvss_v3": map[string]any{
				"version": strings.TrimPrefix(in.CVSSVector[:8], "CVSS:"), "vectorString": in.CVSSVector, "baseScore": in.CVSSScore, "baseSeverity": match.Rating(in.CVSSScore)}}}
		}
	}
	if len(flags) > 0 {
		vuln["flags"] = flags
	}
	if len(threats) > 0 {
		vuln["threats"] = threats
	}
	if len(remediations) > 0 {
		vuln["remediations"] = remediations
	}
	doc["vulnerabilities"] = []map[string]any{vuln}
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	var generic any
	json.Unmarshal(data, &generic)
	problems, err := gocsaf.ValidateCSAF(generic)
	if err != nil {
		return nil, fmt.Errorf("validate advisory: %w", err)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("the advisory does not validate against the CSAF 2.0 schema: %s", strings.Join(problems, "; "))
	}
	return append(data, '\n'), nil
}

// releasedOn says when a release came out, " (released 2026-11-22)", or nothing when unknown.
func releasedOn(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return " (released " + t.UTC().Format(time.DateOnly) + ")"
}

func systemOf(id string) string {
	prefix, _, _ := strings.Cut(id, "-")
	switch prefix {
	case "GHSA":
		return "GitHub Security Advisory"
	case "EUVD":
		return "ENISA EU Vulnerability Database"
	case "":
		return "other"
	}
	return prefix
}

// FileName is the name CSAF gives a document in a distribution (section 5.1): the tracking id in
// lower case, every character other than a-z, 0-9, + and - replaced by _, then .json.
func FileName(trackingID string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(trackingID) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '+' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String() + ".json"
}
