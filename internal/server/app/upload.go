package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/siegel-oss/siegel/internal/extract"
	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/sbom"
	"github.com/siegel-oss/siegel/internal/store"
)

// DecodeUpload turns an upload into an SBOM: an SBOM in any format the reader takes, or a source
// archive (zip, tar, tar.gz), unpacked in memory and inventoried like 'siegel sbom DIR'. It
// returns the document and the format recorded for the upload.
func (s *Deps) DecodeUpload(ctx context.Context, name string, data []byte, prod *store.Product, rel *store.Release) (*sbom.Document, string, error) {
	limits := input.Limits{MaxBytes: s.MaxUpload}
	if !input.IsArchive(data) {
		if err := s.checkSBOMBudget(name, len(data)); err != nil {
			return nil, "", err
		}
		doc, err := sbom.Decode(name, data, limits)
		if err != nil {
			return nil, "", err
		}
		return doc, string(doc.Format), nil
	}
	fsys, err := input.OpenArchive(name, data, s.archiveLimits())
	if err != nil {
		return nil, "", err
	}
	inv, err := extract.Scan(ctx, fsys, extract.Options{Limits: input.Limits{MaxBytes: 64 << 20}, Log: s.Log})
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", name, err)
	}
	if len(inv.Errors) > 0 {
		return nil, "", fmt.Errorf("%s: %d file(s) in the archive could not be parsed; fix them and upload again:\n%w", name, len(inv.Errors), errors.Join(inv.Errors...))
	}
	doc := inv.Document(extract.Subject{Name: prod.Name, Version: rel.Version}, s.Now().UTC(), []sbom.Creator{{Kind: sbom.CreatorTool, Name: "siegel"}})
	return doc, "source-archive", nil
}
