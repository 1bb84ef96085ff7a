package api

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/conformity"
	"github.com/siegel-oss/siegel/internal/firmware"
	"github.com/siegel-oss/siegel/internal/firmware/unpack"
	"github.com/siegel-oss/siegel/internal/label"
	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/store"
)

// getConformity evaluates a release against the catalogs named by ?standard= (all when none).
func (s *API) getConformity(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	rel, prod, ok := s.release(w, r, p)
	if !ok || s.ConformityOff(w) {
		return
	}
	e, err := s.Conformity.Evaluate(r.Context(), prod, rel, app.StandardsParam(r))
	if err != nil {
		if strings.HasPrefix(err.Error(), "no catalog") {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		s.Fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.ViewEvaluation(e))
}

// AttestationJSON is an attestation as answered.
type AttestationJSON struct {
	ID          int64  `json:"id"`
	Requirement string `json:"requirement"`
	Document    string `json:"document"`
	SHA256      string `json:"sha256"`
	SignedBy    string `json:"signedBy"`
	// Role is the catalog role the attestation was signed in: that of the submitting token,
	// whatever a request says.
	Role string `json:"role,omitempty"`
	// Content is the document itself (base64 in JSON), kept with the attestation; its SHA-256
	// must equal sha256 when both are given.
	Content   []byte    `json:"content,omitempty"`
	CreatedAt time.Time `json:"createdAt,omitzero"`
}

// postAttestation records that a named person signs off a requirement, with the document.
func (s *API) postAttestation(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	rel, prod, ok := s.release(w, r, p)
	if !ok || s.ConformityOff(w) {
		return
	}
	if !p.CanWrite(prod.Organization) {
		writeError(w, http.StatusForbidden, "this token may not attest requirements")
		return
	}
	var in AttestationJSON
	if !decodeJSON(w, r, &in) {
		return
	}
	// in.Role is ignored: an attestation is signed in the role of the token that submits it.
	a, err := s.Conformity.Attest(r.Context(), rel, p.Token.Role, conformity.AttestationRequest{Requirement: in.Requirement, Document: in.Document,
		SHA256: in.SHA256, Content: in.Content, SignedBy: in.SignedBy})
	if errors.Is(err, conformity.ErrAttestation) {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, AttestationJSON{ID: a.ID, Requirement: a.Requirement, Document: a.DocumentName, SHA256: a.SHA256,
		SignedBy: a.SignedBy, Role: a.Role, CreatedAt: a.CreatedAt})
}

// FirmwareJSON summarises a stored firmware analysis.
type FirmwareJSON struct {
	ID         int64                `json:"id"`
	Image      string               `json:"image"`
	SHA256     string               `json:"sha256"`
	Size       int64                `json:"size"`
	Layers     []unpack.Layer       `json:"layers"`
	Problems   []unpack.Problem     `json:"problems"`
	Components []firmware.Component `json:"components"`
	Weaknesses []firmware.Weakness  `json:"weaknesses"`
	SBOM       int64                `json:"sbom"` // the SBOM made from the inventory, now the release's
}

// LabelJSON is a label as the API shows it.
type LabelJSON struct {
	ID        string    `json:"id"`
	Release   int64     `json:"release"`
	Standards []string  `json:"standards"`
	Status    string    `json:"status"`
	Reason    string    `json:"reason"`
	Sequence  int       `json:"sequence"`
	IssuedAt  time.Time `json:"issuedAt"`
	Since     time.Time `json:"since"`
	// ValidUntil is the end of the label's term, RenewalOpens/RenewalCloses its renewal window;
	// absent for labels issued before labels had a term.
	ValidUntil    *time.Time `json:"validUntil,omitempty"`
	RenewalOpens  *time.Time `json:"renewalOpens,omitempty"`
	RenewalCloses *time.Time `json:"renewalCloses,omitempty"`
	// Revocation is an authority's announced revocation and when it takes effect.
	Revocation *labelRevocationJSON `json:"revocation,omitempty"`
	PageURL    string               `json:"pageUrl"`
	Statement  json.RawMessage      `json:"statement"`
	History    []labelEvent         `json:"history,omitempty"`
}

type labelEvent struct {
	Sequence int       `json:"sequence"`
	Status   string    `json:"status"`
	Reason   string    `json:"reason"`
	Actor    string    `json:"actor"`
	At       time.Time `json:"at"`
}

func (s *API) labelView(ctx context.Context, l *store.Label, history bool) (LabelJSON, error) {
	out := LabelJSON{ID: l.ID, Release: l.Release, Standards: l.Catalogs, Status: l.Status, Reason: l.Reason, Sequence: l.Seq,
		IssuedAt: l.IssuedAt, Since: l.Since, PageURL: s.Conformity.PageURL(l.ID), Statement: json.RawMessage(bytes.TrimSpace(l.Statement))}
	out.setLifecycle(l)
	if history {
		evs, err := s.Store.LabelEvents(ctx, l.ID)
		if err != nil {
			return out, err
		}
		for _, e := range evs {
			out.History = append(out.History, labelEvent{Sequence: e.Seq, Status: e.Status, Reason: e.Reason, Actor: e.Actor, At: e.At})
		}
	}
	return out, nil
}

// writeLabel answers with a label, its current statement and its history.
func (s *API) writeLabel(w http.ResponseWriter, r *http.Request, status int, l *store.Label) {
	v, err := s.labelView(r.Context(), l, true)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	writeJSON(w, status, v)
}

// issueLabel declares a release against catalogs and issues a label when the verdicts hold.
func (s *API) issueLabel(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	rel, prod, ok := s.release(w, r, p)
	if !ok || s.ConformityOff(w) {
		return
	}
	if !p.CanWrite(prod.Organization) {
		writeError(w, http.StatusForbidden, "this token may not declare releases for a label")
		return
	}
	var in struct {
		Standards []string `json:"standards"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	l, err := s.Conformity.Issue(r.Context(), prod, rel, in.Standards, store.Actor(r.Context()))
	var ie *conformity.ImplausibleError
	var re *store.RevokedError
	switch {
	case errors.As(err, &re):
		writeError(w, http.StatusConflict, re.Error())
		return
	case errors.As(err, &ie):
		writeJSON(w, http.StatusConflict, map[string]any{"error": err.Error(), "code": http.StatusConflict, "unmet": ie.Reasons})
		return
	case err != nil && strings.HasPrefix(err.Error(), "no catalog"):
		writeError(w, http.StatusBadRequest, err.Error())
		return
	case errors.Is(err, conformity.ErrNoBaseURL):
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	case err != nil:
		s.Fail(w, r, err)
		return
	}
	s.writeLabel(w, r, http.StatusCreated, l)
}

// apiLabel loads a label the caller may read.
func (s *API) apiLabel(w http.ResponseWriter, r *http.Request, p caller.Principal) (*store.Label, bool) {
	if s.ConformityOff(w) {
		return nil, false
	}
	l, err := s.Store.LabelByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.Fail(w, r, err)
		return nil, false
	}
	if !p.CanRead(l.Organization) {
		writeError(w, http.StatusNotFound, "not found")
		return nil, false
	}
	return l, true
}

func (s *API) getLabel(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	l, ok := s.apiLabel(w, r, p)
	if !ok {
		return
	}
	s.writeLabel(w, r, http.StatusOK, l)
}

func (s *API) listLabels(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	if s.ConformityOff(w) {
		return
	}
	org := p.Token.Organization
	if p.Token.Role == "authority" {
		org = 0
	}
	ls, err := s.Store.Labels(r.Context(), org)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	items := []LabelJSON{}
	for i := range ls {
		v, err := s.labelView(r.Context(), &ls[i], false)
		if err != nil {
			s.Fail(w, r, err)
			return
		}
		items = append(items, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

// labelDecision revokes or reinstates a label: an authority's decision.
func (s *API) labelDecision(revoke bool) func(http.ResponseWriter, *http.Request, caller.Principal) {
	return func(w http.ResponseWriter, r *http.Request, p caller.Principal) {
		l, ok := s.apiLabel(w, r, p)
		if !ok {
			return
		}
		if p.Token.Role != "authority" {
			writeError(w, http.StatusForbidden, "only an authority may revoke or reinstate a label")
			return
		}
		var in struct {
			Reason string `json:"reason"`
			// Immediate: security requires the revocation to take effect at once; otherwise the
			// manufacturer may comment for CommentDays (default label.DefaultCommentDays).
			Immediate   bool `json:"immediate"`
			CommentDays *int `json:"commentDays"`
		}
		if !decodeJSON(w, r, &in) {
			return
		}
		if strings.TrimSpace(in.Reason) == "" {
			writeError(w, http.StatusBadRequest, "give the reason for the decision (reason)")
			return
		}
		days := label.DefaultCommentDays
		switch {
		case in.Immediate && in.CommentDays != nil && *in.CommentDays != 0:
			writeError(w, http.StatusBadRequest, "an immediate revocation has no comment period: give immediate or commentDays, not both")
			return
		case in.Immediate:
			days = 0
		case in.CommentDays != nil && *in.CommentDays <= 0:
			writeError(w, http.StatusBadRequest, "commentDays must be 1 or more; for immediate action give immediate: true and say why security requires it")
			return
		case in.CommentDays != nil:
			days = *in.CommentDays
		}
		org, err := s.Store.OrganizationByID(r.Context(), p.Token.Organization)
		if err != nil {
			s.Fail(w, r, err)
			return
		}
		if revoke {
			err = s.RevokeLabel(r.Context(), l, org.Name, in.Reason, days)
		} else {
			err = s.Conformity.Reinstate(r.Context(), l, org.Name, in.Reason)
		}
		if err != nil {
			writeError(w, http.StatusConflict, err.Error())
			return
		}
		l, err = s.Store.LabelByID(r.Context(), l.ID)
		if err != nil {
			s.Fail(w, r, err)
			return
		}
		s.writeLabel(w, r, http.StatusOK, l)
	}
}

func (s *API) labelStatement(w http.ResponseWriter, r *http.Request) {
	l, ok := s.PublicLabel(w, r)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "application/vnd.dsse.envelope.v1+json")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.statement.json"`, l.ID))
	w.Write(l.Statement)
}

