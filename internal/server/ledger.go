package server

import (
	"net/http"
	"strings"
)

// ledgerCheckpoint publishes the latest signed checkpoint (public: anyone may keep copies, which
// is what makes a rewritten history detectable).
func (s *Server) ledgerCheckpoint(w http.ResponseWriter, r *http.Request) {
	signed, _, vkey, err := s.cfg.Store.LedgerCheckpoint(r.Context())
	if err != nil {
		s.cfg.Log.Error("ledger checkpoint", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Siegel-Ledger-Key", vkey)
	w.Write([]byte(signed))
}

// ledgerBundle serves the evidence bundle of a subject of the caller's organization, with the
// contents revealed to admin, PSIRT and auditor tokens.
func (s *Server) ledgerBundle(w http.ResponseWriter, r *http.Request, p principal) {
	subject := r.URL.Query().Get("subject")
	if subject == "" || !strings.Contains(subject, "/") {
		writeError(w, http.StatusBadRequest, "subject=KIND/ID is required, such as release/12 or case/3")
		return
	}
	reveal := p.token.Role == "admin" || p.token.Role == "psirt" || p.token.Role == "auditor"
	b, err := s.cfg.Store.LedgerBundle(r.Context(), p.token.Organization, subject, reveal)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, b)
}
