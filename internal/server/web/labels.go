package web

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/catalog"
	"github.com/siegel-oss/siegel/internal/conformity"
	"github.com/siegel-oss/siegel/internal/label"
	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/store"
)

// maxAttestationDocument bounds a document uploaded with an attestation.
const maxAttestationDocument = 16 << 20

// labelPageView is what the public label page shows: what a buyer who scans the QR code sees.
type labelPageView struct {
	Layout
	Label *store.Label
	// Statement is the label's current signed statement, verified: the status, its reason and
	// since when are shown from it, so the page says what the signature covers.
	Statement    label.Statement
	Manufacturer string
	Product      *store.Product
	Release      *store.Release
	Exploited    []string // open, actively exploited vulnerabilities
	Critical     int      // open critical and high findings
	Unrated      int      // open findings no source gives a severity: never counted as harmless
	Advisories   []*app.AdvisoryView
	History      []labelHistoryRow
	PageURL      string
	Standards    []catalog.Standard
	Issuer       string
	// Corrected lists the facts the current statement states otherwise than the manufacturer's
	// record now says (a correction whose new statement is not signed yet): the page says so
	// rather than show the old facts as the label's.
	Corrected []string
}

func (s *Site) labelWebRoutes() {
	s.mux.HandleFunc("GET /label/{id}", s.web(s.labelPage, false))
	s.mux.HandleFunc("GET /labels/register", s.web(s.labelRegisterPage, false))
	s.mux.HandleFunc("GET /labels/register.json", s.labelRegisterJSON)
	s.mux.HandleFunc("GET /releases/{id}/conformity", s.web(s.conformityPage, true))
	s.mux.HandleFunc("POST /releases/{id}/attestations", s.web(s.attestForm, true))
	s.mux.HandleFunc("POST /releases/{id}/labels", s.web(s.labelForm, true))
	s.mux.HandleFunc("GET /releases/{id}/dossier/{doc}", s.web(s.dossierDownload, true))
}

// labelHistoryRow is one status of a label's history, as its signed statement gives it.
type labelHistoryRow struct {
	Seq    uint64
	Status label.Status
	Reason string
	At     time.Time
}

