package csaf

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var now = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func sampleInput() Input {
	return Input{
		Publisher:     Publisher{Name: "ACME Networks GmbH", Namespace: "https://acme.example"},
		BaseURL:       "https://siegel.acme.example",
		TrackingID:    "ACME-SA-2026-0001",
		Title:         "HomeRouter X1: request smuggling in the web interface (CVE-2026-2002)",
		Product:       "HomeRouter X1",
		Vulnerability: "CVE-2026-2002", Aliases: []string{"GHSA-wdrn-2222-yyyy", "EUVD-2026-20002", "CVE-2026-2003"},
		Summary:    "A request smuggling flaw in the embedded web server lets an attacker bypass authentication.",
		CVSSVector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", CVSSScore: 9.8,
		Exploited: "listed in CISA KEV since 2026-09-15",
		Releases: []Release{
			{Version: "3.9.0", PURL: "pkg:generic/acme/homerouter-x1@3.9.0", Status: "known_not_affected", Reason: "component_not_present"},
			{Version: "4.1.0", PURL: "pkg:generic/acme/homerouter-x1@4.1.0", Status: "under_investigation"},
			{Version: "4.2.0", PURL: "pkg:generic/acme/homerouter-x1@4.2.0", Status: "known_affected"},
			{Version: "4.2.1", PURL: "pkg:generic/acme/homerouter-x1@4.2.1", Status: "fixed", Issued: now.Add(-24 * time.Hour),
				KeepAvailableUntil: time.Date(2036, 11, 21, 0, 0, 0, 0, time.UTC)},
		},
		Revisions: []Revision{{Date: now.Add(-48 * time.Hour), Summary: "Initial version."}, {Date: now, Summary: "Fix released."}},
	}
}

func TestBuildAdvisory(t *testing.T) {
	data, err := Build(sampleInput())
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Document struct {
			Tracking struct {
				Version            string
				InitialReleaseDate string `json:"initial_release_date"`
			}
		}
		Vulnerabilities []struct {
			CVE           string
			ProductStatus map[string][]string `json:"product_status"`
			Remediations  []struct{ Category string }
			Scores        []map[string]any
		}
	}
	json.Unmarshal(data, &doc)
	v := doc.Vulnerabilities[0]
	if v.CVE != "CVE-2026-2002" || len(v.ProductStatus["known_affected"]) != 1 || len(v.ProductStatus["fixed"]) != 1 ||
		len(v.ProductStatus["known_not_affected"]) != 1 || v.Remediations[0].Category != "vendor_fix" || len(v.Scores) != 1 {
		t.Errorf("advisory %s", data)
	}
	if !strings.Contains(string(data), `"version": "2"`) || !strings.Contains(string(data), `"initial_release_date": "2026-11-20T12:00:00Z"`) {
		t.Errorf("tracking: %s", data)
	}
	bad := sampleInput()
	bad.Publisher.Namespace = "acme.example"
	if _, err := Build(bad); err == nil {
		t.Error("a namespace without scheme accepted")
	}
	bad = sampleInput()
	bad.Releases[0].Status = "maybe"
	if _, err := Build(bad); err == nil || !strings.Contains(err.Error(), "schema") {
		t.Errorf("an unknown product status: %v", err)
	}
}

