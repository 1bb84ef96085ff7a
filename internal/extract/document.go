package extract

import (
	"cmp"
	"slices"
	"time"

	"github.com/siegel-oss/siegel/internal/sbom"
)

// Subject describes what was scanned; it becomes the SBOM's subject component.
type Subject struct {
	Name    string
	Version string
	Type    string // CycloneDX component type; "" means application
}

// Document merges an inventory into one SBOM. A package found in several files (the same purl)
// becomes one component that keeps every location; the subject depends on the direct dependencies
// each file names, and component-to-component edges are kept. created and creators describe the
// SBOM itself.
func (inv *Inventory) Document(subject Subject, created time.Time, creators []sbom.Creator) *sbom.Document {
	const subjectRef = "siegel:subject"
	doc := &sbom.Document{
		Format:      sbom.CycloneDXJSON,
		SpecVersion: "1.6",
		Name:        subject.Name,
		Created:     created,
		Creators:    creators,
		Subject:     subjectRef,
	}
	doc.Components = append(doc.Components, sbom.Component{
		Ref:     subjectRef,
		Type:    cmp.Or(subject.Type, "application"),
		Name:    subject.Name,
		Version: subject.Version,
	})

	index := map[string]int{subjectRef: 0} // global ref -> position in doc.Components
	edges := map[string][]string{}         // global ref -> depends-on global refs
	// A component's list of dependencies is complete when every file that names it (for the
	// subject: every file) says its list there is complete.
	listed, complete := map[string]int{}, map[string]int{}
	for _, fr := range inv.Files {
		listed[subjectRef]++
		local := map[string]string{} // this file's ref -> global ref
		for _, c := range fr.Result.Components {
			key := componentKey(c)
			local[c.Ref] = key
			listed[key]++
			if i, ok := index[key]; ok {
				mergeComponent(&doc.Components[i], c)
				continue
			}
			c.Ref = key
			c.Properties = slices.Clone(c.Properties)
			index[key] = len(doc.Components)
			doc.Components = append(doc.Components, c)
		}
		for _, d := range fr.Result.Dependencies {
			from := subjectRef
			if d.Ref != RootRef {
				var ok bool
				if from, ok = local[d.Ref]; !ok {
					continue // an extractor bug; never produce a dangling edge
				}
			}
			if d.Completeness == sbom.CompletenessComplete {
				complete[from]++
			}
			for _, to := range d.DependsOn {
				if g, ok := local[to]; ok && g != from {
					edges[from] = append(edges[from], g)
				}
			}
		}
	}
	refs := make([]string, 0, len(edges))
	for r := range edges {
		refs = append(refs, r)
	}
	for r, n := range complete {
		if _, ok := edges[r]; !ok && n == listed[r] {
			refs = append(refs, r)
		}
	}
	slices.Sort(refs)
	for _, r := range refs {
		deps := edges[r]
		slices.Sort(deps)
		d := sbom.Dependency{Ref: r, DependsOn: slices.Compact(deps)}
		if complete[r] > 0 && complete[r] == listed[r] {
			d.Completeness = sbom.CompletenessComplete
		}
		doc.Dependencies = append(doc.Dependencies, d)
	}
	// Keep components in a stable order: subject first, then by ref.
	slices.SortStableFunc(doc.Components[1:], func(a, b sbom.Component) int { return cmp.Compare(a.Ref, b.Ref) })
	return doc
}

// componentKey identifies a component across files: its purl, else name and version.
func componentKey(c sbom.Component) string {
	if c.PURL != "" {
		return c.PURL
	}
	return c.Name + "@" + c.Version
}

// mergeComponent adds what b knows and a does not: hashes, licences, files, properties.
func mergeComponent(a *sbom.Component, b sbom.Component) {
	for _, h := range b.Hashes {
		if !slices.Contains(a.Hashes, h) {
			a.Hashes = append(a.Hashes, h)
		}
	}
	for _, l := range b.Licenses {
		if !slices.Contains(a.Licenses, l) {
			a.Licenses = append(a.Licenses, l)
		}
	}
	for _, f := range b.Files {
		if !slices.Contains(a.Files, f) {
			a.Files = append(a.Files, f)
		}
	}
	for _, p := range b.Properties {
		if !slices.Contains(a.Properties, p) {
			a.Properties = append(a.Properties, p)
		}
	}
	a.Supplier = cmp.Or(a.Supplier, b.Supplier)
	a.Author = cmp.Or(a.Author, b.Author)
	a.Description = cmp.Or(a.Description, b.Description)
	// A package needed at run time anywhere is required, even if another file lists it as dev-only.
	if a.Scope != b.Scope {
		a.Scope = ""
		a.Properties = slices.DeleteFunc(a.Properties, func(p sbom.Property) bool { return p.Name == PropDev })
	}
}
