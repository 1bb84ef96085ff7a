package web

import (
	"bytes"
	"context"
	"errors"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/match"
	"github.com/siegel-oss/siegel/internal/sbom"
	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/store"
	"github.com/siegel-oss/siegel/internal/vulndb"
)

const (
	sessionCookie = "siegel_session"
	sessionTTL    = 12 * time.Hour
)

// pageFuncs are the template functions on the server's own types (package web has those on
// plain values).
var pageFuncs = template.FuncMap{
	// categories is the controlled list of product categories, for the forms that set one.
	"categories": app.ProductCategories,
	"productName": func(ps []productRow, id int64) string {
		for _, p := range ps {
			if p.ID == id {
				return p.Name
			}
		}
		return "#" + strconv.FormatInt(id, 10)
	},
	// done reports whether an earlier stage than i is still open (so i is not the next one).
	"done": func(stages []app.StageView, i int) bool {
		for _, s := range stages[:i] {
			if s.Submitted.IsZero() {
				return true
			}
		}
		return false
	},
}

type productRow struct {
	store.Product
	Releases int
	Summary  store.Summary
	Coverage productCoverage
}

// routes registers the browser pages. They take form posts and answer with redirects, are
// protected against cross-origin requests (CSRF) and carry a strict Content-Security-Policy.
func (s *Site) routes() {
	pages, err := Parse(pageFuncs)
	if err != nil {
		panic(err) // the templates are embedded: one that does not parse is a defect of the build
	}
	s.pages = pages
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(Static())))
	s.mux.HandleFunc("GET /login", s.web(s.loginPage, false))
	s.mux.HandleFunc("POST /login", s.web(s.login, false))
	s.mux.HandleFunc("POST /logout", s.web(s.logout, true))
	s.mux.HandleFunc("GET /{$}", s.web(s.portfolioPage, true))
	s.mux.HandleFunc("POST /products", s.web(s.productCreate, true))
	s.mux.HandleFunc("GET /products/{id}", s.web(s.productPage, true))
	s.mux.HandleFunc("POST /products/{id}/releases", s.web(s.releaseCreate, true))
	s.mux.HandleFunc("POST /products/{id}/category", s.web(s.productCategoryForm, true))
	s.mux.HandleFunc("GET /releases/{id}", s.web(s.releasePage, true))
	s.mux.HandleFunc("POST /releases/{id}/sboms", s.web(s.webUpload(s.releaseUpload), true))
	s.mux.HandleFunc("GET /releases/{id}/findings/{finding}", s.web(s.findingPage, true))
	s.mux.HandleFunc("POST /releases/{id}/findings/{finding}/vex", s.web(s.triage, true))
	s.mux.HandleFunc("GET /releases/{id}/vex", s.web(s.vexDownload, true))
	s.mux.HandleFunc("POST /releases/{id}/vex", s.web(s.vexUpload, true))
	s.mux.HandleFunc("GET /advisories", s.web(s.advisoriesPage, true))
	s.mux.HandleFunc("GET /advisories/{id}", s.web(s.advisoryPage, false))
	s.mux.HandleFunc("POST /releases/{id}/findings/{finding}/advisory", s.web(s.advisoryPublish, true))
	s.mux.HandleFunc("GET /cases", s.web(s.casesPage, true))
	s.mux.HandleFunc("GET /cases/{id}", s.web(s.casePage, true))
	s.mux.HandleFunc("POST /cases/{id}/fix-available", s.web(s.caseFixForm, true))
	s.mux.HandleFunc("POST /cases/{id}/stages/{stage}", s.web(s.caseSubmitForm, true))
	s.mux.HandleFunc("POST /cases/{id}/close", s.web(s.caseCloseForm(true), true))
	s.mux.HandleFunc("POST /cases/{id}/reopen", s.web(s.caseCloseForm(false), true))
	s.mux.HandleFunc("POST /cases/{id}/intermediate-request", s.web(s.caseIntermediateForm, true))
	s.mux.HandleFunc("GET /settings/organization", s.web(s.organizationPage, true))
	s.mux.HandleFunc("POST /settings/organization", s.web(s.organizationUpdate, true))
	s.labelWebRoutes()
	s.portfolioWebRoutes()
	s.editWebRoutes()
	s.authorityWebRoutes()
	s.rolloutWebRoutes()
	s.accountWebRoutes()
	s.mux.HandleFunc("GET /status", s.web(s.statusPage, true))
	s.mux.HandleFunc("POST /status/update", s.web(s.statusUpdate, true))
	s.mux.HandleFunc("GET /settings/notifications", s.web(s.notificationsPage, true))
	s.mux.HandleFunc("POST /settings/notifications", s.web(s.channelAdd, true))
	s.mux.HandleFunc("POST /settings/notifications/{id}/remove", s.web(s.channelRemove, true))
	s.mux.HandleFunc("POST /settings/notifications/{id}/test", s.web(s.channelTest, true))
	s.mux.HandleFunc("POST /releases/{id}/firmware", s.web(s.webUpload(s.firmwareUploadForm), true))
	s.mux.HandleFunc("GET /jobs/{id}", s.web(s.jobPage, true))
	s.labWebRoutes()
	s.mux.HandleFunc("GET /firmware/{id}", s.web(s.firmwarePage, true))
}

