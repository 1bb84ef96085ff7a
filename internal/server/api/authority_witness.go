package api

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/siegel-oss/siegel/internal/ledger"
	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/store"
	"golang.org/x/mod/sumdb/tlog"
)

// An authority witnesses each manufacturer's ledger with the witness protocol of
// internal/ledger (C2SP tlog-cosignature): it keeps the last checkpoint it cosigned of each log
// and cosigns a new one only after a consistency proof shows the new tree extends it. A
// manufacturer that rewrites, cuts or forks the history it has shown its regulator, or swaps the
// log for a new one, gets a refusal that says why, and the authority keeps the evidence.
// Manufacturers on this server share its log (POST /api/v1/authority/witness/local); one on its
// own server pushes its checkpoints here (POST /api/v1/authority/witness, authority_push.go).

// witnessRefusal is a checkpoint the witness would not cosign, with the reason.
type witnessRefusal struct{ reason string }

func (e *witnessRefusal) Error() string { return "not cosigned: " + e.reason }

// witnessCheckpoint checks a signed checkpoint of org's log against the state the witness keeps
// and cosigns it: the first checkpoint of a log pins its key; each later one must extend the
// last cosigned (the proof runs from that size). A refusal is kept with the state and returned
// as *witnessRefusal.
func (s *API) witnessCheckpoint(ctx context.Context, org int64, signed, logKey string, from int64, proof []tlog.Hash) (string, ledger.Checkpoint, error) {
	name, err := s.WitnessName()
	if err != nil {
		return "", ledger.Checkpoint{}, err
	}
	cp, err := ledger.OpenCheckpoint(signed, logKey)
	if err != nil {
		return "", cp, &witnessRefusal{reason: fmt.Sprintf("the checkpoint does not verify with the log key: %v", err)}
	}
	refuse := func(format string, args ...any) (string, ledger.Checkpoint, error) {
		reason := fmt.Sprintf(format, args...)
		if err := s.Store.RefuseWitnessedLog(ctx, name, cp.Origin, reason); err != nil {
			return "", cp, err
		}
		return "", cp, &witnessRefusal{reason: reason}
	}
	state, err := s.Store.WitnessedLogByOrigin(ctx, name, cp.Origin)
	switch {
	case errors.Is(err, store.ErrNotFound):
		other, oerr := s.Store.WitnessedLogOfOrganization(ctx, name, org)
		if oerr == nil {
			return refuse("the organization's log %s is witnessed up to %d entries (cosigned %s); a new log %s would hide the history shown before",
				other.Origin, other.Size, other.CosignedAt.Format(time.RFC3339), cp.Origin)
		}
		if !errors.Is(oerr, store.ErrNotFound) {
			return "", cp, oerr
		}
	case err != nil:
		return "", cp, err
	default:
		if state.Organization != org {
			return "", cp, &witnessRefusal{reason: fmt.Sprintf("log %s is witnessed for another organization", cp.Origin)}
		}
		if state.LogKey != logKey {
			return refuse("the log key changed from %s to %s: a log keeps its key", state.LogKey, logKey)
		}
		prev, err := ledger.OpenCheckpoint(state.Note, state.LogKey)
		if err != nil {
			return "", cp, fmt.Errorf("witnessed state of %s: %w", cp.Origin, err)
		}
		if cp.Size < prev.Size {
			return refuse("the checkpoint has %d entries, fewer than the %d cosigned %s: the log was cut or rewritten",
				cp.Size, prev.Size, state.CosignedAt.Format(time.RFC3339))
		}
		if cp.Size > prev.Size && from != prev.Size {
			return "", cp, fmt.Errorf("%w: the consistency proof must run from the %d entries last cosigned, not from %d", store.ErrConflict, prev.Size, from)
		}
		if err := ledger.CheckConsistency(prev, cp, proof); err != nil {
			return refuse("the checkpoint of %d entries does not extend the one of %d entries cosigned %s: %v",
				cp.Size, prev.Size, state.CosignedAt.Format(time.RFC3339), err)
		}
	}
	line, err := ledger.Cosign(cp, s.WitnessKey, s.Now())
	if err != nil {
		return "", cp, err
	}
	err = s.Store.AdvanceWitnessedLog(ctx, store.WitnessedLog{Witness: name, Origin: cp.Origin, Organization: org, LogKey: logKey, Size: cp.Size, Note: signed})
	if errors.Is(err, store.ErrConflict) {
		return "", cp, fmt.Errorf("%w: the witnessed state of %s moved meanwhile; push again", store.ErrConflict, cp.Origin)
	}
	if err != nil {
		return "", cp, err
	}
	return line, cp, nil
}

func (s *API) writeWitnessError(w http.ResponseWriter, r *http.Request, err error) {
	var ref *witnessRefusal
	switch {
	case errors.As(err, &ref):
		writeError(w, http.StatusConflict, ref.Error())
	case errors.Is(err, app.ErrNoWitnessKey):
		writeError(w, http.StatusServiceUnavailable, err.Error())
	case errors.Is(err, store.ErrConflict):
		writeError(w, http.StatusConflict, err.Error())
	default:
		s.Fail(w, r, err)
	}
}

