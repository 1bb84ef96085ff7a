package catalog

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
)

var fixedNow = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// cleanRouter is a router release with every automated check passing.
// labRun is a lab run with one check.
func labRun(id, result string) *LabEvidence {
	return &LabEvidence{Ref: "sha256:transcript", Target: "192.0.2.1", At: fixedNow.Add(-time.Hour),
		Checks: []LabCheck{{ID: id, Result: result, Detail: "observed"}}}
}

func cleanRouter() Evidence {
	return Evidence{
		Product: Product{Name: "HomeRouter X1", Category: CategoryRouter, CRAClass: ClassImportantI,
			Facts: map[string]bool{"uses-passwords": true, "constrained-device": false, "update-mechanism": true}},
		Release: Release{Version: "2.0.0", PlacedOnMarket: "2026-06-01", SupportEnd: "2031-12"},
		SBOM:    &SBOMEvidence{Ref: "sha256:sbom", Format: "CycloneDX 1.6", TRChecked: true},
		Scan:    &ScanEvidence{Ref: "scan-1", At: fixedNow.Add(-time.Hour), Matched: true, Components: 40, Checked: 40, Advisories: 250000, KEV: true},
		Findings: []Finding{
			{Vulnerability: "CVE-2024-0001", Component: "pkg:generic/busybox@1.36", Severity: "high", VEX: VEXNotAffected},
			{Vulnerability: "CVE-2024-0002", Component: "pkg:generic/openssl@3.0", Severity: "critical", FixedInRelease: true},
		},
		Advisories: []Advisory{{ID: "SIEGEL-2026-0001", Vulnerabilities: []string{"CVE-2024-0002"}, FixedReleases: []string{"2.0.0"}}},
		Firmware:   &FirmwareEvidence{Ref: "sha256:image", Files: 412},
	}
}

// one evaluates a single evaluator the way a requirement naming it would.
func one(t *testing.T, name string, params map[string]string, ev Evidence) outcome {
	t.Helper()
	e, ok := evaluators[name]
	if !ok {
		t.Fatalf("no evaluator %s", name)
	}
	r := &Requirement{ID: "test/x", Level: Mandatory, Params: params}
	return e.fn(r, &ev, fixedNow)
}