type webHandler func(w http.ResponseWriter, r *http.Request, u *store.User)

// web wraps a page handler: security headers, CSRF protection, and (when auth) a logged-in user.
func (s *Site) web(h webHandler, auth bool) http.HandlerFunc {
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
			u, _ = s.Store.SessionUser(r.Context(), c.Value)
		}
		if auth && u == nil {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		if u != nil {
			app.NotePrincipal(r, "user:"+u.Email)
			r = r.WithContext(store.WithActor(r.Context(), "user:"+u.Email))
		}
		h(w, r, u)
	}
}

// render executes a page's template with its view model (view.go) and answers with status.
func (s *Site) render(w http.ResponseWriter, status int, page string, d View) {
	s.frameOf(d)
	var buf bytes.Buffer
	if err := s.pages.Execute(&buf, page, d); err != nil {
		s.Log.Error("render", "page", page, "err", err)
		http.Error(w, app.InternalErrorText(app.RequestIDOf(w)), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (s *Site) loginPage(w http.ResponseWriter, r *http.Request, u *store.User) {
	notice := ""
	if r.URL.Query().Get("welcome") != "" {
		notice = "Your password is set: sign in with it."
	}
	s.render(w, http.StatusOK, "login", s.signInView("", notice))
}

func (s *Site) login(w http.ResponseWriter, r *http.Request, _ *store.User) {
	wait, err := s.loginAllowed(r.Context(), r, r.PostFormValue("email"))
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	if wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())))
		s.render(w, http.StatusTooManyRequests, "login", s.signInView(tooManyAttempts(wait), ""))
		return
	}
	secret, _, err := s.Store.Login(r.Context(), r.PostFormValue("email"), r.PostFormValue("password"), sessionTTL)
	if errors.Is(err, store.ErrBadLogin) {
		s.render(w, http.StatusUnauthorized, "login", s.signInView("Wrong e-mail or password.", ""))
		return
	}
	if errors.Is(err, store.ErrDisabled) {
		s.render(w, http.StatusForbidden, "login", s.signInView("This account is disabled: ask an administrator of your organisation.", ""))
		return
	}
	if errors.Is(err, store.ErrSecondFactor) {
		s.startSecondFactor(w, r, secret)
		return
	}
	if err == nil {
		err = s.loginSucceeded(r.Context(), r.PostFormValue("email"))
	}
	if err == nil && s.InitialPasswordFile != "" {
		// Someone could log in: the first run's password need not be kept any longer.
		if rerr := os.Remove(s.InitialPasswordFile); rerr == nil {
			s.Log.Info("first login: removed the initial administrator password", "file", s.InitialPasswordFile)
		} else if !errors.Is(rerr, fs.ErrNotExist) {
			s.Log.Warn("first login: the initial administrator password could not be removed; delete it", "file", s.InitialPasswordFile, "err", rerr)
		}
	}
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: secret, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: s.secureCookies(r), MaxAge: int(sessionTTL.Seconds())})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (s *Site) logout(w http.ResponseWriter, r *http.Request, _ *store.User) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.Store.Logout(r.Context(), c.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func (s *Site) productCreate(w http.ResponseWriter, r *http.Request, u *store.User) {
	if !caller.OfUser(u).CanWrite(u.Organization) {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	p, err := s.AddProduct(r.Context(), u.Organization, app.NewProduct{Name: r.PostFormValue("name"), Category: r.PostFormValue("category"), CRAClass: r.PostFormValue("craClass")})
	if err != nil {
		s.showError(w, r, err, func(status int, msg string) { s.renderPortfolio(w, r, u, status, "Product not created: "+msg) })
		return
	}
	http.Redirect(w, r, "/products/"+strconv.FormatInt(p.ID, 10), http.StatusSeeOther)
}

// webProduct loads a product the user may read (404 otherwise, as for a missing one).
func (s *Site) webProduct(w http.ResponseWriter, r *http.Request, u *store.User, id int64) (*store.Product, bool) {
	p, err := s.Store.Product(r.Context(), id)
	if err != nil || !caller.OfUser(u).CanRead(p.Organization) || !s.RegisteredWith(r, caller.OfUser(u), p.ID) {
		http.NotFound(w, r)
		return nil, false
	}
	return p, true
}

func (s *Site) productPage(w http.ResponseWriter, r *http.Request, u *store.User) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	p, ok := s.webProduct(w, r, u, id)
	if !ok {
		return
	}
	rs, err := s.Store.Releases(r.Context(), p.ID)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	// Coverage before counts, as on the release page (releaseState).
	h, herr := s.Holdings(r.Context())
	totals, err := s.Store.ReleaseCoverageTotals(r.Context(), p.ID)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	s.ReadHook("product")
	sums, err := s.Store.ReleaseSummaries(r.Context(), p.ID)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	rows := releaseRows(rs, p.Category)
	updates, err := s.SecurityUpdates(r.Context(), p)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	for i := range rows {
		if u, ok := updates[rows[i].ID]; ok {
			rows[i].KeepAvailableUntil = u.Until.Format(time.DateOnly)
		}
	}
	ph, _, err := s.ProductHealth(r.Context(), p)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	s.render(w, http.StatusOK, "product", &productPageView{Layout: Layout{Title: p.Name, User: u, DBWarnings: s.WarningsOf(h, herr), Error: r.URL.Query().Get("error")},
		Product: p, Releases: rows, Summaries: sums, ReleaseCoverage: restateTotals(totals, h), CanWrite: caller.OfUser(u).CanWrite(p.Organization),
		Notice: r.URL.Query().Get("notice"), ProductHealth: ph})
}

// productPageView is a product's page (product.html): its releases with their counts, coverage
// and component health, and the forms that change it for those who may.
type productPageView struct {
	Layout
	Notice   string // the outcome of the last action
	CanWrite bool
	Product  *store.Product
	Releases []app.ReleaseView
	// Summaries are the releases' counts; ReleaseCoverage what the last matching of each release
	// checked (a release without an entry was never matched).
	Summaries       map[int64]store.Summary
	ReleaseCoverage map[int64]productCoverage
	ProductHealth   []app.ProductHealthRow
}

func (s *Site) releaseCreate(w http.ResponseWriter, r *http.Request, u *store.User) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	p, ok := s.webProduct(w, r, u, id)
	if !ok {
		return
	}
	if !caller.OfUser(u).CanWrite(p.Organization) {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	in := store.Release{Product: p.ID, Version: strings.TrimSpace(r.PostFormValue("version")), PlacedOnMarket: r.PostFormValue("placedOnMarket"),
		SupportEnd: r.PostFormValue("supportEnd"), SupportJustification: r.PostFormValue("supportJustification"), SupportBasis: r.PostFormValue("supportBasis")}
	in.SupportExpectedUseMonths, _ = strconv.Atoi(strings.TrimSpace(r.PostFormValue("supportExpectedUseMonths")))
	err := app.CheckName("version", in.Version)
	if err == nil {
		in.DevicesOnMarket, err = parseDevices(r.PostFormValue("devicesOnMarket"))
	}
	if err == nil {
		err = s.CheckSupportPeriod(in, p.Category)
	}
	var rel *store.Release
	if err == nil {
		rel, err = s.Store.AddRelease(r.Context(), in)
	}
	if err != nil {
		rs, _ := s.Store.Releases(r.Context(), p.ID)
		s.render(w, http.StatusBadRequest, "product", &productPageView{Layout: Layout{Title: p.Name, User: u, Error: err.Error()}, Product: p, Releases: releaseRows(rs, p.Category), CanWrite: true})
		return
	}
	http.Redirect(w, r, "/releases/"+strconv.FormatInt(rel.ID, 10), http.StatusSeeOther)
}

// webRelease loads a release the user may read, with its product (404 otherwise): what a page or
// form about one release needs before anything else.
func (s *Site) webRelease(w http.ResponseWriter, r *http.Request, u *store.User) (*releaseHead, bool) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	rel, err := s.Store.Release(r.Context(), id)
	if err != nil {
		http.NotFound(w, r)
		return nil, false
	}
	p, ok := s.webProduct(w, r, u, rel.Product)
	if !ok {
		return nil, false
	}
	return &releaseHead{Layout: Layout{Title: p.Name + " " + rel.Version, User: u}, Product: p, Release: rel, CanWrite: caller.OfUser(u).CanWrite(p.Organization)}, true
}

