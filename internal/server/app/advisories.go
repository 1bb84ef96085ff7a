package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/siegel-oss/siegel/internal/cra"
	"github.com/siegel-oss/siegel/internal/csaf"
	"github.com/siegel-oss/siegel/internal/fixes"
	"github.com/siegel-oss/siegel/internal/match"
	"github.com/siegel-oss/siegel/internal/notify"
	"github.com/siegel-oss/siegel/internal/store"
)

// signerCache holds the provider's signing key once loaded.
type signerCache struct {
	mu     sync.Mutex
	signer *csaf.Signer
}

// Signer is the CSAF provider's signing key, loaded on first use and kept.
func (s *Deps) Signer(ctx context.Context) (*csaf.Signer, error) {
	s.signers.mu.Lock()
	defer s.signers.mu.Unlock()
	if s.signers.signer != nil {
		return s.signers.signer, nil
	}
	key, err := s.Store.ProviderKey(ctx, func() (string, error) {
		return csaf.NewKey(CmpOrDefault(s.ProviderOrg, "Siegel"), "", s.Now())
	})
	if err != nil {
		return nil, err
	}
	sg, err := csaf.LoadSigner(key)
	if err != nil {
		return nil, err
	}
	s.signers.signer = sg
	return sg, nil
}

// ErrNoBaseURL refuses what needs the server's public address when none is configured: the
// address a request came in on (its Host header) is the client's to choose.
var ErrNoBaseURL = errors.New("CSAF documents name their canonical URL at the server's public https address: set it with --base-url https://... (the address users reach the server at)")

// NeedsScore asks the publisher for its severity assessment when the vulnerability database has
// no CVSS v3 vector: CRA Annex I Part II (4) wants the severity of a fixed vulnerability
// disclosed, and CSAF 6.2.3 a score for every affected product (CSAF 2.0 has no CVSS v4).
type NeedsScore struct{ vulnerability string }

// Error says which vulnerability lacks a CVSS v3 vector and why one is needed.
func (e *NeedsScore) Error() string {
	return "the vulnerability database has no CVSS v3 vector for " + e.vulnerability + ", and an advisory states the severity for the affected releases (CRA Annex I Part II (4), CSAF 6.2.3): give your assessment as a CVSS:3.1 vector (API field cvss, the form's CVSS field, siegel advisory publish --cvss)"
}

// assessedScore checks a CVSS v3 vector the publisher gave and returns its base score.
func assessedScore(vector string) (float64, error) {
	if !strings.HasPrefix(vector, "CVSS:3.0/") && !strings.HasPrefix(vector, "CVSS:3.1/") {
		return 0, fmt.Errorf("%w: CVSS vector %q: CSAF 2.0 takes CVSS v3.0 or v3.1 (CVSS:3.1/AV:N/...)", ErrBadInput, vector)
	}
	score, ok := match.CVSSBaseScore(vector)
	if !ok {
		return 0, fmt.Errorf("%w: CVSS vector %q does not parse", ErrBadInput, vector)
	}
	return score, nil
}

// ErrBadInput marks what the publisher asked for wrongly.
var ErrBadInput = errors.New("bad input")

// PublicBase is the configured public address, which CSAF's canonical and provider URLs use.
func (s *Deps) PublicBase() (string, error) {
	base := strings.TrimSuffix(s.BaseURL, "/")
	if !strings.HasPrefix(base, "https://") {
		return "", ErrNoBaseURL
	}
	return base, nil
}

// LinkBase prefixes links to the server's pages: its public address, or nothing (links relative
// to the page) when none is configured.
func (s *Deps) LinkBase() string {
	return strings.TrimSuffix(s.BaseURL, "/")
}

// baseURL is the public address links use: the configured one, else the request's.
func (s *Deps) RequestBaseURL(r *http.Request) string {
	if s.BaseURL != "" {
		return strings.TrimSuffix(s.BaseURL, "/")
	}
	scheme := "https"
	if r.TLS == nil && r.Header.Get("X-Forwarded-Proto") != "https" {
		scheme = "http"
	}
	return scheme + "://" + r.Host
}

