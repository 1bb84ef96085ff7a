package csaf

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	gocsaf "github.com/gocsaf/csaf/v3/csaf"
)

// Entry is a published advisory as the distribution lists it.
type Entry struct {
	TrackingID string
	Title      string
	Initial    time.Time // initial_release_date: its year names the folder (requirement 11)
	Current    time.Time // current_release_date
}

// Path is the document's place in the TLP:WHITE distribution: YEAR/FILE.json.
func (e Entry) Path() string {
	return fmt.Sprintf("%d/%s", e.Initial.UTC().Year(), FileName(e.TrackingID))
}

// Paths of a provider under its base URL (https://host).
const (
	WellKnown    = "/.well-known/csaf"
	Distribution = WellKnown + "/white"
	FeedFile     = "csaf-feed-tlp-white.json"
)

// ProviderMetadata is /.well-known/csaf/provider-metadata.json of a trusted provider (section
// 7.2.1 and requirement 7), checked against the schema.
func ProviderMetadata(base string, pub Publisher, fingerprint string, updated time.Time) ([]byte, error) {
	m := map[string]any{
		"canonical_url": base + WellKnown + "/provider-metadata.json",
		"distributions": []any{map[string]any{
			"directory_url": base + Distribution + "/",
			"rolie":         map[string]any{"feeds": []any{map[string]string{"summary": "TLP:WHITE advisories", "tlp_label": "WHITE", "url": base + Distribution + "/" + FeedFile}}},
		}},
		"last_updated":               updated.UTC().Format(time.RFC3339),
		"list_on_CSAF_aggregators":   true,
		"metadata_version":           "2.0",
		"mirror_on_CSAF_aggregators": true,
		"public_openpgp_keys":        []any{map[string]string{"fingerprint": fingerprint, "url": base + WellKnown + "/openpgp/" + fingerprint + ".asc"}},
		"publisher":                  map[string]string{"category": "vendor", "name": pub.Name, "namespace": pub.Namespace, "contact_details": pub.Contact},
		"role":                       "csaf_trusted_provider",
	}
	if pub.Contact == "" {
		delete(m["publisher"].(map[string]string), "contact_details")
	}
	return validated(m, gocsaf.ValidateProviderMetadata, "provider metadata")
}

// Feed is the ROLIE feed of the TLP:WHITE distribution (requirement 15).
func Feed(base string, pub Publisher, entries []Entry, now time.Time) ([]byte, error) {
	items := []any{}
	for _, e := range sortedEntries(entries) {
		url := base + Distribution + "/" + e.Path()
		items = append(items, map[string]any{
			"id": e.TrackingID, "title": e.Title,
			"link":      []any{map[string]string{"rel": "self", "href": url}, map[string]string{"rel": "hash", "href": url + ".sha512"}, map[string]string{"rel": "signature", "href": url + ".asc"}},
			"published": e.Initial.UTC().Format(time.RFC3339), "updated": e.Current.UTC().Format(time.RFC3339),
			"content": map[string]string{"type": "application/json", "src": url},
			"format":  map[string]string{"schema": "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json", "version": "2.0"},
		})
	}
	feed := map[string]any{"feed": map[string]any{
		"id":       strings.ToLower(strings.ReplaceAll(pub.Name, " ", "-")) + "-csaf-feed-tlp-white",
		"title":    pub.Name + " CSAF feed (TLP:WHITE)",
		"link":     []any{map[string]string{"rel": "self", "href": base + Distribution + "/" + FeedFile}},
		"category": []any{map[string]string{"scheme": "urn:ietf:params:rolie:category:information-type", "term": "csaf"}},
		"updated":  now.UTC().Format(time.RFC3339),
		"entry":    items,
	}}
	return validated(feed, gocsaf.ValidateROLIE, "ROLIE feed")
}

// IndexTXT lists the documents of the distribution, one path per line (requirement 12).
func IndexTXT(entries []Entry) string {
	var b strings.Builder
	for _, e := range sortedEntries(entries) {
		b.WriteString(e.Path() + "\n")
	}
	return b.String()
}

// ChangesCSV lists the documents with their last change, newest first (requirement 13).
func ChangesCSV(entries []Entry) string {
	var b strings.Builder
	for _, e := range sortedEntries(entries) {
		fmt.Fprintf(&b, "%q,%q\n", e.Path(), e.Current.UTC().Format(time.RFC3339))
	}
	return b.String()
}

func sortedEntries(entries []Entry) []Entry {
	out := slices.Clone(entries)
	slices.SortStableFunc(out, func(a, b Entry) int { return b.Current.Compare(a.Current) })
	return out
}

func validated(v any, validate func(any) ([]string, error), what string) ([]byte, error) {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	var generic any
	json.Unmarshal(data, &generic)
	problems, err := validate(generic)
	if err != nil {
		return nil, fmt.Errorf("validate %s: %w", what, err)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s does not validate: %s", what, strings.Join(problems, "; "))
	}
	return append(data, '\n'), nil
}
