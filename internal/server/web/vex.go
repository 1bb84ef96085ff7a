package web

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/store"
	"github.com/siegel-oss/siegel/internal/vex"
)

// vexDownload serves the release's VEX document to a logged-in user.
func (s *Site) vexDownload(w http.ResponseWriter, r *http.Request, u *store.User) {
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
func (s *Site) vexUpload(w http.ResponseWriter, r *http.Request, u *store.User) {
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
	var res *app.VEXImport
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