// labelPage is public: no login, and it shows only what the label statement and the public
// advisories show anyway.
func (s *Site) labelPage(w http.ResponseWriter, r *http.Request, u *store.User) {
	l, ok := s.PublicLabel(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	v := &labelPageView{Layout: Layout{Title: "Security label " + l.ID, User: u}, Label: l, PageURL: s.Conformity.PageURL(l.ID), Issuer: s.Conformity.Issuer}
	key, err := s.Conformity.Key(ctx)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	pub := key.Public().(ed25519.PublicKey)
	if v.Statement, err = label.Verify(l.Statement, pub); err != nil {
		s.Fail(w, r, fmt.Errorf("label %s: the stored statement does not verify: %w", l.ID, err))
		return
	}
	if v.Release, err = s.Store.Release(ctx, l.Release); err == nil {
		v.Product, err = s.Store.Product(ctx, v.Release.Product)
	}
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	if org, err := s.Store.OrganizationByID(ctx, l.Organization); err == nil {
		v.Manufacturer = org.Name
	}
	if l.Status != store.LabelRevoked && l.Status != store.LabelExpired {
		v.Corrected = conformity.Corrections(v.Statement, v.Product, v.Release)
	}
	fs, _, err := s.Store.Findings(ctx, l.Release, store.FindingFilter{Limit: 100_000})
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	vex, err := s.Store.EffectiveVEX(ctx, l.Release)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	seen := map[string]bool{}
	for _, f := range fs {
		st := vex[store.VEXKey{Vulnerability: f.Vulnerability, PURL: f.PURL}].Status
		if st == "not_affected" || st == "fixed" {
			continue
		}
		if f.Exploited && !seen[f.Vulnerability] {
			seen[f.Vulnerability] = true
			v.Exploited = append(v.Exploited, f.Vulnerability)
		}
		switch f.Severity {
		case "CRITICAL", "HIGH":
			v.Critical++
		case "MEDIUM", "LOW", "NONE":
		default:
			v.Unrated++
		}
	}
	advs, err := s.Store.Advisories(ctx, l.Organization)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	for i := range advs {
		if advs[i].Product == v.Product.ID {
			v.Advisories = append(v.Advisories, &app.AdvisoryView{Advisory: advs[i]})
		}
	}
	events, err := s.Store.LabelEvents(ctx, l.ID)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	for _, e := range events {
		st, err := label.Verify(e.Statement, pub)
		if err != nil {
			s.Fail(w, r, fmt.Errorf("label %s statement %d does not verify: %w", l.ID, e.Seq, err))
			return
		}
		// The event's reason says what happened: a status change's reason, a renewal, or a
		// restatement after a correction (whose statement keeps the status and its reason).
		v.History = append(v.History, labelHistoryRow{Seq: st.Sequence, Status: st.Status, Reason: e.Reason, At: e.At})
	}
	for _, id := range l.Catalogs {
		for _, st := range s.Conformity.Catalog.Standards {
			if st.ID == id {
				v.Standards = append(v.Standards, st)
			}
		}
	}
	s.render(w, http.StatusOK, "label", v)
}

// conformityView is the release's conformity page.
type conformityView struct {
	Evaluation *app.EvaluationView
	Standards  []string
	Labels     []store.Label
	Firmware   *store.FirmwareAnalysis
	LabRun     *store.LabRun // the newest lab run, the one the verdicts read
	LabRuns    int
	// NoBaseURL says why no label can be issued while the server has no public address.
	NoBaseURL string
	// LabelPlausible and LabelUnmet are the verdict on the label's standards (Standards); the
	// table shows every catalog's verdicts, as the API does (labelVerdicts).
	LabelPlausible bool
	LabelUnmet     []string
}

func (s *Site) conformityPage(w http.ResponseWriter, r *http.Request, u *store.User) {
	d, ok := s.webRelease(w, r, u)
	if !ok {
		return
	}
	if s.Conformity == nil {
		d.Error = "conformity evaluation is unavailable: the requirement catalogs did not load"
		s.render(w, http.StatusServiceUnavailable, "conformity", &conformityPageView{releaseHead: *d})
		return
	}
	standards := s.PageStandards(r, d.Product)
	e, err := s.Conformity.Evaluate(r.Context(), d.Product, d.Release, app.StandardsParam(r))
	if err != nil {
		d.Error = err.Error()
		s.render(w, http.StatusBadRequest, "conformity", &conformityPageView{releaseHead: *d})
		return
	}
	ev := s.ViewEvaluation(e)
	cv := &conformityView{Evaluation: &ev, Standards: standards}
	cv.LabelPlausible, cv.LabelUnmet = catalog.Plausible(labelVerdicts(e.Verdicts, standards))
	if s.Conformity.PageURL("x") == "" {
		cv.NoBaseURL = conformity.ErrNoBaseURL.Error()
	}
	all, err := s.Store.Labels(r.Context(), d.Product.Organization)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	for _, l := range all {
		if l.Release == d.Release.ID {
			cv.Labels = append(cv.Labels, l)
		}
	}
	if fa, err := s.Store.LatestFirmwareAnalysis(r.Context(), d.Release.ID); err == nil {
		cv.Firmware = fa
	}
	if runs, err := s.Store.LabRuns(r.Context(), d.Release.ID); err == nil && len(runs) > 0 {
		cv.LabRun, cv.LabRuns = &runs[0], len(runs)
	}
	d.Title = d.Product.Name + " " + d.Release.Version + " · conformity"
	d.Error = r.URL.Query().Get("error")
	s.render(w, http.StatusOK, "conformity", &conformityPageView{releaseHead: *d, Conformity: cv, Notice: r.URL.Query().Get("notice")})
}

// conformityPageView is a release's conformity page (conformity.html).
type conformityPageView struct {
	releaseHead
	Notice     string // the outcome of the last action
	Conformity *conformityView
}

func (s *Site) attestForm(w http.ResponseWriter, r *http.Request, u *store.User) {
	d, ok := s.webRelease(w, r, u)
	if !ok {
		return
	}
	if !d.CanWrite || s.Conformity == nil {
		http.Error(w, "you may not attest requirements", http.StatusForbidden)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxAttestationDocument+1<<20)
	back := func(msg string) {
		http.Redirect(w, r, fmt.Sprintf("/releases/%d/conformity?error=%s", d.Release.ID, url.QueryEscape(msg)), http.StatusSeeOther)
	}
	in := conformity.AttestationRequest{Requirement: r.FormValue("requirement"), SignedBy: u.Email}
	f, hdr, err := r.FormFile("content")
	switch {
	case errors.Is(err, http.ErrMissingFile):
		// Attest refuses it where the catalog asks for the document, and names it.
	case err != nil:
		back("the attestation could not be read: " + err.Error())
		return
	default:
		in.Content, err = io.ReadAll(io.LimitReader(f, maxAttestationDocument+1))
		f.Close()
		if err != nil || len(in.Content) > maxAttestationDocument {
			back("the document is larger than 16 MiB")
			return
		}
		in.Document = path.Base(hdr.Filename)
	}
	_, err = s.Conformity.Attest(r.Context(), d.Release, u.Role, in)
	if errors.Is(err, conformity.ErrAttestation) {
		back(err.Error())
		return
	}
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/releases/%d/conformity?notice=%s#%s", d.Release.ID, url.QueryEscape("attested "+in.Requirement), url.PathEscape(in.Requirement)), http.StatusSeeOther)
}

func (s *Site) labelForm(w http.ResponseWriter, r *http.Request, u *store.User) {
	d, ok := s.webRelease(w, r, u)
	if !ok {
		return
	}
	if !d.CanWrite || s.Conformity == nil {
		http.Error(w, "you may not declare releases for a label", http.StatusForbidden)
		return
	}
	standards := strings.Split(r.FormValue("standards"), ",")
	l, err := s.Conformity.Issue(r.Context(), d.Product, d.Release, standards, store.Actor(r.Context()))
	var ie *conformity.ImplausibleError
	if errors.As(err, &ie) {
		http.Redirect(w, r, fmt.Sprintf("/releases/%d/conformity?error=%s", d.Release.ID, url.QueryEscape("no label: "+strings.Join(ie.Reasons, "; "))), http.StatusSeeOther)
		return
	}
	var re *store.RevokedError
	if errors.As(err, &re) {
		http.Redirect(w, r, fmt.Sprintf("/releases/%d/conformity?error=%s", d.Release.ID, url.QueryEscape("no label: "+re.Error())), http.StatusSeeOther)
		return
	}
	if errors.Is(err, conformity.ErrNoBaseURL) {
		http.Redirect(w, r, fmt.Sprintf("/releases/%d/conformity?error=%s", d.Release.ID, url.QueryEscape("no label: "+err.Error())), http.StatusSeeOther)
		return
	}
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/label/"+l.ID, http.StatusSeeOther)
}

// dossierDownload renders the declaration of conformity or the technical documentation, as HTML
// or PDF: /releases/{id}/dossier/declaration.pdf, .../technical.html.
func (s *Site) dossierDownload(w http.ResponseWriter, r *http.Request, u *store.User) {
	d, ok := s.webRelease(w, r, u)
	if !ok || s.Conformity == nil {
		return
	}
	s.WriteDossier(w, r, d.Product, d.Release)
}