func (s *API) labelQR(png bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		l, ok := s.PublicLabel(w, r)
		if !ok {
			return
		}
		url := s.Conformity.PageURL(l.ID)
		if url == "" {
			http.Error(w, "no QR code: the server has no public address to point it at; its operator sets one with --base-url https://...", http.StatusServiceUnavailable)
			return
		}
		var data []byte
		var err error
		if png {
			data, err = label.QRPNG(url, 512)
			w.Header().Set("Content-Type", "image/png")
		} else {
			data, err = label.QRSVG(url)
			w.Header().Set("Content-Type", "image/svg+xml")
		}
		if err != nil {
			s.Fail(w, r, err)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=86400")
		w.Write(data)
	}
}

func (s *API) labelPublicKey(w http.ResponseWriter, r *http.Request) {
	if s.Conformity == nil {
		http.Error(w, "labels are unavailable", http.StatusServiceUnavailable)
		return
	}
	key, err := s.Conformity.Key(r.Context())
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	pem, err := label.MarshalPublicKey(key.Public().(ed25519.PublicKey))
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/x-pem-file")
	w.Write(pem)
}

// putFacts records what the manufacturer declares about a product's design: the facts that
// settle the catalogs' conditional requirements (uses-passwords, update-mechanism, ...).
func (s *API) putFacts(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	prod, ok := s.product(w, r, p)
	if !ok || s.ConformityOff(w) {
		return
	}
	if !p.CanWrite(prod.Organization) {
		writeError(w, http.StatusForbidden, "this token may not declare product facts")
		return
	}
	var in struct {
		Facts map[string]bool `json:"facts"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	known := s.Conformity.Catalog.Facts()
	for name := range in.Facts {
		if !slices.Contains(known, name) {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("unknown fact %q; the catalogs' facts are %s", name, strings.Join(known, ", ")))
			return
		}
	}
	if err := s.Store.SetProductFacts(r.Context(), prod.ID, in.Facts); err != nil {
		s.Fail(w, r, err)
		return
	}
	prod.Facts = in.Facts
	writeJSON(w, http.StatusOK, app.ViewProduct(*prod))
}
