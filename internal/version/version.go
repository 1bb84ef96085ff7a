// Package version compares versions under the rules of each package ecosystem, exactly as that
// ecosystem's own tooling does, and evaluates OSV affected ranges.
package version

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Version is a parsed version. Compare must only be called with a Version parsed by the same
// Comparator; it returns -1, 0 or +1.
type Version interface {
	Compare(other Version) int
	String() string
}

// Comparator parses and orders the versions of one ecosystem.
type Comparator interface {
	// Ecosystem returns the OSV ecosystem name without release suffix, such as "PyPI" or "Debian".
	Ecosystem() string
	// Parse parses s, returning an error that says why s is not a valid version.
	Parse(s string) (Version, error)
}

// ErrUnknownEcosystem is returned by Lookup for an ecosystem without a comparator.
var ErrUnknownEcosystem = errors.New("unknown ecosystem")

// Lookup returns the comparator for an OSV ecosystem name. Names are case-sensitive as OSV spells
// them; a release suffix after a colon ("Debian:12", "Alpine:v3.20", "Ubuntu:22.04:LTS") selects
// the comparator of the base ecosystem.
func Lookup(ecosystem string) (Comparator, error) {
	base, _, _ := strings.Cut(ecosystem, ":")
	if c, ok := comparators[base]; ok {
		return c, nil
	}
	return nil, fmt.Errorf("%w %q (OSV names are case-sensitive, such as PyPI, npm, Maven, Go, Debian)", ErrUnknownEcosystem, ecosystem)
}

// Ecosystems lists the ecosystem names Lookup knows, sorted.
func Ecosystems() []string {
	names := make([]string, 0, len(comparators))
	for n := range comparators {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Compare parses a and b with c and compares them.
func Compare(c Comparator, a, b string) (int, error) {
	va, err := c.Parse(a)
	if err != nil {
		return 0, err
	}
	vb, err := c.Parse(b)
	if err != nil {
		return 0, err
	}
	return va.Compare(vb), nil
}

// comparators maps OSV base ecosystem names to comparators. Comparators are stateless and safe
// for concurrent use. The two halves are filled in their own files.
var comparators = mergeComparators(languageComparators(), distroComparators())

func mergeComparators(parts ...map[string]Comparator) map[string]Comparator {
	all := make(map[string]Comparator)
	for _, p := range parts {
		for k, v := range p {
			all[k] = v
		}
	}
	return all
}
