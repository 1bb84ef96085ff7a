package label

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Checks is the evidence a label's status is decided on, filled by the caller from its store.
type Checks struct {
	// Plausible: every mandatory requirement passes or is attested. Its zero value, false,
	// suspends the label, so forgotten evidence never keeps a label valid.
	Plausible bool
	// Unmet names the mandatory requirements that neither pass nor are attested, for the reason.
	Unmet []string
	// Exploited lists the release's open (unfixed) known-exploited vulnerabilities.
	Exploited []Exploited
	// Deadlines lists the reporting deadlines of open stages of the manufacturer's CRA cases
	// for the release; those past at the time of the decision are missed.
	Deadlines []Deadline
	// SupportEnd is the release's declared support end, YYYY-MM: support runs to the end of
	// that month.
	SupportEnd string
	// Revocation is set while an authority's revocation stands, or is announced (Effective in
	// the future: the manufacturer may comment until then).
	Revocation *Revocation
	// ValidUntil is the end of the label's term; zero for a label issued without one.
	ValidUntil time.Time
	// Standards are the catalogs the label was issued against, with the version the issuer
	// applies now.
	Standards []StandardVersion
}

// StandardVersion is one catalog of a label: the version the label was issued against, the
// version the issuer applies now, and since when it applies that one.
type StandardVersion struct {
	ID       string
	Labelled string
	Current  string
	Since    time.Time
}

// Exploited is an open vulnerability known to be exploited.
type Exploited struct {
	ID         string    // CVE or other advisory id
	KnownSince time.Time // when it became known as exploited (the KEV date added, say)
}

// Deadline is the deadline of a stage of a reporting case not yet submitted.
type Deadline struct {
	Case  string // case id
	Stage string // early-warning, notification, final-report
	Due   time.Time
	// Article is the provision the stage is due under ("Art. 14(2)(c)"), "" when not known.
	Article string
	// DueText is Due as the calendar it was counted in writes it, with the calendar's code
	// ("Mon 28 Dec 2026 24:00 CET (DE)"), so that the reason reads as the case shows it; ""
	// writes Due in UTC, RFC 3339.
	DueText string
}

// Revocation is an authority's withdrawal of a label.
type Revocation struct {
	By  string // the authority
	Why string
	// Effective is when the revocation takes effect: the end of the manufacturer's comment
	// period, or the decision itself when security required immediate action. Zero means at once.
	Effective time.Time
}

// The label's lifecycle, as for the BSI IT-Sicherheitskennzeichen: a term of two years, renewal
// from three months to six weeks before it ends, and a lapse six weeks after a standard the label
// was issued against changes unless the release is declared against the new version.
const (
	TermMonths         = 24
	RenewalOpensMonths = 3
	RenewalCloses      = 6 * 7 * 24 * time.Hour
	LapseAfter         = 6 * 7 * 24 * time.Hour
	DefaultCommentDays = 28
)

// TermEnd is the end of a term of months starting at issued.
func TermEnd(issued time.Time, months int) time.Time { return issued.AddDate(0, months, 0) }

// RenewalWindow is when a label whose term ends at validUntil can be renewed.
func RenewalWindow(validUntil time.Time) (opens, closes time.Time) {
	return validUntil.AddDate(0, -RenewalOpensMonths, 0), validUntil.Add(-RenewalCloses)
}

// CheckRenewal says why a label cannot be renewed at now, or nil when it can.
func CheckRenewal(current Status, validUntil, now time.Time) error {
	if current == Revoked || current == Expired {
		return fmt.Errorf("the label is %s: declare the release again for a new label", current)
	}
	if validUntil.IsZero() {
		return errors.New("the label has no term: declare the release again for a label with one")
	}
	opens, closes := RenewalWindow(validUntil)
	if now.Before(opens) || now.After(closes) {
		return fmt.Errorf("renewal is open from %s to %s (three months to six weeks before the term ends %s)",
			opens.UTC().Format(time.DateOnly), closes.UTC().Format(time.DateOnly), validUntil.UTC().Format(time.DateOnly))
	}
	return nil
}

// Decide returns a label's next status and the reason for it, from the current status, the
// evidence and the time. grace is how long a known-exploited vulnerability may stay unfixed. The
// rules, first match wins:
//
//   - a standing revocation, or a current status of revoked, gives revoked: revocation is final
//     until an authority reinstates the label (see Reinstate);
//   - implausible verdicts, a known-exploited vulnerability unfixed longer than grace, a missed
//     reporting deadline, or support that has ended (or no valid support end) give suspended,
//     the reason naming every cause;
//   - otherwise valid, which reinstates a suspended label automatically.
//
// Any status other than revoked, including "" for a label not yet issued, is decided from the
// evidence alone. Reasons depend only on the arguments (causes sorted; times in UTC, except a
// deadline's DueText, which its calendar wrote) and, for a given set of causes, not on now: a
// reason changes only when the causes do.
func Decide(current Status, checks Checks, now time.Time, grace time.Duration) (next Status, reason string) {
	now = now.UTC()
	r := checks.Revocation
	if r != nil && !now.Before(r.Effective) {
		return Revoked, revocationReason(r)
	}
	if current == Revoked {
		return Revoked, "revoked; only a reinstatement by an authority lifts it"
	}
	if current == Expired {
		return Expired, "expired; a new declaration gives a new label"
	}
	if why := expiry(checks, now); why != "" {
		return Expired, why
	}
	var notice string
	if r != nil {
		notice = fmt.Sprintf("revocation announced by %s: %s; it takes effect %s unless withdrawn", cmp.Or(r.By, "an authority"), r.Why, r.Effective.UTC().Format(time.RFC3339))
	}
	if causes := suspensionCauses(checks, now, grace); len(causes) > 0 {
		if notice != "" {
			causes = append([]string{notice}, causes...)
		}
		return Suspended, strings.Join(causes, "; ")
	}
	switch {
	case notice != "":
		return Valid, notice
	case current == Suspended:
		return Valid, "the evidence holds again"
	}
	return Valid, ""
}