// A release the vulnerability affects is told to update to the first later release that fixed
// it, with that release's date (CSAF 3.2.3.12 vendor_fix); "no fix" is said only when there is
// none; the fixing release's CRA Art. 13(9) keep-available date is in the notes.
func TestBuildNamesTheFix(t *testing.T) {
	type rem struct {
		Category, Details, Date string
		ProductIDs              []string `json:"product_ids"`
	}
	remediations := func(in Input) ([]rem, string) {
		t.Helper()
		data, err := Build(in)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Vulnerabilities []struct{ Remediations []rem }
		}
		json.Unmarshal(data, &doc)
		return doc.Vulnerabilities[0].Remediations, string(data)
	}
	got, data := remediations(sampleInput())
	want := []rem{
		{"vendor_fix", "Update to HomeRouter X1 4.2.1 (released 2026-11-21) or later: it fixes the vulnerability.", "2026-11-21T12:00:00Z", []string{"CSAFPID-0002"}},
		{"vendor_fix", "Update to HomeRouter X1 4.2.1 (released 2026-11-21) or later: it fixes the vulnerability.", "2026-11-21T12:00:00Z", []string{"CSAFPID-0003"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("remediations (-want +got):\n%s", diff)
	}
	if strings.Contains(data, "No fix") || !strings.Contains(data, "HomeRouter X1 4.2.1 (released 2026-11-21) is a security update: it remains available to users until at least 2036-11-21 (CRA Art. 13(9)") {
		t.Errorf("advisory %s", data)
	}
	if !strings.Contains(data, `"url": "https://siegel.acme.example/.well-known/csaf/white/2026/acme-sa-2026-0001.json"`) {
		t.Errorf("no canonical URL: %s", data)
	}

	in := sampleInput()
	in.Releases = in.Releases[:3] // no fix yet
	got, _ = remediations(in)
	if len(got) != 2 || got[0].Category != "none_available" || !strings.Contains(got[0].Details, "under investigation") ||
		got[1].Category != "none_available" || got[1].Details != "No fix is available yet." {
		t.Errorf("without a fix: %+v", got)
	}

	in = sampleInput()
	in.BaseURL = ""
	if _, err := Build(in); err == nil || !strings.Contains(err.Error(), "--base-url") {
		t.Errorf("an advisory without its public base URL: %v", err)
	}
}

func TestSignAndVerify(t *testing.T) {
	key, err := NewKey("ACME Networks GmbH", "psirt@acme.example", now)
	if err != nil {
		t.Fatal(err)
	}
	s, err := LoadSigner(key)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := s.PublicKey()
	if err != nil || strings.Contains(pub, "PRIVATE") {
		t.Fatalf("public key %v", err)
	}
	doc := []byte(`{"document":{}}`)
	sig, err := s.Sign(doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(pub, doc, sig); err != nil {
		t.Errorf("own signature: %v", err)
	}
	if err := Verify(pub, []byte(`{"document":{"x":1}}`), sig); err == nil {
		t.Error("a changed document verified")
	}
	if len(s.Fingerprint()) != 40 {
		t.Errorf("fingerprint %q", s.Fingerprint())
	}
}

func TestProviderFiles(t *testing.T) {
	e := []Entry{
		{TrackingID: "ACME-SA-2026-0001", Title: "a", Initial: now.Add(-time.Hour), Current: now.Add(-time.Hour)},
		{TrackingID: "ACME SA/2025:7", Title: "b", Initial: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), Current: now},
	}
	if got := IndexTXT(e); got != "2025/acme_sa_2025_7.json\n2026/acme-sa-2026-0001.json\n" {
		t.Errorf("index.txt %q", got)
	}
	if got := ChangesCSV(e); got != "\"2025/acme_sa_2025_7.json\",\"2026-11-22T12:00:00Z\"\n\"2026/acme-sa-2026-0001.json\",\"2026-11-22T11:00:00Z\"\n" {
		t.Errorf("changes.csv %q", got)
	}
	pub := Publisher{Name: "ACME Networks GmbH", Namespace: "https://acme.example"}
	if _, err := ProviderMetadata("https://acme.example", pub, "0123456789ABCDEF0123456789ABCDEF01234567", now); err != nil {
		t.Error(err)
	}
	if _, err := Feed("https://acme.example", pub, e, now); err != nil {
		t.Error(err)
	}
	if _, err := ProviderMetadata("https://acme.example", pub, "not-hex", now); err == nil {
		t.Error("a bad fingerprint passed the provider metadata schema")
	}
}
