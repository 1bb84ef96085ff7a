package dossier

import (
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/siegel-oss/siegel/internal/catalog"
)

var generated = time.Date(2026, 3, 1, 12, 30, 0, 0, time.UTC)

// sample is a filled dossier of an important class I router with one failing mandatory
// requirement.
func sample() Dossier {
	return Dossier{
		Manufacturer: Manufacturer{
			Name:    "Müller GmbH",
			Address: "Hauptstraße 5\n80331 München\nGermany",
			Email:   "psirt@mueller.example",
			Representative: &Representative{
				Name:    "Weiß & Söhne Vertretung e.K.",
				Address: "Königsallee 1, 40212 Düsseldorf",
			},
		},
		Product: Product{
			Name:            "HeimRouter",
			Model:           "HR-3000",
			Category:        "router",
			CRAClass:        catalog.ClassImportantI,
			AnnexEntry:      "Annex III class I, point 12: routers, modems and switches",
			Description:     "Wi-Fi 6 home router with four Gigabit ports.",
			IntendedPurpose: "Connecting a home network to the internet.",
		},
		Release: Release{
			Version:        "3.2.1",
			PlacedOnMarket: "2026-02-15",
			SupportEnd:     "2031-02",
			SBOMRef:        "store:sbom/42",
			SBOMDigest:     "sha256:5f1b2c",
			SBOMFormat:     "CycloneDX 1.6",
			ImageDigest:    "sha256:aa11bb22",
		},
		Route:     catalog.ConformityRoute(catalog.ClassImportantI),
		Procedure: catalog.ModuleBC,
		Standards: []string{"ETSI EN 303 645 V2.1.1", "BSI TR-03148"},
		Verdicts: []catalog.Verdict{
			{Requirement: "cra-annex-i-1-2-a", Standard: "CRA", Reference: "Annex I Part I (2)(a)", Mandatory: true, Status: "M", Result: catalog.Pass, Reason: "no known exploitable vulnerability is open"},
			{Requirement: "cra-annex-i-1-2-b", Standard: "CRA", Reference: "Annex I Part I (2)(b)", Mandatory: true, Status: "M", Result: catalog.Fail, Reason: "default password found in /etc/shadow"},
			{Requirement: "etsi-5.1-1", Standard: "ETSI EN 303 645", Reference: "5.1-1", Mandatory: true, Status: "M C (1)", Result: catalog.NeedsAttestation, Reason: "needs a signed statement"},
			{Requirement: "cra-annex-i-1-2-k", Standard: "CRA", Reference: "Annex I Part I (2)(k)", Mandatory: false, Status: "R", Result: catalog.NotApplicable, Reason: "the product has no radio interface", Attested: true},
		},
		Vulnerabilities: Vulnerabilities{Open: 3, Exploited: 1, Fixed: 7, Advisories: []string{"SIEGEL-SA-2026-001", "SIEGEL-SA-2026-004"}},
		Cases:           []Case{{ID: "CASE-17", Type: "exploited", Met: []string{"early-warning"}, Missed: []string{"notification"}}},
		NotifiedBody:    &NotifiedBody{Name: "Prüfstelle Nord", Number: "0123", Certificate: "EU-TE-2026-0815"},
		Issue:           Issue{Place: "München", Date: "2026-02-20", Name: "Jürgen Groß", Function: "Geschäftsführer"},
		GeneratedAt:     generated,
	}
}

// manyVerdicts returns n verdicts with reasons long enough to wrap, every seventh failing.
func manyVerdicts(n int) []catalog.Verdict {
	vs := make([]catalog.Verdict, n)
	for i := range vs {
		res := catalog.Pass
		if i%7 == 3 {
			res = catalog.Fail
		}
		vs[i] = catalog.Verdict{
			Requirement: fmt.Sprintf("req-%03d", i),
			Standard:    "ETSI EN 303 645",
			Reference:   fmt.Sprintf("5.%d-%d", i/10, i%10),
			Mandatory:   i%2 == 0,
			Status:      "M",
			Result:      res,
			Reason:      fmt.Sprintf("requirement %d was checked against the firmware image and the SBOM; the evaluator looked at every component and found what it needed to decide, which takes a few lines to say", i),
		}
	}
	return vs
}

