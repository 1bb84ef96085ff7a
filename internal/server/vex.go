package server

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/siegel-oss/siegel/internal/server/app"

	"github.com/siegel-oss/siegel/internal/csaf"
	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/store"
	"github.com/siegel-oss/siegel/internal/vex"
)

// getCSAFVEX serves a release's CSAF VEX document at its canonical URL.
func (s *Server) getCSAFVEX(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	rel, prod, ok := s.release(w, r, p)
	if !ok {
		return
	}
	org, err := s.Store.OrganizationByID(r.Context(), prod.Organization)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	if r.PathValue("file") != csaf.FileName(fmt.Sprintf("%s-VEX-%d", app.TrackingPrefix(org.Name), rel.ID)) {
		writeError(w, http.StatusNotFound, "no such document: the release's CSAF VEX is "+csaf.FileName(fmt.Sprintf("%s-VEX-%d", app.TrackingPrefix(org.Name), rel.ID)))
		return
	}
	d, err := s.ReleaseVEX(r.Context(), org.Name, prod, rel)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	data, err := s.EncodeVEX(d, vex.CSAF, org.Name, rel)
	if errors.Is(err, app.ErrNoBaseURL) {
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	if err != nil {
		s.InternalError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(data)
}

// getVEX exports a release's statements: ?format=openvex (default), cyclonedx or csaf.
func (s *Server) getVEX(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	rel, prod, ok := s.release(w, r, p)
	if !ok {
		return
	}
	format := app.CmpOrDefault(r.URL.Query().Get("format"), vex.OpenVEX)
	if !slices.Contains(vex.Formats, format) {
		writeError(w, http.StatusBadRequest, "format must be one of "+strings.Join(vex.Formats, ", "))
		return
	}
	org, err := s.Store.OrganizationByID(r.Context(), prod.Organization)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	d, err := s.ReleaseVEX(r.Context(), org.Name, prod, rel)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	data, err := s.EncodeVEX(d, format, org.Name, rel)
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s.%s.json"`, app.SafeName(prod.Name), app.SafeName(rel.Version), format))
	w.Write(data)
}

func (s *Server) postVEX(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	rel, prod, ok := s.release(w, r, p)
	if !ok {
		return
	}
	if !p.CanWrite(prod.Organization) {
		writeError(w, http.StatusForbidden, "this token may not triage findings")
		return
	}
	data, err := input.ReadAll("upload", http.MaxBytesReader(w, r.Body, 64<<20+1), input.Limits{MaxBytes: 64 << 20})
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, err.Error())
		return
	}
	org, err := s.Store.OrganizationByID(r.Context(), prod.Organization)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	res, err := s.ImportVEX(r.Context(), "upload", data, org.Name, prod, rel, "token:"+p.Token.Name)
	var ie *input.Error
	if errors.As(err, &ie) {
		writeError(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// vexDownload serves the release's VEX document to a logged-in user.
func (s *Server) vexDownload(w http.ResponseWriter, r *http.Request, u *store.User) {
	d, ok := s.webRelease(w, r, u)
	if !ok {
		return
	}
	format := app.CmpOrDefault(r.URL.Query().Get("format"), vex.OpenVEX)
	doc, err := s.ReleaseVEX(r.Context(), u.OrgName, d.Product, d.Release)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	data, err := s.EncodeVEX(doc, format, u.OrgName, d.Release)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s.%s.json"`, app.SafeName(d.Product.Name), app.SafeName(d.Release.Version), format))
	w.Write(data)
}

// vexUpload applies an uploaded VEX document and reports what it did on the release page.
func (s *Server) vexUpload(w http.ResponseWriter, r *http.Request, u *store.User) {
	d, ok := s.webRelease(w, r, u)
	if !ok {
		return
	}
	if !d.writable(w) {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 65<<20)
	f, hdr, err := r.FormFile("vex")
	if err != nil {
		if v, ok := s.releasePageOf(r.Context(), w, r, d); ok {
			v.Error = "Choose a VEX document (OpenVEX, CycloneDX or CSAF)."
			s.render(w, http.StatusBadRequest, "release", v)
		}
		return
	}
	defer f.Close()
	data, err := input.ReadAll(hdr.Filename, f, input.Limits{MaxBytes: 64 << 20})
	var res *app.VexImport
	if err == nil {
		res, err = s.ImportVEX(r.Context(), hdr.Filename, data, u.OrgName, d.Product, d.Release, u.Email)
	}
	if err != nil {
		if v, ok := s.releasePageOf(r.Context(), w, r, d); ok {
			v.Error = err.Error()
			s.render(w, http.StatusUnprocessableEntity, "release", v)
		}
		return
	}
	back := fmt.Sprintf("/releases/%d?vexmsg=%s", d.Release.ID, url.QueryEscape(fmt.Sprintf("%s: %d statements applied, %d unchanged, %d covering no finding of this release", res.Format, res.Applied, res.Unchanged, len(res.Unmatched))))
	http.Redirect(w, r, back, http.StatusSeeOther)
}
