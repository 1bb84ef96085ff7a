// Package conformity joins the store, the requirement catalogs and the label: it gathers a
// release's evidence (SBOM, findings, VEX, advisories, reporting cases, firmware analysis,
// attestations), evaluates it, issues labels when the verdicts are plausible, and keeps every
// label's status true to the evidence, signing a new statement with each change.
package conformity

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/siegel-oss/siegel/internal/catalog"
	"github.com/siegel-oss/siegel/internal/cra"
	"github.com/siegel-oss/siegel/internal/csaf"
	"github.com/siegel-oss/siegel/internal/fixes"
	"github.com/siegel-oss/siegel/internal/lab"
	"github.com/siegel-oss/siegel/internal/label"
	"github.com/siegel-oss/siegel/internal/match"
	"github.com/siegel-oss/siegel/internal/store"
)

// Service evaluates releases and manages labels. Its fields are set once, before use.
type Service struct {
	Store   *store.DB
	Catalog *catalog.Catalog
	Issuer  string // the label issuer's name, as statements carry it
	// BaseURL returns the public address label pages are served from (https://...).
	BaseURL func() string
	// Grace is how long a known-exploited vulnerability may stay unfixed before the labels of
	// the releases that carry it are suspended.
	Grace time.Duration
	Now   func() time.Time
	// TermMonths is a new label's term; 0 means label.TermMonths (two years).
	TermMonths int

	keyMu sync.Mutex
	key   ed25519.PrivateKey // nil until loaded: a failed load is tried again on the next call
}

