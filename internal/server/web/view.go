package web

import (
	"context"
	"time"
)

// A page's view model (one per page, beside its handler) holds what its template shows and
// nothing else; it embeds Layout, what the frame around every page shows. render fills the
// frame's part that is the same for every page of a signed-in user.

// frameOf fills the frame of a signed-in user's page.
func (s *Site) frameOf(v View) {
	if !v.SignedIn() {
		return
	}
	noCSAF := ""
	if _, err := s.PublicBase(); err != nil {
		noCSAF = err.Error()
	}
	v.SetFrame(func() []string {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return s.DBWarnings(ctx)
	}, noCSAF)
}
