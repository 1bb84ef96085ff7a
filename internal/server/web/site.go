package web

import (
	"net/http"

	"github.com/siegel-oss/siegel/internal/server/app"
)

// Site is the browser pages: their handlers, on the dependencies they share with the API.
type Site struct {
	*app.Deps
	mux   *http.ServeMux
	pages *Pages
	sso   ssoClient // single sign-on (sso.go)
}

// NewSite returns the pages on d; Routes registers them.
func NewSite(d *app.Deps) *Site { return &Site{Deps: d} }

// Routes parses the templates and registers the pages, the static files and the sign-in
// routes on mux. A template that does not parse is a defect of the build: Routes panics.
func (s *Site) Routes(mux *http.ServeMux) {
	s.mux = mux
	s.routes()
}
