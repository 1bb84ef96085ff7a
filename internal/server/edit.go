package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"

	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/store"
)

// Corrections of what was entered, shared by the API (api_edit.go) and the pages
// (web_edit.go): both check the same way and answer with the same words (validation.go).

// replaceSBOM decodes and checks an SBOM as an upload is checked, and puts it in the place of
// SBOM old of the release.
func (s *Server) replaceSBOM(ctx context.Context, prod *store.Product, rel *store.Release, old int64, name string, data []byte, reason string) (*store.SBOM, error) {
	if strings.TrimSpace(reason) == "" {
		return nil, store.ErrNoReason
	}
	doc, format, err := s.decodeUpload(ctx, name, data, prod, rel)
	if err != nil {
		return nil, caller.Invalid(err)
	}
	sum := sha256.Sum256(data)
	b, err := s.Store.ReplaceSBOM(ctx, rel.ID, old, reason, format, hex.EncodeToString(sum[:]), storeComponents(doc), trMissing(doc))
	if errors.Is(err, store.ErrConflict) {
		return nil, caller.Invalid(errors.New("the new SBOM is the one it would replace, or was uploaded for the release already"))
	}
	if err != nil {
		return nil, err
	}
	s.saveHealthFacts(ctx, b.ID, doc)
	s.Wake()
	return b, nil
}

// isReadError reports whether err is an upload that could not be read (too large, say).
func isReadError(err error) bool {
	var ie *input.Error
	return errors.As(err, &ie)
}
