package app

import (
	"slices"

	"github.com/siegel-oss/siegel/internal/match"
	"github.com/siegel-oss/siegel/internal/sbom"
	"github.com/siegel-oss/siegel/internal/store"
)

// storeComponents turns a document's components (but its subject) into stored components.
// trMissing names the BSI TR-03183-2 fields an SBOM lacks, in the document or in any component.
func TRMissing(doc *sbom.Document) []string {
	r := sbom.CheckTR03183(doc)
	missing := append([]string{}, r.Document...)
	for f := range r.MissingCount {
		if !slices.Contains(missing, f) {
			missing = append(missing, f)
		}
	}
	slices.Sort(missing)
	return missing
}

// StoreComponents are doc's components as the store keeps them, the subject left out.
func StoreComponents(doc *sbom.Document) []store.Component {
	direct := doc.Direct()
	out := make([]store.Component, 0, len(doc.Components))
	for _, c := range doc.Components {
		if c.Ref == doc.Subject {
			continue
		}
		sc := store.Component{Ref: c.Ref, Name: c.Name, Version: c.Version, PURL: c.PURL, Direct: direct[c.Ref]}
		if p, ok := match.PackageOf(c); ok {
			sc.Ecosystem, sc.Lookup, sc.MatchVersion, sc.Commit = p.Ecosystem, p.Lookup, p.Version, p.Commit
		}
		out = append(out, sc)
	}
	return out
}
