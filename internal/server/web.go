package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"html/template"
	"io"
	"io/fs"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/match"
	"github.com/siegel-oss/siegel/internal/sbom"
	"github.com/siegel-oss/siegel/internal/store"
	"github.com/siegel-oss/siegel/internal/vulndb"
)

//go:embed web/templates/*.html web/static/*
var webFS embed.FS

const (
	sessionCookie = "siegel_session"
	sessionTTL    = 12 * time.Hour
)

// pages holds the parsed templates, one set per page (layout + content), parsed at start-up so a
// broken template fails the server's start, not a request.
type pages map[string]*template.Template

func parsePages() pages {
	p := pages{}
	for _, name := range []string{"login", "portfolio", "product", "release", "finding"} {
		p[name] = template.Must(template.ParseFS(webFS, "web/templates/layout.html", "web/templates/"+name+".html"))
	}
	return p
}

// pageData is what every page gets.
type pageData struct {
	Title    string
	User     *store.User
	Error    string
	CanWrite bool
	// Page-specific values.
	Products   []productRow
	Product    *store.Product
	Releases   []store.Release
	Release    *store.Release
	Components []store.Component
	Findings   []match.Finding
	Finding    *match.Finding
	Exploited  int
	NoDB       bool
	Explain    string
}

type productRow struct {
	store.Product
	Releases int
}

// webRoutes registers the browser pages. They take form posts and answer with redirects, are
// protected against cross-origin requests (CSRF) and carry a strict Content-Security-Policy.
func (s *Server) webRoutes() {
	s.pages = parsePages()
	static, _ := fs.Sub(webFS, "web/static")
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	s.mux.HandleFunc("GET /login", s.web(s.loginPage, false))
	s.mux.HandleFunc("POST /login", s.web(s.login, false))
	s.mux.HandleFunc("POST /logout", s.web(s.logout, true))
	s.mux.HandleFunc("GET /{$}", s.web(s.portfolioPage, true))
	s.mux.HandleFunc("POST /products", s.web(s.productCreate, true))
	s.mux.HandleFunc("GET /products/{id}", s.web(s.productPage, true))
	s.mux.HandleFunc("POST /products/{id}/releases", s.web(s.releaseCreate, true))
	s.mux.HandleFunc("GET /releases/{id}", s.web(s.releasePage, true))
	s.mux.HandleFunc("POST /releases/{id}/sboms", s.web(s.releaseUpload, true))
	s.mux.HandleFunc("GET /releases/{id}/findings/{finding}", s.web(s.findingPage, true))
}

type webHandler func(w http.ResponseWriter, r *http.Request, u *store.User)

// web wraps a page handler: security headers, CSRF protection, and (when auth) a logged-in user.
func (s *Server) web(h webHandler, auth bool) http.HandlerFunc {
	csrf := http.NewCrossOriginProtection()
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "same-origin")
		if err := csrf.Check(r); err != nil {
			http.Error(w, "cross-origin request refused", http.StatusForbidden)
			return
		}
		var u *store.User
		if c, err := r.Cookie(sessionCookie); err == nil {
			u, _ = s.cfg.Store.SessionUser(r.Context(), c.Value)
		}
		if auth && u == nil {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		h(w, r, u)
	}
}