// releaseHead is what every page about one release starts from (the release page, a finding's,
// the conformity page, the correction page): the frame, the release, its product, and whether
// the user may change them.
type releaseHead struct {
	Layout
	Product  *store.Product
	Release  *store.Release
	CanWrite bool
}

// writable answers 403 when the user may not change the release.
func (h *releaseHead) writable(w http.ResponseWriter) bool {
	if !h.CanWrite {
		http.Error(w, "forbidden", http.StatusForbidden)
	}
	return h.CanWrite
}

// releasePageView is the release page (release.html).
type releasePageView struct {
	releaseHead
	Notice     string // the outcome of the last action
	Components []store.Component
	// Findings are one page of the findings the filter selects, of Total; FindingPages sorts
	// and pages them, Query is the request's query string.
	Findings     []app.FindingView
	Total        int
	Filter       store.FindingFilter
	Query        string
	FindingPages *findingPager
	Matching     bool
	MatchWaits   bool // matching is queued but there is no vulnerability database to match against
	// Coverage is what the last matching of the release checked; nil when it was never matched.
	Coverage  *match.Coverage
	Summaries map[int64]store.Summary
	// SecurityUpdate is set on a release that fixed vulnerabilities (CRA Art. 13(9)).
	SecurityUpdate *app.SecurityUpdate
	Health         *app.ReleaseHealth
	// ReleaseFirmware and ReleaseLab are the firmware and lab sections (web_firmware.go,
	// lab_web.go).
	ReleaseFirmware *releaseFirmwareView
	ReleaseLab      *releaseLabView
}