func TestUnknownKind(t *testing.T) {
	for _, k := range []Kind{0, 3, -1} {
		if err := RenderHTML(io.Discard, sample(), k); !errors.Is(err, ErrUnknownKind) {
			t.Errorf("RenderHTML(kind %d) = %v, want ErrUnknownKind", k, err)
		}
		if err := RenderPDF(io.Discard, sample(), k); !errors.Is(err, ErrUnknownKind) {
			t.Errorf("RenderPDF(kind %d) = %v, want ErrUnknownKind", k, err)
		}
	}
}

func TestCasesFrom(t *testing.T) {
	now := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	in := []catalog.Case{{
		ID: "C1", Type: "exploited",
		Stages: []catalog.CaseStage{
			{Stage: "early-warning", Deadline: now.Add(-72 * time.Hour), Submitted: now.Add(-80 * time.Hour), Met: true},
			{Stage: "notification", Deadline: now.Add(-24 * time.Hour), Submitted: now.Add(-1 * time.Hour)}, // late
			{Stage: "final-report", Deadline: now.Add(-time.Hour)},                                          // overdue
			{Stage: "other", Deadline: now.Add(time.Hour)},                                                  // still open
		},
	}}
	want := []Case{{ID: "C1", Type: "exploited", Met: []string{"early-warning"}, Missed: []string{"notification", "final-report"}}}
	if diff := cmp.Diff(want, CasesFrom(in, now)); diff != "" {
		t.Errorf("CasesFrom (-want +got):\n%s", diff)
	}
}

func TestVulnerabilitiesFrom(t *testing.T) {
	fs := []catalog.Finding{
		{Vulnerability: "A", VEX: catalog.VEXAffected, Exploited: true},
		{Vulnerability: "B"},
		{Vulnerability: "C", VEX: catalog.VEXNotAffected, Exploited: true},
		{Vulnerability: "D", FixedInRelease: true, Exploited: true},
		{Vulnerability: "E", VEX: catalog.VEXFixed},
		{Vulnerability: "F", VEX: catalog.VEXUnderInvestigation},
	}
	got := VulnerabilitiesFrom(fs, []catalog.Advisory{{ID: "SA-1"}, {ID: "SA-2"}})
	want := Vulnerabilities{Open: 3, Exploited: 1, Fixed: 2, Advisories: []string{"SA-1", "SA-2"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("VulnerabilitiesFrom (-want +got):\n%s", diff)
	}
}

func TestNotices(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Dossier)
		want []string // substrings, one per notice, in order
	}{
		{"sample", func(*Dossier) {}, []string{"cra-annex-i-1-2-b", "etsi-5.1-1"}},
		{"all pass", func(d *Dossier) { d.Verdicts = d.Verdicts[:1] }, nil},
		{"no verdicts", func(d *Dossier) { d.Verdicts = nil }, []string{"No requirement verdicts"}},
		{"procedure not open", func(d *Dossier) {
			d.Verdicts = d.Verdicts[:1]
			d.Route = catalog.ConformityRoute(catalog.ClassImportantII)
			d.Procedure = catalog.ModuleA
		}, []string{"not open to a product of class important-ii"}},
		{"body missing", func(d *Dossier) { d.Verdicts = d.Verdicts[:1]; d.NotifiedBody = nil }, []string{"none is recorded"}},
		{"unknown class", func(d *Dossier) {
			d.Verdicts = d.Verdicts[:1]
			d.Route = catalog.ConformityRoute("bogus")
		}, []string{`"bogus" is not one`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := sample()
			tt.edit(&d)
			got := notices(d)
			if len(got) != len(tt.want) {
				t.Fatalf("notices = %q, want %d", got, len(tt.want))
			}
			for i, w := range tt.want {
				if !contains(got[i], w) {
					t.Errorf("notice %d = %q, want it to contain %q", i, got[i], w)
				}
			}
		})
	}
}

func TestClean(t *testing.T) {
	tests := map[string]string{
		"":                     "",
		"  plain  ":            "plain",
		"a\r\nb":               "a\nb",
		"bell\x07tab\tnul\x00": "bell tab nul",
		"bad\xffutf8":          "bad\uFFFDutf8",
		"Müller":               "Müller",
	}
	for in, want := range tests {
		if got := clean(in); got != want {
			t.Errorf("clean(%q) = %q, want %q", in, got, want)
		}
	}
}
