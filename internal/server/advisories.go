package server

import (
	"context"
	"fmt"
	"strings"

	"github.com/siegel-oss/siegel/internal/store"
)

// The CSAF trusted provider: public, read-only, the advisories of the provider organization.

// PublishAdvisory publishes (or revises) the advisory of a vulnerability in an organization's
// product, for the command line; base is the provider's public address, cvss the publisher's
// CVSS v3 vector ("" for the vulnerability database's).
func (s *Server) PublishAdvisory(ctx context.Context, base, orgName, productName, vuln, cvss string) (*store.Advisory, error) {
	org, err := s.Store.OrganizationByName(ctx, orgName)
	if err != nil {
		return nil, err
	}
	ps, err := s.Store.Products(ctx, org.ID)
	if err != nil {
		return nil, err
	}
	for i := range ps {
		if ps[i].Name == productName {
			return s.PublishAdvisoryFor(ctx, strings.TrimSuffix(base, "/"), org, &ps[i], vuln, cvss)
		}
	}
	return nil, fmt.Errorf("product %q of %s: %w", productName, orgName, store.ErrNotFound)
}
