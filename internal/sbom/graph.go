package sbom

// Index returns the position of each component in d.Components by Ref.
func (d *Document) Index() map[string]int {
	idx := make(map[string]int, len(d.Components))
	for i, c := range d.Components {
		idx[c.Ref] = i
	}
	return idx
}

// DependsOn returns the direct dependencies of ref, in document order.
func (d *Document) DependsOn(ref string) []string {
	for _, dep := range d.Dependencies {
		if dep.Ref == ref {
			return dep.DependsOn
		}
	}
	return nil
}

// Direct returns the set of refs the subject depends on directly. It is empty when the document
// names no subject or carries no relationships; callers then cannot tell direct from transitive.
func (d *Document) Direct() map[string]bool {
	direct := make(map[string]bool)
	if d.Subject == "" {
		return direct
	}
	for _, r := range d.DependsOn(d.Subject) {
		direct[r] = true
	}
	return direct
}
