// Package purl builds and checks package URLs (https://github.com/package-url/purl-spec) with the
// name normalization each ecosystem requires, so that the same package always gets the same purl
// whichever file it was found in.
package purl

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/package-url/packageurl-go"
)

// New returns the canonical purl for the given parts. qualifiers are key, value pairs; empty values
// are dropped. It applies the type-specific normalizations of the purl specification (lower-case
// names for pypi, npm, golang hosts and others) through packageurl-go.
func New(typ, namespace, name, version string, qualifiers ...string) string {
	var qs packageurl.Qualifiers
	for i := 0; i+1 < len(qualifiers); i += 2 {
		if qualifiers[i+1] != "" {
			qs = append(qs, packageurl.Qualifier{Key: qualifiers[i], Value: qualifiers[i+1]})
		}
	}
	p := packageurl.NewPackageURL(typ, namespace, name, version, qs, "")
	// A purl that cannot be normalized is returned as given; Parse reports what is wrong with it.
	_ = p.Normalize()
	return p.ToString()
}

// Parse checks s and returns its parts. The error says which rule of the purl specification s breaks.
func Parse(s string) (packageurl.PackageURL, error) {
	p, err := packageurl.FromString(s)
	if err != nil {
		return packageurl.PackageURL{}, fmt.Errorf("invalid package URL %q: %w", s, err)
	}
	return p, nil
}

var pypiSeparators = regexp.MustCompile(`[-_.]+`)

// NormalizePyPI normalizes a Python distribution name as PEP 503 does: lower case, runs of
// '-', '_' and '.' collapsed to one '-'.
func NormalizePyPI(name string) string {
	return pypiSeparators.ReplaceAllString(strings.ToLower(strings.TrimSpace(name)), "-")
}

// PyPI returns the purl of a Python distribution.
func PyPI(name, version string) string {
	return New(packageurl.TypePyPi, "", NormalizePyPI(name), version)
}

// NPM returns the purl of an npm package; a scoped name "@scope/pkg" puts "@scope" in the namespace.
func NPM(name, version string) string {
	ns, n := "", name
	if strings.HasPrefix(name, "@") {
		if scope, rest, ok := strings.Cut(name, "/"); ok {
			ns, n = scope, rest
		}
	}
	return New(packageurl.TypeNPM, ns, n, version)
}

// Golang returns the purl of a Go module: the path up to its last element is the namespace.
func Golang(module, version string) string {
	ns, n := "", module
	if i := strings.LastIndexByte(module, '/'); i >= 0 {
		ns, n = module[:i], module[i+1:]
	}
	return New(packageurl.TypeGolang, ns, n, version)
}

// Maven returns the purl of a Maven artifact.
func Maven(group, artifact, version string, qualifiers ...string) string {
	return New(packageurl.TypeMaven, group, artifact, version, qualifiers...)
}

// Canonical checks s and returns it in canonical form (normalized type, namespace and name,
// sorted qualifiers), so purls from different tools compare equal.
func Canonical(s string) (string, error) {
	p, err := Parse(s)
	if err != nil {
		return "", err
	}
	if err := p.Normalize(); err != nil {
		return "", fmt.Errorf("invalid package URL %q: %w", s, err)
	}
	return p.ToString(), nil
}
