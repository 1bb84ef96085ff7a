package catalog

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// outcome is what one evaluator says about one requirement.
type outcome struct {
	result string // Pass, Fail or NeedsAttestation (the evidence it needs is missing)
	reason string
	links  []Link
}

// evaluator is a Go check a catalog can name. params lists the parameters it needs from the
// requirement.
type evaluator struct {
	params []string
	fn     func(r *Requirement, ev *Evidence, now time.Time) outcome
}

// Evaluate evaluates every requirement of c against ev at the time now, and returns one verdict
// per requirement, sorted by requirement id.
//
// Order of decision: a requirement that does not apply to the product's category or CRA class,
// or whose condition evidently does not hold, is not applicable. Then, by automation:
//   - automatic: the evaluators decide; when they lack evidence, an attestation by an allowed
//     role stands in, else the verdict needs one;
//   - partial: a failing check fails the requirement whatever is attested; passing checks need an
//     attestation for the rest;
//   - attestation: an attestation by an allowed role passes it.
func Evaluate(c *Catalog, ev Evidence, now time.Time) []Verdict {
	now = now.UTC()
	out := make([]Verdict, 0, len(c.Requirements))
	for _, r := range c.Requirements {
		out = append(out, evaluateOne(c, r, &ev, now))
	}
	slices.SortFunc(out, func(a, b Verdict) int { return strings.Compare(a.Requirement, b.Requirement) })
	return out
}

func evaluateOne(c *Catalog, r *Requirement, ev *Evidence, now time.Time) Verdict {
	v := Verdict{Requirement: r.ID, Standard: r.Standard, Reference: r.Reference, Mandatory: r.Level == Mandatory, Status: r.Status(), Unverified: r.Unverified}
	if reason, ok := applicable(r, ev.Product); !ok {
		v.Result, v.Reason = NotApplicable, reason
		return v
	}
	open, reason, links := conditions(c, r, ev)
	if reason != "" {
		v.Result, v.Reason, v.Evidence = NotApplicable, reason, links
		return v
	}
	att, attLink := attested(r, ev, now)
	switch r.Automation {
	case AttestationOnly:
		if att != nil {
			v.Result, v.Attested, v.Evidence = Pass, true, []Link{attLink}
			v.Reason = fmt.Sprintf("attested by %s (%s) in %s", att.SignedBy, att.Role, att.Document)
		} else {
			v.Result = NeedsAttestation
			v.Reason = "no tool can check this; an attestation by " + strings.Join(r.Attesters, ", ") + " is needed"
		}
	default:
		v.Result, v.Reason, v.Evidence = combine(r, ev, now)
		switch {
		case v.Result == Fail:
			// A failing check is not outweighed by a statement.
		case v.Result == Pass && r.Automation == Automatic:
			// The checks decide on their own.
		case att != nil:
			v.Result, v.Attested = Pass, true
			v.Evidence = append(v.Evidence, attLink)
			v.Reason += fmt.Sprintf("; attested by %s (%s) in %s", att.SignedBy, att.Role, att.Document)
		case v.Result == Pass && r.Automation == Partial:
			v.Result = NeedsAttestation
			v.Reason += "; the checks cover only part of the requirement: an attestation is needed for the rest"
		}
	}
	if len(open) > 0 && v.Result != Pass {
		v.Reason += "; applicability not settled: " + strings.Join(open, "; ")
	}
	return v
}

// combine runs the requirement's evaluators: the worst result wins (fail, then
// needs-attestation), and the reasons of all are kept in order.
func combine(r *Requirement, ev *Evidence, now time.Time) (string, string, []Link) {
	result := Pass
	var reasons []string
	var links []Link
	for _, name := range r.Evaluators {
		o := evaluators[name].fn(r, ev, now)
		switch {
		case o.result == Fail:
			result = Fail
		case o.result == NeedsAttestation && result == Pass:
			result = NeedsAttestation
		}
		reasons = append(reasons, o.reason)
		links = append(links, o.links...)
	}
	return result, strings.Join(reasons, "; "), links
}

