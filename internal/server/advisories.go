package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/siegel-oss/siegel/internal/cra"
	"github.com/siegel-oss/siegel/internal/csaf"
	"github.com/siegel-oss/siegel/internal/fixes"
	"github.com/siegel-oss/siegel/internal/match"
	"github.com/siegel-oss/siegel/internal/notify"
	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/server/web"
	"github.com/siegel-oss/siegel/internal/store"
)

// signerCache holds the provider's signing key once loaded.
type signerCache struct {
	mu     sync.Mutex
	signer *csaf.Signer
}

func (s *Server) signer(ctx context.Context) (*csaf.Signer, error) {
	s.signers.mu.Lock()
	defer s.signers.mu.Unlock()
	if s.signers.signer != nil {
		return s.signers.signer, nil
	}
	key, err := s.Store.ProviderKey(ctx, func() (string, error) {
		return csaf.NewKey(cmpOrDefault(s.ProviderOrg, "Siegel"), "", s.Now())
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

// errNoBaseURL refuses what needs the server's public address when none is configured: the
// address a request came in on (its Host header) is the client's to choose.
var errNoBaseURL = errors.New("CSAF documents name their canonical URL at the server's public https address: set it with --base-url https://... (the address users reach the server at)")

// needsScore asks the publisher for its severity assessment when the vulnerability database has
// no CVSS v3 vector: CRA Annex I Part II (4) wants the severity of a fixed vulnerability
// disclosed, and CSAF 6.2.3 a score for every affected product (CSAF 2.0 has no CVSS v4).
type needsScore struct{ vulnerability string }

func (e *needsScore) Error() string {
	return "the vulnerability database has no CVSS v3 vector for " + e.vulnerability + ", and an advisory states the severity for the affected releases (CRA Annex I Part II (4), CSAF 6.2.3): give your assessment as a CVSS:3.1 vector (API field cvss, the form's CVSS field, siegel advisory publish --cvss)"
}

// assessedScore checks a CVSS v3 vector the publisher gave and returns its base score.
func assessedScore(vector string) (float64, error) {
	if !strings.HasPrefix(vector, "CVSS:3.0/") && !strings.HasPrefix(vector, "CVSS:3.1/") {
		return 0, fmt.Errorf("%w: CVSS vector %q: CSAF 2.0 takes CVSS v3.0 or v3.1 (CVSS:3.1/AV:N/...)", errBadInput, vector)
	}
	score, ok := match.CVSSBaseScore(vector)
	if !ok {
		return 0, fmt.Errorf("%w: CVSS vector %q does not parse", errBadInput, vector)
	}
	return score, nil
}

// errBadInput marks what the publisher asked for wrongly.
var errBadInput = errors.New("bad input")

// publicBase is the configured public address, which CSAF's canonical and provider URLs use.
func (s *Server) publicBase() (string, error) {
	base := strings.TrimSuffix(s.BaseURL, "/")
	if !strings.HasPrefix(base, "https://") {
		return "", errNoBaseURL
	}
	return base, nil
}

// linkBase prefixes links to the server's pages: its public address, or nothing (links relative
// to the page) when none is configured.
func (s *Server) linkBase() string {
	return strings.TrimSuffix(s.BaseURL, "/")
}

// baseURL is the public address links use: the configured one, else the request's.
func (s *Server) baseURL(r *http.Request) string {
	if s.BaseURL != "" {
		return strings.TrimSuffix(s.BaseURL, "/")
	}
	scheme := "https"
	if r.TLS == nil && r.Header.Get("X-Forwarded-Proto") != "https" {
		scheme = "http"
	}
	return scheme + "://" + r.Host
}

// trackingPrefix derives an advisory id prefix from the organization's name: ACME Networks GmbH
// gives ACME.
func trackingPrefix(org string) string {
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

// publishAdvisory writes (or revises) the CSAF advisory of a vulnerability in a product from the
// findings and triage of all its releases, signs it and stores it.
// cvss, when given, is the publisher's CVSS v3 vector, which takes the place of the database's.
func (s *Server) publishAdvisory(ctx context.Context, base string, org *store.Organization, prod *store.Product, vuln, cvss string) (*store.Advisory, error) {
	rels, err := s.Store.Releases(ctx, prod.ID)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(base, "https://") {
		return nil, errNoBaseURL
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
		return nil, &needsScore{in.Vulnerability}
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
			TrackingID: fmt.Sprintf("%s-SA-%d-%04d", trackingPrefix(org.Name), now.Year(), n),
			Revisions:  []store.AdvisoryRevision{{Date: now, Summary: "Initial version."}}, Initial: now, Current: now}
	}
	in.TrackingID = adv.TrackingID
	in.Title = fmt.Sprintf("%s: %s", prod.Name, cmpOrDefault(in.Summary, in.Vulnerability))
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
	sg, err := s.signer(ctx)
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

func errorsIsNotFound(err error) bool {
	return err != nil && strings.Contains(err.Error(), store.ErrNotFound.Error())
}

type advisoryJSON struct {
	ID            int64     `json:"id"`
	TrackingID    string    `json:"trackingId"`
	Title         string    `json:"title"`
	Product       int64     `json:"product"`
	Vulnerability string    `json:"vulnerability"`
	Version       int       `json:"version"`
	Initial       time.Time `json:"initialReleaseDate"`
	Current       time.Time `json:"currentReleaseDate"`
	URL           string    `json:"url"`
}

func toAdvisory(base string, a store.Advisory) advisoryJSON {
	e := csaf.Entry{TrackingID: a.TrackingID, Initial: a.Initial}
	return advisoryJSON{ID: a.ID, TrackingID: a.TrackingID, Title: a.Title, Product: a.Product, Vulnerability: a.Vulnerability,
		Version: len(a.Revisions), Initial: a.Initial, Current: a.Current, URL: base + csaf.Distribution + "/" + e.Path()}
}

// createAdvisory publishes (or revises) the advisory of a vulnerability in a product.
func (s *Server) createAdvisory(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	prod, ok := s.product(w, r, p)
	if !ok {
		return
	}
	if !p.CanWrite(prod.Organization) {
		writeError(w, http.StatusForbidden, "this token may not publish advisories")
		return
	}
	var in struct {
		Vulnerability string `json:"vulnerability"`
		CVSS          string `json:"cvss"` // the publisher's CVSS v3 vector, when the database has none or it differs
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	org, err := s.Store.OrganizationByID(r.Context(), prod.Organization)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	a, err := s.publishAdvisory(r.Context(), strings.TrimSuffix(s.BaseURL, "/"), org, prod, in.Vulnerability, strings.TrimSpace(in.CVSS))
	if err != nil {
		var ns *needsScore
		switch {
		case errors.Is(err, store.ErrNotFound):
			writeError(w, http.StatusNotFound, err.Error())
			return
		case errors.Is(err, errNoBaseURL):
			writeError(w, http.StatusServiceUnavailable, err.Error())
			return
		case errors.As(err, &ns), errors.Is(err, errBadInput):
			writeError(w, http.StatusUnprocessableEntity, err.Error())
			return
		}
		s.Fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, toAdvisory(s.linkBase(), *a))
}

func (s *Server) listAdvisories(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	as, err := s.Store.Advisories(r.Context(), p.Token.Organization)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	out := make([]advisoryJSON, 0, len(as))
	for _, a := range as {
		out = append(out, toAdvisory(s.linkBase(), a))
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

// The CSAF trusted provider: public, read-only, the advisories of the provider organization.

func (s *Server) providerOrg(r *http.Request) (*store.Organization, []store.Advisory, error) {
	if s.ProviderOrg == "" {
		return nil, nil, store.ErrNotFound
	}
	org, err := s.providerOrganization(r.Context())
	if err != nil {
		return nil, nil, err
	}
	as, err := s.Store.Advisories(r.Context(), org.ID)
	return org, as, err
}

func entries(as []store.Advisory) []csaf.Entry {
	out := make([]csaf.Entry, 0, len(as))
	for _, a := range as {
		out = append(out, csaf.Entry{TrackingID: a.TrackingID, Title: a.Title, Initial: a.Initial, Current: a.Current})
	}
	return out
}

func (s *Server) providerFile(w http.ResponseWriter, r *http.Request) {
	org, as, err := s.providerOrg(r)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	// CSAF requirement 3: a provider is served over TLS, and its feeds name https URLs: those of
	// the configured public address, never the request's Host header.
	base, err := s.publicBase()
	if err != nil {
		http.Error(w, "the CSAF provider needs its public https address: start the server with --base-url https://...", http.StatusServiceUnavailable)
		return
	}
	pub := csaf.Publisher{Name: org.Name, Namespace: base}
	path := strings.TrimPrefix(r.URL.Path, csaf.WellKnown+"/")
	serve := func(ctype string, data []byte, err error) {
		if err != nil {
			s.Log.Error("CSAF provider", "path", r.URL.Path, "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", ctype)
		w.Write(data)
	}
	switch {
	case path == "provider-metadata.json":
		sg, err := s.signer(r.Context())
		if err != nil {
			serve("", nil, err)
			return
		}
		updated := org.CreatedAt
		if len(as) > 0 {
			updated = as[0].Current
		}
		data, err := csaf.ProviderMetadata(base, pub, sg.Fingerprint(), updated)
		serve("application/json", data, err)
	case strings.HasPrefix(path, "openpgp/") && strings.HasSuffix(path, ".asc"):
		sg, err := s.signer(r.Context())
		if err != nil || path != "openpgp/"+sg.Fingerprint()+".asc" {
			http.NotFound(w, r)
			return
		}
		key, err := sg.PublicKey()
		serve("application/pgp-keys", []byte(key), err)
	case path == "white/"+csaf.FeedFile:
		data, err := csaf.Feed(base, pub, entries(as), s.Now())
		serve("application/json", data, err)
	case path == "white/index.txt":
		serve("text/plain; charset=utf-8", []byte(csaf.IndexTXT(entries(as))), nil)
	case path == "white/changes.csv":
		serve("text/csv; charset=utf-8", []byte(csaf.ChangesCSV(entries(as))), nil)
	case path == "white/" || strings.HasPrefix(path, "white/") && strings.HasSuffix(path, "/"):
		// Directory listings (requirement 14).
		dir := strings.TrimSuffix(strings.TrimPrefix(path, "white/"), "/")
		var names []string
		if dir == "" {
			names = []string{"index.txt", "changes.csv", csaf.FeedFile}
		}
		for _, a := range as {
			year, file, _ := strings.Cut(csaf.Entry{TrackingID: a.TrackingID, Initial: a.Initial}.Path(), "/")
			switch dir {
			case "":
				if !slices.Contains(names, year+"/") {
					names = append(names, year+"/")
				}
			case year:
				names = append(names, file, file+".asc", file+".sha512")
			}
		}
		if dir != "" && len(names) == 0 {
			http.NotFound(w, r)
			return
		}
		var b strings.Builder
		b.WriteString("<!doctype html><title>Index of " + html.EscapeString(r.URL.Path) + "</title><ul>\n")
		for _, n := range names {
			fmt.Fprintf(&b, "<li><a href=\"%s\">%s</a></li>\n", html.EscapeString(n), html.EscapeString(n))
		}
		b.WriteString("</ul>\n")
		serve("text/html; charset=utf-8", []byte(b.String()), nil)
	case strings.HasPrefix(path, "white/"):
		rest := strings.TrimPrefix(path, "white/")
		for _, a := range as {
			p := csaf.Entry{TrackingID: a.TrackingID, Initial: a.Initial}.Path()
			switch rest {
			case p:
				serve("application/json", a.Document, nil)
				return
			case p + ".sha512":
				serve("text/plain; charset=utf-8", []byte(csaf.SHA512File(a.Document, csaf.FileName(a.TrackingID))), nil)
				return
			case p + ".asc":
				serve("application/pgp-signature", []byte(a.Signature), nil)
				return
			}
		}
		http.NotFound(w, r)
	default:
		http.NotFound(w, r)
	}
}

// securityTXT points to the provider metadata (CSAF requirement 8, RFC 9116).
func (s *Server) securityTXT(w http.ResponseWriter, r *http.Request) {
	if s.ProviderOrg == "" {
		http.NotFound(w, r)
		return
	}
	base, err := s.publicBase()
	if err != nil {
		http.NotFound(w, r) // no public address: no provider to point to
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "Contact: %s/\nExpires: %s\nCSAF: %s%s/provider-metadata.json\n", base, s.Now().AddDate(1, 0, 0).UTC().Format(time.RFC3339), base, csaf.WellKnown)
}

// advisoryPage is an advisory's public, human-readable page (TLP:WHITE: anyone may read it).
func (s *Server) advisoryPage(w http.ResponseWriter, r *http.Request, u *store.User) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	a, err := s.Store.AdvisoryByID(r.Context(), id)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	v, err := app.ViewAdvisory(s.linkBase(), *a)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	s.render(w, http.StatusOK, "advisory", &advisoryPageView{Layout: web.Layout{Title: a.TrackingID, User: u}, Advisory: v})
}

// advisoryPageView is an advisory's public page (advisory.html).
type advisoryPageView struct {
	web.Layout
	Advisory *app.AdvisoryView
}

// advisoriesView is the organization's list of advisories (advisories.html).
type advisoriesView struct {
	web.Layout
	Advisories []*app.AdvisoryView
}

// advisoriesPage lists the organization's advisories.
func (s *Server) advisoriesPage(w http.ResponseWriter, r *http.Request, u *store.User) {
	as, err := s.Store.Advisories(r.Context(), u.Organization)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	d := &advisoriesView{Layout: web.Layout{Title: "Advisories", User: u}}
	for _, a := range as {
		v, err := app.ViewAdvisory(s.linkBase(), a)
		if err != nil {
			s.Fail(w, r, err)
			return
		}
		d.Advisories = append(d.Advisories, v)
	}
	s.render(w, http.StatusOK, "advisories", d)
}

// advisoryPublish publishes the advisory of a finding's vulnerability for its product.
func (s *Server) advisoryPublish(w http.ResponseWriter, r *http.Request, u *store.User) {
	d, ok := s.webRelease(w, r, u)
	if !ok {
		return
	}
	if !d.writable(w) {
		return
	}
	org, err := s.Store.OrganizationByID(r.Context(), d.Product.Organization)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	a, err := s.publishAdvisory(r.Context(), strings.TrimSuffix(s.BaseURL, "/"), org, d.Product, r.PathValue("finding"), strings.TrimSpace(r.PostFormValue("cvss")))
	if err != nil {
		if v, ok := s.releasePageOf(r.Context(), w, r, d); ok {
			v.Error = err.Error()
			s.render(w, http.StatusUnprocessableEntity, "release", v)
		}
		return
	}
	http.Redirect(w, r, "/advisories/"+strconv.FormatInt(a.ID, 10), http.StatusSeeOther)
}

// PublishAdvisory publishes (or revises) the advisory of a vulnerability in an organization's
// product, for the command line; base is the provider's public address, cvss the publisher's
// CVSS v3 vector ("" for the vulnerability database's).
func (s *Server) PublishAdvisory(ctx context.Context, base, orgName, productName, vuln, cvss string) (*store.Advisory, error) {
	org, err := s.Store.OrganizationByName(ctx, orgName)
	if err != nil {
		return nil, err
	}
	ps, err := s.Store.Products(ctx, org.ID)
	if err != nil {
		return nil, err
	}
	for i := range ps {
		if ps[i].Name == productName {
			return s.publishAdvisory(ctx, strings.TrimSuffix(base, "/"), org, &ps[i], vuln, cvss)
		}
	}
	return nil, fmt.Errorf("product %q of %s: %w", productName, orgName, store.ErrNotFound)
}
