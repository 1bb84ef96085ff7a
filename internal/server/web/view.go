package web

import (
	"context"
	"time"
)

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
		return s.DbWarnings(ctx)
	}, noCSAF)
}