// releaseView loads a release the user may read and everything its page shows.
func (s *Site) releaseView(ctx context.Context, w http.ResponseWriter, r *http.Request, u *store.User) (*releasePageView, bool) {
	h, ok := s.webRelease(w, r, u)
	if !ok {
		return nil, false
	}
	return s.releasePageOf(ctx, w, r, h)
}

// releasePageOf is the release page of the release h is about, filled (false: the answer was
// sent).
func (s *Site) releasePageOf(ctx context.Context, w http.ResponseWriter, r *http.Request, h *releaseHead) (*releasePageView, bool) {
	d := &releasePageView{releaseHead: *h}
	if !s.fillRelease(ctx, w, r, d) {
		return nil, false
	}
	return d, true
}

// fillRelease adds what the release page shows: components, findings (filtered by the query),
// whether matching runs, and the product's counts.
func (s *Site) fillRelease(ctx context.Context, w http.ResponseWriter, r *http.Request, d *releasePageView) bool {
	rel := d.Release
	var err error
	if d.Components, err = s.Store.ReleaseComponents(ctx, rel.ID); err != nil {
		s.Fail(w, r, err)
		return false
	}
	f, err := app.FindingFilter(r, 50)
	if err != nil {
		f = store.FindingFilter{Limit: 50}
	}
	d.Filter, d.Query, d.Notice = f, r.URL.RawQuery, r.URL.Query().Get("vexmsg")
	// What says whether the list is complete is read before the list (see releaseState).
	var h *vulndb.Holdings
	if d.Matching, h, d.Coverage, err = s.ReleaseState(ctx, rel.ID); err != nil {
		s.Fail(w, r, err)
		return false
	}
	d.DBWarnings = s.WarningsOf(h, nil) // read once for the banner too
	if d.Matching {
		d.Refresh = 2
	}
	if d.Findings, d.Total, err = s.LoadFindings(ctx, rel.ID, f); err != nil {
		s.Fail(w, r, err)
		return false
	}
	s.ReadHook("findings")
	d.FindingPages = findingPagerOf(r, rel.ID, f, len(d.Findings), d.Total)
	if sums, err := s.Store.ReleaseSummaries(ctx, d.Product.ID); err == nil {
		d.Summaries = sums
	}
	updates, err := s.SecurityUpdatesUntil(ctx, d.Product, rel.ID, d.Components)
	if err != nil {
		s.Fail(w, r, err)
		return false
	}
	if u, ok := updates[rel.ID]; ok {
		d.SecurityUpdate = &u
	}
	if d.Health, err = s.HealthOf(ctx, rel, d.Components); err != nil {
		s.Fail(w, r, err)
		return false
	}
	d.MatchWaits = d.Matching && h == nil && s.VulnDB != ""
	return true
}