func applicable(r *Requirement, p Product) (string, bool) {
	if !slices.Contains(r.Categories, AnyCategory) && !slices.Contains(r.Categories, p.Category) {
		if p.Category == "" {
			return fmt.Sprintf("applies to %s; the product has no category yet", strings.Join(r.Categories, ", ")), false
		}
		return fmt.Sprintf("applies to %s; the product's category is %s", strings.Join(r.Categories, ", "), p.Category), false
	}
	// Only a known class excludes: a misspelt one must not make requirements vanish.
	if knownClass(p.CRAClass) && !slices.Contains(r.CRAClasses, p.CRAClass) {
		return fmt.Sprintf("applies to CRA classes %s; the product is %s", strings.Join(r.CRAClasses, ", "), p.CRAClass), false
	}
	return "", true
}

func knownClass(c string) bool {
	return c == ClassDefault || c == ClassImportantI || c == ClassImportantII || c == ClassCritical
}

// conditions decides a conditional requirement's conditions: a non-empty reason means one
// evidently does not hold (not applicable); open lists the conditions nothing settles.
func conditions(c *Catalog, r *Requirement, ev *Evidence) (open []string, reason string, links []Link) {
	for _, id := range r.Conditions {
		cond, _ := c.Condition(r.Standard, id)
		value, known, link := fact(cond.Fact, ev)
		if !known {
			open = append(open, fmt.Sprintf("condition (%s) %s", id, cond.Text))
			continue
		}
		if value != cond.Holds {
			return nil, fmt.Sprintf("condition (%s) does not hold: %s is not the case", id, cond.Text), []Link{link}
		}
	}
	return open, "", nil
}

// fact looks up a fact about the product: first what the evidence shows, then what the
// manufacturer declared. Evidence wins because it is observed: a firmware image with password
// hashes uses passwords whatever was declared.
func fact(name string, ev *Evidence) (value, known bool, link Link) {
	if name == "" {
		return false, false, Link{}
	}
	if name == "uses-passwords" && ev.Firmware != nil {
		for _, w := range ev.Firmware.Weaknesses {
			if w.Rule == "weak-credentials" {
				return true, true, Link{Kind: "weakness", Ref: w.Path}
			}
		}
	}
	if v, ok := ev.Product.Facts[name]; ok {
		return v, true, Link{Kind: "fact", Ref: name}
	}
	return false, false, Link{}
}

// attested finds the latest attestation of r by an allowed role, signed no later than now.
func attested(r *Requirement, ev *Evidence, now time.Time) (*Attestation, Link) {
	var best *Attestation
	for i := range ev.Attestations {
		a := &ev.Attestations[i]
		if a.Requirement != r.ID || !slices.Contains(r.Attesters, a.Role) || a.SignedBy == "" || a.At.IsZero() || a.At.After(now) {
			continue
		}
		if a.Document == "" && a.Digest == "" {
			continue
		}
		if r.Document != "" && a.Digest == "" {
			continue // the catalog asks for the document itself, and there is none
		}
		if best == nil || a.At.After(best.At) {
			best = a
		}
	}
	if best == nil {
		return nil, Link{}
	}
	ref := best.Document
	if best.Digest != "" {
		ref += "@" + best.Digest
	}
	return best, Link{Kind: "attestation", Ref: strings.TrimPrefix(ref, "@")}
}

// Plausible reports whether the verdicts support a claim of conformity: at least one mandatory
// requirement applies, and every mandatory, applicable requirement passes (by check or
// attestation). Verdicts where nothing mandatory applies support no claim: a label on them would
// say that something was checked when nothing was. The reasons name each requirement that does
// not pass, in verdict order.
func Plausible(verdicts []Verdict) (ok bool, reasons []string) {
	if len(verdicts) == 0 {
		return false, []string{"no verdicts: nothing was evaluated"}
	}
	applied := 0
	for _, v := range verdicts {
		if !v.Mandatory || v.Result == NotApplicable {
			continue
		}
		applied++
		if v.Result == Pass {
			continue
		}
		reasons = append(reasons, fmt.Sprintf("%s (%s): %s: %s", v.Requirement, v.Reference, v.Result, v.Reason))
	}
	if applied == 0 {
		return false, []string{NothingApplies}
	}
	return len(reasons) == 0, reasons
}

// NothingApplies is Plausible's reason when no mandatory requirement of the verdicts applies to
// the product.
const NothingApplies = "no mandatory requirement of the catalogs applies to the product, so nothing was checked: check its category"
