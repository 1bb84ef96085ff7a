// Package purl builds and checks package URLs (https://github.com/package-url/purl-spec) with the
// name normalization each ecosystem requires, so that the same package always gets the same purl
// whichever file it was found in.
package purl

import (
	"fmt"
	"strings"
	"unicode/utf8"

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

// NormalizePyPI normalizes a Python distribution name as PEP 503 does: lower case, runs of
// '-', '_' and '.' collapsed to one '-'. Matching calls it for every affected entry it reads, so
// a name that is normalized already is returned as it is, without allocating.
func NormalizePyPI(name string) string {
	name = strings.TrimSpace(name)
	if pypiNormalized(name) {
		return name
	}
	b := make([]byte, 0, len(name))
	sep := false
	for _, r := range strings.ToLower(name) {
		if r == '-' || r == '_' || r == '.' {
			sep = true
			continue
		}
		if sep {
			b = append(b, '-')
			sep = false
		}
		b = utf8.AppendRune(b, r)
	}
	if sep {
		b = append(b, '-')
	}
	return string(b)
}

// pypiNormalized reports whether name is its own PEP 503 normalization: ASCII without upper
// case letters, '_', '.' or two '-' in a row.
func pypiNormalized(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= utf8.RuneSelf, c >= 'A' && c <= 'Z', c == '_', c == '.':
			return false
		case c == '-' && i > 0 && name[i-1] == '-':
			return false
		}
	}
	return true
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