func TestEvaluators(t *testing.T) {
	type tc struct {
		name      string
		evaluator string
		params    map[string]string
		change    func(*Evidence)
		want      string
		reason    string // substring
	}
	tests := []tc{
		{"sbom present", "sbom-present", nil, nil, Pass, "SBOM recorded"},
		{"sbom absent", "sbom-present", nil, func(e *Evidence) { e.SBOM = nil }, Fail, "no SBOM"},

		{"tr complete", "sbom-tr03183-complete", nil, nil, Pass, "every field"},
		{"tr incomplete", "sbom-tr03183-complete", nil, func(e *Evidence) { e.SBOM.Missing = []string{"SHA-512 hash", "creator"} }, Fail, "SHA-512 hash, creator"},
		{"tr not checked", "sbom-tr03183-complete", nil, func(e *Evidence) { e.SBOM.TRChecked = false }, NeedsAttestation, "not been checked"},

		{"field present", "sbom-tr03183-field", map[string]string{"field": "SHA-512 hash"}, nil, Pass, "present"},
		{"field missing", "sbom-tr03183-field", map[string]string{"field": "SHA-512 hash"}, func(e *Evidence) { e.SBOM.Missing = []string{"SHA-512 hash"} }, Fail, "SHA-512 hash is missing"},
		{"field outside the check", "sbom-tr03183-field", map[string]string{"field": "SHA-512 hash"}, func(e *Evidence) { e.SBOM.Checked = []string{"creator"} }, NeedsAttestation, "does not cover"},

		{"no exploited", "no-known-exploited-unfixed", nil, nil, Pass, "no actively exploited"},
		{"exploited unfixed", "no-known-exploited-unfixed", nil, func(e *Evidence) {
			e.Findings = append(e.Findings,
				Finding{Vulnerability: "CVE-2023-9999", Exploited: true, Severity: "high"},
				Finding{Vulnerability: "CVE-2023-1111", Exploited: true, Severity: "medium", VEX: VEXAffected},
				Finding{Vulnerability: "CVE-2023-2222", Exploited: true, FixedInRelease: true})
		}, Fail, "2 actively exploited vulnerabilities unfixed: CVE-2023-1111, CVE-2023-9999"},
		{"exploited but not affected", "no-known-exploited-unfixed", nil, func(e *Evidence) {
			e.Findings = append(e.Findings, Finding{Vulnerability: "CVE-2023-9999", Exploited: true, VEX: VEXNotAffected})
		}, Pass, ""},
		{"no scan", "no-known-exploited-unfixed", nil, func(e *Evidence) { e.Scan = nil }, NeedsAttestation, "no vulnerability scan"},
		// A matching that found nothing shows an absence only for what it checked.
		{"not matched yet", "no-known-exploited-unfixed", nil, func(e *Evidence) { e.Scan.Matched = false }, NeedsAttestation, "has not been matched"},
		{"empty database", "no-known-exploited-unfixed", nil, func(e *Evidence) { e.Scan.Advisories, e.Scan.Checked = 0, 0 }, NeedsAttestation, "held no advisories"},
		{"components unchecked", "no-known-exploited-unfixed", nil, func(e *Evidence) { e.Scan.Checked = 37 }, NeedsAttestation, "3 of 40 components were not checked"},
		{"no KEV", "no-known-exploited-unfixed", nil, func(e *Evidence) { e.Scan.KEV = false }, NeedsAttestation, "no CISA KEV catalogue"},
		{"unchecked but exploited", "no-known-exploited-unfixed", nil, func(e *Evidence) {
			e.Scan.Checked = 37
			e.Findings = append(e.Findings, Finding{Vulnerability: "CVE-2023-9999", Exploited: true})
		}, Fail, "1 actively exploited vulnerability unfixed: CVE-2023-9999"},
		{"critical: components unchecked", "no-critical-unfixed", nil, func(e *Evidence) { e.Scan.Checked = 39 }, NeedsAttestation, "1 of 40 components were not checked"},
		{"critical: no KEV needed", "no-critical-unfixed", nil, func(e *Evidence) { e.Scan.KEV = false }, Pass, "no critical"},
		{"vex: not matched", "vex-coverage", nil, func(e *Evidence) { e.Scan.Matched = false }, NeedsAttestation, "has not been matched"},
		{"fixed: empty database", "advisory-per-fixed-vulnerability", nil, func(e *Evidence) {
			e.Findings = nil
			e.Scan.Advisories, e.Scan.Checked = 0, 0
		}, NeedsAttestation, "held no advisories"},
		{"clocks: no KEV, no case", "reporting-clocks-kept", map[string]string{"type": "exploited"}, func(e *Evidence) {
			e.Cases = nil
			e.Scan.KEV = false
		}, NeedsAttestation, "no CISA KEV catalogue"},

		{"no critical", "no-critical-unfixed", nil, nil, Pass, "no critical"},
		{"critical open", "no-critical-unfixed", nil, func(e *Evidence) {
			e.Findings = append(e.Findings, Finding{Vulnerability: "CVE-2025-1", Severity: "CRITICAL", VEX: VEXUnderInvestigation})
		}, Fail, "1 critical vulnerability unfixed (policy: none at release): CVE-2025-1"},

		{"vex covered", "vex-coverage", nil, nil, Pass, "every open finding has a VEX status (1)"},
		{"vex missing", "vex-coverage", nil, func(e *Evidence) {
			e.Findings = append(e.Findings, Finding{Vulnerability: "CVE-2025-2"}, Finding{Vulnerability: "CVE-2025-3", FixedInRelease: true})
		}, Fail, "1 open finding without a VEX status: CVE-2025-2"},

		{"support five years", "support-period", nil, nil, Pass, "2026-06-01 to 2031-12-31 (placed on the market), 5 years 6 months 30 days: at least five years"},
		{"support short", "support-period", nil, func(e *Evidence) { e.Release.SupportEnd = "2028-05" }, Fail, "1 year 11 months 30 days: under five years"},
		{"support short with words only", "support-period", nil, func(e *Evidence) {
			e.Release.SupportEnd = "2028-05"
			e.Release.SupportJustification = "single-season event device"
		}, Fail, "needs the time the product is expected to be in use"},
		{"support short justified", "support-period", nil, func(e *Evidence) {
			e.Release.SupportEnd = "2028-05"
			e.Release.SupportJustification, e.Release.SupportExpectedUseMonths, e.Release.SupportBasis = "single-season event device", 23, "intended-purpose"
		}, Pass, "single-season"},
		{"router at the five-year minimum", "support-period", nil, func(e *Evidence) { e.Release.SupportEnd = "2031-06" }, Pass, "warning: products of category \"router\""},
		{"support ends in its placing month, a month early", "support-period", nil, func(e *Evidence) { e.Release.SupportEnd = "2031-05" }, Fail, "4 years 11 months 30 days"},
		{"support ends before placing", "support-period", nil, func(e *Evidence) {
			e.Release.SupportEnd, e.Release.SupportJustification = "2026-01", "end of life"
		}, Fail, "before the product is placed on the market"},
		{"support ended", "support-period", nil, func(e *Evidence) {
			e.Release.PlacedOnMarket, e.Release.SupportEnd, e.Release.SupportJustification = "2019-01-01", "2026-10", "x"
		}, Fail, "ended with 2026-10"},
		{"support not recorded", "support-period", nil, func(e *Evidence) { e.Release.SupportEnd = "" }, Fail, "no support end"},
		{"support malformed", "support-period", nil, func(e *Evidence) { e.Release.SupportEnd = "Dec 2031" }, Fail, "YYYY-MM"},

		{"advisories", "advisory-per-fixed-vulnerability", nil, nil, Pass, "every fixed vulnerability (1)"},
		{"advisory by alias", "advisory-per-fixed-vulnerability", nil, func(e *Evidence) {
			e.Findings[1].Vulnerability, e.Findings[1].Aliases = "GHSA-xxxx", []string{"CVE-2024-0002"}
		}, Pass, ""},
		{"advisory missing", "advisory-per-fixed-vulnerability", nil, func(e *Evidence) { e.Advisories = nil }, Fail, "1 vulnerability fixed without a published advisory that discloses the fix in 2.0.0: CVE-2024-0002"},
		// Annex I Part II (4): an advisory published before the fix does not disclose it.
		{"advisory silent on the fix", "advisory-per-fixed-vulnerability", nil, func(e *Evidence) { e.Advisories[0].FixedReleases = []string{"1.0.0"} }, Fail, "discloses the fix in 2.0.0: CVE-2024-0002"},
		{"nothing fixed", "advisory-per-fixed-vulnerability", nil, func(e *Evidence) { e.Findings = nil }, Pass, "no fixed vulnerability"},

		{"firmware clean", "firmware-no-default-passwords", nil, nil, Pass, "found no default"},
		{"lab: no run", "lab-check", map[string]string{"lab-checks": "telnet"}, nil, NeedsAttestation, "no lab run recorded"},
		{"lab: passed", "lab-check", map[string]string{"lab-checks": "telnet"}, func(e *Evidence) { e.Lab = labRun("telnet", "pass") }, Pass, "passed telnet: observed"},
		{"lab: one of two failed", "lab-check", map[string]string{"lab-checks": "tls,telnet"}, func(e *Evidence) {
			e.Lab = labRun("telnet", "pass")
			e.Lab.Checks = append(e.Lab.Checks, LabCheck{ID: "tls", Result: "fail", Detail: "offers TLS 1.0"})
		}, Fail, "tls: offers TLS 1.0"},
		{"lab: check not in the run", "lab-check", map[string]string{"lab-checks": "telnet,ssh-crypto"}, func(e *Evidence) { e.Lab = labRun("telnet", "pass") }, NeedsAttestation, "ssh-crypto: not in the lab run"},
		{"lab: not tested", "lab-check", map[string]string{"lab-checks": "tls"}, func(e *Evidence) { e.Lab = labRun("tls", "not-tested") }, NeedsAttestation, "tls: not tested"},
		{"firmware default password", "firmware-no-default-passwords", nil, func(e *Evidence) {
			e.Firmware.Weaknesses = []Weakness{{Rule: "weak-credentials", ID: "default-password", Severity: "critical", Path: "etc/shadow"}}
		}, Fail, "etc/shadow (default-password)"},
		{"no firmware", "firmware-no-default-passwords", nil, func(e *Evidence) { e.Firmware = nil }, NeedsAttestation, "no firmware analysis"},
		{"firmware unpacked nothing", "firmware-no-default-passwords", nil, func(e *Evidence) { e.Firmware.Files = 0 }, NeedsAttestation, "unpacked no files"},
		{"firmware unpacked nothing but found a key", "firmware-no-shared-private-keys", nil, func(e *Evidence) {
			e.Firmware.Files = 0
			e.Firmware.Weaknesses = []Weakness{{Rule: "private-key", ID: "rsa", Severity: "high", Path: "image"}}
		}, Fail, "found"},
		{"telnet", "firmware-no-telnet", nil, func(e *Evidence) {
			e.Firmware.Weaknesses = []Weakness{{Rule: "telnet", ID: "telnetd-started", Severity: "high", Path: "etc/init.d/rcS"}}
		}, Fail, "etc/init.d/rcS"},
		{"telnet clean", "firmware-no-telnet", nil, func(e *Evidence) {
			e.Firmware.Weaknesses = []Weakness{{Rule: "weak-credentials", Severity: "high", Path: "etc/shadow"}}
		}, Pass, ""},
		{"private key", "firmware-no-shared-private-keys", nil, func(e *Evidence) {
			e.Firmware.Weaknesses = []Weakness{{Rule: "private-key", ID: "rsa-private-key", Severity: "high", Path: "etc/ssl/server.key"}}
		}, Fail, "server.key"},
		{"hardening high", "firmware-hardening", nil, func(e *Evidence) {
			e.Firmware.Weaknesses = []Weakness{{Rule: "hardening", ID: "missing-mitigations", Severity: "high", Path: "usr/sbin/httpd"}}
		}, Fail, "usr/sbin/httpd"},
		{"hardening low only", "firmware-hardening", nil, func(e *Evidence) {
			e.Firmware.Weaknesses = []Weakness{{Rule: "hardening", ID: "missing-mitigations", Severity: "low", Path: "usr/bin/tool"}}
		}, Pass, "below it: usr/bin/tool"},
		{"unknown severity fails", "firmware-permissions", nil, func(e *Evidence) {
			e.Firmware.Weaknesses = []Weakness{{Rule: "permissions", ID: "world-writable", Severity: "", Path: "etc/passwd"}}
		}, Fail, "etc/passwd"},

		{"clocks: no case", "reporting-clocks-kept", map[string]string{"type": "exploited"}, nil, Pass, "no exploited case"},
		{"clocks: exploited without case", "reporting-clocks-kept", map[string]string{"type": "exploited"}, func(e *Evidence) {
			e.Findings = append(e.Findings, Finding{Vulnerability: "CVE-2025-7", Exploited: true, FixedInRelease: true})
		}, Fail, "1 actively exploited vulnerability without a reporting case: CVE-2025-7"},
		{"clocks: case by alias", "reporting-clocks-kept", map[string]string{"type": "exploited"}, func(e *Evidence) {
			e.Findings = append(e.Findings, Finding{Vulnerability: "GHSA-1", Aliases: []string{"CVE-2025-7"}, Exploited: true})
			e.Cases = []Case{{ID: "7", Type: "exploited", Vulnerability: "CVE-2025-7", Stages: []CaseStage{
				{Stage: "early-warning", Deadline: fixedNow.Add(-48 * time.Hour), Submitted: fixedNow.Add(-50 * time.Hour), Met: true},
				{Stage: "notification", Deadline: fixedNow.Add(24 * time.Hour)},
				{Stage: "final-report"},
			}}}
		}, Pass, "still running: case 7 notification"},
		{"clocks: missed", "reporting-clocks-kept", map[string]string{"type": "exploited", "stage": "early-warning"}, func(e *Evidence) {
			e.Cases = []Case{{ID: "8", Type: "exploited", Vulnerability: "CVE-2025-8", Stages: []CaseStage{
				{Stage: "early-warning", Deadline: fixedNow.Add(-time.Hour)},
			}}}
		}, Fail, "case 8 early-warning due 2026-11-27T11:00:00Z not submitted"},
		{"clocks: late", "reporting-clocks-kept", map[string]string{"stage": "notification"}, func(e *Evidence) {
			e.Cases = []Case{{ID: "9", Type: "incident", Stages: []CaseStage{
				{Stage: "notification", Deadline: fixedNow.Add(-5 * time.Hour), Submitted: fixedNow.Add(-time.Hour)},
			}}}
		}, Fail, "submitted late"},
		{"clocks: met", "reporting-clocks-kept", map[string]string{"type": "incident"}, func(e *Evidence) {
			e.Cases = []Case{{ID: "9", Type: "incident", Stages: []CaseStage{
				{Stage: "early-warning", Deadline: fixedNow.Add(-5 * time.Hour), Met: true},
			}}}
		}, Pass, "every reporting deadline met (1 stage)"},
		{"support defined", "support-period-defined", nil, nil, Pass, "until the end of 2031-12"},
		// EN 303 645 5.3-13 asks for a defined, published period; it has no minimum length.
		{"support defined, short", "support-period-defined", nil, func(e *Evidence) { e.Release.SupportEnd = "2027-06" }, Pass, "until the end of 2027-06"},
		{"support not defined", "support-period-defined", nil, func(e *Evidence) { e.Release.SupportEnd = "" }, Fail, "no support period defined"},
		{"support end malformed", "support-period-defined", nil, func(e *Evidence) { e.Release.SupportEnd = "2031-1" }, Fail, "not a month"},
		{"support ends before placing", "support-period-defined", nil, func(e *Evidence) { e.Release.SupportEnd = "2026-05" }, Fail, "before the release was placed"},
		{"clocks: nothing known", "reporting-clocks-kept", map[string]string{"type": "exploited"}, func(e *Evidence) { e.Scan = nil }, NeedsAttestation, "no vulnerability scan"},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		seen[tt.evaluator] = true
		t.Run(tt.evaluator+"/"+tt.name, func(t *testing.T) {
			ev := cleanRouter()
			if tt.change != nil {
				tt.change(&ev)
			}
			got := one(t, tt.evaluator, tt.params, ev)
			if got.result != tt.want || !strings.Contains(got.reason, tt.reason) {
				t.Errorf("got %s %q, want %s with %q", got.result, got.reason, tt.want, tt.reason)
			}
		})
	}
	for _, name := range EvaluatorNames() {
		if !seen[name] {
			t.Errorf("evaluator %s has no test", name)
		}
	}
}