// witnessState tells a manufacturer the size of its log the witness last cosigned, from which
// its next push proves consistency.
func (s *API) witnessState(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	if p.Token.Role == "authority" || !p.CanWrite(p.Token.Organization) {
		writeError(w, http.StatusForbidden, "a manufacturer's admin or PSIRT token pushes its ledger")
		return
	}
	name, err := s.WitnessName()
	if err != nil {
		s.writeWitnessError(w, r, err)
		return
	}
	origin := r.URL.Query().Get("origin")
	if origin == "" {
		writeError(w, http.StatusBadRequest, "origin: the log's origin line is required")
		return
	}
	st, err := s.Store.WitnessedLogByOrigin(r.Context(), name, origin)
	if errors.Is(err, store.ErrNotFound) {
		writeJSON(w, http.StatusOK, app.WitnessStateJSON{Witness: name, Origin: origin})
		return
	}
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	if st.Organization != p.Token.Organization {
		writeError(w, http.StatusNotFound, "no such log of this organization")
		return
	}
	writeJSON(w, http.StatusOK, app.ToWitnessState(st))
}

// witnessPush takes a manufacturer's signed checkpoint with the consistency proof from the size
// last cosigned, and answers the cosignature line, or 409 with the reason it is refused.
func (s *API) witnessPush(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	if p.Token.Role == "authority" || !p.CanWrite(p.Token.Organization) {
		writeError(w, http.StatusForbidden, "a manufacturer's admin or PSIRT token pushes its ledger")
		return
	}
	var in struct {
		Checkpoint string   `json:"checkpoint"`
		LogKey     string   `json:"logKey"`
		From       int64    `json:"from"`
		Proof      []string `json:"proof"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	if in.Checkpoint == "" || in.LogKey == "" {
		writeError(w, http.StatusBadRequest, "checkpoint (the signed note) and logKey (its verifier key) are required")
		return
	}
	if len(in.Proof) > 64 {
		writeError(w, http.StatusBadRequest, "proof: a consistency proof has at most 64 hashes")
		return
	}
	proof, err := decodeProof(in.Proof)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	line, cp, err := s.witnessCheckpoint(r.Context(), p.Token.Organization, in.Checkpoint, in.LogKey, in.From, proof)
	if err != nil {
		s.writeWitnessError(w, r, err)
		return
	}
	name, _ := s.WitnessName()
	writeJSON(w, http.StatusOK, map[string]any{"witness": name, "origin": cp.Origin, "size": cp.Size, "cosignature": line})
}

func decodeProof(in []string) ([]tlog.Hash, error) {
	var out []tlog.Hash
	for i, v := range in {
		h, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(h) != tlog.HashSize {
			return nil, fmt.Errorf("proof[%d]: not the base64 of a %d-byte hash", i, tlog.HashSize)
		}
		out = append(out, tlog.Hash(h))
	}
	return out, nil
}

// witnessLocal is one round of witnessing this server's own log, which the manufacturers of this
// server share: the authority's witness checks its latest checkpoint against the last it
// cosigned and cosigns it; the cosignature is served with the checkpoint (/ledger/checkpoint).
func (s *API) witnessLocal(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	if !authorityOnly(w, p) {
		return
	}
	ctx := r.Context()
	name, err := s.WitnessName()
	if err != nil {
		s.writeWitnessError(w, r, err)
		return
	}
	signed, cp, vkey, err := s.Store.LedgerCheckpoint(ctx)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	var from int64
	var proof []tlog.Hash
	if st, err := s.Store.WitnessedLogByOrigin(ctx, name, cp.Origin); err == nil {
		from = st.Size
		if from > 0 && from <= cp.Size {
			if proof, err = s.Store.LedgerTreeProof(ctx, from, cp.Size); err != nil {
				s.Fail(w, r, err)
				return
			}
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		s.Fail(w, r, err)
		return
	}
	line, _, err := s.witnessCheckpoint(ctx, p.Token.Organization, signed, vkey, from, proof)
	if err != nil {
		s.writeWitnessError(w, r, err)
		return
	}
	if err := s.Store.AddCosignature(ctx, cp.Size, name, line); err != nil {
		s.Fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"witness": name, "origin": cp.Origin, "size": cp.Size, "cosignature": line})
}

// witnessedLogs lists the state of every log this server's witness holds, for an authority.
func (s *API) witnessedLogs(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	if !authorityOnly(w, p) {
		return
	}
	name, err := s.WitnessName()
	if err != nil {
		s.writeWitnessError(w, r, err)
		return
	}
	logs, err := s.Store.WitnessedLogs(r.Context(), name)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	type item struct {
		Organization int64 `json:"organization"`
		*app.WitnessStateJSON
	}
	out := []item{}
	for i := range logs {
		out = append(out, item{logs[i].Organization, app.ToWitnessState(&logs[i])})
	}
	writeJSON(w, http.StatusOK, map[string]any{"witness": name, "items": out})
}
