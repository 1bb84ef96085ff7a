package api

import (
	"net/http"
	"time"

	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/store"
	"github.com/siegel-oss/siegel/internal/vulndb"
)

// The API's corrections (products, releases, SBOMs), comments on findings and the portfolio
// search. Each correction takes a reason, which the audit trail and the ledger keep.

// releaseToChange loads the release of the path for a caller who may change it: 404 when it may
// not read it, 403 (saying what it may not do) when it may not change it.
func (s *API) releaseToChange(w http.ResponseWriter, r *http.Request, p caller.Principal, what string) (*store.Release, *store.Product, bool) {
	rel, prod, ok := s.release(w, r, p)
	if ok && !p.CanWrite(prod.Organization) {
		writeError(w, http.StatusForbidden, "this token may not "+what)
		return nil, nil, false
	}
	return rel, prod, ok
}

// decodeReason reads the body {reason} of a removal.
func decodeReason(w http.ResponseWriter, r *http.Request) (string, bool) {
	var in struct {
		Reason string `json:"reason"`
	}
	ok := decodeJSON(w, r, &in)
	return in.Reason, ok
}

// putProduct corrects a product: PUT /api/v1/products/{id} {name, category, craClass, reason}.
func (s *API) putProduct(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	prod, ok := s.product(w, r, p)
	if !ok {
		return
	}
	if !p.CanWrite(prod.Organization) {
		writeError(w, http.StatusForbidden, "this token may not change products")
		return
	}
	in := app.ProductEditInput{Name: prod.Name, CRAClass: prod.CRAClass}
	if !decodeJSON(w, r, &in) {
		return
	}
	got, err := s.EditProduct(r.Context(), prod, in)
	if err != nil {
		s.answer(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, app.ViewProduct(*got))
}

// putRelease corrects a release: PUT /api/v1/releases/{id} with the fields to change and a reason.
func (s *API) putRelease(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	rel, prod, ok := s.releaseToChange(w, r, p, "change releases")
	if !ok {
		return
	}
	in := app.ReleaseEditOf(rel)
	if !decodeJSON(w, r, &in) {
		return
	}
	got, err := s.EditRelease(r.Context(), prod, rel, in)
	if err != nil {
		s.answer(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, app.ViewRelease(*got, prod.Category))
}

// SBOMJSON is one of a release's SBOMs as answered.
type SBOMJSON struct {
	ID         int64     `json:"id"`
	Release    int64     `json:"release"`
	Format     string    `json:"format"`
	SHA256     string    `json:"sha256"`
	Components int       `json:"components"`
	UploadedAt time.Time `json:"uploadedAt"`
}

func toSBOM(b store.SBOM) SBOMJSON {
	return SBOMJSON{ID: b.ID, Release: b.Release, Format: b.Format, SHA256: b.SHA256, Components: b.Components, UploadedAt: b.UploadedAt}
}

// listSBOMs lists the SBOMs of a release.
func (s *API) listSBOMs(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	rel, _, ok := s.release(w, r, p)
	if !ok {
		return
	}
	bs, err := s.Store.SBOMs(r.Context(), rel.ID)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	out := make([]SBOMJSON, 0, len(bs))
	for _, b := range bs {
		out = append(out, toSBOM(b))
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

// removeSBOM removes an SBOM of a release: POST /api/v1/releases/{id}/sboms/{sbom}/remove {reason}.
func (s *API) removeSBOM(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	rel, _, ok := s.releaseToChange(w, r, p, "remove SBOMs")
	if !ok {
		return
	}
	id, ok := pathID(w, r, "sbom")
	if !ok {
		return
	}
	reason, ok := decodeReason(w, r)
	if !ok {
		return
	}
	if err := s.Store.RemoveSBOM(r.Context(), rel.ID, id, reason); err != nil {
		s.answer(w, r, err)
		return
	}
	s.Wake()
	writeJSON(w, http.StatusOK, map[string]any{"removed": id, "release": rel.ID})
}

// putSBOM replaces an SBOM of a release: PUT /api/v1/releases/{id}/sboms/{sbom}?reason=... with
// the new SBOM as the body, checked as an upload is.
func (s *API) putSBOM(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	rel, prod, ok := s.releaseToChange(w, r, p, "replace SBOMs")
	if !ok {
		return
	}
	id, ok := pathID(w, r, "sbom")
	if !ok {
		return
	}
	data, status, err := readBody(w, r, "upload", s.MaxUpload)
	if err != nil {
		writeError(w, status, err.Error())
		return
	}
	b, err := s.ReplaceSBOM(r.Context(), prod, rel, id, "upload", data, r.URL.Query().Get("reason"))
	if caller.IsMistake(err) {
		writeError(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": b.ID, "replaced": id, "release": rel.ID, "format": b.Format, "sha256": b.SHA256, "components": b.Components})
}

// CommentJSON is a comment on a finding as answered.
type CommentJSON struct {
	ID     int64     `json:"id"`
	Author string    `json:"author"`
	Body   string    `json:"body"`
	Time   time.Time `json:"time"`
}

// findingComments lists (GET) or adds (POST {purl, body}) comments on a finding of a release;
// GET takes the package as ?purl=.
func (s *API) findingComments(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	rel, prod, ok := s.release(w, r, p)
	if !ok {
		return
	}
	vuln, purl := r.PathValue("vuln"), r.URL.Query().Get("purl")
	if r.Method == http.MethodPost {
		if !p.CanWrite(prod.Organization) {
			writeError(w, http.StatusForbidden, "this token may not comment on findings")
			return
		}
		var in struct {
			PURL string `json:"purl"`
			Body string `json:"body"`
		}
		if !decodeJSON(w, r, &in) {
			return
		}
		purl = in.PURL
		if _, err := s.Store.FindingByKey(r.Context(), rel.ID, vuln, purl); err != nil {
			writeError(w, http.StatusNotFound, "no such finding in this release (give the package's purl)")
			return
		}
		c, err := s.Store.AddComment(r.Context(), store.Comment{Release: rel.ID, Vulnerability: vuln, PURL: purl, Author: "token:" + p.Token.Name, Body: in.Body})
		if err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		writeJSON(w, http.StatusCreated, CommentJSON{ID: c.ID, Author: c.Author, Body: c.Body, Time: c.CreatedAt})
		return
	}
	if _, err := s.Store.FindingByKey(r.Context(), rel.ID, vuln, purl); err != nil {
		writeError(w, http.StatusNotFound, "no such finding in this release (give the package's purl)")
		return
	}
	cs, err := s.Store.Comments(r.Context(), rel.ID, vuln, purl)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	out := make([]CommentJSON, 0, len(cs))
	for _, c := range cs {
		out = append(out, CommentJSON{ID: c.ID, Author: c.Author, Body: c.Body, Time: c.CreatedAt})
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

// SearchHitJSON is one hit of the portfolio search.
type SearchHitJSON struct {
	Product       string `json:"product"`
	ProductID     int64  `json:"productId"`
	Release       string `json:"release"`
	ReleaseID     int64  `json:"releaseId"`
	Name          string `json:"name,omitempty"`
	Version       string `json:"version,omitempty"`
	PURL          string `json:"purl"`
	Vulnerability string `json:"vulnerability,omitempty"`
	Severity      string `json:"severity,omitempty"`
	Resolved      bool   `json:"resolved,omitempty"`
}

func toHits(hs []store.SearchHit) []SearchHitJSON {
	out := make([]SearchHitJSON, 0, len(hs))
	for _, h := range hs {
		out = append(out, SearchHitJSON{Product: h.Product, ProductID: h.ProductID, Release: h.Release, ReleaseID: h.ReleaseID, Name: h.Name,
			Version: h.Version, PURL: h.PURL, Vulnerability: h.Vulnerability, Severity: h.Severity, Resolved: h.Resolved})
	}
	return out
}

// apiSearch searches the caller's portfolio by component (name or purl) and by vulnerability id
// (CVE, GHSA, OSV; aliases included): GET /api/v1/search?q=.
func (s *API) apiSearch(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	q, limit, offset, err := app.SearchQuery(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	org := p.Token.Organization
	if p.Token.Role == "authority" {
		org = 0
	}
	if q == "" {
		writeError(w, http.StatusBadRequest, "give q: a component name or purl, or a vulnerability id (CVE, GHSA, OSV)")
		return
	}
	comps, finds, nc, nf, err := s.Store.SearchPortfolio(r.Context(), org, q, limit, offset)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"query": q, "limit": limit, "offset": offset,
		"components": map[string]any{"total": nc, "items": toHits(comps)}, "findings": map[string]any{"total": nf, "items": toHits(finds)}})
}

// AdvisoryDetailsJSON is a vulnerability as the vulnerability database describes it.
type AdvisoryDetailsJSON struct {
	ID         string            `json:"id"`
	Aliases    []string          `json:"aliases,omitempty"`
	Summary    string            `json:"summary,omitempty"`
	Details    string            `json:"details,omitempty"`
	CWEs       []string          `json:"cwes,omitempty"`
	Severity   []vulndb.Severity `json:"severity,omitempty"`
	Source     string            `json:"source"`
	References []referenceJSON   `json:"references,omitempty"`
}

type referenceJSON struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

// apiVulnerability gives an advisory record's details from the vulnerability database —
// summary, details, references, CWE ids, severities and their source: GET /api/v1/vulnerabilities/{id}.
func (s *API) apiVulnerability(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	db, err := vulndb.Open(r.Context(), s.VulnDB, false)
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "the vulnerability database is not available on this server: run an update first")
		return
	}
	defer db.Close()
	ds, err := db.AdvisoryDetails(r.Context(), []string{r.PathValue("id")})
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	if len(ds) == 0 {
		writeError(w, http.StatusNotFound, "no advisory record with this id in the vulnerability database (give the record's own id, as a finding's records name it)")
		return
	}
	d := ds[0]
	out := AdvisoryDetailsJSON{ID: d.ID, Aliases: d.Aliases, Summary: d.Summary, Details: d.Details, CWEs: d.CWEs, Severity: d.Severity, Source: d.Source}
	for _, ref := range d.References {
		out.References = append(out.References, referenceJSON{Type: ref.Type, URL: ref.URL})
	}
	writeJSON(w, http.StatusOK, out)
}

// removeRelease removes a release entered by mistake: POST /api/v1/releases/{id}/remove {reason}.
// A release that carries evidence (label, attestation, firmware analysis, triage, comment) is
// refused with 409: correct it instead.
func (s *API) removeRelease(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	rel, _, ok := s.releaseToChange(w, r, p, "remove releases")
	if !ok {
		return
	}
	reason, ok := decodeReason(w, r)
	if !ok {
		return
	}
	err := s.Store.RemoveRelease(r.Context(), rel.ID, reason)
	if err != nil {
		s.answer(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"removed": rel.ID, "product": rel.Product})
}

// removeProduct removes a product entered by mistake, with its releases: POST
// /api/v1/products/{id}/remove {reason}. A product with evidence, or one a notification channel
// follows, is refused with 409.
func (s *API) removeProduct(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	prod, ok := s.product(w, r, p)
	if !ok {
		return
	}
	if !p.CanWrite(prod.Organization) {
		writeError(w, http.StatusForbidden, "this token may not remove products")
		return
	}
	reason, ok := decodeReason(w, r)
	if !ok {
		return
	}
	err := s.Store.RemoveProduct(r.Context(), prod.ID, reason)
	if err != nil {
		s.answer(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"removed": prod.ID})
}