func verdictOf(t *testing.T, vs []Verdict, id string) Verdict {
	t.Helper()
	i := slices.IndexFunc(vs, func(v Verdict) bool { return v.Requirement == id })
	if i < 0 {
		t.Fatalf("no verdict for %s", id)
	}
	return vs[i]
}

func TestPlantedDefaultPassword(t *testing.T) {
	c := mustLoad(t)
	ev := cleanRouter()
	ev.Product.Facts = nil // the firmware itself shows that passwords are used
	ev.Firmware.Weaknesses = []Weakness{{Rule: "weak-credentials", ID: "default-password", Severity: "critical", Path: "etc/shadow"}}
	// An attestation does not outweigh a failing check.
	ev.Attestations = []Attestation{{Requirement: "etsi-en-303-645/5.1-1", Document: "passwords.pdf", SignedBy: "A. Admin", Role: "manufacturer-admin", At: fixedNow.Add(-time.Hour)}}
	vs := Evaluate(c, ev, fixedNow)
	for _, id := range []string{"etsi-en-303-645/5.1-1", "bsi-tr-03148/initial-password", "cra/annex-i/part-i/2/d", "cra/annex-i/part-i/2/b"} {
		v := verdictOf(t, vs, id)
		if v.Result != Fail || !strings.Contains(v.Reason, "etc/shadow") {
			t.Errorf("%s: %s %q, want fail naming etc/shadow", id, v.Result, v.Reason)
		}
	}
	if ok, reasons := Plausible(vs); ok || !slices.ContainsFunc(reasons, func(s string) bool { return strings.HasPrefix(s, "etsi-en-303-645/5.1-1 ") }) {
		t.Errorf("Plausible = %v, %v", ok, reasons)
	}
}

