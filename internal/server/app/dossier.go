package app

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"

	"github.com/siegel-oss/siegel/internal/conformity"
	"github.com/siegel-oss/siegel/internal/dossier"
	"github.com/siegel-oss/siegel/internal/store"
)

// PageStandards are the catalogs a page evaluates against: those of ?standard=, else the ones
// a label of the product's category declares against (every catalog when the product has no
// category of the list, so that nothing is hidden).
func (s *Deps) PageStandards(r *http.Request, prod *store.Product) []string {
	if st := StandardsParam(r); len(st) > 0 {
		return st
	}
	return s.Conformity.DefaultStandards(prod.Category)
}

// WriteDossier answers a release's declaration of conformity or technical documentation, as HTML or
// PDF, named by the "doc" path value.
func (s *Deps) WriteDossier(w http.ResponseWriter, r *http.Request, prod *store.Product, rel *store.Release) {
	name, ext, _ := strings.Cut(r.PathValue("doc"), ".")
	kind := map[string]dossier.Kind{"declaration": dossier.DeclarationOfConformity, "technical": dossier.TechnicalDocumentation}[name]
	if kind == 0 || (ext != "html" && ext != "pdf") {
		http.Error(w, "no such document: ask for declaration.html, declaration.pdf, technical.html or technical.pdf", http.StatusNotFound)
		return
	}
	e, err := s.Conformity.Evaluate(r.Context(), prod, rel, s.PageStandards(r, prod))
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	doc := s.dossierOf(r, e)
	var buf bytes.Buffer
	if ext == "pdf" {
		err = dossier.RenderPDF(&buf, doc, kind)
		w.Header().Set("Content-Type", "application/pdf")
	} else {
		err = dossier.RenderHTML(&buf, doc, kind)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		// The dossier carries its own inline style sheet.
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'")
	}
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	w.Header().Set("Content-Disposition", fmt.Sprintf(`inline; filename="%s-%s-%s.%s"`, SafeName(prod.Name), SafeName(rel.Version), name, ext))
	w.Write(buf.Bytes())
}

// dossierOf fills a dossier from an evaluation; what the store does not know stays a placeholder
// for the manufacturer to complete.
func (s *Deps) dossierOf(r *http.Request, e *conformity.Evaluation) dossier.Dossier {
	now := s.Now().UTC()
	org, _ := s.Store.OrganizationByID(r.Context(), e.Product.Organization)
	d := dossier.Dossier{
		Product: dossier.Product{Name: e.Product.Name, Category: e.Product.Category, CRAClass: e.Product.CRAClass},
		Release: dossier.Release{Version: e.Release.Version, PlacedOnMarket: e.Release.PlacedOnMarket, SupportEnd: e.Release.SupportEnd,
			SupportJustification: e.Release.SupportJustification, SupportExpectedUseMonths: e.Release.SupportExpectedUseMonths, SupportBasis: e.Release.SupportBasis},
		Route: e.Route, Verdicts: e.Verdicts, GeneratedAt: now,
		Vulnerabilities: dossier.VulnerabilitiesFrom(e.Evidence.Findings, e.Evidence.Advisories),
		Cases:           dossier.CasesFrom(e.Evidence.Cases, now),
	}
	if org != nil {
		d.Manufacturer.Name = org.Name
	}
	if sb := e.Evidence.SBOM; sb != nil {
		d.Release.SBOMDigest, d.Release.SBOMFormat, d.Release.SBOMRef = sb.Ref, sb.Format, fmt.Sprintf("%s/releases/%d", s.RequestBaseURL(r), e.Release.ID)
	}
	if fw := e.Evidence.Firmware; fw != nil {
		d.Release.ImageDigest = fw.Ref
	}
	for _, id := range e.Standards {
		for _, st := range s.Conformity.Catalog.Standards {
			if st.ID == id {
				d.Standards = append(d.Standards, strings.TrimSpace(st.Title+" "+st.Version))
			}
		}
	}
	return d
}