// TrackingPrefix derives an advisory id prefix from the organization's name: ACME Networks GmbH
// gives ACME.
func TrackingPrefix(org string) string {
	word := strings.FieldsFunc(org, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	if len(word) == 0 {
		return "SIEGEL"
	}
	p := strings.ToUpper(word[0])
	if len(p) > 12 {
		p = p[:12]
	}
	return p
}

// PublishAdvisoryFor writes (or revises) the CSAF advisory of a vulnerability in a product from the
// findings and triage of all its releases, signs it and stores it.
// cvss, when given, is the publisher's CVSS v3 vector, which takes the place of the database's.
func (s *Deps) PublishAdvisoryFor(ctx context.Context, base string, org *store.Organization, prod *store.Product, vuln, cvss string) (*store.Advisory, error) {
	rels, err := s.Store.Releases(ctx, prod.ID)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(base, "https://") {
		return nil, ErrNoBaseURL
	}
	fixed, err := fixes.Find(ctx, s.Store, prod.ID)
	if err != nil {
		return nil, err
	}
	in := csaf.Input{Publisher: csaf.Publisher{Name: org.Name, Namespace: base}, BaseURL: base, Product: prod.Name, Vulnerability: vuln}
	slices.Reverse(rels) // oldest first
	for _, rel := range rels {
		var x *store.Finding
		for _, resolved := range []bool{false, true} {
			fs, _, err := s.Store.Findings(ctx, rel.ID, store.FindingFilter{Resolved: resolved, Search: vuln, Limit: 1000})
			if err != nil {
				return nil, err
			}
			for i := range fs {
				var f match.Finding
				if json.Unmarshal(fs[i].Data, &f) == nil && (f.ID == vuln || slices.Contains(f.Aliases, vuln)) {
					x = &fs[i]
					in.Vulnerability, in.Aliases, in.Summary, in.CVSSVector, in.CVSSScore = f.ID, f.Aliases, f.Summary, f.Vector, f.Score
					if f.IsExploited() && in.Exploited == "" {
						in.Exploited = "it is listed as exploited"
						if kev := f.KEV(); kev != nil {
							in.Exploited = "listed in CISA KEV since " + kev.DateAdded
						}
					}
					break
				}
			}
			if x != nil {
				break
			}
		}
		r := csaf.Release{Version: rel.Version, PURL: productPURL(org.Name, prod, &rel), Status: "known_affected", Issued: releaseIssued(rel)}
		if x == nil {
			// A release without the finding fixed it when it ships the package at a version
			// outside the affected ranges after a release that had it; else it has nothing to say.
			if !slices.ContainsFunc(fixed, func(f fixes.Fix) bool { return f.Release.ID == rel.ID && f.Has(vuln) }) {
				continue
			}
			r.Status = "fixed"
		} else {
			vex, err := s.Store.EffectiveVEX(ctx, rel.ID)
			if err != nil {
				return nil, err
			}
			st, triaged := vex[store.VEXKey{Vulnerability: x.Vulnerability, PURL: x.PURL}]
			switch {
			case x.Resolved || (triaged && st.Status == "fixed"):
				r.Status = "fixed"
			case triaged && st.Status == "not_affected":
				r.Status, r.Reason, r.Impact = "known_not_affected", st.Justification, st.Impact
			case triaged && st.Status == "under_investigation":
				r.Status = "under_investigation"
			case triaged:
				r.Action = st.Action
			}
		}
		if r.Status == "fixed" {
			if r.KeepAvailableUntil, err = cra.KeepAvailableUntil(r.Issued, rel.SupportEnd); err != nil {
				return nil, fmt.Errorf("release %s: %w", rel.Version, err)
			}
		}
		in.Releases = append(in.Releases, r)
	}
	if len(in.Releases) == 0 {
		return nil, fmt.Errorf("%w: no release of %s has %s", store.ErrNotFound, prod.Name, vuln)
	}
	adv, err := s.Store.AdvisoryFor(ctx, prod.ID, in.Vulnerability)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if cvss == "" && adv != nil && !strings.HasPrefix(in.CVSSVector, "CVSS:3.") {
		cvss = csaf.CVSSVector(adv.Document) // the assessment the last version gave
	}
	if cvss != "" {
		if in.CVSSScore, err = assessedScore(cvss); err != nil {
			return nil, err
		}
		in.CVSSVector = cvss
	}
	if !strings.HasPrefix(in.CVSSVector, "CVSS:3.") && slices.ContainsFunc(in.Releases, func(r csaf.Release) bool { return r.Status == "known_affected" }) {
		return nil, &NeedsScore{in.Vulnerability}
	}
	now := s.Now().UTC().Truncate(time.Second)
	switch {
	case adv != nil:
		adv.Revisions = append(adv.Revisions, store.AdvisoryRevision{Date: now, Summary: "Updated the status of the releases."})
		adv.Current = now
	default:
		n, err := s.Store.NextTrackingNumber(ctx, org.ID, now.Year())
		if err != nil {
			return nil, err
		}
		adv = &store.Advisory{Organization: org.ID, Product: prod.ID, Vulnerability: in.Vulnerability,
			TrackingID: fmt.Sprintf("%s-SA-%d-%04d", TrackingPrefix(org.Name), now.Year(), n),
			Revisions:  []store.AdvisoryRevision{{Date: now, Summary: "Initial version."}}, Initial: now, Current: now}
	}
	in.TrackingID = adv.TrackingID
	in.Title = fmt.Sprintf("%s: %s", prod.Name, CmpOrDefault(in.Summary, in.Vulnerability))
	if !strings.Contains(in.Title, in.Vulnerability) {
		in.Title += " (" + in.Vulnerability + ")"
	}
	for _, r := range adv.Revisions {
		in.Revisions = append(in.Revisions, csaf.Revision{Date: r.Date, Summary: r.Summary})
	}
	doc, err := csaf.Build(in)
	if err != nil {
		return nil, err
	}
	sg, err := s.Signer(ctx)
	if err != nil {
		return nil, err
	}
	sig, err := sg.Sign(doc)
	if err != nil {
		return nil, err
	}
	adv.Title, adv.Document, adv.Signature = in.Title, doc, sig
	if err := s.Store.SaveAdvisory(ctx, adv); err != nil {
		return nil, err
	}
	// Users are informed: the organization's channels subscribed to publications hear of it.
	e := notify.Event{ID: fmt.Sprintf("advisory-%d-%d", adv.ID, len(adv.Revisions)), Kind: store.EventAdvisoryPublished, Organization: org.ID,
		Product: prod.Name, Vulnerability: adv.Vulnerability, Time: now, Summary: fmt.Sprintf("%s version %d: %s", adv.TrackingID, len(adv.Revisions), adv.Title),
		URL: fmt.Sprintf("%s/advisories/%d", base, adv.ID)}
	payload, _ := json.Marshal(e)
	if err := s.Store.QueueOrgEvent(ctx, org.ID, prod.ID, store.EventAdvisoryPublished, store.Event{ID: e.ID, Payload: payload}); err != nil {
		return nil, err
	}
	s.Wake()
	return adv, nil
}

// releaseIssued is when a release was made available: placed on the market, else recorded.
func releaseIssued(rel store.Release) time.Time {
	if t, err := time.Parse(time.DateOnly, rel.PlacedOnMarket); err == nil {
		return t
	}
	return rel.CreatedAt.UTC()
}