// expiry says why a label has expired at now: its term ended, or a standard it was issued against
// changed more than LapseAfter ago. "" when neither.
func expiry(c Checks, now time.Time) string {
	if !c.ValidUntil.IsZero() && !now.Before(c.ValidUntil) {
		return "the term ended " + c.ValidUntil.UTC().Format(time.RFC3339)
	}
	stds := slices.Clone(c.Standards)
	slices.SortFunc(stds, func(a, b StandardVersion) int { return cmp.Compare(a.ID, b.ID) })
	var lapsed []string
	for _, s := range stds {
		if s.Labelled == s.Current || s.Since.IsZero() || now.Before(s.Since.Add(LapseAfter)) {
			continue
		}
		lapsed = append(lapsed, fmt.Sprintf("%s changed from %s to %s on %s", s.ID, s.Labelled, s.Current, s.Since.UTC().Format(time.DateOnly)))
	}
	if len(lapsed) == 0 {
		return ""
	}
	return "lapsed: " + strings.Join(lapsed, "; ") + ", and the release was not declared against the new version within six weeks"
}

func revocationReason(r *Revocation) string {
	by := cmp.Or(r.By, "an authority")
	if r.Why == "" {
		return "revoked by " + by
	}
	return "revoked by " + by + ": " + r.Why
}

func suspensionCauses(c Checks, now time.Time, grace time.Duration) []string {
	var causes []string
	if !c.Plausible {
		if len(c.Unmet) == 0 {
			causes = append(causes, "mandatory requirements not met")
		} else {
			unmet := slices.Clone(c.Unmet)
			slices.Sort(unmet)
			causes = append(causes, "mandatory requirements not met: "+strings.Join(slices.Compact(unmet), ", "))
		}
	}
	exploited := slices.Clone(c.Exploited)
	slices.SortFunc(exploited, func(a, b Exploited) int {
		return cmp.Or(cmp.Compare(a.ID, b.ID), a.KnownSince.Compare(b.KnownSince))
	})
	for _, e := range exploited {
		if now.Sub(e.KnownSince) <= grace {
			continue
		}
		// The reason states the grace exceeded, not the days elapsed, so that it stays the same from
		// one day to the next and a re-decision does not call for a new statement.
		causes = append(causes, fmt.Sprintf("%s exploited and unfixed longer than the grace period of %s (known exploited since %s)",
			e.ID, days(grace), e.KnownSince.UTC().Format(time.DateOnly)))
	}
	deadlines := slices.Clone(c.Deadlines)
	slices.SortFunc(deadlines, func(a, b Deadline) int {
		return cmp.Or(a.Due.Compare(b.Due), cmp.Compare(a.Case, b.Case), cmp.Compare(a.Stage, b.Stage))
	})
	for _, d := range deadlines {
		if !now.After(d.Due) {
			continue
		}
		stage := d.Stage
		if d.Article != "" {
			stage += " (CRA " + d.Article + ")"
		}
		causes = append(causes, fmt.Sprintf("reporting deadline missed: case %s %s was due %s",
			d.Case, stage, cmp.Or(d.DueText, d.Due.UTC().Format(time.RFC3339))))
	}
	switch end, ok := supportEnd(c.SupportEnd); {
	case c.SupportEnd == "":
		causes = append(causes, "no support end declared")
	case !ok:
		causes = append(causes, fmt.Sprintf("support end %q is not YYYY-MM", clip(c.SupportEnd)))
	case !now.Before(end):
		causes = append(causes, "support ended "+c.SupportEnd)
	}
	return causes
}

// supportEnd returns the first instant after the support period YYYY-MM (the start of the next
// month, UTC).
func supportEnd(s string) (time.Time, bool) {
	if !supportEndRe.MatchString(s) {
		return time.Time{}, false
	}
	t, err := time.Parse("2006-01", s)
	if err != nil {
		return time.Time{}, false
	}
	return t.AddDate(0, 1, 0), true
}

// days writes a duration in whole days, rounded down ("1 day", "20 days"), or as Go writes it
// when it is under one day and not zero.
func days(d time.Duration) string {
	n := int64(d / (24 * time.Hour))
	switch {
	case n == 0 && d%(24*time.Hour) != 0:
		return d.String()
	case n == 1:
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

// Reinstate lifts an authority's revocation of a label: current must be revoked, and by (the
// authority) and why are required. The label then gets the status its evidence gives, as Decide
// would give for a suspended label, with checks.Revocation ignored; the reason names the
// reinstatement first.
func Reinstate(current Status, by, why string, checks Checks, now time.Time, grace time.Duration) (next Status, reason string, err error) {
	switch {
	case current != Revoked:
		return current, "", fmt.Errorf("reinstate: the label is %s, not revoked", cmp.Or(string(current), "not issued"))
	case strings.TrimSpace(by) == "":
		return current, "", errors.New("reinstate: the authority is required")
	case strings.TrimSpace(why) == "":
		return current, "", errors.New("reinstate: the reason is required")
	}
	checks.Revocation = nil
	next, reason = Decide(Suspended, checks, now, grace)
	head := "reinstated by " + by + ": " + why
	if next == Valid {
		return Valid, head, nil
	}
	return next, head + "; suspended: " + reason, nil
}
