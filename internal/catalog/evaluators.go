package catalog

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/cra"
)

// evaluators are the checks catalogs can name. Each reads only Evidence; each says
// needs-attestation, not pass, when the evidence it needs was not recorded.
var evaluators = map[string]evaluator{
	"sbom-present":                     {fn: sbomPresent},
	"sbom-tr03183-complete":            {fn: sbomComplete},
	"sbom-tr03183-field":               {params: []string{"field"}, fn: sbomField},
	"no-known-exploited-unfixed":       {fn: noExploitedUnfixed},
	"no-critical-unfixed":              {fn: noCriticalUnfixed},
	"vex-coverage":                     {fn: vexCoverage},
	"support-period":                   {fn: supportPeriod},
	"support-period-defined":           {fn: supportPeriodDefined},
	"advisory-per-fixed-vulnerability": {fn: advisoryPerFixed},
	"reporting-clocks-kept":            {fn: reportingClocks},
	"firmware-no-default-passwords":    {fn: firmwareRule("weak-credentials", "low", "default or weak credentials")},
	"firmware-no-telnet":               {fn: firmwareRule("telnet", "low", "remote shell services (telnet and the like)")},
	"firmware-no-shared-private-keys":  {fn: firmwareRule("private-key", "low", "private keys built into the image, hence shared by every device that runs it")},
	"firmware-hardening":               {fn: firmwareRule("hardening", "high", "binaries without exploit mitigations")},
	"firmware-permissions":             {fn: firmwareRule("permissions", "medium", "unsafe file permissions")},
	"lab-check":                        {params: []string{"lab-checks"}, fn: labCheck},
}

// maxListed bounds how many ids a reason names; the links carry all of them.
const maxListed = 10

func list(ids []string) string {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) <= maxListed {
		return strings.Join(ids, ", ")
	}
	return strings.Join(ids[:maxListed], ", ") + fmt.Sprintf(" and %d more", len(ids)-maxListed)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func sbomPresent(_ *Requirement, ev *Evidence, _ time.Time) outcome {
	if ev.SBOM == nil {
		return outcome{result: Fail, reason: "no SBOM recorded for release " + ev.Release.Version}
	}
	return outcome{result: Pass, reason: "SBOM recorded (" + cmpOr(ev.SBOM.Format, "format unknown") + ")", links: []Link{{Kind: "sbom", Ref: ev.SBOM.Ref}}}
}

func sbomComplete(r *Requirement, ev *Evidence, _ time.Time) outcome {
	if ev.SBOM == nil {
		return outcome{result: Fail, reason: "no SBOM recorded, so none of the TR-03183-2 fields is provided"}
	}
	link := []Link{{Kind: "sbom", Ref: ev.SBOM.Ref}}
	if !ev.SBOM.TRChecked {
		return outcome{result: NeedsAttestation, reason: "the SBOM has not been checked for TR-03183-2 completeness", links: link}
	}
	if len(ev.SBOM.Missing) > 0 {
		return outcome{result: Fail, reason: "TR-03183-2 fields missing: " + list(ev.SBOM.Missing), links: link}
	}
	return outcome{result: Pass, reason: "the SBOM has every field TR-03183-2 requires", links: link}
}

func sbomField(r *Requirement, ev *Evidence, _ time.Time) outcome {
	field := r.Params["field"]
	if ev.SBOM == nil {
		return outcome{result: Fail, reason: "no SBOM recorded, so " + field + " is not provided"}
	}
	link := []Link{{Kind: "sbom", Ref: ev.SBOM.Ref}}
	if !ev.SBOM.TRChecked {
		return outcome{result: NeedsAttestation, reason: "the SBOM has not been checked for TR-03183-2 completeness", links: link}
	}
	if slices.Contains(ev.SBOM.Missing, field) {
		return outcome{result: Fail, reason: field + " is missing from the SBOM or from some of its components", links: link}
	}
	checked := slices.Contains(ev.SBOM.Checked, field) || (len(ev.SBOM.Checked) == 0 && r.Level == Mandatory && !r.Conditional())
	if !checked {
		return outcome{result: NeedsAttestation, reason: "the completeness check does not cover " + field, links: link}
	}
	return outcome{result: Pass, reason: field + " is present", links: link}
}

// open reports whether a finding still affects the release.
func open(f Finding) bool {
	return !f.FixedInRelease && f.VEX != VEXNotAffected && f.VEX != VEXFixed
}

func scanned(ev *Evidence) (outcome, bool) {
	if ev.Scan == nil {
		return outcome{result: NeedsAttestation, reason: "no vulnerability scan recorded for release " + ev.Release.Version}, false
	}
	return outcome{}, true
}

