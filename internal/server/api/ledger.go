package api

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/siegel-oss/siegel/internal/ledger"
	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/store"
)

// ledgerBundle serves the evidence bundle of a subject of the caller's organization, with the
// contents revealed to admin, PSIRT and auditor tokens.
func (s *API) ledgerBundle(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	subject := r.URL.Query().Get("subject")
	if subject == "" || !strings.Contains(subject, "/") {
		writeError(w, http.StatusBadRequest, "subject=KIND/ID is required, such as release/12 or case/3")
		return
	}
	reveal := p.Token.Role == "admin" || p.Token.Role == "psirt" || p.Token.Role == "auditor"
	b, err := s.Store.LedgerBundle(r.Context(), p.Token.Organization, subject, reveal)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, b)
}

// ledgerCheckpoint publishes a signed checkpoint (public: anyone may keep copies, which is what
// makes a rewritten history detectable), with the cosignatures witnesses gave it: the latest
// (default), the one of ?size=N, or with ?cosigned=1 the latest that a witness cosigned.
func (s *API) ledgerCheckpoint(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	var size int64 = -1
	if v := q.Get("size"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			http.Error(w, "size must be a number of entries", http.StatusBadRequest)
			return
		}
		size = n
	}
	if q.Get("cosigned") != "" {
		_, latest, err := s.Store.Cosignatures(ctx, 0)
		if err != nil {
			s.Fail(w, r, err)
			return
		}
		if latest == 0 {
			http.Error(w, "no witness has cosigned a checkpoint yet", http.StatusNotFound)
			return
		}
		size = latest
	}
	var signed, vkey string
	var cp ledger.Checkpoint
	var err error
	if size < 0 {
		signed, cp, vkey, err = s.Store.LedgerCheckpoint(ctx)
	} else {
		signed, cp, vkey, err = s.Store.LedgerCheckpointAt(ctx, size)
	}
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	lines, _, err := s.Store.Cosignatures(ctx, cp.Size)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Siegel-Ledger-Key", vkey)
	w.Write([]byte(signed + strings.Join(lines, "")))
}

// ledgerTreeProof serves a consistency proof: GET /ledger/consistency?from=N&to=M, one base64
// hash per line (what a witness or an auditor checks two checkpoints with).
func (s *API) ledgerTreeProof(w http.ResponseWriter, r *http.Request) {
	from, err1 := strconv.ParseInt(r.URL.Query().Get("from"), 10, 64)
	to, err2 := strconv.ParseInt(r.URL.Query().Get("to"), 10, 64)
	if err1 != nil || err2 != nil {
		http.Error(w, "from=N&to=M (numbers of entries) are required", http.StatusBadRequest)
		return
	}
	if msg := consistencyRequest(from, to); msg != "" {
		http.Error(w, msg, http.StatusBadRequest)
		return
	}
	proof, err := s.Store.LedgerTreeProof(r.Context(), from, to)
	if errors.Is(err, store.ErrNotFound) {
		http.Error(w, fmt.Sprintf("the log has fewer than %d entries; ask for a size it has reached (see /ledger/checkpoint)", to), http.StatusNotFound)
		return
	}
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	var b strings.Builder
	for _, h := range proof {
		b.WriteString(base64.StdEncoding.EncodeToString(h[:]) + "\n")
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte(b.String()))
}

// ledgerCosign takes a checkpoint a witness cosigned: the log's own checkpoint of that size with
// the witness's cosignature line added. Lines of the witnesses this server trusts (--witness) are
// verified and kept; anything else is refused.
func (s *API) ledgerCosign(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		http.Error(w, "the cosigned checkpoint is larger than 64 KiB", http.StatusRequestEntityTooLarge)
		return
	}
	var witnesses []ledger.Witness
	for _, k := range s.Witnesses {
		wt, err := ledger.ParseWitness(k)
		if err != nil {
			s.Fail(w, r, err)
			return
		}
		witnesses = append(witnesses, wt)
	}
	if len(witnesses) == 0 {
		http.Error(w, "this server trusts no witness (start it with --witness KEY)", http.StatusForbidden)
		return
	}
	text, _, ok := strings.Cut(string(body), "\n\n")
	lines := strings.Split(text, "\n")
	size, err := strconv.ParseInt(lines[min(1, len(lines)-1)], 10, 64)
	if !ok || len(lines) < 3 || err != nil {
		http.Error(w, "not a checkpoint note: origin, size and root lines, a blank line, then signatures", http.StatusBadRequest)
		return
	}
	_, cp, _, err := s.Store.LedgerCheckpointAt(r.Context(), size)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	if text+"\n" != cp.Text() {
		http.Error(w, "this is not the log's checkpoint of that size: the witness saw another history", http.StatusConflict)
		return
	}
	stored, _, err := s.Store.Cosignatures(r.Context(), size)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	kept := 0
	for _, wt := range witnesses {
		if !strings.Contains(string(body), "\n— "+wt.Name+" ") {
			continue
		}
		if _, err := ledger.VerifyCosignatures(string(body), cp, []ledger.Witness{wt}); err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		for _, line := range ledger.CosignatureLines(string(body), cp.Origin) {
			if strings.HasPrefix(line, "— "+wt.Name+" ") && !slices.Contains(stored, line) {
				if err := s.Store.AddCosignature(r.Context(), size, wt.Name, line); err != nil {
					s.Fail(w, r, err)
					return
				}
				kept++
				break
			}
		}
	}
	if kept == 0 {
		http.Error(w, "no new cosignature of a witness this server trusts", http.StatusForbidden)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
