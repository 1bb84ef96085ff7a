package api

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/siegel-oss/siegel/internal/csaf"
	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/vex"
)

// getCSAFVEX serves a release's CSAF VEX document at its canonical URL.
func (s *API) getCSAFVEX(w http.ResponseWriter, r *http.Request, p caller.Principal) {
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
func (s *API) getVEX(w http.ResponseWriter, r *http.Request, p caller.Principal) {
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

func (s *API) postVEX(w http.ResponseWriter, r *http.Request, p caller.Principal) {
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
