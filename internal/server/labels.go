package server

import (
	"github.com/siegel-oss/siegel/internal/conformity"
	"github.com/siegel-oss/siegel/internal/server/app"
)

// newConformity makes the service that evaluates releases and keeps labels, and lets the
// monitor run its label checks.
func (s *Server) newConformity() {
	cat, err := app.LoadCatalog()
	if err != nil {
		s.Log.Error("requirement catalogs do not load; conformity and labels are off", "err", err)
		return
	}
	s.Conformity = &conformity.Service{Store: s.Store, Catalog: cat, Issuer: app.CmpOrDefault(s.LabelIssuer, "Siegel"),
		Grace: s.LabelGrace, Now: s.Now, BaseURL: func() string { return s.BaseURL }, TermMonths: s.LabelTermMonths}
	if s.Monitor != nil {
		s.Monitor.SetLabelCheck(s.Conformity.RefreshAll)
	}
}

// Public label endpoints: what a QR code opens, and what lets anyone check a statement offline.
