package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/siegel-oss/siegel/internal/csaf"
	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/match"
	"github.com/siegel-oss/siegel/internal/purl"
	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/store"
	"github.com/siegel-oss/siegel/internal/vex"
)

// productPURL names a release in VEX documents: pkg:generic/ORGANIZATION/PRODUCT@VERSION.
func productPURL(org string, prod *store.Product, rel *store.Release) string {
	return purl.New("generic", org, prod.Name, rel.Version)
}

// releaseVEX is the VEX document of a release: the manufacturer's statement for each finding in
// force, under_investigation where there is none yet.
func (s *Server) releaseVEX(ctx context.Context, org string, prod *store.Product, rel *store.Release) (*vex.Document, error) {
	fs, _, err := s.loadFindings(ctx, rel.ID, store.FindingFilter{Limit: 100_000})
	if err != nil {
		return nil, err
	}
	// Where the database has no CVSS v3 vector, the severity the manufacturer gave in its advisory.
	as, err := s.Store.Advisories(ctx, prod.Organization)
	if err != nil {
		return nil, err
	}
	assessed := map[string]string{}
	for _, a := range as {
		if a.Product == prod.ID {
			assessed[a.Vulnerability] = csaf.CVSSVector(a.Document)
		}
	}
	d := &vex.Document{Author: org, Timestamp: s.Now().UTC()}
	product := productPURL(org, prod, rel)
	for _, f := range fs {
		st := vex.Statement{Vulnerability: f.ID, Aliases: f.Aliases, Product: product, Components: []string{f.Package.PURL},
			Status: vex.UnderInvestigation, Timestamp: f.FirstSeen, CVSS: f.Vector, Score: f.Score}
		if v := assessed[f.ID]; !strings.HasPrefix(st.CVSS, "CVSS:3.") && v != "" {
			if score, ok := match.CVSSBaseScore(v); ok {
				st.CVSS, st.Score = v, score
			}
		}
		if f.VEX != nil {
			st.Status, st.Justification, st.Impact, st.Action, st.Timestamp = vex.Status(f.VEX.Status), f.VEX.Justification, f.VEX.Impact, f.VEX.Action, f.VEX.Time
		}
		d.Statements = append(d.Statements, st)
	}
	return d, nil
}

// encodeVEX writes a release's VEX document. A CSAF document names its canonical URL — the
// API address below that serves it — at the server's public address, which must be configured.
func (s *Server) encodeVEX(d *vex.Document, format string, org string, rel *store.Release) ([]byte, error) {
	pub := vex.Publisher{Name: org}
	if format == vex.CSAF {
		base, err := s.publicBase()
		if err != nil {
			return nil, err
		}
		d.ID = fmt.Sprintf("%s-VEX-%d", trackingPrefix(org), rel.ID)
		pub.Namespace, pub.CanonicalURL = base, fmt.Sprintf("%s/api/v1/releases/%d/vex/%s", base, rel.ID, csaf.FileName(d.ID))
	}
	return d.Encode(format, pub)
}

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
	if r.PathValue("file") != csaf.FileName(fmt.Sprintf("%s-VEX-%d", trackingPrefix(org.Name), rel.ID)) {
		writeError(w, http.StatusNotFound, "no such document: the release's CSAF VEX is "+csaf.FileName(fmt.Sprintf("%s-VEX-%d", trackingPrefix(org.Name), rel.ID)))
		return
	}
	d, err := s.releaseVEX(r.Context(), org.Name, prod, rel)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	data, err := s.encodeVEX(d, vex.CSAF, org.Name, rel)
	if errors.Is(err, errNoBaseURL) {
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
	format := cmpOrDefault(r.URL.Query().Get("format"), vex.OpenVEX)
	if !slices.Contains(vex.Formats, format) {
		writeError(w, http.StatusBadRequest, "format must be one of "+strings.Join(vex.Formats, ", "))
		return
	}
	org, err := s.Store.OrganizationByID(r.Context(), prod.Organization)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	d, err := s.releaseVEX(r.Context(), org.Name, prod, rel)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	data, err := s.encodeVEX(d, format, org.Name, rel)
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s.%s.json"`, safeName(prod.Name), safeName(rel.Version), format))
	w.Write(data)
}

func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}

// vexImport is what an import did.
type vexImport struct {
	Format    string          `json:"format"`
	Applied   int             `json:"applied"`   // findings whose status changed
	Unchanged int             `json:"unchanged"` // findings that already had this statement
	Unmatched []vex.Statement `json:"unmatched"` // statements that cover no finding of the release
}

// importVEX applies a VEX document's statements to the findings of a release they cover. Each
// change is recorded as the release's VEX history (author: who imported it, from the document).
func (s *Server) importVEX(ctx context.Context, name string, data []byte, org string, prod *store.Product, rel *store.Release, by string) (*vexImport, error) {
	d, format, err := vex.Decode(name, data, input.Limits{MaxBytes: 64 << 20})
	if err != nil {
		return nil, err
	}
	fs, _, err := s.loadFindings(ctx, rel.ID, store.FindingFilter{Limit: 100_000})
	if err != nil {
		return nil, err
	}
	out := &vexImport{Format: format, Unmatched: []vex.Statement{}}
	used := make([]bool, len(d.Statements))
	product := productPURL(org, prod, rel)
	for _, f := range fs {
		st := d.Lookup(append([]string{f.ID}, f.Aliases...), product, f.Package.PURL)
		if st == nil {
			continue
		}
		for i := range d.Statements {
			if &d.Statements[i] == st {
				used[i] = true
			}
		}
		same := f.VEX != nil && f.VEX.Status == string(st.Status) && f.VEX.Justification == st.Justification && f.VEX.Impact == st.Impact && f.VEX.Action == st.Action
		// An untriaged finding is under investigation already (that is how it is exported).
		if same || (f.VEX == nil && st.Status == vex.UnderInvestigation) {
			out.Unchanged++
			continue
		}
		author := by
		if d.Author != "" {
			author = by + " (from " + d.Author + ")"
		}
		if _, err := s.Store.SetVEX(ctx, store.VEX{Release: rel.ID, Vulnerability: f.ID, PURL: f.Package.PURL, Status: string(st.Status),
			Justification: st.Justification, Impact: st.Impact, Action: st.Action, Author: author}); err != nil {
			return nil, fmt.Errorf("%s (%s in %s): %w", name, f.ID, f.Package.PURL, err)
		}
		out.Applied++
	}
	for i, ok := range used {
		if !ok {
			out.Unmatched = append(out.Unmatched, d.Statements[i])
		}
	}
	return out, nil
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
	res, err := s.importVEX(r.Context(), "upload", data, org.Name, prod, rel, "token:"+p.Token.Name)
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
	format := cmpOrDefault(r.URL.Query().Get("format"), vex.OpenVEX)
	doc, err := s.releaseVEX(r.Context(), u.OrgName, d.Product, d.Release)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	data, err := s.encodeVEX(doc, format, u.OrgName, d.Release)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s.%s.json"`, safeName(d.Product.Name), safeName(d.Release.Version), format))
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
	var res *vexImport
	if err == nil {
		res, err = s.importVEX(r.Context(), hdr.Filename, data, u.OrgName, d.Product, d.Release, u.Email)
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