func (s *Server) render(w http.ResponseWriter, status int, page string, d *pageData) {
	var buf bytes.Buffer
	if err := s.pages[page].ExecuteTemplate(&buf, "layout", d); err != nil {
		s.cfg.Log.Error("render", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request, u *store.User) {
	s.render(w, http.StatusOK, "login", &pageData{Title: "Sign in"})
}

// loginLimiter allows a few attempts per client address per minute, in this process: a server
// behind a load balancer limits per instance, which still bounds guessing.
type loginLimiter struct {
	mu    sync.Mutex
	seen  map[string][]time.Time
	limit int
}

func (l *loginLimiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	recent := l.seen[key][:0]
	for _, t := range l.seen[key] {
		if now.Sub(t) < time.Minute {
			recent = append(recent, t)
		}
	}
	if len(recent) >= l.limit {
		l.seen[key] = recent
		return false
	}
	l.seen[key] = append(recent, now)
	return true
}

func (s *Server) login(w http.ResponseWriter, r *http.Request, _ *store.User) {
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	if !s.limiter.allow(host, s.cfg.Now()) {
		s.render(w, http.StatusTooManyRequests, "login", &pageData{Title: "Sign in", Error: "Too many attempts; wait a minute."})
		return
	}
	secret, _, err := s.cfg.Store.Login(r.Context(), r.PostFormValue("email"), r.PostFormValue("password"), sessionTTL)
	if errors.Is(err, store.ErrBadLogin) {
		s.render(w, http.StatusUnauthorized, "login", &pageData{Title: "Sign in", Error: "Wrong e-mail or password."})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: secret, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https", MaxAge: int(sessionTTL.Seconds())})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, _ *store.User) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.cfg.Store.Logout(r.Context(), c.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func (s *Server) portfolioPage(w http.ResponseWriter, r *http.Request, u *store.User) {
	ps, err := s.cfg.Store.Products(r.Context(), u.Organization)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := &pageData{Title: "Portfolio", User: u, CanWrite: userPrincipal(u).canWrite(u.Organization)}
	for _, p := range ps {
		rs, err := s.cfg.Store.Releases(r.Context(), p.ID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		d.Products = append(d.Products, productRow{Product: p, Releases: len(rs)})
	}
	s.render(w, http.StatusOK, "portfolio", d)
}

func (s *Server) productCreate(w http.ResponseWriter, r *http.Request, u *store.User) {
	if !userPrincipal(u).canWrite(u.Organization) {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	p, err := s.cfg.Store.CreateProduct(r.Context(), u.Organization, strings.TrimSpace(r.PostFormValue("name")), r.PostFormValue("category"), cmpOrDefault(r.PostFormValue("craClass"), "default"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/products/"+strconv.FormatInt(p.ID, 10), http.StatusSeeOther)
}

func cmpOrDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

// webProduct loads a product the user may read (404 otherwise, as for a missing one).
func (s *Server) webProduct(w http.ResponseWriter, r *http.Request, u *store.User, id int64) (*store.Product, bool) {
	p, err := s.cfg.Store.Product(r.Context(), id)
	if err != nil || !userPrincipal(u).canRead(p.Organization) {
		http.NotFound(w, r)
		return nil, false
	}
	return p, true
}

func (s *Server) productPage(w http.ResponseWriter, r *http.Request, u *store.User) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	p, ok := s.webProduct(w, r, u, id)
	if !ok {
		return
	}
	rs, err := s.cfg.Store.Releases(r.Context(), p.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, http.StatusOK, "product", &pageData{Title: p.Name, User: u, Product: p, Releases: rs, CanWrite: userPrincipal(u).canWrite(p.Organization)})
}

func (s *Server) releaseCreate(w http.ResponseWriter, r *http.Request, u *store.User) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	p, ok := s.webProduct(w, r, u, id)
	if !ok {
		return
	}
	if !userPrincipal(u).canWrite(p.Organization) {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	rel, err := s.cfg.Store.CreateRelease(r.Context(), p.ID, strings.TrimSpace(r.PostFormValue("version")), r.PostFormValue("placedOnMarket"), r.PostFormValue("supportEnd"))
	if err != nil {
		rs, _ := s.cfg.Store.Releases(r.Context(), p.ID)
		s.render(w, http.StatusBadRequest, "product", &pageData{Title: p.Name, User: u, Product: p, Releases: rs, CanWrite: true, Error: err.Error()})
		return
	}
	http.Redirect(w, r, "/releases/"+strconv.FormatInt(rel.ID, 10), http.StatusSeeOther)
}

// releaseView loads a release the user may read and everything its page shows.
func (s *Server) releaseView(ctx context.Context, w http.ResponseWriter, r *http.Request, u *store.User) (*pageData, bool) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	rel, err := s.cfg.Store.Release(ctx, id)
	if err != nil {
		http.NotFound(w, r)
		return nil, false
	}
	p, ok := s.webProduct(w, r, u, rel.Product)
	if !ok {
		return nil, false
	}
	comps, err := s.cfg.Store.ReleaseComponents(ctx, rel.ID)
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	d := &pageData{Title: p.Name + " " + rel.Version, User: u, Product: p, Release: rel, Components: comps, CanWrite: userPrincipal(u).canWrite(p.Organization)}
	fs, err := s.findings(ctx, comps)
	switch {
	case errors.Is(err, vulndb.ErrNoDatabase):
		d.NoDB = true
	case err != nil:
		s.fail(w, r, err)
		return nil, false
	}
	d.Findings = fs
	for _, f := range fs {
		if f.IsExploited() {
			d.Exploited++
		}
	}
	return d, true
}

// findings matches components against the vulnerability database in the data directory.
func (s *Server) findings(ctx context.Context, comps []store.Component) ([]match.Finding, error) {
	if s.cfg.VulnDB == "" {
		return nil, vulndb.ErrNoDatabase
	}
	db, err := vulndb.Open(ctx, s.cfg.VulnDB, false)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	doc := &sbom.Document{}
	for _, c := range comps {
		doc.Components = append(doc.Components, sbom.Component{Ref: c.Ref, Name: c.Name, Version: c.Version, PURL: c.PURL})
	}
	pkgs, _ := match.Packages(doc)
	return match.Match(ctx, db, pkgs)
}

func (s *Server) releasePage(w http.ResponseWriter, r *http.Request, u *store.User) {
	if d, ok := s.releaseView(r.Context(), w, r, u); ok {
		s.render(w, http.StatusOK, "release", d)
	}
}

func (s *Server) releaseUpload(w http.ResponseWriter, r *http.Request, u *store.User) {
	d, ok := s.releaseView(r.Context(), w, r, u)
	if !ok {
		return
	}
	if !d.CanWrite {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxUpload+1<<20)
	f, hdr, err := r.FormFile("sbom")
	if err != nil {
		d.Error = "Choose an SBOM file to upload."
		s.render(w, http.StatusBadRequest, "release", d)
		return
	}
	defer f.Close()
	limits := input.Limits{MaxBytes: s.cfg.MaxUpload}
	data, err := input.ReadAll(hdr.Filename, io.Reader(f), limits)
	if err == nil {
		var doc *sbom.Document
		if doc, err = sbom.Decode(hdr.Filename, data, limits); err == nil {
			sum := sha256.Sum256(data)
			_, err = s.cfg.Store.AddSBOM(r.Context(), d.Release.ID, string(doc.Format), hex.EncodeToString(sum[:]), storeComponents(doc))
		}
	}
	if err != nil {
		if errors.Is(err, store.ErrConflict) {
			err = errors.New("this SBOM was already uploaded for the release")
		}
		d.Error = err.Error()
		s.render(w, http.StatusUnprocessableEntity, "release", d)
		return
	}
	http.Redirect(w, r, "/releases/"+strconv.FormatInt(d.Release.ID, 10), http.StatusSeeOther)
}

func (s *Server) findingPage(w http.ResponseWriter, r *http.Request, u *store.User) {
	d, ok := s.releaseView(r.Context(), w, r, u)
	if !ok {
		return
	}
	id, ref := r.PathValue("finding"), r.URL.Query().Get("ref")
	for i := range d.Findings {
		f := &d.Findings[i]
		if f.ID == id && (ref == "" || f.Package.Ref == ref) {
			db, err := vulndb.Open(r.Context(), s.cfg.VulnDB, false)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			var buf bytes.Buffer
			err = match.Explain(r.Context(), &buf, db, *f)
			db.Close()
			if err != nil {
				s.fail(w, r, err)
				return
			}
			d.Finding, d.Explain, d.Title = f, buf.String(), f.ID
			s.render(w, http.StatusOK, "finding", d)
			return
		}
	}
	http.NotFound(w, r)
}

// storeComponents turns a document's components (but its subject) into stored components.
func storeComponents(doc *sbom.Document) []store.Component {
	direct := doc.Direct()
	out := make([]store.Component, 0, len(doc.Components))
	for _, c := range doc.Components {
		if c.Ref == doc.Subject {
			continue
		}
		out = append(out, store.Component{Ref: c.Ref, Name: c.Name, Version: c.Version, PURL: c.PURL, Direct: direct[c.Ref]})
	}
	return out
}

// userPrincipal gives a logged-in user the rights of an API token of the same role.
func userPrincipal(u *store.User) principal { return principal{token: u.Token()} }