func TestEvaluateDecisions(t *testing.T) {
	c := mustLoad(t)
	at := func(id, role string) Attestation {
		return Attestation{Requirement: id, Document: "doc.pdf", Digest: "sha256:d", SignedBy: "S. Signer", Role: role, At: fixedNow.Add(-time.Hour)}
	}
	tests := []struct {
		name   string
		id     string
		change func(*Evidence)
		want   string
		attest bool
		reason string
	}{
		{"attestation-only without statement", "etsi-en-303-645/5.2-1", nil, NeedsAttestation, false, "attestation by"},
		{"attestation-only attested", "etsi-en-303-645/5.2-1", func(e *Evidence) { e.Attestations = []Attestation{at("etsi-en-303-645/5.2-1", "psirt")} }, Pass, true, "S. Signer (psirt)"},
		{"attestation by a role not allowed", "etsi-en-303-645/5.2-1", func(e *Evidence) { e.Attestations = []Attestation{at("etsi-en-303-645/5.2-1", "device")} }, NeedsAttestation, false, ""},
		{"attestation from the future", "etsi-en-303-645/5.2-1", func(e *Evidence) {
			a := at("etsi-en-303-645/5.2-1", "psirt")
			a.At = fixedNow.Add(time.Hour)
			e.Attestations = []Attestation{a}
		}, NeedsAttestation, false, ""},
		{"partial passing needs attestation", "etsi-en-303-645/5.1-1", func(e *Evidence) { e.Lab = labRun("default-credentials", "pass") }, NeedsAttestation, false, "only part"},
		{"partial without a lab run", "etsi-en-303-645/5.1-1", nil, NeedsAttestation, false, "no lab run recorded"},
		{"lab default login fails whatever is attested", "etsi-en-303-645/5.1-1", func(e *Evidence) {
			e.Lab = labRun("default-credentials", "fail")
			e.Attestations = []Attestation{at("etsi-en-303-645/5.1-1", "auditor")}
		}, Fail, false, "lab run sha256:transcript failed default-credentials"},
		{"brute force decided by the lab", "etsi-en-303-645/5.1-5", func(e *Evidence) { e.Lab = labRun("brute-force", "pass") }, Pass, false, "lab run"},
		{"brute force failed in the lab", "bsi-tr-03148/brute-force", func(e *Evidence) { e.Lab = labRun("brute-force", "fail") }, Fail, false, "brute-force: observed"},
		{"open resolver not tested", "bsi-tr-03148/dns", func(e *Evidence) { e.Lab = labRun("open-resolver", "not-tested") }, NeedsAttestation, false, "did not settle open-resolver"},
		{"partial passing and attested", "etsi-en-303-645/5.1-1", func(e *Evidence) { e.Attestations = []Attestation{at("etsi-en-303-645/5.1-1", "auditor")} }, Pass, true, "found no default"},
		{"firmware-only without firmware", "etsi-en-303-645/5.1-1", func(e *Evidence) { e.Firmware = nil }, NeedsAttestation, false, "no firmware analysis"},
		{"automatic passes on its own", "cra/annex-i/part-ii/1", nil, Pass, false, "SBOM recorded"},
		{"automatic lacking evidence, attested", "cra/art-14/1", func(e *Evidence) {
			e.Scan = nil
			e.Attestations = []Attestation{at("cra/art-14/1", "psirt")}
		}, Pass, true, "attested by"},
		{"condition does not hold", "etsi-en-303-645/5.1-5", func(e *Evidence) { e.Product.Facts["constrained-device"] = true }, NotApplicable, false, "condition (5) does not hold"},
		{"condition holds", "etsi-en-303-645/5.1-5", nil, NeedsAttestation, false, ""},
		{"condition open", "etsi-en-303-645/6-5", nil, NeedsAttestation, false, "applicability not settled: condition (6) telemetry data is collected"},
		{"condition of two, one false", "etsi-en-303-645/5.3-14", func(e *Evidence) { e.Product.Facts["software-updateable"] = true }, NotApplicable, false, "condition (3)"},
		{"wrong category", "bsi-tr-03148/firewall", func(e *Evidence) { e.Product.Category = CategorySmartConsumer }, NotApplicable, false, "applies to router"},
		{"ETSI on a smart device", "etsi-en-303-645/5.2-1", func(e *Evidence) { e.Product.Category = CategorySmartConsumer }, NeedsAttestation, false, ""},
		{"ETSI not on other products", "etsi-en-303-645/5.2-1", func(e *Evidence) { e.Product.Category = "industrial-controller" }, NotApplicable, false, ""},
		{"ETSI on a smart plug", "etsi-en-303-645/5.1-3", func(e *Evidence) { e.Product.Category = "smart-plug" }, NeedsAttestation, false, ""},
		{"no category", "etsi-en-303-645/5.1-3", func(e *Evidence) { e.Product.Category = "" }, NotApplicable, false, "no category yet"},
		{"5.3-13 has no five-year rule", "etsi-en-303-645/5.3-13", func(e *Evidence) {
			e.Release.SupportEnd = "2028-06"
			e.Attestations = []Attestation{at("etsi-en-303-645/5.3-13", "psirt")}
		}, Pass, true, "until the end of 2028-06"},
		{"CRA keeps its five-year rule", "cra/art-13/8", func(e *Evidence) { e.Release.SupportEnd = "2028-06" }, Fail, false, ""},
		{"4-1 needs the record", "etsi-en-303-645/4-1", nil, NeedsAttestation, false, "attestation by"},
		{"document required, none carried", "etsi-en-303-645/4-1", func(e *Evidence) {
			a := at("etsi-en-303-645/4-1", "psirt")
			a.Digest = ""
			e.Attestations = []Attestation{a}
		}, NeedsAttestation, false, ""},
		{"document required and carried", "etsi-en-303-645/4-1", func(e *Evidence) { e.Attestations = []Attestation{at("etsi-en-303-645/4-1", "psirt")} }, Pass, true, ""},
		{"6-3 not applicable without consent", "etsi-en-303-645/6-3", func(e *Evidence) { e.Product.Facts["consent-based-processing"] = false }, NotApplicable, false, "condition (7)"},
		{"6-3 with consent", "etsi-en-303-645/6-3", func(e *Evidence) { e.Product.Facts["consent-based-processing"] = true }, NeedsAttestation, false, ""},
		{"guest WLAN not offered", "bsi-tr-03148/guest-wlan", func(e *Evidence) { e.Product.Facts["guest-wlan"] = false }, NotApplicable, false, "guest WLAN"},
		{"guest WLAN offered", "bsi-tr-03148/guest-wlan", func(e *Evidence) { e.Product.Facts["guest-wlan"] = true }, NeedsAttestation, false, ""},
		{"TR-03183-2 additional field open", "bsi-tr-03183-2/component/source-uri", nil, NeedsAttestation, false, "does not cover source code URI"},
		{"TR-03183-2 additional field checked", "bsi-tr-03183-2/component/source-uri", func(e *Evidence) { e.SBOM.Checked = []string{"source code URI"} }, Pass, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := cleanRouter()
			if tt.change != nil {
				tt.change(&ev)
			}
			v := verdictOf(t, Evaluate(c, ev, fixedNow), tt.id)
			if v.Result != tt.want || v.Attested != tt.attest || !strings.Contains(v.Reason, tt.reason) {
				t.Errorf("got %s attested=%v %q, want %s attested=%v with %q", v.Result, v.Attested, v.Reason, tt.want, tt.attest, tt.reason)
			}
		})
	}
}