func findingsWhere(ev *Evidence, keep func(Finding) bool) (ids []string, links []Link) {
	for _, f := range ev.Findings {
		if keep(f) {
			ids = append(ids, f.Vulnerability)
			links = append(links, Link{Kind: "finding", Ref: f.Vulnerability + " " + f.Component})
		}
	}
	return ids, links
}

func scanLink(ev *Evidence) Link { return Link{Kind: "scan", Ref: ev.Scan.Ref} }

func noExploitedUnfixed(_ *Requirement, ev *Evidence, _ time.Time) outcome {
	if o, ok := scanned(ev); !ok {
		return o
	}
	ids, links := findingsWhere(ev, func(f Finding) bool { return f.Exploited && open(f) })
	if len(ids) > 0 {
		ids = dedup(ids)
		return outcome{result: Fail, reason: fmt.Sprintf("%s unfixed: %s", plural(len(ids), "actively exploited vulnerability", "actively exploited vulnerabilities"), list(ids)), links: links}
	}
	if g := ev.Scan.gap(true); g != "" {
		return outcome{result: NeedsAttestation, reason: "no open actively exploited vulnerability is known, but " + g, links: []Link{scanLink(ev)}}
	}
	return outcome{result: Pass, reason: "no actively exploited vulnerability is open", links: []Link{scanLink(ev)}}
}

func noCriticalUnfixed(_ *Requirement, ev *Evidence, _ time.Time) outcome {
	if o, ok := scanned(ev); !ok {
		return o
	}
	ids, links := findingsWhere(ev, func(f Finding) bool { return strings.EqualFold(f.Severity, "critical") && open(f) })
	if len(ids) > 0 {
		ids = dedup(ids)
		return outcome{result: Fail, reason: fmt.Sprintf("%s unfixed (policy: none at release): %s", plural(len(ids), "critical vulnerability", "critical vulnerabilities"), list(ids)), links: links}
	}
	if g := ev.Scan.gap(false); g != "" {
		return outcome{result: NeedsAttestation, reason: "no open critical vulnerability is known, but " + g, links: []Link{scanLink(ev)}}
	}
	return outcome{result: Pass, reason: "no critical vulnerability is open", links: []Link{scanLink(ev)}}
}

func vexCoverage(_ *Requirement, ev *Evidence, _ time.Time) outcome {
	if o, ok := scanned(ev); !ok {
		return o
	}
	ids, links := findingsWhere(ev, func(f Finding) bool { return !f.FixedInRelease && f.VEX == "" })
	if len(ids) > 0 {
		ids = dedup(ids)
		return outcome{result: Fail, reason: fmt.Sprintf("%s without a VEX status: %s", plural(len(ids), "open finding", "open findings"), list(ids)), links: links}
	}
	if g := ev.Scan.gap(false); g != "" {
		return outcome{result: NeedsAttestation, reason: "every known open finding has a VEX status, but " + g, links: []Link{scanLink(ev)}}
	}
	n := 0
	for _, f := range ev.Findings {
		if !f.FixedInRelease {
			n++
		}
	}
	return outcome{result: Pass, reason: fmt.Sprintf("every open finding has a VEX status (%d)", n), links: []Link{scanLink(ev)}}
}

func dedup(ids []string) []string {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	return slices.Compact(ids)
}

func supportPeriod(_ *Requirement, ev *Evidence, now time.Time) outcome {
	rel := ev.Release
	link := []Link{{Kind: "release", Ref: rel.Version}}
	if rel.SupportEnd == "" {
		return outcome{result: Fail, reason: "no support end recorded for release " + rel.Version, links: link}
	}
	v, err := cra.CheckSupport(cra.SupportPeriod{PlacedOnMarket: rel.PlacedOnMarket, Since: now, End: rel.SupportEnd,
		ExpectedUseMonths: rel.SupportExpectedUseMonths, Basis: rel.SupportBasis, Justification: rel.SupportJustification, Category: ev.Product.Category})
	if err != nil {
		return outcome{result: Fail, reason: err.Error(), links: link}
	}
	if !now.Before(v.Last.AddDate(0, 0, 1)) && !v.Last.Before(v.Start) {
		return outcome{result: Fail, reason: fmt.Sprintf("the support period ended with %s", rel.SupportEnd), links: link}
	}
	reason := v.Reason + " [" + v.Rule + "]"
	for _, w := range v.Warnings {
		reason += "; warning: " + w
	}
	if !v.OK {
		return outcome{result: Fail, reason: reason, links: link}
	}
	return outcome{result: Pass, reason: reason, links: link}
}

