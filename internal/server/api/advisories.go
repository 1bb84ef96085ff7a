package api

import (
	"errors"
	"fmt"
	"html"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/csaf"
	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/store"
)

func errorsIsNotFound(err error) bool {
	return err != nil && strings.Contains(err.Error(), store.ErrNotFound.Error())
}

// AdvisoryJSON is an advisory as answered.
type AdvisoryJSON struct {
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

func toAdvisory(base string, a store.Advisory) AdvisoryJSON {
	e := csaf.Entry{TrackingID: a.TrackingID, Initial: a.Initial}
	return AdvisoryJSON{ID: a.ID, TrackingID: a.TrackingID, Title: a.Title, Product: a.Product, Vulnerability: a.Vulnerability,
		Version: len(a.Revisions), Initial: a.Initial, Current: a.Current, URL: base + csaf.Distribution + "/" + e.Path()}
}

// createAdvisory publishes (or revises) the advisory of a vulnerability in a product.
func (s *API) createAdvisory(w http.ResponseWriter, r *http.Request, p caller.Principal) {
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
	a, err := s.PublishAdvisoryFor(r.Context(), strings.TrimSuffix(s.BaseURL, "/"), org, prod, in.Vulnerability, strings.TrimSpace(in.CVSS))
	if err != nil {
		var ns *app.NeedsScore
		switch {
		case errors.Is(err, store.ErrNotFound):
			writeError(w, http.StatusNotFound, err.Error())
			return
		case errors.Is(err, app.ErrNoBaseURL):
			writeError(w, http.StatusServiceUnavailable, err.Error())
			return
		case errors.As(err, &ns), errors.Is(err, app.ErrBadInput):
			writeError(w, http.StatusUnprocessableEntity, err.Error())
			return
		}
		s.Fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, toAdvisory(s.LinkBase(), *a))
}

func (s *API) listAdvisories(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	as, err := s.Store.Advisories(r.Context(), p.Token.Organization)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	out := make([]AdvisoryJSON, 0, len(as))
	for _, a := range as {
		out = append(out, toAdvisory(s.LinkBase(), a))
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

func (s *API) providerOrg(r *http.Request) (*store.Organization, []store.Advisory, error) {
	if s.ProviderOrg == "" {
		return nil, nil, store.ErrNotFound
	}
	org, err := s.ProviderOrganization(r.Context())
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

func (s *API) providerFile(w http.ResponseWriter, r *http.Request) {
	org, as, err := s.providerOrg(r)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	// CSAF requirement 3: a provider is served over TLS, and its feeds name https URLs: those of
	// the configured public address, never the request's Host header.
	base, err := s.PublicBase()
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
		sg, err := s.Signer(r.Context())
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
		sg, err := s.Signer(r.Context())
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
func (s *API) securityTXT(w http.ResponseWriter, r *http.Request) {
	if s.ProviderOrg == "" {
		http.NotFound(w, r)
		return
	}
	base, err := s.PublicBase()
	if err != nil {
		http.NotFound(w, r) // no public address: no provider to point to
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "Contact: %s/\nExpires: %s\nCSAF: %s%s/provider-metadata.json\n", base, s.Now().AddDate(1, 0, 0).UTC().Format(time.RFC3339), base, csaf.WellKnown)
}