func TestEvaluateDeterministic(t *testing.T) {
	c := mustLoad(t)
	ev := cleanRouter()
	ev.Findings = append(ev.Findings, Finding{Vulnerability: "CVE-2025-3", Exploited: true}, Finding{Vulnerability: "CVE-2025-1", Exploited: true})
	a, b := Evaluate(c, ev, fixedNow), Evaluate(c, ev, fixedNow)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Fatalf("two runs differ:\n%s", diff)
	}
	if len(a) != len(c.Requirements) {
		t.Fatalf("%d verdicts for %d requirements", len(a), len(c.Requirements))
	}
	if !slices.IsSortedFunc(a, func(x, y Verdict) int { return strings.Compare(x.Requirement, y.Requirement) }) {
		t.Error("verdicts not sorted by requirement id")
	}
	if v := verdictOf(t, a, "cra/annex-i/part-i/2/a"); !strings.Contains(v.Reason, "2 actively exploited vulnerabilities unfixed: CVE-2025-1, CVE-2025-3") {
		t.Errorf("reason %q", v.Reason)
	}
}

// Attesting every requirement that needs it makes a clean release plausible; Plausible ignores
// recommendations and requirements that do not apply.
func TestPlausible(t *testing.T) {
	c := mustLoad(t)
	ev := cleanRouter()
	ev.SBOM.Checked = nil
	for _, v := range Evaluate(c, ev, fixedNow) {
		if v.Result == NeedsAttestation && v.Mandatory {
			ev.Attestations = append(ev.Attestations, Attestation{Requirement: v.Requirement, Document: "dossier.pdf", Digest: "ab", SignedBy: "A. Auditor", Role: "auditor", At: fixedNow.Add(-time.Minute)})
		}
	}
	vs := Evaluate(c, ev, fixedNow)
	if ok, reasons := Plausible(vs); !ok {
		t.Fatalf("not plausible:\n%s", strings.Join(reasons, "\n"))
	}
	ev.Release.SupportEnd = "2027-01"
	ok, reasons := Plausible(Evaluate(c, ev, fixedNow))
	if ok || len(reasons) == 0 || !strings.Contains(strings.Join(reasons, "\n"), "cra/art-13/8 (Art. 13(8)): fail") {
		t.Errorf("short support: ok=%v reasons=%v", ok, reasons)
	}
	if ok, _ := Plausible([]Verdict{{Requirement: "x", Mandatory: false, Result: Fail}, {Requirement: "y", Mandatory: true, Result: NotApplicable}, {Requirement: "z", Mandatory: true, Result: Pass}}); !ok {
		t.Error("recommendation or not-applicable requirement made it implausible")
	}
	// Nothing mandatory applies: nothing was checked, so nothing supports a claim.
	if ok, reasons := Plausible([]Verdict{{Requirement: "x", Mandatory: false, Result: Pass}, {Requirement: "y", Mandatory: true, Result: NotApplicable}}); ok || !slices.Equal(reasons, []string{NothingApplies}) {
		t.Errorf("nothing applicable: ok=%v %v", ok, reasons)
	}
}