// supportPeriodDefined checks that the release has a defined support period: an end recorded,
// well formed, and not before the release was placed on the market. It does not judge the
// length: ETSI EN 303 645 provision 5.3-13 and BSI TR-03148 ask that the period be defined and
// published, not that it last any number of years (the five-year rule is the CRA's, Art. 13(8),
// and its own requirement checks it). Publication itself no tool sees, hence the attestation.
func supportPeriodDefined(_ *Requirement, ev *Evidence, _ time.Time) outcome {
	rel := ev.Release
	link := []Link{{Kind: "release", Ref: rel.Version}}
	if rel.SupportEnd == "" {
		return outcome{result: Fail, reason: "no support period defined for release " + rel.Version + ": record its support end", links: link}
	}
	end, err := time.Parse("2006-01", rel.SupportEnd)
	if err != nil || len(rel.SupportEnd) != len("2006-01") {
		return outcome{result: Fail, reason: fmt.Sprintf("support end %q is not a month (YYYY-MM)", rel.SupportEnd), links: link}
	}
	if rel.PlacedOnMarket != "" {
		placed, err := time.Parse(time.DateOnly, rel.PlacedOnMarket)
		if err != nil {
			return outcome{result: Fail, reason: fmt.Sprintf("placing date %q is not a date (YYYY-MM-DD)", rel.PlacedOnMarket), links: link}
		}
		if !placed.Before(end.AddDate(0, 1, 0)) {
			return outcome{result: Fail, reason: fmt.Sprintf("the support period ends with %s, before the release was placed on the market (%s)", rel.SupportEnd, rel.PlacedOnMarket), links: link}
		}
	}
	return outcome{result: Pass, reason: fmt.Sprintf("support period defined: security updates until the end of %s", rel.SupportEnd), links: link}
}

func advisoryPerFixed(_ *Requirement, ev *Evidence, _ time.Time) outcome {
	if o, ok := scanned(ev); !ok {
		return o
	}
	covered := map[string]Advisory{}
	for _, a := range ev.Advisories {
		for _, v := range a.Vulnerabilities {
			covered[v] = a
		}
	}
	var missing []string
	var links []Link
	fixed := 0
	for _, f := range ev.Findings {
		if !f.FixedInRelease && f.VEX != VEXFixed {
			continue
		}
		fixed++
		adv, ok := covered[f.Vulnerability]
		for _, a := range f.Aliases {
			if !ok {
				adv, ok = covered[a]
			}
		}
		// A release that fixed what an earlier one had is disclosed when the advisory names it
		// as fixed; an advisory written before the fix says only that there was none.
		if ok && f.FixedInRelease && !slices.Contains(adv.FixedReleases, ev.Release.Version) {
			ok = false
		}
		if !ok {
			missing = append(missing, f.Vulnerability)
			links = append(links, Link{Kind: "finding", Ref: f.Vulnerability + " " + f.Component})
		} else {
			links = append(links, Link{Kind: "advisory", Ref: adv.ID})
		}
	}
	if len(missing) > 0 {
		missing = dedup(missing)
		return outcome{result: Fail, reason: fmt.Sprintf("%s fixed without a published advisory that discloses the fix in %s: %s", plural(len(missing), "vulnerability", "vulnerabilities"), ev.Release.Version, list(missing)), links: links}
	}
	if fixed == 0 {
		if g := ev.Scan.gap(false); g != "" {
			return outcome{result: NeedsAttestation, reason: "no fixed vulnerability is known, but " + g, links: []Link{scanLink(ev)}}
		}
		return outcome{result: Pass, reason: "no fixed vulnerability to disclose", links: []Link{scanLink(ev)}}
	}
	return outcome{result: Pass, reason: fmt.Sprintf("every fixed vulnerability (%d) has a published advisory", fixed), links: links}
}

