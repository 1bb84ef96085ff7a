package app

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"

	"github.com/siegel-oss/siegel/internal/health"
	"github.com/siegel-oss/siegel/internal/match"
	"github.com/siegel-oss/siegel/internal/sbom"
	"github.com/siegel-oss/siegel/internal/store"
)

// SBOMContent is what the store keeps of document doc, read from data in the given format: its
// components, the BSI TR-03183-2 fields it lacks and the facts component health reads, all
// stored in one transaction with the SBOM.
func SBOMContent(format string, data []byte, doc *sbom.Document) store.SBOMContent {
	sum := sha256.Sum256(data)
	return store.SBOMContent{Format: format, SHA256: hex.EncodeToString(sum[:]), Components: storeComponents(doc),
		TRMissing: trMissing(doc), Facts: healthFacts(doc)}
}

// healthFacts are what component health needs of doc's components beyond what the store keeps
// of each: CPEs, the source package, native-code markers, the extractor and the code's size.
func healthFacts(doc *sbom.Document) []store.ComponentFacts {
	var facts []store.ComponentFacts
	for _, c := range health.FromSBOM(doc) {
		f := store.ComponentFacts{Ref: c.Ref, CPEs: c.CPEs, SourcePackage: c.Properties["siegel:source-package"],
			Native: c.Properties[health.PropNative], Extractor: c.Properties[health.PropExtractor], Size: c.Size}
		if len(f.CPEs) > 0 || f.SourcePackage != "" || f.Native != "" || f.Extractor != "" || f.Size > 0 {
			facts = append(facts, f)
		}
	}
	return facts
}

// trMissing names the BSI TR-03183-2 fields an SBOM lacks, in the document or in any component.
func trMissing(doc *sbom.Document) []string {
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

// storeComponents are doc's components as the store keeps them, the subject left out.
func storeComponents(doc *sbom.Document) []store.Component {
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
