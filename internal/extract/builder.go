package extract

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"slices"
	"strings"

	"github.com/siegel-oss/siegel/internal/sbom"
)

// builder collects the components and edges one extractor finds in one file. Components are
// keyed by Ref (their purl), so a package listed twice is one component; edges to refs that never
// became components are dropped when the Result is built, so no extractor can emit a dangling one.
type builder struct {
	extractor string
	location  string
	comps     []sbom.Component
	index     map[string]int
	edges     map[string][]string
	root      []string
	hasRoot   bool
	// complete says the file lists every dependency of each package and of the project, as a
	// lockfile that records the whole resolved graph does (package-lock.json v2 and v3).
	complete bool
}

func newBuilder(extractor string, f File) *builder {
	return &builder{extractor: extractor, location: f.Path, index: map[string]int{}, edges: map[string][]string{}}
}

// add adds a package (name, version, purl) and returns its ref. A second add of the same purl
// merges nothing and returns the same ref.
func (b *builder) add(name, version, purl string, props ...sbom.Property) string {
	ref := purl
	if ref == "" {
		ref = name + "@" + version
	}
	if _, ok := b.index[ref]; ok {
		return ref
	}
	c := sbom.Component{
		Ref: ref, Type: "library", Name: name, Version: version, PURL: purl,
		Properties: append([]sbom.Property{
			{Name: PropLocation, Value: b.location},
			{Name: PropExtractor, Value: b.extractor},
		}, props...),
	}
	b.index[ref] = len(b.comps)
	b.comps = append(b.comps, c)
	return ref
}

// component returns the component with ref for further filling; it must exist.
func (b *builder) component(ref string) *sbom.Component { return &b.comps[b.index[ref]] }

func (b *builder) has(ref string) bool { _, ok := b.index[ref]; return ok }

// edge records that from depends on to.
func (b *builder) edge(from, to string) {
	if from != "" && to != "" && from != to && !slices.Contains(b.edges[from], to) {
		b.edges[from] = append(b.edges[from], to)
	}
}

// direct records a direct dependency of the project the file describes; calling it (even never
// with a ref, through knowsRoot) says the file tells direct from transitive.
func (b *builder) direct(ref string) {
	b.hasRoot = true
	if ref != "" && !slices.Contains(b.root, ref) {
		b.root = append(b.root, ref)
	}
}

func (b *builder) knowsRoot() { b.hasRoot = true }

// markDev marks a component as needed for development only.
func (b *builder) markDev(ref string) {
	c := b.component(ref)
	c.Scope = "optional"
	if !slices.ContainsFunc(c.Properties, func(p sbom.Property) bool { return p.Name == PropDev }) {
		c.Properties = append(c.Properties, sbom.Property{Name: PropDev, Value: "true"})
	}
}

func (b *builder) result() Result {
	res := Result{Components: b.comps}
	var completeness sbom.Completeness
	if b.complete {
		completeness = sbom.CompletenessComplete
	}
	if b.hasRoot {
		root := sbom.Dependency{Ref: RootRef, Completeness: completeness}
		for _, r := range b.root {
			if b.has(r) {
				root.DependsOn = append(root.DependsOn, r)
			}
		}
		res.Dependencies = append(res.Dependencies, root)
	}
	for _, c := range b.comps {
		var on []string
		for _, to := range b.edges[c.Ref] {
			if b.has(to) {
				on = append(on, to)
			}
		}
		if len(on) > 0 || b.complete {
			res.Dependencies = append(res.Dependencies, sbom.Dependency{Ref: c.Ref, DependsOn: on, Completeness: completeness})
		}
	}
	return res
}

// sriHashes converts a Subresource Integrity value ("sha512-BASE64 sha1-BASE64") to hashes.
func sriHashes(integrity string) []sbom.Hash {
	var out []sbom.Hash
	for _, part := range strings.Fields(integrity) {
		alg, b64, ok := strings.Cut(part, "-")
		if !ok {
			continue
		}
		a, ok := sbom.ParseHashAlgorithm(alg)
		if !ok {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			continue
		}
		if v := hex.EncodeToString(raw); sbom.ValidHashValue(a, v) {
			out = append(out, sbom.Hash{Algorithm: a, Value: v})
		}
	}
	return out
}

// prefixedHash converts "sha256:HEX" (or "sha256=HEX") to a hash.
func prefixedHash(s string) (sbom.Hash, bool) {
	alg, v, ok := strings.Cut(s, ":")
	if !ok {
		alg, v, ok = strings.Cut(s, "=")
	}
	if !ok {
		return sbom.Hash{}, false
	}
	a, ok := sbom.ParseHashAlgorithm(alg)
	v = strings.ToLower(strings.TrimSpace(v))
	if !ok || !sbom.ValidHashValue(a, v) {
		return sbom.Hash{}, false
	}
	return sbom.Hash{Algorithm: a, Value: v}, true
}

var errNoPackages = errors.New(`no "packages" or "dependencies": not a package lock this extractor knows`)

func appendHashUnique(hs []sbom.Hash, h sbom.Hash) []sbom.Hash {
	if slices.Contains(hs, h) {
		return hs
	}
	return append(hs, h)
}