func (s *Site) releasePage(w http.ResponseWriter, r *http.Request, u *store.User) {
	if d, ok := s.releaseView(r.Context(), w, r, u); ok {
		s.fillReleaseFirmware(r, d)
		s.fillReleaseLab(r, d)
		s.render(w, http.StatusOK, "release", d)
	}
}

func (s *Site) releaseUpload(w http.ResponseWriter, r *http.Request, u *store.User) {
	d, ok := s.releaseView(r.Context(), w, r, u)
	if !ok {
		return
	}
	if !d.writable(w) {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.MaxUpload+1<<20)
	f, hdr, err := r.FormFile("sbom")
	if err != nil {
		d.Error = "Choose an SBOM file to upload."
		s.render(w, http.StatusBadRequest, "release", d)
		return
	}
	defer f.Close()
	limits := input.Limits{MaxBytes: s.MaxUpload}
	data, err := input.ReadAll(hdr.Filename, io.Reader(f), limits)
	if err == nil {
		var doc *sbom.Document
		var format string
		if doc, format, err = s.DecodeUpload(r.Context(), hdr.Filename, data, d.Product, d.Release); err == nil {
			_, err = s.Store.AddSBOM(r.Context(), d.Release.ID, app.SBOMContent(format, data, doc))
			s.Wake()
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

// findingPage shows one finding: why it matched (the advisory's ranges and the comparisons),
// its triage history, and the triage form.
func (s *Site) findingPage(w http.ResponseWriter, r *http.Request, u *store.User) {
	d, ok := s.webRelease(w, r, u)
	if !ok {
		return
	}
	s.renderFinding(w, r, d, r.PathValue("finding"), r.URL.Query().Get("purl"), nil, http.StatusOK)
}

// triage records the VEX status the form sets.
func (s *Site) triage(w http.ResponseWriter, r *http.Request, u *store.User) {
	d, ok := s.webRelease(w, r, u)
	if !ok {
		return
	}
	if !d.writable(w) {
		return
	}
	vuln := r.PathValue("finding")
	in := app.VEXInput{PURL: r.PostFormValue("purl"), Status: r.PostFormValue("status"), Justification: r.PostFormValue("justification"),
		Impact: r.PostFormValue("impact"), Action: r.PostFormValue("action"), ExpiresAt: r.PostFormValue("expiresAt")}
	if in.Status != "not_affected" {
		in.Justification = ""
	}
	back := "/releases/" + strconv.FormatInt(d.Release.ID, 10) + "/findings/" + url.PathEscape(vuln) + "?purl=" + url.QueryEscape(in.PURL)
	if _, err := s.SetVEX(r.Context(), d.Release.ID, vuln, in, u.Email); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			http.NotFound(w, r)
			return
		}
		// Refused: the page shows why, with what was entered, so nothing is lost.
		d.Error = "Decision not recorded: " + err.Error()
		s.renderFinding(w, r, d, vuln, in.PURL, &in, http.StatusBadRequest)
		return
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// statusView is the vulnerability database's page (status.html): its state and updates, and
// whether the user may start one (an administrator).
type statusView struct {
	Layout
	DB       *app.DBState
	CanWrite bool
}

// statusPage shows the vulnerability database and its updates.
func (s *Site) statusPage(w http.ResponseWriter, r *http.Request, u *store.User) {
	st, err := s.DBState(r)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	d := &statusView{Layout: Layout{Title: "Vulnerability database", User: u}, DB: st, CanWrite: u.Role == "admin"}
	for _, j := range st.Updates {
		if j.State == "running" || (j.State == "queued" && !j.RunAfter.After(s.Now())) {
			d.Refresh = 3
		}
	}
	s.render(w, http.StatusOK, "status", d)
}

func (s *Site) statusUpdate(w http.ResponseWriter, r *http.Request, u *store.User) {
	if u.Role != "admin" || s.Monitor == nil {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	if err := s.Monitor.RequestUpdate(r.Context()); err != nil {
		s.Fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/status", http.StatusSeeOther)
}

// notificationsView is the notification settings (notifications.html): the channels, recent
// deliveries, the audit trail for those who may read it, and what a new channel may follow.
type notificationsView struct {
	Layout
	CanWrite   bool
	EventKinds []string
	Products   []productRow
	Channels   []store.Channel
	Notes      []store.Notification
	Audit      []store.AuditEvent
}

// notificationsPage lists the organization's channels and recent deliveries.
func (s *Site) notificationsPage(w http.ResponseWriter, r *http.Request, u *store.User) {
	d := &notificationsView{Layout: Layout{Title: "Notifications", User: u, Error: r.URL.Query().Get("error")},
		CanWrite: caller.OfUser(u).CanWrite(u.Organization), EventKinds: store.EventKinds}
	var err error
	if ps, perr := s.Store.Products(r.Context(), u.Organization); perr == nil {
		for _, p := range ps {
			d.Products = append(d.Products, productRow{Product: p})
		}
	}
	if d.Channels, err = s.Store.Channels(r.Context(), u.Organization); err == nil {
		if d.Notes, err = s.Store.Notifications(r.Context(), u.Organization, 50); err == nil {
			app.RedactDeliveries(d.Notes, u.Role)
		}
		if err == nil && (u.Role == "admin" || u.Role == "auditor") {
			d.Audit, err = s.Store.AuditEvents(r.Context(), u.Organization, 50)
		}
	}
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	s.render(w, http.StatusOK, "notifications", d)
}

func (s *Site) channelAdd(w http.ResponseWriter, r *http.Request, u *store.User) {
	if !caller.OfUser(u).CanWrite(u.Organization) {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	r.ParseForm()
	product, _ := strconv.ParseInt(r.PostFormValue("product"), 10, 64)
	err := s.CheckChannelTarget(r.PostFormValue("kind"), strings.TrimSpace(r.PostFormValue("target")))
	if err == nil {
		_, err = s.Store.AddChannel(r.Context(), store.Channel{Organization: u.Organization, Kind: r.PostFormValue("kind"),
			Target: strings.TrimSpace(r.PostFormValue("target")), Secret: r.PostFormValue("secret"), Events: r.PostForm["events"], Product: product})
	}
	if err != nil {
		http.Redirect(w, r, "/settings/notifications?error="+url.QueryEscape(err.Error()), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/settings/notifications", http.StatusSeeOther)
}

func (s *Site) channelRemove(w http.ResponseWriter, r *http.Request, u *store.User) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if !caller.OfUser(u).CanWrite(u.Organization) {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	if err := s.Store.RemoveChannel(r.Context(), u.Organization, id); err != nil {
		http.NotFound(w, r)
		return
	}
	http.Redirect(w, r, "/settings/notifications", http.StatusSeeOther)
}

func (s *Site) channelTest(w http.ResponseWriter, r *http.Request, u *store.User) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if !caller.OfUser(u).CanWrite(u.Organization) {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	if err := s.QueueTest(r, u.Organization, u.OrgName, id); err != nil {
		http.NotFound(w, r)
		return
	}
	http.Redirect(w, r, "/settings/notifications", http.StatusSeeOther)
}

func releaseRows(rs []store.Release, category string) []app.ReleaseView {
	out := make([]app.ReleaseView, 0, len(rs))
	for _, r := range rs {
		out = append(out, app.ViewRelease(r, category))
	}
	return out
}