// A smart plug declared against ETSI EN 303 645 is evaluated against every provision, so
// nothing attested leaves it implausible; a product whose category is not on the list gets no
// ETSI provision and is not plausible either, for the reason that nothing applies.
func TestSmartPlugNotAllClear(t *testing.T) {
	c := mustLoad(t)
	etsi := func(vs []Verdict) (out []Verdict) {
		for _, v := range vs {
			if v.Standard == "etsi-en-303-645" {
				out = append(out, v)
			}
		}
		return out
	}
	ev := cleanRouter()
	ev.Product = Product{Name: "Plug", Category: "smart-plug", CRAClass: ClassDefault}
	vs := etsi(Evaluate(c, ev, fixedNow))
	if ok, reasons := Plausible(vs); ok || slices.Contains(reasons, NothingApplies) {
		t.Errorf("smart plug: ok=%v %v", ok, reasons)
	}
	if v := verdictOf(t, vs, "etsi-en-303-645/5.1-3"); v.Result == NotApplicable {
		t.Errorf("5.1-3 on a smart plug: %+v", v)
	}
	ev.Product.Category = "smart plug"
	if ok, reasons := Plausible(etsi(Evaluate(c, ev, fixedNow))); ok || !slices.Equal(reasons, []string{NothingApplies}) {
		t.Errorf("unknown category: ok=%v %v", ok, reasons)
	}
}

