package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/store"
)

// Route is one endpoint; openapi_test.go checks the table against the OpenAPI document
// (api/openapi.json) both ways.
type Route struct {
	Method, Path string
	Handler      http.HandlerFunc
}

// apiRoutes are the endpoints of the JSON API, the devices' among them.
func (s *API) Routes() []Route {
	return append(s.rolloutRoutes(), []Route{
		{"GET", "/api/v1/openapi.json", ServeOpenAPI},
		{"GET", "/api/v1/products", s.Bearer(s.listProducts)},
		{"POST", "/api/v1/products", s.Bearer(s.createProduct)},
		{"GET", "/api/v1/products/{id}", s.Bearer(s.getProduct)},
		{"GET", "/api/v1/products/{id}/releases", s.Bearer(s.listReleases)},
		{"POST", "/api/v1/products/{id}/releases", s.Bearer(s.createRelease)},
		{"GET", "/api/v1/releases/{id}", s.Bearer(s.getRelease)},
		{"POST", "/api/v1/releases/{id}/sboms", s.Bearer(s.upload(s.uploadSBOM))},
		{"GET", "/api/v1/releases/{id}/components", s.Bearer(s.releaseComponents)},
		{"GET", "/api/v1/releases/{id}/health", s.Bearer(s.getReleaseHealth)},
		{"GET", "/api/v1/products/{id}/health", s.Bearer(s.getProductHealth)},
		{"GET", "/api/v1/releases/{id}/findings", s.Bearer(s.releaseFindings)},
		{"PUT", "/api/v1/releases/{id}/findings/{vuln}/vex", s.Bearer(s.putVEX)},
		{"GET", "/api/v1/releases/{id}/vex", s.Bearer(s.getVEX)},
		{"GET", "/api/v1/releases/{id}/vex/{file}", s.Bearer(s.getCSAFVEX)},
		{"POST", "/api/v1/releases/{id}/vex", s.Bearer(s.postVEX)},
		{"GET", "/api/v1/db/status", s.Bearer(s.dbStatus)},
		{"POST", "/api/v1/db/update", s.Bearer(s.dbUpdate)},
		{"GET", "/api/v1/queue", s.Bearer(s.getQueue)},
		{"GET", "/api/v1/channels", s.Bearer(s.listChannels)},
		{"POST", "/api/v1/channels", s.Bearer(s.createChannel)},
		{"DELETE", "/api/v1/channels/{id}", s.Bearer(s.deleteChannel)},
		{"POST", "/api/v1/channels/{id}/test", s.Bearer(s.testChannel)},
		{"GET", "/api/v1/notifications", s.Bearer(s.listNotifications)},
		{"GET", "/api/v1/audit", s.Bearer(s.listAudit)},
		{"GET", "/api/v1/advisories", s.Bearer(s.listAdvisories)},
		{"POST", "/api/v1/products/{id}/advisories", s.Bearer(s.createAdvisory)},
		{"GET", "/api/v1/ledger/bundle", s.Bearer(s.ledgerBundle)},
		{"GET", "/api/v1/cases", s.Bearer(s.listCases)},
		{"POST", "/api/v1/cases", s.Bearer(s.createCase)},
		{"GET", "/api/v1/cases/{id}", s.Bearer(s.getCase)},
		{"POST", "/api/v1/cases/{id}/fix-available", s.Bearer(s.caseFixAvailable)},
		{"POST", "/api/v1/cases/{id}/stages/{stage}", s.Bearer(s.submitStage)},
		{"POST", "/api/v1/cases/{id}/close", s.Bearer(s.caseDecision(true))},
		{"POST", "/api/v1/cases/{id}/reopen", s.Bearer(s.caseDecision(false))},
		{"POST", "/api/v1/cases/{id}/intermediate-request", s.Bearer(s.caseIntermediate)},
		{"GET", "/api/v1/organization", s.Bearer(s.getOrganization)},
		{"PUT", "/api/v1/organization", s.Bearer(s.putOrganization)},
		{"POST", "/api/v1/releases/{id}/firmware", s.Bearer(s.upload(s.postFirmware))},
		{"POST", "/api/v1/releases/{id}/lab-runs", s.Bearer(s.postLabRun)},
		{"GET", "/api/v1/releases/{id}/lab-runs", s.Bearer(s.listLabRuns)},
		{"POST", "/api/v1/releases/{id}/lab-runs/jobs", s.Bearer(s.postLabJob)},
		{"PUT", "/api/v1/products/{id}/facts", s.Bearer(s.putFacts)},
		{"PUT", "/api/v1/products/{id}/category", s.Bearer(s.putCategory)},
		{"GET", "/api/v1/categories", s.Bearer(s.listCategories)},
		{"GET", "/api/v1/releases/{id}/conformity", s.Bearer(s.getConformity)},
		{"GET", "/api/v1/releases/{id}/dossier/{doc}", s.Bearer(s.apiDossier)},
		{"POST", "/api/v1/releases/{id}/attestations", s.Bearer(s.postAttestation)},
		{"POST", "/api/v1/releases/{id}/labels", s.Bearer(s.issueLabel)},
		{"GET", "/api/v1/labels", s.Bearer(s.listLabels)},
		{"GET", "/api/v1/labels/{id}", s.Bearer(s.getLabel)},
		{"POST", "/api/v1/labels/{id}/revoke", s.Bearer(s.labelDecision(true))},
		{"POST", "/api/v1/labels/{id}/reinstate", s.Bearer(s.labelDecision(false))},
		{"POST", "/api/v1/labels/{id}/renew", s.Bearer(s.renewLabel)},
		{"GET", "/api/v1/authority/timeliness", s.Bearer(s.authorityTimeliness)},
		{"POST", "/api/v1/authority/fine-estimate", s.Bearer(s.fineEstimate)},
		{"GET", "/api/v1/authority/procedures", s.Bearer(s.listProcedures)},
		{"POST", "/api/v1/authority/procedures", s.Bearer(s.openProcedure)},
		{"GET", "/api/v1/authority/procedures/{id}", s.Bearer(s.getProcedure)},
		{"POST", "/api/v1/authority/procedures/{id}/events", s.Bearer(s.addProcedureEvent)},
		{"POST", "/api/v1/labels/{id}/withdraw-revocation", s.Bearer(s.withdrawRevocation)},
		{"GET", "/api/v1/where-used", s.Bearer(s.apiWhereUsed)},
		{"GET", "/api/v1/inventory", s.Bearer(s.apiInventory)},
		{"PUT", "/api/v1/releases/{id}/devices", s.Bearer(s.apiReleaseDevices)},
		{"GET", "/api/v1/jobs/{id}", s.Bearer(s.getJob)},
		{"GET", "/api/v1/firmware/{id}", s.Bearer(s.getFirmware)},
		{"GET", "/api/v1/releases/{id}/firmware", s.Bearer(s.listFirmware)},
		{"GET", "/api/v1/users", s.Bearer(s.listUsers)},
		{"POST", "/api/v1/users", s.Bearer(s.inviteUser)},
		{"POST", "/api/v1/users/{id}/disable", s.Bearer(s.setUserDisabled(true))},
		{"POST", "/api/v1/users/{id}/enable", s.Bearer(s.setUserDisabled(false))},
		{"PUT", "/api/v1/users/{id}/role", s.Bearer(s.putUserRole)},
		{"POST", "/api/v1/invitations/accept", s.acceptInvitation},
		{"PUT", "/api/v1/me/password", s.Bearer(s.changeOwnPassword)},
		{"GET", "/api/v1/tokens", s.Bearer(s.listTokens)},
		{"POST", "/api/v1/tokens", s.Bearer(s.createToken)},
		{"POST", "/api/v1/tokens/{id}/revoke", s.Bearer(s.revokeToken)},
		{"PUT", "/api/v1/organization/name", s.Bearer(s.putOrganizationName)},
		{"PUT", "/api/v1/products/{id}", s.Bearer(s.putProduct)},
		{"PUT", "/api/v1/releases/{id}", s.Bearer(s.putRelease)},
		{"GET", "/api/v1/releases/{id}/sboms", s.Bearer(s.listSBOMs)},
		{"PUT", "/api/v1/releases/{id}/sboms/{sbom}", s.Bearer(s.upload(s.putSBOM))},
		{"POST", "/api/v1/releases/{id}/sboms/{sbom}/remove", s.Bearer(s.removeSBOM)},
		{"GET", "/api/v1/releases/{id}/findings/{vuln}/comments", s.Bearer(s.findingComments)},
		{"POST", "/api/v1/releases/{id}/findings/{vuln}/comments", s.Bearer(s.findingComments)},
		{"GET", "/api/v1/search", s.Bearer(s.apiSearch)},
		{"GET", "/api/v1/vulnerabilities/{id}", s.Bearer(s.apiVulnerability)},
		{"POST", "/api/v1/releases/{id}/remove", s.Bearer(s.removeRelease)},
		{"POST", "/api/v1/products/{id}/remove", s.Bearer(s.removeProduct)},
		{"GET", "/api/v1/authorities", s.Bearer(s.listAuthorities)},
		{"POST", "/api/v1/products/{id}/registrations", s.Bearer(s.registerProduct)},
		{"GET", "/api/v1/registrations", s.Bearer(s.listRegistrations)},
		{"PUT", "/api/v1/releases/{id}/market-record", s.Bearer(s.putMarketRecord)},
		{"GET", "/api/v1/authority/products", s.Bearer(s.authorityProducts)},
		{"GET", "/api/v1/authority/products/{id}", s.Bearer(s.authorityProduct)},
		{"GET", "/api/v1/authority/sweep", s.Bearer(s.authoritySweep)},
		{"GET", "/api/v1/authority/witness/state", s.Bearer(s.witnessState)},
		{"POST", "/api/v1/authority/witness", s.Bearer(s.witnessPush)},
		{"POST", "/api/v1/authority/witness/local", s.Bearer(s.witnessLocal)},
		{"GET", "/api/v1/authority/witness/logs", s.Bearer(s.witnessedLogs)},
		{"POST", "/api/v1/authority/records", s.Bearer(s.recordsPush)},
		{"GET", "/api/v1/authority/records/{id}", s.Bearer(s.recordBundle)},
		{"GET", "/api/v1/authority/procedures/{id}/export", s.Bearer(s.exportProcedure)},
	}...)
}

