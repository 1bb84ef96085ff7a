package web

import "github.com/siegel-oss/siegel/internal/store"

// A page's view model holds what its template shows and nothing else; it embeds Layout, what
// the frame around every page (layout.html) shows.

// Layout is what the frame of a page shows.
type Layout struct {
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

// View is a page's view model as Pages.Execute takes it: one that embeds Layout.
type View interface {
	SignedIn() bool
	// SetFrame gives the frame the database warnings (when the page has none yet) and why the
	// CSAF links are off.
	SetFrame(warnings func() []string, noCSAF string)
}

// SignedIn reports whether the page is shown to a signed-in user.
func (l *Layout) SignedIn() bool { return l.User != nil }

// SetFrame sets the frame's part that is the same on every page of a signed-in user: the
// vulnerability database's warnings (read only when the page has none of its own) and why the
// CSAF links answer 503.
func (l *Layout) SetFrame(warnings func() []string, noCSAF string) {
	if l.DBWarnings == nil {
		l.DBWarnings = warnings()
	}
	l.NoCSAF = noCSAF
}