func TestConformityRoute(t *testing.T) {
	procs := func(r Route) []string {
		var out []string
		for _, o := range r.Options {
			out = append(out, o.Procedure+" "+o.Basis)
		}
		return out
	}
	tests := []struct {
		class string
		want  []string
		cond  string // a condition one option carries
	}{
		{ClassDefault, []string{"module-a Art. 32(1)(a)", "module-b+c Art. 32(1)(b)", "module-h Art. 32(1)(c)", "eu-cybersecurity-certification Art. 32(1)(d)"}, ""},
		{ClassImportantI, []string{"module-a Art. 32(2)", "module-b+c Art. 32(2)(a)", "module-h Art. 32(2)(b)", "eu-cybersecurity-certification Art. 32(1)(d), 32(2)"}, "applied in full"},
		{ClassImportantII, []string{"module-b+c Art. 32(3)(a)", "module-h Art. 32(3)(b)", "eu-cybersecurity-certification Art. 32(3)(c)"}, "substantial"},
		{ClassCritical, []string{"eu-cybersecurity-certification Art. 8(1), 32(4)", "module-b+c Art. 32(4), 32(3)(a)", "module-h Art. 32(4), 32(3)(b)"}, "delegated act"},
	}
	for _, tt := range tests {
		t.Run(tt.class, func(t *testing.T) {
			r := ConformityRoute(tt.class)
			if !r.Known || len(r.Reasons) == 0 {
				t.Errorf("route %+v", r)
			}
			if diff := cmp.Diff(tt.want, procs(r)); diff != "" {
				t.Errorf("options (-want +got):\n%s", diff)
			}
			if tt.cond != "" && !slices.ContainsFunc(r.Options, func(o RouteOption) bool { return strings.Contains(o.When, tt.cond) }) {
				t.Errorf("no option conditional on %q", tt.cond)
			}
		})
	}
	if r := ConformityRoute("important"); r.Known || len(r.Options) != 0 || !strings.Contains(r.Reasons[0], "unknown") {
		t.Errorf("unknown class: %+v", r)
	}
}