// DocumentRoutes registers the API's answer to an unknown endpoint and the public documents
// outside /api/v1: the CSAF provider's files, security.txt, the ledger and the labels.
func (s *API) DocumentRoutes(mux *http.ServeMux) {
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) { writeError(w, http.StatusNotFound, "no such endpoint") })
	mux.HandleFunc("GET /.well-known/csaf/", s.providerFile)
	mux.HandleFunc("GET /.well-known/security.txt", s.securityTXT)
	mux.HandleFunc("GET /ledger/checkpoint", s.ledgerCheckpoint)
	mux.HandleFunc("GET /ledger/consistency", s.ledgerTreeProof)
	mux.HandleFunc("POST /ledger/cosignature", s.ledgerCosign)
	mux.HandleFunc("GET /label/{id}/statement", s.labelStatement)
	mux.HandleFunc("GET /label/{id}/qr.svg", s.labelQR(false))
	mux.HandleFunc("GET /label/{id}/qr.png", s.labelQR(true))
	mux.HandleFunc("GET /labels/key.pem", s.labelPublicKey)
}

func (s *API) createProduct(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	if !p.CanWrite(p.Token.Organization) {
		writeError(w, http.StatusForbidden, "this token may not create products")
		return
	}
	var in struct {
		Name     string `json:"name"`
		Category string `json:"category"`
		CRAClass string `json:"craClass"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	prod, err := s.AddProduct(r.Context(), p.Token.Organization, app.NewProduct{Name: in.Name, Category: in.Category, CRAClass: in.CRAClass})
	if err != nil {
		s.answer(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, app.ViewProduct(*prod))
}

// Product loads a product the caller may read; otherwise it answers 404 (another organization's
// product is indistinguishable from a missing one).
func (s *API) product(w http.ResponseWriter, r *http.Request, p caller.Principal) (*store.Product, bool) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return nil, false
	}
	prod, err := s.Store.Product(r.Context(), id)
	if err != nil {
		s.Fail(w, r, err)
		return nil, false
	}
	if !p.CanRead(prod.Organization) || !s.RegisteredWith(r, p, prod.ID) {
		writeError(w, http.StatusNotFound, "not found")
		return nil, false
	}
	return prod, true
}

func (s *API) getProduct(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	if prod, ok := s.product(w, r, p); ok {
		writeJSON(w, http.StatusOK, app.ViewProduct(*prod))
	}
}

func (s *API) listReleases(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	prod, ok := s.product(w, r, p)
	if !ok {
		return
	}
	rs, err := s.Store.Releases(r.Context(), prod.ID)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	updates, err := s.SecurityUpdates(r.Context(), prod)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	out := make([]app.ReleaseView, 0, len(rs))
	for _, x := range rs {
		rj := app.ViewRelease(x, prod.Category)
		if u, ok := updates[x.ID]; ok {
			rj.KeepAvailableUntil = u.Until.Format(time.DateOnly)
		}
		out = append(out, rj)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

func (s *API) createRelease(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	prod, ok := s.product(w, r, p)
	if !ok {
		return
	}
	if !p.CanWrite(prod.Organization) {
		writeError(w, http.StatusForbidden, "this token may not create releases")
		return
	}
	var in struct {
		Version              string `json:"version"`
		PlacedOnMarket       string `json:"placedOnMarket"`
		SupportEnd           string `json:"supportEnd"`
		SupportJustification string `json:"supportJustification"`
		// The structured reason for a period under five years (Art. 13(8) third subparagraph).
		SupportExpectedUseMonths int    `json:"supportExpectedUseMonths"`
		SupportBasis             string `json:"supportBasis"`
		DevicesOnMarket          *int64 `json:"devicesOnMarket"` // null or absent: unknown
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	if err := app.CheckName("version", in.Version); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	want := store.Release{Product: prod.ID, Version: in.Version, PlacedOnMarket: in.PlacedOnMarket, SupportEnd: in.SupportEnd,
		SupportJustification: in.SupportJustification, SupportExpectedUseMonths: in.SupportExpectedUseMonths, SupportBasis: in.SupportBasis,
		DevicesOnMarket: in.DevicesOnMarket}
	if err := s.CheckSupportPeriod(want, prod.Category); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	rel, err := s.Store.AddRelease(r.Context(), want)
	if err != nil && !errors.Is(err, store.ErrConflict) && !errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, app.ViewRelease(*rel, prod.Category))
}

// Release loads a release the caller may read, with its product.
func (s *API) release(w http.ResponseWriter, r *http.Request, p caller.Principal) (*store.Release, *store.Product, bool) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return nil, nil, false
	}
	rel, err := s.Store.Release(r.Context(), id)
	if err != nil {
		s.Fail(w, r, err)
		return nil, nil, false
	}
	prod, err := s.Store.Product(r.Context(), rel.Product)
	if err != nil {
		s.Fail(w, r, err)
		return nil, nil, false
	}
	if !p.CanRead(prod.Organization) || !s.RegisteredWith(r, p, prod.ID) {
		writeError(w, http.StatusNotFound, "not found")
		return nil, nil, false
	}
	return rel, prod, true
}

func (s *API) getRelease(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	rel, prod, ok := s.release(w, r, p)
	if !ok {
		return
	}
	updates, err := s.SecurityUpdates(r.Context(), prod)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	rj := app.ViewRelease(*rel, prod.Category)
	if u, ok := updates[rel.ID]; ok {
		rj.KeepAvailableUntil = u.Until.Format(time.DateOnly)
	}
	writeJSON(w, http.StatusOK, rj)
}

// uploadSBOM takes an SBOM in any format Siegel reads, validates it completely, and only then
// stores it with its components in one transaction.
func (s *API) uploadSBOM(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	rel, prod, ok := s.release(w, r, p)
	if !ok {
		return
	}
	if !p.CanWrite(prod.Organization) {
		writeError(w, http.StatusForbidden, "this token may not upload SBOMs")
		return
	}
	data, status, err := readBody(w, r, "upload", s.MaxUpload)
	if err != nil {
		writeError(w, status, err.Error())
		return
	}
	doc, format, err := s.DecodeUpload(r.Context(), "upload", data, prod, rel)
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	b, err := s.Store.AddSBOM(r.Context(), rel.ID, app.SBOMContent(format, data, doc))
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	s.Wake()
	writeJSON(w, http.StatusCreated, map[string]any{"id": b.ID, "release": rel.ID, "format": b.Format, "sha256": b.SHA256, "components": b.Components})
}

func (s *API) releaseComponents(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	rel, _, ok := s.release(w, r, p)
	if !ok {
		return
	}
	if p.Token.Role == "authority" {
		writeError(w, http.StatusForbidden, "an authority sees component aggregates (GET /api/v1/authority/products/{id}), never the named components outside a case")
		return
	}
	cs, err := s.Store.ReleaseComponents(r.Context(), rel.ID)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	type comp struct {
		Name    string `json:"name"`
		Version string `json:"version"`
		PURL    string `json:"purl,omitempty"`
		Direct  bool   `json:"direct"`
	}
	out := make([]comp, 0, len(cs))
	for _, c := range cs {
		out = append(out, comp{c.Name, c.Version, c.PURL, c.Direct})
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

// releaseFindings lists the findings in force of a release (the monitor keeps them current),
// filtered and paginated, with their VEX status.
func (s *API) releaseFindings(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	rel, _, ok := s.release(w, r, p)
	if !ok {
		return
	}
	f, err := app.FindingFilter(r, 100)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	pending, _, cov, err := s.ReleaseState(r.Context(), rel.ID)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	items, total, err := s.LoadFindings(r.Context(), rel.ID, f)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	s.ReadHook("findings")
	sums, err := s.Store.ReleaseSummaries(r.Context(), rel.Product)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	sum := sums[rel.ID]
	// coverage is null while the release was never matched: its findings then say nothing.
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "total": total, "limit": f.Limit, "offset": f.Offset, "matching": pending,
		"coverage": cov, "summary": map[string]int{"exploited": sum.Exploited, "critical": sum.Critical, "high": sum.High,
			"medium": sum.Medium, "low": sum.Low, "unrated": sum.Unrated, "total": sum.Total}})
}

// putVEX records a triage decision about one finding.
func (s *API) putVEX(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	rel, prod, ok := s.release(w, r, p)
	if !ok {
		return
	}
	if !p.CanWrite(prod.Organization) {
		writeError(w, http.StatusForbidden, "this token may not triage findings")
		return
	}
	var in app.VEXInput
	if !decodeJSON(w, r, &in) {
		return
	}
	v, err := s.SetVEX(r.Context(), rel.ID, r.PathValue("vuln"), in, "token:"+p.Token.Name)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no such finding in this release (give the package's purl)")
		return
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, app.ViewVEX(*v))
}
