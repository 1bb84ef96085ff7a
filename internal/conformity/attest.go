package conformity

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/siegel-oss/siegel/internal/store"
)

// attesterRoles maps the roles of the server's users and tokens (store.Roles) to the roles the
// catalogs name as attesters. This is the one place the two vocabularies meet: a role missing
// here cannot attest anything.
var attesterRoles = map[string]string{
	"admin":     "manufacturer-admin",
	"psirt":     "psirt",
	"auditor":   "auditor",
	"authority": "authority",
}

// AttesterRole returns the catalog role a user or token of the server role signs attestations
// as; ok is false for a role that cannot attest (read-only, device). A catalog role is returned
// as it is, so that stored attestations read back the same.
func AttesterRole(serverRole string) (role string, ok bool) {
	if r, ok := attesterRoles[serverRole]; ok {
		return r, true
	}
	for _, r := range attesterRoles {
		if r == serverRole {
			return r, true
		}
	}
	return "", false
}

// ErrAttestation is wrapped by every refusal of an attestation: the caller's request was wrong,
// not the server.
var ErrAttestation = errors.New("attestation refused")

// AttestationRequest is what an attesting user or token submits. The role is not part of it: an
// attestation is signed in the role of whoever is authenticated.
type AttestationRequest struct {
	Requirement string
	Document    string // the supporting document's name
	SHA256      string // of the document, hex; computed from Content when that is given
	Content     []byte // the document itself
	SignedBy    string // the person who signs
}

// Attest records an attestation of a requirement for a release, signed by signedBy in the
// catalog role that the authenticated serverRole maps to. It is refused (an error wrapping
// ErrAttestation, saying what to do) for an unknown requirement, a role the requirement does
// not accept, a missing signatory or document name, a digest that does not match the document,
// or no document where the catalog asks for one.
func (s *Service) Attest(ctx context.Context, rel *store.Release, serverRole string, in AttestationRequest) (*store.Attestation, error) {
	req := s.Catalog.Requirement(in.Requirement)
	if req == nil {
		return nil, fmt.Errorf("%w: no requirement %q in the catalogs", ErrAttestation, in.Requirement)
	}
	role, ok := AttesterRole(serverRole)
	if !ok {
		return nil, fmt.Errorf("%w: the role %s cannot attest requirements", ErrAttestation, serverRole)
	}
	if !slices.Contains(req.Attesters, role) {
		return nil, fmt.Errorf("%w: %s accepts attestations by %s, not by %s", ErrAttestation, req.ID, strings.Join(req.Attesters, ", "), role)
	}
	if strings.TrimSpace(in.SignedBy) == "" {
		return nil, fmt.Errorf("%w: name the person who signs (signedBy)", ErrAttestation)
	}
	if in.Content != nil {
		sum := sha256.Sum256(in.Content)
		digest := hex.EncodeToString(sum[:])
		if in.SHA256 != "" && !strings.EqualFold(in.SHA256, digest) {
			return nil, fmt.Errorf("%w: the document's SHA-256 is %s, not the %s given", ErrAttestation, digest, in.SHA256)
		}
		in.SHA256 = digest
	}
	if req.Document != "" && len(in.Content) == 0 {
		return nil, fmt.Errorf("%w: %s needs the document itself (%s): upload it with the attestation", ErrAttestation, req.ID, req.Document)
	}
	if strings.TrimSpace(in.Document) == "" {
		return nil, fmt.Errorf("%w: name the supporting document (document)", ErrAttestation)
	}
	a := &store.Attestation{Release: rel.ID, Requirement: req.ID, DocumentName: in.Document, SHA256: in.SHA256,
		SignedBy: strings.TrimSpace(in.SignedBy), Role: role, Content: in.Content}
	if err := s.Store.AddAttestation(ctx, a); err != nil {
		return nil, err
	}
	return a, nil
}