func BenchmarkEvaluate(b *testing.B) {
	c := mustLoad(b)
	ev := cleanRouter()
	for i := range 500 {
		ev.Findings = append(ev.Findings, Finding{Vulnerability: "CVE-2025-" + string(rune('a'+i%26)), Severity: "medium", VEX: VEXAffected})
	}
	for b.Loop() {
		Evaluate(c, ev, fixedNow)
	}
	b.ReportMetric(float64(len(c.Requirements)), "requirements")
}

func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		if _, err := Load(); err != nil {
			b.Fatal(err)
		}
	}
}

func TestApplicabilityByClass(t *testing.T) {
	src := strings.Replace(string(readTestdata(t, "valid.yaml")), "    evaluators: [sbom-present]\n", "    evaluators: [sbom-present]\n    applies: {craClasses: [critical]}\n", 1)
	c, err := LoadFS(fstest.MapFS{"s.yaml": {Data: []byte(src)}}, Schema())
	if err != nil {
		t.Fatal(err)
	}
	for class, want := range map[string]string{ClassCritical: Pass, ClassImportantII: NotApplicable, "critcal": Pass, "": Pass} {
		ev := cleanRouter()
		ev.Product.CRAClass = class
		if v := verdictOf(t, Evaluate(c, ev, fixedNow), "sample/one"); v.Result != want {
			t.Errorf("class %q: %s %q, want %s", class, v.Result, v.Reason, want)
		}
	}
	if ok, reasons := Plausible(nil); ok || len(reasons) != 1 {
		t.Errorf("Plausible(nil) = %v, %v", ok, reasons)
	}
}
