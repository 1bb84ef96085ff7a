// Package sbomtest builds synthetic SBOMs of any size for benchmarks and load tests.
package sbomtest

import (
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/siegel-oss/siegel/internal/sbom"
)

// ecosystems the synthetic components are spread over, with their purl types.
var ecosystems = []struct{ typ, ns string }{
	{"npm", ""}, {"npm", "@acme"}, {"pypi", ""}, {"maven", "org.example"}, {"golang", "github.com/example"},
	{"cargo", ""}, {"gem", ""}, {"deb", "debian"},
}

// Synthetic returns a document with n components shaped like a real product inventory: every
// component has a purl, a SHA-512 and a SHA-256 hash, a licence, a supplier and a file name, and
// each depends on up to three later components, so the graph has about 2n edges.
func Synthetic(n int) *sbom.Document {
	doc := &sbom.Document{
		Format: sbom.CycloneDXJSON, SpecVersion: "1.6", Name: "synthetic-product",
		Created:  time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		Creators: []sbom.Creator{{Kind: sbom.CreatorOrganization, Name: "ACME", Email: "psirt@acme.example"}},
		Subject:  "product",
	}
	doc.Components = make([]sbom.Component, 0, n+1)
	doc.Components = append(doc.Components, sbom.Component{Ref: "product", Type: "firmware", Name: "synthetic-product", Version: "1.0.0"})
	for i := range n {
		e := ecosystems[i%len(ecosystems)]
		name := "component-" + strconv.Itoa(i)
		ver := fmt.Sprintf("%d.%d.%d", i%7, i%13, i%101)
		sum := sha512.Sum512([]byte(name))
		sum256 := sum[:32]
		p := "pkg:" + e.typ + "/"
		if e.ns != "" {
			p += e.ns + "/"
		}
		p += name + "@" + ver
		doc.Components = append(doc.Components, sbom.Component{
			Ref: p, Type: "library", Name: name, Version: ver, PURL: p,
			Hashes: []sbom.Hash{
				{Algorithm: sbom.SHA512, Value: hex.EncodeToString(sum[:])},
				{Algorithm: sbom.SHA256, Value: hex.EncodeToString(sum256)},
			},
			Licenses: []sbom.License{{Expression: []string{"MIT", "Apache-2.0", "BSD-3-Clause", "GPL-2.0-only"}[i%4], Kind: sbom.LicenseConcluded}},
			Supplier: "Supplier " + strconv.Itoa(i%97),
			Files:    []string{name + "-" + ver + ".tgz"},
		})
	}
	root := sbom.Dependency{Ref: "product", Completeness: sbom.CompletenessComplete}
	for i := 1; i <= n && i <= 50; i++ {
		root.DependsOn = append(root.DependsOn, doc.Components[i].Ref)
	}
	doc.Dependencies = append(doc.Dependencies, root)
	for i := 1; i <= n; i++ {
		d := sbom.Dependency{Ref: doc.Components[i].Ref, Completeness: sbom.CompletenessComplete}
		for _, step := range []int{1, 17, 331} {
			if j := i + step; j <= n && (i+step)%3 != 0 {
				d.DependsOn = append(d.DependsOn, doc.Components[j].Ref)
			}
		}
		doc.Dependencies = append(doc.Dependencies, d)
	}
	return doc
}