// DefaultStandards are the catalogs a label declares against when the manufacturer names none:
// those the product's category brings in (data/categories.yaml of internal/catalog); none for a
// category not on the list.
func (s *Service) DefaultStandards(category string) []string {
	cat, ok := s.Catalog.Category(category)
	if !ok {
		return nil
	}
	return slices.Clone(cat.Catalogs)
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Key returns the issuer's signing key, made and stored the first time. Only a key that loaded
// is kept: a failure (a cancelled request, a busy database) is not remembered, the next call
// tries again.
func (s *Service) Key(ctx context.Context) (ed25519.PrivateKey, error) {
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	if s.key != nil {
		return s.key, nil
	}
	pemKey, err := s.Store.LabelKey(ctx, func() (string, error) {
		priv, _, err := label.NewKey(rand.Reader)
		return string(priv), err
	})
	if err != nil {
		return nil, err
	}
	key, err := label.ParsePrivateKey([]byte(pemKey))
	if err != nil {
		return nil, err
	}
	s.key = key
	return key, nil
}

// Evaluation is the outcome of evaluating a release against catalogs.
type Evaluation struct {
	Product   *store.Product
	Release   *store.Release
	Standards []string
	Route     catalog.Route
	Verdicts  []catalog.Verdict
	Plausible bool
	Unmet     []string // why not plausible
	Evidence  catalog.Evidence
}

// scanEvidence is what the last matching of a release checked, from the coverage kept with its
// findings. A release whose latest SBOM (uploaded at sbomAt) was not matched since is not matched.
func (s *Service) scanEvidence(ctx context.Context, release int64, sbomAt time.Time) (*catalog.ScanEvidence, error) {
	sc := &catalog.ScanEvidence{Ref: fmt.Sprintf("release/%d/findings", release), At: sbomAt}
	kept, err := s.Store.ReleaseCoverage(ctx, release)
	if errors.Is(err, store.ErrNotFound) {
		return sc, nil
	}
	if err != nil {
		return nil, err
	}
	var c match.Coverage
	if err := json.Unmarshal(kept.Data, &c); err != nil {
		return nil, fmt.Errorf("coverage of release %d: %w", release, err)
	}
	sc.At, sc.Matched = kept.UpdatedAt, !kept.UpdatedAt.Before(sbomAt)
	sc.Components, sc.Checked, sc.Advisories = c.Components, c.Checked, c.Advisories
	for _, f := range c.Feeds {
		if f.Feed == "kev" && f.Imported != nil && f.Records > 0 {
			sc.KEV = true
		}
	}
	return sc, nil
}

// Evidence gathers what the store knows about a release. Exploited findings that became known
// as exploited less than grace ago are left unexploited in the result when withinGrace is set
// (the label rules treat them separately); exploited lists every open exploited vulnerability.
func (s *Service) Evidence(ctx context.Context, prod *store.Product, rel *store.Release, grace time.Duration) (catalog.Evidence, []label.Exploited, []label.Deadline, error) {
	ev := catalog.Evidence{
		Product: catalog.Product{Name: prod.Name, Category: prod.Category, CRAClass: prod.CRAClass, Facts: prod.Facts},
		Release: catalog.Release{Version: rel.Version, PlacedOnMarket: rel.PlacedOnMarket, SupportEnd: rel.SupportEnd, SupportJustification: rel.SupportJustification,
			SupportExpectedUseMonths: rel.SupportExpectedUseMonths, SupportBasis: rel.SupportBasis},
	}
	if b, err := s.Store.LatestSBOM(ctx, rel.ID); err == nil {
		ev.SBOM = &catalog.SBOMEvidence{Ref: "sha256:" + b.SHA256, Format: b.Format, TRChecked: b.TRMissing != nil, Missing: b.TRMissing}
		// What the matching checked is read before the findings: matching writes both at once,
		// so the findings read later are at least as new as the coverage that qualifies them.
		if ev.Scan, err = s.scanEvidence(ctx, rel.ID, b.UploadedAt); err != nil {
			return ev, nil, nil, err
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return ev, nil, nil, err
	}

	// Reporting cases of the product: their clocks, and when each exploited vulnerability became known.
	cases, err := s.Store.Cases(ctx, prod.Organization)
	if err != nil {
		return ev, nil, nil, err
	}
	now := s.now()
	aware := map[string]time.Time{}
	var deadlines []label.Deadline
	for _, c := range cases {
		if c.Product != prod.ID {
			continue
		}
		if c.Vulnerability != "" {
			aware[c.Vulnerability] = c.AwareAt
		}
		clock, err := c.Clock()
		if err != nil {
			return ev, nil, nil, fmt.Errorf("case %d: %w", c.ID, err)
		}
		cc := catalog.Case{ID: fmt.Sprint(c.ID), Type: c.Type, Vulnerability: c.Vulnerability}
		for _, d := range clock.Deadlines {
			if d.Pending != "" {
				continue
			}
			sub := c.Stages[d.Stage]
			if sub.SubmittedAt.IsZero() && !c.Closed.IsZero() && cra.OnTime(c.Closed, d.Legal) {
				continue // closed (not affected, withdrawn, ...) while the stage was still running: no longer owed
			}
			cc.Stages = append(cc.Stages, catalog.CaseStage{Stage: d.Stage, Deadline: d.Legal, Submitted: sub.SubmittedAt,
				Met: !sub.SubmittedAt.IsZero() && cra.OnTime(sub.SubmittedAt, d.Legal)})
			if sub.SubmittedAt.IsZero() && c.Closed.IsZero() {
				deadlines = append(deadlines, label.Deadline{Case: fmt.Sprint(c.ID), Stage: d.Stage, Due: d.Legal,
					Article: d.Article(), DueText: clock.FormatEndTagged(d.Legal)})
			}
		}
		ev.Cases = append(ev.Cases, cc)
	}

	vex, err := s.Store.EffectiveVEX(ctx, rel.ID)
	if err != nil {
		return ev, nil, nil, err
	}
	fs, _, err := s.Store.Findings(ctx, rel.ID, store.FindingFilter{Limit: 1_000_000})
	if err != nil {
		return ev, nil, nil, err
	}
	var exploited []label.Exploited
	seen := map[string]bool{}
	for _, f := range fs {
		cf := catalog.Finding{Vulnerability: f.Vulnerability, Component: f.PURL, Severity: strings.ToLower(f.Severity), Exploited: f.Exploited}
		var mf match.Finding
		if json.Unmarshal(f.Data, &mf) == nil {
			cf.Aliases = mf.Aliases
		}
		if v, ok := vex[store.VEXKey{Vulnerability: f.Vulnerability, PURL: f.PURL}]; ok {
			cf.VEX = v.Status
		}
		settled := cf.VEX == catalog.VEXNotAffected || cf.VEX == catalog.VEXFixed
		if f.Exploited && !settled {
			since := cmp.Or(aware[f.Vulnerability], f.FirstSeen)
			if !seen[f.Vulnerability] {
				seen[f.Vulnerability] = true
				exploited = append(exploited, label.Exploited{ID: f.Vulnerability, KnownSince: since})
			}
			if grace > 0 && now.Sub(since) < grace {
				cf.Exploited = false // within the grace the label rules allow
			}
		}
		ev.Findings = append(ev.Findings, cf)
	}

	// What this release fixed that an earlier release of the product has: the release ships the
	// package at a version outside the affected ranges, so it has no finding of its own, yet
	// Annex I Part II (4) wants the fix disclosed.
	fixed, err := fixes.Find(ctx, s.Store, prod.ID)
	if err != nil {
		return ev, nil, nil, err
	}
	for _, f := range fixed {
		if f.Release.ID == rel.ID {
			ev.Findings = append(ev.Findings, catalog.Finding{Vulnerability: f.Vulnerability, Aliases: f.Aliases, Component: f.Component, FixedInRelease: true})
		}
	}

	advs, err := s.Store.Advisories(ctx, prod.Organization)
	if err != nil {
		return ev, nil, nil, err
	}
	for _, a := range advs {
		if a.Product == prod.ID {
			versions, err := csaf.FixedVersions(a.Document, a.Vulnerability)
			if err != nil {
				return ev, nil, nil, fmt.Errorf("advisory %s: %w", a.TrackingID, err)
			}
			ev.Advisories = append(ev.Advisories, catalog.Advisory{ID: a.TrackingID, Vulnerabilities: []string{a.Vulnerability}, FixedReleases: versions})
		}
	}

	if fa, err := s.Store.LatestFirmwareAnalysis(ctx, rel.ID); err == nil {
		var rep struct {
			Weaknesses []catalog.Weakness `json:"weaknesses"`
			Files      int                `json:"files"`
		}
		if err := json.Unmarshal(fa.Report, &rep); err != nil {
			return ev, nil, nil, fmt.Errorf("firmware analysis %d: %w", fa.ID, err)
		}
		ev.Firmware = &catalog.FirmwareEvidence{Ref: "sha256:" + fa.SHA256, Weaknesses: rep.Weaknesses, Files: rep.Files}
	} else if !errors.Is(err, store.ErrNotFound) {
		return ev, nil, nil, err
	}

	if lr, err := s.Store.LatestLabRun(ctx, rel.ID); err == nil {
		var res lab.Result
		if err := json.Unmarshal(lr.Result, &res); err != nil {
			return ev, nil, nil, fmt.Errorf("lab run %d: %w", lr.ID, err)
		}
		ev.Lab = res.Evidence()
	} else if !errors.Is(err, store.ErrNotFound) {
		return ev, nil, nil, err
	}

	atts, err := s.Store.Attestations(ctx, rel.ID)
	if err != nil {
		return ev, nil, nil, err
	}
	for _, a := range atts {
		role, _ := AttesterRole(a.Role) // the catalog role, also for attestations stored in a server role
		ev.Attestations = append(ev.Attestations, catalog.Attestation{Requirement: a.Requirement, Document: a.DocumentName,
			Digest: a.SHA256, SignedBy: a.SignedBy, Role: role, At: a.CreatedAt})
	}
	return ev, exploited, deadlines, nil
}

// Evaluate evaluates a release against the named catalogs (all when empty).
func (s *Service) Evaluate(ctx context.Context, prod *store.Product, rel *store.Release, standards []string) (*Evaluation, error) {
	ev, _, _, err := s.Evidence(ctx, prod, rel, 0)
	if err != nil {
		return nil, err
	}
	return s.evaluate(prod, rel, standards, ev)
}

func (s *Service) evaluate(prod *store.Product, rel *store.Release, standards []string, ev catalog.Evidence) (*Evaluation, error) {
	for _, st := range standards {
		if len(s.Catalog.Of(st)) == 0 {
			return nil, fmt.Errorf("no catalog %q; the catalogs are %s", st, strings.Join(s.standardIDs(), ", "))
		}
	}
	all := catalog.Evaluate(s.Catalog, ev, s.now())
	e := &Evaluation{Product: prod, Release: rel, Standards: standards, Route: catalog.ConformityRoute(prod.CRAClass), Evidence: ev}
	for _, v := range all {
		if len(standards) == 0 || slices.Contains(standards, v.Standard) {
			e.Verdicts = append(e.Verdicts, v)
		}
	}
	e.Plausible, e.Unmet = catalog.Plausible(e.Verdicts)
	return e, nil
}

func (s *Service) standardIDs() []string {
	var ids []string
	for _, st := range s.Catalog.Standards {
		ids = append(ids, st.ID)
	}
	return ids
}

// ErrImplausible is returned when a label is asked for a release whose verdicts do not hold.
var ErrImplausible = errors.New("the release does not meet every mandatory requirement")

// ImplausibleError lists why a label cannot be issued.
type ImplausibleError struct{ Reasons []string }

func (e *ImplausibleError) Error() string {
	return fmt.Sprintf("%v: %s", ErrImplausible, strings.Join(e.Reasons, "; "))
}

func (e *ImplausibleError) Unwrap() error { return ErrImplausible }

// Issue issues a label for a release declared against standards (by default those its
// category brings in), when the product has a category of the list, at least one mandatory
// requirement of the standards applies to it, and every one that applies passes or is attested;
// otherwise *ImplausibleError, saying why.
func (s *Service) Issue(ctx context.Context, prod *store.Product, rel *store.Release, standards []string, actor string) (*store.Label, error) {
	standards = slices.DeleteFunc(slices.Clone(standards), func(s string) bool { return strings.TrimSpace(s) == "" })
	if len(standards) == 0 {
		standards = s.DefaultStandards(prod.Category)
	}
	if why := s.categoryGap(prod, standards); why != "" {
		return nil, &ImplausibleError{Reasons: []string{why}}
	}
	e, err := s.Evaluate(ctx, prod, rel, standards)
	if err != nil {
		return nil, err
	}
	if !e.Plausible {
		return nil, &ImplausibleError{Reasons: e.Unmet}
	}
	if s.PageURL("x") == "" {
		return nil, ErrNoBaseURL
	}
	key, err := s.Key(ctx)
	if err != nil {
		return nil, err
	}
	org, err := s.Store.OrganizationByID(ctx, prod.Organization)
	if err != nil {
		return nil, err
	}
	id, err := newLabelID()
	if err != nil {
		return nil, err
	}
	l := &store.Label{ID: id, Organization: prod.Organization, Release: rel.ID, Catalogs: standards,
		Reason: "every mandatory requirement passes or is attested", TermMonths: s.termMonths()}
	err = s.Store.IssueLabel(ctx, l, store.Actor(ctx), func(l *store.Label) ([]byte, error) {
		return label.Sign(s.statement(l, s.PageURL(l.ID), org, prod, rel, e.Verdicts), key)
	})
	return l, err
}

// categoryGap says why a label declared against standards does not cover what the product's
// category brings in: no category of the list, or a catalog of the category left out; "" when
// it covers it.
func (s *Service) categoryGap(prod *store.Product, standards []string) string {
	if err := s.Catalog.CheckCategory(prod.Category); err != nil {
		return err.Error() + " (a label needs the catalogs of the product's category)"
	}
	var missing []string
	for _, id := range s.DefaultStandards(prod.Category) {
		if !slices.Contains(standards, id) {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		return fmt.Sprintf("a label for a product of category %s declares against %s as well", prod.Category, strings.Join(missing, ", "))
	}
	return ""
}

// newLabelID makes a label id: "SL-" and 16 characters of Crockford base32 (80 random bits),
// short enough for a QR code and a phone call.
func newLabelID() (string, error) {
	const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	var b [10]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	var out strings.Builder
	out.WriteString("SL-")
	bits, n := uint32(0), 0
	for _, x := range b {
		bits = bits<<8 | uint32(x)
		n += 8
		for n >= 5 {
			out.WriteByte(alphabet[(bits>>(n-5))&31])
			n -= 5
		}
	}
	return out.String(), nil
}

// ErrNoBaseURL refuses to issue a label when no public address is configured: a signed label
// statement and its QR code name the label's public page, whose address only the operator knows
// (a request's Host header is whatever its sender wrote).
var ErrNoBaseURL = errors.New("a label names its public page: start the server with --base-url https://... (the address people reach it at) to issue labels")

// PageURL is the public page of a label at the configured address, "" when none is configured.
func (s *Service) PageURL(id string) string {
	if s.BaseURL == nil {
		return ""
	}
	base := strings.TrimRight(s.BaseURL(), "/")
	if base == "" {
		return ""
	}
	return base + "/label/" + id
}

func (s *Service) statement(l *store.Label, page string, org *store.Organization, prod *store.Product, rel *store.Release, verdicts []catalog.Verdict) label.Statement {
	st := label.Statement{
		Schema: label.SchemaV1, LabelID: l.ID, Sequence: uint64(l.Seq), Status: label.Status(l.Status), Reason: l.Reason,
		IssuedAt: l.IssuedAt, StatusSince: l.Since, ValidUntil: l.ValidUntil, Issuer: label.Party{Name: cmp.Or(s.Issuer, "Siegel")},
		Manufacturer: label.Party{Name: org.Name},
		Product:      label.Product{Name: prod.Name, Category: prod.Category, CRAClass: prod.CRAClass},
		Release:      label.Release{Version: rel.Version, SupportEnd: rel.SupportEnd},
		PageURL:      page,
		Verdicts:     label.Verdicts{Failed: []string{}, Attested: []string{}},
	}
	for _, id := range l.Catalogs {
		for _, std := range s.Catalog.Standards {
			if std.ID == id {
				st.Catalogs = append(st.Catalogs, label.Catalog{ID: id, Version: std.Version})
			}
		}
	}
	for _, v := range verdicts {
		switch v.Result {
		case catalog.Pass:
			st.Verdicts.Counts.Pass++
			if v.Attested {
				st.Verdicts.Attested = append(st.Verdicts.Attested, v.Requirement)
			}
		case catalog.Fail:
			st.Verdicts.Counts.Fail++
			st.Verdicts.Failed = append(st.Verdicts.Failed, v.Requirement)
		case catalog.NeedsAttestation:
			st.Verdicts.Counts.NeedsAttestation++
		case catalog.NotApplicable:
			st.Verdicts.Counts.NotApplicable++
		}
	}
	return st
}

// Refresh re-decides a label's status from the evidence as it is now; it reports whether a new
// statement was signed: the status changed, or facts the statement states were corrected.
func (s *Service) Refresh(ctx context.Context, l *store.Label) (bool, error) {
	rel, prod, e, checks, err := s.labelState(ctx, l, s.Grace)
	if err != nil {
		return false, err
	}
	next, reason := label.Decide(label.Status(l.Status), checks, s.now(), s.Grace)
	// A valid label stays as signed when only the wording of its validity changes ("" or "the
	// evidence holds again"); an announced revocation is news and gets a statement.
	quiet := next == label.Valid && l.Status == store.LabelValid && checks.Revocation == nil && !strings.HasPrefix(l.Reason, "revocation announced")
	if string(next) == l.Status && (reason == l.Reason || quiet) {
		// The status stands; the statement is signed again only when facts it states were
		// corrected (restate.go).
		return s.restateIfCorrected(ctx, l, prod, rel, e.Verdicts)
	}
	return s.setStatus(ctx, l.ID, string(next), reason, "siegel:label-check", false, prod, rel, e.Verdicts)
}

func (s *Service) setStatus(ctx context.Context, id, status, reason, actor string, reinstate bool, prod *store.Product, rel *store.Release, verdicts []catalog.Verdict) (bool, error) {
	sign, err := s.resigner(ctx, prod, rel, verdicts)
	if err != nil {
		return false, err
	}
	return s.Store.SetLabelStatus(ctx, id, status, reason, actor, reinstate, sign)
}

// resigner signs a new statement of an issued label (a status change, a renewal) about the
// release with its verdicts, naming the page pageOf gives.
func (s *Service) resigner(ctx context.Context, prod *store.Product, rel *store.Release, verdicts []catalog.Verdict) (store.Signer, error) {
	key, err := s.Key(ctx)
	if err != nil {
		return nil, err
	}
	org, err := s.Store.OrganizationByID(ctx, prod.Organization)
	if err != nil {
		return nil, err
	}
	return func(l *store.Label) ([]byte, error) {
		page, err := s.pageOf(l, key)
		if err != nil {
			return nil, err
		}
		return label.Sign(s.statement(l, page, org, prod, rel, verdicts), key)
	}, nil
}

// termMonths is a new label's term, or a renewal's.
func (s *Service) termMonths() int { return cmp.Or(s.TermMonths, label.TermMonths) }

// pageOf is the public page a new statement of the label names: the configured address, or,
// when none is configured now, the page the label's last statement named, so that a suspension,
// revocation or renewal is never held back for want of one.
func (s *Service) pageOf(l *store.Label, key ed25519.PrivateKey) (string, error) {
	if page := s.PageURL(l.ID); page != "" {
		return page, nil
	}
	prev, err := label.Verify(l.Statement, key.Public().(ed25519.PublicKey))
	if err != nil || prev.PageURL == "" {
		return "", ErrNoBaseURL
	}
	return prev.PageURL, nil
}

// RefreshAll re-decides every label that is not revoked.
func (s *Service) RefreshAll(ctx context.Context) (changed int, err error) {
	ls, err := s.Store.Labels(ctx, 0)
	if err != nil {
		return 0, err
	}
	var errs []error
	for i := range ls {
		if ls[i].Status == store.LabelRevoked || ls[i].Status == store.LabelExpired {
			continue
		}
		ok, err := s.Refresh(ctx, &ls[i])
		if err != nil {
			errs = append(errs, fmt.Errorf("label %s: %w", ls[i].ID, err))
			continue
		}
		if ok {
			changed++
		}
	}
	return changed, errors.Join(errs...)
}

// Revoke withdraws a label on an authority's decision. With a comment period (commentDays > 0)
// the revocation is announced: the label's statement says so at once, and the label is revoked
// when the period ends unless the authority withdraws it; with 0, as security may require, it is
// revoked at once.
func (s *Service) Revoke(ctx context.Context, l *store.Label, by, why string, commentDays int) error {
	if strings.TrimSpace(why) == "" {
		return fmt.Errorf("a revocation needs a reason")
	}
	if commentDays < 0 {
		return fmt.Errorf("comment period of %d days: give 0 for immediate action or a positive number of days", commentDays)
	}
	if commentDays > 0 {
		if err := s.Store.AnnounceRevocation(ctx, l.ID, by, why, s.now().AddDate(0, 0, commentDays)); err != nil {
			return err
		}
		l, err := s.Store.LabelByID(ctx, l.ID)
		if err != nil {
			return err
		}
		_, err = s.Refresh(ctx, l)
		return err
	}
	// The statement's verdicts are the release's as they stand, without the grace.
	rel, prod, e, _, err := s.labelState(ctx, l, 0)
	if err != nil {
		return err
	}
	_, err = s.setStatus(ctx, l.ID, store.LabelRevoked, fmt.Sprintf("revoked by %s: %s", by, why), store.Actor(ctx), false, prod, rel, e.Verdicts)
	return err
}

// Reinstate lifts a revocation on an authority's decision; the label is then valid or
// suspended as the evidence says.
func (s *Service) Reinstate(ctx context.Context, l *store.Label, by, why string) error {
	rel, prod, e, checks, err := s.labelState(ctx, l, s.Grace)
	if err != nil {
		return err
	}
	next, reason, err := label.Reinstate(label.Status(l.Status), by, why, checks, s.now(), s.Grace)
	if err != nil {
		return err
	}
	_, err = s.setStatus(ctx, l.ID, string(next), reason, store.Actor(ctx), true, prod, rel, e.Verdicts)
	return err
}

// labelState evaluates a label's release against the label's catalogs, exploited findings
// younger than grace left out of the verdicts, and gathers what the status rules decide on.
func (s *Service) labelState(ctx context.Context, l *store.Label, grace time.Duration) (*store.Release, *store.Product, *Evaluation, label.Checks, error) {
	rel, err := s.Store.Release(ctx, l.Release)
	if err != nil {
		return nil, nil, nil, label.Checks{}, err
	}
	prod, err := s.Store.Product(ctx, rel.Product)
	if err != nil {
		return nil, nil, nil, label.Checks{}, err
	}
	ev, exploited, deadlines, err := s.Evidence(ctx, prod, rel, grace)
	if err != nil {
		return nil, nil, nil, label.Checks{}, err
	}
	e, err := s.evaluate(prod, rel, l.Catalogs, ev)
	if err != nil {
		return nil, nil, nil, label.Checks{}, err
	}
	checks := label.Checks{Plausible: e.Plausible, Unmet: e.Unmet, Exploited: exploited, Deadlines: deadlines, SupportEnd: rel.SupportEnd,
		ValidUntil: l.ValidUntil}
	if r := l.Revocation; r != nil {
		checks.Revocation = &label.Revocation{By: r.By, Why: r.Reason, Effective: r.Effective}
	}
	if checks.Standards, err = s.standardVersions(ctx, l); err != nil {
		return nil, nil, nil, label.Checks{}, err
	}
	// A category changed since issue can bring in catalogs the label was not declared against.
	if why := s.categoryGap(prod, l.Catalogs); why != "" {
		checks.Plausible, checks.Unmet = false, append(slices.Clone(checks.Unmet), why)
	}
	return rel, prod, e, checks, nil
}

// standardVersions pairs each catalog of a label with the version it was issued against (read
// from its signed statement) and the version the issuer applies now, with since when.
func (s *Service) standardVersions(ctx context.Context, l *store.Label) ([]label.StandardVersion, error) {
	key, err := s.Key(ctx)
	if err != nil {
		return nil, err
	}
	st, err := label.Verify(l.Statement, key.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, fmt.Errorf("label %s: the stored statement does not verify: %w", l.ID, err)
	}
	var out []label.StandardVersion
	for _, c := range st.Catalogs {
		for _, std := range s.Catalog.Standards {
			if std.ID != c.ID || std.Version == c.Version {
				continue
			}
			since, err := s.Store.CatalogVersionSince(ctx, std.ID, std.Version)
			if err != nil {
				return nil, err
			}
			out = append(out, label.StandardVersion{ID: c.ID, Labelled: c.Version, Current: std.Version, Since: since})
		}
	}
	return out, nil
}

// Renew extends a label's term, within its renewal window, by a new term from its current end.
func (s *Service) Renew(ctx context.Context, l *store.Label) (*store.Label, error) {
	rel, prod, e, _, err := s.labelState(ctx, l, s.Grace)
	if err != nil {
		return nil, err
	}
	sign, err := s.resigner(ctx, prod, rel, e.Verdicts)
	if err != nil {
		return nil, err
	}
	now := s.now()
	return s.Store.RenewLabel(ctx, l.ID, store.Actor(ctx), s.termMonths(),
		func(cur *store.Label) error { return label.CheckRenewal(label.Status(cur.Status), cur.ValidUntil, now) }, sign)
}