// reportingClocks checks the Art. 14 clocks. Parameters (optional): type restricts to cases of
// that type, stage to one stage. Without a stage and for exploited vulnerabilities, every
// actively exploited finding must also have a case.
func reportingClocks(r *Requirement, ev *Evidence, now time.Time) outcome {
	typ, stage := r.Params["type"], r.Params["stage"]
	var missed, running []string
	var links []Link
	cases, stages := 0, 0
	for _, c := range ev.Cases {
		if typ != "" && c.Type != typ {
			continue
		}
		cases++
		links = append(links, Link{Kind: "case", Ref: c.ID})
		for _, s := range c.Stages {
			if (stage != "" && s.Stage != stage) || s.Deadline.IsZero() {
				continue
			}
			stages++
			what := fmt.Sprintf("case %s %s due %s", c.ID, s.Stage, s.Deadline.UTC().Format(time.RFC3339))
			switch {
			case s.Met:
			case !s.Submitted.IsZero():
				missed = append(missed, what+" submitted late, "+s.Submitted.UTC().Format(time.RFC3339))
			case now.After(s.Deadline):
				missed = append(missed, what+" not submitted")
			default:
				running = append(running, what)
			}
		}
	}
	if (typ == "" || typ == cra.Exploited) && stage == "" {
		if ev.Scan == nil && cases == 0 {
			return outcome{result: NeedsAttestation, reason: "no vulnerability scan and no reporting case recorded"}
		}
		var uncovered []string
		for _, f := range ev.Findings {
			if !f.Exploited || ev.Scan == nil {
				continue
			}
			if !slices.ContainsFunc(ev.Cases, func(c Case) bool {
				return c.Type == cra.Exploited && (c.Vulnerability == f.Vulnerability || slices.Contains(f.Aliases, c.Vulnerability))
			}) {
				uncovered = append(uncovered, f.Vulnerability)
				links = append(links, Link{Kind: "finding", Ref: f.Vulnerability + " " + f.Component})
			}
		}
		if len(uncovered) > 0 {
			uncovered = dedup(uncovered)
			missed = append(missed, fmt.Sprintf("%s without a reporting case: %s", plural(len(uncovered), "actively exploited vulnerability", "actively exploited vulnerabilities"), list(uncovered)))
		}
	}
	if len(missed) > 0 {
		return outcome{result: Fail, reason: strings.Join(missed, "; "), links: links}
	}
	what := "reporting"
	if stage != "" {
		what = stage
	}
	switch {
	case cases == 0 && (typ == "" || typ == cra.Exploited) && stage == "" && ev.Scan.gap(true) != "":
		// No case may only mean that no exploited vulnerability could be seen.
		return outcome{result: NeedsAttestation, reason: "no reporting case recorded and no actively exploited finding known, but " + ev.Scan.gap(true), links: links}
	case cases == 0:
		return outcome{result: Pass, reason: "no " + cmpOr(typ, "reporting") + " case recorded, so no " + what + " was due", links: links}
	case len(running) > 0:
		return outcome{result: Pass, reason: fmt.Sprintf("%s kept so far; still running: %s", plural(stages-len(running), what+" deadline", what+" deadlines"), strings.Join(running, "; ")), links: links}
	}
	return outcome{result: Pass, reason: fmt.Sprintf("every %s deadline met (%s)", what, plural(stages, "stage", "stages")), links: links}
}

var severityRank = map[string]int{"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}

// firmwareRule fails when the firmware analysis found weaknesses of the rule at or above the
// severity floor; weaker ones are named in the reason but do not fail.
func firmwareRule(rule, floor, what string) func(*Requirement, *Evidence, time.Time) outcome {
	return func(_ *Requirement, ev *Evidence, _ time.Time) outcome {
		if ev.Firmware == nil {
			return outcome{result: NeedsAttestation, reason: "no firmware analysis recorded, so " + what + " cannot be ruled out by a check"}
		}
		if ev.Firmware.Files == 0 && len(ev.Firmware.Weaknesses) == 0 {
			return outcome{result: NeedsAttestation, reason: "the firmware analysis unpacked no files from the image, so " + what + " cannot be ruled out by a check; analyse an image the unpackers read",
				links: []Link{{Kind: "firmware", Ref: ev.Firmware.Ref}}}
		}
		var hits, minor []string
		var links []Link
		for _, w := range ev.Firmware.Weaknesses {
			if w.Rule != rule {
				continue
			}
			desc := w.Path
			if w.ID != "" {
				desc += " (" + w.ID + ")"
			}
			rank, known := severityRank[strings.ToLower(w.Severity)]
			if !known {
				rank = severityRank["high"] // an unknown severity is not waved through
			}
			if rank >= severityRank[floor] {
				hits = append(hits, desc)
				links = append(links, Link{Kind: "weakness", Ref: rule + ":" + w.ID + ":" + w.Path})
			} else {
				minor = append(minor, desc)
			}
		}
		fw := Link{Kind: "firmware", Ref: ev.Firmware.Ref}
		if len(hits) > 0 {
			return outcome{result: Fail, reason: fmt.Sprintf("firmware analysis found %s: %s", plural(len(hits), "instance of "+what, "instances of "+what), list(hits)), links: append([]Link{fw}, links...)}
		}
		reason := "firmware analysis found no " + what
		if len(minor) > 0 {
			reason += fmt.Sprintf(" at %s severity or above (below it: %s)", floor, list(minor))
		}
		return outcome{result: Pass, reason: reason, links: []Link{fw}}
	}
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
