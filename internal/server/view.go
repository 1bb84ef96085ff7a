package server

import (
	"context"
	"time"

	"github.com/siegel-oss/siegel/internal/store"
)

// A page's view model holds what its template shows and nothing else; it embeds layout, what
// the frame around every page (layout.html) shows. render fills the frame's part that is the
// same for every page of a signed-in user.

// layout is what the frame of a page shows.
type layout struct {
	Title string
	User  *store.User
	// Error is the refusal shown above the content; Refresh, in seconds, reloads the page while
	// work runs (no JavaScript).
	Error   string
	Refresh int
	// DBWarnings are shown on every page of a signed-in user: an empty or stale vulnerability
	// database is never silent.
	DBWarnings []string
	// NoCSAF says why the CSAF links answer 503: the server has no public https address.
	NoCSAF string
}

// view is a page's view model as render takes it.
type view interface {
	signedIn() bool
	// setFrame gives the frame the database warnings (when the page has none yet) and why the
	// CSAF links are off.
	setFrame(warnings func() []string, noCSAF string)
}

func (l *layout) signedIn() bool { return l.User != nil }

func (l *layout) setFrame(warnings func() []string, noCSAF string) {
	if l.DBWarnings == nil {
		l.DBWarnings = warnings()
	}
	l.NoCSAF = noCSAF
}

// frameOf fills the frame of a signed-in user's page.
func (s *Server) frameOf(v view) {
	if !v.signedIn() {
		return
	}
	noCSAF := ""
	if _, err := s.publicBase(); err != nil {
		noCSAF = err.Error()
	}
	v.setFrame(func() []string {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return s.dbWarnings(ctx)
	}, noCSAF)
}
